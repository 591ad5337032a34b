/**
 * One cleaning pass over one log (Kafka's Cleaner.clean), with Kafka's semantics:
 * - the dirty section [firstDirtyOffset, firstUncleanableOffset) is read into an OffsetMap
 *   (key -> latest offset), as far as the map holds whole segments;
 * - every segment from the log start to where the map ends is rewritten, in groups of
 *   consecutive segments whose sum fits one segment (groupSegmentsBySize), keeping a record
 *   only if it is the latest for its key; kept records keep their ORIGINAL offsets (gaps appear);
 * - tombstones (null values) are kept until their segment, already cleaned once, is
 *   delete.retention.ms older than now (its largest timestamp: Kafka's "last modified" rule
 *   before KIP-534), then removed;
 * - batches keep their base offset, last offset delta, producer id/epoch/base sequence and
 *   timestamps, and are re-encoded in their own codec;
 * - transactions (Kafka's CleanedTransactionMetadata, txn-metadata.ts): the records of aborted
 *   transactions (the .txnindex entries over the range) are removed and never enter the offset
 *   map (an aborted write must not hide the committed value it would have replaced); a commit or
 *   abort marker whose transaction has no data left gets a delete horizon, now +
 *   delete.retention.ms, in its batch header (KIP-534: the delete-horizon attribute, the horizon
 *   in the base timestamp), and a later pass past that horizon removes it. An abort's .txnindex
 *   entry goes on the pass that finds no data of it, before the swap (no aborted data remains
 *   either way, and the marker outlives the entry, so read_committed is right at every crash
 *   point). Nothing at or above the last stable offset is cleanable (UnifiedLog.cleaner);
 * - a batch left without records goes, unless it holds its producer's last sequence (or is the
 *   marker of a producer with no data batch left), as Kafka's RETAIN_EMPTY keeps producer state
 *   rebuildable from the log, or it ends its group (every segment then ends right before the
 *   next begins, which recovery and the swap's range rely on); a marker that ends its group stays
 *   until a later pass merges its segment with the next;
 * - a segment with .txnindex entries starts its own group, so every entry stays in the file of
 *   the segment holding its marker.
 * Output goes to `<base>.log.cleaned`, fsynced, then the log swaps it in (UnifiedLog.replaceSegments:
 * `.cleaned` -> `.swap` -> old segments `.deleted` -> `.log`); the loader finishes or discards swaps.
 *
 * The work is split by weight (issue 19): the heavy half (reading the dirty segments into the
 * offset map; reading, filtering, re-encoding and writing each group's `.cleaned` file, within
 * the I/O budget) runs in a worker thread (pass-work.ts, worker-pool.ts), passed file paths,
 * offsets and the .txnindex entries, never batches. This thread keeps what touches the log's
 * state: which segments are cleanable (the high watermark, the LSO, the recovery point), the
 * groups, the producer-state snapshot, the fault hook and fsync of each `.cleaned` file, the
 * .txnindex updates and the swap under the log's lock. A failure in the worker (or its death)
 * fails the pass before the group's swap: the log keeps its old segments.
 */
import { open, rm } from 'node:fs/promises'
import type { AbortedTxn } from '../../index/txn-index.js'
import { LOG_SUFFIX, segmentPath } from '../file-names.js'
import type { Segment } from '../segment.js'
import type { FaultHooks } from '../../../util/faults.js'
import type { OffsetMap } from './offset-map.js'
import { addStats, PassWork, type GroupReply, type GroupRequest, type InjectedFailure, type MapReply, type MapRequest, type ProducerLast, type RewriteRequest, type SegmentRef } from './pass-work.js'
import type { Throttle } from './throttle.js'
import type { CleanerPool, PassRunner } from './worker-pool.js'

export const CLEANED_SUFFIX = '.cleaned'
export const SWAP_SUFFIX = '.swap'

/** What the cleaner needs of a log (UnifiedLog implements it). */
export interface CleanableLog {
  readonly name: string
  readonly dir: string
  readonly logStartOffset: number
  /** The log's fault hooks: `cleaner.write` (before the .cleaned file is fsynced). */
  readonly faults: FaultHooks
  /** Segments below the first uncleanable offset: never the active one. */
  cleanableSegments(now: number): Promise<{ segments: readonly Segment[]; firstUncleanableOffset: number }>
  readonly config: { segmentBytes: number; segmentIndexBytes: number; indexIntervalBytes: number; deleteRetentionMs: number; minCleanableDirtyRatio: number; maxCompactionLagMs: number }
  /** True if the segment starting at `base` has entries in the .txnindex. */
  hasAbortedTxns(base: number): boolean
  /** The .txnindex entries overlapping [from, upper). */
  abortedTxns(from: number, upper: number): AbortedTxn[]
  /** Removes these .txnindex entries (their transactions have no data left), under the log's lock. */
  dropAbortedTxns(entries: readonly AbortedTxn[]): Promise<void>
  /**
   * Each active producer's last data batch (or none) and epoch, for Kafka's RETAIN_EMPTY: a batch
   * that holds its producer's last data offset, or the marker of a producer with no data batch
   * left and its current epoch, stays even emptied.
   */
  producersLast(): ProducerLast[]
  /** Swaps the fsynced `cleanedPath` in for `group` (under the log's lock); false if the group changed meanwhile. */
  replaceSegments(group: readonly Segment[], cleanedPath: string): Promise<boolean>
}

