/**
 * The one place a producer's records are validated before they are stored
 * (validateProducerRecords, called by UnifiedLog.appendAsLeader). The common path looks only
 * at batch headers and the CRC: framing, magic v2, CRC32C, size limits, a record count that
 * matches the offset range, the codec, and CreateTime bounds.
 *
 * checkProducerBatch then applies what Kafka's LogValidator recomputes from the records, but
 * decodes them only when the header says it must: a CreateTime max timestamp the records can
 * contradict (-1, below the first timestamp, or differing from it in a one-record batch), or
 * a compacted topic (every record needs a key). Everything else is stored as sent.
 */
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  MIN_BATCH_LENGTH,
  RECORD_COUNT_OFFSET,
  CompressionCodec,
  computeBatchCrc,
  isBatchCrcValid,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
} from '../../protocol/records/batch-header.js'
import { decodeBatch, decodeLimits, encodeBatch, type RecordBatch } from '../../protocol/records/batch.js'
import { codecName } from '../../protocol/records/compression/index.js'
import { RecordsError, RecordsErrorCode } from '../../protocol/records/errors.js'
import type { LogConfig, TimestampType } from '../config.js'
import { StorageError, type RecordError } from '../errors.js'
import { Mutex } from '../mutex.js'
import { readInt64, writeInt64 } from '../io/files.js'
import { batchInfoAt, NO_PRODUCER_ID, type BatchInfo } from './batch-scanner.js'
import { convertLegacyMessages, legacyShape, type UpConverted } from './up-conversion.js'

export interface ValidateOptions {
  /** Verify each batch's CRC32C (default true). */
  verifyCrc?: boolean
  /** max.message.bytes: reject a batch larger than this with MESSAGE_TOO_LARGE. */
  maxBatchBytes?: number
  /**
   * The records come from a producer (default true): a batch must hold at least one record,
   * its record count must equal its offset span, and control batches are not allowed.
   */
  fromClient?: boolean
}

export interface ValidatedRecords {
  /** One entry per batch; positions are relative to the validated buffer. */
  batches: BatchInfo[]
  /** Sum of the batches' record counts. */
  recordCount: number
  /** Sum of (lastOffsetDelta + 1): how many offsets the batches take. */
  offsetCount: number
  maxTimestamp: number
  /** True if any batch is a control batch (transaction marker). */
  hasControlBatch: boolean
}

/** Validates `records` (zero or more whole v2 batches); throws StorageError with a Kafka error name. */
export function validateRecordBatches(records: Buffer, options: ValidateOptions = {}): ValidatedRecords {
  const verifyCrc = options.verifyCrc ?? true
  const fromClient = options.fromClient ?? true
  const batches: BatchInfo[] = []
  let recordCount = 0
  let offsetCount = 0
  let maxTimestamp = -1
  let hasControlBatch = false
  let pos = 0
  while (pos < records.length) {
    const where = `batch ${batches.length} at byte ${pos}`
    if (records.length - pos < BATCH_HEADER_SIZE) {
      throw new StorageError('CORRUPT_MESSAGE', `${where}: ${records.length - pos} bytes left, less than a batch header`)
    }
    const batchLength = records.readInt32BE(pos + BATCH_LENGTH_OFFSET)
    if (batchLength < MIN_BATCH_LENGTH || LOG_OVERHEAD + batchLength > records.length - pos) {
      throw new StorageError('CORRUPT_MESSAGE', `${where}: batch length ${batchLength} does not fit ${records.length - pos} bytes`)
    }
    const magic = records.readInt8(pos + MAGIC_OFFSET)
    if (magic !== 2) throw new StorageError('UNSUPPORTED_FOR_MESSAGE_FORMAT', `${where}: magic ${magic}, only v2 batches are stored`)
    const info = batchInfoAt(records, pos, pos)
    if (options.maxBatchBytes !== undefined && info.size > options.maxBatchBytes) {
      throw new StorageError('MESSAGE_TOO_LARGE', `${where}: ${info.size} bytes exceeds max.message.bytes ${options.maxBatchBytes}`)
    }
    if (verifyCrc && !isBatchCrcValid(records, pos)) throw new StorageError('CORRUPT_MESSAGE', `${where}: CRC mismatch`)
    const lastOffsetDelta = info.lastOffset - info.baseOffset
    if (lastOffsetDelta < 0) throw new StorageError('CORRUPT_MESSAGE', `${where}: negative last offset delta`)
    const control = (records.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_CONTROL) !== 0
    if (fromClient) {
      if (info.recordCount <= 0) throw new StorageError('INVALID_RECORD', `${where}: a batch must hold at least one record`)
      if (info.recordCount !== lastOffsetDelta + 1) {
        throw new StorageError('INVALID_RECORD', `${where}: record count ${info.recordCount} does not match last offset delta ${lastOffsetDelta}`)
      }
      if (control) throw new StorageError('INVALID_RECORD', `${where}: producers may not send control batches`)
      // Kafka's LogValidator: an idempotent or transactional batch must carry a sequence.
      if (info.producerId !== NO_PRODUCER_ID && info.baseSequence < 0) {
        throw new StorageError('INVALID_RECORD', `${where}: invalid sequence number ${info.baseSequence} in a record batch with producer id ${info.producerId}`)
      }
    }
    hasControlBatch ||= control
    recordCount += info.recordCount
    offsetCount += lastOffsetDelta + 1
    if (info.maxTimestamp > maxTimestamp) maxTimestamp = info.maxTimestamp
    batches.push(info)
    pos += info.size
  }
  return { batches, recordCount, offsetCount, maxTimestamp, hasControlBatch }
}

