/**
 * The broker's side of the group coordinator: its internal topic (the coordinator's
 * InternalTopic interface, on the replica manager and topic creation), its settings (from
 * BrokerConfig), and who leads which `__consumer_offsets` partition (from metadata). The
 * coordinator itself never imports the broker; this file is the one place that knows both.
 *
 * Leadership comes from the replica manager: it tells when this broker becomes leader of a
 * `__consumer_offsets` partition (onElection, with the leader epoch) and when it stops
 * (onResignation), as its Partition objects follow metadata. At start-up the partitions led
 * already are elected and loaded before the broker listens. A created topic's partitions are
 * elected as it appears (the metadata event fires before the creation resolves, so the first
 * JoinGroup after the FindCoordinator that created the topic finds its partition loaded).
 */
import type { GroupCoordinatorConfig } from '../coordinator/group/coordinator.js'
import { GroupCoordinator } from '../coordinator/group/coordinator.js'
import { GROUP_METADATA_TOPIC } from '../coordinator/group/group-log.js'
import type { InternalTopic, InternalTopicSettings } from '../coordinator/internal-topic.js'
import { KafkaError } from '../protocol/errors.js'
import type { BrokerConfig } from './config.js'
import type { BrokerContext } from './handler.js'
import { errorCodeOf } from './error-codes.js'
import { createTopic } from './topic-admin.js'
import { TRANSACTION_STATE_TOPIC, TransactionCoordinator, type TxnCoordinatorConfig } from '../coordinator/txn/coordinator.js'
import type { Time } from '../util/time.js'
import type { ProducerIdManager } from './producer-ids.js'
import { TxnMarkerChannel } from './txn-marker-channel.js'
import type { BrokerPeers } from './broker-peers.js'
import type { FaultHooks } from '../util/faults.js'

/** What the coordinator's side of the broker uses (a BrokerContext will do, or these parts before one exists). */
export type CoordinatorBroker = Pick<BrokerContext, 'nodeId' | 'config' | 'metadata' | 'replicas' | 'logger'>

/** A coordinator told about leadership of its internal topic's partitions. */
interface LedCoordinator {
  onElection(partition: number, leaderEpoch: number): Promise<void>
  onResignation(partition: number, leaderEpoch?: number): Promise<void>
}

/** Anything told about leadership: the group coordinator now, the transaction coordinator later. */
export interface PartitionLeadershipListener {
  onElection(partition: number, leaderEpoch: number): Promise<void>
  onResignation(partition: number, leaderEpoch?: number): Promise<void>
}

/** Storage and topic errors as the KafkaErrors a partition operation answers. */
function asKafkaError(err: unknown): KafkaError {
  return err instanceof KafkaError ? err : new KafkaError(errorCodeOf(err), (err as Error)?.message)
}

async function attempt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw asKafkaError(err)
  }
}

/** How long a coordinator's write may wait for the in-sync replicas (Kafka's offsets.commit.timeout.ms default). */
const WRITE_TIMEOUT_MS = 5000

/** `name` as a coordinator's internal topic, on this broker's partitions. */
export function internalTopic(broker: CoordinatorBroker, name: string): InternalTopic {
  const log = async (partition: number) => (await broker.replicas.leaderLog(name, partition)).log
  return {
    name,
    partitionCount: () => broker.metadata.topic(name)?.partitions.length,
    create: (settings: InternalTopicSettings) =>
      attempt(async () => {
        const existing = broker.metadata.topic(name)
        if (existing) return existing.partitions.length
        // The replication factor is capped at the live brokers, so one broker can serve
        // coordinators; min.insync.replicas (transaction.state.log.min.isr) at that factor.
        const live = broker.metadata.brokers().length
        const replicationFactor = Math.max(1, Math.min(settings.replicationFactor, live))
        const configs = { ...settings.configs }
        const minIsr = configs['min.insync.replicas']
        if (minIsr !== undefined && Number(minIsr) > replicationFactor) configs['min.insync.replicas'] = String(replicationFactor)
        const created = await createTopic(broker, {
          name,
          partitions: settings.partitions,
          replicationFactor,
          configs,
          allowInternal: true,
        })
        return created.topic!.partitions.length
      }),
    append: (partition, batch) =>
      attempt(async () => {
        // As Kafka's coordinators write: acks=-1, the broker's own records, internal topics allowed.
        const [r] = await broker.replicas.appendRecords({
          entries: [{ topic: name, partition, records: batch }],
          acks: -1,
          timeoutMs: WRITE_TIMEOUT_MS,
          origin: { kind: 'coordinator' },
          internalTopicsAllowed: true,
        })
        if (r!.errorCode !== 0) throw new KafkaError(r!.errorCode, r!.errorMessage ?? undefined)
        return { firstOffset: r!.baseOffset, lastOffset: r!.lastOffset }
      }),
    read: (partition, range) => attempt(async () => (await log(partition)).readRecords({ fromOffset: range.fromOffset, maxBytes: range.maxBytes, maxOffset: range.toOffset, minOneBatch: true })),
    offsets: (partition) =>
      attempt(async () => {
        const l = await log(partition)
        return { logStartOffset: l.logStartOffset, logEndOffset: l.logEndOffset }
      }),
  }
}

