/**
 * One segment of a partition log: a `.log` file of record batches, exactly as they arrived,
 * plus its sparse `.index` (offset → position) and `.timeindex` (timestamp → offset).
 *
 * A segment does not lock: the partition log serialises appends, truncation and roll, while
 * reads run concurrently with them. Everything a reader uses (size, index entries, the tail
 * list) changes only after the bytes it describes are in the file.
 *
 * An append either completes or leaves the segment as it found it: `append` returns a mark
 * of the state before it, and a failure in any step (the write, an index update) puts the
 * in-memory state back and cuts the file to its old length, so neither a reader nor recovery
 * after a restart finds a trace of it. The partition log uses the same mark to undo an append
 * whose later steps (fsync, leader epochs) failed.
 */
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises'
import type { Clock } from '../clock.js'
import { StorageError, isNotFound } from '../errors.js'
import type { IndexCache, IndexHolder } from '../index/index-cache.js'
import { OffsetIndex } from '../index/offset-index.js'
import { TimeIndex, type TimestampOffset } from '../index/time-index.js'
import type { FileCache } from '../io/file-cache.js'
import { SYNC_WRITE_MAX_BYTES, readAt, writeAllSync, writeAt } from '../io/files.js'
import type { StorageLogger } from '../logger.js'
import type { FaultHooks } from '../../util/faults.js'
import { RollbackError } from './append-undo.js'
import { BatchScanner, type BatchInfo } from './batch-scanner.js'
import { SegmentFile, readRange } from './segment-file.js'
import { DELETED_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, segmentPath } from './file-names.js'

/** The part of the log config a segment reads; a getter so config updates apply at once. */
export interface SegmentConfig {
  indexIntervalBytes: number
  segmentIndexBytes: number
}

/** Shared services: the descriptor pool, the index memory budget, time, logging and fault hooks. */
export interface SegmentContext {
  files: FileCache
  indexCache?: IndexCache
  clock: Clock
  logger: StorageLogger
  config(): SegmentConfig
  /**
   * Checked before each step of an append that can fail (tests arm them): `segment.write`,
   * `index.offset.append`, `index.time.append`, `segment.fsync`, and `segment.truncate` (the
   * rollback of a failed append). Details are file paths.
   */
  faults: FaultHooks
}

/** A segment's append state at one moment; `rollbackTo` returns to it. */
export interface SegmentMark {
  readonly bytes: number
  readonly offsetEntries: number
  readonly timeEntries: number
  readonly maxTs: TimestampOffset | undefined
  readonly bytesSinceLastIndexEntry: number
  readonly rollingBasedTimestamp: number | undefined
  /** The tail list and its length: appends push to it and trimming replaces it, so both restore it. */
  readonly recent: BatchInfo[]
  readonly recentLength: number
}

/** Whole batches, offsets assigned; `batches` positions are relative to `records`. */
export interface AppendInput {
  records: Buffer
  batches: readonly BatchInfo[]
  lastOffset: number
  maxTimestamp: number
}

export interface SegmentState {
  baseOffset: number
  size: number
  active: boolean
  offsetIndex: ReadonlyArray<readonly [offset: number, position: number]>
  timeIndex: ReadonlyArray<readonly [timestamp: number, offset: number]>
  maxTimestamp: TimestampOffset
  bytesSinceLastIndexEntry: number
  /** Base offsets of the batches the active segment remembers for tail reads. */
  recentBatches: number[]
}

/** What a segment gave up when it stopped being active; `reactivate` takes it back. */
export interface InactiveMark {
  readonly timeEntries: number
  readonly recent: BatchInfo[]
}

export interface SegmentRead {
  /** First batch whose last offset is >= the requested offset. */
  first: BatchInfo
  position: number
  length: number
}

export interface RollCheck {
  now: number
  /** Bytes about to be appended. */
  messagesSize: number
  maxTimestampInMessages: number
  maxOffsetInMessages: number
  segmentBytes: number
  segmentMs: number
}

export interface RecoverResult {
  truncatedBytes: number
  /** Last offset + 1 of the last valid batch, or undefined when the segment holds none. */
  nextOffset: number | undefined
  /** Why the scan stopped early, if it did. */
  problem?: string
}

/** How many of the newest batches the active segment remembers, so tail reads skip the file. */
const RECENT_BATCHES = 256
const RECOVERY_CHUNK = 1024 * 1024
const LOOKUP_CHUNK = 16 * 1024
const NO_TIMESTAMP: TimestampOffset = { timestamp: -1, offset: -1 }

