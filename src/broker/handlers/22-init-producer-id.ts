/**
 * InitProducerId (key 22), versions 0-5.
 *
 * Behaviour:
 * - Without a transactional id (an idempotent producer): a new producer id with epoch 0, every
 *   time, whatever producer id and epoch v3+ send (Kafka's rule: KIP-360's bump applies to
 *   transactional ids; an idempotent producer that lost its sequence state simply starts over
 *   with a fresh id). Ids come from blocks reserved durably in the metadata store
 *   (broker/producer-ids.ts), so no id is handed out twice, across restarts too.
 * - With a transactional id: the transaction coordinator's (coordinator/txn/coordinator.ts):
 *   NOT_COORDINATOR unless this broker leads the id's `__transaction_state` partition; a new
 *   producer id with epoch 0 the first time, later the epoch bumped (fencing older producers:
 *   their requests then answer PRODUCER_FENCED, INVALID_PRODUCER_EPOCH before v4); an open
 *   transaction is aborted first (CONCURRENT_TRANSACTIONS until it is); a timeout above
 *   transaction.max.timeout.ms is INVALID_TRANSACTION_TIMEOUT; with a producer id and epoch
 *   (v3+) only that producer may bump (INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED).
 * - An empty transactional id is INVALID_REQUEST, as in Kafka.
 * - When a new block cannot be recorded (the metadata file's disk failed) the answer is
 *   COORDINATOR_NOT_AVAILABLE, which clients retry, and the broker logs the cause.
 *
 * Authorization: WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); an
 * idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic (KIP-679),
 * else CLUSTER_AUTHORIZATION_FAILED.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { InitProducerIdRequest, InitProducerIdResponse } from '../../protocol/generated/init-producer-id.js'
import { ErrorCode } from '../../protocol/errors.js'
import { authorize, authorizeAny, authorizeCluster } from '../../security/authorizer/broker-authorizer.js'
import type { Handler } from '../handler.js'
import { coordinatorCode } from './txn-common.js'

export const initProducerIdHandler: Handler<typeof ApiKey.InitProducerId> = {
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  request: InitProducerIdRequest,
  response: InitProducerIdResponse,
  async handle(req, ctx) {
    const fail = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 })
    if (req.transactionalId === '') return fail(ErrorCode.INVALID_REQUEST)
    // Transactional: WRITE on the id. Idempotent: IDEMPOTENT_WRITE on the cluster or WRITE on some topic (KIP-679).
    if (req.transactionalId !== null && !authorize(ctx, 'WRITE', 'TRANSACTIONAL_ID', req.transactionalId)) return fail(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    if (req.transactionalId === null && !authorizeCluster(ctx, 'IDEMPOTENT_WRITE') && !authorizeAny(ctx, 'WRITE', 'TOPIC')) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED)
    if (req.transactionalId !== null) {
      try {
        return {
          throttleTimeMs: 0,
          ...(await ctx.broker.txns.initProducerId({
            transactionalId: req.transactionalId,
            timeoutMs: req.transactionTimeoutMs,
            producerId: req.producerId ?? -1n,
            producerEpoch: req.producerEpoch ?? -1,
            fencedCode: ctx.apiVersion >= 4 ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH,
          })),
        }
      } catch (err) {
        return fail(coordinatorCode(err))
      }
    }
    try {
      const producerId = await ctx.broker.producerIds.generate()
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 }
    } catch (err) {
      ctx.broker.logger.error('cannot allocate producer ids', { client: ctx.clientAddress, error: (err as Error).message })
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    }
  },
}
