/**
 * Produce (key 0), versions 0-11.
 *
 * Behaviour:
 * - v0-2 (Kafka before 0.11) carry message sets of format v0/v1: each partition's set is
 *   converted to one v2 batch before any check (storage/log/up-conversion.ts: offsets and
 *   timestamps as Kafka 3.x assigned them, v0's missing timestamp stored as -1), and the checks
 *   below then apply to it. v2 batches in v0-2 are taken as they are (more than one allowed, as
 *   Kafka did before v3).
 * - From v3 each partition's records must be exactly one v2 record batch (Kafka's rule since v3):
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
 * - Authorization (authorizer.class.name): WRITE on each topic (TOPIC_AUTHORIZATION_FAILED for
 *   its partitions, the others still written); transactional records need WRITE on the request's
 *   transactional id, else every partition is TRANSACTIONAL_ID_AUTHORIZATION_FAILED (Kafka 3+
 *   asks no IDEMPOTENT_WRITE here: InitProducerId checks it, KIP-679).
 * - Errors are per partition: UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, CORRUPT_MESSAGE, INVALID_RECORD
 *   (with a record error per keyless record on a compacted topic, "Compacted topic cannot
 *   accept message without key ..." as Kafka words it), MESSAGE_TOO_LARGE,
 *   UNSUPPORTED_FOR_MESSAGE_FORMAT, INVALID_TIMESTAMP (CreateTime outside
 *   `message.timestamp.before/after.max.ms`), UNSUPPORTED_COMPRESSION_TYPE (zstd below v7),
 *   INVALID_TOPIC_EXCEPTION (writes to internal `__` topics), KAFKA_STORAGE_ERROR (the disk
 *   failed the write: full, read-only, I/O error); INVALID_REQUIRED_ACKS for acks other than
 *   -1, 0, 1. A bad partition never affects the others in the request.
 * - Idempotent producers (a producer id in the batch; storage/producer-state/): a retry of one of
 *   the producer's last five batches is answered NONE with the original base offset and is not
 *   written again; a sequence that does not follow the last one, or a new epoch not starting at
 *   0, is OUT_OF_ORDER_SEQUENCE_NUMBER; an epoch below the last one is INVALID_PRODUCER_EPOCH;
 *   a producer the partition has no state for (never seen, or expired after
 *   producer.id.expiration.ms) starts at any sequence, as Kafka 2.5+ (no UNKNOWN_PRODUCER_ID);
 *   a batch with a producer id and no sequence is INVALID_RECORD. Nothing is written on a refusal.
 * - A failed append leaves no trace (the log undoes every step), so a client retrying after
 *   KAFKA_STORAGE_ERROR gets dense offsets; reads keep working while writes fail, and writes
 *   resume once the disk has room again.
 * - acks=0 gets no response (the data is still written); acks=1 answers once the leader has
 *   appended; acks=-1 once the high watermark passes the batch (all in-sync replicas have it),
 *   within the request's timeout (REQUEST_TIMED_OUT), with NOT_ENOUGH_REPLICAS before writing
 *   when the ISR is smaller than min.insync.replicas. With one broker the leader is the whole
 *   ISR, so -1 answers at once.
 * - The work is ReplicaManager.appendRecords' (broker/replica-append.ts): leadership, epochs,
 *   validation (storage/log/validator.ts, once) and acks; this handler maps the request to it
 *   and its outcomes to the response.
 * - `message.timestamp.type=LogAppendTime` stamps the broker time and returns it.
 * - Order: the requests of one connection append in the order they arrived (a producer with
 *   several in flight finds its records in that order, as with Kafka, which handles one request
 *   per connection at a time); their acks=-1 waits overlap.
 *
 * - Transactional batches (KIP-890 part 1, `transaction.partition.verification.enable`, default
 *   true): a request with a transactional id whose batch would open the producer's transaction
 *   on a partition is first checked with the transaction coordinator (broker/txn-verification.ts;
 *   AddPartitionsToTxn v4 verifyOnly when it is another broker). A partition never added is
 *   INVALID_TXN_STATE, a stale epoch INVALID_PRODUCER_EPOCH, a coordinator that cannot answer
 *   NOT_ENOUGH_REPLICAS (retriable); nothing is appended. Later batches of the open transaction
 *   are not asked about again. Besides that they are checked as an idempotent producer's (plus
 *   Kafka's rule that a producer with an open transaction may not write non-transactionally).
 *
 * Gaps: a v0-2 set mixing v0/v1 messages with v2 batches is refused (INVALID_RECORD). Kafka's
 * verification guard is not kept (a marker written between the verification and the append:
 * such a batch opens a hanging transaction: `samsa transactions find-hanging` and `abort`). Timestamp bounds are checked on the batch's first and max timestamps, not per record;
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
import { ErrorCode } from '../../protocol/errors.js'
import { authorize } from '../../security/authorizer/broker-authorizer.js'
import { NO_RESPONSE, type Handler, type RequestContext } from '../handler.js'
import type { AppendOutcome } from '../replica-append.js'
import { ATTR_TRANSACTIONAL, ATTRIBUTES_OFFSET, BATCH_HEADER_SIZE, MAGIC_OFFSET, MAGIC_V2, PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET } from '../../protocol/records/batch-header.js'
import { trace } from '../../util/trace.js'

function partitionError(index: number, errorCode: number, errorMessage: string | null = null): ProduceResponsePartitionProduceResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage }
}

function answer(ctx: RequestContext, o: AppendOutcome): ProduceResponsePartitionProduceResponse {
  if (o.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR || o.errorCode === ErrorCode.KAFKA_STORAGE_ERROR) {
    ctx.broker.logger.error('produce failed', { topic: o.topic, partition: o.partition, client: ctx.clientAddress, error: o.errorMessage })
  }
  if (o.corrections.length > 0) {
    ctx.broker.logger.debug('corrected a produced batch', { topic: o.topic, partition: o.partition, client: ctx.clientAddress, corrections: o.corrections })
  }
  if (o.errorCode !== ErrorCode.NONE) {
    return { ...partitionError(o.partition, o.errorCode, o.errorMessage), recordErrors: o.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message })) }
  }
  return {
    index: o.partition,
    errorCode: ErrorCode.NONE,
    baseOffset: BigInt(o.baseOffset),
    logAppendTimeMs: BigInt(o.logAppendTime),
    logStartOffset: BigInt(o.logStartOffset),
    recordErrors: [],
    errorMessage: null,
  }
}

interface Refusal {
  partition: number
  errorCode: number
  errorMessage: string
}

/**
 * KIP-890 part 1: the entries (by index) whose transactional batch opens the producer's
 * transaction on a partition the coordinator says is not in it; they are not appended. A batch
 * of a transaction already open on the partition (the producer state shows it) needs no
 * question. Entries that are not transactional v2 batches, or whose partition is not hosted
 * here, go to the append unchanged (which answers them as usual).
 */
