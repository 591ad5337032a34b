/**
 * One partition's batch being filled: records are written straight into the batch's buffer as
 * they are sent (like the Java client's MemoryRecordsBuilder), so closing a batch only fills in
 * the 61-byte header and the CRC, or compresses the record section once.
 *
 * Every record's delivery hangs off one promise per batch: `send` gets `done.then(...)` with
 * its own offset delta, so a batch of a thousand records costs one resolve, not a thousand.
 *
 * A batch the broker refuses as too large is split (`split`, Java's ProducerBatch.split): its
 * records are copied into new batches and it settles once they all have, with each part's
 * outcome (`BatchResult.parts`), so the promises already hanging off it see their own record's
 * offset or error (`recordResult`).
 */
import {
  ATTR_COMPRESSION_MASK,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_COUNT_OFFSET,
  computeBatchCrc,
  type CompressionCodec,
} from '../../protocol/records/batch-header.js'
import { compress } from '../../protocol/records/compression/index.js'
import { Cursor } from '../../protocol/records/cursor.js'
import { readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../../protocol/records/varint.js'

/** A header ready to write: UTF-8 key, value as given. */
export type WireHeader = [string, string | Buffer | null]

export interface BatchResult {
  baseOffset: bigint
  /** LogAppendTime set by the broker, or -1 for CreateTime topics. */
  logAppendTime: number
  /**
   * For a batch that was split: its parts in record order, each from the offset delta (in this
   * batch) of its first record. A split batch's own baseOffset means nothing.
   */
  parts?: BatchPart[]
}

/** One part of a split batch: its records' outcome once its batch settled. */
export interface BatchPart {
  firstDelta: number
  result?: BatchResult
  error?: Error
}

/**
 * The offset (-1 when the broker does not say, as under acks=0) and LogAppendTime of the record
 * at `offsetDelta` of a batch with result `r`; throws the error of the part that held it when
 * that part failed.
 */
export function recordResult(r: BatchResult, offsetDelta: number): { offset: bigint; logAppendTime: number } {
  while (r.parts) {
    const parts = r.parts
    let lo = 0
    let hi = parts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (parts[mid]!.firstDelta <= offsetDelta) lo = mid
      else hi = mid - 1
    }
    const part = parts[lo]!
    if (part.error) throw part.error
    offsetDelta -= part.firstDelta
    r = part.result!
  }
  return { offset: r.baseOffset < 0n ? -1n : r.baseOffset + BigInt(offsetDelta), logAppendTime: r.logAppendTime }
}

function sizeOfValue(v: string | Buffer | null): number {
  if (v === null) return 1
  const n = typeof v === 'string' ? Buffer.byteLength(v) : v.length
  return sizeOfVarint(n) + n
}

function writeValue(buf: Buffer, pos: number, v: string | Buffer | null): number {
  if (v === null) return writeVarint(buf, pos, -1)
  if (typeof v === 'string') {
    const n = Buffer.byteLength(v)
    pos = writeVarint(buf, pos, n)
    return pos + buf.write(v, pos, n, 'utf8')
  }
  pos = writeVarint(buf, pos, v.length)
  return pos + v.copy(buf, pos)
}

/** Bytes of a record's body (without its length prefix) in a batch with the given deltas. */
function recordBodySize(timestampDelta: number, offsetDelta: number, key: Buffer | null, value: string | Buffer | null, headers: WireHeader[] | null): number {
  let body = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta) + sizeOfValue(key) + sizeOfValue(value)
  if (headers === null) body += 1
  else {
    body += sizeOfVarint(headers.length)
    for (const [k, v] of headers) body += sizeOfValue(k) + sizeOfValue(v)
  }
  return body
}

/** Bytes a record takes in a batch with the given deltas, length prefix included. */
export function recordSizeInBatch(timestampDelta: number, offsetDelta: number, key: Buffer | null, value: string | Buffer | null, headers: WireHeader[] | null): number {
  const body = recordBodySize(timestampDelta, offsetDelta, key, value, headers)
  return sizeOfVarint(body) + body
}

