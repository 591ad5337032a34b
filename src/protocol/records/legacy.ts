/**
 * Message formats v0 and v1 (Kafka before 0.11): old clients produce them (Produce v0-2, which
 * the broker converts to v2 batches before storing: storage/log/up-conversion.ts) and read
 * them (Fetch v0-3, answered with stored v2 batches converted down: broker/down-conversion.ts).
 *
 *   offset: int64, size: int32,
 *   crc: uint32 (CRC-32/IEEE of magic..end), magic: int8, attributes: int8 (bits 0-2 codec, bit 3 v1 timestamp type),
 *   timestamp: int64 (v1 only), key: int32 length + bytes (-1 = null), value: int32 length + bytes (-1 = null)
 *
 * A compressed message ("wrapper") holds a whole inner message set, compressed, as its value.
 * v0 inner messages carry absolute offsets; v1 inner offsets are relative (0..n-1) and the
 * wrapper's offset is that of the last inner message. A v1 wrapper with LogAppendTime imposes
 * its timestamp on every inner message.
 */
import { crc32 } from '@node-rs/crc32'
import { CompressionCodec } from './batch-header.js'
import { TimestampType } from './batch.js'
import { compressSync, decompressSync } from './compression/index.js'
import { breakLegacyDescriptorChecksum, repairLegacyDescriptorChecksum } from './compression/lz4.js'
import { Cursor } from './cursor.js'
import { RecordsError, RecordsErrorCode } from './errors.js'
import { batchSlices } from './record-set.js'

export interface LegacyMessage {
  offset: bigint
  magic: 0 | 1
  /** -1 for v0, which has no timestamps. */
  timestamp: bigint
  timestampType: TimestampType
  key: Buffer | null
  value: Buffer | null
  /** Codec of the wrapper the message came out of (none for a plain message). */
  compression: CompressionCodec
}

export interface LegacyDecodeOptions {
  /** Check each message's CRC (default true). */
  verifyCrc?: boolean
  /**
   * Most bytes the compressed wrappers of the set may decompress to, all of them together;
   * more fails with RecordsError('decompressed-too-large') before (or, gzip, while) inflating.
   * Absent: unbounded (a client reading what a broker accepted).
   */
  maxDecompressedBytes?: number
  /** Most messages the set may expand to (RecordsError('too-many-records') past it). Absent: unbounded. */
  maxMessages?: number
}

/** What a message to encode carries; the offset is absolute (the encoder writes v1 inner offsets relative). */
export interface LegacyMessageInit {
  offset: bigint
  /** Ignored for magic 0; -1 when unknown. */
  timestamp: bigint
  key: Buffer | null
  value: Buffer | null
}

export interface LegacyEncodeOptions {
  magic: 0 | 1
  /** gzip, snappy or lz4 put the messages in one wrapper; zstd does not exist below v2. */
  compression: CompressionCodec
  timestampType: TimestampType
  /** Under LogAppendTime (v1), the time every message and the wrapper carry. */
  logAppendTime?: bigint
}

const NO_TIMESTAMP = -1n
const ATTR_CODEC_MASK = 0x07
const ATTR_LOG_APPEND_TIME = 0x08

interface RawMessage {
  offset: bigint
  magic: 0 | 1
  codec: number
  timestamp: bigint
  timestampType: TimestampType
  key: Buffer | null
  value: Buffer | null
}

function readNullableBytes32(c: Cursor): Buffer | null {
  const len = c.readInt32()
  if (len === -1) return null
  if (len < 0) throw new RecordsError(RecordsErrorCode.InvalidRecord, `negative length ${len} in legacy message`)
  return c.readBytes(len)
}

/** Parses one complete message; `bytes` spans exactly offset..end. */
function parseMessage(bytes: Buffer, verifyCrc: boolean): RawMessage {
  const c = new Cursor(bytes)
  const offset = c.readInt64()
  c.readInt32()
  const crc = c.readUInt32()
  if (verifyCrc) {
    const actual = crc32(bytes.subarray(c.pos))
    if (actual !== crc) {
      throw new RecordsError(
        RecordsErrorCode.CrcMismatch,
        `legacy message at offset ${offset}: stored CRC ${crc.toString(16)} != computed ${actual.toString(16)}`,
      )
    }
  }
  const magic = c.readInt8()
  if (magic !== 0 && magic !== 1) throw new RecordsError(RecordsErrorCode.UnsupportedMagic, `legacy message with magic ${magic}`)
  const attributes = c.readInt8()
  const timestamp = magic === 1 ? c.readInt64() : NO_TIMESTAMP
  const timestampType = magic === 1 && attributes & ATTR_LOG_APPEND_TIME ? TimestampType.LogAppendTime : TimestampType.CreateTime
  const key = readNullableBytes32(c)
  const value = readNullableBytes32(c)
  if (c.remaining !== 0) {
    throw new RecordsError(RecordsErrorCode.InvalidRecord, `legacy message at offset ${offset} has ${c.remaining} trailing byte(s)`)
  }
  return { offset, magic, codec: attributes & ATTR_CODEC_MASK, timestamp, timestampType, key, value }
}