export class Segment implements IndexHolder {
  readonly baseOffset: number
  readonly log: SegmentFile
  readonly offsetIndex: OffsetIndex
  readonly timeIndex: TimeIndex
  /** Milliseconds (by the context clock) when this object was made; segment.ms falls back to it. */
  created: number
  private readonly ctx: SegmentContext
  private bytes: number
  private bytesSinceLastIndexEntry = 0
  /** Undefined until known: loaded lazily for segments opened from disk. */
  private maxTs: TimestampOffset | undefined
  /** Max timestamp of the first append, which segment.ms measures from; -1 if none. */
  private rollingBasedTimestamp: number | undefined
  /** The newest batches, contiguous up to the end of the file (active segment only). */
  private recent: BatchInfo[] = []
  private isActive = false
  private unflushed = false
  private isDeleted = false
  private indexLoading: Promise<void> | undefined
  private lookupRebuilt = false

  private constructor(ctx: SegmentContext, dir: string, baseOffset: number, size: number) {
    this.ctx = ctx
    this.baseOffset = baseOffset
    this.bytes = size
    this.created = ctx.clock.now()
    const maxIndexBytes = ctx.config().segmentIndexBytes
    this.log = new SegmentFile(segmentPath(dir, baseOffset, LOG_SUFFIX))
    this.offsetIndex = new OffsetIndex({ path: segmentPath(dir, baseOffset, INDEX_SUFFIX), baseOffset, maxIndexBytes })
    this.timeIndex = new TimeIndex({ path: segmentPath(dir, baseOffset, TIME_INDEX_SUFFIX), baseOffset, maxIndexBytes })
  }

  /** Creates empty files for a new segment (replacing leftovers of an earlier attempt). */
  static async create(ctx: SegmentContext, options: { dir: string; baseOffset: number }): Promise<Segment> {
    const seg = new Segment(ctx, options.dir, options.baseOffset, 0)
    try {
      for (const path of [seg.log.path, seg.offsetIndex.path, seg.timeIndex.path]) {
        const fh = await open(path, 'w')
        await fh.close()
      }
    } catch (err) {
      // A half-created segment must not be found by the next start-up.
      await seg.deleteFiles().catch(() => {})
      throw err
    }
    seg.offsetIndex.initEmpty()
    seg.timeIndex.initEmpty()
    seg.maxTs = { ...NO_TIMESTAMP }
    seg.rollingBasedTimestamp = -1
    return seg
  }

  /** A segment found on disk; its indexes are read on first use. */
  static fromDisk(ctx: SegmentContext, options: { dir: string; baseOffset: number; size: number }): Segment {
    return new Segment(ctx, options.dir, options.baseOffset, options.size)
  }

  get size(): number {
    return this.bytes
  }

  get active(): boolean {
    return this.isActive
  }

  get deleted(): boolean {
    return this.isDeleted
  }

  get indexMemoryBytes(): number {
    return this.offsetIndex.memoryBytes + this.timeIndex.memoryBytes
  }

  /** Marks this as the segment appends go to; its indexes then stay in memory. */
  activate(): void {
    this.isActive = true
    this.ctx.indexCache?.remove(this)
  }

  unloadIndexes(): boolean {
    if (this.isActive || this.offsetIndex.dirty || this.timeIndex.dirty) return false
    this.offsetIndex.unload()
    this.timeIndex.unload()
    return true
  }

  // ---- appends ---------------------------------------------------------------------------

  /**
   * Writes `records` (whole batches, offsets already assigned) at the end of the file and
   * indexes them. `batches` describes each batch with positions relative to `records`.
   * Returns the state before, for `rollbackTo`. On failure the segment is rolled back before
   * the error is rethrown; if even that fails, the error is a RollbackError.
   */
  append(input: AppendInput): SegmentMark | Promise<SegmentMark> {
    if (!this.offsetIndex.canAppendOffset(input.lastOffset)) {
      return Promise.reject(new StorageError('KAFKA_STORAGE_ERROR', `offset ${input.lastOffset} does not fit segment ${this.baseOffset}`))
    }
    // The common case, synchronously: indexes in memory, the file open, a write small enough
    // for the event loop's thread (SYNC_WRITE_MAX_BYTES). A small append to one of 10,000
    // partitions is mostly this bookkeeping, and each await it skips was a promise and a turn.
    if (!this.indexesLoaded || input.records.length > SYNC_WRITE_MAX_BYTES || this.ctx.faults.isArmed('segment.write')) return this.appendAsync(input)
    const mark = this.mark()
    const start = this.bytes
    try {
      const wrote = this.ctx.files.useOpenSync(this.log, (fd) => {
        this.ctx.faults.check('segment.write', this.log.path)
        writeAllSync(fd, input.records, start)
        return true
      })
      if (wrote === undefined) return this.appendAsync(input)
      this.appended(input, start)
    } catch (err) {
      return this.rollbackOrFail(mark, err).then(() => Promise.reject(err))
    }
    return mark
  }

