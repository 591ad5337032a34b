/**
 * DescribeClientQuotas (key 48), versions 0-1.
 *
 * Behaviour (Kafka's KIP-546):
 * - Each filter component names an entity type (`user`, `client-id`, `ip`) and a match: 0 an
 *   exact name, 1 the `<default>` entity, 2 any entity of that type (the default included).
 *   An entity matches when every component matches; `strict` also excludes entities with types
 *   the filter does not name. No components, not strict: every entity.
 * - INVALID_REQUEST (top-level, entries null): a type twice, an unknown type or match type,
 *   match type 0 without a name, ip with another type.
 *
 * Gaps: ip entities are never stored (connection_creation_rate is not served), so an ip filter
 * answers no entries.
 *
 * Authorization: DESCRIBE_CONFIGS on the cluster, else CLUSTER_AUTHORIZATION_FAILED (Kafka's).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { DescribeClientQuotasRequest, DescribeClientQuotasResponse, type DescribeClientQuotasRequestComponentData } from '../../protocol/generated/describe-client-quotas.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { CLIENT_ID, IP, USER, type QuotaEntity } from '../quotas/entity.js'
import type { Handler } from '../handler.js'
import { authorizeCluster } from '../../security/authorizer/broker-authorizer.js'

const MATCH_EXACT = 0
const MATCH_DEFAULT = 1
const MATCH_ANY = 2

export const describeClientQuotasHandler: Handler<typeof ApiKey.DescribeClientQuotas> = {
  apiKey: ApiKey.DescribeClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  request: DescribeClientQuotasRequest,
  response: DescribeClientQuotasResponse,
  handle(req, ctx) {
    if (!authorizeCluster(ctx, 'DESCRIBE_CONFIGS')) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', entries: null }
    }
    try {
      checkFilter(req.components)
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e
      return { throttleTimeMs: 0, errorCode: e.code, errorMessage: e.message, entries: null }
    }
    const entries = []
    for (const { entity, values } of ctx.broker.metadata.clientQuotas().values()) {
      if (!matches(entity, req.components, req.strict)) continue
      entries.push({
        entity: Object.keys(entity)
          .sort()
          .map((entityType) => ({ entityType, entityName: entity[entityType]! })),
        values: Object.keys(values)
          .sort()
          .map((key) => ({ key, value: values[key]! })),
      })
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries }
  },
}

function checkFilter(components: DescribeClientQuotasRequestComponentData[]): void {
  const types = new Set<string>()
  for (const c of components) {
    if (types.has(c.entityType)) throw new KafkaError('INVALID_REQUEST', `Duplicate ${c.entityType} filter component entity type.`)
    if (c.entityType !== USER && c.entityType !== CLIENT_ID && c.entityType !== IP) throw new KafkaError('INVALID_REQUEST', `Custom entity type '${c.entityType}' is not supported.`)
    if (c.matchType === MATCH_EXACT && c.match === null) throw new KafkaError('INVALID_REQUEST', `Match type 0 (exact) of entity type ${c.entityType} needs a name to match.`)
    if (c.matchType !== MATCH_EXACT && c.matchType !== MATCH_DEFAULT && c.matchType !== MATCH_ANY) throw new KafkaError('INVALID_REQUEST', `Unexpected match type: ${c.matchType}`)
    types.add(c.entityType)
  }
  if (types.has(IP) && types.size > 1) throw new KafkaError('INVALID_REQUEST', 'Invalid entity filter component combination: ip cannot be combined with user or client-id.')
}

function matches(entity: QuotaEntity, components: DescribeClientQuotasRequestComponentData[], strict: boolean): boolean {
  if (strict && Object.keys(entity).length !== components.length) return false
  for (const c of components) {
    if (!(c.entityType in entity)) return false
    const name = entity[c.entityType]
    if (c.matchType === MATCH_EXACT && name !== c.match) return false
    if (c.matchType === MATCH_DEFAULT && name !== null) return false
  }
  return true
}
