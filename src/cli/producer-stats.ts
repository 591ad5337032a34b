/**
 * The figures of `samsa producer-perf-test`, printed in kafka-producer-perf-test.sh's layout:
 *
 *   every reporting interval (5 s):
 *   `N records sent, X records/sec (Y MB/sec), Z ms avg latency, W ms max latency.`
 *   at the end:
 *   `N records sent, X records/sec (Y MB/sec), Z ms avg latency, W ms max latency, a ms 50th, b ms 95th, c ms 99th, d ms 99.9th.`
 *
 * with Kafka's number formats (Java's %.1f, %.2f, %f, %d; MB = 2^20 bytes). A record's latency
 * runs from the call to `send` to its acknowledgement. Kafka measures it in whole
 * milliseconds; here it is measured to the microsecond, so averages and maxima carry real
 * decimals, and the percentiles come from an HDR histogram (3 significant digits) over every
 * record rather than Kafka's sample of at most 500,000, rounded to whole milliseconds as Kafka
 * prints them.
 *
 * Like Kafka, the window line is printed from `record`, when an acknowledgement arrives at
 * least one interval after the window opened: a window without acknowledgements prints
 * nothing.
 */
import { build, type Histogram } from 'hdr-histogram-js'

export interface ProducerStatsOptions {
  /** When the run started, on the clock `record` is given (ms). */
  startMs: number
  /** Window length; Kafka's is 5000 ms. */
  reportingIntervalMs: number
  /** The steady-state figures after --warmup-records ("N steady state records sent, ..."). */
  steadyState?: boolean
  /** Where window lines (and "In steady state.") go. */
  print(line: string): void
}

const MB = 1024 * 1024

export class ProducerStats {
  private readonly histogram: Histogram
  private readonly startMs: number
  private count = 0
  private bytes = 0
  private totalLatency = 0
  private maxLatency = 0
  private windowStart: number
  private windowCount = 0
  private windowBytes = 0
  private windowTotalLatency = 0
  private windowMaxLatency = 0
  /** After the warm-up the steady-state figures print the windows, not these. */
  suppressed = false

  constructor(private readonly opts: ProducerStatsOptions) {
    this.startMs = opts.startMs
    this.windowStart = opts.startMs
    // Microseconds; auto-resizing, so a stall of minutes is still counted, not dropped.
    this.histogram = build({ useWebAssembly: false, numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 })
  }

  get records(): number {
    return this.count
  }

  /**
   * `count` records acknowledged together (one send call), each with this latency (ms); their
   * values' total size; now (ms).
   */
  record(latencyMs: number, bytes: number, nowMs: number, count = 1): void {
    this.count += count
    this.bytes += bytes
    this.totalLatency += latencyMs * count
    if (latencyMs > this.maxLatency) this.maxLatency = latencyMs
    this.windowCount += count
    this.windowBytes += bytes
    this.windowTotalLatency += latencyMs * count
    if (latencyMs > this.windowMaxLatency) this.windowMaxLatency = latencyMs
    this.histogram.recordValueWithCount(Math.max(0, Math.round(latencyMs * 1000)), count)
    if (nowMs - this.windowStart >= this.opts.reportingIntervalMs) {
      if (this.opts.steadyState && this.count === this.windowCount) this.opts.print('In steady state.')
      if (!this.suppressed) this.opts.print(this.windowLine(nowMs))
      this.windowStart = nowMs
      this.windowCount = 0
      this.windowBytes = 0
      this.windowTotalLatency = 0
      this.windowMaxLatency = 0
    }
  }

  /** `N records sent, X records/sec (Y MB/sec), Z ms avg latency, W ms max latency.` */
  windowLine(nowMs: number): string {
    const sec = (nowMs - this.windowStart) / 1000
    return (
      `${this.windowCount} records sent, ${fixed(this.windowCount / sec, 1)} records/sec (${fixed(this.windowBytes / MB / sec, 2)} MB/sec), ` +
      `${fixed(this.windowTotalLatency / this.windowCount, 1)} ms avg latency, ${fixed(this.windowMaxLatency, 1)} ms max latency.`
    )
  }

  /** The summary line, with the percentiles. */
  totalLine(nowMs: number): string {
    const sec = (nowMs - this.startMs) / 1000
    const pct = (p: number) => (this.count === 0 ? 0 : Math.round(this.histogram.getValueAtPercentile(p) / 1000))
    return (
      `${this.count}${this.opts.steadyState ? ' steady state' : ''} records sent, ${fixed(this.count / sec, 6)} records/sec (${fixed(this.bytes / MB / sec, 2)} MB/sec), ` +
      `${fixed(this.totalLatency / this.count, 2)} ms avg latency, ${fixed(this.maxLatency, 2)} ms max latency, ` +
      `${pct(50)} ms 50th, ${pct(95)} ms 95th, ${pct(99)} ms 99th, ${pct(99.9)} ms 99.9th.`
    )
  }
}

/** Java's %.Nf for the values these tools print: NaN and Infinity spelled as Java does. */
export function fixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'NaN'
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity'
  return x.toFixed(digits)
}