/**
 * The leader's part of an append: patches, in place, each batch's base offset (consecutive
 * from `firstOffset`), its partition leader epoch and, under LogAppendTime (logAppendTime >= 0),
 * its max timestamp and timestamp type (which the CRC covers, so it is recomputed). The base
 * offset and epoch lie outside the CRC. `batches` is updated to match.
 */
export function assignOffsets(records: Buffer, batches: BatchInfo[], options: { firstOffset: number; leaderEpoch: number; logAppendTime: number }): void {
  let next = options.firstOffset
  for (const b of batches) {
    const delta = b.lastOffset - b.baseOffset
    setBaseOffset(records, b.position, BigInt(next))
    setPartitionLeaderEpoch(records, b.position, options.leaderEpoch)
    if (options.logAppendTime >= 0) {
      setLogAppendTime(records, b.position, BigInt(options.logAppendTime))
      b.maxTimestamp = options.logAppendTime
    }
    b.baseOffset = next
    b.lastOffset = next + delta
    b.partitionLeaderEpoch = options.leaderEpoch
    next += delta + 1
  }
}

export interface ProducerBatchOptions {
  /** `<topic>-<partition>`, for error messages. */
  partition: string
  /** The topic's message.timestamp.type. */
  timestampType: TimestampType
  /** cleanup.policy includes compact: Kafka refuses records without a key. */
  compacted: boolean
  /**
   * About the most memory decoding the batch may take (decodeLimits): the broker passes
   * socket.request.max.bytes. Over it: MESSAGE_TOO_LARGE. Absent: unbounded.
   */
  maxDecodedBytes?: number
  /** The codec (and its level) to store the batch in, from compression.type; absent: producer (as sent). */
  target?: { codec: number; level?: number }
}

export interface CheckedBatch {
  /** What to store: `records` itself (header fixed in place if needed) or a rebuilt batch. */
  records: Buffer
  /** The batch as stored (max timestamp corrected). */
  batch: BatchInfo
  /** What was corrected, for a debug log; empty when the batch was stored as sent. */
  corrections: string[]
}

/**
 * The part of Kafka's LogValidator that needs the records, for the single batch of a
 * producer's partition data (already checked by validateRecordBatches, CRC included):
 * - under CreateTime, a LogAppendTime flag from the producer is cleared (Kafka stores the
 *   topic's timestamp type), and a max timestamp that can contradict the records is
 *   recomputed from them (some producers, e.g. sarama before 1.45.1, send -1);
 * - records whose offset deltas are not 0..n-1 are renumbered in a compressed batch (Kafka
 *   rebuilds those; it leaves uncompressed ones as sent, and so does this);
 * - on a compacted topic, a record without a key fails the batch with INVALID_RECORD and a
 *   record error per such record.
 * - when the topic's compression.type names a codec other than the batch's, the batch is
 *   rebuilt in that codec (Kafka's LogValidator: a source codec differing from the target
 *   rules out in-place assignment), keeping its producer fields, sequence and timestamps, with
 *   offset deltas 0..n-1 and the max timestamp taken from the records.
 * Records are decoded (decompressed if needed) only for those cases; the header and CRC are
 * rewritten only when something changed.
 */
