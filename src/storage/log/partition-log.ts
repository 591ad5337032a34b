/**
 * The log of one partition: ordered segments plus the offsets that describe them — log start
 * offset, log end offset, high watermark (set by the broker) and recovery point (everything
 * below it is fsynced).
 *
 * Mutations (append, roll, truncation, retention, DeleteRecords) run one at a time under a
 * lock. Reads take no lock: they work on a snapshot of the segment list, and a segment's
 * size grows only after its bytes are written, so a reader never sees a half-written batch.
 * Background fsyncs (flush.ms, after a roll) run outside the lock so appends continue while a
 * flush is in progress; the fsync flush.messages asks for is part of the append, as in Kafka.
 *
 * An append is atomic: every step (roll, leader epoch checkpoint, write, index updates, the
 * fsync flush.messages asks for) registers how to undo itself, and when a step fails the
 * steps done so far are undone in reverse, so the log, its indexes, its offsets and its files
 * are as before and the client's error is the whole story. If an undo itself fails on disk
 * (the file cannot be cut back), the log refuses writes with KAFKA_STORAGE_ERROR and retries
 * the undo before each later write: serving bytes a client was told failed would be worse.
 */
import { rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { readPartitionMetadata, writePartitionMetadata } from '../checkpoint/partition-metadata.js'
import { systemClock, type Clock } from '../clock.js'
import { resolveLogConfig, type LogConfig } from '../config.js'
import { StorageError, storageErrorOf } from '../errors.js'
import { FaultHooks } from '../../util/faults.js'
import { IndexCache } from '../index/index-cache.js'
import { FileCache } from '../io/file-cache.js'
import { consoleLogger, type StorageLogger } from '../logger.js'
import { Mutex } from '../mutex.js'
import type { BatchInfo } from './batch-scanner.js'
import { DELETE_DIR_SUFFIX, PARTITION_METADATA_FILE } from './file-names.js'
import type { EpochEntry, LeaderEpochCache } from './leader-epoch-cache.js'
import { loadLog, type LoadedLog } from './loader.js'
import { offsetForTimestamp, offsetOfMaxTimestamp } from './offset-lookup.js'
import { planRetention, retentionCandidates, type RetentionReason } from './retention.js'
import { SegmentDeleter } from './segment-deleter.js'
import { Segment, readRange, type InactiveMark, type SegmentContext, type SegmentState } from './segment.js'
import { Repairs, type Undo } from './append-undo.js'
import type { Segments } from './segments.js'
import type { AppendResult, FileRange, LogEvent, LogListener, LogReadResult, OffsetAndTimestamp, OffsetQuery, ReadOptions, RecordLocator } from './types.js'
import { readRanges } from './log-reader.js'
import { assignOffsets, validateRecordBatches } from './validator.js'

export interface PartitionLogOptions {
  /** The partition directory, `<logDir>/<topic>-<partition>`. */
  dir: string
  topic: string
  partition: number
  config?: Partial<LogConfig>
  /** Checked against (or written to) partition.metadata. */
  topicId?: string
  clock?: Clock
  /** Shared descriptor pool; a private one is made if absent. */
  files?: FileCache
  indexCache?: IndexCache
  logger?: StorageLogger
  /** From the log dir's checkpoints; absent means 0 / unknown. */
  recoveryPoint?: number
  logStartOffset?: number
  highWatermark?: number
  /** True when the log dir was shut down cleanly: no recovery scan. */
  hadCleanShutdown?: boolean
  /** Fault hooks tests arm (see SegmentContext.faults, plus `segment.roll`, `epochs.write`, `log.create`); default: none armed. */
  faults?: FaultHooks
}


export class PartitionLog {
  readonly dir: string
  readonly topic: string
  readonly partition: number
  private cfg: LogConfig
  private readonly clock: Clock
  private readonly logger: StorageLogger
  private readonly files: FileCache
  private readonly ctx: SegmentContext
  private readonly segments: Segments
  private readonly epochs: LeaderEpochCache
  private readonly lock = new Mutex()
  private readonly listeners = new Set<LogListener>()
  private readonly background = new Set<Promise<unknown>>()
  private readonly deleter: SegmentDeleter
  private startOffset: number
  private endOffset: number
  /** Where the log end offset is in the file: readers must not go past it while an append is in flight. */
  private endPosition: { segment: Segment; position: number }
  private hw: number
  private recoveredTo: number
  private flushedAt: number
  private flushing: Promise<void> | undefined
  private flushingTarget = -1
  private id: string | undefined
  private closed = false
  /** The descriptor pool was made for this log alone and closes with it. */
  private ownsFiles = false
  private readonly repairs: Repairs
  /** What the loader did when this log was opened. */
  readonly recovery: LoadedLog['recovery']

  private constructor(options: PartitionLogOptions, ctx: SegmentContext, loaded: LoadedLog, cfg: LogConfig) {
    this.dir = options.dir
    this.topic = options.topic
    this.partition = options.partition
    this.cfg = cfg
    this.ctx = ctx
    this.clock = ctx.clock
    this.logger = ctx.logger
    this.deleter = new SegmentDeleter(ctx.logger)
    this.files = ctx.files
    this.segments = loaded.segments
    this.epochs = loaded.leaderEpochs
    this.startOffset = loaded.logStartOffset
    this.endOffset = loaded.logEndOffset
    this.endPosition = { segment: loaded.segments.last!, position: loaded.segments.last!.size }
    this.recoveredTo = loaded.recoveryPoint
    this.hw = clamp(options.highWatermark ?? loaded.logStartOffset, loaded.logStartOffset, loaded.logEndOffset)
    this.flushedAt = ctx.clock.now()
    this.id = loaded.topicId
    this.recovery = loaded.recovery
    this.repairs = new Repairs(`${this.topic}-${this.partition}`, ctx.logger)
  }

  /** Opens (creating if needed) the partition directory, recovering it if the shutdown was unclean. */
  static async open(options: PartitionLogOptions): Promise<PartitionLog> {
    const cfg = resolveLogConfig(options.config)
    const holder: { log?: PartitionLog } = {}
    const ctx: SegmentContext = {
      files: options.files ?? new FileCache(),
      clock: options.clock ?? systemClock,
      logger: options.logger ?? consoleLogger,
      config: () => holder.log?.cfg ?? cfg,
      faults: options.faults ?? new FaultHooks(),
      ...(options.indexCache ? { indexCache: options.indexCache } : {}),
    }
    const what = `opening ${options.topic}-${options.partition} in ${options.dir}`
    let loaded: LoadedLog
    try {
      loaded = await loadLog({
        dir: options.dir,
        ctx,
        recoveryPoint: options.recoveryPoint ?? 0,
        ...(options.logStartOffset !== undefined ? { logStartOffset: options.logStartOffset } : {}),
        hadCleanShutdown: options.hadCleanShutdown ?? false,
      })
    } catch (err) {
      throw storageErrorOf(err, what)
    }
    const log = new PartitionLog(options, ctx, loaded, cfg)
    holder.log = log
    log.ownsFiles = options.files === undefined
    if (options.topicId !== undefined) {
      try {
        await log.assignTopicId(options.topicId)
      } catch (err) {
        await log.close({ flush: false })
        if (loaded.created) await rm(options.dir, { recursive: true, force: true }).catch(() => {})
        throw storageErrorOf(err, what)
      }
    }
    return log
  }

  // ---- state -----------------------------------------------------------------------------

  get config(): Readonly<LogConfig> {
    return this.cfg
  }
  get logStartOffset(): number {
    return this.startOffset
  }
  get logEndOffset(): number {
    return this.endOffset
  }
  /** Set by the broker (single node: the log end offset after each append). */
  get highWatermark(): number {
    return this.hw
  }
  /** Every offset below this is on disk (fsynced). */
  get recoveryPoint(): number {
    return this.recoveredTo
  }
  get unflushedMessages(): number {
    return this.endOffset - this.recoveredTo
  }
  get lastFlushTime(): number {
    return this.flushedAt
  }
  get size(): number {
    return this.segments.sizeInBytes()
  }
  get segmentCount(): number {
    return this.segments.count
  }
  get topicId(): string | undefined {
    return this.id
  }
  get isClosed(): boolean {
    return this.closed
  }
  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.segments.all().map((s) => s.baseOffset)
  }

  /** Each segment's size, index entries and tail state, oldest first (tests compare these). */
  async segmentStates(): Promise<SegmentState[]> {
    return Promise.all(this.segments.all().map((s) => s.describe()))
  }

  updateConfig(overrides: Partial<LogConfig>): void {
    this.cfg = resolveLogConfig(overrides, this.cfg)
  }

  /** Listens for appends, high watermark moves and truncation (fetch long-polls wait on these). */
  subscribe(listener: LogListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Moves the high watermark, kept within [log start offset, log end offset]. */
  updateHighWatermark(offset: number): number {
    const hw = clamp(offset, this.startOffset, this.endOffset)
    if (hw !== this.hw) {
      this.hw = hw
      this.emit({ type: 'highWatermark', highWatermark: hw })
    }
    return hw
  }

  // ---- appends ---------------------------------------------------------------------------

  /**
   * Appends one or more v2 batches from a producer (already validated by the broker, e.g.
   * with validateRecordBatches). Assigns offsets by patching each batch's base offset in
   * `records` in place, stamps the partition leader epoch and, under LogAppendTime, the
   * broker time (recomputing the CRC). Resolves once written (and fsynced if flush.messages
   * says so).
   */
  async appendAsLeader(records: Buffer, options: { leaderEpoch: number }): Promise<AppendResult> {
    return this.appendWith(records, () => {
      const { batches } = validateRecordBatches(records, { verifyCrc: false, fromClient: false })
      const logAppendTime = this.cfg.messageTimestampType === 'LogAppendTime' ? this.clock.now() : -1
      assignOffsets(records, batches, { firstOffset: this.endOffset, leaderEpoch: options.leaderEpoch, logAppendTime })
      return { batches, logAppendTime }
    })
  }

  /**
   * Appends batches replicated from the leader, keeping their offsets, epochs and timestamps.
   * Offsets must continue the log (UNEXPECTED_APPEND_OFFSET otherwise).
   */
  async appendAsFollower(records: Buffer): Promise<AppendResult> {
    return this.appendWith(records, () => {
      const { batches } = validateRecordBatches(records, { verifyCrc: true, fromClient: false })
      let prev = this.endOffset - 1
      for (const b of batches) {
        if (b.baseOffset <= prev) {
          throw new StorageError('UNEXPECTED_APPEND_OFFSET', `batch at offset ${b.baseOffset} does not follow ${prev} in ${this.name}`)
        }
        prev = b.lastOffset
      }
      return { batches, logAppendTime: -1 }
    })
  }

  private async appendWith(records: Buffer, prepare: () => { batches: BatchInfo[]; logAppendTime: number }): Promise<AppendResult> {
    return this.lock.run(async () => {
      await this.ensureWritable()
      if (records.length > this.cfg.segmentBytes) {
        throw new StorageError('RECORD_LIST_TOO_LARGE', `${records.length} bytes exceed segment.bytes ${this.cfg.segmentBytes}`)
      }
      const { batches, logAppendTime } = prepare()
      if (batches.length === 0) return this.emptyAppend()
      const first = batches[0]!
      const last = batches.at(-1)!
      let maxTimestamp = -1
      let offsetOfMaxTimestamp = -1
      let recordCount = 0
      for (const b of batches) {
        if (b.maxTimestamp > maxTimestamp) {
          maxTimestamp = b.maxTimestamp
          offsetOfMaxTimestamp = b.baseOffset
        }
        recordCount += b.recordCount
      }
      const end = last.lastOffset + 1
      const fsync = end - this.recoveredTo >= this.cfg.flushMessages
      const undo: Undo[] = []
      let rolledAt: number | undefined
      try {
        const rolled = await this.maybeRoll({ messagesSize: records.length, maxTimestamp, firstOffset: first.baseOffset, lastOffset: last.lastOffset })
        if (rolled) {
          undo.push(rolled.undo)
          rolledAt = rolled.baseOffset
        }
        await this.assignEpochs(batches, undo)
        const active = this.segments.last!
        const mark = await active.append({ records, batches, lastOffset: last.lastOffset, maxTimestamp })
        undo.push(async () => {
          try {
            await active.rollbackTo(mark)
          } catch (e) {
            this.repairs.addCut(active, mark.bytes)
            throw e
          }
        })
        // Inside the lock and before the end offset moves: a failed fsync can still be undone,
        // and no reader has seen bytes that may not be durable.
        if (fsync) await this.flushUpTo(end)
      } catch (err) {
        throw await this.repairs.undo(undo, err)
      }
      this.setEnd(end, this.segments.last!)
      if (fsync) this.recoveredTo = Math.max(this.recoveredTo, end)
      // Flushing the finished segments lets the recovery point pass them, so a crash rescans
      // only the new segment (Kafka does the same). It runs in the background.
      if (rolledAt !== undefined) this.inBackground(this.flushUpTo(rolledAt))
      this.emit({ type: 'append', firstOffset: first.baseOffset, lastOffset: last.lastOffset, logEndOffset: this.endOffset })
      return {
        firstOffset: first.baseOffset,
        lastOffset: last.lastOffset,
        logAppendTime,
        maxTimestamp,
        offsetOfMaxTimestamp,
        logStartOffset: this.startOffset,
        logEndOffset: this.endOffset,
        batchCount: batches.length,
        recordCount,
        bytes: records.length,
      }
    })
  }

  /** Records new leader epochs (before the data, as Kafka does); undone with the append. */
  private async assignEpochs(batches: readonly BatchInfo[], undo: Undo[]): Promise<void> {
    const latest = this.epochs.latestEpoch ?? -1
    if (!batches.some((b) => b.partitionLeaderEpoch > latest)) return
    const before = this.epochs.entries()
    for (const b of batches) this.epochs.assign(b.partitionLeaderEpoch, b.baseOffset)
    // If rewriting the file fails here, an entry for an epoch starting at the log end offset
    // may stay on disk: harmless, the loader drops epochs starting at or past the log end, and
    // the next append in that epoch makes it true.
    undo.push(() => {
      this.epochs.restore(before)
      this.inBackground(this.epochs.flush())
    })
    this.ctx.faults.check('epochs.write', this.epochs.path)
    await this.epochs.flush()
  }

  /** Runs the repairs a failed undo left; throws KAFKA_STORAGE_ERROR while one still fails. */
  private async ensureWritable(): Promise<void> {
    this.ensureOpen()
    await this.repairs.run()
  }

  private emptyAppend(): AppendResult {
    return {
      firstOffset: -1,
      lastOffset: -1,
      logAppendTime: -1,
      maxTimestamp: -1,
      offsetOfMaxTimestamp: -1,
      logStartOffset: this.startOffset,
      logEndOffset: this.endOffset,
      batchCount: 0,
      recordCount: 0,
      bytes: 0,
    }
  }

  private async maybeRoll(args: { messagesSize: number; maxTimestamp: number; firstOffset: number; lastOffset: number }): Promise<Rolled | undefined> {
    const active = this.segments.last!
    const roll = await active.shouldRoll({
      now: this.clock.now(),
      messagesSize: args.messagesSize,
      maxTimestampInMessages: args.maxTimestamp,
      maxOffsetInMessages: args.lastOffset,
      segmentBytes: this.cfg.segmentBytes,
      segmentMs: this.cfg.segmentMs,
    })
    return roll ? this.rollLocked(Math.max(args.firstOffset, this.endOffset)) : undefined
  }

  /** Starts a new active segment at the log end offset. */
  async roll(): Promise<void> {
    await this.lock.run(async () => {
      await this.ensureWritable()
      await this.rollAndFlushLocked()
    })
  }

  private async rollAndFlushLocked(): Promise<void> {
    try {
      const rolled = await this.rollLocked(this.endOffset)
      if (rolled) this.inBackground(this.flushUpTo(rolled.baseOffset))
    } catch (err) {
      throw storageErrorOf(err, `rolling ${this.name}`)
    }
  }

  /**
   * Starts a new active segment at `baseOffset`; undefined if the active segment is already an
   * empty one there. Either completes or leaves no trace; the undo it returns takes it back.
   */
  private async rollLocked(baseOffset: number): Promise<Rolled | undefined> {
    const prev = this.segments.last!
    if (prev.baseOffset === baseOffset) {
      if (prev.size === 0) return undefined // already a fresh segment at this offset
      throw new StorageError('KAFKA_STORAGE_ERROR', `cannot roll ${this.name}: segment ${baseOffset} exists`)
    }
    let seg: Segment | undefined
    let inactive: InactiveMark
    try {
      seg = await Segment.create(this.ctx, { dir: this.dir, baseOffset })
      this.ctx.faults.check('segment.roll', seg.log.path)
      inactive = await prev.onBecomeInactive()
    } catch (err) {
      // Segment.create removes what it made; if that failed, this tries again or leaves a repair.
      await this.removeSegmentFiles(seg ?? Segment.fromDisk(this.ctx, { dir: this.dir, baseOffset, size: 0 })).catch(() => {})
      throw err
    }
    const created = seg
    created.activate()
    this.segments.add(created)
    this.setEnd(this.endOffset, created)
    const undo = async (): Promise<void> => {
      this.segments.remove(created)
      prev.reactivate(inactive)
      this.setEnd(this.endOffset, prev)
      await this.removeSegmentFiles(created)
    }
    return { baseOffset, undo }
  }

  /**
   * Deletes the files of a segment taken back from a failed roll. Left on disk, the empty
   * segment would, after a restart, become the active one in the middle of the data appended
   * to its predecessor since, so failing to delete it is a repair.
   */
  private async removeSegmentFiles(seg: Segment): Promise<void> {
    try {
      await seg.deleteFiles()
    } catch (err) {
      this.repairs.add(`delete the files of the undone segment ${seg.log.path}`, () => seg.deleteFiles())
      throw err
    }
  }

  // ---- reads -----------------------------------------------------------------------------

  /**
   * Finds the bytes to serve for a fetch. Throws OFFSET_OUT_OF_RANGE outside
   * [log start offset, log end offset]. Returns no ranges at the end of the log.
   */
  async read(options: ReadOptions): Promise<LogReadResult> {
    this.ensureOpen()
    const { fromOffset } = options
    const logEnd = this.endOffset
    const end = this.endPosition
    if (fromOffset < this.startOffset || fromOffset > logEnd) {
      throw new StorageError('OFFSET_OUT_OF_RANGE', `offset ${fromOffset} is outside [${this.startOffset}, ${logEnd}] of ${this.name}`)
    }
    const ranges = await readRanges({
      segments: this.segments,
      fromOffset,
      upperOffset: Math.min(options.maxOffset ?? logEnd, logEnd),
      logEndOffset: logEnd,
      end,
      maxBytes: options.maxBytes,
      minOneBatch: options.minOneBatch ?? true,
    })
    const bytes = ranges.reduce((sum, r) => sum + r.length, 0)
    return { ranges, bytes, logStartOffset: this.startOffset, logEndOffset: this.endOffset, highWatermark: this.hw }
  }

  /** The bytes of a range from read(); shorter (or empty) if the segment was truncated or deleted since. */
  readRange(range: FileRange): Promise<Buffer> {
    return readRange(this.files, range.file, range.position, range.length)
  }

  /** read() followed by reading every range into one buffer. */
  async readRecords(options: ReadOptions): Promise<Buffer> {
    const result = await this.read(options)
    const parts = await Promise.all(result.ranges.map((r) => this.readRange(r)))
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  }

  /** ListOffsets: earliest, latest (log end offset), first offset at or after a timestamp, max timestamp. */
  async fetchOffset(query: OffsetQuery, options: { locate?: RecordLocator } = {}): Promise<OffsetAndTimestamp | undefined> {
    this.ensureOpen()
    const locate = options.locate ? { locate: options.locate } : {}
    switch (query.kind) {
      case 'earliest':
        return { offset: this.startOffset, timestamp: -1, leaderEpoch: this.epochs.epochForOffset(this.startOffset) }
      case 'latest':
        return { offset: this.endOffset, timestamp: -1, leaderEpoch: this.epochs.latestEpoch ?? -1 }
      case 'timestamp':
        return offsetForTimestamp({ segments: this.segments.all(), timestamp: query.timestamp, logStartOffset: this.startOffset, ...locate })
      case 'maxTimestamp':
        return offsetOfMaxTimestamp({ segments: this.segments.all(), ...locate })
    }
  }

  /** OffsetForLeaderEpoch: the largest epoch <= `epoch` and where it ends. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    return this.epochs.endOffsetFor(epoch, this.endOffset)
  }

  leaderEpochs(): readonly EpochEntry[] {
    return this.epochs.entries()
  }

  // ---- truncation and deletion -----------------------------------------------------------

  /**
   * Removes every batch holding an offset >= `offset` (replication, on divergence). The log
   * end offset becomes the end of the last remaining batch. Returns whether anything changed.
   */
  async truncateTo(offset: number): Promise<boolean> {
    return this.lock.run(async () => {
      await this.ensureWritable()
      if (offset < 0) throw new StorageError('OFFSET_OUT_OF_RANGE', `cannot truncate ${this.name} to ${offset}`)
      if (offset >= this.endOffset) return false
      if (offset <= this.startOffset) {
        await this.truncateFullyLocked(offset)
        return true
      }
      const later = this.segments.all().filter((s) => s.baseOffset > offset)
      await this.deleteSegments(later)
      const active = this.segments.last!
      active.activate()
      const result = await active.truncateTo(offset)
      this.setEnd(Math.min(offset, result.nextOffset ?? active.baseOffset), active)
      this.afterTruncation()
      return true
    })
  }

  /** Empties the log and restarts it at `offset` (a follower far behind the leader's log start). */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    await this.lock.run(async () => {
      await this.ensureWritable()
      await this.truncateFullyLocked(offset)
    })
  }

  private async truncateFullyLocked(offset: number): Promise<void> {
    await this.deleteSegments(this.segments.all())
    const seg = await Segment.create(this.ctx, { dir: this.dir, baseOffset: offset })
    seg.activate()
    this.segments.add(seg)
    this.startOffset = offset
    this.setEnd(offset, seg)
    this.epochs.clear()
    this.afterTruncation()
    this.emit({ type: 'logStartOffset', logStartOffset: offset })
  }

  private afterTruncation(): void {
    this.hw = Math.min(this.hw, this.endOffset)
    this.recoveredTo = Math.min(this.recoveredTo, this.endOffset)
    this.epochs.truncateFromEnd(this.endOffset)
    this.inBackground(this.epochs.flush())
    this.emit({ type: 'truncate', logEndOffset: this.endOffset })
  }

  /**
   * DeleteRecords: makes `offset` the log start offset (it may not pass the high watermark)
   * and deletes segments that lie wholly below it. Returns the new log start offset.
   */
  async deleteRecordsBefore(offset: number): Promise<number> {
    return this.lock.run(async () => {
      await this.ensureWritable()
      if (offset > this.hw) {
        throw new StorageError('OFFSET_OUT_OF_RANGE', `cannot move the log start offset of ${this.name} to ${offset}, past the high watermark ${this.hw}`)
      }
      if (offset <= this.startOffset) return this.startOffset
      this.setLogStartOffset(offset)
      await this.retentionLocked({ logStartOffsetOnly: true })
      return this.startOffset
    })
  }

  /** Applies retention (retention.ms, retention.bytes, log start offset); returns segments deleted. */
  async deleteOldSegments(): Promise<{ deleted: number; reasons: RetentionReason[] }> {
    return this.lock.run(async () => {
      await this.ensureWritable()
      return this.retentionLocked({ logStartOffsetOnly: false })
    })
  }

  private async retentionLocked(options: { logStartOffsetOnly: boolean }): Promise<{ deleted: number; reasons: RetentionReason[] }> {
    const segs = this.segments.all()
    const plan = await planRetention(retentionCandidates(segs, this.endOffset), {
      now: this.clock.now(),
      retentionMs: options.logStartOffsetOnly ? -1 : this.cfg.retentionMs,
      retentionBytes: options.logStartOffsetOnly ? -1 : this.cfg.retentionBytes,
      logStartOffset: this.startOffset,
      highWatermark: this.hw,
    })
    if (plan.count === 0) return { deleted: 0, reasons: [] }
    if (plan.count === segs.length) await this.rollAndFlushLocked()
    await this.deleteSegments(segs.slice(0, plan.count))
    this.setLogStartOffset(Math.max(this.startOffset, this.segments.first!.baseOffset))
    this.logger.info(`${this.name}: deleted ${plan.count} segment(s) (${plan.reasons.join(', ')})`)
    return { deleted: plan.count, reasons: plan.reasons }
  }

  private setEnd(offset: number, segment: Segment): void {
    this.endOffset = offset
    this.endPosition = { segment, position: segment.size }
  }

  private setLogStartOffset(offset: number): void {
    if (offset === this.startOffset) return
    this.startOffset = offset
    if (this.hw < offset) this.hw = offset
    this.epochs.truncateFromStart(offset)
    this.inBackground(this.epochs.flush())
    this.emit({ type: 'logStartOffset', logStartOffset: offset })
  }

  /** Takes segments out of the log; their files go after file.delete.delay.ms. */
  private async deleteSegments(segs: readonly Segment[]): Promise<void> {
    for (const seg of segs) {
      this.segments.remove(seg)
      await this.deleter.delete(seg, this.cfg.fileDeleteDelayMs)
    }
  }

  // ---- flush and lifecycle ---------------------------------------------------------------

  /** fsyncs everything appended so far; the recovery point moves to the log end offset. */
  flush(): Promise<void> {
    return this.flushUpTo(this.endOffset)
  }

  /** For the flush.ms scheduler: flushes if there is unflushed data older than flush.ms. */
  async flushIfDue(): Promise<boolean> {
    if (this.closed || this.unflushedMessages <= 0) return false
    if (this.clock.now() - this.flushedAt < this.cfg.flushMs) return false
    await this.flush()
    return true
  }

  /**
   * fsyncs the segments holding offsets below `offset`. Concurrent calls share work: a flush
   * already heading at least as far is joined rather than repeated.
   */
  flushUpTo(offset: number): Promise<void> {
    if (offset <= this.recoveredTo) return Promise.resolve()
    if (this.flushing && this.flushingTarget >= offset) return this.flushing
    const prev = this.flushing ?? Promise.resolve()
    this.flushingTarget = offset
    const run: Promise<void> = prev
      .catch(() => {})
      .then(() => this.flushNow(offset))
      .finally(() => {
        if (this.flushing === run) this.flushing = undefined
      })
    this.flushing = run
    return run
  }

  private async flushNow(offset: number): Promise<void> {
    if (offset <= this.recoveredTo) return
    for (const seg of this.segments.range(this.recoveredTo, offset)) await seg.flush()
    this.recoveredTo = Math.max(this.recoveredTo, Math.min(offset, this.endOffset))
    this.flushedAt = this.clock.now()
  }

  /** Waits for background work (flush after roll, epoch file writes, started file deletions). */
  async settle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background])
    await this.deleter.settle()
  }

  /** Flushes (unless told not to), writes final index state and releases descriptors. */
  async close(options: { flush?: boolean } = {}): Promise<void> {
    await this.lock.run(async () => {
      if (this.closed) return
      this.closed = true
      await this.settle()
      await this.repairs.run().catch((err: Error) => this.logger.warn(`${this.name}: closing with a failed append not undone on disk, which a restart may find: ${err.message}`))
      const flush = options.flush ?? true
      for (const seg of this.segments.all()) await seg.close({ flush })
      if (flush) this.recoveredTo = this.endOffset
      await this.epochs.flush()
      await this.deleter.deleteAllNow()
      if (this.ownsFiles) await this.files.closeAll()
      this.listeners.clear()
    })
  }

  /** Closes the log and removes its directory (renamed to `*-delete` first, as Kafka does). */
  async delete(): Promise<void> {
    await this.close({ flush: false })
    const doomed = `${this.dir}.${randomBytes(8).toString('hex')}${DELETE_DIR_SUFFIX}`
    await rename(this.dir, doomed)
    await rm(doomed, { recursive: true, force: true })
  }

  private async assignTopicId(topicId: string): Promise<void> {
    const path = join(this.dir, PARTITION_METADATA_FILE)
    const existing = this.id ?? (await readPartitionMetadata(path))?.topicId
    if (existing !== undefined && existing !== topicId) {
      throw new StorageError('INCONSISTENT_TOPIC_ID', `${this.name} belongs to topic id ${existing}, not ${topicId}`)
    }
    if (existing === undefined) await writePartitionMetadata(path, topicId)
    this.id = topicId
  }

  private get name(): string {
    return `${this.topic}-${this.partition}`
  }

  private ensureOpen(): void {
    if (this.closed) throw new StorageError('LOG_CLOSED', `log ${this.name} is closed`)
  }

  private emit(event: LogEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch (err) {
        this.logger.warn(`${this.name}: log listener failed: ${(err as Error).message}`)
      }
    }
  }

  private inBackground(task: Promise<unknown>): void {
    const tracked = task.catch((err: Error) => this.logger.warn(`${this.name}: background task failed: ${err.message}`))
    this.background.add(tracked)
    void tracked.finally(() => this.background.delete(tracked))
  }
}

/** A roll done by an append: where the new segment starts and how to take it back. */
interface Rolled {
  baseOffset: number
  undo: () => Promise<void>
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi)
}
