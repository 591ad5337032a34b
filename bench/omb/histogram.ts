/**
 * Latency histograms. Workers (the Node worker and the Python librdkafka driver alike) count
 * latencies in microseconds into log-linear buckets, 2048 linear steps per power of two: a
 * bucket is the value with all but its 11 leading bits cleared, so it is within 0.1% of every
 * value it holds, the resolution of an HDR histogram with 3 significant digits. They send the
 * non-empty buckets as `{ bucket: count }` once a second; the coordinator adds them to
 * hdr-histogram-js histograms (already a dependency, for `samsa producer-perf-test`) for the
 * percentiles. The buckets are on the wire rather than HDR's own encoding because the Python
 * side has no HDR package (Debian ships none beside python3-confluent-kafka, which CI
 * installs), and six lines of bucketing in each language keep both sides identical.
 */
import { build, type Histogram } from 'hdr-histogram-js'

const LINEAR_BITS = 11

/** The bucket that holds `us` (a non-negative number of microseconds). */
export function bucketOf(us: number): number {
  if (!(us > 0)) return 0
  const v = Math.floor(us)
  if (v < 1 << LINEAR_BITS) return v
  let shift = Math.floor(Math.log2(v)) + 1 - LINEAR_BITS
  // Math.log2 may round up just below a power of two: make 2^(shift+10) <= v < 2^(shift+11) exact.
  if (v < 2 ** (shift + LINEAR_BITS - 1)) shift--
  else if (v >= 2 ** (shift + LINEAR_BITS)) shift++
  const unit = 2 ** shift
  return Math.floor(v / unit) * unit
}

const LINEAR = 1 << LINEAR_BITS
const HALF = LINEAR >>> 1
/** Values below 2^31 us (35 minutes) are counted in an array: 2048 linear slots, then 1024 per power of two. */
const FAST_LIMIT = 2 ** 31
const SLOTS = LINEAR + (31 - LINEAR_BITS) * HALF

/**
 * Counts per bucket, as a worker keeps them between two stats lines. A worker records three
 * or four values per message (100,000 and more a second), on the same two cores as the client
 * and broker it measures, so recording is an array increment: with a Map and Math.log2 it was
 * a sixth of the Samsa driver's CPU at 50 MiB/s (profile), CPU taken from what it measured.
 */
export class Buckets {
  private readonly fast = new Uint32Array(SLOTS)
  private any = false
  private slow = new Map<number, number>()

  record(us: number): void {
    this.any = true
    if (!(us > 0)) {
      this.fast[0]!++
      return
    }
    if (us < FAST_LIMIT) {
      const v = us | 0
      if (v < LINEAR) {
        this.fast[v]!++
        return
      }
      // 32 - clz32(v) significant bits, of which the top 11 are kept: bucketOf's arithmetic.
      const shift = 21 - Math.clz32(v)
      this.fast[LINEAR + (shift - 1) * HALF + ((v >>> shift) - HALF)]!++
      return
    }
    const b = bucketOf(us)
    this.slow.set(b, (this.slow.get(b) ?? 0) + 1)
  }

  /** The counts so far as a JSON-ready object, and a fresh start. */
  take(): Record<string, number> {
    const out: Record<string, number> = {}
    if (!this.any) return out
    const f = this.fast
    for (let i = 0; i < SLOTS; i++) {
      const n = f[i]!
      if (n === 0) continue
      if (i < LINEAR) out[i] = n
      else {
        const j = i - LINEAR
        const shift = ((j / HALF) | 0) + 1
        out[((j % HALF) + HALF) * 2 ** shift] = n
      }
    }
    for (const [b, n] of this.slow) out[b] = n
    f.fill(0)
    this.slow = new Map()
    this.any = false
    return out
  }
}

export const PERCENTILES = [50, 75, 95, 99, 99.9, 99.99] as const

export interface LatencySummary {
  count: number
  /** Milliseconds. */
  mean: number
  /** Milliseconds, keyed "p50", "p75", ..., "p99.99". */
  percentiles: Record<string, number>
  max: number
}

/** A coordinator-side histogram of microseconds, fed with workers' buckets. */
export class LatencyHistogram {
  private readonly h: Histogram = build({ useWebAssembly: false, numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, autoResize: true })

  /** Adds a worker's `{ bucket: count }` (bounded: a count must be a non-negative integer). */
  add(buckets: Record<string, number> | undefined): void {
    if (!buckets) return
    for (const [k, n] of Object.entries(buckets)) {
      const v = Number(k)
      if (!Number.isFinite(v) || v < 0 || !Number.isInteger(n) || n <= 0) continue
      this.h.recordValueWithCount(Math.max(1, v), n)
    }
  }

  addHistogram(other: LatencyHistogram): void {
    this.h.add(other.h)
  }

  get count(): number {
    return this.h.totalCount
  }

  /** In milliseconds; NaN when empty. */
  percentile(p: number): number {
    return this.h.totalCount === 0 ? NaN : this.h.getValueAtPercentile(p) / 1000
  }

  summary(): LatencySummary {
    const empty = this.h.totalCount === 0
    const percentiles: Record<string, number> = {}
    for (const p of PERCENTILES) percentiles[`p${p}`] = this.percentile(p)
    return { count: this.h.totalCount, mean: empty ? NaN : this.h.mean / 1000, percentiles, max: empty ? NaN : this.h.maxValue / 1000 }
  }

  reset(): void {
    this.h.reset()
  }
}
