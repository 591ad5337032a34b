/**
 * ListTransactions (key 66), versions 0-1 (KIP-664; v1 the duration filter of KIP-994): the
 * transactional ids of every `__transaction_state` partition this broker leads and has loaded
 * (TransactionCoordinator.listTransactions), with producer id and state name. Filters: state
 * names (ones Kafka does not know come back in unknownStateFilters and match nothing),
 * producer ids, and (v1) only transactions open longer than durationFilter ms. While any
 * partition loads: COORDINATOR_LOAD_IN_PROGRESS with no ids, as ListGroups.
 *
 * Gaps: no ACLs (Kafka lists only the ids the principal may DESCRIBE).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { ListTransactionsRequest, ListTransactionsResponse } from '../../protocol/generated/list-transactions.js'
import { TXN_STATE_NAMES } from '../../coordinator/txn/txn-metadata.js'
import type { Handler } from '../handler.js'

export const listTransactionsHandler: Handler<typeof ApiKey.ListTransactions> = {
  apiKey: ApiKey.ListTransactions,
  minVersion: 0,
  maxVersion: 1,
  request: ListTransactionsRequest,
  response: ListTransactionsResponse,
  async handle(req, ctx) {
    const r = ctx.broker.txns.listTransactions({ states: req.stateFilters, producerIds: req.producerIdFilters, durationMs: Number(req.durationFilter ?? -1n) })
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      unknownStateFilters: r.unknownStates,
      transactionStates: r.txns
        .sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0))
        .map((m) => ({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: TXN_STATE_NAMES[m.state] ?? 'Unknown' })),
    }
  },
}
