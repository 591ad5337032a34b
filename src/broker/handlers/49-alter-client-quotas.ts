/**
 * AlterClientQuotas (key 49), versions 0-1.
 *
 * Behaviour (Kafka's KIP-546):
 * - Each entry sets or removes keys of one entity (user, client-id, or both; a null name is the
 *   `<default>`), as one change in the metadata store; entries succeed or fail on their own.
 *   Brokers watch the store, so a change throttles (or frees) clients at once.
 * - `validate_only`: checked and answered as if applied, nothing stored.
 * - INVALID_REQUEST per entry: an empty entity, a type twice, an unknown type, a key that is not
 *   producer_byte_rate / consumer_byte_rate / request_percentage / controller_mutation_rate, a key
 *   twice, a byte rate that is not a whole number, a value that is not positive.
 *
 * Authorization: ALTER_CONFIGS on the cluster, else CLUSTER_AUTHORIZATION_FAILED on every entry (Kafka's).
 *
 * Gaps: ip entities (connection_creation_rate) are refused with INVALID_REQUEST.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { AlterClientQuotasRequest, AlterClientQuotasResponse, type AlterClientQuotasResponseEntryData } from '../../protocol/generated/alter-client-quotas.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { checkQuotaValue, entityFromWire, QUOTA_KEYS } from '../quotas/entity.js'
import type { Handler } from '../handler.js'
import { authorizeCluster } from '../../security/authorizer/broker-authorizer.js'

export const alterClientQuotasHandler: Handler<typeof ApiKey.AlterClientQuotas> = {
  apiKey: ApiKey.AlterClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  request: AlterClientQuotasRequest,
  response: AlterClientQuotasResponse,
  async handle(req, ctx) {
    // Kafka's rule: ALTER_CONFIGS on the cluster, else every entry is refused.
    if (!authorizeCluster(ctx, 'ALTER_CONFIGS')) {
      return {
        throttleTimeMs: 0,
        entries: req.entries.map((e) => ({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', entity: e.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })) })),
      }
    }
    const entries: AlterClientQuotasResponseEntryData[] = await Promise.all(
      req.entries.map(async (e) => {
        const entity = e.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName }))
        try {
          const parsed = entityFromWire(e.entity)
          const changes: Record<string, number | null> = {}
          for (const op of e.ops) {
            if (op.key in changes) throw new KafkaError('INVALID_REQUEST', `Duplicate quota key ${op.key} in one entry.`)
            if (op.remove) {
              if (!(op.key in QUOTA_KEYS)) throw new KafkaError('INVALID_REQUEST', `Invalid configuration key ${op.key}; the client quota keys are ${Object.keys(QUOTA_KEYS).join(', ')}.`)
              changes[op.key] = null
            } else {
              checkQuotaValue(op.key, op.value)
              changes[op.key] = op.value
            }
          }
          if (!req.validateOnly && Object.keys(changes).length > 0) await ctx.broker.metadata.alterClientQuotas(parsed, changes)
          return { errorCode: ErrorCode.NONE, errorMessage: null, entity }
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err
          return { errorCode: err.code, errorMessage: err.message, entity }
        }
      }),
    )
    return { throttleTimeMs: 0, entries }
  },
}
