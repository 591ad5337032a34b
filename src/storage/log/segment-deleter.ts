/**
 * Deletes segments the way Kafka does: rename the files to `*.deleted` at once (the segment
 * is already out of the log), unlink them after file.delete.delay.ms so fetches still reading
 * a range of them can finish.
 */
import type { StorageLogger } from '../logger.js'
import type { Segment } from './segment.js'

export class SegmentDeleter {
  private readonly pending = new Map<Segment, NodeJS.Timeout>()
  private readonly running = new Set<Promise<void>>()

  constructor(private readonly logger: StorageLogger) {}

  /** Renames now; unlinks after `delayMs` (immediately when 0). */
  async delete(seg: Segment, delayMs: number): Promise<void> {
    await seg.markDeleted()
    if (delayMs <= 0) {
      await seg.deleteFiles()
      return
    }
    const timer = setTimeout(() => {
      this.pending.delete(seg)
      const run = seg
        .deleteFiles()
        .catch((err: Error) => this.logger.warn(`deleting ${seg.log.path} failed: ${err.message}`))
        .finally(() => this.running.delete(run))
      this.running.add(run)
    }, delayMs)
    timer.unref()
    this.pending.set(seg, timer)
  }

  /** Waits for unlinks already started. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.running])
  }

  /** Unlinks everything still waiting (at close: no reader is left). */
  async deleteAllNow(): Promise<void> {
    for (const [seg, timer] of this.pending) {
      clearTimeout(timer)
      await seg.deleteFiles()
    }
    this.pending.clear()
    await Promise.allSettled([...this.running])
  }
}
