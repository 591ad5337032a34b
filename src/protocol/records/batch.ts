/**
 * Magic-v2 record batches as domain values: encode (with compression), decode (with
 * decompression), and validate without decompressing. The header layout is in batch-header.ts.
 */
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_OFFSET,
  CompressionCodec,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  MIN_BATCH_LENGTH,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_COUNT_OFFSET,
  computeBatchCrc,
  readBatchHeader,
  type BatchHeader,
} from './batch-header.js'
import { compress, compressSync, decompress, decompressSync, type DecompressOptions } from './compression/index.js'
import { Cursor } from './cursor.js'
import { RecordsError, RecordsErrorCode } from './errors.js'
import { MIN_RECORD_SIZE, readRecord, recordBodySize, writeRecord, type BatchRecord } from './record.js'
import { sizeOfVarint } from './varint.js'

export const enum TimestampType {
  CreateTime = 0,
  LogAppendTime = 1,
}

export interface RecordBatch {
  baseOffset: bigint
  partitionLeaderEpoch: number
  /** How the batch was (when decoded) or should be (when encoded) compressed; default none. */
  compression?: CompressionCodec
  timestampType: TimestampType
  isTransactional: boolean
  isControl: boolean
  /** KIP-534: set by the log cleaner; baseTimestamp then holds the tombstone delete horizon. */
  hasDeleteHorizon: boolean
  lastOffsetDelta: number
  baseTimestamp: bigint
  maxTimestamp: bigint
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  records: BatchRecord[]
}

export interface EncodeBatchOptions {
  /** Overrides batch.compression. */
  compression?: CompressionCodec
  /** The codec's level (KIP-390); absent: its default. Async encoding only. */
  level?: number
}

export interface DecodeBatchOptions {
  /** Check the CRC before decoding (default true, like the Java consumer's check.crcs). */
  verifyCrc?: boolean
  /**
   * Most bytes the records of a compressed batch may decompress to; more fails with
   * RecordsError('decompressed-too-large') before they are inflated, or (gzip) as soon as the
   * output passes it. Absent: unbounded.
   */
  maxDecompressedBytes?: number
  /**
   * Most records the header may claim; more fails with RecordsError('too-many-records')
   * before anything is decompressed or allocated for them. Absent: only the structural bound
   * (every record takes at least MIN_RECORD_SIZE bytes of the records section).
   */
  maxRecords?: number
}

/**
 * The least one decoded record costs on the JS heap, measured on Node 20: ~130 bytes with a
 * null key and value, ~320 with one-byte ones, ~480 with a header as well. Seven bytes on the
 * wire can thus take 20-70 times as much once decoded, which is why a record count has a
 * bound of its own.
 */
export const DECODED_RECORD_COST = 128

/**
 * Limits for decoding a batch a client sent in about `bytes` of memory: at most `bytes` of
 * decompressed records, and no more records than `bytes` of record objects can hold.
 */
export function decodeLimits(bytes: number): Required<Pick<DecodeBatchOptions, 'maxDecompressedBytes' | 'maxRecords'>> {
  return { maxDecompressedBytes: bytes, maxRecords: Math.floor(bytes / DECODED_RECORD_COST) }
}

export type BatchInit = Partial<Omit<RecordBatch, 'records' | 'baseTimestamp'>> &
  Pick<RecordBatch, 'records' | 'baseTimestamp'>

/**
 * A batch with Kafka's defaults for what is not given: no producer id/epoch/sequence (-1),
 * unknown leader epoch (-1), CreateTime, and lastOffsetDelta / maxTimestamp derived from the records.
 */
export function createBatch(init: BatchInit): RecordBatch {
  let lastOffsetDelta = 0
  let maxTimestampDelta = 0
  for (const r of init.records) {
    if (r.offsetDelta > lastOffsetDelta) lastOffsetDelta = r.offsetDelta
    if (r.timestampDelta > maxTimestampDelta) maxTimestampDelta = r.timestampDelta
  }
  const batch: RecordBatch = {
    baseOffset: 0n,
    partitionLeaderEpoch: -1,
    compression: CompressionCodec.None,
    timestampType: TimestampType.CreateTime,
    isTransactional: false,
    isControl: false,
    hasDeleteHorizon: false,
    lastOffsetDelta,
    maxTimestamp: init.baseTimestamp + BigInt(maxTimestampDelta),
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    records: init.records,
    baseTimestamp: init.baseTimestamp,
  }
  // Skip explicit undefineds so that `{ producerId: undefined }` keeps the default.
  for (const [k, v] of Object.entries(init)) if (v !== undefined) (batch as unknown as Record<string, unknown>)[k] = v
  return batch
}

