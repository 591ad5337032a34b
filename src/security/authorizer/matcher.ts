/**
 * Which ACLs a request or a filter selects, as Kafka's StandardAuthorizerData and
 * ResourcePatternFilter / AccessControlEntryFilter decide it.
 */
import { WILDCARD_HOST, WILDCARD_PRINCIPAL, WILDCARD_RESOURCE, type AclBinding, type AclBindingFilter, type AclEntry, type OperationName, type ResourcePattern } from './acl.js'

/** ALLOW of any of these implies ALLOW of DESCRIBE (a reader may see what it reads). */
const IMPLIES_DESCRIBE: ReadonlySet<OperationName> = new Set(['DESCRIBE', 'READ', 'WRITE', 'DELETE', 'ALTER'])
/** ALLOW of any of these implies ALLOW of DESCRIBE_CONFIGS. */
const IMPLIES_DESCRIBE_CONFIGS: ReadonlySet<OperationName> = new Set(['DESCRIBE_CONFIGS', 'ALTER_CONFIGS'])

/**
 * Whether the ACL's operation covers `op`. ALL covers everything; implications hold for ALLOW
 * only: DENY of READ does not deny DESCRIBE (Kafka's rule, so a denied reader still sees
 * the topic exists unless DESCRIBE itself is denied).
 */
export function operationCovers(entry: AclEntry, op: OperationName): boolean {
  if (entry.operation === 'ALL' || entry.operation === op) return true
  if (entry.permission !== 'ALLOW') return false
  if (op === 'DESCRIBE') return IMPLIES_DESCRIBE.has(entry.operation)
  if (op === 'DESCRIBE_CONFIGS') return IMPLIES_DESCRIBE_CONFIGS.has(entry.operation)
  return false
}

/** Whether a pattern applies to the resource `name` (of the pattern's type). */
export function patternMatchesResource(p: ResourcePattern, name: string): boolean {
  if (p.patternType === 'PREFIXED') return name.startsWith(p.name)
  return p.name === name || p.name === WILDCARD_RESOURCE
}

export function principalMatches(aclPrincipal: string, principal: string): boolean {
  return aclPrincipal === WILDCARD_PRINCIPAL || aclPrincipal === principal
}

export function hostMatches(aclHost: string, host: string): boolean {
  return aclHost === WILDCARD_HOST || aclHost === host
}

/** ResourcePatternFilter.matches: MATCH selects the patterns that would apply to `name`; ANY and the rest compare exactly. */
export function filterMatchesPattern(f: AclBindingFilter, p: ResourcePattern): boolean {
  if (f.resourceType !== 'ANY' && f.resourceType !== p.resourceType) return false
  if (f.patternType !== 'ANY' && f.patternType !== 'MATCH' && f.patternType !== p.patternType) return false
  if (f.name === null) return true
  if (f.patternType === 'MATCH') return patternMatchesResource(p, f.name)
  return f.name === p.name
}

/** AccessControlEntryFilter.matches: exact comparison; null and ANY match anything. */
export function filterMatchesEntry(f: AclBindingFilter, e: AclEntry): boolean {
  if (f.principal !== null && f.principal !== e.principal) return false
  if (f.host !== null && f.host !== e.host) return false
  if (f.operation !== 'ANY' && f.operation !== e.operation) return false
  if (f.permission !== 'ANY' && f.permission !== e.permission) return false
  return true
}

export function filterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  return filterMatchesPattern(f, b.pattern) && filterMatchesEntry(f, b.entry)
}