  private async appendAsync(input: AppendInput): Promise<SegmentMark> {
    await this.ensureIndexes()
    const mark = this.mark()
    const start = this.bytes
    try {
      await this.ctx.files.use(this.log, (fh) => this.write(fh, input.records, start))
      this.appended(input, start)
    } catch (err) {
      await this.rollbackOrFail(mark, err)
      throw err
    }
    return mark
  }

  /** Indexes the batches just written at `start`, then counts their bytes; an index fault throws before the size moves. */
  private appended(input: AppendInput, start: number): void {
    if (start === 0) this.rollingBasedTimestamp = input.maxTimestamp
    for (const b of input.batches) this.indexBatch(b, start + b.position, this.ctx.faults)
    if (this.recent.length > 2 * RECENT_BATCHES) this.recent = this.recent.slice(-RECENT_BATCHES)
    this.bytes = start + input.records.length
    this.unflushed = true
  }

  private get indexesLoaded(): boolean {
    return this.offsetIndex.loaded && this.timeIndex.loaded
  }

  /**
   * A full disk usually fails a write part-way; an armed `segment.write` does the same (half
   * the bytes land first) so the rollback has something to cut.
   */
  private async write(fh: FileHandle, records: Buffer, start: number): Promise<void> {
    if (this.ctx.faults.isArmed('segment.write')) await writeAt(fh, records.subarray(0, records.length >>> 1), start)
    this.ctx.faults.check('segment.write', this.log.path)
    await writeAt(fh, records, start)
  }

  /** Everything an append changes, as plain data (tests compare states; diagnostics). */
  async describe(): Promise<SegmentState> {
    await this.ensureIndexes()
    const o = this.offsetIndex
    const t = this.timeIndex
    return {
      baseOffset: this.baseOffset,
      size: this.bytes,
      active: this.isActive,
      offsetIndex: Array.from({ length: o.entries }, (_, n) => [o.offsetAt(n), o.positionAt(n)] as const),
      timeIndex: Array.from({ length: t.entries }, (_, n) => [t.timestampAt(n), t.offsetAt(n)] as const),
      maxTimestamp: await this.maxTimestampAndOffset(),
      bytesSinceLastIndexEntry: this.bytesSinceLastIndexEntry,
      recentBatches: this.recent.map((b) => b.baseOffset),
    }
  }

  /** The append state now. */
  mark(): SegmentMark {
    return {
      bytes: this.bytes,
      offsetEntries: this.offsetIndex.entries,
      timeEntries: this.timeIndex.entries,
      maxTs: this.maxTs ? { timestamp: this.maxTs.timestamp, offset: this.maxTs.offset } : undefined,
      bytesSinceLastIndexEntry: this.bytesSinceLastIndexEntry,
      rollingBasedTimestamp: this.rollingBasedTimestamp,
      recent: this.recent,
      recentLength: this.recent.length,
    }
  }

  /**
   * Undoes the appends since `mark`: the in-memory state first (so reads are right at once),
   * then the file is cut back to its old length and fsynced, so the undone bytes cannot come
   * back after a crash either (an fsync may have made them durable already). Throws if the
   * file cannot be cut; the in-memory state is restored regardless.
   */
  async rollbackTo(mark: SegmentMark): Promise<void> {
    this.bytes = mark.bytes
    this.offsetIndex.truncateToEntries(mark.offsetEntries)
    this.timeIndex.truncateToEntries(mark.timeEntries)
    this.maxTs = mark.maxTs ? { ...mark.maxTs } : undefined
    this.bytesSinceLastIndexEntry = mark.bytesSinceLastIndexEntry
    this.rollingBasedTimestamp = mark.rollingBasedTimestamp
    mark.recent.length = mark.recentLength
    this.recent = mark.recent
    // If the cut below fails, the file differs from anything fsynced: the next flush must sync it.
    this.unflushed = true
    await this.cutFile(mark.bytes)
  }

  /** Cuts the file to `length` bytes and makes that durable (the repair of a failed rollback retries this). */
  async cutFile(length: number): Promise<void> {
    // A segment deleted since (its roll was undone) has no file left to hold the bytes.
    if (this.isDeleted) return
    await this.ctx.files.use(this.log, async (fh) => {
      this.ctx.faults.check('segment.truncate', this.log.path)
      await fh.truncate(length)
      await fh.sync()
    })
  }

