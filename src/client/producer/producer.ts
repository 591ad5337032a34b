/**
 * The producer.
 *
 * ```ts
 * const producer = new Producer({ bootstrapServers: ['localhost:9092'], lingerMs: 5 })
 * const { partition, offset } = await producer.send({ topic: 't', key: 'k', value: 'v', headers: { h: '1' } })
 * await producer.sendBatch(records)   // one promise for many records
 * await producer.sendBatchSettled(records)  // each record's outcome, as Promise.allSettled
 * await producer.flush()              // everything sent so far is acknowledged (or failed)
 * await producer.close()              // flush, then disconnect
 * ```
 *
 * `send` returns once the record is in a batch's buffer only in the sense that its promise
 * settles later: call `send` many times without awaiting each (throughput), or await each
 * (one request per record unless lingerMs gathers them). Every record's promise settles with
 * its offset or a typed error (KafkaError, ConnectionError, ClientError DELIVERY_TIMEOUT /
 * BUFFER_EXHAUSTED / RECORD_TOO_LARGE). Ignoring a rejected promise is an unhandled rejection,
 * as with any promise: keep them, or use sendBatch + one await.
 *
 * Records sent without awaiting are appended synchronously in call order, so records to one
 * partition keep their order (retries aside, see sender.ts); sends and sendBatch calls that must
 * wait for metadata or memory wait in one line, in call order. A batch the broker refuses as
 * too large is split (sender.ts), and its records' promises still settle each with its own
 * offset, or with MESSAGE_TOO_LARGE for a single record over the limit.
 *
 * Idempotence is on by default (`idempotent`, as the Java client): the first send gets a
 * producer id, and each record then lands exactly once and in order per partition whatever the
 * retries (idempotence.ts, sender.ts).
 */
import { BATCH_HEADER_SIZE } from '../../protocol/records/batch-header.js'
import { Cluster, type TopicInfo } from '../base/cluster.js'
import { ClientError } from '../base/errors.js'
import type { Headers } from '../base/types.js'
import { RecordAccumulator, type AppendResult, type PartitionQueue } from './accumulator.js'
import { resolveProducerOptions, type ProducerOptions, type ResolvedProducerOptions } from './options.js'
import { choosePartition, defaultPartitioner, type DefaultPartitioner } from './partitioner.js'
import { maxRecordSize, recordResult, type BatchResult, type ProducerBatch, type WireHeader } from './producer-batch.js'
import { IdempotentState } from './idempotence.js'
import { initProducerId } from './init-producer-id.js'
import { Sender } from './sender.js'
import { TransactionManager, type GroupMetadataForTxn, type TopicPartitionOffset } from './transactions.js'
import type { ProducerRecord, RecordMetadata } from './types.js'

function toKey(k: string | Buffer | null | undefined): Buffer | null {
  if (k === undefined || k === null) return null
  if (typeof k === 'string') return Buffer.from(k, 'utf8')
  if (Buffer.isBuffer(k)) return k
  throw new ClientError('INVALID_OPTION', `record key must be a string, Buffer or null, got ${typeof k}`)
}

function checkValue(v: unknown): string | Buffer | null {
  if (v === undefined || v === null) return null
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v
  throw new ClientError('INVALID_OPTION', `record value must be a string, Buffer or null, got ${typeof v}`)
}

function toHeaders(h: Headers | undefined): WireHeader[] | null {
  if (h === undefined) return null
  const entries = Array.isArray(h) ? h : Object.entries(h)
  if (entries.length === 0) return null
  return entries.map(([k, v]) => [k, v === undefined ? null : v])
}

/** Where an appended record went. */
interface Slot {
  batch: ProducerBatch
  offsetDelta: number
  topic: string
  partition: number
  timestamp: number
}

/** The record's metadata; throws its error when it was in the failed part of a split batch. */
function metadataOf(s: Slot, res: BatchResult): RecordMetadata {
  const r = recordResult(res, s.offsetDelta)
  return {
    topic: s.topic,
    partition: s.partition,
    offset: r.offset,
    timestamp: r.logAppendTime >= 0 ? r.logAppendTime : s.timestamp,
  }
}

