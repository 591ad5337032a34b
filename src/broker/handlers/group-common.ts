/** Small pieces the group handlers share. */
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { RequestContext } from '../handler.js'

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
