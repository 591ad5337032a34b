/**
 * What a coordinator needs of its internal topic (`__consumer_offsets` for groups, later
 * `__transaction_state`), and nothing more: Kafka's PartitionWriter and CoordinatorLoader cut
 * down to one interface the coordinator owns. The broker implements it on its replica manager
 * (coordinator-partitions.ts, beside the handlers); a unit test may implement it in memory.
 *
 * It speaks offsets, bytes and KafkaError: a coordinator never sees a partition log, a storage
 * error or broker configuration. Errors carry the code a partition operation answers
 * (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, KAFKA_STORAGE_ERROR, MESSAGE_TOO_LARGE,
 * ...); the coordinator maps them to what its own APIs answer.
 */

/** How an internal topic is created: Kafka's settings for it come from the coordinator's config. */
export interface InternalTopicSettings {
  partitions: number
  /** The wanted replication factor; the broker may lower it to the brokers it has. */
  replicationFactor: number
  configs: Record<string, string>
}

export interface InternalTopic {
  readonly name: string
  /** The topic's partition count, or undefined while it does not exist. */
  partitionCount(): number | undefined
  /**
   * Creates the topic unless it exists (a concurrent creation is not an error) and resolves with
   * its partition count once its partitions can be written. Leadership of the new partitions is
   * announced to the coordinator (onElection) before this resolves.
   */
  create(settings: InternalTopicSettings): Promise<number>
  /**
   * Appends one record batch (v2, as encoded by the coordinator) to `partition` as its leader.
   * Resolves once written, and durable when the topic's flush policy asks for it, with the
   * offsets the batch was given. Appends to one partition land in call order.
   */
  append(partition: number, batch: Buffer): Promise<{ firstOffset: number; lastOffset: number }>
  /**
   * Record batches of `partition` from the one holding `fromOffset` up to `toOffset`
   * (exclusive): about `maxBytes` of them, but at least one whole batch when any is there.
   */
  read(partition: number, range: { fromOffset: number; toOffset: number; maxBytes: number }): Promise<Buffer>
  /** Where the partition's log starts and ends (the next offset to be written). */
  offsets(partition: number): Promise<{ logStartOffset: number; logEndOffset: number }>
}