/** Absolute offset of a record of the batch. */
export function recordOffset(batch: Pick<RecordBatch, 'baseOffset'>, record: BatchRecord): bigint {
  return batch.baseOffset + BigInt(record.offsetDelta)
}

/** Timestamp of a record as consumers see it: LogAppendTime batches carry one time for all. */
export function recordTimestamp(
  batch: Pick<RecordBatch, 'baseTimestamp' | 'maxTimestamp' | 'timestampType'>,
  record: BatchRecord,
): bigint {
  return batch.timestampType === TimestampType.LogAppendTime ? batch.maxTimestamp : batch.baseTimestamp + BigInt(record.timestampDelta)
}

function attributesOf(batch: RecordBatch, codec: CompressionCodec): number {
  return (
    (codec & ATTR_COMPRESSION_MASK) |
    (batch.timestampType === TimestampType.LogAppendTime ? ATTR_TIMESTAMP_TYPE : 0) |
    (batch.isTransactional ? ATTR_TRANSACTIONAL : 0) |
    (batch.isControl ? ATTR_CONTROL : 0) |
    (batch.hasDeleteHorizon ? ATTR_DELETE_HORIZON : 0)
  )
}

/** Writes the header around records already at buf[BATCH_HEADER_SIZE..], then the CRC over attributes..end. */
function finishBatch(buf: Buffer, batch: RecordBatch, codec: CompressionCodec): Buffer {
  buf.writeBigInt64BE(batch.baseOffset, BASE_OFFSET_OFFSET)
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET)
  buf.writeInt32BE(batch.partitionLeaderEpoch, PARTITION_LEADER_EPOCH_OFFSET)
  buf.writeInt8(MAGIC_V2, MAGIC_OFFSET)
  buf.writeInt16BE(attributesOf(batch, codec), ATTRIBUTES_OFFSET)
  buf.writeInt32BE(batch.lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET)
  buf.writeBigInt64BE(batch.baseTimestamp, BASE_TIMESTAMP_OFFSET)
  buf.writeBigInt64BE(batch.maxTimestamp, MAX_TIMESTAMP_OFFSET)
  buf.writeBigInt64BE(batch.producerId, PRODUCER_ID_OFFSET)
  buf.writeInt16BE(batch.producerEpoch, PRODUCER_EPOCH_OFFSET)
  buf.writeInt32BE(batch.baseSequence, BASE_SEQUENCE_OFFSET)
  buf.writeInt32BE(batch.records.length, RECORD_COUNT_OFFSET)
  buf.writeUInt32BE(computeBatchCrc(buf, 0), CRC_OFFSET)
  return buf
}

/** Writes the records into a fresh buffer, leaving `headroom` bytes in front of them. */
function writeRecords(records: BatchRecord[], headroom: number): Buffer {
  const bodySizes = new Array<number>(records.length)
  let total = headroom
  for (let i = 0; i < records.length; i++) {
    const body = recordBodySize(records[i]!)
    bodySizes[i] = body
    total += sizeOfVarint(body) + body
  }
  const buf = Buffer.allocUnsafe(total)
  let pos = headroom
  for (let i = 0; i < records.length; i++) pos = writeRecord(buf, pos, records[i]!, bodySizes[i])
  // allocUnsafe: a sizing bug must not ship stale memory to a broker.
  if (pos !== total) throw new Error(`record sizing mismatch: wrote ${pos} of ${total} bytes`)
  return buf
}

function withHeader(section: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(BATCH_HEADER_SIZE + section.length)
  section.copy(buf, BATCH_HEADER_SIZE)
  return buf
}

