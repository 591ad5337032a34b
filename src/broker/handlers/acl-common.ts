/** What CreateAcls, DescribeAcls and DeleteAcls share: wire codes to ACL types, and Kafka's validation of both. */
import { CLUSTER_NAME, nameOf, Operation, PatternType, Permission, ResourceType, type AclBinding, type AclBindingFilter } from '../../security/authorizer/acl.js'

export interface WireBinding {
  resourceType: number
  resourceName: string
  resourcePatternType?: number
  principal: string
  host: string
  operation: number
  permissionType: number
}

export interface WireFilter {
  resourceTypeFilter: number
  resourceNameFilter: string | null
  patternTypeFilter?: number
  principalFilter: string | null
  hostFilter: string | null
  operation: number
  permissionType: number
}

export const SECURITY_DISABLED_MESSAGE = 'No Authorizer is configured on the broker: set authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer to use ACLs'

/** A creation as an ACL binding, or the INVALID_REQUEST message Kafka's AclControlManager / AclApis give. */
export function toBinding(c: WireBinding): AclBinding | string {
  const resourceType = nameOf(ResourceType, c.resourceType)
  if (resourceType === undefined || resourceType === 'UNKNOWN' || resourceType === 'ANY') return `Invalid resourceType ${c.resourceType}`
  const patternType = nameOf(PatternType, c.resourcePatternType ?? PatternType.LITERAL)
  if (patternType !== 'LITERAL' && patternType !== 'PREFIXED') return `Invalid patternType ${c.resourcePatternType}: an ACL is LITERAL or PREFIXED`
  const operation = nameOf(Operation, c.operation)
  if (operation === undefined || operation === 'UNKNOWN' || operation === 'ANY') return `Invalid operation ${c.operation}`
  const permission = nameOf(Permission, c.permissionType)
  if (permission !== 'ALLOW' && permission !== 'DENY') return `Invalid permissionType ${c.permissionType}: an ACL is ALLOW or DENY`
  if (c.resourceName === '') return 'Resource name should not be empty'
  if (resourceType === 'CLUSTER' && c.resourceName !== CLUSTER_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`
  if (c.principal.indexOf(':') <= 0) return `Invalid principal '${c.principal}': expected <type>:<name>, for example User:alice`
  if (c.host === '') return "Invalid host '': use * for every host or an IP address"
  return { pattern: { resourceType, name: c.resourceName, patternType }, entry: { principal: c.principal, host: c.host, operation, permission } }
}

/** A DescribeAcls / DeleteAcls filter, or the message for one Kafka refuses (UNKNOWN values match nothing, so they are refused). */
export function toFilter(f: WireFilter): AclBindingFilter | string {
  const resourceType = nameOf(ResourceType, f.resourceTypeFilter)
  if (resourceType === undefined || resourceType === 'UNKNOWN') return `Invalid resourceType filter ${f.resourceTypeFilter}`
  const patternType = nameOf(PatternType, f.patternTypeFilter ?? PatternType.LITERAL)
  if (patternType === undefined || patternType === 'UNKNOWN') return `Invalid patternType filter ${f.patternTypeFilter}`
  const operation = nameOf(Operation, f.operation)
  if (operation === undefined || operation === 'UNKNOWN') return `Invalid operation filter ${f.operation}`
  const permission = nameOf(Permission, f.permissionType)
  if (permission === undefined || permission === 'UNKNOWN') return `Invalid permissionType filter ${f.permissionType}`
  return { resourceType, name: f.resourceNameFilter, patternType, principal: f.principalFilter, host: f.hostFilter, operation, permission }
}

/** The wire fields of a binding (patternType is left out of versions without it by the codec). */
export function wireOf(b: AclBinding): { resourceType: number; resourceName: string; patternType: number; principal: string; host: string; operation: number; permissionType: number } {
  return {
    resourceType: ResourceType[b.pattern.resourceType],
    resourceName: b.pattern.name,
    patternType: PatternType[b.pattern.patternType],
    principal: b.entry.principal,
    host: b.entry.host,
    operation: Operation[b.entry.operation],
    permissionType: Permission[b.entry.permission],
  }
}
