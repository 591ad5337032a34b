/**
 * The local part of a partition's log (Kafka's LocalLog): the segments on disk, where the log
 * ends, rolling, flushing and the recovery point, reading byte ranges, truncation and segment
 * deletion. It knows nothing of high watermarks, leader epochs or validation: the UnifiedLog
 * over it decides what to append and when, and holds the lock under which every mutation
 * here runs (reads take no lock).
 *
 * Reads work on a snapshot of the segment list, and a segment's size grows only after its
 * bytes are written, so a reader never sees a half-written batch. An append that fails is
 * undone step by step (append-undo.ts); an undo that fails on disk leaves a repair that must
 * succeed before the next write.
 */
import { rename, rm, stat } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { StorageError, storageErrorOf } from '../errors.js'
import type { FileCache } from '../io/file-cache.js'
import type { StorageLogger } from '../logger.js'
import { DELETE_DIR_SUFFIX } from './file-names.js'
import { Repairs, type Undo } from './append-undo.js'
import { readRanges } from './log-reader.js'
import { SegmentDeleter } from './segment-deleter.js'
import { readRange, readRangeSync } from './segment-file.js'
import { Segment, type AppendInput, type InactiveMark, type SegmentContext, type SegmentMark, type SegmentState } from './segment.js'
import type { Segments } from './segments.js'
import type { FileRange } from './types.js'

/**
 * Ranges read on the event loop (readRange): at most this large (a tail consumer's fetch of one
 * partition is a few KiB to tens of KiB at tens of MiB/s; a 64 KiB copy is microseconds)...
 */
const HOT_READ_MAX_BYTES = 64 * 1024
/** ...and within this many bytes of the active segment's end: written moments ago, in the page cache. */
const HOT_TAIL_BYTES = 16 * 1024 * 1024

/** A roll done by an append: where the new segment starts and how to take it back. */
export interface Rolled {
  baseOffset: number
  undo: Undo
}

export interface LocalLogOptions {
  dir: string
  /** `<topic>-<partition>`, for messages. */
  name: string
  ctx: SegmentContext
  segments: Segments
  logEndOffset: number
  recoveryPoint: number
}

export class LocalLog {
  readonly dir: string
  readonly ctx: SegmentContext
  readonly repairs: Repairs
  private readonly name: string
  private readonly logger: StorageLogger
  private readonly files: FileCache
  private readonly segments: Segments
  private readonly deleter: SegmentDeleter
  private readonly background = new Set<Promise<unknown>>()
  private endOffset: number
  /** Where the log end offset is in the file: readers must not go past it while an append is in flight. */
  private endPosition: { segment: Segment; position: number }
  private recoveredTo: number
  private flushedAt: number
  private flushing: Promise<void> | undefined
  private flushingTarget = -1

  constructor(options: LocalLogOptions) {
    this.dir = options.dir
    this.name = options.name
    this.ctx = options.ctx
    this.logger = options.ctx.logger
    this.files = options.ctx.files
    this.segments = options.segments
    this.deleter = new SegmentDeleter(options.ctx.logger)
    this.endOffset = options.logEndOffset
    this.endPosition = { segment: options.segments.last!, position: options.segments.last!.size }
    this.recoveredTo = options.recoveryPoint
    this.flushedAt = options.ctx.clock.now()
    this.repairs = new Repairs(options.name, options.ctx.logger)
  }

  // ---- state -----------------------------------------------------------------------------

