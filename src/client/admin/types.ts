/**
 * What the admin client takes and gives back: plain objects with Kafka's field meanings in
 * camelCase. Offsets are bigint (int64 on the wire); a value the broker did not report (an old
 * protocol version, no leader) is null rather than a -1 sentinel.
 */
import type { TopicPartition } from '../base/types.js'

// ---- topics ------------------------------------------------------------------------------------

export interface NewTopic {
  topic: string
  /** Default: the broker's num.partitions. Leave out when giving `assignments`. */
  numPartitions?: number
  /** Default: the broker's default.replication.factor. Leave out when giving `assignments`. */
  replicationFactor?: number
  configs?: Record<string, string>
  /** Manual placement: `assignments[p]` is partition p's replica broker ids, leader first. */
  assignments?: number[][]
}

export interface CreatedTopic {
  topic: string
  /** null before CreateTopics v7 and after validateOnly. */
  topicId: string | null
  /** null before CreateTopics v5. */
  numPartitions: number | null
  replicationFactor: number | null
  /** Effective topic configs (CreateTopics v5+), else null. */
  configs: Record<string, string | null> | null
}

export interface PartitionDescription {
  partition: number
  /** null when the partition has no leader right now. */
  leader: number | null
  /** null before Metadata v7. */
  leaderEpoch: number | null
  replicas: number[]
  isr: number[]
  offlineReplicas: number[]
}

export interface TopicDescription {
  name: string
  /** null before Metadata v10. */
  topicId: string | null
  isInternal: boolean
  partitions: PartitionDescription[]
}

export interface NewPartitions {
  topic: string
  /** The new total partition count. */
  count: number
  /** Replica broker ids of each new partition, in order, leader first. */
  assignments?: number[][]
}

// ---- configs -----------------------------------------------------------------------------------

export type ConfigResourceType = 'topic' | 'broker' | 'broker-logger'

export interface ConfigResource {
  type: ConfigResourceType
  /** Topic name, or broker id as a string ("" = the cluster-wide broker default). */
  name: string
  /** Only these keys (default: all). */
  keys?: string[]
}

/** Kafka's ConfigSource names, as kafka-configs.sh and the Java client print them. */
export type ConfigSource =
  | 'UNKNOWN'
  | 'DYNAMIC_TOPIC_CONFIG'
  | 'DYNAMIC_BROKER_CONFIG'
  | 'DYNAMIC_DEFAULT_BROKER_CONFIG'
  | 'STATIC_BROKER_CONFIG'
  | 'DEFAULT_CONFIG'
  | 'DYNAMIC_BROKER_LOGGER_CONFIG'
  | 'CLIENT_METRICS_CONFIG'
  | 'GROUP_CONFIG'

export type ConfigType = 'UNKNOWN' | 'BOOLEAN' | 'STRING' | 'INT' | 'SHORT' | 'LONG' | 'DOUBLE' | 'LIST' | 'CLASS' | 'PASSWORD'

export interface ConfigSynonym {
  name: string
  value: string | null
  source: ConfigSource
}

export interface ConfigEntry {
  name: string
  /** null for sensitive values and unset ones. */
  value: string | null
  /** 'UNKNOWN' on DescribeConfigs v0, which has no source. */
  source: ConfigSource
  isReadOnly: boolean
  isSensitive: boolean
  isDefault: boolean
  /** Where else the value could come from, most specific first (only with includeSynonyms). */
  synonyms: ConfigSynonym[]
  /** null before DescribeConfigs v3. */
  type: ConfigType | null
  /** Only with includeDocumentation (v3+). */
  documentation: string | null
}

export interface ResourceConfig {
  type: ConfigResourceType
  name: string
  entries: ConfigEntry[]
}

export interface ConfigOp {
  name: string
  /** set / delete (back to the inherited value) / append and subtract (list configs). */
  op: 'set' | 'delete' | 'append' | 'subtract'
  /** Required except for delete. */
  value?: string
}

export interface ConfigAlteration {
  type: ConfigResourceType
  name: string
  ops: ConfigOp[]
}

// ---- groups ------------------------------------------------------------------------------------

