/**
 * How records reach the application: `poll()`, the record iterator and `batches()`, all fed
 * from the fetch buffer.
 *
 * Every call first runs the consumer's "service" step when something flagged `attention`
 * (a rebalance to run, an automatic commit due, an error to throw, an abort, close): that is
 * where rebalances and commits happen, between two deliveries. When nothing needs attention
 * and the decoded batch has records left, the iterator's `next()` hands out the next one
 * without any await; otherwise it takes the slow path, which services, decodes the next batch
 * or waits for the fetcher, the resolver or the group to wake it.
 *
 * A record counts as delivered (its partition's position moves past it) when it is handed out.
 */
import { abortReason } from '../base/errors.js'
import type { CompletedFetch, FetchBuffer } from './fetch-buffer.js'
import type { PartitionState } from './subscription-state.js'
import type { ConsumerBatch, ConsumerRecord, IterateOptions, PollOptions } from './types.js'
import { trace } from '../../util/trace.js'

export interface DeliveryHooks {
  /** Rebalance steps, automatic commits; may throw (a fatal group error). */
  service(signal?: AbortSignal): Promise<void>
  /** Nothing to deliver: make sure offset lookups and fetches are under way. */
  idle(): void
  /** A fetch was used up; the fetcher may fetch that partition again. */
  drained(): void
  isClosing(): boolean
}

/** Node's largest timeout (longer ones fire at once). */
const MAX_TIMER_MS = 2_147_483_647

export class Delivery {
  /** Something needs the slow path (rebalance, error, auto-commit, abort, close). */
  attention = true
  /** The fetch records are being handed out from. */
  private current: CompletedFetch | null = null
  /** Errors for the next poll; those about one partition lapse once it has a position again. */
  private readonly errors: Array<{ error: Error; state: PartitionState | undefined }> = []
  private waiters: Array<() => void> = []
  private servicing: Promise<void> | null = null
  private polling = 0
  private deliveries = 0
  private seenDeliveries = 0
  private lastPollAt = Date.now()

  constructor(
    private readonly buffer: FetchBuffer,
    private readonly maxPollRecords: number,
    private readonly hooks: DeliveryHooks,
  ) {}

  report(error: Error, state?: PartitionState): void {
    this.errors.push({ error, state })
    this.wake()
  }

  /** Sends the next poll through the slow path and wakes any waiting one. */
  wake(): void {
    this.attention = true
    this.notify()
  }