async function verifyTransactional(ctx: RequestContext, transactionalId: string | null, entries: Array<{ topic: string; partition: number; records: Buffer }>): Promise<Map<number, Refusal>> {
  const refused = new Map<number, Refusal>()
  const verifier = ctx.broker.txnVerifier
  if (transactionalId === null || !verifier || !ctx.broker.config.get('transaction.partition.verification.enable')) return refused
  const asks: Array<{ index: number; topic: string; partition: number; producerId: bigint; producerEpoch: number }> = []
  entries.forEach((e, index) => {
    const r = e.records
    if (r.length < BATCH_HEADER_SIZE || r[MAGIC_OFFSET] !== MAGIC_V2 || (r.readInt16BE(ATTRIBUTES_OFFSET) & ATTR_TRANSACTIONAL) === 0) return
    const producerId = r.readBigInt64BE(PRODUCER_ID_OFFSET)
    const producerEpoch = r.readInt16BE(PRODUCER_EPOCH_OFFSET)
    let log
    try {
      log = ctx.broker.replicas.hostedPartition(e.topic, e.partition).partition.log
    } catch {
      return
    }
    const entry = log?.producerState.lastEntry(producerId)
    if (entry && entry.producerEpoch === producerEpoch && entry.currentTxnFirstOffset >= 0) return
    asks.push({ index, topic: e.topic, partition: e.partition, producerId, producerEpoch })
  })
  // One question per producer (a request carries one producer's batches, but a client may err).
  const byProducer = new Map<string, typeof asks>()
  for (const a of asks) {
    const k = `${a.producerId}:${a.producerEpoch}`
    const list = byProducer.get(k)
    if (list) list.push(a)
    else byProducer.set(k, [a])
  }
  await Promise.all(
    [...byProducer.values()].map(async (list) => {
      const codes = await verifier.verify({ transactionalId, producerId: list[0]!.producerId, producerEpoch: list[0]!.producerEpoch, partitions: list.map((a) => ({ topic: a.topic, partition: a.partition })) })
      list.forEach((a, i) => {
        const errorCode = codes[i]!
        if (errorCode === ErrorCode.NONE) return
        const why =
          errorCode === ErrorCode.INVALID_TXN_STATE
            ? `${a.topic}-${a.partition} is not in the ongoing transaction of transactional id ${transactionalId} (producer ${a.producerId}, epoch ${a.producerEpoch}): add it with AddPartitionsToTxn before writing; nothing was written`
            : errorCode === ErrorCode.INVALID_PRODUCER_EPOCH
              ? `producer ${a.producerId} epoch ${a.producerEpoch} is not the current epoch of transactional id ${transactionalId}; nothing was written`
              : `the transaction coordinator of ${transactionalId} could not verify the write to ${a.topic}-${a.partition} right now; retry`
        refused.set(a.index, { partition: a.partition, errorCode, errorMessage: why })
      })
    }),
  )
  return refused
}

