/**
 * DeleteAcls (key 31), versions 0-3.
 *
 * Behaviour (Kafka's AclApis / AclControlManager):
 * - Needs ALTER on CLUSTER (CLUSTER_AUTHORIZATION_FAILED for every filter); SECURITY_DISABLED
 *   without an authorizer.
 * - Each filter answers the ACLs it matched and removed; a filter with UNKNOWN values is
 *   INVALID_REQUEST. The ACLs of all filters are removed in one change (in steps of 128 when
 *   more match: one etcd transaction each); a failed step answers its filters' ACLs with the error.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { DeleteAclsRequest, DeleteAclsResponse, type DeleteAclsResponseDeleteAclsFilterResult } from '../../protocol/generated/delete-acls.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { MAX_ACLS_PER_CHANGE } from '../../metadata/store.js'
import { bindingKey, type AclBinding } from '../../security/authorizer/acl.js'
import { filterMatches } from '../../security/authorizer/matcher.js'
import { authorizeCluster } from '../../security/authorizer/broker-authorizer.js'
import type { Handler } from '../handler.js'
import { SECURITY_DISABLED_MESSAGE, toFilter, wireOf } from './acl-common.js'

export const deleteAclsHandler: Handler<typeof ApiKey.DeleteAcls> = {
  apiKey: ApiKey.DeleteAcls,
  minVersion: 0,
  maxVersion: 3,
  request: DeleteAclsRequest,
  response: DeleteAclsResponse,
  async handle(req, ctx) {
    const all = (errorCode: number, errorMessage: string | null): DeleteAclsResponse => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) })
    if (!ctx.broker.authorizer) return all(ErrorCode.SECURITY_DISABLED, SECURITY_DISABLED_MESSAGE)
    if (!authorizeCluster(ctx, 'ALTER')) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null)
    const current = ctx.broker.metadata.acls()
    const matched = req.filters.map((f) => {
      const filter = toFilter(f)
      return typeof filter === 'string' ? filter : current.filter((b) => filterMatches(filter, b))
    })
    const toDelete = new Map<string, AclBinding>()
    for (const m of matched) if (typeof m !== 'string') for (const b of m) toDelete.set(bindingKey(b), b)
    const removed = new Set<string>()
    const failed = new Map<string, KafkaError>()
    const list = [...toDelete.entries()]
    for (let i = 0; i < list.length; i += MAX_ACLS_PER_CHANGE) {
      const step = list.slice(i, i + MAX_ACLS_PER_CHANGE)
      try {
        for (const b of await ctx.broker.metadata.deleteAcls(step.map(([, b]) => b))) removed.add(bindingKey(b))
      } catch (err) {
        const e = err instanceof KafkaError ? err : new KafkaError('UNKNOWN_SERVER_ERROR', (err as Error).message)
        for (const [k] of step) failed.set(k, e)
      }
    }
    const filterResults = matched.map((m): DeleteAclsResponseDeleteAclsFilterResult => {
      if (typeof m === 'string') return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: m, matchingAcls: [] }
      const matchingAcls = m
        .filter((b) => removed.has(bindingKey(b)) || failed.has(bindingKey(b)))
        .map((b) => {
          const e = failed.get(bindingKey(b))
          return { errorCode: e?.code ?? ErrorCode.NONE, errorMessage: e?.message ?? null, ...wireOf(b) }
        })
      return { errorCode: ErrorCode.NONE, errorMessage: null, matchingAcls }
    })
    return { throttleTimeMs: 0, filterResults }
  },
}