export async function encodeBatch(batch: RecordBatch, options: EncodeBatchOptions = {}): Promise<Buffer> {
  const codec = options.compression ?? batch.compression ?? CompressionCodec.None
  if (codec === CompressionCodec.None) return finishBatch(writeRecords(batch.records, BATCH_HEADER_SIZE), batch, codec)
  const compressed = await compress(codec, writeRecords(batch.records, 0), options.level !== undefined ? { level: options.level } : {})
  return finishBatch(withHeader(compressed), batch, codec)
}

/** Synchronous encoding for every codec but zstd (which throws 'unsupported-compression'). */
export function encodeBatchSync(batch: RecordBatch, options: EncodeBatchOptions = {}): Buffer {
  const codec = options.compression ?? batch.compression ?? CompressionCodec.None
  if (codec === CompressionCodec.None) return finishBatch(writeRecords(batch.records, BATCH_HEADER_SIZE), batch, codec)
  return finishBatch(withHeader(compressSync(codec, writeRecords(batch.records, 0))), batch, codec)
}

export interface BatchProblem {
  code: RecordsErrorCode
  message: string
}

/**
 * Checks the batch at `pos` without decompressing it: complete, length plausible, magic 2, CRC,
 * known codec, record count and lastOffsetDelta consistent. Returns null when it passes.
 */
export function validateBatch(buf: Buffer, pos = 0, options: DecodeBatchOptions = {}): BatchProblem | null {
  const available = buf.length - pos
  if (available < LOG_OVERHEAD) {
    return { code: RecordsErrorCode.Truncated, message: `${available} byte(s) cannot hold a batch's offset and length` }
  }
  const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET)
  if (batchLength < MIN_BATCH_LENGTH) {
    return { code: RecordsErrorCode.InvalidLength, message: `batchLength ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}` }
  }
  if (available < LOG_OVERHEAD + batchLength) {
    return {
      code: RecordsErrorCode.Truncated,
      message: `batch of ${LOG_OVERHEAD + batchLength} bytes but only ${available} available`,
    }
  }
  const magic = buf.readInt8(pos + MAGIC_OFFSET)
  if (magic !== MAGIC_V2) return { code: RecordsErrorCode.UnsupportedMagic, message: `magic ${magic}, expected 2` }
  if (options.verifyCrc !== false) {
    const stored = buf.readUInt32BE(pos + CRC_OFFSET)
    const actual = computeBatchCrc(buf, pos)
    if (stored !== actual) {
      return {
        code: RecordsErrorCode.CrcMismatch,
        message: `stored CRC ${stored.toString(16)} != computed ${actual.toString(16)}`,
      }
    }
  }
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET)
  const codec = attributes & ATTR_COMPRESSION_MASK
  if (codec > CompressionCodec.Zstd) {
    return { code: RecordsErrorCode.UnsupportedCompression, message: `unknown compression codec ${codec}` }
  }
  const recordCount = buf.readInt32BE(pos + RECORD_COUNT_OFFSET)
  const recordsBytes = batchLength - MIN_BATCH_LENGTH
  if (recordCount < 0 || (codec === CompressionCodec.None && recordCount * MIN_RECORD_SIZE > recordsBytes)) {
    return { code: RecordsErrorCode.InvalidRecordCount, message: `record count ${recordCount} with ${recordsBytes} bytes of records` }
  }
  if (recordCount === 0 && codec === CompressionCodec.None && recordsBytes !== 0) {
    return { code: RecordsErrorCode.InvalidRecordCount, message: `no records declared but ${recordsBytes} bytes follow the header` }
  }
  const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET)
  // Offset deltas strictly increase from 0, so the last is at least count - 1 (compaction only removes records).
  if (recordCount > 0 && lastOffsetDelta < recordCount - 1) {
    return {
      code: RecordsErrorCode.InvalidLastOffsetDelta,
      message: `lastOffsetDelta ${lastOffsetDelta} for ${recordCount} records`,
    }
  }
  return null
}

function checkedHeader(buf: Buffer, options: DecodeBatchOptions): BatchHeader {
  const problem = validateBatch(buf, 0, options)
  if (problem) throw new RecordsError(problem.code, problem.message)
  const h = readBatchHeader(buf, 0)
  checkLimits(h, options)
  return h
}