export interface CleanOptions {
  now: number
  /** Where the last clean ended (cleaner-offset-checkpoint); below the log start: the log start. */
  firstDirtyOffset: number
  /** In process: the offset map (tests); with `worker`, the worker holds one of `mapBytes`. */
  map?: OffsetMap
  worker?: { pool: CleanerPool; mapBytes: number }
  /** The I/O budget in process (a worker enforces its share of the pool's). */
  throttle?: Throttle
  /** Clean even below min.cleanable.dirty.ratio (tests, and a max.compaction.lag.ms that is due). */
  force?: boolean
}

export interface CleanResult {
  /** The new first dirty offset (for the checkpoint). */
  endOffset: number
  segmentsBefore: number
  segmentsAfter: number
  bytesRead: number
  bytesWritten: number
  recordsRead: number
  recordsRemoved: number
  /** Records of aborted transactions among recordsRemoved. */
  abortedRemoved: number
  /** Commit/abort markers given a delete horizon, and removed past it. */
  markersHorizoned: number
  markersRemoved: number
  /** The thread that read and wrote (0: the main thread). */
  threadId: number
}

/** Kafka's LogToClean: the dirty ratio and whether max.compaction.lag.ms makes it due anyway. */
export async function cleanability(log: CleanableLog, now: number, firstDirtyOffset: number): Promise<{ ratio: number; due: boolean; dirtyBytes: number }> {
  const { segments, firstUncleanableOffset } = await log.cleanableSegments(now)
  let clean = 0
  let dirty = 0
  let due = false
  for (const s of segments) {
    if (s.baseOffset >= firstUncleanableOffset) break
    if (s.baseOffset < firstDirtyOffset) {
      clean += s.size
    } else {
      dirty += s.size
      // A dirty segment whose newest record is past max.compaction.lag.ms must be cleaned now.
      if (Number.isFinite(log.config.maxCompactionLagMs) && now - (await s.largestTimestamp()) > log.config.maxCompactionLagMs) due = true
    }
  }
  return { ratio: clean + dirty === 0 ? 0 : dirty / (clean + dirty), due: due && dirty > 0, dirtyBytes: dirty }
}

export async function cleanLog(log: CleanableLog, options: CleanOptions): Promise<CleanResult | undefined> {
  const { now } = options
  const firstDirty = Math.max(options.firstDirtyOffset, log.logStartOffset)
  const { segments, firstUncleanableOffset } = await log.cleanableSegments(now)
  const usable = segments.filter((s) => s.baseOffset < firstUncleanableOffset)
  const dirty = usable.filter((s) => s.baseOffset >= firstDirty || nextBase(usable, s, firstUncleanableOffset) > firstDirty)
  if (dirty.length === 0) return undefined
  if (!options.force) {
    const c = await cleanability(log, now, firstDirty)
    if (c.ratio < log.config.minCleanableDirtyRatio && !c.due) return undefined
  }
  const ref = (s: Segment): SegmentRef => ({ path: s.log.path, baseOffset: s.baseOffset, size: s.size, nextBase: nextBase(usable, s, firstUncleanableOffset) })
  const runner = options.worker ? await options.worker.pool.acquire() : new InProcessRunner(options.throttle, options.map)
  try {
    // 1. The offset map over whole dirty segments, as many as it holds (in the runner).
    const mapBytes = options.worker?.mapBytes ?? 0
    const built = await runner.buildMap({ segments: dirty.map(ref), firstDirty, aborted: log.abortedTxns(firstDirty, firstUncleanableOffset), mapBytes, name: log.name })
    const mapEnd = built.mapEnd
    const stats = built.stats
    const result: CleanResult = { endOffset: mapEnd, segmentsBefore: 0, segmentsAfter: 0, bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsRemoved: 0, abortedRemoved: 0, markersHorizoned: 0, markersRemoved: 0, threadId: built.threadId }

    // 2. Rewrite [log start, mapEnd) group by group: the runner writes each .cleaned file, this thread swaps it in.
    const toClean = usable.filter((s) => s.baseOffset < mapEnd)
    const horizon = now - log.config.deleteRetentionMs
    await runner.beginRewrite({ aborted: log.abortedTxns(log.logStartOffset, mapEnd), producers: log.producersLast(), now, deleteRetentionMs: log.config.deleteRetentionMs })
    for (const group of groupSegmentsBySize(log, toClean)) {
      result.segmentsBefore += group.length
      const cleanedPath = segmentPath(log.dir, group[0]!.baseOffset, LOG_SUFFIX) + CLEANED_SUFFIX
      const refs: GroupRequest['segments'] = []
      for (const seg of group) {
        // Tombstones go once their segment was cleaned before and is past delete.retention.ms.
        const dropTombstones = nextBase(usable, seg, firstUncleanableOffset) <= firstDirty && (await seg.largestTimestamp()) < horizon
        refs.push({ ...ref(seg), dropTombstones })
      }
      const fail = injectedFailure(log, cleanedPath)
      let reply: GroupReply
      try {
        reply = await runner.cleanGroup({ segments: refs, cleanedPath, ...(fail ? { fail } : {}) })
      } catch (err) {
        // A worker that died wrote part of the file and could not remove it.
        await rm(cleanedPath, { force: true })
        throw err
      }
      addStats(stats, reply.stats)
      if (!reply.changed) {
        result.segmentsAfter += group.length
        if (reply.dropEntries.length > 0) await log.dropAbortedTxns(reply.dropEntries)
        continue
      }
      try {
        log.faults.check('cleaner.write', cleanedPath)
        const fh = await open(cleanedPath, 'r+')
        try {
          await fh.sync()
        } finally {
          await fh.close()
        }
      } catch (err) {
        await rm(cleanedPath, { force: true })
        throw err
      }
      result.bytesWritten += reply.bytesWritten
      // Before the swap: these transactions have no data in the old segments either.
      if (reply.dropEntries.length > 0) await log.dropAbortedTxns(reply.dropEntries)
      if (await log.replaceSegments(group, cleanedPath)) result.segmentsAfter += 1
      else {
        await rm(cleanedPath, { force: true })
        result.segmentsAfter += group.length
      }
    }
    Object.assign(result, stats)
    return result
  } finally {
    runner.release()
  }
}

