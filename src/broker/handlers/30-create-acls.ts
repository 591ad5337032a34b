/**
 * CreateAcls (key 30), versions 0-3.
 *
 * Behaviour (Kafka's AclApis / AclControlManager):
 * - Needs ALTER on CLUSTER (CLUSTER_AUTHORIZATION_FAILED for every creation otherwise);
 *   SECURITY_DISABLED when no authorizer is configured.
 * - Each creation is checked (types, LITERAL/PREFIXED only, the CLUSTER resource named
 *   kafka-cluster, a non-empty name, a <type>:<name> principal): INVALID_REQUEST for that one.
 * - The valid ones are stored together, in one change: a failure answers every one of them
 *   with its error and leaves no ACL. Creating an existing ACL succeeds and keeps one.
 * Deliberate gap: at most 128 valid creations per request (one etcd transaction); more are
 * answered INVALID_REQUEST, nothing stored. kafka-acls.sh sends far fewer.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { CreateAclsRequest, CreateAclsResponse } from '../../protocol/generated/create-acls.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { authorizeCluster } from '../../security/authorizer/broker-authorizer.js'
import type { AclBinding } from '../../security/authorizer/acl.js'
import type { Handler } from '../handler.js'
import { SECURITY_DISABLED_MESSAGE, toBinding } from './acl-common.js'

export const createAclsHandler: Handler<typeof ApiKey.CreateAcls> = {
  apiKey: ApiKey.CreateAcls,
  minVersion: 0,
  maxVersion: 3,
  request: CreateAclsRequest,
  response: CreateAclsResponse,
  async handle(req, ctx) {
    const all = (errorCode: number, errorMessage: string | null): CreateAclsResponse => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) })
    if (!ctx.broker.authorizer) return all(ErrorCode.SECURITY_DISABLED, SECURITY_DISABLED_MESSAGE)
    if (!authorizeCluster(ctx, 'ALTER')) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null)
    const parsed = req.creations.map(toBinding)
    const results = parsed.map((p): { errorCode: number; errorMessage: string | null } => (typeof p === 'string' ? { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: p } : { errorCode: ErrorCode.NONE, errorMessage: null }))
    const valid = parsed.filter((p): p is AclBinding => typeof p !== 'string')
    if (valid.length === 0) return { throttleTimeMs: 0, results }
    try {
      await ctx.broker.metadata.createAcls(valid)
    } catch (err) {
      const e = err instanceof KafkaError ? err : new KafkaError('UNKNOWN_SERVER_ERROR', (err as Error).message)
      parsed.forEach((p, i) => {
        if (typeof p !== 'string') results[i] = { errorCode: e.code, errorMessage: e.message }
      })
    }
    return { throttleTimeMs: 0, results }
  },
}