/** The caller's limits, from the header alone: nothing is decompressed or allocated yet. */
function checkLimits(h: BatchHeader, options: DecodeBatchOptions): void {
  const { maxRecords, maxDecompressedBytes } = options
  if (maxRecords !== undefined && h.recordCount > maxRecords) {
    throw new RecordsError(RecordsErrorCode.TooManyRecords, `the batch claims ${h.recordCount} records; the limit is ${maxRecords}`)
  }
  const compressed = (h.attributes & ATTR_COMPRESSION_MASK) !== CompressionCodec.None
  if (compressed && maxDecompressedBytes !== undefined && h.recordCount * MIN_RECORD_SIZE > maxDecompressedBytes) {
    throw new RecordsError(
      RecordsErrorCode.DecompressedTooLarge,
      `the batch claims ${h.recordCount} records, at least ${h.recordCount * MIN_RECORD_SIZE} bytes decompressed; the limit is ${maxDecompressedBytes} bytes`,
    )
  }
}

function decompressOptions(options: DecodeBatchOptions): DecompressOptions {
  return options.maxDecompressedBytes === undefined ? {} : { maxBytes: options.maxDecompressedBytes }
}

function readRecords(data: Buffer, count: number): BatchRecord[] {
  if (count * MIN_RECORD_SIZE > data.length) {
    throw new RecordsError(RecordsErrorCode.InvalidRecordCount, `${count} records cannot fit in ${data.length} bytes`)
  }
  const c = new Cursor(data)
  const records: BatchRecord[] = []
  try {
    for (let i = 0; i < count; i++) records.push(readRecord(c))
  } catch (err) {
    // The batch itself is complete (its length was checked), so running out means a wrong count.
    if (err instanceof RecordsError && err.code === RecordsErrorCode.Truncated) {
      throw new RecordsError(
        RecordsErrorCode.InvalidRecordCount,
        `batch declares ${count} records but its data ends after ${records.length}`,
      )
    }
    throw err
  }
  if (c.remaining !== 0) {
    throw new RecordsError(RecordsErrorCode.InvalidRecordCount, `${c.remaining} byte(s) remain after the declared ${count} records`)
  }
  return records
}

function toBatch(h: BatchHeader, records: BatchRecord[]): RecordBatch {
  return {
    baseOffset: h.baseOffset,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    compression: (h.attributes & ATTR_COMPRESSION_MASK) as CompressionCodec,
    timestampType: h.attributes & ATTR_TIMESTAMP_TYPE ? TimestampType.LogAppendTime : TimestampType.CreateTime,
    isTransactional: (h.attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (h.attributes & ATTR_CONTROL) !== 0,
    hasDeleteHorizon: (h.attributes & ATTR_DELETE_HORIZON) !== 0,
    lastOffsetDelta: h.lastOffsetDelta,
    baseTimestamp: h.baseTimestamp,
    maxTimestamp: h.maxTimestamp,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    records,
  }
}

function recordsSection(buf: Buffer, h: BatchHeader): Buffer {
  return buf.subarray(BATCH_HEADER_SIZE, LOG_OVERHEAD + h.batchLength)
}

/**
 * Decodes the batch at the start of `buf` (bytes after it are ignored). Uncompressed record
 * keys and values are views into `buf`.
 */
export async function decodeBatch(buf: Buffer, options: DecodeBatchOptions = {}): Promise<RecordBatch> {
  const h = checkedHeader(buf, options)
  // Like Kafka, an empty batch is never decompressed: compaction may leave one with codec bits set.
  if (h.recordCount === 0) return toBatch(h, [])
  const data = await decompress(h.attributes & ATTR_COMPRESSION_MASK, recordsSection(buf, h), decompressOptions(options))
  return toBatch(h, readRecords(data, h.recordCount))
}

/** Synchronous decoding for every codec but zstd (which throws 'unsupported-compression'). */
export function decodeBatchSync(buf: Buffer, options: DecodeBatchOptions = {}): RecordBatch {
  const h = checkedHeader(buf, options)
  if (h.recordCount === 0) return toBatch(h, [])
  const data = decompressSync(h.attributes & ATTR_COMPRESSION_MASK, recordsSection(buf, h), decompressOptions(options))
  return toBatch(h, readRecords(data, h.recordCount))
}
