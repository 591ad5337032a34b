/**
 * Topic administration: CreateTopics, DeleteTopics and CreatePartitions (sent to the
 * controller), and listing / describing topics through Metadata.
 *
 * Routing: the mutations go to the broker Metadata names as controller, or any broker when it
 * names none (KRaft brokers forward them to the real controller). NOT_CONTROLLER means our
 * metadata is stale: it is refreshed and the item retried. Every other per-topic error is final,
 * as in Kafka's AdminClient: retrying a CreateTopics that timed out would only turn its answer
 * into TOPIC_ALREADY_EXISTS.
 */
import type { DeleteTopicsRequest } from '../../protocol/generated/delete-topics.js'
import { ApiKey } from '../../protocol/generated/api-keys.js'
import type { CreateTopicsResponseCreatableTopicResult } from '../../protocol/generated/create-topics.js'
import type { MetadataResponseTopic } from '../../protocol/generated/metadata.js'
import { ZERO_UUID } from '../../protocol/primitives/uuid.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { BrokerConnection } from '../base/connection.js'
import { ClientError } from '../base/errors.js'
import { brokerError, finish, isKafkaError, isTransient, retrying, settle, type Call, type Outcomes } from './common.js'
import type { CreatedTopic, NewPartitions, NewTopic, TopicDescription } from './types.js'

/** NOT_CONTROLLER after a metadata refresh, and failures to reach the controller. */
export function controllerRetriable(e: Error): boolean {
  return isTransient(e) || isKafkaError(e, ErrorCode.NOT_CONTROLLER)
}

/**
 * The controller's connection. The first attempt trusts cached metadata; retries (after
 * NOT_CONTROLLER or a lost connection) look the controller up again.
 */
export async function controller(call: Call, attempt: number): Promise<BrokerConnection> {
  const c = call.cluster
  if (attempt > 0 || c.updatedAt === 0 || !c.brokers.has(c.controllerId)) await c.fetchMetadata([])
  return c.brokers.has(c.controllerId) ? c.connection(c.controllerId) : c.anyConnection()
}

export async function createTopics(call: Call, topics: NewTopic[], validateOnly: boolean): Promise<CreatedTopic[]> {
  for (const t of topics) {
    if (typeof t.topic !== 'string' || t.topic === '') throw new ClientError('INVALID_OPTION', 'createTopics: every topic needs a non-empty `topic` name')
  }
  const s = await settle<NewTopic, CreatedTopic>(call, topics, controllerRetriable, async (pending, attempt) => {
    const conn = await controller(call, attempt)
    const defaults = pending.some((t) => t.assignments === undefined && (t.numPartitions === undefined || t.replicationFactor === undefined))
    // -1 for "broker default" arrived with v4 (KIP-464); validateOnly with v1.
    const version = conn.version(ApiKey.CreateTopics, 7, Math.max(defaults ? 4 : 0, validateOnly ? 1 : 0))
    const wait = call.brokerWaitMs()
    const resp = await conn.request(
      ApiKey.CreateTopics,
      {
        topics: pending.map((t) => ({
          name: t.topic,
          numPartitions: t.numPartitions ?? -1,
          replicationFactor: t.replicationFactor ?? -1,
          assignments: (t.assignments ?? []).map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })),
          configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
        timeoutMs: wait,
        validateOnly,
      },
      call.request(version, wait),
    )
    const byName = new Map(resp.topics.map((r) => [r.name, r]))
    const out: Outcomes<NewTopic, CreatedTopic> = new Map()
    for (const t of pending) {
      const r = byName.get(t.topic)
      if (r) out.set(t, brokerError(r.errorCode, `topic ${t.topic}`, r.errorMessage) ?? created(r))
    }
    return out
  })
  return finish(call, topics, s, (t) => `topic ${t.topic}`)
}

function created(r: CreateTopicsResponseCreatableTopicResult): CreatedTopic {
  const configs = r.configs ? Object.fromEntries(r.configs.map((c) => [c.name, c.value])) : null
  return {
    topic: r.name,
    topicId: r.topicId && r.topicId !== ZERO_UUID ? r.topicId : null,
    numPartitions: r.numPartitions !== undefined && r.numPartitions >= 0 ? r.numPartitions : null,
    replicationFactor: r.replicationFactor !== undefined && r.replicationFactor >= 0 ? r.replicationFactor : null,
    configs,
  }
}

