/**
 * The log of one partition as the broker sees it (Kafka's UnifiedLog): over the LocalLog's
 * segments it keeps the log start offset, the high watermark (moved by the partition's leader
 * state, never by itself), the leader epoch cache, listeners, and the rules of appending —
 * a producer's batches are validated here, once (validator.ts), offsets are assigned, and the
 * epoch checkpoint, write, index updates and (under flush.messages) fsync happen as one atomic
 * step. Retention and DeleteRecords move the log start offset and delete segments.
 *
 * Mutations (append, roll, truncation, retention, DeleteRecords) run one at a time under a
 * lock. Reads take no lock. Background fsyncs (flush.ms, after a roll) run outside the lock so
 * appends continue while a flush is in progress; the fsync flush.messages asks for is part of
 * the append, as in Kafka.
 *
 * An append is atomic: every step registers how to undo itself, and when a step fails the
 * steps done so far are undone in reverse, so the log, its indexes, its offsets and its files
 * are as before and the client's error is the whole story. If an undo itself fails on disk
 * (the file cannot be cut back), the log refuses writes with KAFKA_STORAGE_ERROR and retries
 * the undo before each later write: serving bytes a client was told failed would be worse.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { readPartitionMetadata, writePartitionMetadata } from '../checkpoint/partition-metadata.js'
import { systemClock, type Clock } from '../clock.js'
import { resolveLogConfig, type LogConfig } from '../config.js'
import { StorageError, storageErrorOf } from '../errors.js'
import { FaultHooks } from '../../util/faults.js'
import type { IndexCache } from '../index/index-cache.js'
import { FileCache } from '../io/file-cache.js'
import { consoleLogger, type StorageLogger } from '../logger.js'
import { Mutex } from '../mutex.js'
import type { Undo } from './append-undo.js'
import { NO_PRODUCER_ID, type BatchInfo } from './batch-scanner.js'
import { PARTITION_METADATA_FILE } from './file-names.js'
import type { EpochEntry, LeaderEpochCache } from './leader-epoch-cache.js'
import { loadLog, type LoadedLog } from './loader.js'
import { legacyOffsetsBefore } from './legacy-offsets.js'
import { LocalLog } from './local-log.js'
import { offsetForTimestamp, offsetOfMaxTimestamp } from './offset-lookup.js'
import { planRetention, retentionCandidates, type RetentionReason } from './retention.js'
import type { SegmentContext, SegmentState } from './segment.js'
import type { AppendResult, FileRange, LogEvent, LogListener, LogReadResult, OffsetAndTimestamp, OffsetQuery, ReadOptions, RecordLocator } from './types.js'
import { assignOffsets, validateProducerRecordsNow, validateRecordBatches, type ProducerChecks, type ValidatedProducerRecords } from './validator.js'
import { TxnIndex } from '../index/txn-index.js'
import { markerOf } from '../producer-state/marker.js'
import type { CompletedTxn, ProducerOrigin } from '../producer-state/producer-append.js'
import { ProducerStateManager, type PreparedProducers, type ProducerBatch } from '../producer-state/producer-state-manager.js'
import type { Segment } from './segment.js'
import type { CleanableLog } from './cleaner/cleaner.js'

export interface UnifiedLogOptions {
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
  /** producer.id.expiration.ms (default one day): how long an idle producer's state is kept. */
  producerIdExpirationMs?: number
}

/** Kafka's default producer.id.expiration.ms: one day. */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000

/**
 * Who wrote the records of a leader append. A client's batches are validated as Kafka's
 * LogValidator does (CRC, sizes, timestamps, keys on compacted topics, request-level rules in
 * `checks`); the broker's own coordinators write batches it encoded itself, which only need
 * their headers read.
 */
export type AppendOrigin = { kind: 'client'; checks: ProducerChecks } | { kind: 'coordinator' }

/** Kafka's default origin: a client, with no request-level rules beyond the log's own. */
const CLIENT: AppendOrigin = { kind: 'client', checks: { singleBatch: false, allowZstd: true } }

