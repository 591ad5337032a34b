/**
 * The sender: takes ready batches from the accumulator, groups them by partition leader into
 * Produce requests (one batch per partition per request, at most max.request.size), and
 * completes, retries, splits or fails them from the responses.
 *
 * Ordering: up to max.in.flight.requests.per.connection requests per broker are outstanding at
 * once. Without idempotence a retried batch may land after a later one, as in Kafka. With it
 * (the default, idempotence.ts) each batch carries the producer id, epoch and its partition's
 * sequence range: the broker refuses a batch that does not follow the last one it wrote
 * (OUT_OF_ORDER_SEQUENCE_NUMBER, retried here once the batch before it lands) and answers a
 * resent batch it already wrote with its original offsets, so every record lands once, in order.
 * A gap no retry closes makes the epoch go up (KIP-360) once nothing is in flight; nothing new is
 * sent meanwhile.
 *
 * Retries: retriable errors and dropped connections put the batch back in its place in its
 * queue after a backoff, refreshing metadata first when the error says the leader moved, until
 * `retries` or deliveryTimeoutMs runs out.
 *
 * Too large: a batch of several records refused with MESSAGE_TOO_LARGE (over the topic's
 * max.message.bytes) or RECORD_LIST_TOO_LARGE is split and its parts go back in its place, to
 * be sent at once; that is not a retry (Java's Sender.completeBatch). Java splits to batch.size,
 * which never ends when the limit is below batch.size; here the parts are sized between the
 * largest batch the partition accepted and the smallest it refused (half the batch when it
 * knows neither), so each split learns the limit and the next one lands closer. A single record
 * over the limit fails with MESSAGE_TOO_LARGE naming the limit.
 *
 * Splitting must not reorder: a batch larger than any its partition has accepted (a probe) may
 * be refused, and the partition's later batches must not land before its parts. So a probe goes
 * only when nothing else of its partition is in flight, and nothing follows it until it is
 * answered; batches no larger than one already accepted pipeline as before. A limit lowered
 * while batches are in flight can still reorder, as retries can.
  */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import type { ProduceRequest, ProduceResponse } from '../../protocol/generated/produce.js'
import { CompressionCodec } from '../../protocol/records/batch-header.js'
import { ErrorCode } from '../../protocol/errors.js'
import { isStaleMetadata, type Cluster } from '../base/cluster.js'
import { ClientError, errorFor, isRetriable, KafkaError } from '../base/errors.js'
import { backoffMs } from '../base/options.js'
import type { PartitionQueue, RecordAccumulator } from './accumulator.js'
import type { IdempotentState } from './idempotence.js'
import type { TransactionManager } from './transactions.js'
import type { ResolvedProducerOptions } from './options.js'
import type { ProducerBatch } from './producer-batch.js'
import { trace } from '../../util/trace.js'

export class Sender {
  private scheduled = false
  private timer: NodeJS.Timeout | undefined
  private timerAt = Infinity
  private readonly inFlight = new Map<number, number>()
  /** Per broker: resolves once the last request handed to it is queued on the connection. */
  private readonly writeOrder = new Map<number, Promise<void>>()
  private metadataWanted = false
  private refreshing = false
  private stopped = false

  constructor(
    private readonly cluster: Cluster,
    private readonly acc: RecordAccumulator,
    private readonly opts: ResolvedProducerOptions,
    /** The producer id and sequences, when idempotent. */
    private readonly idem?: IdempotentState,
    /** The transactional producer's transaction state: partitions are added before their first batch. */
    private readonly txn?: TransactionManager,
  ) {
    acc.onReady = () => this.wake()
  }

  /** Requests in flight to every broker. */
  private get totalInFlight(): number {
    let n = 0
    for (const v of this.inFlight.values()) n += v
    return n
  }

  /**
   * Whether idempotent batches may go now. Without an id one is fetched first; with a gap to heal
   * the sender waits for every request in flight, then bumps the epoch. Queued batches still expire.
   */
  private idempotenceReady(): boolean {
    const idem = this.idem
    if (!idem) return true
    if (idem.fatalError) {
      this.failQueued(idem.fatalError)
      return false
    }
    if (idem.healing && this.totalInFlight === 0) idem.heal()
    if (!idem.ready) idem.ensureId(() => this.wake())
    return idem.ready
  }

