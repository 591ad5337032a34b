/**
 * Schedules cleaning (Kafka's LogCleaner + LogCleanerManager): every log.cleaner.backoff.ms it
 * takes the compacted logs (cleanup.policy includes compact, read from each log's config at the
 * time, so a policy changed at run time is picked up), dirtiest first, whose dirty ratio reaches
 * min.cleanable.dirty.ratio or whose max.compaction.lag.ms is due, and cleans up to
 * log.cleaner.threads of them at once, each with its share of log.cleaner.dedupe.buffer.size, all
 * within one log.cleaner.io.max.bytes.per.second budget. Where each log's last clean ended is kept
 * in `cleaner-offset-checkpoint` per log dir (Kafka's file and format).
 *
 * Each pass runs its heavy half in one of log.cleaner.threads worker threads (worker-pool.ts);
 * the choosing, the swaps and the checkpoint stay here. stop() terminates the workers.
 */
import { join } from 'node:path'
import type { StorageLogger } from '../../logger.js'
import { partitionKey, readOffsetCheckpoint, writeOffsetCheckpoint } from '../../checkpoint/offset-checkpoint.js'
import type { UnifiedLog } from '../unified-log.js'
import { cleanability, cleanLog, type CleanResult } from './cleaner.js'
import { CleanerPool } from './worker-pool.js'

export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint'

export interface LogCleanerOptions {
  /** log.cleaner.threads: logs cleaned at once. */
  threads: number
  /** log.cleaner.dedupe.buffer.size: memory of all offset maps together. */
  dedupeBufferBytes: number
  /** log.cleaner.io.max.bytes.per.second; Infinity: unlimited. */
  ioMaxBytesPerSecond: number
}

export interface CleanedLog {
  topic: string
  partition: number
  result: CleanResult
}

export class LogCleaner {
  private readonly pool: CleanerPool
  private stopping = false
  /** First dirty offset per log dir, by `topic-partition` (loaded lazily from the checkpoint). */
  private readonly checkpoints = new Map<string, Map<string, number>>()
  /** Totals since start, for the bench and operations. */
  readonly totals = { passes: 0, bytesRead: 0, bytesWritten: 0, recordsRemoved: 0 }

  private readonly mapBytes: number
  private readonly threads: number

  constructor(
    options: LogCleanerOptions,
    private readonly logger: StorageLogger,
  ) {
    // Kafka's default budget is Double.MAX_VALUE: no limit.
    const ioMaxBytesPerSecond = options.ioMaxBytesPerSecond >= 1e300 ? Number.POSITIVE_INFINITY : options.ioMaxBytesPerSecond
    this.threads = Math.max(1, options.threads)
    this.pool = new CleanerPool({ threads: this.threads, ioMaxBytesPerSecond, onWorkerDeath: (why) => this.logger.warn(`log cleaner: ${why}; a new worker takes its place`) })
    this.mapBytes = Math.floor(options.dedupeBufferBytes / this.threads)
  }

  /**
   * An offset map for a pass: its share of log.cleaner.dedupe.buffer.size, or less when the dirty
   * bytes cannot hold that many keys (a record takes at least 8 bytes), so a broker whose
   * compacted logs are small (tests, a quiet __consumer_offsets) does not hold 128 MiB for them.
   */
  private offsetMapBytes(dirtyBytes: number): number {
    const needed = Math.ceil(dirtyBytes / 8 / 0.9 + 1) * 24
    return Math.max(24, Math.min(this.mapBytes, needed))
  }

  /** Workers started so far (tests: a dead one is replaced). */
  get workersStarted(): number {
    return this.pool.started
  }

  /** Workers alive now (0 after stop). */
  get workersRunning(): number {
    return this.pool.running
  }

  /** Terminates the workers: a pass running fails without a trace (its log keeps its segments). */
  async stop(): Promise<void> {
    this.stopping = true
    await this.pool.close()
  }

  /** One round over `logs` (with their log dir paths); returns what was cleaned. */
  async cleanOnce(logs: ReadonlyArray<{ log: UnifiedLog; dir: string }>, now: number): Promise<CleanedLog[]> {
    const candidates: Array<{ log: UnifiedLog; dir: string; firstDirty: number; ratio: number; dirtyBytes: number }> = []
    for (const { log, dir } of logs) {
      if (log.isClosed || !log.config.compact) continue
      let checkpointed = (await this.checkpointOf(dir)).get(partitionKey(log.topic, log.partition)) ?? 0
      // Past the log end, the log was truncated (or made again) since: clean it from its start.
      if (checkpointed > log.logEndOffset) checkpointed = 0
      const firstDirty = Math.max(checkpointed, log.logStartOffset)
      const c = await cleanability(log.cleaner(), now, firstDirty)
      if (c.dirtyBytes > 0 && (c.ratio >= log.config.minCleanableDirtyRatio || c.due)) candidates.push({ log, dir, firstDirty, ratio: c.ratio, dirtyBytes: c.dirtyBytes })
    }
    if (candidates.length === 0 || this.stopping) return []
    candidates.sort((a, b) => b.ratio - a.ratio)
    const done: CleanedLog[] = []
    const queue = candidates.slice()
    await Promise.all(
      Array.from({ length: this.threads }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const { log, dir, firstDirty, dirtyBytes } = next
          try {
            const result = await cleanLog(log.cleaner(), { now, firstDirtyOffset: firstDirty, worker: { pool: this.pool, mapBytes: this.offsetMapBytes(dirtyBytes) }, force: true })
            if (!result) continue
            ;(await this.checkpointOf(dir)).set(partitionKey(log.topic, log.partition), result.endOffset)
            this.totals.passes++
            this.totals.bytesRead += result.bytesRead
            this.totals.bytesWritten += result.bytesWritten
            this.totals.recordsRemoved += result.recordsRemoved
            done.push({ topic: log.topic, partition: log.partition, result })
            this.logger.info(`cleaned ${log.topic}-${log.partition} up to ${result.endOffset}: ${result.segmentsBefore} -> ${result.segmentsAfter} segments, ${result.recordsRemoved} of ${result.recordsRead} records removed`)
          } catch (err) {
            if (log.isClosed || this.stopping) continue
            this.logger.warn(`cleaning ${log.topic}-${log.partition} failed: ${(err as Error).message}`)
          }
        }
      }),
    )
    for (const dir of new Set(done.map((d) => candidates.find((c) => c.log.topic === d.topic && c.log.partition === d.partition)!.dir))) await this.writeCheckpoint(dir)
    return done
  }

  /** Forgets a deleted log (its checkpoint entry goes with the next write). */
  forget(dir: string, topic: string, partition: number): void {
    this.checkpoints.get(dir)?.delete(partitionKey(topic, partition))
  }

  private async checkpointOf(dir: string): Promise<Map<string, number>> {
    let m = this.checkpoints.get(dir)
    if (!m) {
      m = await readOffsetCheckpoint(join(dir, CLEANER_CHECKPOINT_FILE)).catch((err: Error) => {
        this.logger.warn(`${join(dir, CLEANER_CHECKPOINT_FILE)} unreadable, cleaning from the log starts: ${err.message}`)
        return new Map<string, number>()
      })
      this.checkpoints.set(dir, m)
    }
    return m
  }

  private async writeCheckpoint(dir: string): Promise<void> {
    const entries = [...(await this.checkpointOf(dir))].map(([key, offset]) => {
      const dash = key.lastIndexOf('-')
      return { topic: key.slice(0, dash), partition: Number(key.slice(dash + 1)), offset }
    })
    await writeOffsetCheckpoint(join(dir, CLEANER_CHECKPOINT_FILE), entries)
  }
}
