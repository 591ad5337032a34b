/**
 * The transaction coordinator (Kafka's TransactionCoordinator + TransactionStateManager, for
 * transaction version 1 clients): the state of each transactional id lives in
 * `__transaction_state`, and the coordinator of id T is the leader of partition
 * abs(hashCode(T)) % partitions. As the group coordinator: onElection(partition, leaderEpoch)
 * loads a partition's ids (replaying it), onResignation drops them; requests for an id whose
 * partition is not led here answer NOT_COORDINATOR, while it loads COORDINATOR_LOAD_IN_PROGRESS.
 * The leader epoch is the coordinator epoch the markers carry, so a partition fences markers
 * of a coordinator that lost its election.
 *
 * Every change of an id's state is written to the log first and installed once written; while a
 * write (or a commit/abort's markers) is in flight, other requests for the id answer
 * CONCURRENT_TRANSACTIONS, which clients retry. EndTxn answers once PrepareCommit/PrepareAbort is
 * written; the markers (through TxnMarkerWriter, the broker's side) and the Complete state follow,
 * retried until written or the partition resigns. A new leader finds Prepare* states in the log
 * and completes them when it loads.
 *
 * Timers on the injected Time: every abortCheckIntervalMs, transactions open past their timeout
 * are aborted with the epoch bumped (the producer is fenced: its next request answers
 * PRODUCER_FENCED), and idle ids past transactional.id.expiration.ms are removed (tombstones).
 *
 * Dependencies: the internal topic through InternalTopic, markers through TxnMarkerWriter,
 * producer ids through a function; never the broker.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { Logger } from '../../util/logger.js'
import { systemTime, type Time, type Timer } from '../../util/time.js'
import type { InternalTopic } from '../internal-topic.js'
import { copyMetadata, isComplete, isPrepare, TxnState, type TxnMetadata } from './txn-metadata.js'
import { splitTp, tpKey, TRANSACTION_STATE_TOPIC, TxnLog, txnTopicSettings } from './txn-log.js'

export { TRANSACTION_STATE_TOPIC }

/** Settings by their Kafka names; the broker builds this from its config. */
export interface TxnCoordinatorConfig {
  /** transaction.max.timeout.ms */
  maxTimeoutMs: number
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  abortCheckIntervalMs: number
  /** transactional.id.expiration.ms */
  idExpirationMs: number
  /** transaction.state.log.num.partitions, .replication.factor, .segment.bytes, .min.isr */
  topicPartitions: number
  topicReplicationFactor: number
  topicSegmentBytes: number
  topicMinInsyncReplicas: number
}

/** Writes commit/abort markers to partition leaders (the broker's side: WriteTxnMarkers' path). */
export interface TxnMarkerWriter {
  write(marker: {
    producerId: bigint
    producerEpoch: number
    coordinatorEpoch: number
    commit: boolean
    partitions: Array<{ topic: string; partition: number }>
  }): Promise<Array<{ topic: string; partition: number; errorCode: number }>>
}

export interface TxnCoordinatorOptions {
  topic: InternalTopic
  config: TxnCoordinatorConfig
  markers: TxnMarkerWriter
  /** A new producer id (the broker's ProducerIdManager). */
  newProducerId: () => Promise<bigint>
  logger: Logger
  time?: Time
}

/** What an id's requests are answered when their producer is fenced, by request version (KIP-588). */
export interface FencedCode {
  fencedCode: number
}

export interface InitResult {
  errorCode: number
  producerId: bigint
  producerEpoch: number
}

interface Shard {
  status: 'loading' | 'loaded' | 'failed'
  /** The leader epoch: the coordinator epoch of this partition's markers. */
  epoch: number
  txns: Map<string, TxnMetadata>
  /** Ids with a state change or markers in flight. */
  busy: Set<string>
  loading: Promise<void>
}

const MAX_EPOCH = 32767
/** How long markers that failed (a partition without a leader) wait before they are sent again. */
const MARKER_RETRY_MS = 200

export class TransactionCoordinator {
  readonly log: TxnLog
  private readonly config: TxnCoordinatorConfig
  private readonly markers: TxnMarkerWriter
  private readonly newProducerId: () => Promise<bigint>
  private readonly logger: Logger
  private readonly time: Time
  private readonly led = new Map<number, Shard>()
  private readonly epochs = new Map<number, number>()
  private timer: Timer | undefined
  private closed = false

