/**
 * Which stored quota applies to a request, as Kafka's DefaultQuotaCallback decides: for each
 * key on its own, the first entity in this order that sets it —
 *   user+client-id, user+default client-id, user, default user+client-id,
 *   default user+default client-id, default user, client-id, default client-id.
 * The answer also says who shares the quota's rate (Kafka's metric tags): an entity that names
 * a user and no client id is shared by all that user's clients; defaults give each user or
 * client its own rate at the default value.
 */
import { CLIENT_ID, USER, entityKey, type QuotaEntity, type QuotaKey } from './entity.js'

export interface ResolvedQuota {
  /** The bound (bytes/s, percent, mutations/s). */
  bound: number
  /** Whose rate is measured: '' for a dimension the quota does not split by. */
  user: string
  clientId: string
}

/** Stored quotas by entityKey (the store's view). */
export type QuotaTable = ReadonlyMap<string, { readonly entity: QuotaEntity; readonly values: Readonly<Record<string, number>> }>

/** The candidates in precedence order, with the tags each gives. */
function candidates(user: string, clientId: string): Array<{ entity: QuotaEntity; user: string; clientId: string }> {
  return [
    { entity: { [USER]: user, [CLIENT_ID]: clientId }, user, clientId },
    { entity: { [USER]: user, [CLIENT_ID]: null }, user, clientId },
    { entity: { [USER]: user }, user, clientId: '' },
    { entity: { [USER]: null, [CLIENT_ID]: clientId }, user, clientId },
    { entity: { [USER]: null, [CLIENT_ID]: null }, user, clientId },
    { entity: { [USER]: null }, user, clientId: '' },
    { entity: { [CLIENT_ID]: clientId }, user: '', clientId },
    { entity: { [CLIENT_ID]: null }, user: '', clientId },
  ]
}

/**
 * The quota of `key` for a principal's user name (the principal's name, ANONYMOUS included) and
 * a client id (null on the wire counts as ''), or undefined when nothing bounds it.
 */
export function resolveQuota(table: QuotaTable, key: QuotaKey, user: string, clientId: string): ResolvedQuota | undefined {
  if (table.size === 0) return undefined
  for (const c of candidates(user, clientId)) {
    const bound = table.get(entityKey(c.entity))?.values[key]
    if (bound !== undefined) return { bound, user: c.user, clientId: c.clientId }
  }
  return undefined
}