  private async rollbackOrFail(mark: SegmentMark, cause: unknown): Promise<void> {
    try {
      await this.rollbackTo(mark)
    } catch (err) {
      throw new RollbackError({ segment: this, length: mark.bytes, cause, rollbackError: err })
    }
  }

  /** Indexes batch `b`, which starts at `position` in the file. */
  private indexBatch(b: BatchInfo, position: number, faults?: FaultHooks): void {
    const maxTs = this.maxTs ?? (this.maxTs = { ...NO_TIMESTAMP })
    if (b.maxTimestamp > maxTs.timestamp) {
      maxTs.timestamp = b.maxTimestamp
      maxTs.offset = b.lastOffset
    }
    // A full index only gets sparser: the next append rolls the segment (shouldRoll).
    if (this.bytesSinceLastIndexEntry > this.ctx.config().indexIntervalBytes && !this.offsetIndex.isFull() && !this.timeIndex.isFull()) {
      faults?.check('index.offset.append', this.offsetIndex.path)
      this.offsetIndex.append(b.lastOffset, position)
      faults?.check('index.time.append', this.timeIndex.path)
      this.timeIndex.maybeAppend(maxTs.timestamp, maxTs.offset)
      this.bytesSinceLastIndexEntry = 0
    }
    this.bytesSinceLastIndexEntry += b.size
    if (this.isActive) this.remember(b, position)
  }

  private remember(b: BatchInfo, position: number): void {
    const { size, baseOffset, lastOffset, maxTimestamp, partitionLeaderEpoch, recordCount } = b
    const { producerId, producerEpoch, baseSequence, isTransactional, isControl } = b
    this.recent.push({
      position, size, baseOffset, lastOffset, maxTimestamp, partitionLeaderEpoch, recordCount,
      producerId, producerEpoch, baseSequence, isTransactional, isControl,
    })
  }

  // ---- reads -----------------------------------------------------------------------------

  /**
   * The byte range to serve for a read starting at `startOffset`: from the batch holding it
   * (so a read from the middle of a batch gets the whole batch) for at most `maxBytes`
   * (at least that first batch when `minOneBatch`), never past `maxPosition`. Like Kafka, the
   * range may end inside a batch; clients drop a partial trailing batch.
   */
  async read(options: { startOffset: number; maxBytes: number; maxPosition: number; minOneBatch: boolean }): Promise<SegmentRead | undefined> {
    const first = await this.translateOffset(options.startOffset)
    return first && rangeFrom(first, options)
  }

  /**
   * The first batch whose last offset is >= offset, or undefined if the segment has none.
   * Answered at once from the batches the active segment remembers (a consumer keeping up reads
   * there on every fetch); otherwise through the offset index and the file.
   */
  translateOffset(offset: number, startingPosition = 0): BatchInfo | undefined | Promise<BatchInfo | undefined> {
    const recent = this.recent
    if (recent.length > 0 && offset >= recent[0]!.baseOffset && startingPosition <= recent[0]!.position) {
      return firstEndingAtOrAfter(recent, offset)
    }
    return this.translateOffsetFromIndex(offset, startingPosition)
  }

  private async translateOffsetFromIndex(offset: number, startingPosition: number): Promise<BatchInfo | undefined> {
    await this.ensureIndexes()
    const from = Math.max(this.offsetIndex.lookup(offset).position, startingPosition)
    const scanner = this.scanner({ from, end: this.bytes, chunkSize: LOOKUP_CHUNK })
    for (let b = await scanner.next(); b; b = await scanner.next()) {
      if (b.lastOffset >= offset) return b
    }
    if (scanner.stop !== 'end' && from > startingPosition && (await this.rebuildAfterBadLookup(scanner))) {
      return this.translateOffset(offset, startingPosition)
    }
    this.failOnGarbage(scanner)
    return undefined
  }

  /**
   * An index position that leads into garbage means the index (not the log) is wrong when the
   * segment is immutable: rebuild it once. The active segment is not rebuilt under appends.
   */
  private async rebuildAfterBadLookup(scanner: BatchScanner): Promise<boolean> {
    if (this.isActive || this.lookupRebuilt) return false
    this.lookupRebuilt = true
    this.ctx.logger.warn(`rebuilding indexes of ${this.log.path}: lookup ran into ${scanner.detail}`)
    await this.rebuildIndexes()
    return true
  }

