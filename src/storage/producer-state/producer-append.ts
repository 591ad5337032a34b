/**
 * The checks and state changes of one producer's batches in one append (Kafka's
 * ProducerAppendInfo). It starts from what the partition remembers of the producer and works
 * on a copy, so a batch that fails leaves the partition's state untouched; the log commits the
 * copy only once the bytes are written.
 *
 * The checks depend on who appends:
 * - client (Produce): the epoch may not go back (INVALID_PRODUCER_EPOCH); the first sequence
 *   of a new epoch must be 0 and within an epoch each batch must follow the last one
 *   (OUT_OF_ORDER_SEQUENCE_NUMBER). A producer the partition does not know (its state expired
 *   or was never written here) may start at any sequence, as Kafka does since 2.5 (KIP-360),
 *   instead of UNKNOWN_PRODUCER_ID.
 * - coordinator (the broker's own writes, e.g. transactional offset commits): the epoch only.
 * - replication (a follower copying the leader): nothing is refused for epochs; the leader
 *   already decided. Stale epochs are only logged.
 */
import { StorageError } from '../errors.js'
import type { StorageLogger } from '../logger.js'
import { inSequence, NO_PRODUCER_EPOCH, ProducerStateEntry } from './producer-state-entry.js'

export type ProducerOrigin = 'client' | 'coordinator' | 'replication'

/** A transaction whose first batch this append writes. */
export interface StartedTxn {
  producerId: bigint
  firstOffset: number
}

/** A transaction a marker ended: the range of offsets it covered and how it ended. */
export interface CompletedTxn {
  producerId: bigint
  firstOffset: number
  /** Offset of the marker. */
  lastOffset: number
  isAborted: boolean
}

/** The producer fields of a data batch, with the offsets the leader assigned it. */
export interface ProducerDataBatch {
  producerEpoch: number
  baseSequence: number
  lastSequence: number
  maxTimestamp: number
  firstOffset: number
  lastOffset: number
  isTransactional: boolean
}

export interface EndTxnMarkerInput {
  commit: boolean
  coordinatorEpoch: number
  producerEpoch: number
  /** Offset of the marker. */
  offset: number
  timestamp: number
  /**
   * Transaction version of the WriteTxnMarkers request (2: KIP-890, whose markers carry an
   * epoch one above the data's); unknown (replication, recovery) takes the permissive rule.
   */
  transactionVersion?: number
}

export class ProducerAppendInfo {
  readonly producerId: bigint
  readonly origin: ProducerOrigin
  /** The producer's state once this append is written. */
  readonly updated: ProducerStateEntry
  readonly started: StartedTxn[] = []
  private readonly partition: string
  private readonly current: ProducerStateEntry
  private readonly logger: StorageLogger | undefined

  constructor(options: { partition: string; producerId: bigint; current: ProducerStateEntry | undefined; origin: ProducerOrigin; logger?: StorageLogger }) {
    this.partition = options.partition
    this.producerId = options.producerId
    this.origin = options.origin
    this.current = options.current ?? ProducerStateEntry.empty(options.producerId)
    this.updated = this.current.clone()
    this.logger = options.logger
  }

  appendDataBatch(batch: ProducerDataBatch): void {
    this.checkProducerEpoch(batch.producerEpoch, batch.firstOffset, undefined)
    if (this.origin === 'client') this.checkSequence(batch.producerEpoch, batch.baseSequence, batch.firstOffset)
    this.updated.addBatch(batch.producerEpoch, {
      lastSeq: batch.lastSequence,
      lastOffset: batch.lastOffset,
      offsetDelta: batch.lastOffset - batch.firstOffset,
      timestamp: batch.maxTimestamp,
    })
    const open = this.updated.currentTxnFirstOffset >= 0
    if (open && !batch.isTransactional) {
      throw new StorageError('INVALID_TXN_STATE', `Expected a transactional write from producer ${this.producerId} at offset ${batch.firstOffset} in ${this.partition}: it has a transaction open since offset ${this.updated.currentTxnFirstOffset}`)
    }
    if (!open && batch.isTransactional) {
      this.updated.currentTxnFirstOffset = batch.firstOffset
      this.started.push({ producerId: this.producerId, firstOffset: batch.firstOffset })
    }
  }

  /** A commit or abort marker; returns the transaction it ends, if the producer had data in one here. */
  appendEndTxnMarker(marker: EndTxnMarkerInput): CompletedTxn | undefined {
    this.checkProducerEpoch(marker.producerEpoch, marker.offset, marker.transactionVersion)
    if (this.updated.coordinatorEpoch > marker.coordinatorEpoch) {
      const message = `Invalid coordinator epoch for producer ${this.producerId} at offset ${marker.offset} in ${this.partition}: ${marker.coordinatorEpoch} (zombie), ${this.updated.coordinatorEpoch} (current)`
      if (this.origin !== 'replication') throw new StorageError('TRANSACTION_COORDINATOR_FENCED', message)
      this.logger?.info(message)
    }
    const first = this.updated.currentTxnFirstOffset
    const completed = first >= 0 ? { producerId: this.producerId, firstOffset: first, lastOffset: marker.offset, isAborted: !marker.commit } : undefined
    this.updated.maybeUpdateProducerEpoch(marker.producerEpoch)
    this.updated.currentTxnFirstOffset = -1
    this.updated.coordinatorEpoch = marker.coordinatorEpoch
    this.updated.lastTimestamp = marker.timestamp
    return completed
  }

  private checkProducerEpoch(epoch: number, offset: number, transactionVersion: number | undefined): void {
    const current = this.updated.producerEpoch
    const tv2 = transactionVersion !== undefined && transactionVersion >= 2
    if (tv2 ? epoch > current : epoch >= current) return
    // A TV2 marker retried after it was written (its transaction already ended) is harmless (KAFKA-19999).
    if (tv2 && epoch === current && this.updated.currentTxnFirstOffset < 0) return
    const message = `Epoch of producer ${this.producerId} at offset ${offset} in ${this.partition} is ${epoch}, which is ${tv2 ? 'not above' : 'smaller than'} the last seen epoch ${current}`
    if (this.origin === 'replication') {
      this.logger?.warn(message)
      return
    }
    throw new StorageError('INVALID_PRODUCER_EPOCH', message)
  }

  private checkSequence(epoch: number, firstSeq: number, offset: number): void {
    if (epoch !== this.updated.producerEpoch) {
      // A new epoch starts at sequence 0, unless the partition knew no epoch of this producer.
      if (firstSeq !== 0 && this.updated.producerEpoch !== NO_PRODUCER_EPOCH) {
        throw new StorageError(
          'OUT_OF_ORDER_SEQUENCE_NUMBER',
          `Invalid sequence number for new epoch of producer ${this.producerId} at offset ${offset} in ${this.partition}: ${epoch} (request epoch), ${firstSeq} (seq. number), ${this.updated.producerEpoch} (current producer epoch)`,
        )
      }
      return
    }
    // With no state for the producer (expired, or its records deleted) any sequence starts it.
    if (this.current.producerEpoch === NO_PRODUCER_EPOCH) return
    const lastSeq = this.updated.lastSeq
    if (!inSequence(lastSeq, firstSeq)) {
      throw new StorageError(
        'OUT_OF_ORDER_SEQUENCE_NUMBER',
        `Out of order sequence number for producer ${this.producerId} at offset ${offset} in ${this.partition}: ${firstSeq} (incoming seq. number), ${lastSeq} (current end sequence number)`,
      )
    }
  }
}
