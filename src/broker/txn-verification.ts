/**
 * Transaction verification (KIP-890 part 1, Kafka 3.6+'s transaction.partition.verification.enable):
 * before a partition leader appends the first transactional batch of a producer's transaction,
 * or the group coordinator writes a transaction's offsets, it asks the transaction coordinator
 * whether the partition was added to that producer's ongoing transaction. A write to a partition
 * never added (a client bug, or a zombie whose transaction was aborted and whose late batch would
 * otherwise open a transaction nobody ends: a hanging transaction) is refused and nothing is
 * appended.
 *
 * The coordinator of the id is the leader of its `__transaction_state` partition: this broker's
 * own coordinator is asked directly, another broker with AddPartitionsToTxn v4 verifyOnly
 * (through BrokerPeers). Answers per partition, as Kafka's AddPartitionsToTxnManager maps them
 * for the writer:
 * - NONE: in the ongoing transaction;
 * - INVALID_PRODUCER_EPOCH: the id has another epoch now (the writer is fenced);
 * - INVALID_TXN_STATE: not in the transaction, no transaction, or another producer id;
 * - NOT_ENOUGH_REPLICAS (retriable for every client, as Kafka answers): the coordinator cannot be
 *   asked right now (no leader, loading, moved, unreachable).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import { ApiKey } from '../protocol/generated/api-keys.js'
import type { TransactionCoordinator } from '../coordinator/txn/coordinator.js'
import { TRANSACTION_STATE_TOPIC } from '../coordinator/txn/coordinator.js'
import type { CoordinatorBroker } from './coordinator-partitions.js'
import type { BrokerPeers } from './broker-peers.js'

export interface VerifyRequest {
  transactionalId: string
  producerId: bigint
  producerEpoch: number
  partitions: Array<{ topic: string; partition: number }>
}

/** AddPartitionsToTxn v4 is the first with verifyOnly (Kafka 3.6). */
const VERIFY_VERSION = 4

export class TxnVerifier {
  constructor(
    private readonly broker: CoordinatorBroker & { txns: TransactionCoordinator },
    private readonly peers: BrokerPeers,
  ) {}

  /** One code per partition of `req`, in order. */
  async verify(req: VerifyRequest): Promise<number[]> {
    const all = (code: number) => req.partitions.map(() => code)
    const state = this.broker.metadata.topic(TRANSACTION_STATE_TOPIC)
    // No __transaction_state: no transaction was ever begun, so none can include the partition.
    if (!state) return all(ErrorCode.INVALID_TXN_STATE)
    const leader = state.partitions[this.broker.txns.partitionFor(req.transactionalId)]?.leader ?? -1
    if (leader < 0) return all(ErrorCode.NOT_ENOUGH_REPLICAS)
    let codes: number[]
    try {
      codes = leader === this.broker.nodeId ? await this.broker.txns.verifyPartitions(req) : await this.remote(leader, req)
    } catch (err) {
      this.broker.logger.debug('transaction verification failed', { transactionalId: req.transactionalId, coordinator: leader, error: (err as Error).message })
      return all(err instanceof KafkaError ? writerCode(err.code) : ErrorCode.NOT_ENOUGH_REPLICAS)
    }
    return codes.map(writerCode)
  }

  private async remote(leader: number, req: VerifyRequest): Promise<number[]> {
    const conn = await this.peers.connection(leader)
    if (!conn) throw new KafkaError('COORDINATOR_NOT_AVAILABLE', `broker ${leader} is not registered`)
    const topics = new Map<string, number[]>()
    for (const p of req.partitions) {
      let list = topics.get(p.topic)
      if (!list) topics.set(p.topic, (list = []))
      list.push(p.partition)
    }
    let resp
    try {
      resp = await conn.request(
        ApiKey.AddPartitionsToTxn,
        { transactions: [{ transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, verifyOnly: true, topics: [...topics].map(([name, partitions]) => ({ name, partitions })) }] },
        { version: Math.max(VERIFY_VERSION, conn.version(ApiKey.AddPartitionsToTxn, 5, VERIFY_VERSION)), signal: this.peers.signal },
      )
    } catch (err) {
      this.peers.drop(leader, conn)
      throw err
    }
    if (resp.errorCode) throw new KafkaError(resp.errorCode, `the transaction coordinator (broker ${leader}) refused the verification`)
    const answered = new Map<string, number>()
    for (const tx of resp.resultsByTransaction ?? []) {
      if (tx.transactionalId !== req.transactionalId) continue
      for (const t of tx.topicResults) for (const p of t.resultsByPartition) answered.set(`${t.name}\u0000${p.partitionIndex}`, p.partitionErrorCode)
    }
    return req.partitions.map((p) => answered.get(`${p.topic}\u0000${p.partition}`) ?? ErrorCode.COORDINATOR_NOT_AVAILABLE)
  }
}

/** The coordinator's verify answer as the writer's error code. */
function writerCode(code: number): number {
  switch (code) {
    case ErrorCode.NONE:
    case ErrorCode.INVALID_PRODUCER_EPOCH:
      return code
    case ErrorCode.PRODUCER_FENCED:
      return ErrorCode.INVALID_PRODUCER_EPOCH
    case ErrorCode.NOT_COORDINATOR:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.CONCURRENT_TRANSACTIONS:
      return ErrorCode.NOT_ENOUGH_REPLICAS
    default:
      return ErrorCode.INVALID_TXN_STATE
  }
}
