/**
 * CreateAcls, DescribeAcls and DeleteAcls from the admin client, as Kafka's Admin.createAcls /
 * describeAcls / deleteAcls: bindings and filters with Kafka's names (the types of
 * security/authorizer/acl.ts, which carry the wire codes), sent to any broker.
 *
 * Versions: v0 knows only LITERAL patterns, so a PREFIXED binding or a filter other than
 * LITERAL needs v1+ (UNSUPPORTED_VERSION from a broker without it, rather than a silently
 * different request). Only dropped connections and timeouts are retried: every error a broker
 * answers here (SECURITY_DISABLED, CLUSTER_AUTHORIZATION_FAILED, INVALID_REQUEST) is final.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { describeBinding, nameOf, Operation, PatternType, Permission, ResourceType, type AclBinding, type AclBindingFilter } from '../../security/authorizer/acl.js'
import { ClientError } from '../base/errors.js'
import { brokerError, finish, isTransient, retrying, settle, type Call, type Outcomes } from './common.js'

export type { AclBinding, AclBindingFilter } from '../../security/authorizer/acl.js'

function wireBinding(b: AclBinding) {
  return {
    resourceType: ResourceType[b.pattern.resourceType],
    resourceName: b.pattern.name,
    resourcePatternType: PatternType[b.pattern.patternType],
    principal: b.entry.principal,
    host: b.entry.host,
    operation: Operation[b.entry.operation],
    permissionType: Permission[b.entry.permission],
  }
}

function wireFilter(f: AclBindingFilter) {
  return {
    resourceTypeFilter: ResourceType[f.resourceType],
    resourceNameFilter: f.name,
    patternTypeFilter: PatternType[f.patternType],
    principalFilter: f.principal,
    hostFilter: f.host,
    operation: Operation[f.operation],
    permissionType: Permission[f.permission],
  }
}

/** A binding from a response; undefined for codes this client does not know (a newer broker's). */
function fromWire(w: { resourceType: number; resourceName: string; patternType?: number; principal: string; host: string; operation: number; permissionType: number }): AclBinding | undefined {
  const resourceType = nameOf(ResourceType, w.resourceType)
  const patternType = nameOf(PatternType, w.patternType ?? PatternType.LITERAL)
  const operation = nameOf(Operation, w.operation)
  const permission = nameOf(Permission, w.permissionType)
  if (resourceType === undefined || resourceType === 'UNKNOWN' || resourceType === 'ANY') return undefined
  if (patternType !== 'LITERAL' && patternType !== 'PREFIXED') return undefined
  if (operation === undefined || operation === 'UNKNOWN' || operation === 'ANY') return undefined
  if (permission !== 'ALLOW' && permission !== 'DENY') return undefined
  return { pattern: { resourceType, name: w.resourceName, patternType }, entry: { principal: w.principal, host: w.host, operation, permission } }
}

function checkBinding(b: AclBinding): void {
  if (!b || !b.pattern || !b.entry || ResourceType[b.pattern.resourceType] === undefined || PatternType[b.pattern.patternType] === undefined || Operation[b.entry.operation] === undefined || Permission[b.entry.permission] === undefined) {
    throw new ClientError('INVALID_OPTION', `createAcls: not an ACL binding with Kafka's names: ${JSON.stringify(b)}`)
  }
}

function checkFilter(operation: string, f: AclBindingFilter): void {
  if (!f || ResourceType[f.resourceType] === undefined || PatternType[f.patternType] === undefined || Operation[f.operation] === undefined || Permission[f.permission] === undefined) {
    throw new ClientError('INVALID_OPTION', `${operation}: not an ACL filter with Kafka's names: ${JSON.stringify(f)}`)
  }
}

/** Creates the bindings; each fails on its own (AdminError listing the failures, common.ts). Creating an existing ACL succeeds. */
export async function createAcls(call: Call, bindings: AclBinding[]): Promise<void> {
  bindings.forEach(checkBinding)
  const s = await settle<AclBinding, null>(call, bindings, isTransient, async (pending) => {
    const conn = await call.cluster.anyConnection()
    const version = conn.version(ApiKey.CreateAcls, 3, pending.some((b) => b.pattern.patternType !== 'LITERAL') ? 1 : 0)
    const resp = await conn.request(ApiKey.CreateAcls, { creations: pending.map(wireBinding) }, call.request(version))
    const out: Outcomes<AclBinding, null> = new Map()
    pending.forEach((b, i) => {
      const r = resp.results[i]
      if (r) out.set(b, brokerError(r.errorCode, `ACL ${describeBinding(b)}`, r.errorMessage) ?? null)
    })
    return out
  })
  finish(call, bindings, s, (b) => `ACL ${describeBinding(b)}`)
}

/** The ACLs the filter selects (ANY/MATCH as the broker applies them, docs/security.md). */
export async function describeAcls(call: Call, filter: AclBindingFilter): Promise<AclBinding[]> {
  checkFilter('describeAcls', filter)
  return retrying(
    call,
    async () => {
      const conn = await call.cluster.anyConnection()
      const version = conn.version(ApiKey.DescribeAcls, 3, filter.patternType !== 'LITERAL' ? 1 : 0)
      const resp = await conn.request(ApiKey.DescribeAcls, wireFilter(filter), call.request(version))
      const err = brokerError(resp.errorCode, 'ACLs', resp.errorMessage)
      if (err) throw err
      const out: AclBinding[] = []
      for (const r of resp.resources) {
        for (const a of r.acls) {
          const b = fromWire({ resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, ...a })
          if (b) out.push(b)
        }
      }
      return out
    },
    isTransient,
  )
}

/** Deletes the ACLs each filter matches; answers, per filter, the ACLs it removed. */
export async function deleteAcls(call: Call, filters: AclBindingFilter[]): Promise<AclBinding[][]> {
  filters.forEach((f) => checkFilter('deleteAcls', f))
  const s = await settle<AclBindingFilter, AclBinding[]>(call, filters, isTransient, async (pending) => {
    const conn = await call.cluster.anyConnection()
    const version = conn.version(ApiKey.DeleteAcls, 3, pending.some((f) => f.patternType !== 'LITERAL') ? 1 : 0)
    const resp = await conn.request(ApiKey.DeleteAcls, { filters: pending.map(wireFilter) }, call.request(version))
    const out: Outcomes<AclBindingFilter, AclBinding[]> = new Map()
    pending.forEach((f, i) => {
      const r = resp.filterResults[i]
      if (!r) return
      const whole = brokerError(r.errorCode, 'ACL filter', r.errorMessage)
      if (whole) return out.set(f, whole)
      const removed: AclBinding[] = []
      let failed: Error | undefined
      for (const m of r.matchingAcls) {
        const b = fromWire(m)
        failed ??= brokerError(m.errorCode, b ? `ACL ${describeBinding(b)}` : 'ACL', m.errorMessage)
        if (b && m.errorCode === 0) removed.push(b)
      }
      out.set(f, failed ?? removed)
    })
    return out
  })
  return finish(call, filters, s, () => 'ACL filter')
}
