/**
 * CreateTopics (key 19), versions 0-7.
 *
 * Behaviour:
 * - One result per topic, in request order. A name given twice gets INVALID_REQUEST
 *   ("Duplicate topic name.") once, and neither entry is created (Kafka's controller rule).
 * - Checks as Kafka's controller, in its order: an existing topic (TOPIC_ALREADY_EXISTS) before
 *   anything else, then name (INVALID_TOPIC_EXCEPTION, also for '.'/'_' collisions),
 *   assignments, partitions and replication factor, then configs (INVALID_CONFIG; a null value
 *   is refused). numPartitions / replicationFactor -1 take num.partitions /
 *   default.replication.factor, at every version (kafkajs sends -1 on v3).
 * - Manual assignments need numPartitions and replicationFactor -1 (INVALID_REQUEST), indexes
 *   0..n-1 once each, and replica lists of registered brokers (INVALID_REPLICA_ASSIGNMENT).
 * - validateOnly (v1+) runs every check and creates nothing.
 * - controller_mutation_rate (quotas/mutations.ts): strict from v6 (THROTTLING_QUOTA_EXCEEDED once
 *   over the rate, the topic not created), throttled only before; validateOnly is not charged.
 * - Bounds, checked before anything else (Kafka's controller): more than 10,000 partitions in
 *   the whole request (numPartitions, num.partitions for -1, or the number of assignments)
 *   answers every topic POLICY_VIOLATION "Excessively large number of partitions per request."
 *   and creates nothing. A topic that would take the broker past Samsa's bound on hosted
 *   partitions (MAX_PARTITIONS_PER_BROKER, 100,000) gets POLICY_VIOLATION.
 * - Atomic per topic: its logs are made first and it is committed to metadata last; when either
 *   fails (a full disk: KAFKA_STORAGE_ERROR with the OS's reason) nothing of it remains, on disk
 *   or in samsa-metadata.json. Racing creates, deletes and auto-creates of one name are
 *   serialised, so they answer TOPIC_ALREADY_EXISTS / UNKNOWN_TOPIC_OR_PARTITION, not each
 *   other's half-made state.
 * - v5+: a created (or validated) topic reports numPartitions, replicationFactor and every
 *   topic config with its effective value and source; v7 its topic id (ZERO_UUID after
 *   validateOnly, where Kafka sends an id it then forgets).
 * - Logs exist when the answer is sent.
 *
 * Deliberate differences: the internal topics (__consumer_offsets, __transaction_state,
 * __share_group_state) are refused with INVALID_REQUEST as well as __cluster_metadata, which
 * is all Kafka refuses: their coordinators create them with the partition count their
 * hashing needs. Other `__` names are ordinary topics, as in Kafka. No create
 * topic policy, no controller mutation quota (throttle time is 0). Authorization: CREATE on the cluster or
 * the topic, else TOPIC_AUTHORIZATION_FAILED.
 */
import { MutationQuota } from '../quotas/mutations.js'
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  CreateTopicsRequest,
  CreateTopicsResponse,
  type CreateTopicsRequestCreatableTopic,
  type CreateTopicsResponseCreatableTopicResult,
} from '../../protocol/generated/create-topics.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { ZERO_UUID } from '../../protocol/primitives/uuid.js'
import { describeTopicConfigs } from '../config-describe.js'
import { authorize, authorizeCluster } from '../../security/authorizer/broker-authorizer.js'
import type { Handler, RequestContext } from '../handler.js'
import { checkCreateTopicsBatch, createTopic } from '../topic-admin.js'

function failed(name: string, err: unknown, ctx: RequestContext): CreateTopicsResponseCreatableTopicResult {
  if (!(err instanceof KafkaError)) ctx.broker.logger.error('creating a topic failed', { topic: name, error: (err as Error).message })
  const e = err instanceof KafkaError ? err : new KafkaError('UNKNOWN_SERVER_ERROR', (err as Error).message)
  return { name, topicId: ZERO_UUID, errorCode: e.code, errorMessage: e.message, numPartitions: -1, replicationFactor: -1, configs: null }
}

