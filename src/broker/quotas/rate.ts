/**
 * A rate over sampled windows, as Kafka's metrics Rate over a SampledStat: `samples` windows of
 * `windowMs` each; a sample older than all of them no longer counts. The elapsed time the rate
 * divides by is at least `samples - 1` full windows, so a burst right after a quiet spell (or
 * at start) is not divided by a few milliseconds and throttled to death.
 */
export interface RateConfig {
  samples: number
  windowMs: number
}

interface Sample {
  start: number
  value: number
}

export class SampledRate {
  private readonly samples: Sample[] = []
  private current = 0

  constructor(private readonly config: RateConfig, now: number) {
    this.samples.push({ start: now, value: 0 })
  }

  record(value: number, now: number): void {
    let s = this.samples[this.current]!
    if (now - s.start >= this.config.windowMs) {
      this.current = (this.current + 1) % this.config.samples
      s = this.samples[this.current] ??= { start: now, value: 0 }
      s.start = now
      s.value = 0
    }
    s.value += value
  }

  /** Per second. */
  measure(now: number): number {
    this.purge(now)
    let total = 0
    for (const s of this.samples) total += s.value
    return (total * 1000) / this.windowSize(now)
  }

  /** The time the rate is taken over, in ms (Kafka's Rate.windowSize). */
  windowSize(now: number): number {
    this.purge(now)
    let oldest = this.samples[0]!.start
    for (const s of this.samples) oldest = Math.min(oldest, s.start)
    let elapsed = now - oldest
    const full = Math.floor(elapsed / this.config.windowMs)
    const minFull = this.config.samples - 1
    if (full < minFull) elapsed += (minFull - full) * this.config.windowMs
    return Math.max(elapsed, 1)
  }

  private purge(now: number): void {
    const expireAge = this.config.samples * this.config.windowMs
    for (const s of this.samples) {
      if (now - s.start >= expireAge) {
        s.start = now
        s.value = 0
      }
    }
  }
}

/**
 * How long a client must wait so that its rate falls back to the bound, as Kafka's
 * QuotaUtils.throttleTime: the excess as a fraction of the bound, times the window the rate is
 * taken over; capped at `maxMs`. 0 when within the bound.
 */
export function throttleTimeMs(rate: SampledRate, bound: number, now: number, maxMs: number): number {
  const observed = rate.measure(now)
  if (observed <= bound) return 0
  const ms = Math.round(((observed - bound) / bound) * rate.windowSize(now))
  return Math.min(Math.max(ms, 0), maxMs)
}
