/**
 * Fetched data waiting for the application (Java's FetchBuffer and CompletedFetch).
 *
 * A CompletedFetch is one partition's records from one Fetch response, kept as the response's
 * bytes and decoded one batch at a time as the application reaches it: a prefetched megabyte
 * costs nothing until it is read, and a seek or revocation drops it without decoding. Records
 * are built straight from the batch bytes (no intermediate record objects); keys, values and
 * header values are views into the response buffer.
 *
 * What is never handed out, as in Java's Fetcher: control batches (transaction markers), records
 * before the offset that was fetched (a batch may start earlier), and under read_committed the
 * batches of aborted transactions. The response lists the aborted transactions (producer id,
 * first offset) overlapping the fetched range; walking batches in offset order, a producer id
 * becomes "aborted" once its first offset is reached and stops being so at its ABORT marker.
 */
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_OFFSET,
  CompressionCodec,
  CRC_OFFSET,
  HEADER_SIZE_UP_TO_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LEGACY_V0_MIN_LENGTH,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  MIN_BATCH_LENGTH,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_COUNT_OFFSET,
  computeBatchCrc,
} from '../../protocol/records/batch-header.js'
import { decompress, decompressSync, hasSyncCodec } from '../../protocol/records/compression/index.js'
import { ControlRecordType } from '../../protocol/records/control.js'
import { RecordsError, RecordsErrorCode } from '../../protocol/records/errors.js'
import { decodeLegacyMessages } from '../../protocol/records/legacy.js'
import type { PartitionState } from './subscription-state.js'
import type { ConsumerRecord, ConsumerRecordHeader } from './types.js'

const EMPTY_HEADERS: readonly ConsumerRecordHeader[] = Object.freeze([])
const EMPTY_RECORDS: ConsumerRecord[] = []

export interface AbortedTransaction {
  producerId: bigint
  firstOffset: bigint
}

export interface FetchedPartitionData {
  state: PartitionState
  fetchEpoch: number
  /** The offset that was requested; records before it are skipped. */
  fetchOffset: bigint
  records: Buffer
  highWatermark: bigint
  lastStableOffset: bigint
  logStartOffset: bigint
  abortedTransactions: AbortedTransaction[] | null
}

export interface DecodeOptions {
  checkCrcs: boolean
  readCommitted: boolean
}

/**
 * Frames the complete batches of a Fetch response's records: where they end, the offset after
 * the last one, and whether any needs the asynchronous decompressor (zstd).
 */
export function scanBatches(buf: Buffer): { end: number; nextOffset: bigint | null; needsAsync: boolean } {
  let pos = 0
  let nextOffset: bigint | null = null
  let needsAsync = false
  while (buf.length - pos >= HEADER_SIZE_UP_TO_MAGIC) {
    const length = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET)
    const magic = buf[pos + MAGIC_OFFSET]!
    // Shorter than the smallest v0 message, or a v2 batch shorter than its fixed header: nothing can be framed.
    if (length < LEGACY_V0_MIN_LENGTH || (magic === MAGIC_V2 && length < MIN_BATCH_LENGTH)) throw new RecordsError(RecordsErrorCode.InvalidLength, `batch at byte ${pos} has length ${length}`)
    const size = LOG_OVERHEAD + length
    if (pos + size > buf.length) break
    if (magic === MAGIC_V2) {
      nextOffset = buf.readBigInt64BE(pos + BASE_OFFSET_OFFSET) + BigInt(buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET)) + 1n
      if (!hasSyncCodec(buf.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK)) needsAsync = true
    } else if (magic === 0 || magic === 1) {
      // A legacy entry's offset is its own, or for a compressed wrapper that of its last inner message.
      nextOffset = buf.readBigInt64BE(pos + BASE_OFFSET_OFFSET) + 1n
    } else {
      throw new RecordsError(RecordsErrorCode.UnsupportedMagic, `batch at byte ${pos} has magic ${magic}`)
    }
    pos += size
  }
  return { end: pos, nextOffset, needsAsync }
}

// ---- record decoding ---------------------------------------------------------------------------
// The read position lives in a module variable so the varint readers can advance it without
// allocating a result object per field. It is a `var` on purpose: a module-level `let` costs a
// temporal-dead-zone check on every access, which measured as about 15% of the decoding time.

// eslint-disable-next-line no-var
var P = 0

function corrupt(what: string): never {
  throw new RecordsError(RecordsErrorCode.InvalidRecord, what)
}

