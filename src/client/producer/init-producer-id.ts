/**
 * InitProducerId from the client side: an idempotent producer asks any broker; a transactional
 * one asks its transaction coordinator, naming its transactional id (and, to bump the epoch of
 * an id it already holds, that id and epoch: KIP-360). Retriable answers (a coordinator loading
 * or moved, CONCURRENT_TRANSACTIONS while the previous transaction completes, dropped
 * connections) are retried with backoff until `deadline`; anything else fails at once, with the
 * broker's error.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { ErrorCode } from '../../protocol/errors.js'
import { CoordinatorType, isCoordinatorMoved, type Cluster } from '../base/cluster.js'
import { ClientError, errorFor, isRetriable } from '../base/errors.js'
import type { ProducerIdAndEpoch } from './idempotence.js'

export interface InitProducerIdOptions {
  transactionalId: string | null
  transactionTimeoutMs: number
  /** The id and epoch held now, to have the epoch bumped rather than a new id (InitProducerId v3+). */
  current?: ProducerIdAndEpoch
  /** Gives up (with the last error) past this time; default: never. */
  deadline?: number
}

export async function initProducerId(cluster: Cluster, o: InitProducerIdOptions): Promise<ProducerIdAndEpoch> {
  const deadline = o.deadline ?? Infinity
  const what = o.transactionalId === null ? 'a producer id for idempotence' : `a producer id for transactional id ${JSON.stringify(o.transactionalId)}`
  for (let attempt = 0; ; attempt++) {
    if (cluster.isClosed) throw new ClientError('CLIENT_CLOSED', 'the producer is closed')
    let err: Error
    try {
      const conn = o.transactionalId === null ? await cluster.anyConnection() : await cluster.coordinatorConnection(CoordinatorType.Transaction, o.transactionalId)
      let version: number
      try {
        version = conn.version(ApiKey.InitProducerId, 5, o.current ? 3 : 0)
      } catch (e) {
        throw new ClientError('UNSUPPORTED_VERSION', `could not get ${what}: ${(e as Error).message}; with a broker this old, set idempotent: false`)
      }
      const resp = await conn.request(
        ApiKey.InitProducerId,
        {
          transactionalId: o.transactionalId,
          transactionTimeoutMs: o.transactionTimeoutMs,
          producerId: o.current?.producerId ?? -1n,
          producerEpoch: o.current?.epoch ?? -1,
        },
        { version },
      )
      if (resp.errorCode === ErrorCode.NONE) return { producerId: resp.producerId, epoch: resp.producerEpoch }
      if (o.transactionalId !== null && isCoordinatorMoved(resp.errorCode)) cluster.forgetCoordinator(CoordinatorType.Transaction, o.transactionalId)
      err = errorFor(resp.errorCode, `getting ${what}`)!
      if (!isRetriable(err)) throw err
    } catch (e) {
      if (!isRetriable(e)) throw e
      err = e as Error
    }
    await cluster.sleepUntilRetry(attempt, deadline, err)
  }
}