export class UnifiedLog {
  readonly dir: string
  readonly topic: string
  readonly partition: number
  private cfg: LogConfig
  private readonly clock: Clock
  private readonly logger: StorageLogger
  private readonly files: FileCache
  private readonly ctx: SegmentContext
  private readonly local: LocalLog
  private readonly epochs: LeaderEpochCache
  private readonly producers: ProducerStateManager
  private readonly lock = new Mutex()
  private readonly listeners = new Set<LogListener>()
  private startOffset: number
  private hw: number
  /** Transactions whose marker is at or above the high watermark (Kafka's unreplicatedTxns). */
  private unreplicatedTxns: CompletedTxn[] = []
  /** The aborted transactions (`.txnindex` files), for read_committed fetches. */
  private txnIndex!: TxnIndex
  private id: string | undefined
  private closed = false
  /** The descriptor pool was made for this log alone and closes with it. */
  private ownsFiles = false
  /** What the loader did when this log was opened. */
  readonly recovery: LoadedLog['recovery']

  private constructor(options: UnifiedLogOptions, ctx: SegmentContext, loaded: LoadedLog, cfg: LogConfig, producers: ProducerStateManager) {
    this.dir = options.dir
    this.topic = options.topic
    this.partition = options.partition
    this.cfg = cfg
    this.ctx = ctx
    this.clock = ctx.clock
    this.logger = ctx.logger
    this.files = ctx.files
    this.local = new LocalLog({ dir: options.dir, name: `${options.topic}-${options.partition}`, ctx, segments: loaded.segments, logEndOffset: loaded.logEndOffset, recoveryPoint: loaded.recoveryPoint })
    this.epochs = loaded.leaderEpochs
    this.producers = producers
    this.startOffset = loaded.logStartOffset
    this.hw = clamp(options.highWatermark ?? loaded.logStartOffset, loaded.logStartOffset, loaded.logEndOffset)
    this.id = loaded.topicId
    this.recovery = loaded.recovery
  }

