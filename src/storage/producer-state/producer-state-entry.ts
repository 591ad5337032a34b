/**
 * What a partition remembers of one producer (Kafka's ProducerStateEntry): its epoch, the
 * sequence ranges and offsets of its last five batches (the most a producer has in flight, so
 * any retry of one of them is recognised), the epoch of the last transaction coordinator that
 * wrote a marker for it, and where its open transaction starts.
 */

/** Kafka's RecordBatch.NO_PRODUCER_EPOCH / NO_SEQUENCE. */
export const NO_PRODUCER_EPOCH = -1
export const NO_SEQUENCE = -1
/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN: max.in.flight.requests.per.connection for idempotence. */
export const NUM_BATCHES_TO_RETAIN = 5

const INT32_MAX = 2147483647

/** One batch a producer appended (Kafka's BatchMetadata). */
export interface BatchMetadata {
  lastSeq: number
  lastOffset: number
  /** lastOffset - firstOffset, which is also lastSeq - firstSeq for a producer's batch. */
  offsetDelta: number
  /** The batch's max timestamp. */
  timestamp: number
}

export function firstSeqOf(b: BatchMetadata): number {
  return decrementSequence(b.lastSeq, b.offsetDelta)
}

export function firstOffsetOf(b: BatchMetadata): number {
  return b.lastOffset - b.offsetDelta
}

/** Sequences wrap from Integer.MAX_VALUE to 0 (Kafka's DefaultRecordBatch.incrementSequence). */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1
  return sequence + increment
}

export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1
  return sequence - decrement
}

/** Whether `next` directly follows `last` (wrapping at Integer.MAX_VALUE). */
export function inSequence(last: number, next: number): boolean {
  return next === last + 1 || (next === 0 && last === INT32_MAX)
}

export interface ProducerStateEntryInit {
  producerId: bigint
  producerEpoch: number
  coordinatorEpoch: number
  lastTimestamp: number
  /** First offset of the producer's open transaction in this partition; -1 when none. */
  currentTxnFirstOffset: number
  batches?: BatchMetadata[]
}

export class ProducerStateEntry {
  readonly producerId: bigint
  producerEpoch: number
  coordinatorEpoch: number
  lastTimestamp: number
  currentTxnFirstOffset: number
  /** Oldest first; at most NUM_BATCHES_TO_RETAIN. */
  readonly batches: BatchMetadata[]

  constructor(init: ProducerStateEntryInit) {
    this.producerId = init.producerId
    this.producerEpoch = init.producerEpoch
    this.coordinatorEpoch = init.coordinatorEpoch
    this.lastTimestamp = init.lastTimestamp
    this.currentTxnFirstOffset = init.currentTxnFirstOffset
    this.batches = init.batches ? [...init.batches] : []
  }

  /** A producer the partition has never seen: no epoch, no batches. */
  static empty(producerId: bigint): ProducerStateEntry {
    return new ProducerStateEntry({ producerId, producerEpoch: NO_PRODUCER_EPOCH, coordinatorEpoch: -1, lastTimestamp: -1, currentTxnFirstOffset: -1 })
  }

  clone(): ProducerStateEntry {
    return new ProducerStateEntry(this)
  }

  get isEmpty(): boolean {
    return this.batches.length === 0
  }
  get lastSeq(): number {
    return this.batches.at(-1)?.lastSeq ?? NO_SEQUENCE
  }
  get firstSeq(): number {
    const first = this.batches[0]
    return first ? firstSeqOf(first) : NO_SEQUENCE
  }
  /** Offset of the last data batch's last record; -1 when none is remembered. */
  get lastDataOffset(): number {
    return this.batches.at(-1)?.lastOffset ?? -1
  }
  get lastOffsetDelta(): number {
    return this.batches.at(-1)?.offsetDelta ?? 0
  }

  /** A new epoch forgets the old epoch's batches: their sequences restart at 0. */
  maybeUpdateProducerEpoch(epoch: number): boolean {
    if (this.producerEpoch === epoch) return false
    this.batches.length = 0
    this.producerEpoch = epoch
    return true
  }

  addBatch(epoch: number, meta: BatchMetadata): void {
    this.maybeUpdateProducerEpoch(epoch)
    this.batches.push(meta)
    if (this.batches.length > NUM_BATCHES_TO_RETAIN) this.batches.shift()
    this.lastTimestamp = meta.timestamp
  }

  /** The remembered batch with exactly this epoch and sequence range: a retry of it. */
  findDuplicateBatch(epoch: number, firstSeq: number, lastSeq: number): BatchMetadata | undefined {
    if (epoch !== this.producerEpoch) return undefined
    return this.batches.find((b) => b.lastSeq === lastSeq && firstSeqOf(b) === firstSeq)
  }
}