/** Upper bound of a record's size whatever its deltas (for the too-large check before a batch exists). */
export function maxRecordSize(key: Buffer | null, value: string | Buffer | null, headers: WireHeader[] | null): number {
  return recordSizeInBatch(2 ** 40, 2 ** 30, key, value, headers)
}

const EMPTY = Buffer.alloc(0)

export class ProducerBatch {
  /** Capacity allocated; counts against bufferMemory until the batch completes. */
  readonly allocated: number
  private buf: Buffer
  private pos = BATCH_HEADER_SIZE
  count = 0
  private baseTimestamp = 0
  private maxTimestamp = 0
  readonly createdMs: number
  /** Sends tried so far. */
  attempts = 0
  /** Not to be sent again before this time (retry backoff). */
  retryAtMs = 0
  /** The sender's: in flight as a probe of the partition's size limit (see sender.ts). */
  probe = false
  /** No more appends: full, or drained for sending. */
  closed = false
  /**
   * Where the batch stands among its partition's batches: creation order, with split parts
   * ordered after their parent's place ([7] splits into [7, 0], [7, 1], ...). Compared only when
   * a batch goes back into its queue.
   */
  order: readonly number[] = []
  /** The error it failed with, once it did. */
  error: Error | undefined
  /** Called once the batch has settled, either way (a split parent hears from its parts). */
  onSettled: (() => void) | undefined
  private parts: BatchPart[] | undefined
  private partsLeft = 0
  private wire: Buffer | undefined
  /**
   * The idempotent producer's stamp (sender.ts assigns it when the batch is first drained, and
   * again after an epoch bump): producer id -1 for a producer without idempotence. A retry
   * resends the same stamp, which is what lets the broker recognise a duplicate.
   */
  producerId = -1n
  producerEpoch = -1
  baseSequence = -1
  /** Part of a transaction (the batch attribute Kafka's transactional producers set). */
  transactional = false
  /** The stamp written into `wire` (a changed stamp rewrites the header and CRC). */
  private wireStamp = ''
  readonly done: Promise<BatchResult>
  private resolveDone!: (r: BatchResult) => void
  private rejectDone!: (e: Error) => void
  settled = false

  constructor(
    readonly topic: string,
    readonly partition: number,
    capacity: number,
    nowMs: number,
    /** A buffer of `capacity` bytes to write into (a pooled one), else one is allocated. */
    buffer?: Buffer,
  ) {
    this.allocated = capacity
    this.buf = buffer !== undefined && buffer.length === capacity ? buffer : Buffer.allocUnsafe(capacity)
    this.createdMs = nowMs
    this.done = new Promise<BatchResult>((resolve, reject) => {
      this.resolveDone = resolve
      this.rejectDone = reject
    })
    // The batch's own promise is only a source for each record's; callers see their own.
    this.done.catch(() => {})
  }

  /** Bytes the batch would send uncompressed. */
  get sizeInBytes(): number {
    return this.pos
  }

  /** Bytes as sent (compressed, when it was); before wireBytes, as it would be uncompressed. */
  get wireSize(): number {
    return this.wire?.length ?? this.pos
  }

  /** Whether the batch was split into others (and so holds no records of its own any more). */
  get isSplit(): boolean {
    return this.parts !== undefined
  }

  /**
   * Appends a record if it fits; returns its offset delta or -1 when the batch is full (the
   * first record always fits: the batch was sized for it).
   */
  tryAppend(timestamp: number, key: Buffer | null, value: string | Buffer | null, headers: WireHeader[] | null): number {
    if (this.closed) return -1
    if (this.count === 0) this.baseTimestamp = this.maxTimestamp = timestamp
    const delta = this.count
    const tsDelta = timestamp - this.baseTimestamp
    const body = recordBodySize(tsDelta, delta, key, value, headers)
    const size = sizeOfVarint(body) + body
    if (this.pos + size > this.buf.length) {
      if (this.count > 0) return -1
      throw new Error(`batch sized ${this.buf.length} cannot hold a record of ${size} bytes`)
    }
    const buf = this.buf
    let pos = writeVarint(buf, this.pos, body)
    buf[pos++] = 0
    pos = writeVarlong(buf, pos, tsDelta)
    pos = writeVarint(buf, pos, delta)
    pos = writeValue(buf, pos, key)
    pos = writeValue(buf, pos, value)
    if (headers === null) buf[pos++] = 0
    else {
      pos = writeVarint(buf, pos, headers.length)
      for (const [k, v] of headers) {
        pos = writeValue(buf, pos, k)
        pos = writeValue(buf, pos, v)
      }
    }
    if (pos !== this.pos + size) throw new Error(`record sizing mismatch: wrote ${pos - this.pos} of ${size} bytes`)
    this.pos = pos
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp
    this.count++
    return delta
  }