function varint(b: Buffer): number {
  let x = b[P++]!
  if (x < 0x80) return (x >>> 1) ^ -(x & 1)
  let u = x & 0x7f
  for (let shift = 7; shift < 35; shift += 7) {
    x = b[P++]!
    u |= (x & 0x7f) << shift
    if (x < 0x80) return (u >>> 1) ^ -(u & 1)
  }
  return corrupt('varint longer than 5 bytes or past the end of the batch')
}

/** A zigzag varlong as a number (timestamp deltas never approach 2^53). */
function varlong(b: Buffer): number {
  let x = b[P++]!
  if (x < 0x80) return (x >>> 1) ^ -(x & 1)
  let u = x & 0x7f
  let mul = 128
  for (let i = 1; i < 10; i++) {
    x = b[P++]!
    u += (x & 0x7f) * mul
    if (x < 0x80) return u % 2 === 0 ? u / 2 : -(u + 1) / 2
    mul *= 128
  }
  return corrupt('varlong longer than 10 bytes or past the end of the batch')
}

interface BatchContext {
  topic: string
  partition: number
  baseOffset: bigint
  baseTimestamp: number
  /** The batch's timestamp for LogAppendTime batches, -1 for CreateTime ones. */
  logAppendTime: number
  leaderEpoch: number | null
  /** Records with a smaller offset delta are before the fetch offset and skipped. */
  minDelta: number
}

function decodeRecords(b: Buffer, start: number, end: number, count: number, ctx: BatchContext): ConsumerRecord[] {
  const out: ConsumerRecord[] = []
  const { topic, partition, baseOffset, baseTimestamp, logAppendTime, leaderEpoch, minDelta } = ctx
  const timestampType = logAppendTime >= 0 ? 'LogAppendTime' : 'CreateTime'
  P = start
  for (let i = 0; i < count; i++) {
    const len = varint(b)
    const recEnd = P + len
    if (len < 6 || recEnd > end) corrupt(`record ${i} of the batch at offset ${baseOffset} overruns the batch`)
    P++ // attributes: unused
    const tsDelta = varlong(b)
    const offsetDelta = varint(b)
    const keyLen = varint(b)
    let key: Buffer | null = null
    if (keyLen >= 0) {
      if (P + keyLen > recEnd) corrupt(`record key overruns its record at offset ${baseOffset + BigInt(offsetDelta)}`)
      key = b.subarray(P, P + keyLen)
      P += keyLen
    }
    const valueLen = varint(b)
    let value: Buffer | null = null
    if (valueLen >= 0) {
      if (P + valueLen > recEnd) corrupt(`record value overruns its record at offset ${baseOffset + BigInt(offsetDelta)}`)
      value = b.subarray(P, P + valueLen)
      P += valueLen
    }
    const headerCount = varint(b)
    let headers = EMPTY_HEADERS
    if (headerCount !== 0) {
      if (headerCount < 0 || headerCount * 2 > recEnd - P) corrupt(`record at offset ${baseOffset + BigInt(offsetDelta)} has ${headerCount} headers`)
      const hs: ConsumerRecordHeader[] = new Array(headerCount)
      for (let h = 0; h < headerCount; h++) {
        const hkLen = varint(b)
        if (hkLen < 0 || P + hkLen > recEnd) corrupt(`header key overruns its record at offset ${baseOffset + BigInt(offsetDelta)}`)
        const hk = b.toString('utf8', P, P + hkLen)
        P += hkLen
        const hvLen = varint(b)
        let hv: Buffer | null = null
        if (hvLen >= 0) {
          if (P + hvLen > recEnd) corrupt(`header value overruns its record at offset ${baseOffset + BigInt(offsetDelta)}`)
          hv = b.subarray(P, P + hvLen)
          P += hvLen
        }
        hs[h] = { key: hk, value: hv }
      }
      headers = hs
    }
    if (P !== recEnd) corrupt(`record at offset ${baseOffset + BigInt(offsetDelta)} declares ${len} bytes but its fields use ${P - recEnd + len}`)
    if (offsetDelta < minDelta) continue
    out.push({
      topic,
      partition,
      offset: baseOffset + BigInt(offsetDelta),
      timestamp: logAppendTime >= 0 ? logAppendTime : baseTimestamp + tsDelta,
      timestampType,
      key,
      value,
      headers,
      leaderEpoch,
    })
  }
  if (P !== end) corrupt(`${end - P} byte(s) follow the ${count} records of the batch at offset ${baseOffset}`)
  return out
}