export async function checkProducerBatch(records: Buffer, batch: BatchInfo, options: ProducerBatchOptions): Promise<CheckedBatch> {
  const corrections: string[] = []
  if (!mustDecode(records, batch, options)) {
    fixPlainBatch(records, batch, options, corrections)
    return { records, batch, corrections }
  }
  const attributes = records.readInt16BE(batch.position + ATTRIBUTES_OFFSET)
  const recompress = options.target !== undefined && options.target.codec !== (attributes & ATTR_COMPRESSION_MASK)
  // A compressed batch may expand to maxDecodedBytes; decoding them one at a time (per process)
  // bounds what a request of many such batches holds to about one of them (600 partitions of
  // 7 MiB bombs took a broker's peak RSS up 613 MiB concurrently, 104 MiB one at a time:
  // bench/broker/bomb-requests.ts). The price falls on that rare path only: under such an attack
  // compressed batches for compacted topics wait their turn; ordinary ones take microseconds.
  // Recompressing holds every record of the batch decoded and then encoded again, so it takes
  // the same turn whatever the source codec: an uncompressed request of many partitions for a
  // zstd topic must not decode them all at once either.
  if ((attributes & ATTR_COMPRESSION_MASK) !== 0 || recompress) return decoding.run(() => checkDecoded(records, batch, options, corrections))
  return checkDecoded(records, batch, options, corrections)
}

/** True if checkProducerBatch needs the batch's records (decoded): see its list. */
function mustDecode(records: Buffer, batch: BatchInfo, options: ProducerBatchOptions): boolean {
  if (options.compacted) return true
  const pos = batch.position
  const attributes = records.readInt16BE(pos + ATTRIBUTES_OFFSET)
  if (options.target !== undefined && options.target.codec !== (attributes & ATTR_COMPRESSION_MASK)) return true
  if (options.timestampType !== 'CreateTime') return false
  const baseTimestamp = readInt64(records, pos + BASE_TIMESTAMP_OFFSET)
  const maxTimestamp = readInt64(records, pos + MAX_TIMESTAMP_OFFSET)
  const count = records.readInt32BE(pos + RECORD_COUNT_OFFSET)
  return maxTimestamp < 0 || maxTimestamp < baseTimestamp || (count === 1 && maxTimestamp !== baseTimestamp)
}

/** What checkProducerBatch corrects in a batch it need not decode: a producer's LogAppendTime flag under CreateTime. */
function fixPlainBatch(records: Buffer, batch: BatchInfo, options: ProducerBatchOptions, corrections: string[]): void {
  const pos = batch.position
  if (options.timestampType === 'CreateTime' && (records.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_TIMESTAMP_TYPE) !== 0) {
    clearLogAppendTime(records, pos, corrections)
    records.writeUInt32BE(computeBatchCrc(records, pos), pos + CRC_OFFSET)
  }
}

/** Compressed batches are decoded for the producer checks one at a time. */
const decoding = new Mutex()