  /**
   * Appends a record copied from another batch: `rest` is its key, value and headers as
   * encoded, which do not depend on the batch's base offset and timestamp.
   */
  private appendCopied(timestamp: number, attributes: number, rest: Buffer): void {
    if (this.count === 0) this.baseTimestamp = this.maxTimestamp = timestamp
    const tsDelta = timestamp - this.baseTimestamp
    const body = 1 + sizeOfVarlong(tsDelta) + sizeOfVarint(this.count) + rest.length
    if (this.pos + sizeOfVarint(body) + body > this.buf.length) throw new Error(`split batch sized ${this.buf.length} cannot hold a record of ${body} bytes`)
    let pos = writeVarint(this.buf, this.pos, body)
    this.buf[pos++] = attributes
    pos = writeVarlong(this.buf, pos, tsDelta)
    pos = writeVarint(this.buf, pos, this.count)
    this.pos = pos + rest.copy(this.buf, pos)
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp
    this.count++
  }

  /**
   * Splits the records, in order, into new batches of at most `targetBytes` each (a record
   * larger than that gets one of its own), at least two of them. They keep this batch's
   * creation time (deliveryTimeoutMs still counts from the send) and come after its place in
   * the partition's order. This batch then settles once they all have, with their outcomes as
   * its parts; its buffer may be taken back at once (`releaseBuffer`), the records live on in
   * the new batches' buffers, each allocated to its exact size.
   */
  split(targetBytes: number): ProducerBatch[] {
    if (this.count < 2 || this.settled || this.parts) throw new Error(`cannot split a batch of ${this.count} record(s)${this.settled ? ' that has settled' : ''}`)
    const ts: number[] = []
    const attrs: number[] = []
    const rests: Buffer[] = []
    const c = new Cursor(this.buf, BATCH_HEADER_SIZE, this.pos)
    while (c.pos < c.end) {
      const length = readVarint(c)
      const end = c.pos + length
      attrs.push(this.buf[c.pos++]!)
      ts.push(this.baseTimestamp + readVarlong(c))
      readVarint(c)
      rests.push(this.buf.subarray(c.pos, end))
      c.pos = end
    }
    const n = ts.length
    // The size a record takes as the `delta`th of a batch based at timestamp `base`.
    const size = (i: number, base: number, delta: number) => {
      const body = 1 + sizeOfVarlong(ts[i]! - base) + sizeOfVarint(delta) + rests[i]!.length
      return sizeOfVarint(body) + body
    }
    const starts = [0]
    let bytes = BATCH_HEADER_SIZE + size(0, ts[0]!, 0)
    for (let i = 1; i < n; i++) {
      const first = starts[starts.length - 1]!
      const s = size(i, ts[first]!, i - first)
      if (bytes + s > targetBytes) {
        starts.push(i)
        bytes = BATCH_HEADER_SIZE + size(i, ts[i]!, 0)
      } else {
        bytes += s
      }
    }
    // Everything fit the target: the last record goes on its own, so the split makes progress.
    if (starts.length === 1) starts.push(n - 1)
    const children: ProducerBatch[] = []
    this.parts = []
    this.partsLeft = starts.length
    for (let k = 0; k < starts.length; k++) {
      const from = starts[k]!
      const to = k + 1 < starts.length ? starts[k + 1]! : n
      let capacity = BATCH_HEADER_SIZE
      for (let i = from; i < to; i++) capacity += size(i, ts[from]!, i - from)
      const child = new ProducerBatch(this.topic, this.partition, capacity, this.createdMs)
      for (let i = from; i < to; i++) child.appendCopied(ts[i]!, attrs[i]!, rests[i]!)
      child.closed = true
      child.order = [...this.order, k]
      const part: BatchPart = { firstDelta: from }
      this.parts.push(part)
      child.onSettled = () => {
        part.result = child.result
        part.error = child.error
        if (--this.partsLeft === 0) this.complete({ baseOffset: -1n, logAppendTime: -1, parts: this.parts })
      }
      children.push(child)
    }
    return children
  }

