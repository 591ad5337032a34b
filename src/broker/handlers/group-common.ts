/** Small pieces the group handlers share. */
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { RequestContext } from '../handler.js'
import { authorize } from '../../security/authorizer/broker-authorizer.js'
import type { Action } from '../../security/authorizer/standard-authorizer.js'

/**
 * Runs `fn` when the principal may do `op` on the group; otherwise rejects with
 * GROUP_AUTHORIZATION_FAILED, which the handler's error path answers like any coordinator error.
 */
export function withGroup<T>(ctx: RequestContext, op: Action, groupId: string, fn: () => Promise<T>): Promise<T> {
  if (!authorize(ctx, op, 'GROUP', groupId)) return Promise.reject(new KafkaError('GROUP_AUTHORIZATION_FAILED'))
  return fn()
}

/** Kafka reports a member's host as "/" + its IP address. */
export function clientHost(ctx: RequestContext): string {
  const at = ctx.clientAddress.lastIndexOf(':')
  return '/' + (at > 0 ? ctx.clientAddress.slice(0, at) : ctx.clientAddress).replace(/^::ffff:/, '')
}

/**
 * The error code a group request answers for what the coordinator threw: a KafkaError's own
 * (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, ...); anything else is a bug, logged with the
 * client and answered UNKNOWN_SERVER_ERROR.
 */
export function errorCodeOf(ctx: RequestContext, err: unknown, what: string, groupId: string): number {
  if (err instanceof KafkaError) return err.code
  ctx.broker.logger.error(`${what} failed`, { group: groupId, client: ctx.clientAddress, error: (err as Error)?.message })
  return ErrorCode.UNKNOWN_SERVER_ERROR
}
