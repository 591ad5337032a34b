/**
 * AddOffsetsToTxn (key 25), versions 0-4.
 *
 * Behaviour: the group's `__consumer_offsets` partition joins the producer's transaction (as
 * AddPartitionsToTxn would add it), so its TxnOffsetCommits get the transaction's marker; the
 * codes are AddPartitionsToTxn's (PRODUCER_FENCED from v2, INVALID_PRODUCER_EPOCH before).
 * `__consumer_offsets` is created first if needed, as FindCoordinator does.
 *
 * Authorization: WRITE on the transactional id, READ on the group.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../../protocol/generated/add-offsets-to-txn.js'
import { GROUP_METADATA_TOPIC } from '../../coordinator/group/group-log.js'
import { ErrorCode } from '../../protocol/errors.js'
import { authorize } from '../../security/authorizer/broker-authorizer.js'
import type { Handler } from '../handler.js'
import { coordinatorCode, fencedCode } from './txn-common.js'

export const addOffsetsToTxnHandler: Handler<typeof ApiKey.AddOffsetsToTxn> = {
  apiKey: ApiKey.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  request: AddOffsetsToTxnRequest,
  response: AddOffsetsToTxnResponse,
  async handle(req, ctx) {
    if (!authorize(ctx, 'WRITE', 'TRANSACTIONAL_ID', req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED }
    if (!authorize(ctx, 'READ', 'GROUP', req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }
    try {
      await ctx.broker.groups.ensureTopic()
      const errorCode = await ctx.broker.txns.addPartitions({
        transactionalId: req.transactionalId,
        producerId: req.producerId,
        producerEpoch: req.producerEpoch,
        partitions: [{ topic: GROUP_METADATA_TOPIC, partition: ctx.broker.groups.partitionFor(req.groupId) }],
        fencedCode: fencedCode(ctx.apiVersion, 2),
      })
      return { throttleTimeMs: 0, errorCode }
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: coordinatorCode(err) }
    }
  },
}
