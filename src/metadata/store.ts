/**
 * The metadata store: the read side every handler uses (MetadataView) plus the changes admin
 * APIs, the controller and partition leaders make. It is cluster-shaped even on one node:
 * partition state (leader, leader epoch, ISR, partition epoch) is stored, not derived, and
 * changes only by compare-and-swap; brokers register; every change is an event. Where replicas
 * go is not the store's business (metadata/placement.ts). The single-node store (local.ts)
 * keeps it all in a file; the cluster store (etcd) implements the same contract. Mutations
 * resolve once the change is durable, and throw KafkaError with the code the API answers.
 */
import type { BrokerInfo, MetadataView, PartitionInfo, TopicInfo } from './types.js'
import type { AclBinding } from '../security/authorizer/acl.js'

/**
 * The most ACLs one createAcls/deleteAcls call changes: the etcd store makes each call one
 * transaction of one key per ACL, and etcd bounds a transaction at 128 operations.
 */
export const MAX_ACLS_PER_CHANGE = 128
import type { QuotaEntity } from '../broker/quotas/entity.js'
import type { QuotaTable } from '../broker/quotas/resolve.js'
import type { ScramCredential, ScramMechanismName } from '../security/sasl/scram-credential.js'

/** SCRAM credentials by user name, then mechanism. */
export type ScramTable = ReadonlyMap<string, ReadonlyMap<ScramMechanismName, ScramCredential>>

export interface NewTopic {
  name: string
  /** One replica list per partition, leader first (metadata/placement.ts makes them). */
  assignments: number[][]
  /** Topic-level overrides (already validated by the caller). */
  configs: Record<string, string>
  /** Keep this id (used when adopting logs found on disk, or chosen before the logs were made); default: a new random id. */
  topicId?: string
}

/**
 * A change of one partition's state, based on the state at `partitionEpoch`. Fields left out
 * keep their value. Kafka's AlterPartition (an ISR change by the leader) and the controller's
 * leader elections both come down to this.
 */
export interface PartitionChange {
  topic: string
  partition: number
  /** The partition epoch the change was decided on; a different current one is INVALID_UPDATE_VERSION. */
  partitionEpoch: number
  leader?: number
  /** Must grow when the leader changes, and may never go back. */
  leaderEpoch?: number
  isr?: number[]
  /**
   * A new replica list (a reassignment starting, completing or reverting). Leader and ISR are
   * checked against it. Set without adding/removing, those become empty.
   */
  replicas?: number[]
  /** Replicas a reassignment adds (not yet in sync), and those it removes once they are; both within `replicas`. */
  addingReplicas?: number[]
  removingReplicas?: number[]
}

export type MetadataChange =
  | { type: 'topicCreated'; topic: TopicInfo }
  | { type: 'topicDeleted'; topic: TopicInfo }
  | { type: 'partitionsCreated'; topic: TopicInfo; from: number }
  | { type: 'topicConfigChanged'; topic: TopicInfo }
  | { type: 'brokerConfigChanged'; nodeId: number | null }
  /** One entity's client quotas were set or removed. */
  | { type: 'clientQuotasChanged'; entity: QuotaEntity }
  /** One partition's leader, leader epoch, ISR or replicas changed (alterPartition). */
  | { type: 'partitionChanged'; topic: TopicInfo; partition: PartitionInfo; previous: PartitionInfo }
  | { type: 'brokerRegistered'; broker: BrokerInfo }
  | { type: 'brokerUnregistered'; broker: BrokerInfo }
  /** The controller changed (-1: none, while an election is open). The local store never sends it. */
  | { type: 'controllerChanged'; controllerId: number; previous: number }
  /** ACLs were added or removed (by any broker: every authorizer follows these). */
  | { type: 'aclsChanged'; added: AclBinding[]; removed: AclBinding[] }
  /** One user's SCRAM credential for one mechanism was set or deleted. */
  | { type: 'scramCredentialChanged'; user: string; mechanism: ScramMechanismName }

/** Producer ids [firstProducerId, firstProducerId + count) reserved for one broker. */
export interface ProducerIdBlock {
  firstProducerId: bigint
  count: number
}

