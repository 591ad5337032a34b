/**
 * ListGroups (key 16), versions 0-5.
 *
 * Behaviour: every group this broker coordinates (including "simple" groups known only by
 * their committed offsets), with its protocol type, state (v4+, filtered
 * by statesFilter, case-insensitive as in Kafka) and type "classic" (v5+, typesFilter).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { ListGroupsRequest, ListGroupsResponse } from '../../protocol/generated/list-groups.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { Handler } from '../handler.js'

export const listGroupsHandler: Handler<ListGroupsRequest, ListGroupsResponse> = {
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  request: ListGroupsRequest,
  response: ListGroupsResponse,
  async handle(req, ctx) {
    const groups = await ctx.broker.groups.ready(null)
    const states = new Set((req.statesFilter ?? []).map((s) => s.toLowerCase()))
    const types = new Set((req.typesFilter ?? []).map((s) => s.toLowerCase()))
    const listed = groups
      .list()
      .filter((g) => (states.size === 0 || states.has(g.state.toLowerCase())) && (types.size === 0 || types.has('classic')))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: 'classic' }))
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: listed }
  },
}
