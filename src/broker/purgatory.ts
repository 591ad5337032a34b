/**
 * Delayed operations. A produce with acks=-1 waits (awaitHighWatermark) until the partition's
 * high watermark passes what it wrote. A Fetch that has fewer than `min_bytes` to return waits up to
 * `max_wait_ms`; a `LogWatch` wakes it as soon as one of its partitions moves (high watermark,
 * truncation, log start), when the client goes away or the broker shuts down. The watch is
 * armed before any read that does I/O, and otherwise right after a read that found too little
 * (nothing can run in between), so an append that lands between the read and the wait is not
 * missed (replica-fetch.ts).
 */
import { ErrorCode } from '../protocol/errors.js'
import type { LogListener, UnifiedLog } from '../storage/index.js'
import type { Time } from '../util/time.js'
import type { Partition } from './partition.js'

export class LogWatch {
  private changed = false
  private wake: (() => void) | undefined
  private readonly logs = new Set<UnifiedLog>()
  /** One listener for every log watched (a consumer's fetch sets one up per long poll). */
  private readonly listener: LogListener

  /**
   * Consumers read up to the high watermark, so an append alone gives them nothing new;
   * followers read up to the log end, so they wake on appends too (`wakeOnAppend`).
   */
  constructor(logs: Iterable<UnifiedLog>, options: { wakeOnAppend?: boolean } = {}) {
    const onAppend = options.wakeOnAppend ?? false
    this.listener = (e) => {
      if (e.type !== 'append' || onAppend) this.notify()
    }
    // A log listed twice is watched once.
    for (const log of logs) {
      if (this.logs.has(log)) continue
      this.logs.add(log)
      log.subscribe(this.listener)
    }
  }

  private notify(): void {
    this.changed = true
    this.wake?.()
  }

  /**
   * Resolves true when a watched log changed since the last call (at once if it already had),
   * false after `ms` or when `signal` aborts.
   */
  wait(ms: number, signal: AbortSignal): Promise<boolean> {
    if (this.changed) {
      this.changed = false
      return Promise.resolve(true)
    }
    if (ms <= 0 || signal.aborted) return Promise.resolve(false)
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        this.wake = undefined
        const changed = this.changed
        this.changed = false
        resolve(changed)
      }
      const timer = setTimeout(done, ms)
      signal.addEventListener('abort', done, { once: true })
      this.wake = done
    })
  }

  close(): void {
    for (const log of this.logs) log.unsubscribe(this.listener)
    this.logs.clear()
    this.wake?.()
  }
}

/**
 * The delayed produce of acks=-1 for one partition: resolves NONE once the partition's high
 * watermark reaches `offset`, NOT_LEADER_OR_FOLLOWER as soon as the broker stops leading it
 * under `leaderEpoch`, REQUEST_TIMED_OUT at `deadline` (on `time`), and REQUEST_TIMED_OUT
 * too when `signal` aborts (the client went away; nobody reads the answer).
 */
export function awaitHighWatermark(args: { partition: Partition; offset: number; leaderEpoch: number; time: Time; deadline: number; signal?: AbortSignal }): Promise<number> {
  const { partition, offset, leaderEpoch, time, deadline, signal } = args
  const now = (): number | undefined => {
    if (partition.role !== 'leader' || partition.leaderEpoch !== leaderEpoch) return ErrorCode.NOT_LEADER_OR_FOLLOWER
    if (partition.highWatermark >= offset) return ErrorCode.NONE
    return undefined
  }
  const first = now()
  if (first !== undefined) return Promise.resolve(first)
  if (signal?.aborted) return Promise.resolve(ErrorCode.REQUEST_TIMED_OUT)
  return new Promise((resolve) => {
    const finish = (code: number): void => {
      time.clearTimeout(timer)
      unwatch()
      signal?.removeEventListener('abort', onAbort)
      resolve(code)
    }
    const onAbort = (): void => finish(ErrorCode.REQUEST_TIMED_OUT)
    const unwatch = partition.watch(() => {
      const code = now()
      if (code !== undefined) finish(code)
    })
    const timer = time.setTimeout(() => finish(ErrorCode.REQUEST_TIMED_OUT), Math.max(0, deadline - time.now()))
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
