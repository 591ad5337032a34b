/** Public types of the consumer. */
import type { TopicPartition } from '../base/types.js'

export type { TopicPartition } from '../base/types.js'

export interface ConsumerRecordHeader {
  key: string
  value: Buffer | null
}

export type TimestampTypeName = 'CreateTime' | 'LogAppendTime'

/**
 * One record as the application receives it. Keys, values and header values are views into the
 * fetch response's buffer (no copy): keep a reference only as long as needed, or copy.
 */
export interface ConsumerRecord {
  topic: string
  partition: number
  offset: bigint
  /** Milliseconds since the epoch; -1 for v0 messages that carry none. */
  timestamp: number
  timestampType: TimestampTypeName
  key: Buffer | null
  value: Buffer | null
  /** In wire order; repeated keys are kept. Shared and frozen when empty. */
  headers: readonly ConsumerRecordHeader[]
  /** The partition leader epoch the record was written in; null when the broker does not say. */
  leaderEpoch: number | null
}

/** Records of one partition handed out together by `batches()`. */
export interface ConsumerBatch {
  topic: string
  partition: number
  records: ConsumerRecord[]
  /** The partition's high watermark when the records were fetched (lag = highWatermark - next offset). */
  highWatermark: bigint
  /** Last stable offset (read_committed reads stop there); -1 when the broker does not say. */
  lastStableOffset: bigint
  /** First offset still in the log; -1 when the broker does not say. */
  logStartOffset: bigint
}

/** An offset to commit (the offset of the next record to read, as Kafka commits). */
export interface CommitOffset extends TopicPartition {
  offset: bigint
  /** Free-form string stored with the offset; default null. */
  metadata?: string | null
  /** Leader epoch of the last record consumed, when known (KIP-320); default none. */
  leaderEpoch?: number | null
}

/** A committed offset as read back; offset null when the group has none for the partition. */
export interface OffsetAndMetadata extends TopicPartition {
  offset: bigint | null
  metadata: string | null
  leaderEpoch: number | null
}

/**
 * ConsumerRebalanceListener. Every callback is awaited inside the rebalance, which runs inside a
 * `poll` or the iterator's `next()`: no record of a revoked partition is handed out after
 * `onRevoked` starts, and committing in `onRevoked` is the way to avoid duplicates with manual
 * commits. A callback that throws is logged and the rebalance goes on (as in Java).
 */
export interface RebalanceListener {
  /** Partitions given to this member (eager: the whole assignment; cooperative: the new ones). */
  onAssigned?(partitions: TopicPartition[]): void | Promise<void>
  /** Partitions taken away while this member is still in the group; offsets can still be committed. */
  onRevoked?(partitions: TopicPartition[]): void | Promise<void>
  /**
   * Partitions lost because the member was removed from the group (session timeout, poll
   * interval exceeded, fenced generation): another member may own them already, so commits for
   * them would fail. Defaults to `onRevoked` when absent, as Java's listener does.
   */
  onLost?(partitions: TopicPartition[]): void | Promise<void>
}

export interface PollOptions {
  /** Longest wait for records (default: until records arrive). An empty array on timeout. */
  timeoutMs?: number
  signal?: AbortSignal
}

export interface IterateOptions {
  /** Ends the iteration (the pending `next()` rejects with the signal's reason). */
  signal?: AbortSignal
}

/** What a transactional producer needs to commit offsets for this consumer's group (KIP-447). */
export interface ConsumerGroupMetadata {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
}
