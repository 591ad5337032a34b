/**
 * Topic creation shared by CreateTopics, Metadata auto-creation and Broker.createTopic: the
 * checks Kafka makes (name, internal prefix, partitions, replication factor, configs), then the
 * metadata change and the logs. Errors are KafkaErrors with the code CreateTopics answers.
 */
import { KafkaError } from '../protocol/errors.js'
import type { TopicInfo } from '../metadata/types.js'
import type { BrokerContext } from './handler.js'
import { validateTopicConfigs } from './topic-config.js'
import { validateTopicName } from './topic-name.js'

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

export interface CreatedTopic {
  topic: TopicInfo | undefined
  partitions: number
  replicationFactor: number
  configs: Record<string, string>
}

/** Checks a creation request and returns the resolved counts and configs. */
export function checkNewTopic(broker: BrokerContext, req: CreateTopicRequest): { partitions: number; replicationFactor: number; configs: Record<string, string>; assignments?: number[][] } {
  const why = validateTopicName(req.name)
  if (why) throw new KafkaError('INVALID_TOPIC_EXCEPTION', why)
  if (req.name.startsWith('__') && !req.allowInternal) {
    throw new KafkaError('INVALID_REQUEST', `Topic names starting with '__' are reserved for internal topics: ${req.name}`)
  }
  const live = broker.metadata.brokers().map((b) => b.nodeId)
  let partitions = req.partitions === undefined || req.partitions === -1 ? (broker.config.get('num.partitions') as number) : req.partitions
  let replicationFactor = req.replicationFactor === undefined || req.replicationFactor === -1 ? (broker.config.get('default.replication.factor') as number) : req.replicationFactor
  const assignments = req.assignments && req.assignments.length > 0 ? req.assignments : undefined
  if (assignments) {
    if (req.partitions !== undefined && req.partitions !== -1) throw new KafkaError('INVALID_REQUEST', 'Both numPartitions and replica assignments were given; send one of them.')
    partitions = assignments.length
    replicationFactor = assignments[0]!.length
    for (const [i, replicas] of assignments.entries()) {
      if (replicas.length !== replicationFactor) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Partition ${i} has ${replicas.length} replicas; all partitions need ${replicationFactor}.`)
      if (new Set(replicas).size !== replicas.length) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Partition ${i} lists a broker twice.`)
      const unknown = replicas.find((r) => !live.includes(r))
      if (unknown !== undefined) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Partition ${i} is assigned to broker ${unknown}, which is not a live broker.`)
    }
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

/** Creates a topic (metadata and logs) after checkNewTopic; with validateOnly, only checks. */
export async function createTopic(broker: BrokerContext, req: CreateTopicRequest): Promise<CreatedTopic> {
  const checked = checkNewTopic(broker, req)
  if (broker.metadata.topic(req.name)) throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${req.name}' already exists.`)
  if (req.validateOnly) return { topic: undefined, ...checked }
  const topic = await broker.metadata.createTopic({ name: req.name, ...checked })
  await broker.replicas.ensureLogs(topic)
  broker.logger.info('topic created', { topic: topic.name, partitions: checked.partitions, topicId: topic.topicId })
  return { topic, ...checked }
}