async function checkDecoded(records: Buffer, batch: BatchInfo, options: ProducerBatchOptions, corrections: string[]): Promise<CheckedBatch> {
  const pos = batch.position
  const createTime = options.timestampType === 'CreateTime'
  const attributes = records.readInt16BE(pos + ATTRIBUTES_OFFSET)
  const flaggedLogAppendTime = createTime && (attributes & ATTR_TIMESTAMP_TYPE) !== 0
  const baseTimestamp = readInt64(records, pos + BASE_TIMESTAMP_OFFSET)
  const maxTimestamp = readInt64(records, pos + MAX_TIMESTAMP_OFFSET)
  const count = records.readInt32BE(pos + RECORD_COUNT_OFFSET)
  const doubtfulMax = createTime && (maxTimestamp < 0 || maxTimestamp < baseTimestamp || (count === 1 && maxTimestamp !== baseTimestamp))
  const decoded = await decodeRecords(records.subarray(pos, pos + batch.size), options)
  if (options.compacted) checkKeys(decoded, options.partition)
  let out = records
  let at = pos
  const source = attributes & ATTR_COMPRESSION_MASK
  const target = options.target
  if (target !== undefined && target.codec !== source) {
    out = await rebuild(decoded, target)
    at = 0
    corrections.push(`recompressed ${codecName(source)} -> ${codecName(target.codec)} (compression.type)`)
  } else if (source !== 0 && decoded.records.some((r, i) => r.offsetDelta !== i)) {
    out = await rebuild(decoded)
    at = 0
    corrections.push('offset deltas renumbered 0..n-1')
  }
  if (flaggedLogAppendTime) clearLogAppendTime(out, at, corrections)
  // A rebuilt batch's max timestamp is Kafka's: the records', whatever the producer declared.
  if (doubtfulMax || (out !== records && createTime)) {
    // Kafka's rule: the largest record timestamp, or -1 when no record has one.
    let max = -1
    for (const r of decoded.records) max = Math.max(max, baseTimestamp + r.timestampDelta)
    const stored = readInt64(out, at + MAX_TIMESTAMP_OFFSET)
    if (max !== stored) {
      writeInt64(out, max, at + MAX_TIMESTAMP_OFFSET)
      corrections.push(`maxTimestamp ${stored} -> ${max} (from the records)`)
    }
  }
  if (corrections.length === 0) return { records, batch, corrections }
  out.writeUInt32BE(computeBatchCrc(out, at), at + CRC_OFFSET)
  return { records: out, batch: batchInfoAt(out, at, at), corrections }
}

/** Kafka stores a batch with the topic's timestamp type whatever the producer flagged. */
function clearLogAppendTime(buf: Buffer, pos: number, corrections: string[]): void {
  buf.writeInt16BE(buf.readInt16BE(pos + ATTRIBUTES_OFFSET) & ~ATTR_TIMESTAMP_TYPE, pos + ATTRIBUTES_OFFSET)
  corrections.push('timestamp type LogAppendTime -> CreateTime (the topic uses CreateTime)')
}

async function decodeRecords(batch: Buffer, options: ProducerBatchOptions): Promise<RecordBatch> {
  const { partition, maxDecodedBytes } = options
  try {
    return await decodeBatch(batch, { verifyCrc: false, ...(maxDecodedBytes !== undefined ? decodeLimits(maxDecodedBytes) : {}) })
  } catch (err) {
    if (!(err instanceof RecordsError)) throw err
    // Kafka has no such limit (it streams the records); MESSAGE_TOO_LARGE is its answer for a
    // batch the broker will not take, and makes the Java producer split the batch and retry.
    if (err.code === RecordsErrorCode.DecompressedTooLarge || err.code === RecordsErrorCode.TooManyRecords) {
      throw new StorageError(
        'MESSAGE_TOO_LARGE',
        `the batch for ${partition} is too large to check once decompressed (${err.message}); the broker decodes batches within socket.request.max.bytes (${maxDecodedBytes}): send smaller batches`,
        { cause: err },
      )
    }
    // A declared count the records do not match is Kafka's InvalidRecordException; records
    // that cannot be read at all are corrupt.
    const code = err.code === RecordsErrorCode.InvalidRecordCount || err.code === RecordsErrorCode.InvalidLastOffsetDelta ? 'INVALID_RECORD' : 'CORRUPT_MESSAGE'
    throw new StorageError(code, `the records of the batch for ${partition} do not match its header: ${err.message}`, { cause: err })
  }
}

function checkKeys(batch: RecordBatch, partition: string): void {
  const errors: RecordError[] = []
  batch.records.forEach((r, i) => {
    if (r.key === null) errors.push({ batchIndex: i, message: `Compacted topic cannot accept message without key in topic partition ${partition}` })
  })
  if (errors.length === 0) return
  const shown = errors.slice(0, 3).map((e) => `record ${e.batchIndex}: ${e.message}`).join('; ')
  throw new StorageError('INVALID_RECORD', `${errors.length} record(s) of the batch rejected (a compacted topic needs a key on every record); first: ${shown}`, { recordErrors: errors })
}

/**
 * Re-encodes a batch with offset deltas 0..n-1, keeping its producer fields and record
 * timestamps, in `target`'s codec (default: its own). The async codecs compress off the event
 * loop (zlib's thread pool, the napi libraries' workers).
 */
