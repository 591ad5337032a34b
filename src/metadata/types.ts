/** Cluster metadata as the broker sees it: domain types, not wire types. */
export interface BrokerInfo {
  nodeId: number
  /** The inter-broker listener's address (inter.broker.listener.name): what replica fetchers use. */
  host: string
  port: number
  rack: string | null
  /** Every listener's advertised address, by listener name; absent from brokers registered before listeners had names. */
  endpoints?: BrokerEndpoint[]
}

export interface BrokerEndpoint {
  /** Listener name, upper case. */
  listener: string
  host: string
  port: number
}

/**
 * The address of `b` on `listener`, as Kafka answers Metadata with the endpoints of the
 * listener the request came in on; undefined when `b` has no such listener (Kafka leaves such
 * brokers out). A broker without endpoints is reached at its one address.
 */
export function brokerAddress(b: BrokerInfo, listener: string): { host: string; port: number } | undefined {
  if (!b.endpoints) return { host: b.host, port: b.port }
  const e = b.endpoints.find((x) => x.listener === listener)
  return e ? { host: e.host, port: e.port } : undefined
}

/**
 * The state of one partition, as stored and changed only by compare-and-swap
 * (MetadataStore.alterPartition): who leads it at which leader epoch, which replicas are in
 * sync, and the partition epoch, the version every change bumps (Kafka's KRaft
 * PartitionRegistration).
 */
export interface PartitionInfo {
  partition: number
  /** The leader's broker id; -1 when the partition has none. */
  leader: number
  /** Bumped whenever the leader changes; clients and followers are fenced by it (KIP-320). */
  leaderEpoch: number
  /** Bumped by every change of this state (leader, ISR, replicas); what alterPartition compares. */
  partitionEpoch: number
  replicas: number[]
  isr: number[]
  /** Replicas being added or removed by a reassignment (empty when none is in progress). */
  addingReplicas: number[]
  removingReplicas: number[]
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
