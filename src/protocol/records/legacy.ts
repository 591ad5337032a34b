/**
 * Message formats v0 and v1 (Kafka before 0.11), decode only: old clients can still produce
 * them (Produce v0-v2), and the broker must up-convert them to v2 batches before storing.
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
import { decompressSync } from './compression/index.js'
import { repairLegacyDescriptorChecksum } from './compression/lz4.js'
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

function expandWrapper(wrapper: RawMessage, verifyCrc: boolean): LegacyMessage[] {
  if (wrapper.codec > CompressionCodec.Lz4) {
    throw new RecordsError(RecordsErrorCode.UnsupportedCompression, `codec ${wrapper.codec} in a v${wrapper.magic} message`)
  }
  if (wrapper.value === null) {
    throw new RecordsError(RecordsErrorCode.InvalidRecord, `compressed legacy message at offset ${wrapper.offset} has no value`)
  }
  let compressed = wrapper.value
  if (wrapper.codec === CompressionCodec.Lz4 && wrapper.magic === 0) compressed = repairLegacyDescriptorChecksum(compressed)
  const inner = decompressSync(wrapper.codec, compressed)

  const raws: RawMessage[] = []
  let end = 0
  for (const slice of batchSlices(inner)) {
    const m = parseMessage(slice.bytes, verifyCrc)
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
  const verifyCrc = options.verifyCrc !== false
  const out: LegacyMessage[] = []
  for (const slice of batchSlices(buf)) {
    if (slice.magic > 1) {
      throw new RecordsError(RecordsErrorCode.UnsupportedMagic, `magic ${slice.magic} batch at ${slice.position} in a legacy message set`)
    }
    const m = parseMessage(slice.bytes, verifyCrc)
    if (m.codec === CompressionCodec.None) {
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
      for (const inner of expandWrapper(m, verifyCrc)) out.push(inner)
    }
  }
  return out
}
