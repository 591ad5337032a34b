/** Runs async sections one at a time, in call order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()
  /** Sections called and not yet settled (runNow starts at once only at 0). */
  private pending = 0

  /** Runs `fn` after every section called before it; it starts in a later microtask even when the mutex is free. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.chain(this.tail.then(fn))
  }

  /**
   * run, except that a section called while the mutex is free starts at once, in the caller's
   * turn: an append that needs no I/O wait then runs to its end without yielding (10,000
   * partitions written round robin spent a share of the broker's CPU deferring, suspending and
   * resuming such sections). Only for callers that do not mind the section's synchronous part
   * running before runNow returns; the coordinators' queues rely on run's deferred start.
   */
  runNow<T>(fn: () => Promise<T>): Promise<T> {
    if (this.pending > 0) return this.run(fn)
    let result: Promise<T>
    try {
      result = fn()
    } catch (err) {
      result = Promise.reject(err)
    }
    return this.chain(result)
  }

  private chain<T>(result: Promise<T>): Promise<T> {
    this.pending++
    this.tail = result.then(this.settled, this.settled)
    return result
  }

  private readonly settled = (): void => {
    this.pending--
  }
}
