/**
 * The metadata store: the read side every handler uses (MetadataView) plus the changes admin
 * APIs make. The single-node store (local.ts) keeps it in a file; a cluster store (etcd) will
 * implement the same interface. Mutations resolve once the change is durable, and throw
 * KafkaError with the code the admin API answers with.
 */
import type { MetadataView, TopicInfo } from './types.js'

export interface NewTopic {
  name: string
  partitions: number
  replicationFactor: number
  /** Topic-level overrides (already validated by the caller). */
  configs: Record<string, string>
  /** Replica lists per partition (manual, or as placed by topic-admin for the logs it made); default: this broker. */
  assignments?: number[][]
  /** Keep this id (used when adopting logs found on disk); default: a new random id. */
  topicId?: string
}

export type MetadataChange =
  | { type: 'topicCreated'; topic: TopicInfo }
  | { type: 'topicDeleted'; topic: TopicInfo }
  | { type: 'partitionsCreated'; topic: TopicInfo; from: number }
  | { type: 'topicConfigChanged'; topic: TopicInfo }
  | { type: 'brokerConfigChanged'; nodeId: number | null }

export interface MetadataStore extends MetadataView {
  /** False when open() found no stored state (a fresh broker, or data from before the store). */
  readonly existed: boolean
  /** TOPIC_ALREADY_EXISTS when the name (or a `.`/`_` collision of it) is taken. */
  createTopic(spec: NewTopic): Promise<TopicInfo>
  /** UNKNOWN_TOPIC_OR_PARTITION when missing. */
  deleteTopic(name: string): Promise<TopicInfo>
  /** Grows the topic to `total` partitions; INVALID_PARTITIONS when not larger. */
  createPartitions(name: string, total: number, assignments?: number[][]): Promise<TopicInfo>
  /** Replaces the topic's overrides with `configs`. */
  setTopicConfigs(name: string, configs: Record<string, string>): Promise<TopicInfo>
  /**
   * Dynamic broker config overrides: for one broker (nodeId) or the cluster-wide default
   * (null), as set by (Incremental)AlterConfigs on a BROKER resource.
   */
  brokerConfigs(nodeId: number | null): Readonly<Record<string, string>>
  setBrokerConfigs(nodeId: number | null, configs: Record<string, string>): Promise<void>
  /** Called after each durable change, in order. Returns an unsubscribe function. */
  subscribe(listener: (change: MetadataChange) => void): () => void
  close(): Promise<void>
}