async function rebuild(b: RecordBatch, target?: { codec: number; level?: number }): Promise<Buffer> {
  const records = b.records.map((r, i) => ({ ...r, offsetDelta: i }))
  const options = target === undefined ? {} : { compression: target.codec as CompressionCodec, ...(target.level !== undefined ? { level: target.level } : {}) }
  return encodeBatch({ ...b, records, lastOffsetDelta: records.length - 1 }, options)
}

/** The codec and level compression.type asks for; undefined for producer (store as sent). */
export function targetCodec(config: Readonly<LogConfig>): { codec: number; level?: number } | undefined {
  switch (config.compressionType) {
    case 'producer':
      return undefined
    case 'uncompressed':
      return { codec: CompressionCodec.None }
    case 'gzip':
      return config.compressionGzipLevel === -1 ? { codec: CompressionCodec.Gzip } : { codec: CompressionCodec.Gzip, level: config.compressionGzipLevel }
    case 'snappy':
      return { codec: CompressionCodec.Snappy }
    case 'lz4':
      return { codec: CompressionCodec.Lz4 }
    case 'zstd':
      return { codec: CompressionCodec.Zstd, level: config.compressionZstdLevel }
  }
}

/** Rules of the request the records came in, which the log cannot know (capability flags, not versions). */
export interface ProducerChecks {
  /** Produce v3+: exactly one batch per partition (Kafka's rule since message format v2). */
  singleBatch: boolean
  /** zstd batches need Produce v7+ (KIP-110); older requests get UNSUPPORTED_COMPRESSION_TYPE. */
  allowZstd: boolean
  /** How far a batch the checks decode may decompress (the broker's socket.request.max.bytes); unbounded when absent. */
  maxDecodedBytes?: number
  /** Produce v0-2: v0/v1 message sets are converted to a v2 batch first (up-conversion.ts). Absent: refused as any non-v2 input. */
  legacyMessages?: boolean
}

const ZSTD = 4

/**
 * Validates a producer's records for a partition with `config` (Kafka's LogValidator for a
 * client's append): v0/v1 message sets converted to a v2 batch when the request allows them
 * (Produce v0-2), then framing, CRC, max.message.bytes, record count vs offset span, no control
 * batches, the request's rules (`checks`), the codec, what checkProducerBatch corrects or
 * refuses from the records, and CreateTime bounds (message.timestamp.before/after.max.ms,
 * on the batch's first and max timestamps). Returns what to store — `records` itself, or
 * corrected bytes — with its batches; throws StorageError with the code Produce answers.
 */
export async function validateProducerRecords(records: Buffer, options: ProducerRecordsOptions): Promise<ValidatedProducerRecords> {
  return validateProducerRecordsNow(records, options)
}

export interface ProducerRecordsOptions {
  config: Readonly<LogConfig>
  checks: ProducerChecks
  partition: string
  now: number
}

export interface ValidatedProducerRecords {
  records: Buffer
  batches: BatchInfo[]
  corrections: string[]
}

/**
 * validateProducerRecords, answering synchronously unless a batch must be decoded or a legacy
 * message set converted (the append path awaits only then); throws synchronously on what it
 * refuses without decoding.
 */
export function validateProducerRecordsNow(records: Buffer, options: ProducerRecordsOptions): ValidatedProducerRecords | Promise<ValidatedProducerRecords> {
  const { config, checks } = options
  if (records.length === 0) throw new StorageError('INVALID_RECORD', 'Produce request carries no record batch')
  if (checks.legacyMessages) {
    const shape = legacyShape(records)
    if (shape.legacy) {
      const convert = (): UpConverted =>
        convertLegacyMessages(records, {
          partition: options.partition,
          maxMessageBytes: config.maxMessageBytes,
          ...(checks.maxDecodedBytes !== undefined ? { maxDecodedBytes: checks.maxDecodedBytes } : {}),
        })
      // Decompressing wrappers takes the same turn as decoding compressed v2 batches (see checkProducerBatch).
      if (!shape.compressed) {
        const converted = convert()
        return validateV2(converted.records, options, converted.corrections)
      }
      return decoding.run(async () => convert()).then((converted) => validateV2(converted.records, options, converted.corrections))
    }
  }
  return validateV2(records, options, [])
}

