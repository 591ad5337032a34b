/**
 * DescribeGroups (key 15), versions 0-5.
 *
 * Behaviour: state, protocol type, chosen protocol and members (client id, host, instance id
 * v4+); member metadata and assignments only while the group is Stable, as Kafka shows them.
 * An unknown group is reported Dead with no error, as Kafka's classic coordinator does. A group
 * whose `__consumer_offsets` partition this broker does not lead gets NOT_COORDINATOR, one still
 * loading COORDINATOR_LOAD_IN_PROGRESS (each group its own, state and members empty, as Kafka's
 * DescribeGroupsResponse.groupError).
 * Authorized operations (v3+) are the INT32_MIN "not requested" sentinel or, when asked, all
 * group operations without an authorizer, those the ACLs allow with one. DESCRIBE on each
 * group, else GROUP_AUTHORIZATION_FAILED (docs/security.md).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { DescribeGroupsRequest, DescribeGroupsResponse } from '../../protocol/generated/describe-groups.js'
import { ErrorCode } from '../../protocol/errors.js'
import { NOT_REQUESTED, SUPPORTED_OPERATIONS } from '../authorized-operations.js'
import { authorizedOperationBits } from '../../security/authorizer/broker-authorizer.js'
import type { Handler } from '../handler.js'
import { errorCodeOf, withGroup } from './group-common.js'

export const describeGroupsHandler: Handler<typeof ApiKey.DescribeGroups> = {
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  request: DescribeGroupsRequest,
  response: DescribeGroupsResponse,
  async handle(req, ctx) {
    const groups = await Promise.all(
      req.groups.map(async (id) => {
        const authorized = req.includeAuthorizedOperations ? authorizedOperationBits(ctx, 'GROUP', id, SUPPORTED_OPERATIONS.group) : NOT_REQUESTED
        try {
          const d = await withGroup(ctx, 'DESCRIBE', id, () => ctx.broker.groups.describe(id))
          return {
            errorCode: ErrorCode.NONE,
            groupId: id,
            groupState: d.state,
            protocolType: d.protocolType,
            protocolData: d.protocolName,
            members: d.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: m.metadata, memberAssignment: m.assignment })),
            authorizedOperations: authorized,
          }
        } catch (err) {
          return { errorCode: errorCodeOf(ctx, err, 'describe group', id), groupId: id, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: authorized }
        }
      }),
    )
    return { throttleTimeMs: 0, groups }
  },
}
