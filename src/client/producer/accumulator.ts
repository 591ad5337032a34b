/**
 * The record accumulator: per-partition queues of batches waiting to be sent, and the
 * buffer.memory budget they draw on.
 *
 * A batch is "ready" (the sender may take it) when it is full, has waited lingerMs, or when
 * something is waiting on it: a flush, close, or a send blocked on memory. That is the Java
 * client's rule; it lets linger trade latency for batch size without ever holding data past
 * a flush.
 */
import { ClientError } from '../base/errors.js'
import { tpKey } from '../base/types.js'
import { BATCH_HEADER_SIZE } from '../../protocol/records/batch-header.js'
import { ProducerBatch, type WireHeader } from './producer-batch.js'
import { trace } from '../../util/trace.js'

export interface PartitionQueue {
  topic: string
  partition: number
  /** In order: creation order, with retried and split batches put back where they were. */
  batches: ProducerBatch[]
  /** The `order` of the next batch created. */
  nextOrder: number
  /** The sender's: batches of this partition in flight, and how many of them are probes. */
  inFlight: number
  probing: number
  /**
   * What the broker showed of its batch size limit here (max.message.bytes), in uncompressed
   * bytes: the largest batch it accepted, and the smallest it refused as too large (Infinity
   * when none). The sender splits and probes with them.
   */
  fitBytes: number
  refusedBytes: number
}

export interface AppendResult {
  batch: ProducerBatch
  offsetDelta: number
  /** A new batch was opened for this record (the sticky partitioner moves on). */
  newBatch: boolean
}

interface MemoryWaiter {
  need: number
  resolve(): void
  reject(e: Error): void
  timer: NodeJS.Timeout
}

export interface AccumulatorOptions {
  batchSize: number
  bufferMemory: number
  lingerMs: number
  /**
   * Whether a completed batch's buffer may be reused. Not with acks=0: such a batch completes
   * as soon as its request is queued, while the socket may still be reading its bytes.
   * Default false.
   */
  reuseBuffers?: boolean
}

