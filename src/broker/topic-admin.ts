/**
 * Topic administration shared by CreateTopics, DeleteTopics, CreatePartitions, Metadata
 * auto-creation, Broker.createTopic and the coordinators: the checks Kafka makes (name, internal
 * topics, partitions, replication factor, configs, bounds), then the logs and the metadata
 * change. Errors are KafkaErrors with the code the admin API answers.
 *
 * Every change to one topic name runs in that name's queue (ReplicaManager.topicChange), from
 * its checks to its last file operation, so racing creates, deletes and auto-creates of a name
 * see each other's outcome (TOPIC_ALREADY_EXISTS, UNKNOWN_TOPIC_OR_PARTITION) instead of each
 * other's half-made logs. A failure leaves nothing behind: a topic's logs are created first and
 * the topic is committed to metadata last, so when either step fails (a full disk) the logs made
 * so far are removed and the topic never existed.
 */
import { KafkaError } from '../protocol/errors.js'
import { randomUuid } from '../protocol/primitives/uuid.js'
import { placeReplicas } from '../metadata/placement.js'
import type { PartitionInfo, TopicInfo } from '../metadata/types.js'
import { isStorageError } from '../storage/index.js'
import type { BrokerContext } from './handler.js'
import { validateTopicConfigs } from './topic-config.js'
import { collisionKey, isInternalTopic, isReservedTopicName, validateTopicName } from '../metadata/topic-name.js'

/**
 * Kafka's bound on the partitions one CreateTopics request may create (the controller's
 * MAX_PARTITIONS_PER_BATCH); Samsa applies it to CreatePartitions too, where Kafka's controller
 * bounds the records of one operation at the same 10,000.
 */
export const MAX_PARTITIONS_PER_REQUEST = 10_000

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

/** What topic administration uses of the broker (coordinators create internal topics before handlers run). */
export type TopicAdminContext = Pick<BrokerContext, 'metadata' | 'config' | 'replicas' | 'logger'>

export interface CreatedTopic {
  topic: TopicInfo | undefined
  partitions: number
  replicationFactor: number
  configs: Record<string, string>
}

/**
 * POLICY_VIOLATION when one CreateTopics request asks for more than MAX_PARTITIONS_PER_REQUEST
 * partitions in all, counted as Kafka counts them (numPartitions, num.partitions for -1, or the
 * number of assignments), before any topic is looked at.
 */
export function checkCreateTopicsBatch(broker: Pick<BrokerContext, 'config'>, topics: ReadonlyArray<{ numPartitions: number; assignments: { length: number } }>): void {
  const defaultPartitions = broker.config.get('num.partitions')
  let total = 0
  for (const t of topics) {
    if (t.assignments.length > 0) total += t.assignments.length
    else if (t.numPartitions === -1) total += defaultPartitions
    else if (t.numPartitions > 0) total += t.numPartitions
  }
  if (total > MAX_PARTITIONS_PER_REQUEST) throw tooManyPartitions(total)
}

/**
 * POLICY_VIOLATION when one CreatePartitions request would add more than
 * MAX_PARTITIONS_PER_REQUEST partitions in all (to the topics that exist).
 */
export function checkCreatePartitionsBatch(broker: Pick<BrokerContext, 'metadata'>, topics: ReadonlyArray<{ name: string; count: number }>): void {
  let total = 0
  for (const t of topics) {
    const current = broker.metadata.topic(t.name)?.partitions.length
    if (current !== undefined && t.count > current) total += t.count - current
  }
  if (total > MAX_PARTITIONS_PER_REQUEST) {
    throw new KafkaError(
      'POLICY_VIOLATION',
      `Unable to perform excessively large batch operation. The request adds ${total} partitions; at most ${MAX_PARTITIONS_PER_REQUEST} may be added in one request: add them in several requests.`,
    )
  }
}

