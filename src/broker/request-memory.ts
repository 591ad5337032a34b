/**
 * The broker-wide budget of request bytes read but not yet answered (queued.max.request.bytes).
 * It works like Kafka's SimpleMemoryPool in non-strict mode: a connection reserves a frame's
 * declared size as soon as the size is read, and the reservation succeeds while any budget is
 * left, so a request of up to socket.request.max.bytes can always be read and the most ever
 * reserved is the budget plus one largest request. A connection refused stops reading its
 * socket and waits in line; answers free bytes and wake the waiters in order.
 */
export class RequestMemory {
  private used = 0
  /** Insertion order is the order connections ran out. */
  private readonly waiters = new Set<() => void>()
  private waking = false

  constructor(readonly budget: number) {}

  /** Bytes reserved now. */
  get inUse(): number {
    return this.used
  }

  /** Connections waiting for budget. */
  get waiting(): number {
    return this.waiters.size
  }

  tryReserve(bytes: number): boolean {
    if (this.used >= this.budget) return false
    this.used += bytes
    return true
  }

  release(bytes: number): void {
    if (bytes <= 0) return
    this.used -= bytes
    if (this.waiters.size > 0 && this.used < this.budget) this.wakeSoon()
  }

  /** Calls `wake` once budget is free again (unless cancelled first). */
  wait(wake: () => void): void {
    this.waiters.add(wake)
  }

  cancel(wake: () => void): void {
    this.waiters.delete(wake)
  }

  // A release happens inside a connection's own callbacks (a response completing); waking
  // another connection there would re-enter it mid-update, so waking waits for the next turn.
  private wakeSoon(): void {
    if (this.waking) return
    this.waking = true
    setImmediate(() => {
      this.waking = false
      for (const wake of this.waiters) {
        if (this.used >= this.budget) break
        this.waiters.delete(wake)
        wake()
      }
    })
  }
}
