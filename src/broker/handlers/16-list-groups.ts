/**
 * ListGroups (key 16), versions 0-5.
 *
 * Behaviour: every group this broker coordinates (including "simple" groups known only by
 * their committed offsets), with its protocol type, state (v4+, filtered
 * by statesFilter, case-insensitive as in Kafka) and type "classic" (v5+, typesFilter).
 * Only the `__consumer_offsets` partitions this broker leads and has loaded are listed; while
 * any of them loads the answer is COORDINATOR_LOAD_IN_PROGRESS with no groups, as Kafka's.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { ListGroupsRequest, ListGroupsResponse } from '../../protocol/generated/list-groups.js'
import { authorize, authorizeCluster } from '../../security/authorizer/broker-authorizer.js'
import type { Handler } from '../handler.js'

export const listGroupsHandler: Handler<typeof ApiKey.ListGroups> = {
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  request: ListGroupsRequest,
  response: ListGroupsResponse,
  async handle(req, ctx) {
    const { errorCode, groups } = ctx.broker.groups.list()
    const states = new Set((req.statesFilter ?? []).map((s) => s.toLowerCase()))
    const types = new Set((req.typesFilter ?? []).map((s) => s.toLowerCase()))
    // DESCRIBE on the cluster lists every group; otherwise only those the principal may DESCRIBE (Kafka).
    const all = authorizeCluster(ctx, 'DESCRIBE')
    const listed = groups
      .filter((g) => all || authorize(ctx, 'DESCRIBE', 'GROUP', g.groupId))
      .filter((g) => (states.size === 0 || states.has(g.state.toLowerCase())) && (types.size === 0 || types.has('classic')))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: 'classic' }))
    return { throttleTimeMs: 0, errorCode, groups: listed }
  },
}