  constructor(o: TxnCoordinatorOptions) {
    this.config = o.config
    this.markers = o.markers
    this.newProducerId = o.newProducerId
    this.logger = o.logger.child({ component: 'txn-coordinator' })
    this.time = o.time ?? systemTime
    const c = o.config
    this.log = new TxnLog(o.topic, txnTopicSettings({ partitions: c.topicPartitions, replicationFactor: c.topicReplicationFactor, segmentBytes: c.topicSegmentBytes, minInsyncReplicas: c.topicMinInsyncReplicas }), this.logger)
    this.schedule()
  }

  // ---- leadership ------------------------------------------------------------------------

  onElection(partition: number, leaderEpoch: number): Promise<void> {
    if (this.closed) return Promise.resolve()
    const seen = this.epochs.get(partition)
    const current = this.led.get(partition)
    if (seen !== undefined && leaderEpoch <= seen) return current?.loading ?? Promise.resolve()
    this.epochs.set(partition, leaderEpoch)
    if (current && current.status !== 'failed') {
      current.epoch = leaderEpoch
      return current.loading
    }
    const shard: Shard = { status: 'loading', epoch: leaderEpoch, txns: new Map(), busy: new Set(), loading: Promise.resolve() }
    this.led.set(partition, shard)
    shard.loading = this.load(partition, shard)
    return shard.loading
  }

