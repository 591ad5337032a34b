/** Public types of the producer. */
import type { Headers } from '../base/types.js'

export interface ProducerRecord {
  topic: string
  /** null/undefined: keyless (sticky partitioner). Strings are sent as UTF-8. */
  key?: string | Buffer | null
  /** null is a tombstone on compacted topics. */
  value: string | Buffer | null
  headers?: Headers
  /** Explicit partition; otherwise the partitioner picks one. */
  partition?: number
  /** CreateTime in ms since the epoch; default now. */
  timestamp?: number
}

export interface RecordMetadata {
  topic: string
  partition: number
  /** The record's offset; -1 with acks 0 (the broker does not say). */
  offset: bigint
  /** The CreateTime sent, or the broker's LogAppendTime on topics that use it. */
  timestamp: number
}
