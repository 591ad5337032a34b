/**
 * Client quotas measured and enforced (Kafka's ClientQuotaManager, KIP-13/124/219/599): one
 * sampled rate per quota key and per who-shares-it (resolve.ts), recorded as requests are
 * served; a rate above its bound gives the throttle time that brings it back. The bound is
 * looked up on every record, so quota changes in the metadata store apply at once.
 */
import type { Time } from '../../util/time.js'
import type { QuotaKey } from './entity.js'
import { resolveQuota, type QuotaTable } from './resolve.js'
import { SampledRate, throttleTimeMs, type RateConfig } from './rate.js'

export interface ClientQuotaManagerOptions {
  /** The stored quotas, read on every record (the metadata store's current view). */
  table: () => QuotaTable
  time: Time
  /** quota.window.num */
  samples: number
  /** quota.window.size.seconds, in ms */
  windowMs: number
}

interface Sensor {
  rate: SampledRate
  lastRecord: number
}

const THROTTLING_KEYS: QuotaKey[] = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage']

/** Records between sweeps of rates no one used for a whole window. */
const SWEEP_EVERY = 1024

export class ClientQuotaManager {
  private readonly sensors = new Map<string, Sensor>()
  private readonly rateConfig: RateConfig
  private records = 0

  constructor(private readonly opts: ClientQuotaManagerOptions) {
    this.rateConfig = { samples: opts.samples, windowMs: opts.windowMs }
  }

  get time(): Time {
    return this.opts.time
  }

  /** The longest throttle: the whole measured window (enough for any rate to fall to zero). */
  get maxThrottleMs(): number {
    return this.opts.samples * this.opts.windowMs
  }

  /** Whether a quota that throttles connections (bytes or request time) applies to this user and client id. */
  limits(user: string, clientId: string): boolean {
    const table = this.opts.table()
    if (table.size === 0) return false
    return THROTTLING_KEYS.some((k) => resolveQuota(table, k, user, clientId) !== undefined)
  }

  /** Whether the rate of the quota of `key` is already over its bound (strict quotas refuse then). */
  exceeded(key: QuotaKey, user: string, clientId: string): boolean {
    const q = resolveQuota(this.opts.table(), key, user, clientId)
    if (!q) return false
    const s = this.sensors.get(`${key}\u0000${q.user}\u0000${q.clientId}`)
    return s !== undefined && s.rate.measure(this.opts.time.now()) > q.bound
  }

  /**
   * The most a quota of `key` lets through in one go (Kafka's getMaxValueInQuotaWindow): the
   * bound over samples-1 windows; undefined without a quota.
   */
  maxValueInWindow(key: QuotaKey, user: string, clientId: string): number | undefined {
    const q = resolveQuota(this.opts.table(), key, user, clientId)
    if (!q) return undefined
    return Math.max(1, Math.floor((q.bound * (this.opts.samples - 1) * this.opts.windowMs) / 1000))
  }

  /**
   * Records `value` against the quota of `key` that applies (if any) and answers the throttle
   * time in ms (0 within the bound). Recorded even when throttled, as Kafka does: the client
   * pays for what it was given.
   */
  record(key: QuotaKey, user: string, clientId: string, value: number): number {
    const q = resolveQuota(this.opts.table(), key, user, clientId)
    if (!q) return 0
    const now = this.opts.time.now()
    const sensor = this.sensor(`${key}\u0000${q.user}\u0000${q.clientId}`, now)
    sensor.rate.record(value, now)
    return throttleTimeMs(sensor.rate, q.bound, now, this.maxThrottleMs)
  }

  /** Takes back a record (Fetch: a throttled response is sent without its data, so its bytes do not count). */
  unrecord(key: QuotaKey, user: string, clientId: string, value: number): void {
    const q = resolveQuota(this.opts.table(), key, user, clientId)
    if (!q) return
    const sensor = this.sensors.get(`${key}\u0000${q.user}\u0000${q.clientId}`)
    sensor?.rate.record(-value, this.opts.time.now())
  }

  /** The measured rate (per second) of the quota of `key` that applies; undefined without one. */
  rate(key: QuotaKey, user: string, clientId: string): number | undefined {
    const q = resolveQuota(this.opts.table(), key, user, clientId)
    if (!q) return undefined
    return this.sensors.get(`${key}\u0000${q.user}\u0000${q.clientId}`)?.rate.measure(this.opts.time.now()) ?? 0
  }

  private sensor(id: string, now: number): Sensor {
    if (++this.records % SWEEP_EVERY === 0) this.sweep(now)
    let s = this.sensors.get(id)
    if (!s) this.sensors.set(id, (s = { rate: new SampledRate(this.rateConfig, now), lastRecord: now }))
    s.lastRecord = now
    return s
  }

  /** Rates idle for the whole window measure zero: dropping them bounds memory by the active clients. */
  private sweep(now: number): void {
    for (const [id, s] of this.sensors) if (now - s.lastRecord > this.maxThrottleMs) this.sensors.delete(id)
  }
}