function tooManyPartitions(total: number): KafkaError {
  return new KafkaError(
    'POLICY_VIOLATION',
    `Excessively large number of partitions per request. The request asks for ${total} partitions; at most ${MAX_PARTITIONS_PER_REQUEST} may be created in one request: split it, or create a topic smaller and add partitions in later requests.`,
  )
}

/** Checks a creation request and returns the resolved counts and configs. */
export function checkNewTopic(broker: TopicAdminContext, req: CreateTopicRequest): { partitions: number; replicationFactor: number; configs: Record<string, string>; assignments?: number[][] } {
  const why = validateTopicName(req.name)
  if (why) throw new KafkaError('INVALID_TOPIC_EXCEPTION', why)
  if (isReservedTopicName(req.name) && !req.allowInternal) {
    throw new KafkaError('INVALID_REQUEST', `Creation of internal topic ${req.name} is prohibited: the broker creates it when needed.`)
  }
  const live = broker.metadata.brokers().map((b) => b.nodeId)
  let partitions = req.partitions === undefined || req.partitions === -1 ? broker.config.get('num.partitions') : req.partitions
  let replicationFactor = req.replicationFactor === undefined || req.replicationFactor === -1 ? broker.config.get('default.replication.factor') : req.replicationFactor
  const assignments = req.assignments && req.assignments.length > 0 ? req.assignments : undefined
  if (assignments) {
    if (req.replicationFactor !== undefined && req.replicationFactor !== -1) {
      throw new KafkaError('INVALID_REQUEST', 'A manual partition assignment was specified, but replication factor was not set to -1.')
    }
    if (req.partitions !== undefined && req.partitions !== -1) {
      throw new KafkaError('INVALID_REQUEST', 'A manual partition assignment was specified, but numPartitions was not set to -1.')
    }
    partitions = assignments.length
    if (partitions > MAX_PARTITIONS_PER_REQUEST) throw tooManyPartitions(partitions)
    replicationFactor = assignments[0]!.length
    for (const [i, replicas] of assignments.entries()) checkReplicaAssignment(live, replicas, i, i === 0 ? undefined : replicationFactor)
  }
  if (!Number.isInteger(partitions) || partitions < 1) throw new KafkaError('INVALID_PARTITIONS', `Number of partitions must be larger than 0, got ${partitions}.`)
  // Every caller, not only CreateTopics: Broker.createTopic, auto-creation with a large num.partitions.
  if (partitions > MAX_PARTITIONS_PER_REQUEST) throw tooManyPartitions(partitions)
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    throw new KafkaError('INVALID_REPLICATION_FACTOR', `Replication factor must be larger than 0, got ${replicationFactor}.`)
  }
  if (replicationFactor > live.length) {
    throw new KafkaError('INVALID_REPLICATION_FACTOR', `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${live.length} broker(s) are registered.`)
  }
  const configs = validateTopicConfigs(req.configs ?? {}, (m) => broker.logger.warn(m, { topic: req.name }))
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

/**
 * Creates a topic after checkNewTopic: its logs, then its metadata; with validateOnly, only
 * checks. A failure leaves neither.
 */
export async function createTopic(broker: TopicAdminContext, req: CreateTopicRequest): Promise<CreatedTopic> {
  if (req.validateOnly) {
    const checked = checkCreation(broker, req)
    broker.replicas.checkCapacity(checked.assignments ?? place(broker, checked.partitions, checked.replicationFactor, 0))
    return { topic: undefined, ...checked }
  }
  return broker.replicas.topicChange(req.name, async () => {
    const checked = checkCreation(broker, req)
    const assignments = checked.assignments ?? place(broker, checked.partitions, checked.replicationFactor, 0)
    const topicId = newTopicId(broker)
    const pending: TopicInfo = { name: req.name, topicId, internal: isInternalTopic(req.name), partitions: partitionsOf(assignments, 0), configs: checked.configs }
    try {
      await broker.replicas.createLogs(pending)
    } catch (err) {
      throw storageFailure(err, `Cannot create the logs of topic '${req.name}'`)
    }
    let topic: TopicInfo
    try {
      topic = await broker.metadata.createTopic({ name: req.name, configs: checked.configs, assignments, topicId })
    } catch (err) {
      await removeLogs(broker, pending, 0)
      throw err
    }
    broker.logger.info('topic created', { topic: topic.name, partitions: checked.partitions, topicId: topic.topicId })
    return { topic, ...checked }
  })
}

