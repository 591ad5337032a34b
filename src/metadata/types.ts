/** Cluster metadata as the broker sees it: domain types, not wire types. */
export interface BrokerInfo {
  nodeId: number
  host: string
  port: number
  rack: string | null
}

export interface PartitionInfo {
  partition: number
  leader: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
  offlineReplicas: number[]
}

export interface TopicInfo {
  name: string
  /** Kafka's base64url uuid form (22 chars). */
  topicId: string
  internal: boolean
  partitions: PartitionInfo[]
  configs: Record<string, string>
}

/**
 * Read side of cluster metadata. The single-node file-backed store and the etcd cluster store
 * (later issues) both implement it; handlers only read through this.
 */
export interface MetadataView {
  readonly clusterId: string
  controllerId(): number
  brokers(): BrokerInfo[]
  topics(): Iterable<TopicInfo>
  topic(name: string): TopicInfo | undefined
  topicById(id: string): TopicInfo | undefined
}