  get logEndOffset(): number {
    return this.endOffset
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
  /** Oldest first. */
  allSegments(): readonly Segment[] {
    return this.segments.all()
  }
  get firstSegment(): Segment {
    return this.segments.first!
  }
  /** The segment appends go to: the newest. */
  get activeSegment(): Segment {
    return this.segments.last!
  }
  segmentBaseOffsets(): number[] {
    return this.segments.all().map((s) => s.baseOffset)
  }
  segmentStates(): Promise<SegmentState[]> {
    return Promise.all(this.segments.all().map((s) => s.describe()))
  }

  // ---- appends (under the log's lock) ----------------------------------------------------

  /** Rolls first if the active segment cannot take `messagesSize` more bytes of these offsets and timestamps. */
  maybeRoll(args: { messagesSize: number; maxTimestamp: number; firstOffset: number; lastOffset: number; segmentBytes: number; segmentMs: number }): Rolled | undefined | Promise<Rolled | undefined> {
    const active = this.segments.last!
    const roll = active.shouldRoll({
      now: this.ctx.clock.now(),
      messagesSize: args.messagesSize,
      maxTimestampInMessages: args.maxTimestamp,
      maxOffsetInMessages: args.lastOffset,
      segmentBytes: args.segmentBytes,
      segmentMs: args.segmentMs,
    })
    // Without a roll (nearly every append) this answers at once.
    if (roll instanceof Promise) return roll.then((r) => (r ? this.rollAt(Math.max(args.firstOffset, this.endOffset)) : undefined))
    return roll ? this.rollAt(Math.max(args.firstOffset, this.endOffset)) : undefined
  }

  /** A roll at the log end offset; the finished segments are flushed in the background. */
  async roll(): Promise<void> {
    try {
      const rolled = await this.rollAt(this.endOffset)
      if (rolled) this.inBackground(this.flushUpTo(rolled.baseOffset))
    } catch (err) {
      throw storageErrorOf(err, `rolling ${this.name}`)
    }
  }

  /**
   * Starts a new active segment at `baseOffset`; undefined if the active segment is already an
   * empty one there. Either completes or leaves no trace; the undo it returns takes it back.
   */
  async rollAt(baseOffset: number): Promise<Rolled | undefined> {
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
   * Writes whole batches (offsets assigned) at the end of the active segment and indexes them.
   * The log end offset does not move until `advanceEnd`; the undo returned takes the write back.
   */
  append(input: AppendInput): Undo | Promise<Undo> {
    const active = this.segments.last!
    const mark = active.append(input)
    // A small append is written synchronously (Segment.append) and so answers at once.
    return mark instanceof Promise ? mark.then((m) => this.undoAppend(active, m)) : this.undoAppend(active, mark)
  }

  private undoAppend(active: Segment, mark: SegmentMark): Undo {
    return async () => {
      try {
        await active.rollbackTo(mark)
      } catch (e) {
        this.repairs.addCut(active, mark.bytes)
        throw e
      }
    }
  }

  /** Makes appended bytes readable: the log end offset moves to `end` (fsynced: the recovery point too). */
  advanceEnd(end: number, options: { fsynced: boolean }): void {
    this.setEnd(end, this.segments.last!)
    if (options.fsynced) this.recoveredTo = Math.max(this.recoveredTo, end)
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

  /** Byte ranges holding batches from `fromOffset` up to (not including) `upperOffset`, within `maxBytes`. */
  read(options: { fromOffset: number; upperOffset: number; maxBytes: number; minOneBatch: boolean }): FileRange[] | Promise<FileRange[]> {
    const logEnd = this.endOffset
    return readRanges({
      segments: this.segments,
      fromOffset: options.fromOffset,
      upperOffset: Math.min(options.upperOffset, logEnd),
      logEndOffset: logEnd,
      end: this.endPosition,
      maxBytes: options.maxBytes,
      minOneBatch: options.minOneBatch,
    })
  }

  /**
   * The bytes of a range from read(), into `into` if given; shorter (or empty) if the segment
   * was truncated or deleted since. A small range within the last HOT_TAIL_BYTES of the active
   * segment (what a consumer keeping up asks for) is read at once, synchronously
   * (readRangeSync), and returned as it is, not in a promise: those pages were just written.
   * Larger or older ranges go through the thread pool, so a consumer catching up never blocks
   * the event loop on the disk, and the copying of large reads stays off the main thread.
   * Either way into `into` when given (the broker gives every Fetch a buffer: a pooled one for
   * large reads).
   */
  readRange(range: FileRange, into?: Buffer): Buffer | Promise<Buffer> {
    const active = this.segments.last
    if (active && range.file === active.log && range.length <= HOT_READ_MAX_BYTES && range.position + range.length >= active.size - HOT_TAIL_BYTES) {
      try {
        const hot = readRangeSync(this.files, range.file, range.position, range.length, into)
        if (hot) return hot
      } catch (err) {
        return Promise.reject(err)
      }
    }
    return readRange(this.files, range.file, range.position, range.length, into)
  }

  // ---- truncation and deletion (under the log's lock) ------------------------------------

  /**
   * Removes every batch holding an offset >= `offset` (which lies above the first segment's
   * base). The log end offset becomes the end of the last remaining batch.
   */
  async truncateTo(offset: number, fileDeleteDelayMs: number): Promise<void> {
    const later = this.segments.all().filter((s) => s.baseOffset > offset)
    await this.deleteSegments(later, fileDeleteDelayMs)
    const active = this.segments.last!
    active.activate()
    const result = await active.truncateTo(offset)
    this.setEnd(Math.min(offset, result.nextOffset ?? active.baseOffset), active)
    this.recoveredTo = Math.min(this.recoveredTo, this.endOffset)
  }

  /** Deletes every segment and starts an empty one at `offset`. */
  async truncateFullyAndStartAt(offset: number, fileDeleteDelayMs: number): Promise<void> {
    await this.deleteSegments(this.segments.all(), fileDeleteDelayMs)
    const seg = await Segment.create(this.ctx, { dir: this.dir, baseOffset: offset })
    seg.activate()
    this.segments.add(seg)
    this.setEnd(offset, seg)
    this.recoveredTo = Math.min(this.recoveredTo, offset)
  }

  /** Takes segments out of the log; their files go after `fileDeleteDelayMs`. */
  async deleteSegments(segs: readonly Segment[], fileDeleteDelayMs: number): Promise<void> {
    for (const seg of segs) {
      this.segments.remove(seg)
      await this.deleter.delete(seg, fileDeleteDelayMs)
    }
  }

  /**
   * The cleaner's swap (Kafka's replaceSegments), under the log's lock: `<base>.log.cleaned`
   * (fsynced) becomes `.swap`, the group's segments are renamed `*.deleted` (unlinked after
   * file.delete.delay.ms; fetches reading them keep their descriptors), and the swap becomes
   * `<base>.log`, indexed from its batches. A crash at any step leaves files the loader turns
   * into the state before (no swap yet) or after (a swap: it replaces every segment in its range).
   * False, with nothing changed, if a segment of the group left the log meanwhile (retention,
   * truncation).
   */
  async replaceSegments(group: readonly Segment[], cleanedPath: string, fileDeleteDelayMs: number): Promise<Segment | undefined> {
    const live = new Set(this.segments.all())
    if (group.some((s) => !live.has(s) || s.active || s.deleted)) return undefined
    const base = group[0]!.baseOffset
    const swapPath = cleanedPath.slice(0, -'.cleaned'.length) + '.swap'
    this.ctx.faults.check('cleaner.swap', swapPath)
    await rename(cleanedPath, swapPath)
    this.ctx.faults.check('cleaner.replace', swapPath)
    for (let i = 0; i < group.length; i++) {
      // Between two segments of a group: some old segments `.deleted`, the others still `.log`.
      if (i > 0) this.ctx.faults.check('cleaner.delete', swapPath)
      await this.deleteSegments([group[i]!], fileDeleteDelayMs)
    }
    this.ctx.faults.check('cleaner.rename', swapPath)
    await rename(swapPath, cleanedPath.slice(0, -'.cleaned'.length))
    const { size } = await stat(cleanedPath.slice(0, -'.cleaned'.length))
    const seg = Segment.fromDisk(this.ctx, { dir: this.dir, baseOffset: base, size })
    // The indexes are built from the cleaned batches (the old ones went with the old segments).
    await seg.recover({ verifyCrc: false, truncate: false })
    this.segments.add(seg)
    return seg
  }

  private setEnd(offset: number, segment: Segment): void {
    this.endOffset = offset
    this.endPosition = { segment, position: segment.size }
  }

  // ---- flush and lifecycle ---------------------------------------------------------------

  /** For the flush.ms scheduler: flushes if there is unflushed data older than `flushMs`. */
  async flushIfDue(flushMs: number): Promise<boolean> {
    if (this.unflushedMessages <= 0) return false
    if (this.ctx.clock.now() - this.flushedAt < flushMs) return false
    await this.flushUpTo(this.endOffset)
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
    this.flushedAt = this.ctx.clock.now()
  }

  /** Runs `task` beside the caller; failures are logged, and settle() waits for it. */
  inBackground(task: Promise<unknown>): void {
    const tracked = task.catch((err: Error) => this.logger.warn(`${this.name}: background task failed: ${err.message}`))
    this.background.add(tracked)
    void tracked.finally(() => this.background.delete(tracked))
  }

  /** Waits for background work (flush after roll, epoch file writes, started file deletions). */
  async settle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background])
    await this.deleter.settle()
  }

  /** Writes final index state (flushing if asked), finishes deletions; descriptors stay with the pool. */
  async close(options: { flush: boolean }): Promise<void> {
    await this.settle()
    await this.repairs.run().catch((err: Error) => this.logger.warn(`${this.name}: closing with a failed append not undone on disk, which a restart may find: ${err.message}`))
    for (const seg of this.segments.all()) await seg.close({ flush: options.flush })
    if (options.flush) this.recoveredTo = this.endOffset
    await this.deleter.deleteAllNow()
  }

  /** Removes the (closed) log's directory, renamed to `*-delete` first as Kafka does. */
  async deleteDir(): Promise<void> {
    const doomed = `${this.dir}.${randomBytes(8).toString('hex')}${DELETE_DIR_SUFFIX}`
    await rename(this.dir, doomed)
    await rm(doomed, { recursive: true, force: true })
  }
}
