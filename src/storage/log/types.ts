/** The domain types a broker exchanges with a partition log. Offsets and timestamps are numbers (exact below 2^53). */
import type { SegmentFile } from './segment-file.js'

export interface AppendResult {
  /** Offset of the first record appended; -1 when `records` held no batch. */
  firstOffset: number
  lastOffset: number
  /** The broker time stamped on the batches under LogAppendTime; -1 under CreateTime. */
  logAppendTime: number
  maxTimestamp: number
  /** Base offset of the batch holding maxTimestamp. */
  offsetOfMaxTimestamp: number
  logStartOffset: number
  logEndOffset: number
  batchCount: number
  recordCount: number
  bytes: number
  /** What validation corrected in a producer's batches (for a debug log); usually empty. */
  corrections: string[]
  /** The batch was a producer's retry of one already in the log: nothing was written, the offsets are the original's. */
  duplicate?: boolean
}

export interface ReadOptions {
  /** Read batches holding offsets >= this. A batch that starts before it is returned whole. */
  fromOffset: number
  /** Byte budget; the last range may end inside a batch, which clients discard (Kafka does the same). */
  maxBytes: number
  /** Exclusive bound: no batch holding an offset >= maxOffset is returned. Default: log end offset. Consumers pass the high watermark. */
  maxOffset?: number
  /** Return the first batch even if it is larger than maxBytes (default true, as for fetch v3+). */
  minOneBatch?: boolean
}

/** Bytes of one segment file to send as they are; `file` is an opaque handle for readRange. */
export interface FileRange {
  file: SegmentFile
  position: number
  length: number
  /** Base offset of the first batch in the range. */
  firstOffset: number
}

export interface LogReadResult {
  /** Contiguous in the log: later ranges continue where the earlier ones end. Empty at the end of the log. */
  ranges: FileRange[]
  bytes: number
  logStartOffset: number
  logEndOffset: number
  highWatermark: number
}

export type OffsetQuery =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  /** First offset whose timestamp is >= timestamp. */
  | { kind: 'timestamp'; timestamp: number }
  | { kind: 'maxTimestamp' }

export interface OffsetAndTimestamp {
  offset: number
  /** -1 for earliest/latest. */
  timestamp: number
  /** Leader epoch of the batch (or the epoch in effect at the offset); -1 if unknown. */
  leaderEpoch: number
}

/**
 * Lists the (offset, timestamp) of each record of one batch (given whole, as stored). Storage
 * does not decode records; a broker passes a decoder to make timestamp lookups exact within
 * a batch. Without one, lookups answer at batch granularity (exact under LogAppendTime).
 */
export type RecordLocator = (batch: Buffer) => Promise<ReadonlyArray<{ offset: number; timestamp: number }>> | ReadonlyArray<{ offset: number; timestamp: number }>

export type LogEvent =
  | { type: 'append'; firstOffset: number; lastOffset: number; logEndOffset: number }
  | { type: 'highWatermark'; highWatermark: number }
  | { type: 'truncate'; logEndOffset: number }
  | { type: 'logStartOffset'; logStartOffset: number }

export type LogListener = (event: LogEvent) => void