function validateV2(records: Buffer, options: ProducerRecordsOptions, corrections: string[]): ValidatedProducerRecords | Promise<ValidatedProducerRecords> {
  const { config, checks } = options
  const { batches } = validateRecordBatches(records, { verifyCrc: true, maxBatchBytes: config.maxMessageBytes, fromClient: true })
  if (checks.singleBatch && batches.length !== 1) {
    throw new StorageError('INVALID_RECORD', `Produce requests with version 3+ must hold exactly one record batch per partition, got ${batches.length}`)
  }
  for (const b of batches) {
    const codec = records.readInt16BE(b.position + ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK
    if (codec > ZSTD) throw new StorageError('CORRUPT_MESSAGE', `Unknown compression codec ${codec}`)
    if (codec === ZSTD && !checks.allowZstd) throw new StorageError('UNSUPPORTED_COMPRESSION_TYPE', 'zstd needs Produce v7 or later')
  }
  const target = targetCodec(config)
  const batchOptions: ProducerBatchOptions = {
    partition: options.partition,
    timestampType: config.messageTimestampType,
    compacted: config.compact,
    ...(checks.maxDecodedBytes !== undefined ? { maxDecodedBytes: checks.maxDecodedBytes } : {}),
    ...(target !== undefined ? { target } : {}),
  }
  if (batches.some((b) => mustDecode(records, b, batchOptions))) return checkDecodingBatches(records, batches, options, batchOptions, corrections)
  // No batch needs its records: checked and corrected in place, as checkProducerBatch would.
  for (const b of batches) {
    fixPlainBatch(records, b, batchOptions, corrections)
    checkCreateTimeBounds(config, records, b, options.now)
  }
  return { records, batches, corrections }
}

async function checkDecodingBatches(records: Buffer, batches: BatchInfo[], options: ProducerRecordsOptions, batchOptions: ProducerBatchOptions, corrections: string[]): Promise<ValidatedProducerRecords> {
  const { config } = options
  const parts: Buffer[] = []
  const stored: BatchInfo[] = []
  let rebuilt = false
  for (const b of batches) {
    const checked = await checkProducerBatch(records, b, batchOptions)
    const own = checked.records === records ? records.subarray(b.position, b.position + b.size) : checked.records.subarray(checked.batch.position, checked.batch.position + checked.batch.size)
    rebuilt ||= checked.records !== records
    // Kafka re-checks the size of what it rebuilt: recompressing (to uncompressed above all) can grow a batch.
    if (checked.records !== records && checked.batch.size > config.maxMessageBytes) {
      throw new StorageError('MESSAGE_TOO_LARGE', `the batch for ${options.partition} is ${checked.batch.size} bytes once stored in compression.type=${config.compressionType}, over max.message.bytes ${config.maxMessageBytes}`)
    }
    corrections.push(...checked.corrections)
    parts.push(own)
    stored.push(checked.batch)
    checkCreateTimeBounds(config, checked.records, checked.batch, options.now)
  }
  if (!rebuilt) return { records, batches, corrections }
  // Positions are relative to the buffer that is stored.
  const out = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  let at = 0
  for (const b of stored) {
    b.position = at
    at += b.size
  }
  return { records: out, batches: stored, corrections }
}

/** message.timestamp.before/after.max.ms for a batch stored under CreateTime with CreateTime records. */
function checkCreateTimeBounds(config: Readonly<LogConfig>, records: Buffer, batch: BatchInfo, now: number): void {
  const pos = batch.position
  if (config.messageTimestampType === 'CreateTime' && (records.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_TIMESTAMP_TYPE) === 0) {
    checkTimestampBounds(config, readInt64(records, pos + BASE_TIMESTAMP_OFFSET), batch.maxTimestamp, now)
  }
}

/** INVALID_TIMESTAMP when a CreateTime timestamp is further from now than the topic allows. */
function checkTimestampBounds(config: Readonly<LogConfig>, first: number, max: number, now: number): void {
  const before = config.messageTimestampBeforeMaxMs
  const after = config.messageTimestampAfterMaxMs
  if (Number.isFinite(before) && first >= 0 && now - first > before) {
    throw new StorageError('INVALID_TIMESTAMP', `Timestamp ${first} is more than message.timestamp.before.max.ms=${before} in the past`)
  }
  if (Number.isFinite(after) && max - now > after) {
    throw new StorageError('INVALID_TIMESTAMP', `Timestamp ${max} is more than message.timestamp.after.max.ms=${after} in the future`)
  }
}
