/**
 * Delayed operations. A Fetch that has fewer than `min_bytes` to return waits up to
 * `max_wait_ms`; a `LogWatch` wakes it as soon as one of its partitions moves (high watermark,
 * truncation, log start), when the client goes away or the broker shuts down. The watch is
 * armed before the first read, so an append that lands between the read and the wait is not
 * missed.
 */
import type { UnifiedLog } from '../storage/index.js'

export class LogWatch {
  private changed = false
  private wake: (() => void) | undefined
  private readonly unsubscribe: Array<() => void> = []

  constructor(logs: Iterable<UnifiedLog>) {
    for (const log of new Set(logs)) {
      this.unsubscribe.push(
        log.subscribe((e) => {
          if (e.type !== 'append') this.notify()
        }),
      )
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
    for (const u of this.unsubscribe) u()
    this.unsubscribe.length = 0
    this.wake?.()
  }
}
