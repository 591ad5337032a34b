/**
 * DescribeGroups (key 15), versions 0-5.
 *
 * Behaviour: state, protocol type, chosen protocol and members (client id, host, instance id
 * v4+); member metadata and assignments only while the group is Stable, as Kafka shows them.
 * An unknown group is reported Dead with no error, as Kafka's classic coordinator does.
 * Authorized operations (v3+) are the INT32_MIN "not requested" sentinel or, when asked, all
 * group operations (no ACLs).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { DescribeGroupsRequest, DescribeGroupsResponse } from '../../protocol/generated/describe-groups.js'
import { ErrorCode } from '../../protocol/errors.js'
import { authorizedOperations } from '../authorized-operations.js'
import type { Handler } from '../handler.js'

export const describeGroupsHandler: Handler<DescribeGroupsRequest, DescribeGroupsResponse> = {
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  request: DescribeGroupsRequest,
  response: DescribeGroupsResponse,
  async handle(req, ctx) {
    const groups = await ctx.broker.groups.ready(null)
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((id) => {
        const d = groups.describe(id)
        return {
          errorCode: ErrorCode.NONE,
          groupId: id,
          groupState: d.state,
          protocolType: d.protocolType,
          protocolData: d.protocolName,
          members: d.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: m.metadata, memberAssignment: m.assignment })),
          authorizedOperations: authorizedOperations('group', req.includeAuthorizedOperations),
        }
      }),
    }
  },
}