  private async load(partition: number, shard: Shard): Promise<void> {
    try {
      const txns = await this.log.load(partition)
      if (this.led.get(partition) !== shard) return
      shard.txns = txns
      shard.status = 'loaded'
      if (txns.size > 0) this.logger.info('loaded __transaction_state partition', { partition, epoch: shard.epoch, transactionalIds: txns.size })
      // A commit or abort the previous coordinator decided but did not finish.
      for (const m of txns.values()) {
        if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) this.complete(partition, shard, m.transactionalId)
      }
    } catch (err) {
      if (this.led.get(partition) !== shard) return
      shard.status = 'failed'
      this.logger.error('loading a __transaction_state partition failed; its transactional ids get NOT_COORDINATOR until it is elected again', { partition, error: (err as Error).message })
    }
  }

  async onResignation(partition: number, leaderEpoch?: number): Promise<void> {
    const current = this.led.get(partition)
    if (leaderEpoch === undefined) this.epochs.delete(partition)
    else {
      const seen = this.epochs.get(partition)
      if ((seen !== undefined && leaderEpoch < seen) || (current && leaderEpoch <= current.epoch)) return
      this.epochs.set(partition, leaderEpoch)
    }
    if (!current) return
    this.led.delete(partition)
    this.logger.info('resigned as coordinator of a __transaction_state partition', { partition, leaderEpoch: leaderEpoch ?? null })
  }

  partitionStatus(partition: number): string {
    return this.led.get(partition)?.status ?? 'not-led'
  }

  get numPartitions(): number {
    return this.log.numPartitions
  }

  partitionFor(transactionalId: string): number {
    return this.log.partitionFor(transactionalId)
  }

  /** Creates `__transaction_state` unless it exists and waits for the partitions this broker got to load. */
  async ensureTopic(): Promise<number> {
    if (this.log.exists()) return this.log.numPartitions
    const n = await this.log.ensureTopic()
    await Promise.all([...this.led.values()].map((s) => s.loading))
    return n
  }

  private async shardOf(transactionalId: string): Promise<{ partition: number; shard: Shard }> {
    if (this.closed) throw new KafkaError('COORDINATOR_NOT_AVAILABLE', 'The transaction coordinator is shutting down.')
    if (!this.log.exists()) await this.ensureTopic()
    const partition = this.partitionFor(transactionalId)
    const shard = this.led.get(partition)
    if (shard?.status === 'loaded') return { partition, shard }
    if (shard?.status === 'loading') throw new KafkaError('COORDINATOR_LOAD_IN_PROGRESS', `__transaction_state-${partition}, which holds transactional id ${transactionalId}, is still loading; retry shortly.`)
    throw new KafkaError('NOT_COORDINATOR', `This broker does not coordinate transactional id ${transactionalId}: it does not lead __transaction_state-${partition}; find the coordinator again.`)
  }

  /** Writes `next` as the id's state and installs it; the id is busy meanwhile. */
  private async transition(partition: number, shard: Shard, next: TxnMetadata): Promise<void> {
    const id = next.transactionalId
    next.lastUpdateMs = this.time.now()
    if (isComplete(next.state)) {
      next.partitions = new Set()
      next.startMs = -1
    }
    await this.log.write(
      partition,
      next,
      () => {
        if (this.led.get(partition) !== shard) throw new KafkaError('NOT_COORDINATOR', `This broker no longer coordinates transactional id ${id}.`)
      },
      next.lastUpdateMs,
    )
    if (this.led.get(partition) === shard) shard.txns.set(id, next)
  }

  /** Runs `fn` with the id marked busy (CONCURRENT_TRANSACTIONS for others meanwhile). */
  private async exclusive<T>(shard: Shard, id: string, fn: () => Promise<T>): Promise<T> {
    shard.busy.add(id)
    try {
      return await fn()
    } finally {
      shard.busy.delete(id)
    }
  }

  // ---- requests --------------------------------------------------------------------------

  /**
   * InitProducerId with a transactional id: a producer id with epoch 0 the first time; later the
   * epoch bumped (a new id once it is exhausted), which fences every older producer of the id.
   * A transaction still open is aborted first (CONCURRENT_TRANSACTIONS: retry). With an
   * expected producer id and epoch (v3+, KIP-360) only that producer may bump.
   */
  async initProducerId(o: { transactionalId: string; timeoutMs: number; producerId: bigint; producerEpoch: number } & FencedCode): Promise<InitResult> {
    const fail = (errorCode: number): InitResult => ({ errorCode, producerId: -1n, producerEpoch: -1 })
    if (o.timeoutMs <= 0 || o.timeoutMs > this.config.maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT)
    const { partition, shard } = await this.shardOf(o.transactionalId)
    const id = o.transactionalId
    if (shard.busy.has(id)) return fail(ErrorCode.CONCURRENT_TRANSACTIONS)
    let fenced = false
    const result = await this.exclusive(shard, id, async (): Promise<InitResult> => {
      const m = shard.txns.get(id)
      if (!m) {
        const producerId = await this.newProducerId()
        const fresh: TxnMetadata = { transactionalId: id, producerId, producerEpoch: 0, lastProducerEpoch: -1, timeoutMs: o.timeoutMs, state: TxnState.Empty, partitions: new Set(), startMs: -1, lastUpdateMs: 0 }
        await this.transition(partition, shard, fresh)
        return { errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 }
      }
      if (o.producerId >= 0n) {
        if (o.producerId !== m.producerId) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
        // A retry of the bump that already happened is answered again.
        if (o.producerEpoch === m.lastProducerEpoch && isComplete(m.state)) return { errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch }
        if (o.producerEpoch !== m.producerEpoch) return fail(o.fencedCode)
      }
      if (isPrepare(m.state)) return fail(ErrorCode.CONCURRENT_TRANSACTIONS)
      if (m.state === TxnState.Ongoing) {
        // Fence the producer of the open transaction: abort it under a bumped epoch.
        await this.abortWithBump(partition, shard, m, 'a new producer initialized the transactional id')
        fenced = true
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS)
      }
      const next = copyMetadata(m)
      if (m.producerEpoch + 1 >= MAX_EPOCH) {
        next.producerId = await this.newProducerId()
        next.producerEpoch = 0
        next.lastProducerEpoch = -1
      } else {
        next.lastProducerEpoch = m.producerEpoch
        next.producerEpoch = m.producerEpoch + 1
      }
      next.timeoutMs = o.timeoutMs
      next.state = TxnState.Empty
      await this.transition(partition, shard, next)
      return { errorCode: ErrorCode.NONE, producerId: next.producerId, producerEpoch: next.producerEpoch }
    })
    if (fenced) this.complete(partition, shard, id)
    return result
  }

  /** Writes PrepareAbort with the epoch bumped; the caller then completes it (`complete`) once the id is free. */
  private async abortWithBump(partition: number, shard: Shard, m: TxnMetadata, reason: string): Promise<void> {
    const next = copyMetadata(m)
    next.lastProducerEpoch = m.producerEpoch
    next.producerEpoch = Math.min(m.producerEpoch + 1, MAX_EPOCH - 1)
    next.state = TxnState.PrepareAbort
    await this.transition(partition, shard, next)
    this.logger.info('aborting a transaction', { transactionalId: m.transactionalId, reason, producerId: String(m.producerId), epoch: next.producerEpoch })
  }

  /** The checks every request of a producer in a transaction makes; an error code or undefined. */
  private check(m: TxnMetadata | undefined, producerId: bigint, producerEpoch: number, fencedCode: number): number | undefined {
    if (!m || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
    if (producerEpoch !== m.producerEpoch) return fencedCode
    if (isPrepare(m.state)) return ErrorCode.CONCURRENT_TRANSACTIONS
    return undefined
  }

  /**
   * AddPartitionsToTxn (and AddOffsetsToTxn with the group's `__consumer_offsets` partition):
   * the transaction becomes (or stays) Ongoing with these partitions. One error code for all.
   */
  async addPartitions(o: { transactionalId: string; producerId: bigint; producerEpoch: number; partitions: Array<{ topic: string; partition: number }> } & FencedCode): Promise<number> {
    const { partition, shard } = await this.shardOf(o.transactionalId)
    const id = o.transactionalId
    const m = shard.txns.get(id)
    // Fencing first, as Kafka: a zombie hears PRODUCER_FENCED even while the id is busy.
    const bad = this.check(m, o.producerId, o.producerEpoch, o.fencedCode)
    if (bad !== undefined) return bad
    if (shard.busy.has(id)) return ErrorCode.CONCURRENT_TRANSACTIONS
    const keys = o.partitions.map((p) => tpKey(p.topic, p.partition))
    if (m!.state === TxnState.Ongoing && keys.every((k) => m!.partitions.has(k))) return ErrorCode.NONE
    return this.exclusive(shard, id, async () => {
      const next = copyMetadata(m!)
      if (next.state !== TxnState.Ongoing) next.startMs = this.time.now()
      next.state = TxnState.Ongoing
      for (const k of keys) next.partitions.add(k)
      await this.transition(partition, shard, next)
      return ErrorCode.NONE
    })
  }

  /** Whether these partitions are in the id's ongoing transaction (AddPartitionsToTxn v4+ verify only). */
  async verifyPartitions(o: { transactionalId: string; producerId: bigint; producerEpoch: number; partitions: Array<{ topic: string; partition: number }> }): Promise<number[]> {
    const { shard } = await this.shardOf(o.transactionalId)
    const m = shard.txns.get(o.transactionalId)
    return o.partitions.map((p) => {
      if (!m || m.producerId !== o.producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
      if (m.producerEpoch !== o.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH
      return m.state === TxnState.Ongoing && m.partitions.has(tpKey(p.topic, p.partition)) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE
    })
  }

  /**
   * EndTxn: commit or abort. Answers once PrepareCommit/PrepareAbort is written; markers and the
   * Complete state follow. A retry after completion answers NONE; the other outcome
   * INVALID_TXN_STATE.
   */
  async endTxn(o: { transactionalId: string; producerId: bigint; producerEpoch: number; commit: boolean } & FencedCode): Promise<number> {
    const { partition, shard } = await this.shardOf(o.transactionalId)
    const id = o.transactionalId
    const m = shard.txns.get(id)
    if (!m || m.producerId !== o.producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
    // Fencing first, as Kafka (a zombie, or a producer whose transaction timed out), then busy.
    if (o.producerEpoch !== m.producerEpoch) return o.fencedCode
    if (shard.busy.has(id)) return ErrorCode.CONCURRENT_TRANSACTIONS
    if (m.state !== TxnState.Ongoing) this.logger.info('EndTxn outside an ongoing transaction', { transactionalId: id, state: m.state, commit: o.commit })
    switch (m.state) {
      case TxnState.Ongoing:
        break
      case TxnState.PrepareCommit:
        return o.commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE
      case TxnState.PrepareAbort:
        return o.commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS
      case TxnState.CompleteCommit:
        return o.commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE
      case TxnState.CompleteAbort:
        return o.commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE
      default:
        return ErrorCode.INVALID_TXN_STATE
    }
    await this.exclusive(shard, id, async () => {
      const next = copyMetadata(m)
      next.state = o.commit ? TxnState.PrepareCommit : TxnState.PrepareAbort
      await this.transition(partition, shard, next)
    })
    this.complete(partition, shard, id)
    return ErrorCode.NONE
  }

  /**
   * Writes the markers of a Prepare* transaction to its partitions, then its Complete state; in
   * the background, retried until done or the partition resigns. The id stays busy meanwhile.
   */
  private complete(partition: number, shard: Shard, id: string): void {
    if (shard.busy.has(id)) return
    shard.busy.add(id)
    const run = async () => {
      for (;;) {
        if (this.closed || this.led.get(partition) !== shard) return
        const m = shard.txns.get(id)
        if (!m || !(m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort)) return
        const commit = m.state === TxnState.PrepareCommit
        try {
          let left = [...m.partitions].map(splitTp).map(([topic, p]) => ({ topic, partition: p }))
          while (left.length > 0) {
            if (this.closed || this.led.get(partition) !== shard) return
            const results = await this.markers.write({ producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: shard.epoch, commit, partitions: left })
            // A deleted topic needs no marker; anything else (no leader yet, a disk error) is retried.
            const failed = results.filter((r) => r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
            left = failed.map((r) => ({ topic: r.topic, partition: r.partition }))
            if (left.length > 0) {
              this.logger.debug('transaction markers not written yet; retrying', { transactionalId: id, partitions: failed.map((f) => `${f.topic}-${f.partition}:${f.errorCode}`) })
              await new Promise<void>((r) => this.time.setTimeout(r, MARKER_RETRY_MS))
            }
          }
          const next = copyMetadata(m)
          next.state = commit ? TxnState.CompleteCommit : TxnState.CompleteAbort
          await this.transition(partition, shard, next)
          return
        } catch (err) {
          this.logger.warn('completing a transaction failed; retrying', { transactionalId: id, error: (err as Error).message })
          await new Promise<void>((r) => this.time.setTimeout(r, MARKER_RETRY_MS))
        }
      }
    }
    void run().finally(() => shard.busy.delete(id))
  }

  /** The id's state, for DescribeTransactions and tests. */
  async describe(transactionalId: string): Promise<TxnMetadata | undefined> {
    const { shard } = await this.shardOf(transactionalId)
    const m = shard.txns.get(transactionalId)
    return m && copyMetadata(m)
  }

  /** Every id of every loaded partition (ListTransactions); loading partitions are reported apart. */
  list(): { loading: boolean; txns: TxnMetadata[] } {
    const txns: TxnMetadata[] = []
    let loading = false
    for (const s of this.led.values()) {
      if (s.status === 'loading') loading = true
      else if (s.status === 'loaded') for (const m of s.txns.values()) txns.push(copyMetadata(m))
    }
    return { loading, txns }
  }

  // ---- timers ----------------------------------------------------------------------------

  private schedule(): void {
    if (this.closed || this.config.abortCheckIntervalMs <= 0) return
    this.timer = this.time.setTimeout(() => {
      void this.sweep().finally(() => this.schedule())
    }, this.config.abortCheckIntervalMs)
  }

  /** Aborts transactions open past their timeout; removes ids idle past transactional.id.expiration.ms. */
  async sweep(): Promise<void> {
    const now = this.time.now()
    for (const [partition, shard] of this.led) {
      if (shard.status !== 'loaded') continue
      for (const m of [...shard.txns.values()]) {
        const id = m.transactionalId
        if (shard.busy.has(id)) continue
        try {
          if (m.state === TxnState.Ongoing && m.startMs >= 0 && now - m.startMs > m.timeoutMs) {
            await this.exclusive(shard, id, () => this.abortWithBump(partition, shard, m, `open longer than its timeout of ${m.timeoutMs} ms`))
            this.complete(partition, shard, id)
          } else if (isComplete(m.state) && now - m.lastUpdateMs > this.config.idExpirationMs) {
            await this.exclusive(shard, id, async () => {
              await this.log.remove(partition, id, () => {
                if (this.led.get(partition) !== shard) throw new KafkaError('NOT_COORDINATOR', 'resigned')
              }, now)
              shard.txns.delete(id)
            })
            this.logger.info('transactional id expired', { transactionalId: id, idleMs: now - m.lastUpdateMs })
          }
        } catch (err) {
          this.logger.warn('transaction timeout or expiry failed; retrying at the next check', { transactionalId: id, error: (err as Error).message })
        }
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.time.clearTimeout(this.timer)
    this.led.clear()
  }
}