  /**
   * Walks batches that may hold the first record with timestamp >= `timestamp` at an offset
   * >= `startingOffset`, in order, until `accept` returns a result. The caller decides within
   * a batch (that needs the records); the segment only narrows down with the time index.
   */
  async searchByTimestamp<R>(options: {
    timestamp: number
    startingOffset: number
    accept: (batch: BatchInfo) => Promise<R | undefined>
  }): Promise<R | undefined> {
    await this.ensureIndexes()
    const entry = this.timeIndex.lookup(options.timestamp)
    const from = this.offsetIndex.lookup(Math.max(entry.offset, options.startingOffset)).position
    const scanner = this.scanner({ from, end: this.bytes, chunkSize: LOOKUP_CHUNK })
    for (let b = await scanner.next(); b; b = await scanner.next()) {
      if (b.maxTimestamp >= options.timestamp && b.lastOffset >= options.startingOffset) {
        const result = await options.accept(b)
        if (result !== undefined) return result
      }
    }
    this.failOnGarbage(scanner)
    return undefined
  }

  /**
   * Walks the headers of the batches holding offsets >= `fromOffset`, in order (producer state
   * is rebuilt this way). Throws CORRUPT_MESSAGE if the file holds garbage before its end.
   */
  async scanBatches(fromOffset: number, onBatch: (b: BatchInfo) => void | Promise<void>): Promise<void> {
    await this.ensureIndexes()
    const from = this.offsetIndex.lookup(Math.max(fromOffset, this.baseOffset)).position
    const scanner = this.scanner({ from, end: this.bytes, chunkSize: RECOVERY_CHUNK })
    for (let b = await scanner.next(); b; b = await scanner.next()) {
      if (b.lastOffset >= fromOffset) await onBatch(b)
    }
    this.failOnGarbage(scanner)
  }

  /** Reads `length` bytes at `position`; shorter if the file was truncated or deleted meanwhile. */
  async readBytes(position: number, length: number): Promise<Buffer> {
    return readRange(this.ctx.files, this.log, position, length)
  }

  private failOnGarbage(scanner: BatchScanner): void {
    if (scanner.stop !== 'end') {
      throw new StorageError('CORRUPT_MESSAGE', `segment ${this.log.path}: ${scanner.detail}`)
    }
  }

  private scanner(options: { from: number; end: number; chunkSize: number; withBytes?: boolean; verifyCrc?: boolean }): BatchScanner {
    return new BatchScanner({ ...options, read: (pos, len) => this.ctx.files.use(this.log, (fh) => readAt(fh, pos, len)) })
  }

  // ---- timestamps and roll ---------------------------------------------------------------

  /** The largest batch timestamp and the last offset of that batch; (-1, -1) if none. */
  async maxTimestampAndOffset(): Promise<TimestampOffset> {
    if (!this.maxTs) {
      await this.ensureIndexes()
      this.maxTs ??= this.timeIndex.entries > 0 ? this.timeIndex.lastEntry() : { ...NO_TIMESTAMP }
    }
    return { ...this.maxTs }
  }

  /** What retention.ms compares: the newest timestamp, or the file's mtime if there is none. */
  async largestTimestamp(): Promise<number> {
    const { timestamp } = await this.maxTimestampAndOffset()
    if (timestamp >= 0) return timestamp
    try {
      return (await stat(this.log.path)).mtimeMs
    } catch (err) {
      if (isNotFound(err)) return -1
      throw err
    }
  }

  /** Kafka's roll rule for the active segment, given what is about to be appended. */
  shouldRoll(check: RollCheck): boolean | Promise<boolean> {
    if (!this.indexesLoaded) return this.ensureIndexes().then(() => this.shouldRoll(check))
    if (this.bytes > check.segmentBytes - check.messagesSize) return true
    if (this.offsetIndex.isFull() || this.timeIndex.isFull()) return true
    if (!this.offsetIndex.canAppendOffset(check.maxOffsetInMessages)) return true
    if (this.bytes === 0) return false
    // Known once the segment has had an append in this process: no read needed.
    if (this.rollingBasedTimestamp !== undefined) return this.waitedForRoll(check.now, check.maxTimestampInMessages) > check.segmentMs
    return this.timeWaitedForRoll(check.now, check.maxTimestampInMessages).then((waited) => waited > check.segmentMs)
  }

