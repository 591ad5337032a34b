/**
 * SyncGroup (key 14), versions 0-5.
 *
 * Behaviour: the leader's assignments are stored (in `__consumer_offsets`, as a GroupMetadata
 * record) and handed to every member; followers wait for them, and their own assignments are
 * ignored, as in Kafka. Errors: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID,
 * REBALANCE_IN_PROGRESS (a new rebalance started), INCONSISTENT_GROUP_PROTOCOL (v5 protocol
 * type/name differ from the group's). NOT_COORDINATOR when this broker does not lead the
 * group's `__consumer_offsets` partition (also for a sync waiting when the partition moves
 * away), COORDINATOR_LOAD_IN_PROGRESS while it loads.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { SyncGroupRequest, SyncGroupResponse } from '../../protocol/generated/sync-group.js'
import type { Handler } from '../handler.js'
import { errorCodeOf, withGroup } from './group-common.js'

export const syncGroupHandler: Handler<typeof ApiKey.SyncGroup> = {
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  request: SyncGroupRequest,
  response: SyncGroupResponse,
  async handle(req, ctx) {
    const r = await withGroup(ctx, 'READ', req.groupId, () => ctx.broker.groups
      .sync({
        groupId: req.groupId,
        generationId: req.generationId,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId ?? null,
        protocolType: ctx.apiVersion >= 5 ? (req.protocolType ?? null) : null,
        protocolName: ctx.apiVersion >= 5 ? (req.protocolName ?? null) : null,
        // Copies: the request frame's memory is not ours to keep.
        assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
      }))
      .catch((err: unknown) => ({ errorCode: errorCodeOf(ctx, err, 'sync group', req.groupId), protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }))
    return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment }
  },
}
