/**
 * Fetch (key 1), versions 0-17, for consumers.
 *
 * Behaviour:
 * - v0-3 (Kafka before 0.11) read message formats v0 (v0-1) and v1 (v2-3): the stored v2
 *   batches are converted down (broker/down-conversion.ts: markers and headers dropped, the
 *   size kept within what was read, zstd answered UNSUPPORTED_COMPRESSION_TYPE), unless the
 *   topic's `message.downconversion.enable` (broker: `log.message.downconversion.enable`) is
 *   false: then UNSUPPORTED_VERSION for the partition, as Kafka 3.x answered. v0-2 have no
 *   response `max_bytes` and a hard partition limit: a first batch larger than
 *   `partition_max_bytes` is cut, not returned whole (the client then raises its fetch size).
 * - Long poll: when fewer than `min_bytes` are available the request waits up to
 *   `max_wait_ms`, woken by appends (high watermark moves) to any partition it reads; an error
 *   on any partition answers at once.
 * - Limits: `partition_max_bytes` per partition and `max_bytes` (v3+) for the response; the
 *   first batch found is returned whole even if larger (KIP-74), later partitions stop at
 *   the budget. A range may end inside a batch; clients drop the partial batch, as with Kafka.
 * - Consumers read up to the high watermark; read_committed (`isolation_level` 1) up to the last
 *   stable offset (below it no transaction is undecided), reported in every answer, with the
 *   aborted transactions overlapping what is read (from the `.txnindex` files): the consumer
 *   drops those producers' records from each first offset up to the abort marker.
 * - Authorization: a follower's fetch needs CLUSTER_ACTION on the cluster, a consumer's READ on
 *   each topic; otherwise those partitions are TOPIC_AUTHORIZATION_FAILED (with no data).
 * - Errors per partition: OFFSET_OUT_OF_RANGE (outside [log start, log end]),
 *   UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID (v13+ addresses topics by id),
 *   FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (KIP-320, v9+), KAFKA_STORAGE_ERROR.
 * - Fetch sessions (KIP-227, v7+): epoch 0 opens a session and answers its id; later requests
 *   send only changes, and responses leave out partitions with nothing new; epoch -1 closes.
 *   Session errors are FETCH_SESSION_ID_NOT_FOUND and INVALID_FETCH_SESSION_EPOCH.
 *
 * - What each partition may return is ReplicaManager.fetchMessages' (broker/replica-fetch.ts):
 *   leadership and epochs, isolation bounds, budgets and the long poll. A fetch from a follower
 *   (replica id >= 0, or ReplicaState in v15+) reads up to the log end and records the
 *   follower's log end offset, which moves the high watermark.
 *
 * - Fetch from the closest replica (KIP-392, v11+): with replica.selector.class set to the
 *   rack-aware selector, a consumer naming its rack is sent (preferred_read_replica) to an
 *   in-sync replica in that rack, and a follower serves such consumers up to its high watermark.
 *
 * Gaps: down-conversion is done whole per partition, not lazily in chunks (KIP-283), one
 * partition at a time per process, each batch decoded within socket.request.max.bytes.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  FetchRequest,
  FetchResponse,
  type FetchRequestFetchPartition,
  type FetchResponseFetchableTopicResponse,
  type FetchResponsePartitionData,
} from '../../protocol/generated/fetch.js'
import { ErrorCode } from '../../protocol/errors.js'
import { ZERO_UUID } from '../../protocol/primitives/uuid.js'
import { FINAL_EPOCH, INITIAL_EPOCH, partitionKey, type FetchSession, type SessionPartition } from '../fetch-session.js'
import type { Handler, RequestContext } from '../handler.js'
import { errorCodeOf } from '../error-codes.js'
import { downConversionMagic, downConvert } from '../down-conversion.js'
import type { FetchedPartition, FetchPartitionRequest } from '../replica-fetch.js'
import { batchesSpan, trace } from '../../util/trace.js'
import { authorize, authorizeCluster } from '../../security/authorizer/broker-authorizer.js'

const EMPTY = Buffer.alloc(0)

/** A partition's stored batches in the old client's message format, or why not. */
async function converted(ctx: RequestContext, t: Target, read: FetchedPartition, toMagic: 0 | 1): Promise<{ errorCode: number; records: Buffer }> {
  const topic = ctx.broker.metadata.topic(t.topic)
  const enabled = topic ? ctx.broker.replicas.effectiveConfigs(topic).get('message.downconversion.enable')?.value !== 'false' : true
  if (!enabled) {
    ctx.broker.logger.debug('down-conversion disabled: answering UNSUPPORTED_VERSION', { topic: t.topic, partition: t.partition, client: ctx.clientAddress, version: ctx.apiVersion })
    return { errorCode: ErrorCode.UNSUPPORTED_VERSION, records: EMPTY }
  }
  const r = await downConvert(read.records, { toMagic, fetchOffset: t.fetchOffset, maxDecodedBytes: ctx.broker.config.get('socket.request.max.bytes') })
  if (r.problem) {
    const log = r.errorCode === ErrorCode.CORRUPT_MESSAGE ? 'warn' : 'debug'
    ctx.broker.logger[log]('down-conversion stopped', { topic: t.topic, partition: t.partition, client: ctx.clientAddress, problem: r.problem })
  }
  return r
}

