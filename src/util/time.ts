/**
 * Time as a dependency: the wall clock and timers behind one small interface, so that code
 * whose behaviour depends on time passing (session timeouts, rebalance delays, retention) can
 * be driven by a test without sleeping. `systemTime` is the real thing; `ManualTime` (Kafka's
 * MockTime + MockTimer) only moves when a test calls `advance(ms)`, which runs every timer due
 * by then in due order, as the real event loop would.
 */

/** A scheduled callback; only the Time that made it can cancel it. */
export interface Timer {
  readonly dueAt: number
}

export interface Time {
  /** Milliseconds since the epoch. */
  now(): number
  /** Runs `fn` once, `ms` from now. Real timers never keep the process alive (they are unref'd). */
  setTimeout(fn: () => void, ms: number): Timer
  /** Cancels a timer that has not fired yet; anything else is ignored. */
  clearTimeout(timer: Timer | undefined): void
}

interface SystemTimer extends Timer {
  readonly handle: NodeJS.Timeout
}

export const systemTime: Time = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms)
    handle.unref()
    return { dueAt: Date.now() + ms, handle } satisfies SystemTimer
  },
  clearTimeout(timer) {
    if (timer && 'handle' in timer) clearTimeout((timer as SystemTimer).handle)
  },
}

interface ManualTimer extends Timer {
  readonly seq: number
  readonly fn: () => void
}

/**
 * A clock that stands still until told to move. Timers set for the same moment fire in the
 * order they were set; a timer set by a firing timer fires in the same advance() when it falls
 * due within it. A negative or non-finite delay counts as 0, as Node's setTimeout treats it.
 */
export class ManualTime implements Time {
  private current: number
  private seq = 0
  private readonly timers = new Set<ManualTimer>()

  constructor(start = 1_700_000_000_000) {
    this.current = start
  }

  now(): number {
    return this.current
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0
    const t: ManualTimer = { dueAt: this.current + delay, seq: this.seq++, fn }
    this.timers.add(t)
    return t
  }

  clearTimeout(timer: Timer | undefined): void {
    if (timer) this.timers.delete(timer as ManualTimer)
  }

  /** Timers set and not yet fired or cancelled. */
  get pending(): number {
    return this.timers.size
  }

  /**
   * Moves the clock `ms` forward, firing each timer due by then at its own due time (now()
   * inside a callback is that moment). A callback's exception propagates after the clock
   * reached its due time; the remaining timers stay pending.
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualTime.advance needs a non-negative number of ms, got ${ms}`)
    const target = this.current + ms
    for (;;) {
      const next = this.nextDue(target)
      if (!next) break
      this.timers.delete(next)
      this.current = Math.max(this.current, next.dueAt)
      next.fn()
    }
    this.current = target
  }

  /**
   * advance() for timers whose work is asynchronous: after each timer fires, the event loop
   * turns once (promise callbacks and immediates run) before the next, so a task that re-arms
   * itself when its async run ends fires again within the same call, as it would in real time.
   */
  async advanceAsync(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`ManualTime.advanceAsync needs a non-negative number of ms, got ${ms}`)
    const target = this.current + ms
    for (;;) {
      const next = this.nextDue(target)
      if (!next) break
      this.timers.delete(next)
      this.current = Math.max(this.current, next.dueAt)
      next.fn()
      await new Promise((resolve) => setImmediate(resolve))
    }
    this.current = target
  }

  private nextDue(limit: number): ManualTimer | undefined {
    let best: ManualTimer | undefined
    for (const t of this.timers) {
      if (t.dueAt > limit) continue
      if (!best || t.dueAt < best.dueAt || (t.dueAt === best.dueAt && t.seq < best.seq)) best = t
    }
    return best
  }
}