/** Whether a control batch's record is an ABORT marker (control batches are never compressed). */
function isAbortMarker(b: Buffer, pos: number, end: number): boolean {
  if ((b.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK) !== CompressionCodec.None || b.readInt32BE(pos + RECORD_COUNT_OFFSET) < 1) return false
  P = pos + BATCH_HEADER_SIZE
  varint(b)
  P++
  varlong(b)
  varint(b)
  const keyLen = varint(b)
  if (keyLen < 4 || P + keyLen > end) return false
  return b.readInt16BE(P + 2) === ControlRecordType.Abort
}

// ---- completed fetches --------------------------------------------------------------------------

export class CompletedFetch {
  /** The decoded batch being handed out, and the index of the next record in it. */
  records: ConsumerRecord[] = EMPTY_RECORDS
  idx = 0
  readonly state: PartitionState
  readonly fetchEpoch: number
  readonly size: number
  private pos = 0
  private abortedIdx = 0
  private readonly abortedProducers = new Set<bigint>()
  private readonly aborted: AbortedTransaction[]
  /** Batches decompressed ahead of time (codecs without a synchronous decoder), by byte position. */
  private inflated: Map<number, Buffer> | null = null

  constructor(
    private readonly d: FetchedPartitionData,
    /** Bytes of complete batches in d.records. */
    private readonly end: number,
    /** The offset after the last complete batch: where the next fetch starts. */
    readonly nextFetchOffset: bigint,
    private readonly opts: DecodeOptions,
  ) {
    this.state = d.state
    this.fetchEpoch = d.fetchEpoch
    this.size = end
    this.aborted = opts.readCommitted && d.abortedTransactions ? [...d.abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0)) : []
  }

  get highWatermark(): bigint {
    return this.d.highWatermark
  }
  get lastStableOffset(): bigint {
    return this.d.lastStableOffset
  }
  get logStartOffset(): bigint {
    return this.d.logStartOffset
  }

  /** Seeked, reset or revoked since it was fetched: must not be delivered. */
  get isStale(): boolean {
    return this.state.removed || this.state.fetchEpoch !== this.fetchEpoch
  }

  /** Decompresses, ahead of time, the batches whose codec has no synchronous decoder. */
  async inflateAsync(): Promise<void> {
    const b = this.d.records
    for (let pos = 0; pos < this.end; pos += LOG_OVERHEAD + b.readInt32BE(pos + BATCH_LENGTH_OFFSET)) {
      if (b[pos + MAGIC_OFFSET] !== MAGIC_V2) continue
      const codec = b.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK
      if (hasSyncCodec(codec) || b.readInt32BE(pos + RECORD_COUNT_OFFSET) === 0) continue
      if (this.opts.checkCrcs) this.checkCrc(pos)
      const end = pos + LOG_OVERHEAD + b.readInt32BE(pos + BATCH_LENGTH_OFFSET)
      ;(this.inflated ??= new Map()).set(pos, await decompress(codec, b.subarray(pos + BATCH_HEADER_SIZE, end)))
    }
  }

  private checkCrc(pos: number): void {
    const b = this.d.records
    const stored = b.readUInt32BE(pos + CRC_OFFSET)
    if (computeBatchCrc(b, pos) !== stored) {
      throw new RecordsError(RecordsErrorCode.CrcMismatch, `batch at offset ${b.readBigInt64BE(pos + BASE_OFFSET_OFFSET)} of ${this.state.key} fails its CRC check (corrupt data)`)
    }
  }

  private consumeAbortedUpTo(offset: bigint): void {
    while (this.abortedIdx < this.aborted.length && this.aborted[this.abortedIdx]!.firstOffset <= offset) {
      this.abortedProducers.add(this.aborted[this.abortedIdx++]!.producerId)
    }
  }

  /**
   * Decodes the next batch that has records to deliver into `records` (from `idx` 0). False when
   * the fetch is used up. Throws RecordsError on corrupt data.
   */
  decodeNext(): boolean {
    const b = this.d.records
    const minOffset = this.d.fetchOffset
    while (this.pos < this.end) {
      const pos = this.pos
      const batchEnd = pos + LOG_OVERHEAD + b.readInt32BE(pos + BATCH_LENGTH_OFFSET)
      this.pos = batchEnd
      if (b[pos + MAGIC_OFFSET] !== MAGIC_V2) {
        const legacy = this.decodeLegacy(b.subarray(pos, batchEnd), minOffset)
        if (legacy.length === 0) continue
        this.records = legacy
        this.idx = 0
        return true
      }
      const baseOffset = b.readBigInt64BE(pos + BASE_OFFSET_OFFSET)
      const lastOffsetDelta = b.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET)
      const attrs = b.readInt16BE(pos + ATTRIBUTES_OFFSET)
      if (this.opts.readCommitted) {
        const producerId = b.readBigInt64BE(pos + PRODUCER_ID_OFFSET)
        if (producerId >= 0n) {
          this.consumeAbortedUpTo(baseOffset + BigInt(lastOffsetDelta))
          if (attrs & ATTR_CONTROL) {
            if (isAbortMarker(b, pos, batchEnd)) this.abortedProducers.delete(producerId)
            continue
          }
          if (attrs & ATTR_TRANSACTIONAL && this.abortedProducers.has(producerId)) continue
        }
      }
      if (attrs & ATTR_CONTROL) continue
      const count = b.readInt32BE(pos + RECORD_COUNT_OFFSET)
      if (count === 0 || baseOffset + BigInt(lastOffsetDelta) < minOffset) continue
      const codec = attrs & ATTR_COMPRESSION_MASK
      let data = b
      let start = pos + BATCH_HEADER_SIZE
      let end = batchEnd
      const pre = this.inflated?.get(pos)
      if (pre) {
        data = pre
        start = 0
        end = pre.length
      } else {
        if (this.opts.checkCrcs) this.checkCrc(pos)
        if (codec !== CompressionCodec.None) {
          data = decompressSync(codec, b.subarray(start, end))
          start = 0
          end = data.length
        }
      }
      const epoch = b.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET)
      const out = decodeRecords(data, start, end, count, {
        topic: this.state.topic,
        partition: this.state.partition,
        baseOffset,
        baseTimestamp: Number(b.readBigInt64BE(pos + BASE_TIMESTAMP_OFFSET)),
        logAppendTime: attrs & ATTR_TIMESTAMP_TYPE ? Number(b.readBigInt64BE(pos + MAX_TIMESTAMP_OFFSET)) : -1,
        leaderEpoch: epoch >= 0 ? epoch : null,
        minDelta: minOffset > baseOffset ? Number(minOffset - baseOffset) : 0,
      })
      if (out.length === 0) continue
      this.records = out
      this.idx = 0
      return true
    }
    this.records = EMPTY_RECORDS
    this.idx = 0
    return false
  }

  private decodeLegacy(bytes: Buffer, minOffset: bigint): ConsumerRecord[] {
    const out: ConsumerRecord[] = []
    for (const m of decodeLegacyMessages(bytes, { verifyCrc: this.opts.checkCrcs })) {
      if (m.offset < minOffset) continue
      out.push({
        topic: this.state.topic,
        partition: this.state.partition,
        offset: m.offset,
        timestamp: Number(m.timestamp),
        timestampType: m.timestampType === 1 ? 'LogAppendTime' : 'CreateTime',
        key: m.key,
        value: m.value,
        headers: EMPTY_HEADERS,
        leaderEpoch: null,
      })
    }
    return out
  }
}

