/**
 * The heavy half of a cleaning pass, the same code in a worker thread (cleaner-worker.ts) and in
 * process (tests of the cleaning rules): reading dirty segments into the offset map, and reading,
 * filtering and writing one group's `.cleaned` file. It sees the log only through what the main
 * thread sends (cleaner.ts): segment file paths with their sizes, the .txnindex entries over the
 * range, and a snapshot of each producer's last batch; it never touches the log's state, so a
 * failure here leaves no trace beyond the `.cleaned` file, which it removes.
 *
 * Inactive segments never grow, so the file is read up to the size the main thread saw; a
 * segment deleted meanwhile (retention, a swap of another pass) fails the read and so the pass.
 * The `.cleaned` file is not fsynced here: the main thread does that after its fault hook
 * (`cleaner.write`), then swaps it in.
 */
import { threadId } from 'node:worker_threads'
import { open, rm, type FileHandle } from 'node:fs/promises'
import { decodeBatch, encodeBatch, type RecordBatch } from '../../../protocol/records/batch.js'
import { readEndTxnMarker } from '../../../protocol/records/control.js'
import type { AbortedTxn } from '../../index/txn-index.js'
import { BatchScanner, type BatchInfo } from '../batch-scanner.js'
import { readAt } from '../../io/files.js'
import { OffsetMap } from './offset-map.js'
import type { Throttle } from './throttle.js'
import { CleanedTransactionMetadata } from './txn-metadata.js'

export interface SegmentRef {
  path: string
  baseOffset: number
  /** Bytes to read: the size when the pass was planned. */
  size: number
  /** Where the next segment (or the uncleanable part) begins. */
  nextBase: number
}

/** A producer's last batch, as producer state had it when the rewrite began (Kafka's RETAIN_EMPTY). */
export interface ProducerLast {
  producerId: bigint
  /** The last data batch's last offset; -1: no data batch left. */
  lastOffset: number
  producerEpoch: number
}

/** A test hook through the request: the worker fails, or its thread exits, half way through writing. */
export type InjectedFailure = { kind: 'throw'; message: string } | { kind: 'exit' }

export interface MapRequest {
  segments: SegmentRef[]
  firstDirty: number
  /** .txnindex entries over [firstDirty, firstUncleanable). */
  aborted: AbortedTxn[]
  /** Offset map memory for this pass (its share of log.cleaner.dedupe.buffer.size). */
  mapBytes: number
  name: string
}

export interface RewriteRequest {
  /** .txnindex entries over [logStart, mapEnd): the whole range, so every batch of a transaction is seen. */
  aborted: AbortedTxn[]
  producers: ProducerLast[]
  now: number
  deleteRetentionMs: number
}

export interface GroupRequest {
  segments: Array<SegmentRef & { dropTombstones: boolean }>
  cleanedPath: string
  fail?: InjectedFailure
}

export interface PassStats {
  bytesRead: number
  recordsRead: number
  recordsRemoved: number
  abortedRemoved: number
  markersHorizoned: number
  markersRemoved: number
}

export interface MapReply {
  mapEnd: number
  stats: PassStats
  /** The thread that did the work (0: the main thread). */
  threadId: number
}

export interface GroupReply {
  /** False: nothing to remove, the `.cleaned` file is gone and the group stays. */
  changed: boolean
  bytesWritten: number
  /** .txnindex entries whose transactions have no data left: the main thread drops them before the swap. */
  dropEntries: AbortedTxn[]
  stats: PassStats
}

const READ_CHUNK = 1 << 20
const WRITE_CHUNK = 1 << 20

export function emptyStats(): PassStats {
  return { bytesRead: 0, recordsRead: 0, recordsRemoved: 0, abortedRemoved: 0, markersHorizoned: 0, markersRemoved: 0 }
}

export function addStats(into: PassStats, s: PassStats): void {
  into.bytesRead += s.bytesRead
  into.recordsRead += s.recordsRead
  into.recordsRemoved += s.recordsRemoved
  into.abortedRemoved += s.abortedRemoved
  into.markersHorizoned += s.markersHorizoned
  into.markersRemoved += s.markersRemoved
}

