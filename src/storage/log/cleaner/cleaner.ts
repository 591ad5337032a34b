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
 * It runs on the event loop in slices: batches are read and written one at a time with awaits
 * between them, the codecs run on libuv's pool, and an I/O budget (Throttle) paces the bytes.
 */
import { open, rm } from 'node:fs/promises'
import { decodeBatch, encodeBatch, type RecordBatch } from '../../../protocol/records/batch.js'
import { readEndTxnMarker } from '../../../protocol/records/control.js'
import type { AbortedTxn } from '../../index/txn-index.js'
import type { BatchInfo } from '../batch-scanner.js'
import { LOG_SUFFIX, segmentPath } from '../file-names.js'
import type { Segment } from '../segment.js'
import type { FaultHooks } from '../../../util/faults.js'
import { OffsetMap } from './offset-map.js'
import type { Throttle } from './throttle.js'
import { CleanedTransactionMetadata } from './txn-metadata.js'

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
   * Whether the batch must stay, even emptied, for its producer's state (Kafka's RETAIN_EMPTY):
   * it holds the active producer's last data offset, or it is the marker of an active producer
   * with no data batch left and the producer's current epoch.
   */
  isProducersLast(batch: BatchInfo): boolean
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
  /** Records of aborted transactions among recordsRemoved. */
  abortedRemoved: number
  /** Commit/abort markers given a delete horizon, and removed past it. */
  markersHorizoned: number
  markersRemoved: number
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
  const result: CleanResult = { endOffset: firstDirty, segmentsBefore: 0, segmentsAfter: 0, bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsRemoved: 0, abortedRemoved: 0, markersHorizoned: 0, markersRemoved: 0 }

  // 1. The offset map over whole dirty segments, as many as it holds.
  map.clear()
  let mapEnd = firstDirty
  const mapTxns = new CleanedTransactionMetadata(log.abortedTxns(firstDirty, firstUncleanableOffset))
  for (const seg of dirty) {
    const keys: Array<[Buffer, number]> = []
    await forEachBatch(seg, options, result, async (info, bytes) => {
      if (info.isControl) {
        const marker = readEndTxnMarker(await decode(bytes))
        if (marker) mapTxns.onMarkerRead(info, marker.commit)
        return
      }
      // An aborted record supersedes nothing (and its batch need not be decoded).
      if (mapTxns.onBatchRead(info)) return
      for (const r of (await decode(bytes)).records) {
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
  // The whole range from the log start: every batch of a transaction whose marker it reaches is seen.
  const txns = new CleanedTransactionMetadata(log.abortedTxns(log.logStartOffset, mapEnd))
  for (const group of groupSegmentsBySize(log, toClean)) {
    result.segmentsBefore += group.length
    const dropEntries: AbortedTxn[] = []
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
        const batches: Array<{ info: BatchInfo; bytes: Buffer }> = []
        await forEachBatch(seg, options, result, async (info, bytes) => {
          batches.push({ info, bytes })
        })
        for (let bi = 0; bi < batches.length; bi++) {
          const { info, bytes } = batches[bi]!
          const tail = lastOfGroup && bi === batches.length - 1
          let out = bytes
          if (info.isControl) {
            const batch = await decode(bytes)
            const marker = readEndTxnMarker(batch)
            if (marker) {
              const seen = txns.onMarkerRead(info, marker.commit)
              if (seen.dropEntry) dropEntries.push(seen.dropEntry)
              if (seen.discardable && !log.isProducersLast(info)) {
                if (!batch.hasDeleteHorizon) {
                  // A delete.retention.ms near Long.MAX_VALUE must not overflow the int64 field: past 2^53 ms is never anyway.
                  out = await encodeBatch(withDeleteHorizon(batch, Math.min(now + log.config.deleteRetentionMs, Number.MAX_SAFE_INTEGER)))
                  changed = true
                  result.markersHorizoned++
                } else if (Number(batch.baseTimestamp) <= now && !tail) {
                  changed = true
                  result.markersRemoved++
                  continue
                }
              }
            }
          } else {
            const aborted = txns.onBatchRead(info)
            // An aborted batch is decoded only if its header must stay.
            const batch = aborted ? undefined : await decode(bytes)
            const count = batch?.records.length ?? info.recordCount
            const kept = !batch
              ? []
              : batch.records.filter((r) => {
                  const offset = info.baseOffset + r.offsetDelta
                  if (r.key === null) return false // Kafka drops keyless records from compacted logs
                  const latest = map.get(r.key)
                  if (latest > offset) return false
                  return !(r.value === null && dropTombstones)
                })
            result.recordsRead += count
            result.recordsRemoved += count - kept.length
            if (aborted) result.abortedRemoved += count
            if (kept.length !== count) {
              changed = true
              if (kept.length === 0 && !tail && !log.isProducersLast(info)) continue
              const header = batch ?? (await decode(bytes))
              out = await encodeBatch({ ...header, records: kept }, header.compression !== undefined ? { compression: header.compression } : {})
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
        if (dropEntries.length > 0) await log.dropAbortedTxns(dropEntries)
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
    // Before the swap: these transactions have no data in the old segments either.
    if (dropEntries.length > 0) await log.dropAbortedTxns(dropEntries)
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

/**
 * The marker batch with KIP-534's delete horizon: the attribute set and the horizon as its base
 * timestamp, the records' deltas moved so their timestamps stay what they were.
 */
function withDeleteHorizon(batch: RecordBatch, horizonMs: number): RecordBatch {
  const shift = Number(batch.baseTimestamp) - horizonMs
  return { ...batch, hasDeleteHorizon: true, baseTimestamp: BigInt(horizonMs), records: batch.records.map((r) => ({ ...r, timestampDelta: r.timestampDelta + shift })) }
}

function decode(bytes: Buffer): Promise<RecordBatch> {
  return decodeBatch(bytes, { verifyCrc: false })
}

/** Every batch of `seg` in order, as read (slices: one batch per await). */
async function forEachBatch(
  seg: Segment,
  options: CleanOptions,
  result: CleanResult,
  onBatch: (info: BatchInfo, bytes: Buffer) => Promise<void>,
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
    await onBatch(info, bytes)
  }
}
