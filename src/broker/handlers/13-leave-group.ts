/**
 * LeaveGroup (key 13), versions 0-5.
 *
 * Behaviour: v0-2 remove one member by id; v3+ a batch, by member id or (static members)
 * group instance id, with per-member errors (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID). The
 * group rebalances without the members that left. Request-wide errors (top level, no members
 * on v3+, as Kafka): NOT_COORDINATOR when this broker does not lead the group's
 * `__consumer_offsets` partition, COORDINATOR_LOAD_IN_PROGRESS while it loads,
 * COORDINATOR_NOT_AVAILABLE for a group being deleted.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { LeaveGroupRequest, LeaveGroupResponse } from '../../protocol/generated/leave-group.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { Handler } from '../handler.js'
import { errorCodeOf, withGroup } from './group-common.js'

export const leaveGroupHandler: Handler<typeof ApiKey.LeaveGroup> = {
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  request: LeaveGroupRequest,
  response: LeaveGroupResponse,
  async handle(req, ctx) {
    const batch = ctx.apiVersion >= 3
    const leaving = batch ? (req.members ?? []).map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })) : [{ memberId: req.memberId ?? '', groupInstanceId: null }]
    let r: { errorCode: number; members: number[] }
    try {
      r = await withGroup(ctx, 'READ', req.groupId, () => ctx.broker.groups.leave(req.groupId, leaving))
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: errorCodeOf(ctx, err, 'leave group', req.groupId), members: [] }
    }
    if (!batch) return { throttleTimeMs: 0, errorCode: r.errorCode, members: [] }
    // v3+: the top-level code is for request-wide failures only; each member has its own.
    const wide = r.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE || r.errorCode === ErrorCode.NOT_COORDINATOR ? r.errorCode : ErrorCode.NONE
    return {
      throttleTimeMs: 0,
      errorCode: wide,
      members: leaving.map((m, i) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: r.members[i]! })),
    }
  },
}