/** The checks of a creation, in Kafka's order: an existing topic first, then the request, then name collisions. */
function checkCreation(broker: TopicAdminContext, req: CreateTopicRequest): ReturnType<typeof checkNewTopic> {
  if (broker.metadata.topic(req.name)) throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${req.name}' already exists.`)
  const checked = checkNewTopic(broker, req)
  // The store checks collisions when it commits; checking here too spares creating logs in vain.
  const clash = [...broker.metadata.topics()].find((t) => collisionKey(t.name) === collisionKey(req.name))
  if (clash) throw new KafkaError('INVALID_TOPIC_EXCEPTION', `Topic '${req.name}' collides with existing topic '${clash.name}' ('.' and '_' are treated alike).`)
  return checked
}

/** Which topic a deletion means: by name (optionally the id it had when the request was read), or by id. */
export interface TopicToDelete {
  name: string
  /** The id the topic had when the request named it; a topic re-created since is not deleted. */
  topicId?: string
  /** The request named the topic by id: a vanished id answers UNKNOWN_TOPIC_ID. */
  byId?: boolean
}

/**
 * Deletes a topic: its metadata, then its logs (a crash in between leaves logs the next start
 * removes). Internal topics are refused: their coordinators' state lives there.
 */
export async function deleteTopic(broker: TopicAdminContext, which: TopicToDelete): Promise<TopicInfo> {
  const { name } = which
  if (isInternalTopic(name)) {
    throw new KafkaError('INVALID_REQUEST', `Topic ${name} is an internal topic and cannot be deleted: its coordinator keeps its state there (committed offsets, transactions).`)
  }
  return broker.replicas.topicChange(name, async () => {
    const t = broker.metadata.topic(name)
    if (!t || (which.topicId !== undefined && t.topicId !== which.topicId)) {
      if (which.byId) throw new KafkaError('UNKNOWN_TOPIC_ID', `No topic has id ${which.topicId}.`)
      throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`)
    }
    const deleted = await broker.metadata.deleteTopic(name)
    // The deletion is durable: failing to remove a log now must not make it look undone.
    await removeLogs(broker, deleted, 0)
    broker.logger.info('topic deleted', { topic: name, topicId: deleted.topicId })
    return deleted
  })
}

export interface CreatePartitionsRequest {
  name: string
  /** The new total. */
  count: number
  /** One replica list per new partition; null: placed by the broker. */
  assignments: number[][] | null
  validateOnly?: boolean
}

/** Grows a topic to `count` partitions: the new logs, then the metadata; a failure leaves neither. */
export async function createPartitions(broker: TopicAdminContext, req: CreatePartitionsRequest): Promise<void> {
  if (req.validateOnly) {
    checkGrowth(broker, req)
    return
  }
  await broker.replicas.topicChange(req.name, async () => {
    const { topic, added } = checkGrowth(broker, req)
    const from = topic.partitions.length
    const pending: TopicInfo = { ...topic, partitions: [...topic.partitions, ...partitionsOf(added, from)] }
    try {
      await broker.replicas.createLogs(pending, from)
    } catch (err) {
      throw storageFailure(err, `Cannot create the logs of the new partitions of topic '${req.name}'`)
    }
    try {
      await broker.metadata.createPartitions(req.name, req.count, added)
    } catch (err) {
      await removeLogs(broker, pending, from)
      throw err
    }
    broker.logger.info('partitions created', { topic: req.name, from, to: req.count })
  })
}

/** CreatePartitions' checks in Kafka's order; returns the topic and the new partitions' replica lists. */
function checkGrowth(broker: TopicAdminContext, req: CreatePartitionsRequest): { topic: TopicInfo; added: number[][] } {
  const { metadata } = broker
  const topic = metadata.topic(req.name)
  if (!topic) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${req.name}' does not exist.`)
  if (isInternalTopic(req.name)) {
    // Kafka's kafka-topics.sh refuses this for the offsets topic; without ACLs the broker has to.
    throw new KafkaError('INVALID_REQUEST', `The number of partitions of internal topic ${req.name} cannot be changed: its coordinator maps groups and transactions to partitions by their count.`)
  }
  const current = topic.partitions.length
  if (req.count === current) throw new KafkaError('INVALID_PARTITIONS', `Topic already has ${current} partition(s).`)
  if (req.count < current) throw new KafkaError('INVALID_PARTITIONS', `The topic ${req.name} currently has ${current} partition(s); ${req.count} would not be an increase.`)
  const additional = req.count - current
  if (additional > MAX_PARTITIONS_PER_REQUEST) {
    throw new KafkaError('POLICY_VIOLATION', `Unable to perform excessively large batch operation. At most ${MAX_PARTITIONS_PER_REQUEST} partitions may be added at once; asked for ${additional}.`)
  }
  const rf = topic.partitions[0]?.replicas.length ?? 1
  let added: number[][]
  if (req.assignments !== null) {
    if (req.assignments.length !== additional) {
      throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Attempted to add ${additional} additional partition(s), but only ${req.assignments.length} assignment(s) were specified.`)
    }
    const live = metadata.brokers().map((b) => b.nodeId)
    for (const [i, replicas] of req.assignments.entries()) checkReplicaAssignment(live, replicas, current + i, rf)
    added = req.assignments
  } else {
    added = place(broker, additional, rf, current)
  }
  broker.replicas.checkCapacity(added)
  return { topic, added }
}

/**
 * Replica lists for `count` partitions numbered from `first`, placed over the registered
 * brokers and their racks as Kafka places them (metadata/placement.ts).
 */
function place(broker: TopicAdminContext, count: number, replicationFactor: number, first: number): number[][] {
  return placeReplicas({ brokers: broker.metadata.brokers(), partitions: count, replicationFactor, firstPartition: first })
}

/** Partition entries as a new partition's state will be: the first replica leads, all are in sync, epochs 0. */
function partitionsOf(assignments: number[][], first: number): PartitionInfo[] {
  return assignments.map((replicas, i) => ({
    partition: first + i,
    leader: replicas[0] ?? -1,
    leaderEpoch: 0,
    partitionEpoch: 0,
    replicas,
    isr: replicas,
    addingReplicas: [],
    removingReplicas: [],
    offlineReplicas: [],
  }))
}

function newTopicId(broker: TopicAdminContext): string {
  for (;;) {
    const id = randomUuid()
    if (!broker.metadata.topicById(id)) return id
  }
}

/** Removes logs made for a change that did not happen (or of a deleted topic); logs, never throws. */
async function removeLogs(broker: TopicAdminContext, topic: TopicInfo, from: number): Promise<void> {
  try {
    await broker.replicas.deleteLogs(topic, from)
  } catch (err) {
    broker.logger.error('removing logs failed; the next start removes them', { topic: topic.name, topicId: topic.topicId, error: (err as Error).message })
  }
}

/**
 * A file system error while creating logs, as the KAFKA_STORAGE_ERROR the admin APIs answer
 * (Kafka's code for a failed disk operation), saying what to do. Other errors pass unchanged.
 */
function storageFailure(err: unknown, what: string): unknown {
  if (err instanceof KafkaError) return err
  const code = (err as { code?: unknown } | undefined)?.code
  if (typeof code !== 'string') return err
  // Storage's own errors already say what to do; a bare OS error does not.
  const message = (err as Error).message.replace(/\.?$/, '.')
  const advice = isStorageError(err) ? ' Nothing was created.' : ' Nothing was created; free space in log.dirs (or fix the disk) and retry.'
  return new KafkaError('KAFKA_STORAGE_ERROR', `${what}: ${message}${advice}`)
}