/** Whether the partition's first batch is transactional (v2 attributes bit 4), as Kafka's RequestUtils.hasTransactionalRecords looks. */
function isTransactional(records: Buffer | null | undefined): boolean {
  return records != null && records.length >= BATCH_HEADER_SIZE && records[MAGIC_OFFSET] === MAGIC_V2 && (records.readInt16BE(ATTRIBUTES_OFFSET) & ATTR_TRANSACTIONAL) !== 0
}

export const produceHandler: Handler<typeof ApiKey.Produce> = {
  apiKey: ApiKey.Produce,
  minVersion: 0,
  maxVersion: 11,
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
    } else if (ctx.broker.authorizer && req.topicData.some((t) => t.partitionData.some((p) => isTransactional(p.records))) && (req.transactionalId == null || !authorize(ctx, 'WRITE', 'TRANSACTIONAL_ID', req.transactionalId))) {
      // Kafka refuses the whole request: transactional records need WRITE on their transactional id.
      // (Kafka refuses a transactional batch without a transactional id even with no authorizer;
      // Samsa does that only with one, leaving today's behaviour without ACLs as it was.)
      responses = req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => partitionError(p.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)) }))
    } else {
      // Topics the principal may not WRITE are answered TOPIC_AUTHORIZATION_FAILED and never reach the log.
      const allowed = new Map(req.topicData.map((t) => [t.name, authorize(ctx, 'WRITE', 'TOPIC', t.name)]))
      const entries = req.topicData.filter((t) => allowed.get(t.name)).flatMap((t) => t.partitionData.map((p) => ({ topic: t.name, partition: p.index, records: p.records ?? Buffer.alloc(0) })))
      const refused = await verifyTransactional(ctx, req.transactionalId ?? null, entries)
      const outcomes = await ctx.broker.replicas.appendRecords({
        entries: entries.filter((_, i) => !refused.has(i)),
        acks,
        timeoutMs: req.timeoutMs,
        // The request's own rules travel with the records, as capability flags.
        origin: { kind: 'client', checks: { singleBatch: ctx.apiVersion >= 3, legacyMessages: ctx.apiVersion < 3, allowZstd: ctx.apiVersion >= 7, maxDecodedBytes: ctx.broker.config.get('socket.request.max.bytes') } },
        internalTopicsAllowed: false,
        signal: ctx.signal,
        ...(ctx.appendTurn ? { turn: ctx.appendTurn } : {}),
        ...(trace ? { traceOn: ctx } : {}),
      })
      let i = 0
      let j = 0
      responses = req.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => {
          if (!allowed.get(t.name)) return partitionError(p.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
          const r = refused.get(i++)
          return r ? partitionError(r.partition, r.errorCode, r.errorMessage) : answer(ctx, outcomes[j++]!)
        }),
      }))
    }
    if (acks === 0) return NO_RESPONSE
    return { responses, throttleTimeMs: 0 }
  },
}
