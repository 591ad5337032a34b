/**
 * The authorizer a broker runs when `authorizer.class.name` names Samsa's: a StandardAuthorizer
 * whose ACLs follow the metadata store (every broker subscribes, so an ACL created through one
 * broker applies on all of them once the store's watch delivers it), and the one call
 * handlers make: authorize(ctx, operation, resourceType, name).
 */
import type { BrokerConfig } from '../../broker/config.js'
import type { RequestContext } from '../../broker/handler.js'
import type { MetadataStore } from '../../metadata/store.js'
import { KafkaError } from '../../protocol/errors.js'
import { principalToString } from '../principal.js'
import { CLUSTER_NAME } from './acl.js'
import { hostOfClientAddress, parseSuperUsers, StandardAuthorizer, type Action, type ResourceKind } from './standard-authorizer.js'

/** The broker's authorizer, or undefined when authorizer.class.name is empty (every request allowed). */
export function createBrokerAuthorizer(config: BrokerConfig, store: MetadataStore): StandardAuthorizer | undefined {
  if (config.get('authorizer.class.name') === '') return undefined
  const authorizer = new StandardAuthorizer({ superUsers: parseSuperUsers(config.get('super.users')), allowEveryoneIfNoAclFound: config.get('allow.everyone.if.no.acl.found') })
  // Subscribed before the first read: a change landing in between is applied twice, which a set absorbs.
  store.subscribe((c) => {
    if (c.type !== 'aclsChanged') return
    for (const b of c.removed) authorizer.acls.remove(b)
    for (const b of c.added) authorizer.acls.add(b)
  })
  for (const b of store.acls()) authorizer.acls.add(b)
  return authorizer
}

/** Whether the request's principal may do `op` on the resource; true without an authorizer. */
export function authorize(ctx: RequestContext, op: Action, resourceType: ResourceKind, name: string): boolean {
  const a = ctx.broker.authorizer
  if (!a) return true
  return a.authorize(principalToString(ctx.principal), hostOfClientAddress(ctx.clientAddress), op, resourceType, name)
}

/** authorize on the CLUSTER resource. */
export function authorizeCluster(ctx: RequestContext, op: Action): boolean {
  return authorize(ctx, op, 'CLUSTER', CLUSTER_NAME)
}

/** Kafka's authorizeByResourceType: may the principal do `op` on some resource of this type? */
export function authorizeAny(ctx: RequestContext, op: Action, resourceType: ResourceKind): boolean {
  const a = ctx.broker.authorizer
  if (!a) return true
  return a.authorizeByResourceType(principalToString(ctx.principal), hostOfClientAddress(ctx.clientAddress), op, resourceType)
}

/** The `*AuthorizedOperations` bit field for a resource: `supported` filtered by the ACLs (all of it without an authorizer). */
export function authorizedOperationBits(ctx: RequestContext, resourceType: ResourceKind, name: string, supported: number): number {
  const a = ctx.broker.authorizer
  if (!a) return supported
  return a.authorizedOperations(principalToString(ctx.principal), hostOfClientAddress(ctx.clientAddress), resourceType, name, supported)
}

/** Config resource types (DescribeConfigs/AlterConfigs codes) that the CLUSTER resource guards. */
const BROKER_CONFIG_RESOURCES = new Set([4, 8])
const TOPIC_CONFIG_RESOURCE = 2

/**
 * Throws the refusal Kafka answers for a configs request: topics need `op` on the topic
 * (TOPIC_AUTHORIZATION_FAILED), brokers and broker loggers on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
export function requireConfigAccess(ctx: RequestContext, op: 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS', resourceType: number, name: string): void {
  if (resourceType === TOPIC_CONFIG_RESOURCE && !authorize(ctx, op, 'TOPIC', name)) throw new KafkaError('TOPIC_AUTHORIZATION_FAILED')
  if (BROKER_CONFIG_RESOURCES.has(resourceType) && !authorizeCluster(ctx, op)) throw new KafkaError('CLUSTER_AUTHORIZATION_FAILED')
}
