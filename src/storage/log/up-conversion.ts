/**
 * Message formats v0/v1 (Produce v0-2) converted to one v2 batch before validation, as Kafka
 * 3.x's LogValidator did (convertAndAssignOffsetsNonCompressed, and the compressed path's
 * rebuild when the magic differs): every message of the partition's message set, compressed
 * wrappers expanded, becomes a record of one batch, in order, with offset deltas 0..n-1 (the
 * producer's offsets, absolute or relative, are ignored: the log assigns them). A v0 message
 * has no timestamp: its record carries -1. The batch is compressed with the last codec the set
 * used (Kafka's source codec; Samsa has no topic-level recompression). The v2 checks then apply
 * to the converted batch as to any other (max.message.bytes on its size, as Kafka re-checks
 * after conversion; timestamps; keys on compacted topics; LogAppendTime stamping).
 *
 * Failures, each atomic (nothing is stored): a set that is not whole messages (a partial last
 * message, a bad size field) or fails a CRC32 is CORRUPT_MESSAGE; a nested wrapper or an inner
 * magic that differs from its wrapper's is INVALID_RECORD; a shallow message larger than
 * max.message.bytes, or a set that would decompress past the decode bound (or expand to more
 * messages than it can hold at 128 bytes each) is MESSAGE_TOO_LARGE, as the v2 path bounds zip
 * bombs; a codec v0/v1 lacks is UNSUPPORTED_COMPRESSION_TYPE.
 *
 * Deliberate gap: a set mixing v2 batches with v0/v1 messages is refused (INVALID_RECORD);
 * Kafka converted those too, but no client sends one.
 */
import { CompressionCodec, LEGACY_ATTRIBUTES_OFFSET, MAGIC_OFFSET } from '../../protocol/records/batch-header.js'
import { createBatch, decodeLimits, encodeBatchSync, TimestampType } from '../../protocol/records/batch.js'
import { RecordsError, RecordsErrorCode } from '../../protocol/records/errors.js'
import { decodeLegacyMessages } from '../../protocol/records/legacy.js'
import { batchSlices } from '../../protocol/records/record-set.js'
import { StorageError } from '../errors.js'

export interface LegacyShape {
  /** Some entry is a v0/v1 message (otherwise nothing is converted). */
  legacy: boolean
  /** Some v0/v1 message is a compressed wrapper (decoding then waits its turn). */
  compressed: boolean
}

/** Looks at the shallow entries' magic and attribute bytes only; framing errors are left to the converter and the validator. */
export function legacyShape(records: Buffer): LegacyShape {
  let legacy = false
  let compressed = false
  try {
    for (const s of batchSlices(records)) {
      if (s.magic >= 2) continue
      legacy = true
      if ((records.readInt8(s.position + LEGACY_ATTRIBUTES_OFFSET) & 0x07) !== 0) compressed = true
    }
  } catch {
    // A size field no message can have: whichever reads it next reports it.
    legacy ||= records.length > MAGIC_OFFSET && records.readInt8(MAGIC_OFFSET) < 2
  }
  return { legacy, compressed }
}

export interface UpConversionOptions {
  /** `<topic>-<partition>`, for messages. */
  partition: string
  /** max.message.bytes: the largest shallow message accepted. */
  maxMessageBytes: number
  /** The decode bound (socket.request.max.bytes); absent: unbounded. */
  maxDecodedBytes?: number
}

export interface UpConverted {
  records: Buffer
  corrections: string[]
}

export function convertLegacyMessages(records: Buffer, options: UpConversionOptions): UpConverted {
  const { partition } = options
  let end = 0
  let codec = CompressionCodec.None as CompressionCodec
  const magics = new Set<number>()
  try {
    for (const s of batchSlices(records)) {
      magics.add(s.magic)
      end = s.position + s.size
      if (s.magic < 2) {
        if (s.size > options.maxMessageBytes) {
          throw new StorageError('MESSAGE_TOO_LARGE', `the v${s.magic} message at byte ${s.position} for ${partition} is ${s.size} bytes, more than max.message.bytes ${options.maxMessageBytes}`)
        }
        const c = records.readInt8(s.position + LEGACY_ATTRIBUTES_OFFSET) & 0x07
        if (c !== CompressionCodec.None) codec = c as CompressionCodec
      }
    }
  } catch (err) {
    if (err instanceof RecordsError) throw new StorageError('CORRUPT_MESSAGE', `the message set for ${partition} cannot be framed: ${err.message}`, { cause: err })
    throw err
  }
  if (end !== records.length) {
    throw new StorageError('CORRUPT_MESSAGE', `the message set for ${partition} ends with a partial message (${records.length - end} of its bytes)`)
  }
  if (magics.has(2)) throw new StorageError('INVALID_RECORD', `the records for ${partition} mix v2 batches with v0/v1 messages; send one format`)
  if (codec > CompressionCodec.Lz4) throw new StorageError('UNSUPPORTED_COMPRESSION_TYPE', `compression codec ${codec} does not exist in message formats v0/v1 (${partition})`)

  const limits = options.maxDecodedBytes !== undefined ? decodeLimits(options.maxDecodedBytes) : undefined
  let messages
  try {
    messages = decodeLegacyMessages(records, { verifyCrc: true, ...(limits ? { maxDecompressedBytes: limits.maxDecompressedBytes, maxMessages: limits.maxRecords } : {}) })
  } catch (err) {
    throw storageErrorOf(err, partition, options.maxDecodedBytes)
  }
  if (messages.length === 0) throw new StorageError('INVALID_RECORD', `the message set for ${partition} holds no message`)

  const baseTimestamp = messages[0]!.timestamp
  let logAppendTime = false
  const out = messages.map((m, i) => {
    if (m.timestampType === TimestampType.LogAppendTime) logAppendTime = true
    const delta = Number(m.timestamp - baseTimestamp)
    if (!Number.isSafeInteger(delta)) throw new StorageError('INVALID_TIMESTAMP', `message ${i} for ${partition}: timestamp ${m.timestamp} is too far from the first (${baseTimestamp})`)
    return { timestampDelta: delta, offsetDelta: i, key: m.key, value: m.value, headers: [] }
  })
  // A producer's LogAppendTime flag travels on: the validator clears it under CreateTime and
  // the log stamps the time under LogAppendTime, as for a v2 batch.
  const batch = createBatch({ records: out, baseTimestamp, compression: codec, timestampType: logAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime })
  const magic = [...magics].join('/')
  return { records: encodeBatchSync(batch), corrections: [`${messages.length} message(s) of format v${magic} converted to one v2 batch`] }
}

function storageErrorOf(err: unknown, partition: string, maxDecodedBytes: number | undefined): unknown {
  if (!(err instanceof RecordsError)) return err
  const what = `the message set for ${partition}: ${err.message}`
  switch (err.code) {
    case RecordsErrorCode.DecompressedTooLarge:
    case RecordsErrorCode.TooManyRecords:
      return new StorageError('MESSAGE_TOO_LARGE', `${what}; the broker converts message sets within socket.request.max.bytes (${maxDecodedBytes}): send smaller ones`, { cause: err })
    case RecordsErrorCode.UnsupportedCompression:
      return new StorageError('UNSUPPORTED_COMPRESSION_TYPE', what, { cause: err })
    case RecordsErrorCode.InvalidRecord:
      // Nested wrappers, an inner magic unlike its wrapper's, a wrapper without a value:
      // Kafka's InvalidRecordException.
      return new StorageError('INVALID_RECORD', what, { cause: err })
    default:
      return new StorageError('CORRUPT_MESSAGE', what, { cause: err })
  }
}