  /** Fails every queued batch (no producer id can be had). */
  private failQueued(e: Error): void {
    for (const q of this.acc.queues.values()) {
      for (const b of q.batches.splice(0)) this.finish(b, e)
    }
  }

  /** Runs a drain soon (after the current synchronous sends, so they share requests). */
  wake(): void {
    if (this.scheduled || this.stopped) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.drain()
    })
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  private schedule(at: number): void {
    if (at === Infinity || at >= this.timerAt) return
    clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => {
      this.timerAt = Infinity
      this.drain()
    }, Math.max(0, at - Date.now()))
  }

  /**
   * Sends what is ready. One pass builds at most one request per broker, from the head batch
   * of each ready partition; passes repeat while some broker still has room for another
   * request and batches are left ready (a partition's second full batch, what did not fit in
   * maxRequestSize), so those go now, up to maxInFlightRequestsPerConnection, instead of
   * waiting for a response to come back (Java's Sender likewise polls again at once while
   * data is ready). Each pass takes at least one batch out of the queues, so this ends.
   */
  private drain(): void {
    if (this.stopped) return
    const now = Date.now()
    const canSend = this.idempotenceReady()
    let nextAt = Infinity
    for (;;) {
      const pass = this.drainOnce(now, canSend)
      nextAt = Math.min(nextAt, pass.nextAt)
      if (!pass.sent) break
    }
    // metadata.max.age.ms: refreshed in the background, batches keep flowing meanwhile.
    if (this.metadataWanted || this.cluster.isStale) this.refreshMetadata()
    this.schedule(nextAt)
  }

  /** One pass of `drain`: whether it sent a request, and when something not ready now becomes ready. */
  private drainOnce(now: number, canSend: boolean): { sent: boolean; nextAt: number } {
    const perNode = new Map<number, ProducerBatch[]>()
    let nextAt = Infinity
    let sent = false
    for (const q of this.acc.queues.values()) {
      if (q.batches.length === 0) continue
      this.expire(q.batches, now)
      const head = q.batches[0]
      if (!head) continue
      if (!canSend) {
        nextAt = Math.min(nextAt, head.createdMs + this.opts.deliveryTimeoutMs)
        continue
      }
      // A transaction's partition goes only once the coordinator has it (AddPartitionsToTxn).
      if (this.txn && !this.txn.isAdded(q.topic, q.partition, () => this.wake())) continue
      if (!this.acc.isReady(q, now)) {
        nextAt = Math.min(nextAt, this.acc.readyAt(q))
        continue
      }
      // Behind a probe, or a probe itself with others in flight: the response wakes us.
      if (q.inFlight > 0 && (q.probing > 0 || this.isProbe(q, head))) continue
      const leader = this.cluster.leaderOf(q.topic, q.partition)
      if (leader < 0) {
        this.metadataWanted = true
        nextAt = Math.min(nextAt, now + this.opts.retryBackoffMs)
        continue
      }
      // A broker without room for another request: its responses wake us.
      if ((this.inFlight.get(leader) ?? 0) >= this.opts.maxInFlightRequestsPerConnection) continue
      let list = perNode.get(leader)
      if (!list) perNode.set(leader, (list = []))
      list.push(q.batches[0]!)
    }
    for (const [node, candidates] of perNode) {
      const batches: ProducerBatch[] = []
      let bytes = 0
      for (const b of candidates) {
        // The first batch always goes, even alone over the limit (the broker judges it); the
        // rest wait for the next pass.
        if (batches.length > 0 && bytes + b.sizeInBytes > this.opts.maxRequestSize) continue
        bytes += b.sizeInBytes
        b.closed = true
        trace?.mark(b, 'producer.drained')
        const q = this.acc.queue(b.topic, b.partition)
        q.batches.shift()
        q.inFlight++
        b.probe = this.isProbe(q, b)
        if (b.probe) q.probing++
        if (this.txn) b.transactional = true
        this.idem?.assign(b)
        batches.push(b)
      }
      this.inFlight.set(node, (this.inFlight.get(node) ?? 0) + 1)
      this.send(node, batches)
      sent = true
    }
    return { sent, nextAt }
  }

  /**
   * Whether the broker may refuse `b` as too large for all we know: it holds several records
   * (one over the limit just fails, reordering nothing) and is larger than any batch the
   * partition accepted. Under acks=0 nothing is ever refused.
   */
  private isProbe(q: PartitionQueue, b: ProducerBatch): boolean {
    return this.opts.acks !== 0 && b.count > 1 && b.sizeInBytes > q.fitBytes
  }

  /** A batch sent to `q`'s partition came back (answered, failed or never sent). */
  private returned(b: ProducerBatch): void {
    const q = this.acc.queue(b.topic, b.partition)
    q.inFlight--
    if (b.probe) q.probing--
    b.probe = false
  }

  private expire(batches: ProducerBatch[], now: number): void {
    while (batches.length > 0 && now - batches[0]!.createdMs >= this.opts.deliveryTimeoutMs) {
      const b = batches.shift()!
      this.finish(b, this.timeoutError(b, 'waiting to be sent'))
    }
  }

  private timeoutError(b: ProducerBatch, where: string): ClientError {
    return new ClientError(
      'DELIVERY_TIMEOUT',
      `${b.count} record(s) for ${b.topic}-${b.partition} expired after deliveryTimeoutMs ${this.opts.deliveryTimeoutMs} while ${where}`,
      true,
    )
  }

  private refreshMetadata(): void {
    if (this.refreshing) return
    this.refreshing = true
    this.metadataWanted = false
    this.cluster
      .refresh({ allowAutoCreate: true })
      .catch((e: unknown) => this.opts.logger.debug('metadata refresh failed', { error: (e as Error).message }))
      .finally(() => {
        this.refreshing = false
        this.wake()
      })
  }

  /**
   * Compression starts at once (in parallel for gzip and zstd, which run on libuv's pool), but
   * requests go on the wire in drain order: batches of one partition must not overtake each
   * other just because one compressed faster.
   */
  private send(node: number, batches: ProducerBatch[]): void {
    const body = this.buildRequest(batches)
    body.catch(() => {})
    const prev = this.writeOrder.get(node) ?? Promise.resolve()
    let written!: () => void
    const mine = new Promise<void>((r) => (written = r))
    this.writeOrder.set(node, mine)
    void mine.then(() => {
      if (this.writeOrder.get(node) === mine) this.writeOrder.delete(node)
    })
    void this.sendInOrder(node, batches, body, prev, written)
  }

  private async sendInOrder(node: number, batches: ProducerBatch[], bodyP: Promise<ProduceRequest>, prev: Promise<void>, written: () => void): Promise<void> {
    let resp: ProduceResponse | undefined
    let error: Error | undefined
    try {
      await prev
      const conn = await this.cluster.connection(node)
      const minVersion = this.opts.compression === CompressionCodec.Zstd ? 7 : 3
      const version = conn.version(ApiKey.Produce, 11, minVersion)
      const body = await bodyP
      for (const b of batches) b.attempts++
      if (this.opts.acks === 0) {
        await conn.request(ApiKey.Produce, body, { version, noResponse: true })
      } else {
        // request() puts the bytes in the connection's queue synchronously.
        const pending = conn.request(ApiKey.Produce, body, { version })
        if (trace) for (const b of batches) trace.mark(b, 'producer.written')
        written()
        resp = await pending
      }
    } catch (e) {
      error = e as Error
    }
    written()
    for (const b of batches) this.returned(b)
    try {
      if (error) for (const b of batches) this.onBatchError(b, error)
      else if (resp) this.onResponse(batches, resp)
      else for (const b of batches) this.finish(b, undefined, { baseOffset: -1n, logAppendTime: -1 })
    } catch (e) {
      // A bug here must not leave records waiting forever.
      for (const b of batches) if (!b.settled && !b.isSplit) this.finish(b, e as Error)
    } finally {
      this.inFlight.set(node, (this.inFlight.get(node) ?? 1) - 1)
      this.wake()
    }
  }

  private async buildRequest(batches: ProducerBatch[]): Promise<ProduceRequest> {
    const byTopic = new Map<string, Array<{ index: number; records: Buffer }>>()
    for (const b of batches) {
      const records = await b.wireBytes(this.opts.compression)
      let list = byTopic.get(b.topic)
      if (!list) byTopic.set(b.topic, (list = []))
      list.push({ index: b.partition, records })
    }
    return {
      transactionalId: this.txn?.transactionalId ?? null,
      acks: this.opts.acks,
      timeoutMs: this.opts.requestTimeoutMs,
      topicData: [...byTopic].map(([name, partitionData]) => ({ name, topicId: undefined, partitionData })),
    }
  }

  private onResponse(batches: ProducerBatch[], resp: ProduceResponse): void {
    const results = new Map<string, (typeof resp.responses)[number]['partitionResponses'][number]>()
    for (const t of resp.responses) for (const p of t.partitionResponses) results.set(`${t.name}:${p.index}`, p)
    for (const b of batches) {
      const r = results.get(`${b.topic}:${b.partition}`)
      if (!r) {
        this.onBatchError(b, new ClientError('ILLEGAL_STATE', `the broker's Produce response left out ${b.topic}-${b.partition}`, true))
        continue
      }
      // A batch the broker already wrote (a broker older than 2.5 may say so with this code).
      if (r.errorCode === 0 || (r.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER && this.idem)) {
        this.idem?.acknowledged(b)
        const q = this.acc.queue(b.topic, b.partition)
        if (b.sizeInBytes > q.fitBytes) q.fitBytes = b.sizeInBytes
        // The limit went up (the topic's config changed): what was refused may fit now.
        if (b.sizeInBytes >= q.refusedBytes) q.refusedBytes = Infinity
        const lat = r.logAppendTimeMs ?? -1n
        this.finish(b, undefined, { baseOffset: r.baseOffset, logAppendTime: Number(lat) })
        continue
      }
      const detail = r.errorMessage ?? r.recordErrors?.[0]?.batchIndexErrorMessage ?? undefined
      if (r.errorCode === ErrorCode.MESSAGE_TOO_LARGE || r.errorCode === ErrorCode.RECORD_LIST_TOO_LARGE) {
        this.onTooLarge(b, r.errorCode, detail)
        continue
      }
      const e = errorFor(r.errorCode, `producing to ${b.topic}-${b.partition}${detail ? ` (${detail})` : ''}`)!
      if (this.idem && this.onSequenceError(b, r.errorCode, e)) continue
      this.onBatchError(b, e)
    }
  }

  /**
   * The idempotent producer's answers to sequence and epoch errors; false for errors it leaves
   * to onBatchError.
   * - OUT_OF_ORDER_SEQUENCE_NUMBER for a batch behind one still unanswered (or refused): the
   *   earlier batch did not land, so this one waits for its retry. For the batch the partition
   *   expects next, the broker lost what we wrote (or never had it): the gap cannot close, so the
   *   epoch goes up and the batch is resent from sequence 0. UNKNOWN_PRODUCER_ID (brokers before
   *   2.5, which forget producers) likewise.
   * - INVALID_PRODUCER_EPOCH for a batch stamped before a bump: resent with the new stamp. For a
   *   current one the broker knows a later epoch of our id: a new id is fetched and the batch
   *   fails, as Kafka's producer fails it.
   */
  private onSequenceError(b: ProducerBatch, code: number, e: Error): boolean {
    const idem = this.idem!
    if (code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || code === ErrorCode.UNKNOWN_PRODUCER_ID) {
      if (!idem.isCurrent(b)) return this.retry(b, e)
      if (code === ErrorCode.UNKNOWN_PRODUCER_ID || idem.isNextExpected(b)) idem.requestBump(b, e.message)
      return this.retry(b, e)
    }
    if (code === ErrorCode.INVALID_PRODUCER_EPOCH) {
      if (!idem.isCurrent(b)) return this.retry(b, e)
      idem.requestNewId(b)
      this.finish(b, e)
      return true
    }
    return false
  }

  /** Requeues `b` for another attempt after a backoff, within retries and deliveryTimeoutMs. */
  private retry(b: ProducerBatch, e: Error): boolean {
    const now = Date.now()
    if (b.attempts > this.opts.retries) {
      this.finish(b, e)
      return true
    }
    if (now - b.createdMs >= this.opts.deliveryTimeoutMs) {
      this.finish(b, this.timeoutError(b, `retrying after: ${e.message}`))
      return true
    }
    b.retryAtMs = now + backoffMs(this.opts, b.attempts - 1)
    this.opts.logger.debug('retrying produce', { topic: b.topic, partition: b.partition, attempt: b.attempts, sequence: b.baseSequence, error: e.message })
    this.acc.requeue(b)
    return true
  }

  /** Splits a refused batch of several records; fails a single record, naming the limit. */
  private onTooLarge(b: ProducerBatch, code: number, detail: string | undefined): void {
    const q = this.acc.queue(b.topic, b.partition)
    const size = b.sizeInBytes
    // The limit went down: what was accepted before proves nothing now.
    if (size <= q.fitBytes) q.fitBytes = 0
    if (size < q.refusedBytes) q.refusedBytes = size
    if (b.count > 1 && !b.settled) {
      const target = Math.ceil((q.fitBytes + Math.min(size, q.refusedBytes)) / 2)
      const parts = this.acc.splitAndReenqueue(b, target)
      this.idem?.assignParts(b, parts)
      this.opts.logger.debug('splitting a batch the broker refused as too large', {
        topic: b.topic,
        partition: b.partition,
        records: b.count,
        bytes: size,
        parts: parts.length,
        error: detail,
      })
      return
    }
    const limit = detail && /(?:max\.message\.bytes|maximum configured value of)\D*(\d+)/.exec(detail)?.[1]
    const segment = code === ErrorCode.RECORD_LIST_TOO_LARGE
    const what = segment ? "the topic's segment.bytes" : "the broker's message.max.bytes / the topic's max.message.bytes"
    const e = new KafkaError(
      code,
      `producing to ${b.topic}-${b.partition}: ${segment ? 'RECORD_LIST_TOO_LARGE' : 'MESSAGE_TOO_LARGE'}: ` +
        `a record of ${b.wireSize} bytes (as a batch of one) is larger than ${what}${limit ? ` (${limit})` : ''}` +
        `${detail ? ` (broker: ${detail})` : ''}; send smaller records or raise ${segment ? 'segment.bytes' : 'max.message.bytes'} on the topic`,
    )
    this.finish(b, e)
  }

  private onBatchError(b: ProducerBatch, e: Error): void {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'number' && isStaleMetadata(code)) this.metadataWanted = true
    if ((e as { code?: unknown }).code === 'CONNECTION_ERROR' || (e as { code?: unknown }).code === 'REQUEST_TIMED_OUT') this.metadataWanted = true
    // A broker that refuses the produce version (or the codec) will not change its mind.
    const fatal = code === 'UNSUPPORTED_VERSION' || code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE
    if (!fatal && isRetriable(e) && b.attempts <= this.opts.retries) {
      this.retry(b, e)
      return
    }
    this.finish(b, e)
  }

  private finish(b: ProducerBatch, e: Error | undefined, r?: { baseOffset: bigint; logAppendTime: number }): void {
    if (e) {
      b.fail(e)
      // Its sequence range will never be written: later batches of the partition cannot follow.
      this.idem?.failed(b)
      // A transaction that lost a record can only be aborted.
      this.txn?.batchFailed(e)
    } else {
      if (trace && r!.baseOffset >= 0n) trace.emit(b, 'producer.acked', b.topic, b.partition, r!.baseOffset, r!.baseOffset + BigInt(b.count) - 1n)
      b.complete(r!)
    }
    this.acc.release(b)
  }
}
