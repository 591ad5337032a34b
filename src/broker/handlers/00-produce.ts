/**
 * Produce (key 0), versions 3-11.
 *
 * Behaviour:
 * - Each partition's records must be exactly one v2 record batch (Kafka's rule since v3):
 *   framing, magic, CRC32C, record count vs offset span and `max.message.bytes` are checked
 *   from the batch header. Records are decoded only where Kafka's LogValidator needs them
 *   (storage/log/validator.ts `checkProducerBatch`): under CreateTime a max timestamp the
 *   records can contradict (-1 as sarama < 1.45.1 sends, below the first timestamp) is
 *   recomputed from them and the header and CRC rewritten; on a `cleanup.policy=compact`
 *   topic every record must have a key; a compressed batch decoded for either reason whose
 *   offset deltas are not 0..n-1 is rebuilt with them renumbered (as Kafka does). A producer's
 *   LogAppendTime flag on a CreateTime topic is cleared (header only). Other batches are
 *   stored and served exactly as sent, compressed or not.
 * - A batch decoded for those checks is refused with MESSAGE_TOO_LARGE, before it is inflated
 *   (gzip: as soon as the output passes the limit), when its records would decompress past
 *   socket.request.max.bytes (no request could carry that much uncompressed) or it claims more
 *   records than that many bytes hold at 128 bytes each (decoded records cost at least that on
 *   the heap). Kafka answers MESSAGE_TOO_LARGE for a batch it will not take, and the Java
 *   producer then splits the batch and retries; a small "zip bomb" never reaches memory.
 * - Errors are per partition: UNKNOWN_TOPIC_OR_PARTITION, CORRUPT_MESSAGE, INVALID_RECORD
 *   (with a record error per keyless record on a compacted topic, "Compacted topic cannot
 *   accept message without key ..." as Kafka words it), MESSAGE_TOO_LARGE,
 *   UNSUPPORTED_FOR_MESSAGE_FORMAT, INVALID_TIMESTAMP (CreateTime outside
 *   `message.timestamp.before/after.max.ms`), UNSUPPORTED_COMPRESSION_TYPE (zstd below v7),
 *   INVALID_TOPIC_EXCEPTION (writes to internal `__` topics), KAFKA_STORAGE_ERROR (the disk
 *   failed the write: full, read-only, I/O error); INVALID_REQUIRED_ACKS for acks other than
 *   -1, 0, 1. A bad partition never affects the others in the request.
 * - A failed append leaves no trace (the log undoes every step), so a client retrying after
 *   KAFKA_STORAGE_ERROR gets dense offsets; reads keep working while writes fail, and writes
 *   resume once the disk has room again.
 * - acks=0 gets no response (the data is still written); acks=1 and acks=-1 answer once the
 *   leader has appended. With one broker, -1 means just that: the leader is the whole ISR.
 * - `message.timestamp.type=LogAppendTime` stamps the broker time and returns it.
 *
 * Gaps: v0-2 (message format v0/v1) are not served, as in Kafka 4; like Kafka 4, ApiVersions
 * still lists them (librdkafka < 2.10 will not compress with gzip or snappy otherwise). Idempotent and
 * transactional batches are stored without producer-state checks until the transactions
 * issue; timestamp bounds are checked on the batch's first and max timestamps, not per record;
 * records are decoded only on the paths above (Kafka decodes every batch), so a wrong max
 * timestamp above the first one, or a record count the records contradict in a batch that is
 * not otherwise decoded, is stored as sent. A batch decoded on those paths may decompress to
 * at most socket.request.max.bytes and claim at most socket.request.max.bytes / 128 records
 * (Kafka, which streams the records, has no such limit): see the MESSAGE_TOO_LARGE above.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  ProduceRequest,
  ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
  type ProduceResponseTopicProduceResponse,
} from '../../protocol/generated/produce.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { ATTR_COMPRESSION_MASK, ATTR_TIMESTAMP_TYPE, ATTRIBUTES_OFFSET, BASE_TIMESTAMP_OFFSET } from '../../protocol/records/batch-header.js'
import { checkProducerBatch, isStorageError, validateRecordBatches } from '../../storage/index.js'
import { NO_RESPONSE, type Handler, type RequestContext } from '../handler.js'
import { errorCodeOf } from '../replica-manager.js'
import type { EffectiveValue } from '../topic-config.js'

const ZSTD = 4

function partitionError(index: number, errorCode: number, errorMessage: string | null = null): ProduceResponsePartitionProduceResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage }
}

async function producePartition(ctx: RequestContext, topicName: string, index: number, records: Buffer | null): Promise<ProduceResponsePartitionProduceResponse> {
  const broker = ctx.broker
  try {
    const { log, info, topic } = await broker.replicas.partition(topicName, index)
    if (topic.internal) throw new KafkaError('INVALID_TOPIC_EXCEPTION', `Cannot append to internal topic ${topicName}`)
    if (records === null || records.length === 0) throw new KafkaError('INVALID_RECORD', 'Produce request carries no record batch')
    const cfg = log.config
    const { batches } = validateRecordBatches(records, { verifyCrc: true, maxBatchBytes: cfg.maxMessageBytes, fromClient: true })
    if (batches.length !== 1) {
      throw new KafkaError('INVALID_RECORD', `Produce requests with version 3+ must hold exactly one record batch per partition, got ${batches.length}`)
    }
    const codec = records.readInt16BE(ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK
    if (codec > ZSTD) throw new KafkaError('CORRUPT_MESSAGE', `Unknown compression codec ${codec}`)
    if (codec === ZSTD && ctx.apiVersion < 7) throw new KafkaError('UNSUPPORTED_COMPRESSION_TYPE', 'zstd needs Produce v7 or later')
    const effective = broker.replicas.effectiveConfigs(topic)
    const compacted = effective.get('cleanup.policy')!.value.split(',').some((p) => p.trim() === 'compact')
    const checked = await checkProducerBatch(records, batches[0]!, {
      partition: `${topicName}-${index}`,
      timestampType: cfg.messageTimestampType,
      compacted,
      maxDecodedBytes: broker.config.get('socket.request.max.bytes') as number,
    })
    if (checked.corrections.length > 0) {
      broker.logger.debug('corrected a produced batch', { topic: topicName, partition: index, client: ctx.clientAddress, corrections: checked.corrections })
    }
    const stored = checked.records
    if (cfg.messageTimestampType === 'CreateTime' && (stored.readInt16BE(ATTRIBUTES_OFFSET) & ATTR_TIMESTAMP_TYPE) === 0) {
      checkTimestamps(effective, Number(stored.readBigInt64BE(BASE_TIMESTAMP_OFFSET)), checked.batch.maxTimestamp)
    }
    const result = await broker.replicas.appendAsLeader(log, info, stored)
    return {
      index,
      errorCode: ErrorCode.NONE,
      baseOffset: BigInt(result.firstOffset),
      logAppendTimeMs: BigInt(result.logAppendTime),
      logStartOffset: BigInt(result.logStartOffset),
      recordErrors: [],
      errorMessage: null,
    }
  } catch (err) {
    const code = errorCodeOf(err)
    if (code === ErrorCode.UNKNOWN_SERVER_ERROR || code === ErrorCode.KAFKA_STORAGE_ERROR) {
      broker.logger.error('produce failed', { topic: topicName, partition: index, client: ctx.clientAddress, error: (err as Error).message })
    }
    const response = partitionError(index, code, (err as Error).message)
    if (isStorageError(err)) response.recordErrors = err.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message }))
    return response
  }
}

/** INVALID_TIMESTAMP when a CreateTime timestamp is further from now than the topic allows. */
function checkTimestamps(effective: ReadonlyMap<string, EffectiveValue>, first: number, max: number): void {
  const before = Number(effective.get('message.timestamp.before.max.ms')!.value)
  const after = Number(effective.get('message.timestamp.after.max.ms')!.value)
  const now = Date.now()
  if (Number.isSafeInteger(before) && first >= 0 && now - first > before) {
    throw new KafkaError('INVALID_TIMESTAMP', `Timestamp ${first} is more than message.timestamp.before.max.ms=${before} in the past`)
  }
  if (Number.isSafeInteger(after) && max - now > after) {
    throw new KafkaError('INVALID_TIMESTAMP', `Timestamp ${max} is more than message.timestamp.after.max.ms=${after} in the future`)
  }
}

export const produceHandler: Handler<typeof ApiKey.Produce> = {
  apiKey: ApiKey.Produce,
  minVersion: 3,
  maxVersion: 11,
  advertisedMinVersion: 0,
  request: ProduceRequest,
  response: ProduceResponse,
  async handle(req, ctx) {
    const acks = req.acks
    let responses: ProduceResponseTopicProduceResponse[]
    if (acks !== -1 && acks !== 0 && acks !== 1) {
      responses = req.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => partitionError(p.index, ErrorCode.INVALID_REQUIRED_ACKS)),
      }))
    } else {
      responses = await Promise.all(
        req.topicData.map(async (t) => ({
          name: t.name,
          partitionResponses: await Promise.all(t.partitionData.map((p) => producePartition(ctx, t.name, p.index, p.records))),
        })),
      )
    }
    if (acks === 0) return NO_RESPONSE
    return { responses, throttleTimeMs: 0 }
  },
}
