/**
 * Builds valid magic-v2 record batches for storage tests: correct header, record count,
 * timestamps and CRC32C, with simple records (null key, a value of filler bytes, no headers).
 */
import { computeBatchCrc } from '../../../src/protocol/records/batch-header.js'

export interface BatchSpec {
  records?: number
  /** Bytes in each record's value (default 10). */
  valueSize?: number
  baseOffset?: number
  /** Timestamp of the first record (default 1000). */
  timestamp?: number
  /** Milliseconds between consecutive records (default 0). */
  timestampStep?: number
  /** Explicit per-record timestamps (overrides timestamp/timestampStep). */
  timestamps?: number[]
  partitionLeaderEpoch?: number
  attributes?: number
  producerId?: number
  /** Default -1 (none). */
  producerEpoch?: number
  /** Default -1 (none); an idempotent batch has one. */
  baseSequence?: number
  /** Byte the values are filled with (default: the record index). */
  fill?: number
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1
}

function varint(n: number): number[] {
  let v = zigzag(n)
  const out: number[] = []
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  out.push(v)
  return out
}

function encodeRecord(args: { timestampDelta: number; offsetDelta: number; value: Buffer }): Buffer {
  const body = Buffer.concat([
    Buffer.from([0]), // attributes
    Buffer.from(varint(args.timestampDelta)),
    Buffer.from(varint(args.offsetDelta)),
    Buffer.from(varint(-1)), // null key
    Buffer.from(varint(args.value.length)),
    args.value,
    Buffer.from(varint(0)), // no headers
  ])
  return Buffer.concat([Buffer.from(varint(body.length)), body])
}

export function buildBatch(spec: BatchSpec = {}): Buffer {
  const n = spec.records ?? 1
  const valueSize = spec.valueSize ?? 10
  const ts = spec.timestamps ?? Array.from({ length: n }, (_, i) => (spec.timestamp ?? 1000) + i * (spec.timestampStep ?? 0))
  const records = ts.map((t, i) => encodeRecord({ timestampDelta: t - ts[0]!, offsetDelta: i, value: Buffer.alloc(valueSize, spec.fill ?? i & 0xff) }))
  const body = Buffer.concat(records)
  const buf = Buffer.alloc(61 + body.length)
  buf.writeBigInt64BE(BigInt(spec.baseOffset ?? 0), 0)
  buf.writeInt32BE(buf.length - 12, 8)
  buf.writeInt32BE(spec.partitionLeaderEpoch ?? -1, 12)
  buf.writeInt8(2, 16)
  buf.writeInt16BE(spec.attributes ?? 0, 21)
  buf.writeInt32BE(n - 1, 23)
  buf.writeBigInt64BE(BigInt(ts[0]!), 27)
  buf.writeBigInt64BE(BigInt(Math.max(...ts)), 35)
  buf.writeBigInt64BE(BigInt(spec.producerId ?? -1), 43)
  buf.writeInt16BE(spec.producerEpoch ?? -1, 51)
  buf.writeInt32BE(spec.baseSequence ?? -1, 53)
  buf.writeInt32BE(n, 57)
  body.copy(buf, 61)
  buf.writeUInt32BE(computeBatchCrc(buf, 0), 17)
  return buf
}

export interface ParsedBatch {
  position: number
  size: number
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
  recordCount: number
  leaderEpoch: number
  bytes: Buffer
}

/** Splits a buffer of whole batches (a partial trailing batch is ignored). */
export function parseBatches(buf: Buffer): ParsedBatch[] {
  const out: ParsedBatch[] = []
  let pos = 0
  while (buf.length - pos >= 61) {
    const size = 12 + buf.readInt32BE(pos + 8)
    if (pos + size > buf.length) break
    const baseOffset = Number(buf.readBigInt64BE(pos))
    out.push({
      position: pos,
      size,
      baseOffset,
      lastOffset: baseOffset + buf.readInt32BE(pos + 23),
      maxTimestamp: Number(buf.readBigInt64BE(pos + 35)),
      recordCount: buf.readInt32BE(pos + 57),
      leaderEpoch: buf.readInt32BE(pos + 12),
      bytes: buf.subarray(pos, pos + size),
    })
    pos += size
  }
  return out
}

/**
 * Record (offset, timestamp) pairs of a batch built by buildBatch: a minimal decoder for
 * the RecordLocator hook, which the broker fills with the real record decoder.
 */
export function locateRecords(batch: Buffer): Array<{ offset: number; timestamp: number }> {
  const baseOffset = Number(batch.readBigInt64BE(0))
  const baseTs = Number(batch.readBigInt64BE(27))
  const n = batch.readInt32BE(57)
  let pos = 61
  const readVarint = (): number => {
    let result = 0
    let mul = 1
    for (;;) {
      const b = batch[pos++]!
      result += (b & 0x7f) * mul
      if ((b & 0x80) === 0) break
      mul *= 0x80
    }
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2
  }
  const out: Array<{ offset: number; timestamp: number }> = []
  for (let i = 0; i < n; i++) {
    const len = readVarint()
    const end = pos + len
    pos++ // attributes
    const tsDelta = readVarint()
    const offDelta = readVarint()
    out.push({ offset: baseOffset + offDelta, timestamp: baseTs + tsDelta })
    pos = end
  }
  return out
}