export interface MetadataStore extends MetadataView {
  /** False when open() found no stored state (a fresh broker, or data from before the store). */
  readonly existed: boolean
  /**
   * Registers a live broker (the cluster store: under a lease, so it disappears with its
   * process). DUPLICATE_BROKER_REGISTRATION when another live broker
   * holds the id. brokers() lists the registered ones.
   */
  registerBroker(broker: BrokerInfo): Promise<void>
  unregisterBroker(nodeId: number): Promise<void>
  /** TOPIC_ALREADY_EXISTS when the name (or a `.`/`_` collision of it) is taken. */
  createTopic(spec: NewTopic): Promise<TopicInfo>
  /** UNKNOWN_TOPIC_OR_PARTITION when missing. */
  deleteTopic(name: string): Promise<TopicInfo>
  /** Adds partitions with these replica lists; INVALID_PARTITIONS when `total` is not larger. */
  createPartitions(name: string, total: number, assignments: number[][]): Promise<TopicInfo>
  /**
   * Compare-and-swap of one partition's state, as Kafka's controller answers AlterPartition:
   * UNKNOWN_TOPIC_OR_PARTITION, INVALID_UPDATE_VERSION when `partitionEpoch` is not the
   * current one (someone changed it first), FENCED_LEADER_EPOCH for a leader epoch that goes
   * back (or stays while the leader changes), INELIGIBLE_REPLICA for a leader or ISR member
   * that is not a replica, INVALID_REQUEST for an ISR without the leader,
   * INVALID_REPLICA_ASSIGNMENT for replica lists that name a broker twice or adding/removing
   * replicas outside the replicas (partition-change.ts). On success the
   * partition epoch is one higher and a `partitionChanged` event follows.
   */
  alterPartition(change: PartitionChange): Promise<PartitionInfo>
  /** Replaces the topic's overrides with `configs`. */
  setTopicConfigs(name: string, configs: Record<string, string>): Promise<TopicInfo>
  /**
   * Dynamic broker config overrides: for one broker (nodeId) or the cluster-wide default
   * (null), as set by (Incremental)AlterConfigs on a BROKER resource.
   */
  brokerConfigs(nodeId: number | null): Readonly<Record<string, string>>
  setBrokerConfigs(nodeId: number | null, configs: Record<string, string>): Promise<void>
  /** Client quotas (user / client-id entities) by their entityKey (broker/quotas/entity.ts). */
  clientQuotas(): QuotaTable
  /**
   * Sets (a number) or removes (null) quota keys of one entity, as one change: an entity left
   * with no key is removed. Keys and values are validated by the caller.
   */
  alterClientQuotas(entity: QuotaEntity, changes: Readonly<Record<string, number | null>>): Promise<void>
  /**
   * Reserves `count` producer ids no one else will ever get, durably: the block is recorded
   * before it is returned, so a restart (or another broker) continues after it. Kafka's
   * controller hands out such blocks (AllocateProducerIds); the cluster store does it by
   * compare-and-swap of the next free id. KAFKA_STORAGE_ERROR when it cannot be recorded.
   */
  allocateProducerIds(count: number): Promise<ProducerIdBlock>
  /** Every ACL, as CreateAcls left them (Kafka keeps them in the metadata log). */
  acls(): readonly AclBinding[]
  /**
   * Adds ACLs, all or none; one that exists already stays as it is (as Kafka). At most
   * MAX_ACLS_PER_CHANGE (INVALID_REQUEST beyond). An `aclsChanged` event follows.
   */
  createAcls(bindings: readonly AclBinding[]): Promise<void>
  /** Removes those of `bindings` that exist, all at once (at most MAX_ACLS_PER_CHANGE); resolves with the ones removed. */
  deleteAcls(bindings: readonly AclBinding[]): Promise<AclBinding[]>
  /** Every SCRAM credential (salt, StoredKey, ServerKey, iterations: never a password). */
  scramCredentials(): ScramTable
  /** One user's credential for one mechanism, as the next login sees it. */
  scramCredential(user: string, mechanism: ScramMechanismName): ScramCredential | undefined
  /**
   * Sets (a credential) or deletes (null) one user's credentials, all or none: deleting one
   * that does not exist is RESOURCE_NOT_FOUND and changes nothing. The caller validates names
   * and iterations. A `scramCredentialChanged` event follows for each mechanism.
   */
  alterScramCredentials(user: string, changes: ReadonlyMap<ScramMechanismName, ScramCredential | null>): Promise<void>
  /** Called after each durable change, in order. Returns an unsubscribe function. */
  subscribe(listener: (change: MetadataChange) => void): () => void
  close(): Promise<void>
}