  /** Wakes waiting polls (new data, positions, a resume). */
  notify(): void {
    if (this.waiters.length === 0) return
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  /**
   * Resolves on the next notify, at the deadline, or on abort. The timer is set (and keeps the
   * process alive) even without a deadline: the consumer's own retry timers do not, so between
   * two connection attempts an application awaiting records would otherwise see Node exit
   * under it. Waking after the longest timer Node allows is harmless: the caller waits again.
   */
  waitForEvent(deadline: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      this.waiters.push(done)
      const timer = setTimeout(done, deadline === Infinity ? MAX_TIMER_MS : Math.min(MAX_TIMER_MS, Math.max(0, deadline - Date.now())))
      signal?.addEventListener('abort', done, { once: true })
    })
  }

  /** Stops handing out from the current fetch when it went stale (seek, reset, revocation) or `pred` says so (pause). */
  forget(pred?: (s: PartitionState) => boolean): void {
    if (this.current && (this.current.isStale || pred?.(this.current.state))) this.current = null
  }

  /** Milliseconds since the application last asked for records; 0 while it waits in a poll. */
  pollIdleMs(): number {
    const now = Date.now()
    // The fast path counts deliveries instead of reading the clock.
    if (this.polling > 0 || this.deliveries !== this.seenDeliveries) {
      this.seenDeliveries = this.deliveries
      this.lastPollAt = now
    }
    return now - this.lastPollAt
  }

  /** Lets a running service step finish (close waits for it). */
  settled(): Promise<void> {
    return this.servicing?.catch(() => {}) ?? Promise.resolve()
  }

  private service(signal?: AbortSignal): Promise<void> {
    this.servicing ??= this.runService(signal).finally(() => (this.servicing = null))
    return this.servicing
  }

  private async runService(signal?: AbortSignal): Promise<void> {
    this.attention = false
    try {
      if (signal?.aborted) throw abortReason(signal)
      await this.hooks.service(signal)
    } catch (e) {
      this.attention = true
      throw e
    }
    for (let e = this.errors.shift(); e; e = this.errors.shift()) {
      if (e.state && !e.state.failed) continue
      this.attention = true
      throw e.error
    }
  }

  /**
   * Decodes the fetch's next batch. Corrupt data stops the partition (it waits for a seek, as
   * in Java) rather than being skipped.
   */
  private decodeNext(cf: CompletedFetch): boolean {
    try {
      return cf.decodeNext()
    } catch (e) {
      const s = cf.state
      this.buffer.drop((x) => x === s)
      this.current = null
      s.fetchPosition = null
      s.failed = true
      throw Object.assign(new Error(`corrupt data in ${s.topic}-${s.partition} after offset ${s.position}: ${(e as Error).message}; seek() past it to go on`, { cause: e }), { code: 'CORRUPT_MESSAGE' })
    }
  }

  /** The fetch to deliver from next (with a decoded batch), or null when nothing is buffered. */
  private nextFetch(): CompletedFetch | null {
    for (;;) {
      let cf = this.current
      if (cf !== null && (cf.isStale || cf.state.paused)) cf = this.current = null
      if (cf === null) {
        cf = this.buffer.next() ?? null
        if (cf === null) return null
        this.current = cf
      }
      if (cf.idx < cf.records.length) return cf
      if (this.decodeNext(cf)) return cf
      // Used up: the position moves past trailing control batches and aborted transactions.
      this.buffer.remove(cf)
      this.current = null
      const s = cf.state
      if (!cf.isStale && s.position !== null && s.position < cf.nextFetchOffset) s.position = cf.nextFetchOffset
      this.hooks.drained()
    }
  }

  /** Waits until a fetch with records is ready; null at the deadline or on close. */
  private async fill(deadline: number, signal?: AbortSignal): Promise<CompletedFetch | null> {
    for (;;) {
      if (this.attention) await this.service(signal)
      if (this.hooks.isClosing()) return null
      const cf = this.nextFetch()
      if (cf) return cf
      if (Date.now() >= deadline) return null
      this.hooks.idle()
      await this.waitForEvent(deadline, signal)
      if (signal?.aborted) throw abortReason(signal)
    }
  }

  private deliver(cf: CompletedFetch, n: number): ConsumerRecord[] {
    const from = cf.idx
    const to = Math.min(cf.records.length, from + n)
    const out = from === 0 && to === cf.records.length ? cf.records : cf.records.slice(from, to)
    cf.idx = to
    const last = out[out.length - 1]!
    trace?.emit(undefined, 'consumer.delivered', cf.state.topic, cf.state.partition, out[0]!.offset, last.offset)
    cf.state.position = last.offset + 1n
    cf.state.positionLeaderEpoch = last.leaderEpoch
    this.deliveries++
    return out
  }

  /** Runs `f` as a poll: the poll interval clock does not run meanwhile. */
  private async polled<T>(f: () => Promise<T>): Promise<T> {
    this.polling++
    try {
      return await f()
    } finally {
      this.polling--
      this.lastPollAt = Date.now()
    }
  }

  poll(opts: PollOptions = {}): Promise<ConsumerRecord[]> {
    const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs
    const max = this.maxPollRecords
    return this.polled(async () => {
      let cf = await this.fill(deadline, opts.signal)
      if (!cf) return []
      const out = this.deliver(cf, max)
      while (out.length < max) {
        try {
          cf = this.nextFetch()
        } catch (e) {
          // What was gathered is returned; the error comes with the next poll.
          this.report(e as Error)
          break
        }
        if (!cf) break
        for (const r of this.deliver(cf, max - out.length)) out.push(r)
      }
      return out
    })
  }

  records(opts: IterateOptions = {}): AsyncIterableIterator<ConsumerRecord> {
    const signal = opts.signal
    const onAbort = () => this.wake()
    signal?.addEventListener('abort', onAbort, { once: true })
    const slow = () =>
      this.polled(async (): Promise<IteratorResult<ConsumerRecord>> => {
        const cf = await this.fill(Infinity, signal)
        return cf ? { done: false, value: this.deliver(cf, 1)[0]! } : { done: true, value: undefined }
      })
    const it: AsyncIterableIterator<ConsumerRecord> = {
      next: () => {
        // Fast path: the next record of the decoded batch, without any await.
        if (!this.attention) {
          const cf = this.current
          if (cf !== null) {
            const r = cf.records[cf.idx]
            if (r !== undefined) {
              cf.idx++
              cf.state.position = r.offset + 1n
              cf.state.positionLeaderEpoch = r.leaderEpoch
              this.deliveries++
              return Promise.resolve({ done: false, value: r })
            }
          }
        }
        return slow()
      },
      return: () => {
        signal?.removeEventListener('abort', onAbort)
        return Promise.resolve({ done: true, value: undefined })
      },
      [Symbol.asyncIterator]: () => it,
    }
    return it
  }

  async *batches(opts: IterateOptions = {}): AsyncGenerator<ConsumerBatch, void, undefined> {
    const max = this.maxPollRecords
    for (;;) {
      const got = await this.polled(async () => {
        const cf = await this.fill(Infinity, opts.signal)
        if (!cf) return null
        let records = this.deliver(cf, max)
        // Further batches of the same fetch join in, up to maxPollRecords.
        try {
          while (records.length < max && cf.idx >= cf.records.length && !cf.isStale && this.decodeNext(cf)) {
            if (records === cf.records) records = records.slice()
            for (const r of this.deliver(cf, max - records.length)) records.push(r)
          }
        } catch (e) {
          this.report(e as Error)
        }
        return { cf, records }
      })
      if (!got) return
      const { cf, records } = got
      yield {
        topic: cf.state.topic,
        partition: cf.state.partition,
        records,
        highWatermark: cf.highWatermark,
        lastStableOffset: cf.lastStableOffset,
        logStartOffset: cf.logStartOffset,
      }
    }
  }
}
