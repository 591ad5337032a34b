/**
 * The fixed 61-byte header of a magic-v2 record batch, read and patched in place.
 * Storage and the broker's hot path use only this: they never decode individual records.
 *
 *   baseOffset: int64            @0
 *   batchLength: int32           @8   (bytes after this field)
 *   partitionLeaderEpoch: int32  @12
 *   magic: int8                  @16
 *   crc: uint32                  @17  (CRC32C of everything from attributes to the end)
 *   attributes: int16            @21
 *   lastOffsetDelta: int32       @23
 *   baseTimestamp: int64         @27
 *   maxTimestamp: int64          @35
 *   producerId: int64            @43
 *   producerEpoch: int16         @51
 *   baseSequence: int32          @53
 *   recordCount: int32           @57
 *   records                      @61
 */
import { crc32c } from './crc32c.js'

export const BATCH_HEADER_SIZE = 61
/** Offset of the first byte that does not belong to the length-prefixed part (baseOffset + batchLength). */
export const LOG_OVERHEAD = 12
export const CRC_OFFSET = 17
export const ATTRIBUTES_OFFSET = 21
export const MAGIC_OFFSET = 16

export const enum CompressionCodec {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export const ATTR_COMPRESSION_MASK = 0x07
export const ATTR_TIMESTAMP_TYPE = 0x08 // 0 = CreateTime, 1 = LogAppendTime
export const ATTR_TRANSACTIONAL = 0x10
export const ATTR_CONTROL = 0x20
export const ATTR_DELETE_HORIZON = 0x40

export interface BatchHeader {
  baseOffset: bigint
  batchLength: number
  partitionLeaderEpoch: number
  magic: number
  crc: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: bigint
  maxTimestamp: bigint
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  recordCount: number
}

/** Reads the header of the batch at `pos`. The caller checks that 61 bytes are present. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: buf.readBigInt64BE(pos),
    batchLength: buf.readInt32BE(pos + 8),
    partitionLeaderEpoch: buf.readInt32BE(pos + 12),
    magic: buf.readInt8(pos + 16),
    crc: buf.readUInt32BE(pos + 17),
    attributes: buf.readInt16BE(pos + 21),
    lastOffsetDelta: buf.readInt32BE(pos + 23),
    baseTimestamp: buf.readBigInt64BE(pos + 27),
    maxTimestamp: buf.readBigInt64BE(pos + 35),
    producerId: buf.readBigInt64BE(pos + 43),
    producerEpoch: buf.readInt16BE(pos + 51),
    baseSequence: buf.readInt32BE(pos + 53),
    recordCount: buf.readInt32BE(pos + 57),
  }
}

/** Total size on disk/wire of the batch at `pos` (12 + batchLength). */
export function batchSizeAt(buf: Buffer, pos = 0): number {
  return LOG_OVERHEAD + buf.readInt32BE(pos + 8)
}

/** CRC32C over attributes..end, as stored in the header's crc field. */
export function computeBatchCrc(buf: Buffer, pos = 0): number {
  const end = pos + LOG_OVERHEAD + buf.readInt32BE(pos + 8)
  return crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, end))
}

export function isBatchCrcValid(buf: Buffer, pos = 0): boolean {
  return computeBatchCrc(buf, pos) === buf.readUInt32BE(pos + CRC_OFFSET)
}

/** Sets baseOffset; it is outside the CRC, so no recomputation is needed. */
export function setBaseOffset(buf: Buffer, pos: number, baseOffset: bigint): void {
  buf.writeBigInt64BE(baseOffset, pos)
}

export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + 12)
}

/**
 * LogAppendTime: sets the timestamp-type bit and maxTimestamp, then recomputes the CRC
 * (both fields are covered by it). Kafka leaves the per-record deltas untouched.
 */
export function setLogAppendTime(buf: Buffer, pos: number, timestampMs: bigint): void {
  const attrs = buf.readInt16BE(pos + ATTRIBUTES_OFFSET)
  buf.writeInt16BE(attrs | ATTR_TIMESTAMP_TYPE, pos + ATTRIBUTES_OFFSET)
  buf.writeBigInt64BE(timestampMs, pos + 35)
  buf.writeUInt32BE(computeBatchCrc(buf, pos), pos + CRC_OFFSET)
}