/** One pass's state between its steps: the offset map, then the transactions walked by the rewrite. */
export class PassWork {
  private map: OffsetMap | undefined
  private txns: CleanedTransactionMetadata | undefined
  private producers = new Map<bigint, ProducerLast>()
  private now = 0
  private deleteRetentionMs = 0

  /** `reuse`: a map left by an earlier pass, taken if it has the size asked for. */
  constructor(
    private readonly throttle: Throttle | undefined,
    private readonly reuse?: (bytes: number) => OffsetMap,
  ) {}

  /** The offset map over whole dirty segments, as many as it holds; returns where it ends. */
  async buildMap(req: MapRequest, map?: OffsetMap): Promise<MapReply> {
    this.map = map ?? this.reuse?.(req.mapBytes) ?? new OffsetMap(req.mapBytes)
    const m = this.map
    m.clear()
    const stats = emptyStats()
    let mapEnd = req.firstDirty
    const txns = new CleanedTransactionMetadata(req.aborted)
    for (const seg of req.segments) {
      const keys: Array<[Buffer, number]> = []
      await this.forEachBatch(seg, stats, async (info, bytes) => {
        if (info.isControl) {
          const marker = readEndTxnMarker(await decode(bytes))
          if (marker) txns.onMarkerRead(info, marker.commit)
          return
        }
        // An aborted record supersedes nothing (and its batch need not be decoded).
        if (txns.onBatchRead(info)) return
        for (const r of (await decode(bytes)).records) {
          const offset = info.baseOffset + r.offsetDelta
          if (r.key !== null && offset >= req.firstDirty) keys.push([r.key, offset])
        }
      })
      if (keys.length > m.room && m.size > 0) break // the next pass goes on from here
      if (keys.length > m.room) throw new RangeError(`${req.name}: segment ${seg.baseOffset} has more keys (${keys.length}) than log.cleaner.dedupe.buffer.size holds (${m.room}); raise it`)
      for (const [k, o] of keys) m.put(k, o)
      mapEnd = seg.nextBase
    }
    return { mapEnd, stats, threadId }
  }

  beginRewrite(req: RewriteRequest): void {
    this.txns = new CleanedTransactionMetadata(req.aborted)
    this.producers = new Map(req.producers.map((p) => [p.producerId, p]))
    this.now = req.now
    this.deleteRetentionMs = req.deleteRetentionMs
  }

  /** Writes the group's kept batches to `cleanedPath` (not fsynced); removes it on failure or when nothing changed. */
  async cleanGroup(req: GroupRequest, onFail?: (f: InjectedFailure) => never): Promise<GroupReply> {
    const map = this.map
    const txns = this.txns
    if (!map || !txns) throw new Error('cleaner: a group before the offset map and the rewrite began')
    const stats = emptyStats()
    const dropEntries: AbortedTxn[] = []
    const now = this.now
    const out = new OutputFile(await open(req.cleanedPath, 'w'), this.throttle)
    let changed = req.segments.length > 1
    try {
      for (let gi = 0; gi < req.segments.length; gi++) {
        const seg = req.segments[gi]!
        const lastOfGroup = gi === req.segments.length - 1
        await this.forEachBatch(seg, stats, async (info, bytes, isLast) => {
          const tail = lastOfGroup && isLast
          if (req.fail && out.written > 0) onFail ? onFail(req.fail) : failHere(req.fail)
          if (info.isControl) {
            const batch = await decode(bytes)
            const marker = readEndTxnMarker(batch)
            if (marker) {
              const seen = txns.onMarkerRead(info, marker.commit)
              if (seen.dropEntry) dropEntries.push(seen.dropEntry)
              if (seen.discardable && !this.isProducersLast(info)) {
                if (!batch.hasDeleteHorizon) {
                  // A delete.retention.ms near Long.MAX_VALUE must not overflow the int64 field: past 2^53 ms is never anyway.
                  await out.write(await encodeBatch(withDeleteHorizon(batch, Math.min(now + this.deleteRetentionMs, Number.MAX_SAFE_INTEGER))))
                  changed = true
                  stats.markersHorizoned++
                  return
                } else if (Number(batch.baseTimestamp) <= now && !tail) {
                  changed = true
                  stats.markersRemoved++
                  return
                }
              }
            }
            await out.write(bytes)
            return
          }
          const aborted = txns.onBatchRead(info)
          // An aborted batch is decoded only if its header must stay.
          const batch = aborted ? undefined : await decode(bytes)
          const count = batch?.records.length ?? info.recordCount
          const kept = !batch
            ? []
            : batch.records.filter((r) => {
                const offset = info.baseOffset + r.offsetDelta
                if (r.key === null) return false // Kafka drops keyless records from compacted logs
                if (map.get(r.key) > offset) return false
                return !(r.value === null && seg.dropTombstones)
              })
          stats.recordsRead += count
          stats.recordsRemoved += count - kept.length
          if (aborted) stats.abortedRemoved += count
          if (kept.length === count) return out.write(bytes)
          changed = true
          if (kept.length === 0 && !tail && !this.isProducersLast(info)) return
          const header = batch ?? (await decode(bytes))
          await out.write(await encodeBatch({ ...header, records: kept }, header.compression !== undefined ? { compression: header.compression } : {}))
        })
      }
      // A group of one batch still fails (after its write) when a failure is injected.
      if (req.fail) onFail ? onFail(req.fail) : failHere(req.fail)
      await out.close()
    } catch (err) {
      await out.close().catch(() => {})
      await rm(req.cleanedPath, { force: true })
      throw err
    }
    if (!changed) await rm(req.cleanedPath, { force: true })
    return { changed, bytesWritten: changed ? out.written : 0, dropEntries, stats }
  }