/** The batches the records went into, each once. */
function batchesOf(slots: Array<Slot | Error>): ProducerBatch[] {
  const batches = new Set<ProducerBatch>()
  for (const s of slots) if (!(s instanceof Error)) batches.add(s.batch)
  return [...batches]
}

export class Producer {
  readonly options: ResolvedProducerOptions
  private readonly cluster: Cluster
  private readonly acc: RecordAccumulator
  private readonly sender: Sender
  private readonly idempotence: IdempotentState | undefined
  private readonly transactions: TransactionManager | undefined
  private readonly partitioner: DefaultPartitioner
  private closing: Promise<void> | undefined
  /** Sends on the slow path not yet appended, and the last of them (see sendSlow). */
  private slowSends = 0
  private slowTail: Promise<void> = Promise.resolve()

  constructor(options: ProducerOptions) {
    this.options = resolveProducerOptions(options)
    this.cluster = new Cluster(this.options)
    const { batchSize, bufferMemory, lingerMs, acks } = this.options
    // Under acks=0 a batch completes while its bytes may still wait in the socket: no reuse.
    this.acc = new RecordAccumulator({ batchSize, bufferMemory, lingerMs, reuseBuffers: acks !== 0 })
    const logger = this.options.logger
    const { transactionalId, transactionTimeoutMs } = this.options
    this.idempotence = this.options.idempotent
      ? new IdempotentState(
          () =>
            initProducerId(this.cluster, {
              transactionalId,
              transactionTimeoutMs,
              // A transactional producer re-initializing (a gap to heal) names the id it holds (KIP-360).
              ...(transactionalId !== null && this.idempotence && this.idempotence.producerId >= 0n ? { current: { producerId: this.idempotence.producerId, epoch: this.idempotence.epoch } } : {}),
            }),
          (message, fields) => logger.info(message, fields),
          transactionalId === null,
        )
      : undefined
    this.transactions =
      transactionalId !== null ? new TransactionManager(this.cluster, this.options, transactionalId, () => ({ producerId: this.idempotence!.producerId, epoch: this.idempotence!.epoch })) : undefined
    this.sender = new Sender(this.cluster, this.acc, this.options, this.idempotence, this.transactions)
    this.partitioner = defaultPartitioner()
  }

