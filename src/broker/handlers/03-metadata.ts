/**
 * Metadata (key 3), versions 0-12.
 *
 * Behaviour:
 * - Brokers: every live broker with its advertised address; controller id is always one of
 *   them (kafkajs and librdkafka admin clients rely on it).
 * - Topics: null (v1+) or empty (v0) means all topics; unknown names give
 *   UNKNOWN_TOPIC_OR_PARTITION, unknown ids (v10+) UNKNOWN_TOPIC_ID. Invalid names give
 *   INVALID_TOPIC_EXCEPTION. A lookup by id (null name) below v12 gets INVALID_REQUEST.
 * - v8+: authorized operations, when asked for (IncludeTopicAuthorizedOperations, and
 *   IncludeClusterAuthorizedOperations in v8-10), are every operation the resource supports
 *   without an authorizer (as Kafka), those the ACLs allow with one; INT32_MIN ("not requested") otherwise. Topics that do
 *   not exist carry INT32_MIN, as in Kafka.
 *
 * - Auto-creation: an unknown, valid name (not an internal topic's) is created with `num.partitions` and
 *   `default.replication.factor` when `auto.create.topics.enable` is on and the request allows
 *   it (v4+ flag; always below v4), and described at once (creation here is synchronous, so
 *   clients need not retry on LEADER_NOT_AVAILABLE). It is CreateTopics' creation
 *   (topic-admin.ts): serialised with the creates and deletes of the same name (one that loses
 *   a race to a delete answers UNKNOWN_TOPIC_OR_PARTITION), all or nothing, bounded by the
 *   broker's partition limit; a refused creation answers UNKNOWN_TOPIC_OR_PARTITION and logs why.
 *
 * - Authorization: listing all topics leaves out those the principal may not DESCRIBE; a named
 *   one it may not DESCRIBE is TOPIC_AUTHORIZATION_FAILED, existing or not; auto-creation needs
 *   CREATE on the cluster or on the topic (else TOPIC_AUTHORIZATION_FAILED). Authorized
 *   operations come from the ACLs (the cluster's only with DESCRIBE on it, else 0).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  MetadataRequest,
  MetadataResponse,
  type MetadataResponseTopic,
} from '../../protocol/generated/metadata.js'
import { ErrorCode } from '../../protocol/errors.js'
import { ZERO_UUID } from '../../protocol/primitives/uuid.js'
import { brokerAddress, type TopicInfo } from '../../metadata/types.js'
import { KafkaError } from '../../protocol/errors.js'
import { NOT_REQUESTED, SUPPORTED_OPERATIONS } from '../authorized-operations.js'
import { authorize, authorizeCluster, authorizedOperationBits } from '../../security/authorizer/broker-authorizer.js'
import { CLUSTER_NAME } from '../../security/authorizer/acl.js'
import type { Handler, RequestContext } from '../handler.js'
import { createTopic } from '../topic-admin.js'
import { isReservedTopicName, validateTopicName } from '../../metadata/topic-name.js'

function describeTopic(ctx: RequestContext, t: TopicInfo, withOperations: boolean | undefined): MetadataResponseTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: t.internal,
    partitions: t.partitions.map((p) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: p.partition,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas,
      isrNodes: p.isr,
      offlineReplicas: p.offlineReplicas,
    })),
    topicAuthorizedOperations: withOperations ? authorizedOperationBits(ctx, 'TOPIC', t.name, SUPPORTED_OPERATIONS.topic) : NOT_REQUESTED,
  }
}

function missing(name: string | null, topicId: string, errorCode: number): MetadataResponseTopic {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: NOT_REQUESTED }
}

/** Creates `name` if the broker and request allow; undefined when it stays unknown. */
async function autoCreate(ctx: RequestContext, name: string, allowed: boolean): Promise<TopicInfo | 'denied' | undefined> {
  if (!allowed || !ctx.broker.config.get('auto.create.topics.enable') || isReservedTopicName(name)) return undefined
  if (!authorizeCluster(ctx, 'CREATE') && !authorize(ctx, 'CREATE', 'TOPIC', name)) return 'denied'
  try {
    return (await createTopic(ctx.broker, { name })).topic
  } catch (err) {
    // Two clients asking at once: the second finds the first one's topic.
    if (err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS) return ctx.broker.metadata.topic(name)
    ctx.broker.logger.warn('auto-creating a topic failed', { topic: name, error: (err as Error).message })
    return undefined
  }
}

export const metadataHandler: Handler<typeof ApiKey.Metadata> = {
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,
  request: MetadataRequest,
  response: MetadataResponse,
  async handle(req, ctx) {
    const md = ctx.broker.metadata
    const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0)
    let topics: MetadataResponseTopic[]
    if (all) {
      // Topics the principal may not DESCRIBE are left out, as if they did not exist.
      topics = [...md.topics()].filter((t) => authorize(ctx, 'DESCRIBE', 'TOPIC', t.name)).map((t) => describeTopic(ctx, t, req.includeTopicAuthorizedOperations))
    } else {
      const allowCreate = req.allowAutoTopicCreation ?? true
      topics = await Promise.all(req.topics!.map(async (rt) => {
        if (rt.name === null || rt.name === undefined) {
          // Lookups by id answer with a null name, which only v12+ can carry; Kafka rejects
          // id lookups below v12 the same way.
          if (ctx.apiVersion < 12) return missing('', rt.topicId ?? ZERO_UUID, ErrorCode.INVALID_REQUEST)
          const byId = rt.topicId && rt.topicId !== ZERO_UUID ? md.topicById(rt.topicId) : undefined
          if (byId && !authorize(ctx, 'DESCRIBE', 'TOPIC', byId.name)) return missing(null, rt.topicId ?? ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
          return byId ? describeTopic(ctx, byId, req.includeTopicAuthorizedOperations) : missing(null, rt.topicId ?? ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_ID)
        }
        if (validateTopicName(rt.name) !== undefined) return missing(rt.name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION)
        // A named topic the principal may not DESCRIBE is refused whether it exists or not (nothing leaks).
        if (!authorize(ctx, 'DESCRIBE', 'TOPIC', rt.name)) return missing(rt.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        const t = md.topic(rt.name) ?? (await autoCreate(ctx, rt.name, allowCreate))
        if (t === 'denied') return missing(rt.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        return t ? describeTopic(ctx, t, req.includeTopicAuthorizedOperations) : missing(rt.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      }))
    }
    return {
      throttleTimeMs: 0,
      // The addresses of the listener this request came in on, as Kafka.
      brokers: md.brokers().flatMap((b) => {
        const a = brokerAddress(b, ctx.listenerName)
        return a ? [{ nodeId: b.nodeId, host: a.host, port: a.port, rack: b.rack }] : []
      }),
      clusterId: md.clusterId,
      controllerId: md.controllerId(),
      topics,
      // Kafka answers the cluster's bits only to a principal that may DESCRIBE it (0 otherwise).
      clusterAuthorizedOperations: !req.includeClusterAuthorizedOperations ? NOT_REQUESTED : authorizeCluster(ctx, 'DESCRIBE') ? authorizedOperationBits(ctx, 'CLUSTER', CLUSTER_NAME, SUPPORTED_OPERATIONS.cluster) : 0,
    }
  },
}