export async function deleteTopics(call: Call, names: string[]): Promise<void> {
  const s = await settle<string, true>(call, names, controllerRetriable, async (pending, attempt) => {
    const conn = await controller(call, attempt)
    const version = conn.version(ApiKey.DeleteTopics, 6)
    const wait = call.brokerWaitMs()
    const body: DeleteTopicsRequest =
      version >= 6 ? { topics: pending.map((name) => ({ name, topicId: ZERO_UUID })), timeoutMs: wait } : { topicNames: pending, timeoutMs: wait }
    const resp = await conn.request(ApiKey.DeleteTopics, body, call.request(version, wait))
    const out: Outcomes<string, true> = new Map()
    for (const r of resp.responses) {
      if (r.name !== null) out.set(r.name, brokerError(r.errorCode, `topic ${r.name}`, r.errorMessage) ?? true)
    }
    return out
  })
  finish(call, names, s, (n) => `topic ${n}`)
}

export async function createPartitions(call: Call, requests: NewPartitions[], validateOnly: boolean): Promise<void> {
  const s = await settle<NewPartitions, true>(call, requests, controllerRetriable, async (pending, attempt) => {
    const conn = await controller(call, attempt)
    const version = conn.version(ApiKey.CreatePartitions, 3)
    const wait = call.brokerWaitMs()
    const resp = await conn.request(
      ApiKey.CreatePartitions,
      {
        topics: pending.map((p) => ({ name: p.topic, count: p.count, assignments: p.assignments ? p.assignments.map((brokerIds) => ({ brokerIds })) : null })),
        timeoutMs: wait,
        validateOnly,
      },
      call.request(version, wait),
    )
    const byName = new Map(resp.results.map((r) => [r.name, r]))
    const out: Outcomes<NewPartitions, true> = new Map()
    for (const p of pending) {
      const r = byName.get(p.topic)
      if (r) out.set(p, brokerError(r.errorCode, `topic ${p.topic}`, r.errorMessage) ?? true)
    }
    return out
  })
  finish(call, requests, s, (p) => `topic ${p.topic}`)
}

export async function listTopics(call: Call, includeInternal: boolean): Promise<string[]> {
  const resp = await retrying(call, () => call.cluster.fetchMetadata(null))
  return resp.topics
    .filter((t) => t.errorCode === 0 && t.name !== null && (includeInternal || !t.isInternal))
    .map((t) => t.name!)
    .sort()
}

/**
 * Topic descriptions through Metadata. A topic being created (LEADER_NOT_AVAILABLE) is asked
 * again; an unknown one fails at once.
 */
export async function describeTopics(call: Call, names: string[]): Promise<TopicDescription[]> {
  const s = await settle<string, TopicDescription>(
    call,
    names,
    (e) => isTransient(e) || isKafkaError(e, ErrorCode.LEADER_NOT_AVAILABLE),
    async (pending) => {
      const resp = await call.cluster.fetchMetadata(pending)
      const out: Outcomes<string, TopicDescription> = new Map()
      for (const t of resp.topics) {
        if (t.name !== null) out.set(t.name, brokerError(t.errorCode, `topic ${t.name}`) ?? describe(t))
      }
      return out
    },
  )
  return finish(call, names, s, (n) => `topic ${n}`)
}

function describe(t: MetadataResponseTopic): TopicDescription {
  return {
    name: t.name!,
    topicId: t.topicId && t.topicId !== ZERO_UUID ? t.topicId : null,
    isInternal: t.isInternal ?? false,
    partitions: t.partitions
      .map((p) => ({
        partition: p.partitionIndex,
        leader: p.leaderId >= 0 && p.errorCode !== ErrorCode.LEADER_NOT_AVAILABLE ? p.leaderId : null,
        leaderEpoch: p.leaderEpoch !== undefined && p.leaderEpoch >= 0 ? p.leaderEpoch : null,
        replicas: p.replicaNodes,
        isr: p.isrNodes,
        offlineReplicas: p.offlineReplicas ?? [],
      }))
      .sort((a, b) => a.partition - b.partition),
  }
}

/**
 * Partition counts of topics that exist, for callers that expand topics into partitions and
 * skip deleted ones (lag of a group that committed to a topic since deleted).
 */
export async function existingPartitions(call: Call, topics: string[]): Promise<Map<string, number>> {
  if (topics.length === 0) return new Map()
  const resp = await retrying(call, () => call.cluster.fetchMetadata(topics))
  return new Map(resp.topics.filter((t) => t.errorCode === 0 && t.name !== null).map((t) => [t.name!, t.partitions.length]))
}

/** Partition counts of `topics`; an unknown topic fails the call (see describeTopics). */
export async function partitionCounts(call: Call, topics: string[]): Promise<Map<string, number>> {
  const described = await describeTopics(call, topics)
  return new Map(described.map((t) => [t.name, t.partitions.length]))
}