/** Lexicographic order of batch `order` keys. */
export function compareOrder(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

export class RecordAccumulator {
  readonly queues = new Map<string, PartitionQueue>()
  /** Batches created and not yet completed or failed, in the queues or in flight. */
  readonly incomplete = new Set<ProducerBatch>()
  private used = 0
  /**
   * Buffers of batchSize bytes from completed batches, for new batches (Java's BufferPool).
   * A fresh buffer of a quarter megabyte costs page faults on first write and adds to the
   * garbage collector's external-memory pressure; at a hundred megabytes a second that was
   * much of the producer's time. Together with `used` they stay within bufferMemory.
   */
  private readonly freeBuffers: Buffer[] = []
  private readonly waiters: MemoryWaiter[] = []
  /** Called when a batch becomes ready before its linger is up (full, or memory wanted). */
  onReady: () => void = () => {}
  /** Flushes or a close in progress: everything is ready. */
  flushing = 0

  constructor(private readonly opts: AccumulatorOptions) {}

  get bytesInUse(): number {
    return this.used
  }

  get memoryWanted(): boolean {
    return this.waiters.length > 0
  }

  /** Per topic, queues indexed by partition: the send path looks them up without building keys. */
  private readonly byTopic = new Map<string, PartitionQueue[]>()

  queue(topic: string, partition: number): PartitionQueue {
    let list = this.byTopic.get(topic)
    if (!list) this.byTopic.set(topic, (list = []))
    let q = list[partition]
    if (!q) {
      q = { topic, partition, batches: [], nextOrder: 0, inFlight: 0, probing: 0, fitBytes: 0, refusedBytes: Infinity }
      list[partition] = q
      this.queues.set(tpKey(topic, partition), q)
    }
    return q
  }

  /**
   * Appends without waiting; undefined when a new batch is needed and the memory budget is
   * spent (the caller then waits with `reserve`), null when a new batch is needed and
   * `abortOnNewBatch` asks to be told first. `recordSize` bounds the record's size.
   */
  tryAppend(
    q: PartitionQueue,
    recordSize: number,
    ts: number,
    key: Buffer | null,
    value: string | Buffer | null,
    headers: WireHeader[] | null,
    nowMs: number,
    abortOnNewBatch = false,
  ): AppendResult | undefined | null {
    const last = q.batches[q.batches.length - 1]
    if (last && !last.closed) {
      const d = last.tryAppend(ts, key, value, headers)
      if (d >= 0) {
        if (last.isFull(16)) {
          last.closed = true
          this.onReady()
        }
        return { batch: last, offsetDelta: d, newBatch: false }
      }
      last.closed = true
      this.onReady()
    }
    // KIP-480: the sticky partitioner moves on *before* a keyless record opens a batch, so
    // that record starts the next partition's batch instead of this one's.
    if (abortOnNewBatch) return null
    const capacity = Math.max(this.opts.batchSize, BATCH_HEADER_SIZE + recordSize)
    if (this.used + capacity > this.opts.bufferMemory && this.used > 0) return undefined
    const batch = new ProducerBatch(q.topic, q.partition, capacity, nowMs, this.takeBuffer(capacity))
    batch.order = [q.nextOrder++]
    trace?.mark(batch, 'producer.enqueue')
    this.used += capacity
    this.incomplete.add(batch)
    q.batches.push(batch)
    const offsetDelta = batch.tryAppend(ts, key, value, headers)
    return { batch, offsetDelta, newBatch: true }
  }

  /** Waits until `need` bytes could be allocated, or fails after `timeoutMs` (max.block.ms). */
  reserve(need: number, timeoutMs: number): Promise<void> {
    if (this.used + need <= this.opts.bufferMemory || this.used === 0) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const w: MemoryWaiter = {
        need,
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(w)
          if (i >= 0) this.waiters.splice(i, 1)
          reject(
            new ClientError(
              'BUFFER_EXHAUSTED',
              `could not get ${need} bytes of bufferMemory (${this.opts.bufferMemory} in use by unsent records) within maxBlockMs ${timeoutMs}`,
              true,
            ),
          )
        }, timeoutMs),
      }
      this.waiters.push(w)
      // Blocked senders make every batch ready, so memory comes back as fast as the brokers allow.
      this.onReady()
    })
  }

  /** A pooled buffer when `capacity` is batchSize; otherwise room is made for a fresh one. */
  private takeBuffer(capacity: number): Buffer | undefined {
    const free = this.freeBuffers
    if (capacity === this.opts.batchSize) return free.pop()
    while (free.length > 0 && this.used + capacity + free.length * this.opts.batchSize > this.opts.bufferMemory) free.pop()
    return undefined
  }

  /** Lets the pooled buffers go (the producer closed). */
  dropFreeBuffers(): void {
    this.freeBuffers.length = 0
  }

  /** A batch finished (either way): its memory goes back to the pool. */
  release(batch: ProducerBatch): void {
    if (!this.incomplete.delete(batch)) return
    this.used -= batch.allocated
    this.recycle(batch)
    this.wakeWaiters()
  }

  /** Keeps a done batch's buffer for the next batch when it is of batchSize and the budget allows. */
  private recycle(batch: ProducerBatch): void {
    if (this.opts.reuseBuffers && batch.allocated === this.opts.batchSize && this.used + (this.freeBuffers.length + 1) * batch.allocated <= this.opts.bufferMemory) {
      const buf = batch.releaseBuffer()
      if (buf) this.freeBuffers.push(buf)
    }
  }

  /**
   * Replaces a batch the broker refused as too large by batches of at most `targetBytes` holding
   * its records (Java's splitAndReenqueue), in its place in the queue, ready to go at once.
   * Memory: the big batch's allocation goes back (its buffer to the pool) and the parts count
   * with their exact sizes. They are never waited for: together they take the big batch's
   * records plus a header each, which may go past bufferMemory by that much until they are
   * acknowledged; sends wait meanwhile.
   */
  splitAndReenqueue(batch: ProducerBatch, targetBytes: number): ProducerBatch[] {
    const parts = batch.split(targetBytes)
    if (this.incomplete.delete(batch)) this.used -= batch.allocated
    for (const p of parts) {
      this.used += p.allocated
      this.incomplete.add(p)
    }
    this.recycle(batch)
    this.reenqueue(parts)
    this.wakeWaiters()
    return parts
  }

  private wakeWaiters(): void {
    // Wake every waiter, in order, to try again: most records fit in the batch the first of
    // them opens, so waiting for a whole batch's worth of memory each would stall them all.
    // Those that still do not fit come back and wait again.
    if (this.waiters.length > 0 && (this.used + this.waiters[0]!.need <= this.opts.bufferMemory || this.used === 0)) {
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer)
        w.resolve()
      }
    }
  }

  /** Whether the head batch of `q` may be sent now. */
  isReady(q: PartitionQueue, nowMs: number): boolean {
    const b = q.batches[0]
    if (!b || b.retryAtMs > nowMs) return false
    return b.closed || q.batches.length > 1 || nowMs - b.createdMs >= this.opts.lingerMs || this.flushing > 0 || this.waiters.length > 0
  }

  /** When the head batch of `q` becomes ready by itself (linger or backoff), for the sender's timer. */
  readyAt(q: PartitionQueue): number {
    const b = q.batches[0]
    if (!b) return Infinity
    return Math.max(b.retryAtMs, b.closed ? 0 : b.createdMs + this.opts.lingerMs)
  }

  /** Puts a batch that failed retriably back into its queue, in its place. */
  requeue(batch: ProducerBatch): void {
    this.reenqueue([batch])
  }

  /**
   * Puts batches of one partition (in order) back ahead of every batch created after them: the
   * responses of several batches in flight come back one by one, and putting each at the head
   * would reverse them.
   */
  private reenqueue(batches: ProducerBatch[]): void {
    const q = this.queue(batches[0]!.topic, batches[0]!.partition)
    let at = 0
    while (at < q.batches.length && compareOrder(q.batches[at]!.order, batches[0]!.order) < 0) at++
    q.batches.splice(at, 0, ...batches)
  }

  /** Fails every queued batch (close without flush, or a fatal error). */
  abortAll(e: Error): void {
    for (const q of this.queues.values()) {
      for (const b of q.batches) {
        b.fail(e)
        this.release(b)
      }
      q.batches.length = 0
    }
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer)
      w.reject(e)
    }
  }
}
