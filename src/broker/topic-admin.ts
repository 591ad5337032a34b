/**
 * Topic creation shared by CreateTopics, Metadata auto-creation and Broker.createTopic: the
 * checks Kafka makes (name, internal prefix, partitions, replication factor, configs), then the
 * metadata change and the logs. Errors are KafkaErrors with the code CreateTopics answers.
 */
import { KafkaError } from '../protocol/errors.js'
import type { TopicInfo } from '../metadata/types.js'
import type { BrokerContext } from './handler.js'
import { validateTopicConfigs } from './topic-config.js'
import { collisionKey, isReservedTopicName, validateTopicName } from './topic-name.js'

export interface CreateTopicRequest {
  name: string
  /** -1 or undefined: num.partitions. */
  partitions?: number
  /** -1 or undefined: default.replication.factor. */
  replicationFactor?: number
  configs?: Record<string, string | null>
  assignments?: number[][]
  /** Check everything, change nothing. */
  validateOnly?: boolean
  /** Internal callers (coordinators) may create `__` topics. */
  allowInternal?: boolean
}

/** What topic creation uses of the broker (coordinators create internal topics before handlers run). */
export type TopicAdminContext = Pick<BrokerContext, 'metadata' | 'config' | 'replicas' | 'logger'>

export interface CreatedTopic {
  topic: TopicInfo | undefined
  partitions: number
  replicationFactor: number
  configs: Record<string, string>
}

/** Checks a creation request and returns the resolved counts and configs. */
export function checkNewTopic(broker: TopicAdminContext, req: CreateTopicRequest): { partitions: number; replicationFactor: number; configs: Record<string, string>; assignments?: number[][] } {
  const why = validateTopicName(req.name)
  if (why) throw new KafkaError('INVALID_TOPIC_EXCEPTION', why)
  if (isReservedTopicName(req.name) && !req.allowInternal) {
    throw new KafkaError('INVALID_REQUEST', `Creation of internal topic ${req.name} is prohibited: the broker creates it when needed.`)
  }
  const live = broker.metadata.brokers().map((b) => b.nodeId)
  let partitions = req.partitions === undefined || req.partitions === -1 ? (broker.config.get('num.partitions') as number) : req.partitions
  let replicationFactor = req.replicationFactor === undefined || req.replicationFactor === -1 ? (broker.config.get('default.replication.factor') as number) : req.replicationFactor
  const assignments = req.assignments && req.assignments.length > 0 ? req.assignments : undefined
  if (assignments) {
    if (req.replicationFactor !== undefined && req.replicationFactor !== -1) {
      throw new KafkaError('INVALID_REQUEST', 'A manual partition assignment was specified, but replication factor was not set to -1.')
    }
    if (req.partitions !== undefined && req.partitions !== -1) {
      throw new KafkaError('INVALID_REQUEST', 'A manual partition assignment was specified, but numPartitions was not set to -1.')
    }
    partitions = assignments.length
    replicationFactor = assignments[0]!.length
    for (const [i, replicas] of assignments.entries()) checkReplicaAssignment(live, replicas, i, i === 0 ? undefined : replicationFactor)
  }
  if (!Number.isInteger(partitions) || partitions < 1) throw new KafkaError('INVALID_PARTITIONS', `Number of partitions must be larger than 0, got ${partitions}.`)
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    throw new KafkaError('INVALID_REPLICATION_FACTOR', `Replication factor must be larger than 0, got ${replicationFactor}.`)
  }
  if (replicationFactor > live.length) {
    throw new KafkaError('INVALID_REPLICATION_FACTOR', `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${live.length} broker(s) are registered.`)
  }
  const configs = validateTopicConfigs(req.configs ?? {})
  return { partitions, replicationFactor, configs, ...(assignments ? { assignments } : {}) }
}

/**
 * Checks one partition's manual replica list (CreateTopics assignments, CreatePartitions):
 * not empty, only registered brokers, none twice, and `replicationFactor` long when given.
 * Throws INVALID_REPLICA_ASSIGNMENT with Kafka's wording.
 */
export function checkReplicaAssignment(live: readonly number[], replicas: readonly number[], partition: number, replicationFactor?: number): void {
  if (replicas.length === 0) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment for partition ${partition} includes an empty replica list.`)
  const seen = new Set<number>()
  for (const r of replicas) {
    if (!live.includes(r)) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes broker ${r}, but no such broker is registered.`)
    if (seen.has(r)) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes the broker ${r} more than once.`)
    seen.add(r)
  }
  if (replicationFactor !== undefined && replicas.length !== replicationFactor) {
    throw new KafkaError(
      'INVALID_REPLICA_ASSIGNMENT',
      `The manual partition assignment includes a partition with ${replicas.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`,
    )
  }
}

/** Creates a topic (metadata and logs) after checkNewTopic; with validateOnly, only checks. */
export async function createTopic(broker: TopicAdminContext, req: CreateTopicRequest): Promise<CreatedTopic> {
  // Kafka reports an existing topic before looking at the rest of the request.
  if (broker.metadata.topic(req.name)) throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${req.name}' already exists.`)
  const checked = checkNewTopic(broker, req)
  if (req.validateOnly) {
    // The store checks name collisions when it creates; a dry run must find them here.
    const clash = [...broker.metadata.topics()].find((t) => collisionKey(t.name) === collisionKey(req.name))
    if (clash) throw new KafkaError('INVALID_TOPIC_EXCEPTION', `Topic '${req.name}' collides with existing topic '${clash.name}' ('.' and '_' are treated alike).`)
    return { topic: undefined, ...checked }
  }
  const topic = await broker.metadata.createTopic({ name: req.name, ...checked })
  await broker.replicas.ensureLogs(topic)
  broker.logger.info('topic created', { topic: topic.name, partitions: checked.partitions, topicId: topic.topicId })
  return { topic, ...checked }
}
