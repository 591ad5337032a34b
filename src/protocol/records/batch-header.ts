/**
 * The layout of a record batch, in one place: the fixed 61-byte header of a magic-v2 batch
 * (read and patched in place), the prefix every message format shares, and the header of a
 * v0/v1 message. Storage and the broker's hot path use only this: they never decode
 * individual records. Every other file names these offsets instead of repeating the numbers.
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

export const MAGIC_V2 = 2

// ---- what every format starts with (Kafka's Records) ----------------------------------------

export const BASE_OFFSET_OFFSET = 0
/** The int32 size field: bytes of the entry after it. */
export const BATCH_LENGTH_OFFSET = 8
/** Offset of the first byte that does not belong to the length-prefixed part (baseOffset + batchLength). */
export const LOG_OVERHEAD = 12
export const MAGIC_OFFSET = 16
/** Bytes needed to tell an entry's size and format (Kafka's HEADER_SIZE_UP_TO_MAGIC). */
export const HEADER_SIZE_UP_TO_MAGIC = MAGIC_OFFSET + 1

// ---- the magic-v2 batch header (Kafka's DefaultRecordBatch) -----------------------------------

export const PARTITION_LEADER_EPOCH_OFFSET = 12
export const CRC_OFFSET = 17
export const ATTRIBUTES_OFFSET = 21
export const LAST_OFFSET_DELTA_OFFSET = 23
export const BASE_TIMESTAMP_OFFSET = 27
export const MAX_TIMESTAMP_OFFSET = 35
export const PRODUCER_ID_OFFSET = 43
export const PRODUCER_EPOCH_OFFSET = 51
export const BASE_SEQUENCE_OFFSET = 53
export const RECORD_COUNT_OFFSET = 57
/** Where the records (or the compressed record section) start. */
export const BATCH_HEADER_SIZE = 61
/** batchLength of a batch with no records: the header minus baseOffset and batchLength. */
export const MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - LOG_OVERHEAD

// ---- a v0/v1 message (Kafka's LegacyRecord), offsets from the start of the entry ---------------

/** CRC-32 (IEEE) of magic..end. */
export const LEGACY_CRC_OFFSET = 12
/** int8: codec bits 0-2, v1 timestamp type bit 3. */
export const LEGACY_ATTRIBUTES_OFFSET = 17
/** int64, v1 only. */
export const LEGACY_TIMESTAMP_OFFSET = 18
/** Smallest size field of a v0 message: crc, magic, attributes, key and value lengths (null key and value). */
export const LEGACY_V0_MIN_LENGTH = 14
/** Smallest size field of a v1 message: v0's plus the timestamp. */
export const LEGACY_V1_MIN_LENGTH = 22

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

/** Reads the header of the batch at `pos`. The caller checks that BATCH_HEADER_SIZE bytes are present. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: buf.readBigInt64BE(pos + BASE_OFFSET_OFFSET),
    batchLength: buf.readInt32BE(pos + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(pos + MAGIC_OFFSET),
    crc: buf.readUInt32BE(pos + CRC_OFFSET),
    attributes: buf.readInt16BE(pos + ATTRIBUTES_OFFSET),
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: buf.readBigInt64BE(pos + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: buf.readBigInt64BE(pos + MAX_TIMESTAMP_OFFSET),
    producerId: buf.readBigInt64BE(pos + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET),
    recordCount: buf.readInt32BE(pos + RECORD_COUNT_OFFSET),
  }
}

/** Total size on disk/wire of the batch at `pos` (LOG_OVERHEAD + batchLength). */
export function batchSizeAt(buf: Buffer, pos = 0): number {
  return LOG_OVERHEAD + buf.readInt32BE(pos + BATCH_LENGTH_OFFSET)
}

/** CRC32C over attributes..end, as stored in the header's crc field. */
export function computeBatchCrc(buf: Buffer, pos = 0): number {
  const end = pos + LOG_OVERHEAD + buf.readInt32BE(pos + BATCH_LENGTH_OFFSET)
  return crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, end))
}

export function isBatchCrcValid(buf: Buffer, pos = 0): boolean {
  return computeBatchCrc(buf, pos) === buf.readUInt32BE(pos + CRC_OFFSET)
}

/** Sets baseOffset; it is outside the CRC, so no recomputation is needed. */
export function setBaseOffset(buf: Buffer, pos: number, baseOffset: bigint): void {
  buf.writeBigInt64BE(baseOffset, pos + BASE_OFFSET_OFFSET)
}

export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET)
}

/**
 * LogAppendTime: sets the timestamp-type bit and maxTimestamp, then recomputes the CRC
 * (both fields are covered by it). Kafka leaves the per-record deltas untouched.
 */
export function setLogAppendTime(buf: Buffer, pos: number, timestampMs: bigint): void {
  const attrs = buf.readInt16BE(pos + ATTRIBUTES_OFFSET)
  buf.writeInt16BE(attrs | ATTR_TIMESTAMP_TYPE, pos + ATTRIBUTES_OFFSET)
  buf.writeBigInt64BE(timestampMs, pos + MAX_TIMESTAMP_OFFSET)
  buf.writeUInt32BE(computeBatchCrc(buf, pos), pos + CRC_OFFSET)
}
