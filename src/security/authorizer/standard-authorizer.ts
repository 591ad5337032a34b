/**
 * Kafka's StandardAuthorizer decision, over an AclSet. In order: a super user is allowed; an
 * ACL that matches the resource, principal (or User:*), host (or *) and operation decides,
 * DENY before ALLOW; when no ACL at all names the resource (whoever it is for), the answer is
 * `allow.everyone.if.no.acl.found`; otherwise denied. Pure: no broker, no I/O.
 */
import { nameOf, Operation, WILDCARD_RESOURCE, type OperationName, type ResourcePattern } from './acl.js'
import { hostMatches, operationCovers, principalMatches } from './matcher.js'
import { AclSet } from './store.js'

export type ResourceKind = ResourcePattern['resourceType']
/** Operations a request asks for (ALL and ANY are ACL and filter values only). */
export type Action = Exclude<OperationName, 'UNKNOWN' | 'ANY' | 'ALL'>

/** The names authorizer.class.name accepts for Samsa's authorizer; '' means none. */
export const AUTHORIZER_CLASS_NAMES = ['org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'kafka.security.authorizer.AclAuthorizer', 'samsa'] as const

export function checkAuthorizerClassName(v: string): string | undefined {
  return v === '' || (AUTHORIZER_CLASS_NAMES as readonly string[]).includes(v)
    ? undefined
    : `Samsa has one authorizer: use org.apache.kafka.metadata.authorizer.StandardAuthorizer (or samsa), or leave it empty for no authorization`
}

/** super.users as Kafka reads it: principals separated by semicolons (a principal name may hold commas). */
export function parseSuperUsers(v: string): Set<string> {
  return new Set(v.split(';').map((s) => s.trim()).filter((s) => s !== ''))
}

export function checkSuperUsers(v: string): string | undefined {
  for (const p of parseSuperUsers(v)) if (p.indexOf(':') <= 0) return `'${p}' is not a principal of the form <type>:<name> (for example User:admin); separate principals with ;`
  return undefined
}

/** The IP Kafka compares ACL hosts with: socket addresses like ::ffff:10.0.0.1 are IPv4 there. */
export function normalizeHost(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  return m ? m[1]! : address
}

/** The host part of `host:port` (RequestContext.clientAddress), as normalizeHost gives it. */
export function hostOfClientAddress(clientAddress: string): string {
  const i = clientAddress.lastIndexOf(':')
  const host = i < 0 ? clientAddress : clientAddress.slice(0, i)
  return normalizeHost(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host)
}

export interface AuthorizerOptions {
  superUsers?: Iterable<string>
  allowEveryoneIfNoAclFound?: boolean
}

export class StandardAuthorizer {
  readonly acls: AclSet
  private readonly superUsers: ReadonlySet<string>
  private readonly allowEveryone: boolean

  constructor(opts: AuthorizerOptions = {}, acls: AclSet = new AclSet()) {
    this.acls = acls
    this.superUsers = new Set(opts.superUsers ?? [])
    this.allowEveryone = opts.allowEveryoneIfNoAclFound ?? false
  }

  isSuperUser(principal: string): boolean {
    return this.superUsers.has(principal)
  }

  authorize(principal: string, host: string, op: Action, resourceType: ResourceKind, name: string): boolean {
    if (this.superUsers.has(principal)) return true
    let resourceHasAcls = false
    let allowed = false
    for (const b of this.acls.forResource(resourceType, name)) {
      resourceHasAcls = true
      const e = b.entry
      if (!principalMatches(e.principal, principal) || !hostMatches(e.host, host) || !operationCovers(e, op)) continue
      if (e.permission === 'DENY') return false
      allowed = true
    }
    return allowed || (!resourceHasAcls && this.allowEveryone)
  }

  /**
   * Kafka's authorizeByResourceType: whether some resource of this type could be allowed
   * `op` (an ALLOW pattern not shadowed by a DENY of the wildcard, of the same literal, or of
   * a prefix of it). InitProducerId for idempotent producers asks WRITE on any topic (KIP-679).
   */
  authorizeByResourceType(principal: string, host: string, op: Action, resourceType: ResourceKind): boolean {
    if (this.superUsers.has(principal)) return true
    const denyLiteral = new Set<string>()
    const denyPrefix: string[] = []
    const allows: ResourcePattern[] = []
    let typeHasAcls = false
    for (const b of this.acls.values()) {
      if (b.pattern.resourceType !== resourceType) continue
      typeHasAcls = true
      const e = b.entry
      if (!principalMatches(e.principal, principal) || !hostMatches(e.host, host) || !operationCovers(e, op)) continue
      if (e.permission === 'DENY') {
        if (b.pattern.patternType === 'LITERAL') denyLiteral.add(b.pattern.name)
        else denyPrefix.push(b.pattern.name)
      } else allows.push(b.pattern)
    }
    if (denyLiteral.has(WILDCARD_RESOURCE)) return false
    for (const p of allows) {
      if (denyPrefix.some((d) => p.name.startsWith(d))) continue
      if (p.patternType === 'LITERAL' && denyLiteral.has(p.name)) continue
      return true
    }
    return !typeHasAcls && this.allowEveryone
  }

  /** The `*AuthorizedOperations` bit field: the supported operations (a bit set) this principal is allowed. */
  authorizedOperations(principal: string, host: string, resourceType: ResourceKind, name: string, supported: number): number {
    let out = 0
    for (let code = 0; code < 31; code++) {
      if ((supported & (1 << code)) === 0) continue
      const op = nameOf(Operation, code)
      if (op === undefined || op === 'UNKNOWN' || op === 'ANY' || op === 'ALL') continue
      if (this.authorize(principal, host, op, resourceType, name)) out |= 1 << code
    }
    return out
  }
}
