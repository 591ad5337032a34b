/**
 * Stored v2 batches converted down to message format v0 (Fetch v0-1) or v1 (Fetch v2-3), as
 * Kafka 3.x's LazyDownConversionRecords / RecordsUtil.downConvert did:
 * - control batches (transaction markers) are dropped: v0/v1 have no such thing; transactional
 *   data batches become ordinary messages (old clients read uncommitted);
 * - record headers are dropped; v0 loses timestamps; a LogAppendTime batch's time goes on every
 *   v1 message;
 * - an uncompressed batch becomes one message per record, leaving out the records before the
 *   fetch offset (some librdkafka versions rely on that); a compressed batch becomes one wrapper
 *   with the same codec holding all its records;
 * - size: at most the bytes read, or the first converted batch whole if that alone is larger
 *   (Kafka guarantees one batch); what passes the size is cut, leaving a partial message that
 *   clients drop, as Kafka's send truncates. A read that ends in a partial batch loses that
 *   batch, as Kafka's batch iterator does. When nothing can be converted from a non-empty read
 *   (a partial first batch under Fetch v0-2's hard limit, only markers), the answer is Kafka's
 *   "overflow" entry: 12 bytes announcing a message larger than the response, which tells old
 *   clients to raise their fetch size;
 * - zstd has no v0/v1 form: UNSUPPORTED_COMPRESSION_TYPE when the first batch to convert is
 *   zstd, else the conversion stops before it (the client comes back for it and gets the error).
 *
 * Beyond Kafka, bounded: a batch is decompressed within `maxDecodedBytes` (socket.request.max.bytes),
 * one conversion at a time per process (Kafka streams the records). A batch that cannot be decoded
 * within that, or at all, ends the conversion there; as the first batch it answers
 * CORRUPT_MESSAGE (logged by the caller) rather than crash or allocate without bound.
 */
import { ErrorCode } from '../protocol/errors.js'
import { ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTRIBUTES_OFFSET, CompressionCodec, LOG_OVERHEAD, MIN_BATCH_LENGTH } from '../protocol/records/batch-header.js'
import { decodeBatch, decodeLimits, recordOffset, recordTimestamp, TimestampType } from '../protocol/records/batch.js'
import { RecordsError } from '../protocol/records/errors.js'
import { encodeLegacyMessages } from '../protocol/records/legacy.js'
import { batchSlices } from '../protocol/records/record-set.js'
import { Mutex } from '../storage/mutex.js'

export interface DownConversion {
  errorCode: number
  records: Buffer
  /** Why the conversion stopped early or failed, for a log line. */
  problem?: string
}

export interface DownConvertOptions {
  toMagic: 0 | 1
  /** The fetch offset: records of an uncompressed batch below it are left out. */
  fetchOffset: number
  /** How far one batch may decompress. */
  maxDecodedBytes: number
}

/** Fetch v0-1 read format v0, v2-3 format v1, later versions the stored v2 (Kafka's KafkaApis rule). */
export function downConversionMagic(fetchVersion: number): 0 | 1 | undefined {
  if (fetchVersion <= 1) return 0
  if (fetchVersion <= 3) return 1
  return undefined
}

const converting = new Mutex()

export function downConvert(records: Buffer, options: DownConvertOptions): Promise<DownConversion> {
  return converting.run(() => convert(records, options))
}

async function convert(records: Buffer, options: DownConvertOptions): Promise<DownConversion> {
  const chunks: Buffer[] = []
  let total = 0
  let limit = records.length
  let problem: string | undefined
  const limits = decodeLimits(options.maxDecodedBytes)
  try {
    for (const slice of batchSlices(records)) {
      if (slice.magic < 2) {
        // Not stored by this broker, but a v0/v1 entry needs no conversion.
        chunks.push(slice.bytes)
        total += slice.size
      } else {
        const attributes = slice.bytes.readInt16BE(ATTRIBUTES_OFFSET)
        if (attributes & ATTR_CONTROL) continue
        const codec = (attributes & ATTR_COMPRESSION_MASK) as CompressionCodec
        if (codec === CompressionCodec.Zstd) {
          problem = `zstd batch at byte ${slice.position} has no message format v${options.toMagic} form`
          if (chunks.length === 0) return { errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, records: Buffer.alloc(0), problem }
          break
        }
        let batch
        try {
          batch = await decodeBatch(slice.bytes, { verifyCrc: false, ...limits })
        } catch (err) {
          if (!(err instanceof RecordsError)) throw err
          problem = `stored batch at byte ${slice.position} cannot be converted: ${err.message}`
          if (chunks.length === 0) return { errorCode: ErrorCode.CORRUPT_MESSAGE, records: Buffer.alloc(0), problem }
          break
        }
        const keep = codec === CompressionCodec.None ? batch.records.filter((r) => recordOffset(batch, r) >= BigInt(options.fetchOffset)) : batch.records
        if (keep.length === 0) continue
        const converted = encodeLegacyMessages(
          keep.map((r) => ({ offset: recordOffset(batch, r), timestamp: recordTimestamp(batch, r), key: r.key, value: r.value })),
          {
            magic: options.toMagic,
            compression: codec,
            timestampType: batch.timestampType,
            ...(batch.timestampType === TimestampType.LogAppendTime ? { logAppendTime: batch.maxTimestamp } : {}),
          },
        )
        if (chunks.length === 0) limit = Math.max(limit, converted.length)
        chunks.push(converted)
        total += converted.length
      }
      if (total >= limit) break
    }
  } catch (err) {
    // A size field no batch can have: what was converted before it stands.
    if (!(err instanceof RecordsError)) throw err
    problem = `stored records cannot be framed: ${err.message}`
  }
  if (chunks.length === 0) {
    if (records.length === 0) return { errorCode: ErrorCode.NONE, records: records }
    return { errorCode: ErrorCode.NONE, records: overflowEntry(records.length), ...(problem ? { problem } : {}) }
  }
  const out = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)
  return { errorCode: ErrorCode.NONE, records: total > limit ? out.subarray(0, limit) : out, ...(problem ? { problem } : {}) }
}

/** Kafka's overflow batch: offset -1 and a size past the response, so the client sees a message too large to read. */
function overflowEntry(remaining: number): Buffer {
  const b = Buffer.alloc(LOG_OVERHEAD)
  b.writeBigInt64BE(-1n, 0)
  b.writeInt32BE(Math.max(remaining + 1, MIN_BATCH_LENGTH + LOG_OVERHEAD), 8)
  return b
}
