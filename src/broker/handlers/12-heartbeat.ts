/**
 * Heartbeat (key 12), versions 0-4.
 *
 * Behaviour: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin;
 * ILLEGAL_GENERATION for a stale generation, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID (v3+).
 * NOT_COORDINATOR when this broker does not lead the group's `__consumer_offsets` partition;
 * while that partition loads the answer is NONE, as Kafka's ("respond blindly").
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { HeartbeatRequest, HeartbeatResponse } from '../../protocol/generated/heartbeat.js'
import type { Handler } from '../handler.js'
import { errorCodeOf, withGroup } from './group-common.js'

export const heartbeatHandler: Handler<typeof ApiKey.Heartbeat> = {
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  request: HeartbeatRequest,
  response: HeartbeatResponse,
  async handle(req, ctx) {
    const errorCode = await withGroup(ctx, 'READ', req.groupId, () => ctx.broker.groups.heartbeat(req.groupId, req.memberId, req.groupInstanceId ?? null, req.generationId))
      .catch((err: unknown) => errorCodeOf(ctx, err, 'heartbeat', req.groupId))
    return { throttleTimeMs: 0, errorCode }
  },
}