interface Budget {
  verifyCrc: boolean
  /** Decompressed bytes still allowed (Infinity: unbounded). */
  bytes: number
  /** Messages still allowed. */
  messages: number
  maxBytes: number
  maxMessages: number
}

function takeMessage(b: Budget): void {
  if (--b.messages < 0) {
    throw new RecordsError(RecordsErrorCode.TooManyRecords, `legacy message set holds more than ${b.maxMessages} messages`)
  }
}

function expandWrapper(wrapper: RawMessage, budget: Budget): LegacyMessage[] {
  if (wrapper.codec > CompressionCodec.Lz4) {
    throw new RecordsError(RecordsErrorCode.UnsupportedCompression, `codec ${wrapper.codec} in a v${wrapper.magic} message`)
  }
  if (wrapper.value === null) {
    throw new RecordsError(RecordsErrorCode.InvalidRecord, `compressed legacy message at offset ${wrapper.offset} has no value`)
  }
  let compressed = wrapper.value
  if (wrapper.codec === CompressionCodec.Lz4 && wrapper.magic === 0) compressed = repairLegacyDescriptorChecksum(compressed)
  const inner = decompressSync(wrapper.codec, compressed, Number.isFinite(budget.bytes) ? { maxBytes: budget.bytes } : {})
  budget.bytes -= inner.length

  const raws: RawMessage[] = []
  let end = 0
  for (const slice of batchSlices(inner)) {
    takeMessage(budget)
    const m = parseMessage(slice.bytes, budget.verifyCrc)
    if (m.magic !== wrapper.magic) {
      throw new RecordsError(RecordsErrorCode.InvalidRecord, `inner message magic ${m.magic} in a v${wrapper.magic} wrapper`)
    }
    if (m.codec !== CompressionCodec.None) {
      throw new RecordsError(RecordsErrorCode.InvalidRecord, `nested compression in legacy message at offset ${wrapper.offset}`)
    }
    raws.push(m)
    end = slice.position + slice.size
  }
  if (raws.length === 0 || end !== inner.length) {
    throw new RecordsError(RecordsErrorCode.InvalidRecord, `malformed inner message set in wrapper at offset ${wrapper.offset}`)
  }

  const base = wrapper.magic === 1 ? wrapper.offset - raws[raws.length - 1]!.offset : 0n
  const logAppend = wrapper.magic === 1 && wrapper.timestampType === TimestampType.LogAppendTime
  return raws.map((m) => ({
    offset: base + m.offset,
    magic: m.magic,
    timestamp: logAppend ? wrapper.timestamp : m.timestamp,
    timestampType: logAppend ? TimestampType.LogAppendTime : m.timestampType,
    key: m.key,
    value: m.value,
    compression: wrapper.codec as CompressionCodec,
  }))
}

/**
 * Decodes a v0/v1 message set into its messages, compressed wrappers expanded, a partial last
 * message ignored (as for v2 batches in Fetch). Throws RecordsError for a v2 batch in the set.
 */
export function decodeLegacyMessages(buf: Buffer, options: LegacyDecodeOptions = {}): LegacyMessage[] {
  const maxBytes = options.maxDecompressedBytes ?? Number.POSITIVE_INFINITY
  const maxMessages = options.maxMessages ?? Number.POSITIVE_INFINITY
  const budget: Budget = { verifyCrc: options.verifyCrc !== false, bytes: maxBytes, messages: maxMessages, maxBytes, maxMessages }
  const out: LegacyMessage[] = []
  for (const slice of batchSlices(buf)) {
    if (slice.magic > 1) {
      throw new RecordsError(RecordsErrorCode.UnsupportedMagic, `magic ${slice.magic} batch at ${slice.position} in a legacy message set`)
    }
    const m = parseMessage(slice.bytes, budget.verifyCrc)
    if (m.codec === CompressionCodec.None) {
      takeMessage(budget)
      out.push({
        offset: m.offset,
        magic: m.magic,
        timestamp: m.timestamp,
        timestampType: m.timestampType,
        key: m.key,
        value: m.value,
        compression: CompressionCodec.None,
      })
    } else {
      for (const inner of expandWrapper(m, budget)) out.push(inner)
    }
  }
  return out
}