/** The request's assignments as replica lists by partition index, which must run 0..n-1. */
function assignmentsOf(t: CreateTopicsRequestCreatableTopic): number[][] | undefined {
  if (t.assignments.length === 0) return undefined
  const byIndex = new Map<number, number[]>()
  for (const a of t.assignments) {
    if (byIndex.has(a.partitionIndex)) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Found multiple manual partition assignments for partition ${a.partitionIndex}`)
    byIndex.set(a.partitionIndex, a.brokerIds)
  }
  const out: number[][] = []
  for (let i = 0; i < byIndex.size; i++) {
    const replicas = byIndex.get(i)
    if (!replicas) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'partitions should be a consecutive 0-based integer sequence')
    out.push(replicas)
  }
  return out
}

/** Later entries win when a key repeats; a null value is refused as Kafka's controller does. */
function configsOf(t: CreateTopicsRequestCreatableTopic): Record<string, string> {
  const nulls = t.configs.filter((c) => c.value === null).map((c) => c.name)
  if (nulls.length > 0) throw new KafkaError('INVALID_CONFIG', `Null value not supported for topic configs: ${nulls.join(',')}`)
  return Object.fromEntries(t.configs.map((c) => [c.name, c.value!]))
}

async function createOne(t: CreateTopicsRequestCreatableTopic, validateOnly: boolean, ctx: RequestContext, quota: MutationQuota): Promise<CreateTopicsResponseCreatableTopicResult> {
  try {
    quota.check()
    const assignments = assignmentsOf(t)
    const created = await createTopic(ctx.broker, {
      name: t.name,
      partitions: t.numPartitions,
      replicationFactor: t.replicationFactor,
      configs: configsOf(t),
      ...(assignments ? { assignments } : {}),
      validateOnly,
    })
    if (!validateOnly) quota.record(created.partitions)
    const configs = describeTopicConfigs(created.configs, ctx.broker.replicas.layers()).map((c) => ({
      name: c.name,
      value: c.isSensitive ? null : c.value,
      readOnly: c.readOnly,
      configSource: c.source,
      isSensitive: c.isSensitive,
    }))
    return {
      name: t.name,
      topicId: created.topic?.topicId ?? ZERO_UUID,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      topicConfigErrorCode: ErrorCode.NONE,
      numPartitions: created.partitions,
      replicationFactor: created.replicationFactor,
      configs,
    }
  } catch (err) {
    return failed(t.name, err, ctx)
  }
}

export const createTopicsHandler: Handler<typeof ApiKey.CreateTopics> = {
  apiKey: ApiKey.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  request: CreateTopicsRequest,
  response: CreateTopicsResponse,
  async handle(req, ctx) {
    const counts = new Map<string, number>()
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)
    const validateOnly = req.validateOnly ?? false
    const topics: CreateTopicsResponseCreatableTopicResult[] = []
    const answered = new Set<string>()
    // CREATE on the cluster covers every topic; otherwise CREATE on each (Kafka's handleCreateTopicsRequest).
    const clusterCreate = authorizeCluster(ctx, 'CREATE')
    const mayCreate = (name: string) => clusterCreate || authorize(ctx, 'CREATE', 'TOPIC', name)
    try {
      // Duplicates are refused on their own, as Kafka does before its controller counts.
      checkCreateTopicsBatch(ctx.broker, req.topics.filter((t) => counts.get(t.name) === 1 && mayCreate(t.name)))
    } catch (err) {
      for (const t of req.topics) {
        if (answered.has(t.name)) continue
        answered.add(t.name)
        topics.push(failed(t.name, err, ctx))
      }
      return { throttleTimeMs: 0, topics }
    }
    // KIP-599: strict from v6.
    const quota = new MutationQuota(ctx, ctx.apiVersion >= 6)
    // One at a time: the store commits one change at a time anyway, and a failure part-way
    // then leaves the earlier topics created, as Kafka's per-topic results promise.
    for (const t of req.topics) {
      if (answered.has(t.name)) continue
      answered.add(t.name)
      if (counts.get(t.name)! > 1) topics.push(failed(t.name, new KafkaError('INVALID_REQUEST', 'Duplicate topic name.'), ctx))
      else if (!mayCreate(t.name)) topics.push(failed(t.name, new KafkaError('TOPIC_AUTHORIZATION_FAILED'), ctx))
      else topics.push(await createOne(t, validateOnly, ctx, quota))
    }
    return { throttleTimeMs: quota.throttleTimeMs, topics }
  },
}
