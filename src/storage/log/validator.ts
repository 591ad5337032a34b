/**
 * Checks a produce request's records the way a broker must before storing them, looking only
 * at batch headers and the CRC: framing, magic v2, CRC32C, size limits and (for producer
 * batches) a record count that matches the offset range. Records are not decoded.
 */
import {
  ATTR_CONTROL,
  ATTRIBUTES_OFFSET,
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  isBatchCrcValid,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
} from '../../protocol/records/batch-header.js'
import { StorageError } from '../errors.js'
import { MIN_BATCH_LENGTH, batchInfoAt, type BatchInfo } from './batch-scanner.js'

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
    const batchLength = records.readInt32BE(pos + 8)
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