  /** Kafka's RETAIN_EMPTY, against the snapshot (see ProducerLast; a stale one only keeps more). */
  private isProducersLast(batch: BatchInfo): boolean {
    const p = this.producers.get(batch.producerId)
    if (p === undefined) return false
    if (p.lastOffset >= 0) return p.lastOffset === batch.lastOffset
    return batch.isControl && batch.producerEpoch === p.producerEpoch
  }

  /** Every batch of the segment in order, with its bytes; `isLast` for the segment's last one. */
  private async forEachBatch(seg: SegmentRef, stats: PassStats, onBatch: (info: BatchInfo, bytes: Buffer, isLast: boolean) => Promise<void>): Promise<void> {
    const fh = await open(seg.path, 'r')
    try {
      const scanner = new BatchScanner({ read: (pos, len) => readAt(fh, pos, len), from: 0, end: seg.size, chunkSize: READ_CHUNK, withBytes: true })
      let cur = await scanner.next()
      let curBytes = cur ? Buffer.from(cur.bytes!) : undefined
      while (cur) {
        const info: BatchInfo = { ...cur }
        delete (info as { bytes?: Buffer }).bytes
        const bytes = curBytes!
        stats.bytesRead += bytes.length
        await this.throttle?.take(bytes.length)
        // One batch ahead, to know the segment's last (scanner bytes are valid until its next call).
        cur = await scanner.next()
        curBytes = cur ? Buffer.from(cur.bytes!) : undefined
        await onBatch(info, bytes, cur === undefined)
      }
      if (scanner.stop !== 'end') throw new Error(`segment ${seg.path} changed while it was cleaned: ${scanner.detail}`)
    } finally {
      await fh.close()
    }
  }
}

/** Buffers writes to the `.cleaned` file and paces them through the I/O budget. */
class OutputFile {
  written = 0
  private pending: Buffer[] = []
  private pendingBytes = 0

  constructor(
    private readonly fh: FileHandle,
    private readonly throttle: Throttle | undefined,
  ) {}

  async write(b: Buffer): Promise<void> {
    this.pending.push(b)
    this.pendingBytes += b.length
    this.written += b.length
    if (this.pendingBytes >= WRITE_CHUNK) await this.flush()
  }

  async close(): Promise<void> {
    try {
      await this.flush()
    } finally {
      await this.fh.close()
    }
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return
    const buf = Buffer.concat(this.pending, this.pendingBytes)
    const at = this.written - this.pendingBytes
    this.pending = []
    this.pendingBytes = 0
    let done = 0
    while (done < buf.length) done += (await this.fh.write(buf, done, buf.length - done, at + done)).bytesWritten
    await this.throttle?.take(buf.length)
  }
}

function failHere(f: InjectedFailure): never {
  if (f.kind === 'exit') throw new Error('cleaner: an injected worker exit cannot run on the main thread')
  throw new Error(f.message)
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
