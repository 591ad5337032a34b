/**
 * DescribeAcls (key 29), versions 0-3.
 *
 * Behaviour (Kafka's AclApis):
 * - Needs DESCRIBE on CLUSTER (CLUSTER_AUTHORIZATION_FAILED); SECURITY_DISABLED without an authorizer.
 * - Answers the ACLs the filter selects (MATCH: those that would apply to the named resource;
 *   ANY: every pattern type with exactly that name), grouped by resource pattern. v0 filters
 *   are LITERAL (the codec's default). A filter with UNKNOWN values is INVALID_REQUEST.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { DescribeAclsRequest, DescribeAclsResponse, type DescribeAclsResponseDescribeAclsResource } from '../../protocol/generated/describe-acls.js'
import { ErrorCode } from '../../protocol/errors.js'
import { filterMatches } from '../../security/authorizer/matcher.js'
import { authorizeCluster } from '../../security/authorizer/broker-authorizer.js'
import type { Handler } from '../handler.js'
import { SECURITY_DISABLED_MESSAGE, toFilter, wireOf } from './acl-common.js'

export const describeAclsHandler: Handler<typeof ApiKey.DescribeAcls> = {
  apiKey: ApiKey.DescribeAcls,
  minVersion: 0,
  maxVersion: 3,
  request: DescribeAclsRequest,
  response: DescribeAclsResponse,
  handle(req, ctx) {
    const fail = (errorCode: number, errorMessage: string | null): DescribeAclsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] })
    if (!ctx.broker.authorizer) return fail(ErrorCode.SECURITY_DISABLED, SECURITY_DISABLED_MESSAGE)
    if (!authorizeCluster(ctx, 'DESCRIBE')) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null)
    const filter = toFilter(req)
    if (typeof filter === 'string') return fail(ErrorCode.INVALID_REQUEST, filter)
    const byPattern = new Map<string, DescribeAclsResponseDescribeAclsResource>()
    for (const b of ctx.broker.metadata.acls()) {
      if (!filterMatches(filter, b)) continue
      const w = wireOf(b)
      const key = `${w.resourceType}\u0000${w.patternType}\u0000${w.resourceName}`
      let r = byPattern.get(key)
      if (!r) byPattern.set(key, (r = { resourceType: w.resourceType, resourceName: w.resourceName, patternType: w.patternType, acls: [] }))
      r.acls.push({ principal: w.principal, host: w.host, operation: w.operation, permissionType: w.permissionType })
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...byPattern.values()] }
  },
}