  /** Opens (creating if needed) the partition directory, recovering it if the shutdown was unclean. */
  static async open(options: UnifiedLogOptions): Promise<UnifiedLog> {
    const cfg = resolveLogConfig(options.config)
    const holder: { log?: UnifiedLog } = {}
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
    let producers: ProducerStateManager
    try {
      loaded = await loadLog({
        dir: options.dir,
        ctx,
        recoveryPoint: options.recoveryPoint ?? 0,
        ...(options.logStartOffset !== undefined ? { logStartOffset: options.logStartOffset } : {}),
        hadCleanShutdown: options.hadCleanShutdown ?? false,
      })
      const segments = loaded.segments
      producers = await ProducerStateManager.load({
        dir: options.dir,
        name: `${options.topic}-${options.partition}`,
        logger: ctx.logger,
        expirationMs: options.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS,
        logStartOffset: loaded.logStartOffset,
        logEndOffset: loaded.logEndOffset,
        segmentBaseOffsets: segments.all().map((seg) => seg.baseOffset),
        now: ctx.clock.now(),
        replay: (from, apply) => replaySegments(segments.all(), from, apply),
        // After an unclean shutdown, what lies past the checkpointed recovery point is replayed
        // even where a snapshot covers it, so its aborts can be checked against the .txnindex.
        ...(options.hadCleanShutdown ? {} : { snapshotAtOrBelow: options.recoveryPoint ?? 0 }),
      })
    } catch (err) {
      throw storageErrorOf(err, what)
    }
    const log = new UnifiedLog(options, ctx, loaded, cfg, producers)
    holder.log = log
    try {
      log.txnIndex = await TxnIndex.open(options.dir, log.logEndOffset)
      const bases = log.local.segmentBaseOffsets()
      const restored = await log.txnIndex.restore(producers.takeReplayedAborts(), (offset) => bases.filter((b) => b <= offset).at(-1) ?? bases[0]!)
      if (restored > 0) ctx.logger.warn(`${options.topic}-${options.partition}: ${restored} aborted transaction(s) missing from the .txnindex were indexed again from the log`)
    } catch (err) {
      await log.close({ flush: false })
      throw storageErrorOf(err, what)
    }
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
    return this.local.logEndOffset
  }
  /** Moved by the partition's leader (the high-watermark rule lives in broker/partition.ts). */
  get highWatermark(): number {
    return this.hw
  }
  /**
   * The last stable offset (Kafka's UnifiedLog.lastStableOffset): read_committed consumers read
   * below it. It is the high watermark unless a transaction is undecided below it: one still
   * open (its first offset), or one whose marker is written but not yet below the high
   * watermark (a new leader might not have the marker, so the outcome is not settled yet).
   */
  get lastStableOffset(): number {
    let lso = this.hw
    const open = this.producers.firstUndecidedOffset()
    if (open !== undefined && open < lso) lso = open
    for (const t of this.unreplicatedTxns) if (t.firstOffset < lso) lso = t.firstOffset
    return Math.max(lso, this.startOffset)
  }
  /** Every offset below this is on disk (fsynced). */
  get recoveryPoint(): number {
    return this.local.recoveryPoint
  }
  get unflushedMessages(): number {
    return this.local.unflushedMessages
  }
  get lastFlushTime(): number {
    return this.local.lastFlushTime
  }
  get size(): number {
    return this.local.size
  }
  get segmentCount(): number {
    return this.local.segmentCount
  }
  get topicId(): string | undefined {
    return this.id
  }
  get isClosed(): boolean {
    return this.closed
  }
  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.local.segmentBaseOffsets()
  }

  /** Each segment's size, index entries and tail state, oldest first (tests compare these). */
  segmentStates(): Promise<SegmentState[]> {
    return this.local.segmentStates()
  }

  /** This partition's producer state (DescribeProducers, tests); change it only through appends. */
  get producerState(): ProducerStateManager {
    return this.producers
  }

  /** Forgets producers idle longer than producer.id.expiration.ms (Kafka's periodic check); returns how many. */
  removeExpiredProducers(): number {
    if (this.closed) return 0
    return this.producers.removeExpiredProducers(this.clock.now())
  }

  updateConfig(overrides: Partial<LogConfig>): void {
    this.cfg = resolveLogConfig(overrides, this.cfg)
  }

  /** Listens for appends, high watermark moves and truncation (fetch long-polls wait on these). */
  subscribe(listener: LogListener): () => void {
    this.listeners.add(listener)
    return () => this.unsubscribe(listener)
  }

  /** Stops telling `listener` (as the function subscribe returned does). */
  unsubscribe(listener: LogListener): void {
    this.listeners.delete(listener)
  }

  /** Moves the high watermark, kept within [log start offset, log end offset]. */
  updateHighWatermark(offset: number): number {
    const hw = clamp(offset, this.startOffset, this.logEndOffset)
    if (hw !== this.hw) {
      this.hw = hw
      // Completed transactions whose marker is now below the high watermark are settled.
      if (this.unreplicatedTxns.length > 0) this.unreplicatedTxns = this.unreplicatedTxns.filter((t) => t.lastOffset >= hw)
      this.emit({ type: 'highWatermark', highWatermark: hw })
    }
    return hw
  }

  // ---- appends ---------------------------------------------------------------------------

  /**
   * Appends one or more v2 batches as the partition's leader. A client's records are validated
   * first (outside the lock: decoding, when a check needs it, does not hold up other appends)
   * and may be replaced by corrected bytes; then offsets are assigned by patching each batch's
   * base offset in place, the partition leader epoch is stamped and, under LogAppendTime, the
   * broker time (recomputing the CRC). Resolves once written (and fsynced if flush.messages
   * says so).
   */
  async appendAsLeader(records: Buffer, options: { leaderEpoch: number; origin?: AppendOrigin }): Promise<AppendResult> {
    this.ensureOpen()
    const origin = options.origin ?? CLIENT
    let validated: ValidatedProducerRecords
    if (origin.kind === 'client') {
      // Awaited only when a batch had to be decoded: most answer at once.
      const v = validateProducerRecordsNow(records, { config: this.cfg, checks: origin.checks, partition: this.name, now: this.clock.now() })
      validated = v instanceof Promise ? await v : v
    } else {
      validated = { records, batches: validateRecordBatches(records, { verifyCrc: false, fromClient: false }).batches, corrections: [] }
    }
    const result = await this.appendWith(validated.records, origin.kind === 'client' ? 'client' : 'coordinator', () => {
      const logAppendTime = this.cfg.messageTimestampType === 'LogAppendTime' ? this.clock.now() : -1
      assignOffsets(validated.records, validated.batches, { firstOffset: this.logEndOffset, leaderEpoch: options.leaderEpoch, logAppendTime })
      return { batches: validated.batches, logAppendTime }
    })
    if (validated.corrections.length > 0) result.corrections = validated.corrections
    return result
  }

  /**
   * Appends batches replicated from the leader, keeping their offsets, epochs and timestamps.
   * Offsets must continue the log (UNEXPECTED_APPEND_OFFSET otherwise). Producer state follows
   * the batches as on the leader (epochs, sequences, transactions, markers) without the
   * leader's refusals: the leader already checked them (Kafka's AppendOrigin.REPLICATION), so a
   * follower that becomes leader dedupes and fences exactly as its old leader did.
   */
  async appendAsFollower(records: Buffer): Promise<AppendResult> {
    return this.appendWith(records, 'replication', () => {
      const { batches } = validateRecordBatches(records, { verifyCrc: true, fromClient: false })
      let prev = this.logEndOffset - 1
      for (const b of batches) {
        if (b.baseOffset <= prev) {
          throw new StorageError('UNEXPECTED_APPEND_OFFSET', `batch at offset ${b.baseOffset} does not follow ${prev} in ${this.name}`)
        }
        prev = b.lastOffset
      }
      return { batches, logAppendTime: -1 }
    })
  }

  private async appendWith(records: Buffer, producerOrigin: ProducerOrigin, prepare: () => { batches: BatchInfo[]; logAppendTime: number }): Promise<AppendResult> {
    return this.lock.runNow(async () => {
      // Each step below that needs no I/O wait answers at once, and is awaited only if it did
      // not: a small append with nothing to roll, repair or index runs without yielding.
      const repairing = this.ensureWritable()
      if (repairing) await repairing
      if (records.length > this.cfg.segmentBytes) {
        throw new StorageError('RECORD_LIST_TOO_LARGE', `${records.length} bytes exceed segment.bytes ${this.cfg.segmentBytes}`)
      }
      const { batches, logAppendTime } = prepare()
      if (batches.length === 0) return this.emptyAppend()
      // Producer checks need the offsets just assigned, and nothing is written if they fail; a
      // retry of a batch already in the log is answered with its offsets and not written again.
      const producers = this.prepareProducers(records, batches, producerOrigin)
      if (producers.kind === 'duplicate') return this.duplicateAppend(producers)
      const first = batches[0]!
      const last = batches[batches.length - 1]!
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
      const fsync = end - this.local.recoveryPoint >= this.cfg.flushMessages
      const undo: Undo[] = []
      let rolledAt: number | undefined
      try {
        const maybeRolled = this.local.maybeRoll({
          messagesSize: records.length,
          maxTimestamp,
          firstOffset: first.baseOffset,
          lastOffset: last.lastOffset,
          segmentBytes: this.cfg.segmentBytes,
          // KIP-354: a compacted log's active segment is never cleaned, so it is rolled once its first
          // record is max.compaction.lag.ms old, or that lag could not be kept.
          segmentMs: this.cfg.compact ? Math.min(this.cfg.segmentMs, this.cfg.maxCompactionLagMs) : this.cfg.segmentMs,
        })
        const rolled = maybeRolled instanceof Promise ? await maybeRolled : maybeRolled
        if (rolled) {
          undo.push(rolled.undo)
          rolledAt = rolled.baseOffset
          // The state below the new segment, as Kafka snapshots at every roll. It stays valid if
          // this append fails: the log below rolledAt does not change.
          this.local.inBackground(this.producers.takeSnapshot())
        }
        if (this.startsEpoch(batches)) await this.assignEpochs(batches, undo)
        const appended = this.local.append({ records, batches, lastOffset: last.lastOffset, maxTimestamp })
        undo.push(appended instanceof Promise ? await appended : appended)
        if (producers.completed.some((t) => t.isAborted)) await this.indexAborts(producers.completed, undo)
        // Inside the lock and before the end offset moves: a failed fsync can still be undone,
        // and no reader has seen bytes that may not be durable.
        if (fsync) await this.local.flushUpTo(end)
      } catch (err) {
        throw await this.local.repairs.undo(undo, err)
      }
      this.local.advanceEnd(end, { fsynced: fsync })
      this.producers.commit(producers, end)
      for (const t of producers.completed) if (t.lastOffset >= this.hw) this.unreplicatedTxns.push(t)
      // Flushing the finished segments lets the recovery point pass them, so a crash rescans
      // only the new segment (Kafka does the same). It runs in the background.
      if (rolledAt !== undefined) this.local.inBackground(this.local.flushUpTo(rolledAt))
      this.emit({ type: 'append', firstOffset: first.baseOffset, lastOffset: last.lastOffset, logEndOffset: this.logEndOffset })
      return {
        firstOffset: first.baseOffset,
        lastOffset: last.lastOffset,
        logAppendTime,
        maxTimestamp,
        offsetOfMaxTimestamp,
        logStartOffset: this.startOffset,
        logEndOffset: this.logEndOffset,
        batchCount: batches.length,
        recordCount,
        bytes: records.length,
        corrections: [],
      }
    })
  }

  /** Records the transactions this append's abort markers end (Kafka's TransactionIndex). */
  private async indexAborts(completed: readonly CompletedTxn[], undo: Undo[]): Promise<void> {
    const segmentBase = this.local.activeSegment.baseOffset
    for (const t of completed) {
      if (!t.isAborted) continue
      undo.push(await this.txnIndex.append(segmentBase, { producerId: t.producerId, firstOffset: t.firstOffset, lastOffset: t.lastOffset, lastStableOffset: this.lastStableOffset }))
    }
  }

  /**
   * The aborted transactions overlapping [fromOffset, upperOffset), for a read_committed fetch
   * (Kafka's collectAbortedTransactions): consumers drop those producers' records in that range.
   */
  abortedTransactions(fromOffset: number, upperOffset: number): Array<{ producerId: bigint; firstOffset: number }> {
    return this.txnIndex.collect(fromOffset, upperOffset).map((e) => ({ producerId: e.producerId, firstOffset: e.firstOffset }))
  }

  private prepareProducers(records: Buffer, batches: readonly BatchInfo[], origin: ProducerOrigin): PreparedProducers {
    if (!batches.some((b) => b.producerId !== NO_PRODUCER_ID)) return NO_PRODUCERS
    const withMarkers: ProducerBatch[] = batches.map((info) => {
      const marker = info.isControl ? markerOf(records, info.position, info.size) : undefined
      return marker ? { info, marker } : { info }
    })
    return this.producers.prepare(withMarkers, origin)
  }

  /** A producer's retry of a batch already in the log: Kafka answers with the original offsets. */
  private duplicateAppend(dup: { firstOffset: number; lastOffset: number; timestamp: number }): AppendResult {
    return {
      ...this.emptyAppend(),
      firstOffset: dup.firstOffset,
      lastOffset: dup.lastOffset,
      logAppendTime: this.cfg.messageTimestampType === 'LogAppendTime' ? dup.timestamp : -1,
      duplicate: true,
    }
  }

  /** True if a batch carries a leader epoch newer than the log's latest (assignEpochs has work). */
  private startsEpoch(batches: readonly BatchInfo[]): boolean {
    const latest = this.epochs.latestEpoch ?? -1
    for (const b of batches) if (b.partitionLeaderEpoch > latest) return true
    return false
  }

  /** Records new leader epochs (before the data, as Kafka does); undone with the append. Only when startsEpoch. */
  private async assignEpochs(batches: readonly BatchInfo[], undo: Undo[]): Promise<void> {
    const before = this.epochs.entries()
    for (const b of batches) this.epochs.assign(b.partitionLeaderEpoch, b.baseOffset)
    // If rewriting the file fails here, an entry for an epoch starting at the log end offset
    // may stay on disk: harmless, the loader drops epochs starting at or past the log end, and
    // the next append in that epoch makes it true.
    undo.push(() => {
      this.epochs.restore(before)
      this.local.inBackground(this.epochs.flush())
    })
    this.ctx.faults.check('epochs.write', this.epochs.path)
    await this.epochs.flush()
  }

  /**
   * Runs the repairs a failed undo left; throws KAFKA_STORAGE_ERROR while one still fails.
   * Without any (the usual case) there is nothing to wait for, and nothing is returned.
   */
  private ensureWritable(): Promise<void> | undefined {
    this.ensureOpen()
    return this.local.repairs.pending > 0 ? this.local.repairs.run() : undefined
  }

  private emptyAppend(): AppendResult {
    return {
      firstOffset: -1,
      lastOffset: -1,
      logAppendTime: -1,
      maxTimestamp: -1,
      offsetOfMaxTimestamp: -1,
      logStartOffset: this.startOffset,
      logEndOffset: this.logEndOffset,
      batchCount: 0,
      recordCount: 0,
      bytes: 0,
      corrections: [],
    }
  }

  /** Starts a new active segment at the log end offset. */
  async roll(): Promise<void> {
    await this.lock.run(async () => {
      await this.ensureWritable()
      await this.local.roll()
      this.local.inBackground(this.producers.takeSnapshot())
    })
  }

  // ---- reads -----------------------------------------------------------------------------

  /**
   * Finds the bytes to serve for a fetch. Throws OFFSET_OUT_OF_RANGE outside
   * [log start offset, log end offset]. Returns no ranges at the end of the log.
   */
  read(options: ReadOptions): LogReadResult | Promise<LogReadResult> {
    // Failures are rejections, never throws: callers may chain on the result.
    if (this.closed) return Promise.reject(this.closedError())
    const { fromOffset } = options
    const logEnd = this.logEndOffset
    if (fromOffset < this.startOffset || fromOffset > logEnd) {
      return Promise.reject(new StorageError('OFFSET_OUT_OF_RANGE', `offset ${fromOffset} is outside [${this.startOffset}, ${logEnd}] of ${this.name}`))
    }
    let ranges: FileRange[] | Promise<FileRange[]>
    try {
      ranges = this.local.read({ fromOffset, upperOffset: options.maxOffset ?? logEnd, maxBytes: options.maxBytes, minOneBatch: options.minOneBatch ?? true })
    } catch (err) {
      return Promise.reject(err)
    }
    // Synchronous for a read among the active segment's newest batches (Segment.translateOffset).
    return ranges instanceof Promise ? ranges.then((r) => this.readResult(r)) : this.readResult(ranges)
  }

  private readResult(ranges: FileRange[]): LogReadResult {
    let bytes = 0
    for (const r of ranges) bytes += r.length
    return { ranges, bytes, logStartOffset: this.startOffset, logEndOffset: this.logEndOffset, highWatermark: this.hw }
  }

  /**
   * The bytes of a range from read(); shorter (or empty) if the segment was truncated or deleted
   * since. `into` (at least range.length bytes) is read into instead of a new buffer.
   */
  readRange(range: FileRange, into?: Buffer): Buffer | Promise<Buffer> {
    return this.local.readRange(range, into)
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
        return { offset: this.logEndOffset, timestamp: -1, leaderEpoch: this.epochs.latestEpoch ?? -1 }
      case 'timestamp':
        return offsetForTimestamp({ segments: this.local.allSegments(), timestamp: query.timestamp, logStartOffset: this.startOffset, ...locate })
      case 'maxTimestamp':
        return offsetOfMaxTimestamp({ segments: this.local.allSegments(), ...locate })
    }
  }

  /**
   * A new leader's epoch starts at `offset` (its log end offset at election), recorded before
   * any record of the epoch is written, as Kafka's maybeAssignEpochStartOffset: followers
   * asking where their last epoch ends then learn it ends here, even before the new leader has
   * appended anything. Ignored when not newer than the latest epoch known.
   */
  async assignEpochStartOffset(epoch: number, offset: number): Promise<void> {
    await this.lock.run(async () => {
      this.ensureOpen()
      if (!this.epochs.assign(epoch, offset)) return
      this.ctx.faults.check('epochs.write', this.epochs.path)
      await this.epochs.flush()
    })
  }

  /** ListOffsets v0: offsets before a time by segment file times (legacy-offsets.ts). */
  legacyOffsetsBefore(timestamp: number, maxNumOffsets: number): Promise<number[]> {
    this.ensureOpen()
    return legacyOffsetsBefore({ segments: this.local.allSegments(), logStartOffset: this.startOffset, logEndOffset: this.logEndOffset, now: this.clock.now(), timestamp, maxNumOffsets })
  }

  /** OffsetForLeaderEpoch: the largest epoch <= `epoch` and where it ends. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    return this.epochs.endOffsetFor(epoch, this.logEndOffset)
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
      if (offset >= this.logEndOffset) return false
      if (offset <= this.startOffset) {
        await this.truncateFullyLocked(offset)
        return true
      }
      await this.local.truncateTo(offset, this.cfg.fileDeleteDelayMs)
      await this.txnIndex.truncateTo(this.logEndOffset)
      await this.txnIndex.retainSegments(this.local.segmentBaseOffsets())
      await this.producers.truncateAndReload({
        logStartOffset: this.startOffset,
        logEndOffset: this.logEndOffset,
        segmentBaseOffsets: this.local.segmentBaseOffsets(),
        now: this.clock.now(),
        replay: (from, apply) => replaySegments(this.local.allSegments(), from, apply),
      })
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
    await this.local.truncateFullyAndStartAt(offset, this.cfg.fileDeleteDelayMs)
    await this.producers.truncateFullyAndStartAt(offset)
    await this.txnIndex.retainSegments([])
    this.unreplicatedTxns = []
    this.startOffset = offset
    this.epochs.clear()
    this.afterTruncation()
    this.emit({ type: 'logStartOffset', logStartOffset: offset })
  }

  private afterTruncation(): void {
    this.hw = Math.min(this.hw, this.logEndOffset)
    // A truncated marker reopens its transaction in the reloaded producer state; the rest stay.
    this.unreplicatedTxns = this.unreplicatedTxns.filter((t) => t.lastOffset < this.logEndOffset)
    this.epochs.truncateFromEnd(this.logEndOffset)
    this.local.inBackground(this.epochs.flush())
    this.emit({ type: 'truncate', logEndOffset: this.logEndOffset })
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
    const segs = this.local.allSegments()
    const plan = await planRetention(retentionCandidates(segs, this.logEndOffset), {
      now: this.clock.now(),
      retentionMs: options.logStartOffsetOnly ? -1 : this.cfg.retentionMs,
      retentionBytes: options.logStartOffsetOnly ? -1 : this.cfg.retentionBytes,
      logStartOffset: this.startOffset,
      highWatermark: this.hw,
    })
    if (plan.count === 0) return { deleted: 0, reasons: [] }
    if (plan.count === segs.length) {
      await this.local.roll()
      this.local.inBackground(this.producers.takeSnapshot())
    }
    await this.local.deleteSegments(segs.slice(0, plan.count), this.cfg.fileDeleteDelayMs)
    // Snapshots go with their segments (Kafka's rule); the one at the first segment left holds
    // every producer written before it.
    this.local.inBackground(this.producers.deleteSnapshotsBefore(this.local.firstSegment.baseOffset))
    this.local.inBackground(this.txnIndex.retainSegments(this.local.segmentBaseOffsets()))
    this.setLogStartOffset(Math.max(this.startOffset, this.local.firstSegment.baseOffset))
    this.logger.info(`${this.name}: deleted ${plan.count} segment(s) (${plan.reasons.join(', ')})`)
    return { deleted: plan.count, reasons: plan.reasons }
  }

  /**
   * The log as the cleaner sees it (cleaner/cleaner.ts). Cleanable: whole inactive segments
   * below the high watermark, the last stable offset (an open transaction's records wait for
   * its marker) and the recovery point (cleaned output is fsynced, and recovery re-reads only
   * segments past that point, which must stay contiguous), and older than min.compaction.lag.ms.
   */
  cleaner(): CleanableLog {
    return {
      name: this.name,
      dir: this.dir,
      logStartOffset: this.startOffset,
      faults: this.ctx.faults,
      config: this.cfg,
      cleanableSegments: async (now) => {
        const all = this.local.allSegments()
        let bound = Math.min(all.at(-1)!.baseOffset, this.hw, this.lastStableOffset, this.local.recoveryPoint)
        const segments: Segment[] = []
        for (let i = 0; i < all.length - 1; i++) {
          const s = all[i]!
          const next = all[i + 1]!.baseOffset
          if (next > bound) break
          // min.compaction.lag.ms: a segment with a record younger than that stays dirty.
          if (this.cfg.minCompactionLagMs > 0 && (await s.largestTimestamp()) > now - this.cfg.minCompactionLagMs) break
          segments.push(s)
        }
        bound = segments.length === 0 ? all[0]!.baseOffset : all[segments.length]!.baseOffset
        return { segments, firstUncleanableOffset: bound }
      },
      hasAbortedTxns: (base) => this.txnIndex.hasSegment(base),
      abortedTxns: (from, upper) => this.txnIndex.collect(from, upper),
      dropAbortedTxns: (entries) =>
        this.lock.run(async () => {
          this.ensureOpen()
          await this.txnIndex.remove(entries)
        }),
      producersLast: () =>
        [...this.producers.activeProducers().values()].map((e) => ({ producerId: e.producerId, lastOffset: e.batches.at(-1)?.lastOffset ?? -1, producerEpoch: e.producerEpoch })),
      replaceSegments: (group, cleanedPath) =>
        this.lock.run(async () => {
          this.ensureOpen()
          const seg = await this.local.replaceSegments(group, cleanedPath, this.cfg.fileDeleteDelayMs)
          if (seg === undefined) return false
          await this.txnIndex.retainSegments(this.local.segmentBaseOffsets())
          // Swapped in, the cleaner checkpoint not yet written: a crash here re-cleans from the old one.
          this.ctx.faults.check('cleaner.swapped', seg.log.path)
          return true
        }),
    }
  }

  private setLogStartOffset(offset: number): void {
    if (offset === this.startOffset) return
    this.startOffset = offset
    if (this.hw < offset) this.hw = offset
    this.epochs.truncateFromStart(offset)
    this.local.inBackground(this.epochs.flush())
    this.emit({ type: 'logStartOffset', logStartOffset: offset })
  }

  // ---- flush and lifecycle ---------------------------------------------------------------

  /** fsyncs everything appended so far; the recovery point moves to the log end offset. */
  flush(): Promise<void> {
    return this.local.flushUpTo(this.logEndOffset)
  }

  /** For the flush.ms scheduler: flushes if there is unflushed data older than flush.ms. */
  async flushIfDue(): Promise<boolean> {
    if (this.closed) return false
    return this.local.flushIfDue(this.cfg.flushMs)
  }

  /** fsyncs the segments holding offsets below `offset` (joined with a flush already heading as far). */
  flushUpTo(offset: number): Promise<void> {
    return this.local.flushUpTo(offset)
  }

  /** Waits for background work (flush after roll, epoch file writes, started file deletions). */
  settle(): Promise<void> {
    return this.local.settle()
  }

  /** Flushes (unless told not to), writes final index state and releases descriptors. */
  async close(options: { flush?: boolean } = {}): Promise<void> {
    await this.lock.run(async () => {
      if (this.closed) return
      this.closed = true
      const flush = options.flush ?? true
      // A clean shutdown leaves the state at the log end, so the next start replays nothing.
      // If it cannot be written, the next start replays the log past the newest snapshot instead.
      if (flush) {
        await this.local.settle()
        await this.producers.takeSnapshot().catch((err: Error) => this.logger.warn(`${this.name}: producer snapshot at close failed: ${err.message}`))
      }
      await this.local.close({ flush })
      await this.epochs.flush()
      if (this.ownsFiles) await this.files.closeAll()
      this.listeners.clear()
    })
  }

  /** Closes the log and removes its directory (renamed to `*-delete` first, as Kafka does). */
  async delete(): Promise<void> {
    await this.close({ flush: false })
    await this.local.deleteDir()
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
    if (this.closed) throw this.closedError()
  }

  private closedError(): StorageError {
    return new StorageError('LOG_CLOSED', `log ${this.name} is closed`)
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
}

const NO_PRODUCERS: PreparedProducers = { kind: 'append', appends: [], completed: [] }

/**
 * Feeds the batches of `segments` holding offsets >= `from` to `apply`, in order, with the
 * marker of each control batch (read from the file; they are a few dozen bytes).
 */
async function replaySegments(segments: readonly Segment[], from: number, apply: (batch: ProducerBatch) => void): Promise<void> {
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!
    const next = segments[i + 1]
    if (next && next.baseOffset <= from) continue
    await seg.scanBatches(from, async (info) => {
      const marker = info.isControl ? markerOf(await seg.readBytes(info.position, info.size), 0, info.size) : undefined
      apply(marker ? { info, marker } : { info })
    })
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi)
}
