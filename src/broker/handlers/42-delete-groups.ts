/**
 * DeleteGroups (key 42), versions 0-2.
 *
 * Behaviour: an Empty group is deleted with its committed offsets (tombstones in
 * `__consumer_offsets`); a group with members gets NON_EMPTY_GROUP, an unknown one
 * GROUP_ID_NOT_FOUND, an empty name INVALID_GROUP_ID. A group whose `__consumer_offsets`
 * partition this broker does not lead gets NOT_COORDINATOR, one still loading
 * COORDINATOR_LOAD_IN_PROGRESS.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { DeleteGroupsRequest, DeleteGroupsResponse } from '../../protocol/generated/delete-groups.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { authorize } from '../../security/authorizer/broker-authorizer.js'
import type { Handler } from '../handler.js'

export const deleteGroupsHandler: Handler<typeof ApiKey.DeleteGroups> = {
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  request: DeleteGroupsRequest,
  response: DeleteGroupsResponse,
  async handle(req, ctx) {
    const groups = ctx.broker.groups
    const results = []
    for (const groupId of req.groupsNames) {
      let errorCode: number
      try {
        errorCode = !authorize(ctx, 'DELETE', 'GROUP', groupId) ? ErrorCode.GROUP_AUTHORIZATION_FAILED : groupId === '' ? ErrorCode.INVALID_GROUP_ID : await groups.deleteGroup(groupId)
      } catch (err) {
        errorCode = err instanceof KafkaError ? err.code : ErrorCode.COORDINATOR_NOT_AVAILABLE
      }
      results.push({ groupId, errorCode })
    }
    return { throttleTimeMs: 0, results }
  },
}