const READ_COMMITTED = 1

/** One partition this fetch reads. */
interface Target extends SessionPartition {
  currentLeaderEpoch: number
  /** Set when the partition cannot be read at all (an unknown topic id). */
  error?: number
}

/** Decodes the request's partitions (by name below v13, by topic id from v13). */
function requested(ctx: RequestContext, req: FetchRequest): Target[] {
  const byId = ctx.apiVersion >= 13
  const out: Target[] = []
  for (const t of req.topics) {
    const info = byId ? ctx.broker.metadata.topicById(t.topicId ?? ZERO_UUID) : ctx.broker.metadata.topic(t.topic ?? '')
    const name = byId ? (info?.name ?? '') : (t.topic ?? '')
    const topicId = byId ? (t.topicId ?? ZERO_UUID) : (info?.topicId ?? ZERO_UUID)
    for (const p of t.partitions) out.push(target(name, topicId, p, byId && !info ? ErrorCode.UNKNOWN_TOPIC_ID : undefined))
  }
  return out
}

function target(topic: string, topicId: string, p: FetchRequestFetchPartition, error?: number): Target {
  return {
    topic,
    topicId,
    partition: p.partition,
    fetchOffset: Number(p.fetchOffset),
    maxBytes: p.partitionMaxBytes,
    currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
    sentHighWatermark: -1,
    sentLogStartOffset: -1,
    sentLastStableOffset: -1,
    ...(error !== undefined ? { error } : {}),
  }
}

function keyOf(ctx: RequestContext, t: { topic: string; topicId: string; partition: number }): string {
  return partitionKey(ctx.apiVersion >= 13 ? t.topicId : t.topic, t.partition)
}

interface Plan {
  targets: Target[]
  session?: FetchSession
  /** Incremental responses leave out unchanged partitions. */
  incremental: boolean
  /** Response-level error (sessions). */
  error?: number
}