/** Size of one message as encoded: log overhead, CRC, magic, attributes, v1 timestamp, key and value. */
export function legacyMessageSize(magic: 0 | 1, key: Buffer | null, value: Buffer | null): number {
  return 12 + 4 + 1 + 1 + (magic === 1 ? 8 : 0) + 4 + (key?.length ?? 0) + 4 + (value?.length ?? 0)
}

function writeMessage(out: Buffer, pos: number, m: { offset: bigint; magic: 0 | 1; attributes: number; timestamp: bigint; key: Buffer | null; value: Buffer | null }): number {
  const size = legacyMessageSize(m.magic, m.key, m.value)
  out.writeBigInt64BE(m.offset, pos)
  out.writeInt32BE(size - 12, pos + 8)
  let p = pos + 16
  p = out.writeInt8(m.magic, p)
  p = out.writeInt8(m.attributes, p)
  if (m.magic === 1) p = out.writeBigInt64BE(m.timestamp, p)
  p = out.writeInt32BE(m.key ? m.key.length : -1, p)
  if (m.key) p += m.key.copy(out, p)
  p = out.writeInt32BE(m.value ? m.value.length : -1, p)
  if (m.value) p += m.value.copy(out, p)
  out.writeUInt32BE(crc32(out.subarray(pos + 16, p)), pos + 12)
  return p
}

function writeMessages(messages: readonly { offset: bigint; timestamp: bigint; key: Buffer | null; value: Buffer | null }[], magic: 0 | 1, attributes: number): Buffer {
  let total = 0
  for (const m of messages) total += legacyMessageSize(magic, m.key, m.value)
  const out = Buffer.allocUnsafe(total)
  let pos = 0
  for (const m of messages) pos = writeMessage(out, pos, { ...m, magic, attributes })
  return out
}

/**
 * Encodes messages as a v0/v1 message set the way Kafka's MemoryRecordsBuilder writes one:
 * uncompressed, one message each; compressed, one wrapper holding them all (v1: inner offsets
 * 0..n-1, the wrapper at the last absolute offset; v0: absolute inner offsets). Under
 * LogAppendTime (v1) every message and the wrapper carry `logAppendTime` and the flag; a
 * CreateTime wrapper carries the largest timestamp. v0 lz4 frames get the descriptor checksum
 * Kafka 0.8-0.9 computed (over the magic number too), which v0 readers expect.
 */
export function encodeLegacyMessages(messages: readonly LegacyMessageInit[], options: LegacyEncodeOptions): Buffer {
  const { magic, compression } = options
  const logAppend = magic === 1 && options.timestampType === TimestampType.LogAppendTime
  const tsBit = logAppend ? ATTR_LOG_APPEND_TIME : 0
  const stamped = logAppend ? messages.map((m) => ({ ...m, timestamp: options.logAppendTime ?? -1n })) : messages
  if (compression === CompressionCodec.None) return writeMessages(stamped, magic, tsBit)
  if (compression > CompressionCodec.Lz4) {
    throw new RecordsError(RecordsErrorCode.UnsupportedCompression, `codec ${compression} does not exist in message format v${magic}`)
  }
  if (messages.length === 0) return Buffer.alloc(0)
  const first = messages[0]!.offset
  const inner = writeMessages(magic === 1 ? stamped.map((m) => ({ ...m, offset: m.offset - first })) : stamped, magic, tsBit)
  let compressed = compressSync(compression, inner)
  if (compression === CompressionCodec.Lz4 && magic === 0) compressed = breakLegacyDescriptorChecksum(compressed)
  let max = -1n
  for (const m of stamped) if (m.timestamp > max) max = m.timestamp
  const last = messages[messages.length - 1]!.offset
  const out = Buffer.allocUnsafe(legacyMessageSize(magic, null, compressed))
  writeMessage(out, 0, { offset: last, magic, attributes: compression | tsBit, timestamp: max, key: null, value: compressed })
  return out
}