  /** Whether no further record of `size` bytes fits. */
  isFull(nextRecordSize = 1): boolean {
    return this.closed || this.pos + nextRecordSize > this.buf.length
  }

  /**
   * The batch as sent: header filled, records compressed if asked. Built once; a retry resends
   * the same bytes.
   */
  async wireBytes(codec: CompressionCodec): Promise<Buffer> {
    if (this.wire) return this.stamped(this.wire, codec)
    this.closed = true
    let out: Buffer
    if (codec === 0) {
      out = this.buf.subarray(0, this.pos)
    } else {
      const compressed = await compress(codec, this.buf.subarray(BATCH_HEADER_SIZE, this.pos))
      out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length)
      compressed.copy(out, BATCH_HEADER_SIZE)
    }
    out.writeBigInt64BE(0n, BASE_OFFSET_OFFSET)
    out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
    out.writeInt32BE(-1, PARTITION_LEADER_EPOCH_OFFSET) // partition leader epoch: set by the broker
    out.writeInt8(MAGIC_V2, MAGIC_OFFSET)
    out.writeInt32BE(this.count - 1, LAST_OFFSET_DELTA_OFFSET)
    out.writeBigInt64BE(BigInt(this.baseTimestamp), BASE_TIMESTAMP_OFFSET)
    out.writeBigInt64BE(BigInt(this.maxTimestamp), MAX_TIMESTAMP_OFFSET)
    out.writeInt32BE(this.count, RECORD_COUNT_OFFSET)
    this.wire = out
    this.wireStamp = ''
    return this.stamped(out, codec)
  }

  /** Writes the producer stamp and attributes into the wire bytes when they changed, then the CRC. */
  private stamped(out: Buffer, codec: CompressionCodec): Buffer {
    const stamp = `${this.producerId}/${this.producerEpoch}/${this.baseSequence}/${this.transactional}`
    if (stamp === this.wireStamp) return out
    out.writeInt16BE((codec & ATTR_COMPRESSION_MASK) | (this.transactional ? ATTR_TRANSACTIONAL : 0), ATTRIBUTES_OFFSET)
    out.writeBigInt64BE(this.producerId, PRODUCER_ID_OFFSET)
    out.writeInt16BE(this.producerEpoch, PRODUCER_EPOCH_OFFSET)
    out.writeInt32BE(this.baseSequence, BASE_SEQUENCE_OFFSET)
    out.writeUInt32BE(computeBatchCrc(out, 0), CRC_OFFSET)
    this.wireStamp = stamp
    return out
  }

  /** Set once the batch succeeded. */
  result: BatchResult | undefined

  complete(r: BatchResult): void {
    if (this.settled) return
    this.settled = true
    this.result = r
    this.resolveDone(r)
    this.onSettled?.()
  }

  fail(e: Error): void {
    if (this.settled) return
    this.settled = true
    this.error = e
    this.rejectDone(e)
    this.onSettled?.()
  }

  /**
   * Gives up the batch's buffer for reuse once it has settled or been split (undefined before
   * that, or once given up). The batch keeps no view of it, so nothing it hands out later can
   * see the next batch's bytes.
   */
  releaseBuffer(): Buffer | undefined {
    if ((!this.settled && !this.parts) || this.buf.length === 0) return undefined
    const buf = this.buf
    this.buf = EMPTY
    this.wire = undefined
    this.wireStamp = ''
    this.closed = true
    return buf
  }
}
