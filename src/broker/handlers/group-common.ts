/** Small pieces the group handlers share. */
import type { RequestContext } from '../handler.js'

/** Kafka reports a member's host as "/" + its IP address. */
export function clientHost(ctx: RequestContext): string {
  const at = ctx.clientAddress.lastIndexOf(':')
  return '/' + (at > 0 ? ctx.clientAddress.slice(0, at) : ctx.clientAddress).replace(/^::ffff:/, '')
}