  /**
   * segment.ms is measured on message time when batches carry timestamps (from the first
   * append's to the incoming one), else on the broker's clock since the segment was created.
   */
  private async timeWaitedForRoll(now: number, messageTimestamp: number): Promise<number> {
    if (this.rollingBasedTimestamp === undefined) {
      const first = this.bytes > 0 ? await this.translateOffset(this.baseOffset) : undefined
      this.rollingBasedTimestamp = first ? first.maxTimestamp : -1
    }
    return this.waitedForRoll(now, messageTimestamp)
  }

  private waitedForRoll(now: number, messageTimestamp: number): number {
    const based = this.rollingBasedTimestamp ?? -1
    return based >= 0 ? messageTimestamp - based : now - this.created
  }

  // ---- indexes ---------------------------------------------------------------------------

  /** Loads both indexes, rebuilding them from the log if missing or inconsistent. */
  async ensureIndexes(): Promise<void> {
    if (this.offsetIndex.loaded && this.timeIndex.loaded) {
      if (!this.isActive) this.ctx.indexCache?.touch(this)
      return
    }
    this.indexLoading ??= this.loadIndexes().finally(() => (this.indexLoading = undefined))
    await this.indexLoading
    if (!this.isActive) this.ctx.indexCache?.touch(this)
  }

  private async loadIndexes(): Promise<void> {
    const limit = this.ctx.config().segmentIndexBytes
    this.offsetIndex.setMaxIndexBytes(limit)
    this.timeIndex.setMaxIndexBytes(limit)
    const okOffsets = await this.offsetIndex.load()
    const okTimes = await this.timeIndex.load()
    let problem = !okOffsets ? 'offset index missing or torn' : !okTimes ? 'time index missing or torn' : undefined
    problem ??= this.offsetIndex.findInconsistency(this.bytes) ?? this.timeIndex.findInconsistency()
    // loadTail makes the same check for the active segment while reading its tail anyway.
    if (!this.isActive) problem ??= await this.checkLastIndexEntry()
    if (problem !== undefined) {
      if (this.bytes > 0 || okOffsets) this.ctx.logger.warn(`rebuilding indexes of ${this.log.path}: ${problem}`)
      await this.rebuildIndexes()
    }
    this.bytesSinceLastIndexEntry = this.offsetIndex.entries > 0 ? this.bytes - this.offsetIndex.lastEntry().position : this.bytes
  }

  /** The last offset-index entry must point at a batch ending at that entry's offset. */
  private async checkLastIndexEntry(): Promise<string | undefined> {
    if (this.offsetIndex.entries === 0) return undefined
    const last = this.offsetIndex.lastEntry()
    const scanner = this.scanner({ from: last.position, end: this.bytes, chunkSize: 4096 })
    const b = await scanner.next()
    if (!b || b.lastOffset !== last.offset) return `last index entry ${last.offset}@${last.position} does not match the log`
    return undefined
  }

  /** Re-derives both indexes from the batch headers without changing the log. */
  private async rebuildIndexes(): Promise<void> {
    await this.recover({ verifyCrc: false, truncate: false })
  }

  // ---- recovery and truncation -----------------------------------------------------------

  /**
   * Re-reads the whole file: checks framing, magic, CRC (when asked) and that offsets
   * increase and fit this segment, rebuilds both indexes, and (when asked) cuts the file at the
   * first bad batch. `onBatch` sees every valid batch in order (for the leader epoch cache).
   */
  async recover(options: { verifyCrc: boolean; truncate: boolean; onBatch?: (b: BatchInfo) => void }): Promise<RecoverResult> {
    this.offsetIndex.setMaxIndexBytes(this.ctx.config().segmentIndexBytes)
    this.timeIndex.setMaxIndexBytes(this.ctx.config().segmentIndexBytes)
    this.offsetIndex.reset()
    this.timeIndex.reset()
    this.maxTs = { ...NO_TIMESTAMP }
    this.bytesSinceLastIndexEntry = 0
    this.recent = []
    this.rollingBasedTimestamp = -1
    const scanner = this.scanner({ from: 0, end: this.bytes, chunkSize: RECOVERY_CHUNK, withBytes: options.verifyCrc, verifyCrc: options.verifyCrc })
    let prevLast = this.baseOffset - 1
    let valid = 0
    let problem: string | undefined
    for (let b = await scanner.next(); b; b = await scanner.next()) {
      if (b.baseOffset <= prevLast) {
        problem = `offset ${b.baseOffset} at ${b.position} does not follow ${prevLast}`
        break
      }
      if (!this.offsetIndex.canAppendOffset(b.lastOffset)) {
        problem = `offset ${b.lastOffset} at ${b.position} does not fit the segment`
        break
      }
      if (valid === 0) this.rollingBasedTimestamp = b.maxTimestamp
      this.indexBatch(b, b.position)
      if (this.recent.length > 2 * RECENT_BATCHES) this.recent = this.recent.slice(-RECENT_BATCHES)
      options.onBatch?.(b)
      valid = b.position + b.size
      prevLast = b.lastOffset
    }
    if (problem === undefined && scanner.stop !== 'end') problem = scanner.detail
    if (this.maxTs.timestamp >= 0) this.timeIndex.maybeAppend(this.maxTs.timestamp, this.maxTs.offset, { skipFullCheck: true })
    let truncatedBytes = 0
    if (valid < this.bytes && options.truncate) {
      truncatedBytes = this.bytes - valid
      await this.ctx.files.use(this.log, (fh) => fh.truncate(valid))
      this.bytes = valid
      this.unflushed = true
    }
    await this.persistIndexes({ fsync: false })
    return { truncatedBytes, nextOffset: valid > 0 ? prevLast + 1 : undefined, ...(problem !== undefined ? { problem } : {}) }
  }

