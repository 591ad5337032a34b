/**
 * JoinGroup (key 11), versions 0-9 (classic consumer group protocol).
 *
 * Behaviour (see src/coordinator/group/membership.ts): KIP-394 member ids (v4+ get
 * MEMBER_ID_REQUIRED first), protocol type and protocol vote checks (INCONSISTENT_GROUP_PROTOCOL),
 * session timeout bounds (`group.min/max.session.timeout.ms`, INVALID_SESSION_TIMEOUT),
 * `group.max.size` (GROUP_MAX_SIZE_REACHED), the initial rebalance delay, static membership
 * (v5+, KIP-345; v9 skipAssignment for a static leader's rejoin). v0 carries no rebalance
 * timeout: the session timeout is used, as Kafka does. A group whose `__consumer_offsets`
 * partition this broker does not lead gets NOT_COORDINATOR, one still loading
 * COORDINATOR_LOAD_IN_PROGRESS; a JoinGroup waiting for a rebalance when the partition moves away
 * is answered NOT_COORDINATOR.
 *
 * Gaps: none known for the classic protocol; KIP-848 (ConsumerGroupHeartbeat) is not served.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { JoinGroupRequest, JoinGroupResponse } from '../../protocol/generated/join-group.js'
import type { Handler } from '../handler.js'
import { clientHost, errorCodeOf, withGroup } from './group-common.js'

export const joinGroupHandler: Handler<typeof ApiKey.JoinGroup> = {
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  request: JoinGroupRequest,
  response: JoinGroupResponse,
  async handle(req, ctx) {
    const r = await withGroup(ctx, 'READ', req.groupId, () => ctx.broker.groups
      .join({
        groupId: req.groupId,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId ?? null,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: ctx.apiVersion >= 1 ? (req.rebalanceTimeoutMs ?? req.sessionTimeoutMs) : req.sessionTimeoutMs,
        protocolType: req.protocolType,
        protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
        clientId: ctx.clientId ?? '',
        clientHost: clientHost(ctx),
        requireKnownMemberId: ctx.apiVersion >= 4,
        supportsSkipAssignment: ctx.apiVersion >= 9,
      }))
      .catch((err: unknown) => ({
        errorCode: errorCodeOf(ctx, err, 'join group', req.groupId),
        generationId: -1,
        protocolType: null,
        protocolName: null,
        leader: '',
        memberId: req.memberId,
        members: [],
        skipAssignment: false,
      }))
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      generationId: r.generationId,
      protocolType: r.protocolType,
      // Below v7 the protocol name is not nullable: an error answers an empty one.
      protocolName: r.protocolName ?? (ctx.apiVersion >= 7 ? null : ''),
      leader: r.leader,
      skipAssignment: r.skipAssignment,
      memberId: r.memberId,
      members: r.members,
    }
  },
}