export interface GroupListing {
  groupId: string
  /** "consumer" for consumer groups, "" for groups that only store offsets. */
  protocolType: string
  /** Stable, Empty, ... (ListGroups v4+), else null. */
  state: string | null
  /** classic, consumer, share (ListGroups v5+), else null. */
  type: string | null
  /** The broker that coordinates the group. */
  coordinator: number
}

export interface GroupMember {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  /** Decoded from the consumer protocol; empty for other protocol types or outside Stable. */
  assignment: TopicPartition[]
  subscription: string[]
}

export interface GroupDescription {
  groupId: string
  /** Kafka's state names; an unknown group is 'Dead'. */
  state: string
  protocolType: string
  /** The chosen assignor for consumer groups ("range", ...). */
  protocol: string
  members: GroupMember[]
  coordinator: number
}

export interface CommittedOffset {
  topic: string
  partition: number
  offset: bigint
  /** null when unknown (OffsetFetch before v5, or not committed with one). */
  leaderEpoch: number | null
  metadata: string | null
}

export interface OffsetToCommit {
  topic: string
  partition: number
  offset: bigint | number
  metadata?: string | null
  leaderEpoch?: number
}

export type ResetTarget = 'earliest' | 'latest' | { offset: bigint | number } | { timestamp: number } | { shiftBy: number }

export interface ResetOffsetsRequest {
  topic?: string
  topics?: string[]
  /** Only these partitions (with `topic`). */
  partitions?: number[]
  to: ResetTarget
  /** Plan only: compute and return the offsets, commit nothing. */
  dryRun?: boolean
}

export interface PlannedOffset {
  topic: string
  partition: number
  /** The committed offset before the reset, or null. */
  previous: bigint | null
  offset: bigint
}

export interface PartitionLag {
  topic: string
  partition: number
  committed: bigint | null
  logEndOffset: bigint
  /** logEndOffset - committed, or null without a committed offset. */
  lag: bigint | null
  /** The member the partition is assigned to, or null. */
  memberId: string | null
}

// ---- offsets and records -------------------------------------------------------------------------

export type OffsetSpec = 'earliest' | 'latest' | 'max-timestamp' | number

export interface OffsetQuery {
  topic: string
  partition: number
  /** A number is a timestamp (ms): the first offset whose record timestamp is >= it. */
  at: OffsetSpec
}

export interface ListedOffset {
  topic: string
  partition: number
  /** -1 when no record matches a timestamp query (Kafka's answer). */
  offset: bigint
  /** The matched record's timestamp for timestamp queries, else null (or -1 as brokers send it). */
  timestamp: bigint | null
  leaderEpoch: number | null
}

export interface RecordsToDelete {
  topic: string
  partition: number
  /** Delete everything before this offset; -1 = up to the high watermark. */
  offset: bigint | number
}

export interface DeletedRecords {
  topic: string
  partition: number
  lowWatermark: bigint
}

// ---- cluster -----------------------------------------------------------------------------------

export interface BrokerDescription {
  nodeId: number
  host: string
  port: number
  rack: string | null
}

export interface ClusterDescription {
  clusterId: string | null
  /** null when the cluster reports none, or one that is not among `brokers`. */
  controllerId: number | null
  brokers: BrokerDescription[]
}

export interface LogDirPartition {
  topic: string
  partition: number
  size: bigint
  offsetLag: bigint
  isFuture: boolean
}

export interface LogDirDescription {
  path: string
  /** The dir's own state (KAFKA_STORAGE_ERROR for an offline dir), not a failure of the call. */
  errorName: string | null
  /** DescribeLogDirs v4+, else null. */
  totalBytes: bigint | null
  usableBytes: bigint | null
  partitions: LogDirPartition[]
}

export interface BrokerLogDirs {
  broker: number
  logDirs: LogDirDescription[]
}

/** A reassignment to ask for: the partition's new replica list, or null to cancel the one in progress. */
export interface ReassignmentTarget {
  topic: string
  partition: number
  replicas: number[] | null
}

/** A reassignment in progress (ListPartitionReassignments). */
export interface PartitionReassignment {
  topic: string
  partition: number
  /** Target replicas first, then those being removed. */
  replicas: number[]
  addingReplicas: number[]
  removingReplicas: number[]
}

export type ElectionType = 'preferred' | 'unclean'

/** One partition's election outcome: error null when a leader was elected. */
export interface ElectionResult {
  topic: string
  partition: number
  error: Error | null
}
