/**
 * The transactional producer's side of Kafka's transaction protocol (version 1, as the Java
 * client's TransactionManager): the transaction coordinator of the transactional id is asked for
 * the producer id (InitProducerId, which fences older producers of the id and aborts what they
 * left open); each partition a transaction writes to is added (AddPartitionsToTxn) before its
 * first batch goes; offsets are added to the transaction (AddOffsetsToTxn, then TxnOffsetCommit
 * to the group's coordinator); EndTxn commits or aborts once every record was acknowledged.
 *
 * States: ready → (beginTransaction) in-transaction → (commit/abort) ready. A failed batch makes
 * the transaction abortable: commit then throws and only abort is allowed. Fencing
 * (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH, TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
 * INVALID_PRODUCER_ID_MAPPING) is fatal: every later call throws it; close the producer.
 *
 * Retries: CONCURRENT_TRANSACTIONS (the previous transaction is still completing), a coordinator
 * loading or moved, dropped connections: with backoff, up to maxBlockMs per call.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { ErrorCode } from '../../protocol/errors.js'
import { CoordinatorType, isCoordinatorMoved, type Cluster } from '../base/cluster.js'
import { ClientError, errorFor, isRetriable, KafkaError } from '../base/errors.js'
import type { ResolvedProducerOptions } from './options.js'

export interface TopicPartitionOffset {
  topic: string
  partition: number
  /** The next offset to consume (the last processed one + 1), as Kafka's OffsetAndMetadata. */
  offset: bigint
  metadata?: string
}

export interface GroupMetadataForTxn {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
}

type State = 'ready' | 'in-transaction' | 'abortable' | 'completing'

const FATAL = new Set<number>([
  ErrorCode.PRODUCER_FENCED,
  ErrorCode.INVALID_PRODUCER_EPOCH,
  ErrorCode.INVALID_PRODUCER_ID_MAPPING,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
])

export class TransactionManager {
  private state: State = 'ready'
  /** The error that ended the producer (fenced); thrown by every later call. */
  fatal: Error | undefined
  /** Why the transaction must be aborted. */
  private abortReason: Error | undefined
  /** Partitions added to the current transaction, and those being added. */
  private readonly added = new Set<string>()
  private adding: Promise<void> | undefined
  private readonly wanted = new Set<string>()

  constructor(
    private readonly cluster: Cluster,
    private readonly opts: ResolvedProducerOptions,
    readonly transactionalId: string,
    /** The producer id and epoch in use (from the idempotent state). */
    private readonly producer: () => { producerId: bigint; epoch: number },
  ) {}

  get inTransaction(): boolean {
    return this.state === 'in-transaction' || this.state === 'abortable'
  }

  private checkFatal(): void {
    if (this.fatal) throw this.fatal
  }

  beginTransaction(): void {
    this.checkFatal()
    if (this.state !== 'ready') throw new ClientError('ILLEGAL_STATE', `cannot begin a transaction: one is ${this.state === 'completing' ? 'completing' : 'already open'}; commit or abort it first`)
    this.state = 'in-transaction'
    this.added.clear()
    this.wanted.clear()
    this.abortReason = undefined
  }

  /** Throws unless records may be sent now (a transaction is open). */
  checkSend(): void {
    this.checkFatal()
    if (this.state === 'ready') throw new ClientError('ILLEGAL_STATE', 'a transactional producer sends only inside a transaction: call beginTransaction() first')
    if (this.state === 'completing') throw new ClientError('ILLEGAL_STATE', 'the transaction is being committed or aborted; begin the next one first')
  }

  /** Whether `topic`-`partition` is in the transaction; if not, it is added in the background and `wake` runs after. */
  isAdded(topic: string, partition: number, wake: () => void): boolean {
    const k = `${topic}\u0000${partition}`
    if (this.added.has(k)) return true
    this.wanted.add(k)
    if (!this.adding) {
      this.adding = this.addWanted()
        .catch((e: Error) => this.onError(e))
        .finally(() => {
          this.adding = undefined
          wake()
        })
    }
    return false
  }

  /** A batch of the transaction failed: only abort is possible now. */
  batchFailed(e: Error): void {
    this.onError(e)
  }