  /** Sends one record; resolves when the broker acknowledges it (per acks). */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    try {
      if (this.closing) throw new ClientError('CLIENT_CLOSED', 'the producer is closed')
      this.transactions?.checkSend()
      const topic = this.cluster.topics.get(record.topic)
      // Fast path: known metadata appends synchronously, keeping call order. (Staleness is the
      // sender's concern: it refreshes in the background.) Sends blocked on memory go first.
      if (topic && !this.acc.memoryWanted && this.slowSends === 0) {
        const r = this.appendKnown(topic, record)
        if (r) return r
      }
    } catch (e) {
      return Promise.reject(e)
    }
    return this.sendSlow(record)
  }

  /**
   * Sends many records; resolves with their metadata in order, or rejects with the first
   * failure. Cheaper than many `send`s: one promise per batch the records went into, not one
   * per record.
   */
  async sendBatch(records: ProducerRecord[]): Promise<RecordMetadata[]> {
    const slots = await this.appendAll(records, false)
    await Promise.all(batchesOf(slots).map((b) => b.done))
    const out: RecordMetadata[] = new Array(slots.length)
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i] as Slot
      out[i] = metadataOf(s, s.batch.result!)
    }
    return out
  }

  /**
   * Like `sendBatch`, but never rejects: each record's outcome in order, as Promise.allSettled
   * gives them, so one refused record (too large, say) does not hide that its neighbours landed.
   */
  async sendBatchSettled(records: ProducerRecord[]): Promise<PromiseSettledResult<RecordMetadata>[]> {
    const slots = await this.appendAll(records, true)
    const batches = batchesOf(slots)
    await Promise.allSettled(batches.map((b) => b.done))
    return slots.map((s): PromiseSettledResult<RecordMetadata> => {
      if (s instanceof Error) return { status: 'rejected', reason: s }
      if (s.batch.error) return { status: 'rejected', reason: s.batch.error }
      try {
        return { status: 'fulfilled', value: metadataOf(s, s.batch.result!) }
      } catch (e) {
        return { status: 'rejected', reason: e }
      }
    })
  }

  /**
   * Appends every record in order; a record that cannot be appended throws, or with `each`
   * stands as its error. Synchronously while topics are known and memory is there and no
   * other send waits; the rest waits in line behind earlier waiting sends (see sendSlow), so a
   * later call that finds the metadata cached cannot overtake this one.
   */
  private appendAll(records: ProducerRecord[], each: boolean): Promise<Array<Slot | Error>> {
    try {
      this.transactions?.checkSend()
    } catch (e) {
      return Promise.reject(e)
    }
    const slots: Array<Slot | Error> = new Array(records.length)
    let i = 0
    if (this.slowSends === 0) {
      for (; i < records.length; i++) {
        const record = records[i]!
        try {
          if (this.closing) throw new ClientError('CLIENT_CLOSED', 'the producer is closed')
          const topic = this.cluster.topics.get(record.topic)
          if (!topic || this.acc.memoryWanted) break
          const slot = this.appendRecord(topic, record)
          if (!slot) break
          slots[i] = slot
        } catch (e) {
          if (!each) return Promise.reject(e)
          slots[i] = e as Error
        }
      }
      if (i === records.length) return Promise.resolve(slots)
    }
    const from = i
    const deadline = Date.now() + this.options.maxBlockMs
    for (let k = from; k < records.length; k++) this.lookUpEarly(records[k]!.topic, deadline)
    return this.inLine(() => this.appendRest(records, from, slots, each, deadline))
  }

  /** Runs `append` after every send waiting before it; later sends wait behind it meanwhile. */
  private inLine<T>(append: () => Promise<T>): Promise<T> {
    this.slowSends++
    const appended = this.slowTail.then(append)
    this.slowTail = appended.then(
      () => void this.slowSends--,
      () => void this.slowSends--,
    )
    return appended
  }

  private async appendRest(records: ProducerRecord[], from: number, slots: Array<Slot | Error>, each: boolean, deadline: number): Promise<Array<Slot | Error>> {
    for (let i = from; i < records.length; ) {
      try {
        if (this.closing) throw new ClientError('CLIENT_CLOSED', 'the producer is closed')
        const record = records[i]!
        // Sends already waiting for memory go first.
        if (this.acc.memoryWanted) await this.acc.reserve(this.memoryNeed(record), Math.max(0, deadline - Date.now()))
        const topic = this.cluster.topics.get(record.topic) ?? (await this.cluster.topic(record.topic, { deadline, allowAutoCreate: true }))
        const slot = this.appendRecord(topic, record)
        if (slot) {
          slots[i++] = slot
          continue
        }
        await this.acc.reserve(this.memoryNeed(record), Math.max(0, deadline - Date.now()))
      } catch (e) {
        if (!each) throw e
        slots[i++] = e as Error
      }
    }
    return slots
  }

  /** Memory a record may need: a new batch of its partition. */
  private memoryNeed(record: ProducerRecord): number {
    const size = maxRecordSize(toKey(record.key), checkValue(record.value), toHeaders(record.headers))
    return Math.min(Math.max(this.options.batchSize, size + BATCH_HEADER_SIZE), this.options.bufferMemory)
  }

  /**
   * Sends that wait (for metadata or memory) append one after another in call order, and while
   * any waits, later sends queue behind them instead of taking the fast path: otherwise a send
   * made once the metadata is cached would overtake earlier ones still waking up from a lookup
   * retry, and one partition's records would land out of order.
   */
  private sendSlow(record: ProducerRecord): Promise<RecordMetadata> {
    const deadline = Date.now() + this.options.maxBlockMs
    this.lookUpEarly(record.topic, deadline)
    return this.inLine(() => this.appendSlow(record, deadline)).then((a) => a.done)
  }

  /** Topics looked up ahead of their turn to append (lookUpEarly), at most one lookup each. */
  private readonly earlyLookups = new Set<string>()

  /**
   * Starts the metadata lookup of a topic not known yet, now rather than when the send's turn
   * in line comes. Sends append in call order, so without this a burst of sends to many new
   * topics (a producer starting on 1,000 topics) made one Metadata request after another, each
   * for every topic tracked so far; started together, the lookups share one or two requests
   * (Cluster.refresh). Errors are the in-line append's to report: it looks the topic up again.
   */
  private lookUpEarly(topic: string, deadline: number): void {
    if (this.cluster.topics.has(topic) || this.earlyLookups.has(topic)) return
    this.earlyLookups.add(topic)
    this.cluster.topic(topic, { deadline, allowAutoCreate: true }).then(
      () => this.earlyLookups.delete(topic),
      () => this.earlyLookups.delete(topic),
    )
  }

  private async appendSlow(record: ProducerRecord, deadline: number): Promise<{ done: Promise<RecordMetadata> }> {
    for (;;) {
      if (this.closing) throw new ClientError('CLIENT_CLOSED', 'the producer is closed')
      const topic = this.cluster.topics.get(record.topic) ?? (await this.cluster.topic(record.topic, { deadline, allowAutoCreate: true }))
      const done = this.appendKnown(topic, record)
      if (done) return { done }
      // The buffer is full: wait for memory, then try again (another sender may win it).
      await this.acc.reserve(this.memoryNeed(record), Math.max(0, deadline - Date.now()))
    }
  }

  /** Appends to a topic whose metadata we have; undefined when buffer memory is short. */
  private appendKnown(topic: TopicInfo, record: ProducerRecord): Promise<RecordMetadata> | undefined {
    const slot = this.appendRecord(topic, record)
    if (!slot) return undefined
    return slot.batch.done.then((res) => metadataOf(slot, res))
  }

  /** Appends a record; where it went, or undefined when buffer memory is short. */
  private appendRecord(topic: TopicInfo, record: ProducerRecord): Slot | undefined {
    const key = toKey(record.key)
    const value = checkValue(record.value)
    const headers = toHeaders(record.headers)
    const size = maxRecordSize(key, value, headers)
    if (size + BATCH_HEADER_SIZE > this.options.maxRequestSize || size + BATCH_HEADER_SIZE > this.options.bufferMemory) {
      throw new ClientError(
        'RECORD_TOO_LARGE',
        `a record of ${size} bytes is larger than maxRequestSize (${this.options.maxRequestSize}) or bufferMemory (${this.options.bufferMemory})`,
      )
    }
    const count = topic.partitions.length
    let partition = record.partition
    let sticky = false
    let available: number[] | undefined
    if (partition === undefined) {
      available = this.available(topic)
      const args = { topic: topic.name, key, value: null as Buffer | null, partitionCount: count, availablePartitions: available }
      if (this.options.partitioner) args.value = typeof value === 'string' ? Buffer.from(value) : value
      partition = choosePartition(args, this.partitioner, this.options.partitioner)
      sticky = key === null && partition === this.partitioner.sticky.peek(topic.name)
    } else if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
      throw new ClientError('INVALID_OPTION', `partition ${partition} is not in topic ${topic.name}, which has partitions 0-${count - 1}`)
    }
    const now = Date.now()
    const ts = record.timestamp ?? now
    let q: PartitionQueue = this.acc.queue(topic.name, partition)
    let r: AppendResult | undefined | null = this.acc.tryAppend(q, size, ts, key, value, headers, now, sticky)
    if (r === null) {
      partition = this.partitioner.onNewBatch(topic.name, count, partition, available)
      q = this.acc.queue(topic.name, partition)
      r = this.acc.tryAppend(q, size, ts, key, value, headers, now)
    }
    if (!r) return undefined
    if (r.newBatch) this.sender.wake()
    return { batch: r.batch, offsetDelta: r.offsetDelta, topic: topic.name, partition, timestamp: ts }
  }

  private availableCache = new WeakMap<TopicInfo, number[]>()

  private available(topic: TopicInfo): number[] {
    let a = this.availableCache.get(topic)
    if (!a) {
      a = topic.partitions.filter((p) => p && p.leader >= 0).map((p) => p.partition)
      this.availableCache.set(topic, a)
    }
    return a
  }

  // ---- transactions ----------------------------------------------------------------------

  private txn(): TransactionManager {
    if (!this.transactions) throw new ClientError('ILLEGAL_STATE', 'transactions need the transactionalId option')
    if (this.closing) throw new ClientError('CLIENT_CLOSED', 'the producer is closed')
    return this.transactions
  }

  /**
   * Gets the transactional id's producer id from its coordinator, fencing any older producer of
   * the id and aborting what it left open (Kafka's initTransactions). beginTransaction calls it
   * when it was not called.
   */
  async initTransactions(): Promise<void> {
    this.txn()
    await this.idempotence!.initialize()
  }

  /** Opens a transaction: the records sent until commitTransaction/abortTransaction belong to it. */
  async beginTransaction(): Promise<void> {
    const t = this.txn()
    await this.initTransactions()
    t.beginTransaction()
  }

  /**
   * Commits the consumer's offsets as part of the transaction (consume-transform-produce): the
   * group sees them only if the transaction commits. `offsets` are the next offsets to read.
   */
  async sendOffsetsToTransaction(offsets: TopicPartitionOffset[], groupMetadata: GroupMetadataForTxn): Promise<void> {
    await this.txn().sendOffsets(offsets, groupMetadata)
  }

  /**
   * Sends every record of the transaction, then commits it. Throws when a record failed (the
   * transaction must then be aborted) or the producer was fenced (KafkaError PRODUCER_FENCED:
   * close it).
   */
  async commitTransaction(): Promise<void> {
    const t = this.txn()
    await this.flush()
    await t.end(true)
  }

  /** Aborts the transaction: records sent in it are never seen by read_committed consumers. */
  async abortTransaction(): Promise<void> {
    const t = this.txn()
    // Records not sent yet are dropped; those in flight are waited for (they must land before the marker).
    this.acc.abortAll(new ClientError('ABORTED', 'the transaction was aborted before these records were sent'))
    await this.flush()
    await t.end(false)
  }

  /** Waits until every record sent before this call is acknowledged or has failed. */
  async flush(): Promise<void> {
    // Sends still waiting for metadata or memory count too: wait until they are in batches.
    if (this.slowSends > 0) await this.slowTail
    const pending = [...this.acc.incomplete].map((b) => b.done)
    if (pending.length === 0) return
    this.acc.flushing++
    this.sender.wake()
    try {
      await Promise.allSettled(pending)
    } finally {
      this.acc.flushing--
    }
  }

  /**
   * Sends what is buffered (waiting up to `timeoutMs`, default: no limit beyond
   * deliveryTimeoutMs), then closes connections. Records still unsent at the timeout fail
   * with CLIENT_CLOSED. Later sends fail with CLIENT_CLOSED.
   */
  close(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.closing) this.closing = this.doClose(opts.timeoutMs)
    return this.closing
  }

  private async doClose(timeoutMs: number | undefined): Promise<void> {
    const flushed = this.flush()
    if (timeoutMs !== undefined) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([flushed, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))])
      clearTimeout(timer)
    } else {
      await flushed
    }
    const e = new ClientError('CLIENT_CLOSED', 'the producer closed before these records were sent')
    this.acc.abortAll(e)
    for (const b of this.acc.incomplete) {
      b.fail(e)
      this.acc.release(b)
    }
    this.sender.stop()
    this.cluster.close()
    this.acc.dropFreeBuffers()
  }
}