/** KIP-227: works out which partitions this request reads and under which session. */
function plan(ctx: RequestContext, req: FetchRequest): Plan {
  const sessions = ctx.broker.fetchSessions
  const sessionId = ctx.apiVersion >= 7 ? (req.sessionId ?? 0) : 0
  const epoch = ctx.apiVersion >= 7 ? (req.sessionEpoch ?? FINAL_EPOCH) : FINAL_EPOCH
  if (epoch === FINAL_EPOCH || epoch === INITIAL_EPOCH) {
    if (sessionId !== 0) sessions.remove(sessionId)
    const targets = requested(ctx, req)
    if (epoch === FINAL_EPOCH) return { targets, incremental: false }
    const session = sessions.create()
    if (!session) return { targets, incremental: false }
    for (const t of targets) session.partitions.set(keyOf(ctx, t), t)
    return { targets, session, incremental: false }
  }
  let session: FetchSession
  try {
    session = sessions.resume(sessionId, epoch)
  } catch (err) {
    return { targets: [], incremental: true, error: errorCodeOf(err) }
  }
  for (const f of req.forgottenTopicsData ?? []) {
    for (const p of f.partitions) {
      session.partitions.delete(ctx.apiVersion >= 13 ? partitionKey(f.topicId ?? ZERO_UUID, p) : partitionKey(f.topic ?? '', p))
    }
  }
  for (const t of requested(ctx, req)) {
    const key = keyOf(ctx, t)
    const prev = session.partitions.get(key) as Target | undefined
    if (prev) {
      prev.fetchOffset = t.fetchOffset
      prev.maxBytes = t.maxBytes
      prev.currentLeaderEpoch = t.currentLeaderEpoch
      if (t.error !== undefined) prev.error = t.error
      else delete prev.error
    } else {
      session.partitions.set(key, t)
    }
  }
  return { targets: [...session.partitions.values()] as Target[], session, incremental: true }
}

/**
 * What fetchMessages reads: copies of the targets, so that neither a refusal of this request
 * only (authorization) nor the next request of the session changes what a long poll reads.
 */
function fetchPartitions(targets: Target[], errorOf: (t: Target) => number | undefined): FetchPartitionRequest[] {
  const out: FetchPartitionRequest[] = []
  for (const t of targets) {
    const req: FetchPartitionRequest = { topic: t.topic, partition: t.partition, fetchOffset: t.fetchOffset, maxBytes: t.maxBytes, currentLeaderEpoch: t.currentLeaderEpoch }
    const error = errorOf(t)
    if (error !== undefined) req.error = error
    out.push(req)
  }
  return out
}

