/**
 * FindCoordinator (key 10), versions 0-6.
 *
 * Behaviour:
 * - v0-3 ask for one key (v0: always a group), v4+ for a batch of keys of one type (KIP-699),
 *   each answered on its own.
 * - Groups (key type 0): the coordinator is the leader of `__consumer_offsets` partition
 *   abs(javaHashCode(group)) % partitions, with its advertised host and port. The topic is
 *   created first if needed, so the first lookup already gets an answer (Kafka answers
 *   COORDINATOR_NOT_AVAILABLE while it creates the topic, and the client retries). Any group id,
 *   "" included, has a coordinator.
 * - Transactions (key type 1): the leader of `__transaction_state` partition
 *   abs(javaHashCode(id)) % partitions, the topic created first if needed (as for groups).
 * - Share groups (key type 2): INVALID_REQUEST below v6 (as Kafka), COORDINATOR_NOT_AVAILABLE
 *   on v6 (share groups are not supported, as a Kafka 4 broker without them enabled answers).
 *   Other key types: INVALID_REQUEST.
 * - An error answers node -1, host "", port -1, as Kafka's Node.noNode. On v1-3 a success carries
 *   the error message "NONE", as Kafka's does.
 *
 * - Authorization: DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED) or the transactional id
 *   (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), checked before the coordinator topic is made.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { FindCoordinatorRequest, FindCoordinatorResponse, type FindCoordinatorResponseCoordinator } from '../../protocol/generated/find-coordinator.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { GROUP_METADATA_TOPIC } from '../../coordinator/group/group-log.js'
import { TRANSACTION_STATE_TOPIC } from '../../coordinator/txn/coordinator.js'
import { brokerAddress } from '../../metadata/types.js'
import type { Handler, RequestContext } from '../handler.js'
import { authorize } from '../../security/authorizer/broker-authorizer.js'

const GROUP = 0
const TRANSACTION = 1
const SHARE = 2

async function lookup(ctx: RequestContext, keyType: number, key: string): Promise<FindCoordinatorResponseCoordinator> {
  const none = (errorCode: number, errorMessage: string): FindCoordinatorResponseCoordinator => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage })
  switch (keyType) {
    case GROUP:
      if (!authorize(ctx, 'DESCRIBE', 'GROUP', key)) return none(ErrorCode.GROUP_AUTHORIZATION_FAILED, 'Not authorized to access the group.')
      break
    case TRANSACTION:
      if (!authorize(ctx, 'DESCRIBE', 'TRANSACTIONAL_ID', key)) return none(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'Not authorized to access the transactional id.')
      return transactionCoordinator(ctx, key, none)
    case SHARE:
      if (ctx.apiVersion < 6) return none(ErrorCode.INVALID_REQUEST, 'Share group coordinators need FindCoordinator v6 or later.')
      return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'Share groups are not supported.')
    default:
      return none(ErrorCode.INVALID_REQUEST, `Unknown coordinator key type ${keyType}.`)
  }
  const groups = ctx.broker.groups
  try {
    await groups.ensureTopic()
    const leader = ctx.broker.metadata.topic(GROUP_METADATA_TOPIC)?.partitions[groups.partitionFor(key)]?.leader
    const node = ctx.broker.metadata.brokers().find((b) => b.nodeId === leader)
    const addr = node && brokerAddress(node, ctx.listenerName)
    if (!node || !addr) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, `The coordinator's partition has no live leader.`)
    return { key, nodeId: node.nodeId, host: addr.host, port: addr.port, errorCode: ErrorCode.NONE, errorMessage: null }
  } catch (err) {
    const code = err instanceof KafkaError ? err.code : ErrorCode.COORDINATOR_NOT_AVAILABLE
    return none(code, (err as Error).message)
  }
}

async function transactionCoordinator(
  ctx: RequestContext,
  key: string,
  none: (errorCode: number, errorMessage: string) => FindCoordinatorResponseCoordinator,
): Promise<FindCoordinatorResponseCoordinator> {
  // Kafka refuses an empty transactional id here (a producer without one is not transactional).
  if (key === '') return none(ErrorCode.INVALID_REQUEST, 'An empty transactional id has no coordinator.')
  const txns = ctx.broker.txns
  try {
    await txns.ensureTopic()
    const leader = ctx.broker.metadata.topic(TRANSACTION_STATE_TOPIC)?.partitions[txns.partitionFor(key)]?.leader
    const node = ctx.broker.metadata.brokers().find((b) => b.nodeId === leader)
    const addr = node && brokerAddress(node, ctx.listenerName)
    if (!node || !addr) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, `The coordinator's partition has no live leader.`)
    return { key, nodeId: node.nodeId, host: addr.host, port: addr.port, errorCode: ErrorCode.NONE, errorMessage: null }
  } catch (err) {
    const code = err instanceof KafkaError ? err.code : ErrorCode.COORDINATOR_NOT_AVAILABLE
    return none(code, (err as Error).message)
  }
}

export const findCoordinatorHandler: Handler<typeof ApiKey.FindCoordinator> = {
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  request: FindCoordinatorRequest,
  response: FindCoordinatorResponse,
  async handle(req, ctx) {
    const keyType = ctx.apiVersion >= 1 ? (req.keyType ?? GROUP) : GROUP
    if (ctx.apiVersion >= 4) {
      const coordinators = await Promise.all((req.coordinatorKeys ?? []).map((k) => lookup(ctx, keyType, k)))
      return { throttleTimeMs: 0, coordinators }
    }
    const c = await lookup(ctx, keyType, req.key ?? '')
    // Kafka fills v1-3's message from Errors.message(), which is "NONE" on success.
    const errorMessage = c.errorCode === ErrorCode.NONE ? 'NONE' : c.errorMessage
    return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage, nodeId: c.nodeId, host: c.host, port: c.port }
  },
}