/** The group coordinator's settings, from the broker's (Kafka's names and defaults). */
export function groupCoordinatorConfig(config: BrokerConfig): GroupCoordinatorConfig {
  return {
    minSessionTimeoutMs: config.get('group.min.session.timeout.ms'),
    maxSessionTimeoutMs: config.get('group.max.session.timeout.ms'),
    initialRebalanceDelayMs: config.get('group.initial.rebalance.delay.ms'),
    maxGroupSize: config.get('group.max.size'),
    offsetsTopicPartitions: config.get('offsets.topic.num.partitions'),
    offsetsTopicReplicationFactor: config.get('offsets.topic.replication.factor'),
    offsetsTopicSegmentBytes: config.get('offsets.topic.segment.bytes'),
    offsetMetadataMaxBytes: config.get('offset.metadata.max.bytes'),
    offsetsRetentionMinutes: config.get('offsets.retention.minutes'),
    offsetsRetentionCheckIntervalMs: config.get('offsets.retention.check.interval.ms'),
  }
}

export function createGroupCoordinator(broker: CoordinatorBroker): GroupCoordinator {
  return new GroupCoordinator({ topic: internalTopic(broker, GROUP_METADATA_TOPIC), config: groupCoordinatorConfig(broker.config), logger: broker.logger })
}

/**
 * Keeps the group coordinator told which `__consumer_offsets` partitions this broker leads (from
 * the replica manager's leadership changes), and of deleted topics (whose committed offsets
 * go). Resolves once the partitions led at start-up are loaded. Events after the coordinator
 * closed are ignored by it.
 */
export async function attachGroupCoordinator(broker: CoordinatorBroker, groups: GroupCoordinator): Promise<void> {
  const report = (what: string) => (err: Error) => broker.logger.error(`group coordinator: ${what} failed`, { error: err.message })
  broker.replicas.onLeadershipChange((change) => {
    if (change.topic !== GROUP_METADATA_TOPIC) return
    if (change.role === 'leader') groups.onElection(change.partition, change.leaderEpoch).catch(report('election'))
    // A deleted topic's partitions resign without an epoch: nothing of them may stay loaded.
    else if (change.role === 'none') groups.onResignation(change.partition).catch(report('resignation'))
    else groups.onResignation(change.partition, change.leaderEpoch).catch(report('resignation'))
  })
  broker.metadata.subscribe((change) => {
    if (change.type === 'topicDeleted' && change.topic.name !== GROUP_METADATA_TOPIC) {
      groups.onTopicDeleted(change.topic.name).catch(report('deleting offsets of a deleted topic'))
    }
  })
  const existing = broker.metadata.topic(GROUP_METADATA_TOPIC)
  if (!existing) return
  await Promise.all(
    existing.partitions.map((p) => {
      const hosted = broker.replicas.getPartition(GROUP_METADATA_TOPIC, p.partition)
      return hosted?.role === 'leader' ? groups.onElection(p.partition, hosted.leaderEpoch) : Promise.resolve()
    }),
  )
}

/** The transaction coordinator's settings, from the broker's (Kafka's names and defaults). */
export function txnCoordinatorConfig(config: BrokerConfig): TxnCoordinatorConfig {
  return {
    maxTimeoutMs: config.get('transaction.max.timeout.ms'),
    abortCheckIntervalMs: config.get('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    idExpirationMs: config.get('transactional.id.expiration.ms'),
    topicPartitions: config.get('transaction.state.log.num.partitions'),
    topicReplicationFactor: config.get('transaction.state.log.replication.factor'),
    topicSegmentBytes: config.get('transaction.state.log.segment.bytes'),
    topicMinInsyncReplicas: config.get('transaction.state.log.min.isr'),
  }
}

export function createTxnCoordinator(broker: CoordinatorBroker & { producerIds: ProducerIdManager; groups: GroupCoordinator; faults?: FaultHooks; peers: BrokerPeers }, time?: Time): TransactionCoordinator {
  return new TransactionCoordinator({
    topic: internalTopic(broker, TRANSACTION_STATE_TOPIC),
    config: txnCoordinatorConfig(broker.config),
    markers: new TxnMarkerChannel(broker, broker.peers),
    newProducerId: () => broker.producerIds.generate(),
    logger: broker.logger,
    ...(time ? { time } : {}),
  })
}

/** Keeps a coordinator told which partitions of `topic` this broker leads; resolves once those led at start-up are loaded. */
export async function attachCoordinator(broker: CoordinatorBroker, topic: string, coordinator: LedCoordinator): Promise<void> {
  const report = (what: string) => (err: Error) => broker.logger.error(`${topic} coordinator: ${what} failed`, { error: err.message })
  broker.replicas.onLeadershipChange((change) => {
    if (change.topic !== topic) return
    if (change.role === 'leader') coordinator.onElection(change.partition, change.leaderEpoch).catch(report('election'))
    else if (change.role === 'none') coordinator.onResignation(change.partition).catch(report('resignation'))
    else coordinator.onResignation(change.partition, change.leaderEpoch).catch(report('resignation'))
  })
  const existing = broker.metadata.topic(topic)
  if (!existing) return
  await Promise.all(
    existing.partitions.map((p) => {
      const hosted = broker.replicas.getPartition(topic, p.partition)
      return hosted?.role === 'leader' ? coordinator.onElection(p.partition, hosted.leaderEpoch) : Promise.resolve()
    }),
  )
}