  /**
   * For the active segment opened after a clean shutdown: reads the batches after the last
   * index entry to learn the next offset, the newest timestamp and the tail list. Falls back
   * to a full recovery if the tail is not well-formed.
   */
  async loadTail(options: { onBatch?: (b: BatchInfo) => void } = {}): Promise<RecoverResult> {
    await this.ensureIndexes()
    const from = this.offsetIndex.lastEntry().position
    const scanner = this.scanner({ from, end: this.bytes, chunkSize: RECOVERY_CHUNK })
    const tail: BatchInfo[] = []
    let problem: string | undefined
    const indexed = this.offsetIndex.entries > 0 ? this.offsetIndex.lastEntry() : undefined
    for (let b = await scanner.next(); b; b = await scanner.next()) {
      const prev = tail.at(-1)
      if (!prev && indexed && b.lastOffset !== indexed.offset) problem = `last index entry ${indexed.offset}@${indexed.position} does not match the log`
      else if (prev ? b.baseOffset <= prev.lastOffset : b.baseOffset < this.baseOffset) problem = `offset ${b.baseOffset} at ${b.position} out of order`
      else if (!this.offsetIndex.canAppendOffset(b.lastOffset)) problem = `offset ${b.lastOffset} at ${b.position} does not fit`
      if (problem !== undefined) break
      tail.push(b)
    }
    if (problem === undefined && scanner.stop !== 'end') problem = scanner.detail
    const lastOffset = tail.at(-1)?.lastOffset ?? this.baseOffset - 1
    if (problem === undefined && this.timeIndex.entries > 0 && this.timeIndex.lastEntry().offset > lastOffset) {
      problem = `time index points past the last offset ${lastOffset}`
    }
    if (problem !== undefined) {
      this.ctx.logger.warn(`recovering ${this.log.path}: ${problem}`)
      return this.recover({ verifyCrc: true, truncate: true, ...(options.onBatch ? { onBatch: options.onBatch } : {}) })
    }
    const maxTs = this.timeIndex.entries > 0 ? this.timeIndex.lastEntry() : { ...NO_TIMESTAMP }
    for (const b of tail) {
      if (b.maxTimestamp > maxTs.timestamp) {
        maxTs.timestamp = b.maxTimestamp
        maxTs.offset = b.lastOffset
      }
    }
    this.maxTs = maxTs
    this.recent = this.isActive ? tail.slice(-RECENT_BATCHES) : []
    this.bytesSinceLastIndexEntry = this.offsetIndex.entries > 0 ? this.bytes - from : this.bytes
    const last = tail.at(-1)
    return { truncatedBytes: 0, nextOffset: last ? last.lastOffset + 1 : undefined }
  }

