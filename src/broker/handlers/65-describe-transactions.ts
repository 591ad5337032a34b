/**
 * DescribeTransactions (key 65), version 0 (KIP-664): the state of each transactional id this
 * broker coordinates (TransactionCoordinator.describe): state name as Kafka's (Empty, Ongoing,
 * PrepareCommit, ...), timeout, start time (-1 outside a transaction), producer id and epoch,
 * and the partitions of the open transaction.
 *
 * Per id: NOT_COORDINATOR (its `__transaction_state` partition is led elsewhere),
 * COORDINATOR_LOAD_IN_PROGRESS, TRANSACTIONAL_ID_NOT_FOUND, as Kafka.
 *
 * Gaps: no ACLs (Kafka requires DESCRIBE on the transactional id).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { DescribeTransactionsRequest, DescribeTransactionsResponse, type DescribeTransactionsResponseTransactionState } from '../../protocol/generated/describe-transactions.js'
import { ErrorCode } from '../../protocol/errors.js'
import { TXN_STATE_NAMES } from '../../coordinator/txn/txn-metadata.js'
import { splitTp } from '../../coordinator/txn/txn-log.js'
import type { Handler, RequestContext } from '../handler.js'
import { coordinatorCode } from './txn-common.js'

function failed(transactionalId: string, errorCode: number): DescribeTransactionsResponseTransactionState {
  return { errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] }
}

async function describeOne(ctx: RequestContext, transactionalId: string): Promise<DescribeTransactionsResponseTransactionState> {
  try {
    const m = await ctx.broker.txns.describe(transactionalId)
    if (!m) return failed(transactionalId, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)
    const byTopic = new Map<string, number[]>()
    for (const [topic, partition] of [...m.partitions].map(splitTp)) {
      let list = byTopic.get(topic)
      if (!list) byTopic.set(topic, (list = []))
      list.push(partition)
    }
    return {
      errorCode: ErrorCode.NONE,
      transactionalId,
      transactionState: TXN_STATE_NAMES[m.state] ?? 'Unknown',
      transactionTimeoutMs: m.timeoutMs,
      transactionStartTimeMs: BigInt(m.startMs),
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) })),
    }
  } catch (err) {
    return failed(transactionalId, coordinatorCode(err))
  }
}

export const describeTransactionsHandler: Handler<typeof ApiKey.DescribeTransactions> = {
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  request: DescribeTransactionsRequest,
  response: DescribeTransactionsResponse,
  async handle(req, ctx) {
    return { throttleTimeMs: 0, transactionStates: await Promise.all(req.transactionalIds.map((id) => describeOne(ctx, id))) }
  },
}