/**
 * The in-process runner: the same steps on this thread, for the tests of the cleaning rules
 * (they drive cleanLog with an injected clock and fault hooks, many passes per test, where a
 * worker per test file would only add start-up time) and for a caller without a pool.
 */
class InProcessRunner implements PassRunner {
  private readonly work: PassWork

  constructor(
    throttle: Throttle | undefined,
    private readonly map: OffsetMap | undefined,
  ) {
    this.work = new PassWork(throttle)
  }

  buildMap(req: MapRequest): Promise<MapReply> {
    if (!this.map) throw new Error('cleanLog: an offset map or a worker pool is needed')
    return this.work.buildMap(req, this.map)
  }

  async beginRewrite(req: RewriteRequest): Promise<void> {
    this.work.beginRewrite(req)
  }

  cleanGroup(req: GroupRequest): Promise<GroupReply> {
    return this.work.cleanGroup(req)
  }

  release(): void {}
}

/**
 * Test hooks into the runner: `cleaner.worker` armed makes it fail with that error half way
 * through writing the group; `cleaner.worker.exit` makes the worker thread exit there.
 */
function injectedFailure(log: CleanableLog, cleanedPath: string): InjectedFailure | undefined {
  try {
    log.faults.check('cleaner.worker.exit', cleanedPath)
  } catch {
    return { kind: 'exit' }
  }
  try {
    log.faults.check('cleaner.worker', cleanedPath)
  } catch (err) {
    return { kind: 'throw', message: (err as Error).message }
  }
  return undefined
}

/** Where the segment after `seg` begins (the first uncleanable offset after the last one). */
function nextBase(segments: readonly Segment[], seg: Segment, end: number): number {
  const i = segments.indexOf(seg)
  return segments[i + 1]?.baseOffset ?? end
}

/**
 * Kafka's groupSegmentsBySize: consecutive segments whose sizes sum to at most segment.bytes,
 * whose offsets fit one segment's index (int32 deltas), and whose indexes would fit
 * segment.index.bytes. A segment with aborted transactions starts its own group, so its
 * .txnindex stays with its base offset.
 */
export function groupSegmentsBySize(log: CleanableLog, segments: readonly Segment[]): Segment[][] {
  const groups: Segment[][] = []
  const indexEntryBytes = 12 // the larger of the offset (8) and time (12) index entries
  let i = 0
  while (i < segments.length) {
    const group = [segments[i]!]
    let bytes = segments[i]!.size
    let indexBytes = indexEntryBytes * (Math.floor(segments[i]!.size / Math.max(1, log.config.indexIntervalBytes)) + 1)
    i++
    while (i < segments.length) {
      const s = segments[i]!
      const nextIndex = indexEntryBytes * (Math.floor(s.size / Math.max(1, log.config.indexIntervalBytes)) + 1)
      const after = segments[i + 1]?.baseOffset ?? s.baseOffset
      if (bytes + s.size > log.config.segmentBytes) break
      if (indexBytes + nextIndex > log.config.segmentIndexBytes) break
      if (after - group[0]!.baseOffset > 0x7fffffff) break
      if (log.hasAbortedTxns(s.baseOffset)) break
      group.push(s)
      bytes += s.size
      indexBytes += nextIndex
      i++
    }
    groups.push(group)
  }
  return groups
}
