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
 *   timestamps, and are re-encoded in their own codec; a batch left without records keeps its
 *   header when it has a producer id (its producer's state is rebuilt from the log) or when it
 *   ends its group (every segment then ends right before the next begins, which recovery and the
 *   swap's range rely on);
 * - control batches (transaction markers) are kept. TODO(transactions): Kafka removes aborted
 *   records (from the .txnindex) and drops markers delete.retention.ms after no data of their
 *   transaction remains (the two-pass rule); not done yet, so aborted records stay (read_committed
 *   consumers still skip them through the .txnindex, which is kept: segments with aborted
 *   transactions are never merged into an earlier one).
 * Output goes to `<base>.log.cleaned`, fsynced, then the log swaps it in (UnifiedLog.replaceSegments:
 * `.cleaned` -> `.swap` -> old segments `.deleted` -> `.log`); the loader finishes or discards swaps.
 *
 * It runs on the event loop in slices: batches are read and written one at a time with awaits
 * between them, the codecs run on libuv's pool, and an I/O budget (Throttle) paces the bytes.
 */
import { open, rm } from 'node:fs/promises'
import { decodeBatch, encodeBatch, type RecordBatch } from '../../../protocol/records/batch.js'
import type { BatchInfo } from '../batch-scanner.js'
import { LOG_SUFFIX, segmentPath } from '../file-names.js'
import type { Segment } from '../segment.js'
import type { FaultHooks } from '../../../util/faults.js'
import { OffsetMap } from './offset-map.js'
import type { Throttle } from './throttle.js'

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
  /** Swaps the fsynced `cleanedPath` in for `group` (under the log's lock); false if the group changed meanwhile. */
  replaceSegments(group: readonly Segment[], cleanedPath: string): Promise<boolean>
}

export interface CleanOptions {
  now: number
  /** Where the last clean ended (cleaner-offset-checkpoint); below the log start: the log start. */
  firstDirtyOffset: number
  map: OffsetMap
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
  const { now, map } = options
  const firstDirty = Math.max(options.firstDirtyOffset, log.logStartOffset)
  const { segments, firstUncleanableOffset } = await log.cleanableSegments(now)
  const usable = segments.filter((s) => s.baseOffset < firstUncleanableOffset)
  const dirty = usable.filter((s) => s.baseOffset >= firstDirty || nextBase(usable, s, firstUncleanableOffset) > firstDirty)
  if (dirty.length === 0) return undefined
  if (!options.force) {
    const c = await cleanability(log, now, firstDirty)
    if (c.ratio < log.config.minCleanableDirtyRatio && !c.due) return undefined
  }
  const result: CleanResult = { endOffset: firstDirty, segmentsBefore: 0, segmentsAfter: 0, bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsRemoved: 0 }

  // 1. The offset map over whole dirty segments, as many as it holds.
  map.clear()
  let mapEnd = firstDirty
  for (const seg of dirty) {
    const keys: Array<[Buffer, number]> = []
    await forEachBatch(seg, options, result, async (info, batch) => {
      if (info.isControl || batch === undefined) return
      for (const r of batch.records) {
        const offset = info.baseOffset + r.offsetDelta
        if (r.key !== null && offset >= firstDirty) keys.push([r.key, offset])
      }
    })
    if (keys.length > map.room && map.size > 0) break // the next pass goes on from here
    if (keys.length > map.room) throw new RangeError(`${log.name}: segment ${seg.baseOffset} has more keys (${keys.length}) than log.cleaner.dedupe.buffer.size holds (${map.room}); raise it`)
    for (const [k, o] of keys) map.put(k, o)
    mapEnd = nextBase(usable, seg, firstUncleanableOffset)
  }
  result.endOffset = mapEnd

  // 2. Rewrite [log start, mapEnd) group by group.
  const toClean = usable.filter((s) => s.baseOffset < mapEnd)
  const horizon = now - log.config.deleteRetentionMs
  for (const group of groupSegmentsBySize(log, toClean)) {
    result.segmentsBefore += group.length
    const cleanedPath = segmentPath(log.dir, group[0]!.baseOffset, LOG_SUFFIX) + CLEANED_SUFFIX
    const fh = await open(cleanedPath, 'w')
    let written = 0
    let changed = group.length > 1
    try {
      for (let gi = 0; gi < group.length; gi++) {
        const seg = group[gi]!
        const lastOfGroup = gi === group.length - 1
        // Tombstones go once their segment was cleaned before and is past delete.retention.ms.
        const dropTombstones = nextBase(usable, seg, firstUncleanableOffset) <= firstDirty && (await seg.largestTimestamp()) < horizon
        const batches: Array<{ info: BatchInfo; batch: RecordBatch | undefined; bytes: Buffer }> = []
        await forEachBatch(seg, options, result, async (info, batch, bytes) => {
          batches.push({ info, batch, bytes })
        })
        for (let bi = 0; bi < batches.length; bi++) {
          const { info, batch, bytes } = batches[bi]!
          const tail = lastOfGroup && bi === batches.length - 1
          let out = bytes
          if (batch !== undefined && !info.isControl) {
            const kept = batch.records.filter((r) => {
              const offset = info.baseOffset + r.offsetDelta
              if (r.key === null) return false // Kafka drops keyless records from compacted logs
              const latest = map.get(r.key)
              if (latest > offset) return false
              return !(r.value === null && dropTombstones)
            })
            result.recordsRead += batch.records.length
            result.recordsRemoved += batch.records.length - kept.length
            if (kept.length !== batch.records.length) {
              changed = true
              if (kept.length === 0 && info.producerId < 0n && !tail) continue
              out = await encodeBatch({ ...batch, records: kept }, batch.compression !== undefined ? { compression: batch.compression } : {})
            }
          }
          await fh.write(out, 0, out.length, written)
          written += out.length
          await options.throttle?.take(out.length)
        }
      }
      if (!changed) {
        await fh.close()
        await rm(cleanedPath, { force: true })
        result.segmentsAfter += group.length
        continue
      }
      log.faults.check('cleaner.write', cleanedPath)
      await fh.sync()
      await fh.close()
    } catch (err) {
      await fh.close().catch(() => {})
      await rm(cleanedPath, { force: true })
      throw err
    }
    result.bytesWritten += written
    if (await log.replaceSegments(group, cleanedPath)) result.segmentsAfter += 1
    else {
      await rm(cleanedPath, { force: true })
      result.segmentsAfter += group.length
    }
  }
  return result
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

/** Every batch of `seg` in order, decoded unless it is a control batch (slices: one batch per await). */
async function forEachBatch(
  seg: Segment,
  options: CleanOptions,
  result: CleanResult,
  onBatch: (info: BatchInfo, batch: RecordBatch | undefined, bytes: Buffer) => Promise<void>,
): Promise<void> {
  const infos: BatchInfo[] = []
  await seg.scanBatches(seg.baseOffset, (b) => {
    infos.push({ ...b })
  })
  for (const info of infos) {
    const bytes = await seg.readBytes(info.position, info.size)
    if (bytes.length < info.size) throw new Error(`segment ${seg.log.path} shrank while it was cleaned`)
    result.bytesRead += bytes.length
    await options.throttle?.take(bytes.length)
    const batch = info.isControl ? undefined : await decodeBatch(bytes, { verifyCrc: false })
    await onBatch(info, batch, bytes)
  }
}
