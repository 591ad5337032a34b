/**
 * An idempotent producer's identity and sequence numbers (the idempotence half of the Java
 * client's TransactionManager): the producer id and epoch from InitProducerId, and per partition
 * the next sequence to hand out and the last one the broker acknowledged.
 *
 * Sequences are assigned when a batch is first drained (sender.ts), in queue order, so a
 * partition's batches carry consecutive ranges and a retry resends its own range: the broker
 * then answers a batch it already wrote with its original offsets instead of writing it twice.
 *
 * A gap the broker cannot close — a batch with a sequence that failed for good (delivery
 * timeout, a non-retriable error), or OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID for the
 * very batch the partition expects next — is healed as KIP-360 does for idempotent producers:
 * once nothing is in flight, the epoch goes up by one locally (a new epoch starts at sequence 0,
 * which the broker accepts) and every partition's sequences start again from 0; at the highest
 * epoch, or when the broker says the epoch is stale, a new producer id is fetched instead.
 * Waiting for the in-flight requests first keeps an old-epoch batch from landing after a new one.
 */
import type { ProducerBatch } from './producer-batch.js'

/** What InitProducerId gave. */
export interface ProducerIdAndEpoch {
  producerId: bigint
  epoch: number
}

interface PartitionSequences {
  /** The sequence the next batch drained gets. */
  next: number
  /** The last sequence the broker acknowledged in this epoch, -1 for none. */
  lastAcked: number
}

const MAX_EPOCH = 32767

export class IdempotentState {
  private id: ProducerIdAndEpoch | undefined
  private readonly partitions = new Map<string, PartitionSequences>()
  private initializing: Promise<void> | undefined
  /** A gap to heal: the epoch is bumped (or a new id fetched) once nothing is in flight. */
  private bumpWanted = false
  private newIdWanted = false
  /** Set when no producer id can be had (the broker refuses for good); every batch fails with it. */
  fatalError: Error | undefined

  constructor(
    /** Fetches a producer id (InitProducerId); retries are its own. */
    private readonly initProducerId: () => Promise<ProducerIdAndEpoch>,
    private readonly log: (message: string, fields: Record<string, unknown>) => void = () => {},
    /**
     * Whether a gap is healed by bumping the epoch locally (an idempotent producer, KIP-360);
     * a transactional producer's epoch belongs to its coordinator, so it asks InitProducerId again.
     */
    private readonly localBump = true,
  ) {}

  /** Gets the producer id now (a transactional producer's initTransactions); throws why it cannot. */
  async initialize(): Promise<void> {
    if (this.fatalError) throw this.fatalError
    if (this.id) return
    await new Promise<void>((resolve) => {
      this.ensureId(resolve)
      if (!this.initializing) resolve()
    })
    await this.initializing
    if (this.fatalError) throw this.fatalError
  }

  get producerId(): bigint {
    return this.id?.producerId ?? -1n
  }

  get epoch(): number {
    return this.id?.epoch ?? -1
  }

  /** Whether batches may be stamped now (an id, no gap waiting to heal). */
  get ready(): boolean {
    return this.id !== undefined && !this.bumpWanted && !this.newIdWanted && this.fatalError === undefined
  }

  /** Whether the sender must hold new requests until those in flight come back (a bump is due). */
  get healing(): boolean {
    return this.bumpWanted || this.newIdWanted
  }

  /** Starts getting a producer id when there is none; `onDone` runs when the attempt settles either way. */
  ensureId(onDone: () => void): void {
    if (this.initializing || this.fatalError || this.id) return
    this.initializing = this.initProducerId().then(
      (id) => {
        this.id = id
        this.partitions.clear()
        this.log('producer id assigned', { producerId: String(id.producerId), epoch: id.epoch })
      },
      (e: unknown) => {
        this.fatalError = e as Error
      },
    )
    void this.initializing.finally(() => {
      this.initializing = undefined
      onDone()
    })
  }

  /**
   * Heals a pending gap once nothing is in flight: bumps the epoch locally, or (at the highest
   * epoch, or when a new id was asked for) drops the id so that `ensureId` fetches one.
   */
  heal(): void {
    if (!this.id) return
    if (this.newIdWanted || this.id.epoch >= MAX_EPOCH || (this.bumpWanted && !this.localBump)) {
      // A new id starts every partition afresh: nothing else to heal.
      this.newIdWanted = false
      this.bumpWanted = false
      this.id = undefined
      this.partitions.clear()
      return
    }
    if (!this.bumpWanted) return
    this.id = { producerId: this.id.producerId, epoch: this.id.epoch + 1 }
    this.bumpWanted = false
    this.partitions.clear()
    this.log('producer epoch bumped to reset sequence numbers', { producerId: String(this.id.producerId), epoch: this.id.epoch })
  }

  private seqs(b: ProducerBatch): PartitionSequences {
    const k = `${b.topic}\u0000${b.partition}`
    let s = this.partitions.get(k)
    if (!s) this.partitions.set(k, (s = { next: 0, lastAcked: -1 }))
    return s
  }

  /** Whether `b` carries the current id and epoch (its sequence is still meaningful). */
  isCurrent(b: ProducerBatch): boolean {
    return this.id !== undefined && b.producerId === this.id.producerId && b.producerEpoch === this.id.epoch && b.baseSequence >= 0
  }

  /** Stamps a batch being drained with the id, epoch and its partition's next sequences (once per epoch). */
  assign(b: ProducerBatch): void {
    if (!this.id || this.isCurrent(b)) return
    const s = this.seqs(b)
    b.producerId = this.id.producerId
    b.producerEpoch = this.id.epoch
    b.baseSequence = s.next
    s.next = (s.next + b.count) % 2 ** 31
  }

  /**
   * Gives the parts of a split batch the parent's sequence range, in order (Java's
   * ProducerBatch.split): the broker refused the parent, so the range is free.
   */
  assignParts(parent: ProducerBatch, parts: ProducerBatch[]): void {
    if (!this.isCurrent(parent)) return
    let seq = parent.baseSequence
    for (const p of parts) {
      p.producerId = parent.producerId
      p.producerEpoch = parent.producerEpoch
      p.baseSequence = seq
      seq = (seq + p.count) % 2 ** 31
    }
  }

  acknowledged(b: ProducerBatch): void {
    if (!this.isCurrent(b)) return
    const s = this.seqs(b)
    const last = (b.baseSequence + b.count - 1) % 2 ** 31
    if (s.lastAcked < 0 || last > s.lastAcked) s.lastAcked = last
  }

  /** Whether `b` is the batch its partition's broker expects next (nothing before it is unanswered). */
  isNextExpected(b: ProducerBatch): boolean {
    if (!this.isCurrent(b)) return false
    return b.baseSequence === (this.seqs(b).lastAcked + 1) % 2 ** 31
  }

  /** A batch with a sequence failed for good: later sequences of its partition can never land. */
  failed(b: ProducerBatch): void {
    if (this.isCurrent(b)) this.requestBump(b, 'a batch with a sequence number failed')
  }

  requestBump(b: ProducerBatch, reason: string): void {
    if (!this.isCurrent(b) || this.bumpWanted) return
    this.bumpWanted = true
    this.log('producer epoch bump wanted', { reason, topic: b.topic, partition: b.partition, sequence: b.baseSequence })
  }

  /** The broker knows a newer epoch of this producer id (or none): only a new id helps. */
  requestNewId(b: ProducerBatch): void {
    if (!this.isCurrent(b)) return
    this.newIdWanted = true
    this.log('new producer id wanted', { topic: b.topic, partition: b.partition, epoch: b.producerEpoch })
  }
}