export const fetchHandler: Handler<typeof ApiKey.Fetch> = {
  apiKey: ApiKey.Fetch,
  minVersion: 0,
  maxVersion: 17,
  request: FetchRequest,
  response: FetchResponse,
  async handle(req, ctx) {
    const p = plan(ctx, req)
    if (p.error !== undefined) return { throttleTimeMs: 0, errorCode: p.error, sessionId: 0, responses: [], nodeEndpoints: [] }
    const readCommitted = (req.isolationLevel ?? 0) === READ_COMMITTED
    // A follower names itself in ReplicaState from v15, in ReplicaId before.
    const replicaId = ctx.apiVersion >= 15 ? (req.replicaState?.replicaId ?? -1) : (req.replicaId ?? -1)
    // Followers need CLUSTER_ACTION on the cluster, consumers READ on each topic (Kafka's handleFetchRequest).
    const followerAllowed = replicaId >= 0 && authorizeCluster(ctx, 'CLUSTER_ACTION')
    const readable = new Map<string, boolean>()
    const denied = (topic: string): boolean => {
      if (replicaId >= 0) return !followerAllowed
      let ok = readable.get(topic)
      if (ok === undefined) readable.set(topic, (ok = authorize(ctx, 'READ', 'TOPIC', topic)))
      return !ok
    }
    // Per request, never stored in the session's partitions: a grant applies to the next fetch.
    const errorOf = (t: Target): number | undefined => t.error ?? (denied(t.topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : undefined)
    // A consumer under a byte-rate quota gets no more than its quota window holds, as Kafka does:
    // a larger response would be over quota however long it waited (quotas/throttle.ts).
    const quotaBytes = replicaId < 0 ? (ctx.broker.quotas?.maxValueInWindow('consumer_byte_rate', ctx.principal.name, ctx.clientId ?? '') ?? Infinity) : Infinity
    const maxBytes = Math.min(ctx.apiVersion >= 3 ? (req.maxBytes ?? 0x7fffffff) : 0x7fffffff, quotaBytes)
    const fetched = await ctx.broker.replicas.fetchMessages({
      replicaId,
      maxWaitMs: req.maxWaitMs,
      minBytes: req.minBytes,
      maxBytes,
      isolation: readCommitted ? 'read_committed' : 'read_uncommitted',
      partitions: fetchPartitions(p.targets, errorOf),
      // KIP-392: a consumer's rack (v11+), and such consumers may be sent to, and read from, followers.
      ...(replicaId < 0 && ctx.apiVersion >= 11 ? { clientRack: req.rackId ?? '', followerReadsAllowed: true } : {}),
      ...(ctx.apiVersion <= 2 ? { hardMaxBytes: true } : {}),
      ...(ctx.responseBuffer ? { buffer: ctx.responseBuffer } : {}),
      signal: ctx.signal,
    })
    const toMagic = downConversionMagic(ctx.apiVersion)
    trace?.mark(ctx, 'broker.fetchReturned')

    const topics: FetchResponseFetchableTopicResponse[] = []
    const byTopic = new Map<string, FetchResponseFetchableTopicResponse>()
    const returnedData: string[] = []
    for (const [i, read] of fetched.entries()) {
      const t = p.targets[i]!
      const changed =
        read.records.length > 0 ||
        read.errorCode !== ErrorCode.NONE ||
        read.highWatermark !== t.sentHighWatermark ||
        read.logStartOffset !== t.sentLogStartOffset ||
        read.lastStableOffset !== t.sentLastStableOffset ||
        read.preferredReadReplica >= 0
      if (p.incremental && !changed) continue
      t.sentHighWatermark = read.highWatermark
      t.sentLastStableOffset = read.lastStableOffset
      t.sentLogStartOffset = read.logStartOffset
      if (read.records.length > 0) {
        returnedData.push(keyOf(ctx, t))
        const span = trace && batchesSpan(read.records)
        if (span) trace!.defer(ctx, 'broker.fetchEncoded', t.topic, t.partition, span.first > t.fetchOffset ? span.first : BigInt(t.fetchOffset), span.last)
      }
      const { errorCode, records } = toMagic === undefined || replicaId >= 0 || read.errorCode !== ErrorCode.NONE ? read : await converted(ctx, t, read, toMagic)
      const partition: FetchResponsePartitionData = {
        partitionIndex: t.partition,
        errorCode,
        highWatermark: BigInt(read.highWatermark),
        lastStableOffset: BigInt(read.lastStableOffset),
        logStartOffset: BigInt(read.logStartOffset),
        abortedTransactions: readCommitted && read.errorCode === ErrorCode.NONE ? (read.abortedTransactions ?? []).map((a) => ({ producerId: a.producerId, firstOffset: BigInt(a.firstOffset) })) : null,
        preferredReadReplica: read.preferredReadReplica,
        records,
      }
      const topicKey = ctx.apiVersion >= 13 ? t.topicId : t.topic
      let topic = byTopic.get(topicKey)
      if (!topic) {
        topic = ctx.apiVersion >= 13 ? { topic: '', topicId: t.topicId, partitions: [] } : { topic: t.topic, topicId: ZERO_UUID, partitions: [] }
        byTopic.set(topicKey, topic)
        topics.push(topic)
      }
      topic.partitions.push(partition)
    }
    // Fairness across requests: partitions that just returned data go to the back of the session.
    if (p.session) {
      for (const key of returnedData) {
        const sp = p.session.partitions.get(key)
        if (sp) {
          p.session.partitions.delete(key)
          p.session.partitions.set(key, sp)
        }
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: p.session?.id ?? 0, responses: topics, nodeEndpoints: [] }
  },
}
