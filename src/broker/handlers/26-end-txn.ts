/**
 * EndTxn (key 26), versions 0-5.
 *
 * Behaviour: commits (committed = true) or aborts the producer's transaction
 * (TransactionCoordinator.endTxn): answered once PrepareCommit/PrepareAbort is in
 * `__transaction_state`; the markers and the Complete state follow. A retry after completion
 * answers NONE, the other outcome INVALID_TXN_STATE; a commit or abort still completing is
 * CONCURRENT_TRANSACTIONS; a fenced producer PRODUCER_FENCED (v2+; before:
 * INVALID_PRODUCER_EPOCH); a producer whose transaction timed out learns it here, fenced.
 * v5 answers the producer id and epoch (unchanged: transaction version 1).
 *
 * Gaps: transaction version 2 (KIP-890 part 2: the epoch bumped by every EndTxn v5, implicit
 * partition adds by Produce v12) is not served; clients keep version 1, which is what this
 * broker's ApiVersions features announce (none).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { EndTxnRequest, EndTxnResponse } from '../../protocol/generated/end-txn.js'
import { ErrorCode } from '../../protocol/errors.js'
import { authorize } from '../../security/authorizer/broker-authorizer.js'
import type { Handler } from '../handler.js'
import { coordinatorCode, fencedCode } from './txn-common.js'

export const endTxnHandler: Handler<typeof ApiKey.EndTxn> = {
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 5,
  request: EndTxnRequest,
  response: EndTxnResponse,
  async handle(req, ctx) {
    if (!authorize(ctx, 'WRITE', 'TRANSACTIONAL_ID', req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED }
    let errorCode: number
    try {
      errorCode = await ctx.broker.txns.endTxn({
        transactionalId: req.transactionalId,
        producerId: req.producerId,
        producerEpoch: req.producerEpoch,
        commit: req.committed,
        fencedCode: fencedCode(ctx.apiVersion, 2),
      })
    } catch (err) {
      errorCode = coordinatorCode(err)
    }
    return { throttleTimeMs: 0, errorCode, producerId: req.producerId, producerEpoch: req.producerEpoch }
  },
}
