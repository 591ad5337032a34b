/**
 * The cleaner's I/O budget (log.cleaner.io.max.bytes.per.second, Kafka's Throttler): bytes read
 * and written are counted, and once they run ahead of the rate the cleaner waits until they are
 * back within it. Infinity: no limit. Shared by every log the cleaner works on.
 */
import { setTimeout as sleep } from 'node:timers/promises'

export class Throttle {
  private started = performance.now()
  private bytes = 0

  constructor(readonly bytesPerSecond: number) {}

  async take(n: number): Promise<void> {
    if (!Number.isFinite(this.bytesPerSecond)) return
    this.bytes += n
    const elapsed = performance.now() - this.started
    const due = (this.bytes / this.bytesPerSecond) * 1000
    if (due > elapsed) await sleep(due - elapsed)
    // A window of a second keeps a long idle spell from granting a burst later.
    if (elapsed > 1000) {
      this.started = performance.now()
      this.bytes = 0
    }
  }
}