  private onError(e: Error): void {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'number' && FATAL.has(code)) {
      this.fatal ??= e
      return
    }
    if (this.state === 'in-transaction') {
      this.state = 'abortable'
      this.abortReason = e
    }
  }

  private async addWanted(): Promise<void> {
    while (this.wanted.size > 0) {
      const keys = [...this.wanted]
      this.wanted.clear()
      const byTopic = new Map<string, number[]>()
      for (const k of keys) {
        const i = k.lastIndexOf('\u0000')
        const t = k.slice(0, i)
        let list = byTopic.get(t)
        if (!list) byTopic.set(t, (list = []))
        list.push(Number(k.slice(i + 1)))
      }
      await this.coordinatorCall('AddPartitionsToTxn', async (conn, id) => {
        const version = conn.version(ApiKey.AddPartitionsToTxn, 3)
        const r = await conn.request(
          ApiKey.AddPartitionsToTxn,
          { v3AndBelowTransactionalId: this.transactionalId, v3AndBelowProducerId: id.producerId, v3AndBelowProducerEpoch: id.epoch, v3AndBelowTopics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) },
          { version },
        )
        const codes = (r.resultsByTopicV3AndBelow ?? []).flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode))
        return codes.find((c) => c !== ErrorCode.NONE) ?? ErrorCode.NONE
      })
      for (const k of keys) this.added.add(k)
    }
  }

  /**
   * Adds the group's offsets to the transaction: visible to the group once it commits
   * (Kafka's sendOffsetsToTransaction).
   */
  async sendOffsets(offsets: TopicPartitionOffset[], group: GroupMetadataForTxn): Promise<void> {
    this.checkFatal()
    if (!this.inTransaction) throw new ClientError('ILLEGAL_STATE', 'sendOffsetsToTransaction needs an open transaction: call beginTransaction() first')
    if (this.abortReason) throw this.abortable()
    try {
      await this.coordinatorCall('AddOffsetsToTxn', async (conn, id) => {
        const version = conn.version(ApiKey.AddOffsetsToTxn, 3)
        const r = await conn.request(ApiKey.AddOffsetsToTxn, { transactionalId: this.transactionalId, producerId: id.producerId, producerEpoch: id.epoch, groupId: group.groupId }, { version })
        return r.errorCode
      })
      await this.groupCall(group.groupId, async (conn, id) => {
        const version = conn.version(ApiKey.TxnOffsetCommit, 3)
        const byTopic = new Map<string, TopicPartitionOffset[]>()
        for (const o of offsets) {
          let list = byTopic.get(o.topic)
          if (!list) byTopic.set(o.topic, (list = []))
          list.push(o)
        }
        const r = await conn.request(
          ApiKey.TxnOffsetCommit,
          {
            transactionalId: this.transactionalId,
            groupId: group.groupId,
            producerId: id.producerId,
            producerEpoch: id.epoch,
            generationId: group.generationId,
            memberId: group.memberId,
            groupInstanceId: group.groupInstanceId,
            topics: [...byTopic].map(([name, list]) => ({ name, partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata ?? '' })) })),
          },
          { version },
        )
        return r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)).find((c) => c !== ErrorCode.NONE) ?? ErrorCode.NONE
      })
    } catch (e) {
      this.onError(e as Error)
      throw e
    }
  }

  private abortable(): ClientError {
    return new ClientError('ILLEGAL_STATE', `the transaction must be aborted: ${this.abortReason!.message}`, false, { cause: this.abortReason })
  }

  /** EndTxn after the caller flushed every record; `commit` false aborts. */
  async end(commit: boolean): Promise<void> {
    this.checkFatal()
    if (!this.inTransaction) throw new ClientError('ILLEGAL_STATE', `no transaction to ${commit ? 'commit' : 'abort'}: call beginTransaction() first`)
    if (commit && this.abortReason) throw this.abortable()
    await this.adding?.catch(() => {})
    this.state = 'completing'
    try {
      // Nothing was added: the coordinator has no transaction to end (Kafka's client skips EndTxn too).
      if (this.added.size > 0) {
        await this.coordinatorCall('EndTxn', async (conn, id) => {
          const version = conn.version(ApiKey.EndTxn, 4)
          const r = await conn.request(ApiKey.EndTxn, { transactionalId: this.transactionalId, producerId: id.producerId, producerEpoch: id.epoch, committed: commit }, { version })
          return r.errorCode
        })
      }
      this.state = 'ready'
    } catch (e) {
      this.onError(e as Error)
      this.state = this.fatal ? 'completing' : 'abortable'
      if (!this.abortReason) this.abortReason = e as Error
      throw e
    }
  }

  /** One request to the transaction coordinator, retried as the class comment says; throws the broker's error. */
  private async coordinatorCall(what: string, call: (conn: Awaited<ReturnType<Cluster['coordinatorConnection']>>, id: { producerId: bigint; epoch: number }) => Promise<number>): Promise<void> {
    const deadline = Date.now() + this.opts.maxBlockMs
    for (let attempt = 0; ; attempt++) {
      let err: Error
      try {
        const conn = await this.cluster.coordinatorConnection(CoordinatorType.Transaction, this.transactionalId, deadline)
        const code = await call(conn, this.producer())
        if (code === ErrorCode.NONE) return
        if (isCoordinatorMoved(code)) this.cluster.forgetCoordinator(CoordinatorType.Transaction, this.transactionalId)
        err = errorFor(code, `${what} for transactional id ${JSON.stringify(this.transactionalId)}`)!
        if (!isRetriable(err)) throw err
      } catch (e) {
        if (!isRetriable(e)) {
          if (e instanceof KafkaError && FATAL.has(e.code)) this.fatal ??= e
          throw e
        }
        err = e as Error
      }
      await this.cluster.sleepUntilRetry(attempt, deadline, err)
    }
  }

  private async groupCall(groupId: string, call: (conn: Awaited<ReturnType<Cluster['coordinatorConnection']>>, id: { producerId: bigint; epoch: number }) => Promise<number>): Promise<void> {
    const deadline = Date.now() + this.opts.maxBlockMs
    for (let attempt = 0; ; attempt++) {
      let err: Error
      try {
        const conn = await this.cluster.coordinatorConnection(CoordinatorType.Group, groupId, deadline)
        const code = await call(conn, this.producer())
        if (code === ErrorCode.NONE) return
        if (isCoordinatorMoved(code)) this.cluster.forgetCoordinator(CoordinatorType.Group, groupId)
        err = errorFor(code, `TxnOffsetCommit for group ${JSON.stringify(groupId)}`)!
        if (!isRetriable(err)) throw err
      } catch (e) {
        if (!isRetriable(e)) throw e
        err = e as Error
      }
      await this.cluster.sleepUntilRetry(attempt, deadline, err)
    }
  }
}