  /**
   * Removes every batch holding an offset >= `offset` (a batch straddling it goes whole).
   * Returns the bytes removed; afterwards the tail state is re-read, as for a loaded segment.
   */
  async truncateTo(offset: number): Promise<RecoverResult> {
    await this.ensureIndexes()
    const cut = await this.translateOffset(offset)
    if (!cut) return { truncatedBytes: 0, nextOffset: (await this.loadTail()).nextOffset }
    this.offsetIndex.truncateTo(offset)
    this.timeIndex.truncateTo(offset)
    const removed = this.bytes - cut.position
    this.recent = this.recent.filter((b) => b.position < cut.position)
    this.bytes = cut.position
    await this.ctx.files.use(this.log, (fh) => fh.truncate(cut.position))
    this.unflushed = true
    if (this.bytes === 0) {
      this.created = this.ctx.clock.now()
      this.rollingBasedTimestamp = -1
    }
    this.maxTs = undefined
    const tail = await this.loadTail()
    await this.persistIndexes({ fsync: false })
    return { truncatedBytes: removed, nextOffset: tail.nextOffset }
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /**
   * After a roll: records the final max timestamp in the time index and writes the indexes.
   * Returns what `reactivate` needs to undo it (the append that caused the roll may fail);
   * if writing the indexes fails, the segment is active again when the error is thrown.
   */
  async onBecomeInactive(): Promise<InactiveMark> {
    const mark: InactiveMark = { timeEntries: this.timeIndex.entries, recent: this.recent }
    this.appendFinalTimeIndexEntry()
    this.isActive = false
    this.recent = []
    try {
      await this.persistIndexes({ fsync: false })
    } catch (err) {
      this.reactivate(mark)
      throw err
    }
    this.ctx.indexCache?.touch(this)
    return mark
  }

  /** Undoes onBecomeInactive: the roll it belonged to was taken back. */
  reactivate(mark: InactiveMark): void {
    this.timeIndex.truncateToEntries(mark.timeEntries)
    this.recent = mark.recent
    this.activate()
  }

  /** fsyncs the log and writes and fsyncs the indexes, if anything changed. */
  async flush(): Promise<void> {
    if (this.isDeleted) return
    if (this.unflushed) {
      this.unflushed = false
      try {
        await this.ctx.files.use(this.log, (fh) => {
          this.ctx.faults.check('segment.fsync', this.log.path)
          return fh.sync()
        })
      } catch (err) {
        this.unflushed = true
        if (this.isDeleted && isNotFound(err)) return
        throw err
      }
    }
    await this.persistIndexes({ fsync: true })
  }

  /** Writes final index state (flushing if asked) and releases the descriptor. */
  async close(options: { flush: boolean }): Promise<void> {
    if (this.isDeleted) return
    this.appendFinalTimeIndexEntry()
    if (options.flush) await this.flush()
    else await this.persistIndexes({ fsync: false })
    this.ctx.files.forget(this.log)
    this.ctx.indexCache?.remove(this)
  }

  /** Renames the files to `*.deleted`; readers holding the open descriptor keep reading. */
  async markDeleted(): Promise<void> {
    this.isDeleted = true
    this.isActive = false
    this.recent = []
    this.ctx.indexCache?.remove(this)
    this.offsetIndex.detach()
    this.timeIndex.detach()
    for (const f of [this.log, this.offsetIndex, this.timeIndex]) {
      const to = f.path + DELETED_SUFFIX
      try {
        await rename(f.path, to)
      } catch (err) {
        if (!isNotFound(err)) throw err
      }
      f.path = to
    }
  }

  /** Removes the files for good (after file.delete.delay.ms). */
  async deleteFiles(): Promise<void> {
    this.isDeleted = true
    this.ctx.files.forget(this.log)
    this.ctx.indexCache?.remove(this)
    for (const path of [this.log.path, this.offsetIndex.path, this.timeIndex.path]) {
      try {
        await unlink(path)
      } catch (err) {
        if (!isNotFound(err)) throw err
      }
    }
  }

  private appendFinalTimeIndexEntry(): void {
    if (!this.timeIndex.loaded || !this.maxTs || this.maxTs.timestamp < 0) return
    this.timeIndex.maybeAppend(this.maxTs.timestamp, this.maxTs.offset, { skipFullCheck: true })
  }

  private async persistIndexes(options: { fsync: boolean }): Promise<void> {
    if (this.isDeleted) return
    await this.offsetIndex.persist(options)
    await this.timeIndex.persist(options)
  }
}

/** The first batch of `list` (in offset order) whose last offset is >= offset. */
function firstEndingAtOrAfter(list: readonly BatchInfo[], offset: number): BatchInfo | undefined {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (list[mid]!.lastOffset >= offset) hi = mid
    else lo = mid + 1
  }
  return list[lo]
}

/**
 * The byte range to serve from `first` on: at most `maxBytes` (at least that first batch when
 * `minOneBatch`), never past `maxPosition`.
 */
export function rangeFrom(first: BatchInfo, options: { maxBytes: number; maxPosition: number; minOneBatch: boolean }): SegmentRead {
  const allowed = options.minOneBatch ? Math.max(options.maxBytes, first.size) : options.maxBytes
  const length = Math.max(0, Math.min(options.maxPosition - first.position, allowed))
  return { first, position: first.position, length }
}
