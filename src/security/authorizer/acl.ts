/**
 * ACL types with Kafka's names and wire codes (org.apache.kafka.common.acl / resource): a
 * binding is a resource pattern (type, name, LITERAL or PREFIXED) and an entry (principal,
 * host, operation, ALLOW or DENY). Filters use the same shapes with ANY/MATCH and null names.
 */

/** ResourceType codes as on the wire. */
export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const
export type ResourceTypeName = keyof typeof ResourceType

/** PatternType codes; MATCH and ANY only occur in filters. */
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const
export type PatternTypeName = keyof typeof PatternType

/** AclOperation codes (also the bit positions of the authorized-operations fields, broker/authorized-operations.ts). */
export const Operation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const
export type OperationName = keyof typeof Operation

export const Permission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const
export type PermissionName = keyof typeof Permission

/** The one name a CLUSTER resource has (Kafka's Resource.CLUSTER_NAME). */
export const CLUSTER_NAME = 'kafka-cluster'
/** A LITERAL pattern with this name matches every resource of its type. */
export const WILDCARD_RESOURCE = '*'
/** An ACL for this principal applies to every principal. */
export const WILDCARD_PRINCIPAL = 'User:*'
export const WILDCARD_HOST = '*'

export interface ResourcePattern {
  resourceType: Exclude<ResourceTypeName, 'UNKNOWN' | 'ANY'>
  name: string
  patternType: 'LITERAL' | 'PREFIXED'
}

export interface AclEntry {
  /** `<type>:<name>`, as stored and compared (Kafka compares principal strings). */
  principal: string
  host: string
  operation: Exclude<OperationName, 'UNKNOWN' | 'ANY'>
  permission: 'ALLOW' | 'DENY'
}

export interface AclBinding {
  pattern: ResourcePattern
  entry: AclEntry
}

/** What DescribeAcls and DeleteAcls select by; null fields match anything. */
export interface AclBindingFilter {
  resourceType: Exclude<ResourceTypeName, 'UNKNOWN'>
  name: string | null
  patternType: Exclude<PatternTypeName, 'UNKNOWN'>
  principal: string | null
  host: string | null
  operation: Exclude<OperationName, 'UNKNOWN'>
  permission: Exclude<PermissionName, 'UNKNOWN'>
}

export const MATCH_ALL_FILTER: AclBindingFilter = Object.freeze({
  resourceType: 'ANY',
  name: null,
  patternType: 'ANY',
  principal: null,
  host: null,
  operation: 'ANY',
  permission: 'ANY',
})

/** The name of wire code `code` in `table`, or undefined for a code Kafka does not define. */
export function nameOf<T extends Record<string, number>>(table: T, code: number): keyof T | undefined {
  for (const k in table) if (table[k] === code) return k
  return undefined
}

/** A stable key of a binding: equal bindings are the same ACL (Kafka keeps a set). */
export function bindingKey(b: AclBinding): string {
  const p = b.pattern
  const e = b.entry
  return JSON.stringify([p.resourceType, p.patternType, p.name, e.principal, e.host, e.operation, e.permission])
}

/** Kafka's toString of a binding, for logs and messages. */
export function describeBinding(b: AclBinding): string {
  return `(pattern=ResourcePattern(resourceType=${b.pattern.resourceType}, name=${b.pattern.name}, patternType=${b.pattern.patternType}), entry=(principal=${b.entry.principal}, host=${b.entry.host}, operation=${b.entry.operation}, permissionType=${b.entry.permission}))`
}
