/**
 * Client quota entities and keys (KIP-546): an entity names a user, a client id, or both; a
 * name of null is the `<default>` of its type. Entities are stored under a canonical key so
 * that the same entity written in either order is one record.
 */
import { KafkaError } from '../../protocol/errors.js'

export const USER = 'user'
export const CLIENT_ID = 'client-id'
export const IP = 'ip'

/** Entity type to name (null: the default entity of that type). */
export type QuotaEntity = Readonly<Record<string, string | null>>

/** The quota keys served, with the kind of number each takes (Kafka's QuotaConfigs). */
export const QUOTA_KEYS: Readonly<Record<string, 'long' | 'double'>> = {
  producer_byte_rate: 'long',
  consumer_byte_rate: 'long',
  request_percentage: 'double',
  controller_mutation_rate: 'double',
}

export type QuotaKey = 'producer_byte_rate' | 'consumer_byte_rate' | 'request_percentage' | 'controller_mutation_rate'

/** `client-id=a,user=b`; a default is the bare type (`user`), names are URI-encoded. */
export function entityKey(entity: QuotaEntity): string {
  return Object.keys(entity)
    .sort()
    .map((t) => (entity[t] === null ? t : `${t}=${encodeURIComponent(entity[t]!)}`))
    .join(',')
}

export function parseEntityKey(key: string): QuotaEntity | undefined {
  const out: Record<string, string | null> = {}
  for (const part of key.split(',')) {
    const eq = part.indexOf('=')
    const type = eq < 0 ? part : part.slice(0, eq)
    if (type !== USER && type !== CLIENT_ID) return undefined
    try {
      out[type] = eq < 0 ? null : decodeURIComponent(part.slice(eq + 1))
    } catch {
      return undefined
    }
  }
  return out
}

/** Human form for messages: `user 'alice', client-id <default>`. */
export function describeEntity(entity: QuotaEntity): string {
  return Object.keys(entity)
    .sort()
    .map((t) => `${t} ${entity[t] === null ? '<default>' : `'${entity[t]}'`}`)
    .join(', ')
}

/**
 * The entity of an AlterClientQuotas entry, or INVALID_REQUEST as Kafka's controller answers:
 * empty, a type twice, an unknown type, ip with another type. ip entities (connection
 * creation rates) are not served: refused with a message saying so.
 */
export function entityFromWire(parts: ReadonlyArray<{ entityType: string; entityName: string | null }>): QuotaEntity {
  if (parts.length === 0) throw new KafkaError('INVALID_REQUEST', 'Invalid empty client quota entity.')
  const out: Record<string, string | null> = {}
  for (const p of parts) {
    if (p.entityType in out) throw new KafkaError('INVALID_REQUEST', `Duplicate ${p.entityType} entity type in the client quota entity.`)
    if (p.entityType === IP) throw new KafkaError('INVALID_REQUEST', 'ip quotas (connection_creation_rate) are not supported by Samsa.')
    if (p.entityType !== USER && p.entityType !== CLIENT_ID) throw new KafkaError('INVALID_REQUEST', `Unhandled client quota entity type: ${p.entityType}`)
    out[p.entityType] = p.entityName
  }
  return out
}

/** INVALID_REQUEST for a key this entity cannot take or a value its key cannot hold. */
export function checkQuotaValue(key: string, value: number): void {
  const kind = QUOTA_KEYS[key]
  if (!kind) throw new KafkaError('INVALID_REQUEST', `Invalid configuration key ${key}; the client quota keys are ${Object.keys(QUOTA_KEYS).join(', ')}.`)
  if (!Number.isFinite(value)) throw new KafkaError('INVALID_REQUEST', `Invalid value ${value} for configuration key ${key}: must be a finite number.`)
  if (kind === 'long') {
    if (value > Number.MAX_SAFE_INTEGER) throw new KafkaError('INVALID_REQUEST', `Proposed value for ${key} is too large.`)
    if (!Number.isInteger(value)) throw new KafkaError('INVALID_REQUEST', `${key} must be an integer, got ${value}.`)
  }
  if (value <= 0) throw new KafkaError('INVALID_REQUEST', `${key} must be positive, got ${value}; remove the key to lift the quota.`)
}