/**
 * Completed fetches in arrival order. Paused partitions' fetches stay (they are delivered after
 * `resume`); stale ones are dropped when met.
 */
export class FetchBuffer {
  private queue: CompletedFetch[] = []
  /** Bytes of all buffered fetches. */
  bytes = 0

  get size(): number {
    return this.queue.length
  }

  add(cf: CompletedFetch): void {
    this.queue.push(cf)
    this.bytes += cf.size
    cf.state.bufferedBytes += cf.size
  }

  /** The first fetch that may be delivered now, or undefined. */
  next(): CompletedFetch | undefined {
    for (let i = 0; i < this.queue.length; i++) {
      const cf = this.queue[i]!
      if (cf.isStale) {
        this.removeAt(i--)
        continue
      }
      if (!cf.state.paused) return cf
    }
    return undefined
  }

  remove(cf: CompletedFetch): void {
    const i = this.queue.indexOf(cf)
    if (i >= 0) this.removeAt(i)
  }

  private removeAt(i: number): void {
    const cf = this.queue[i]!
    this.queue.splice(i, 1)
    this.bytes -= cf.size
    cf.state.bufferedBytes -= cf.size
  }

  /** Drops fetches made stale by a seek, reset or revocation, releasing their bytes at once. */
  purge(): void {
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.isStale) this.removeAt(i)
  }

  /** Drops what is buffered for partitions matching `pred` (all when omitted). */
  drop(pred?: (s: PartitionState) => boolean): void {
    for (let i = this.queue.length - 1; i >= 0; i--) if (!pred || pred(this.queue[i]!.state)) this.removeAt(i)
  }
}
