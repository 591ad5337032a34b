/**
 * DescribeClientQuotas and AlterClientQuotas (KIP-546) from the admin client: quotas of user and
 * client-id entities, a null name being the `<default>` entity.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { brokerError, retrying, type Call } from './common.js'

/** Entity type (`user`, `client-id`) to name; null is the default entity. */
export type ClientQuotaEntity = Record<string, string | null>

export interface ClientQuotaFilterComponent {
  entityType: string
  /** A name to match exactly; null: the default entity; undefined: any entity of the type. */
  match?: string | null
}

export interface ClientQuotaEntry {
  entity: ClientQuotaEntity
  values: Record<string, number>
}

export interface ClientQuotaAlteration {
  entity: ClientQuotaEntity
  /** key to a value to set, or null to remove it. */
  ops: Record<string, number | null>
}

export async function describeClientQuotas(call: Call, components: ClientQuotaFilterComponent[], strict: boolean): Promise<ClientQuotaEntry[]> {
  return retrying(call, async () => {
    const conn = await call.cluster.anyConnection()
    const version = conn.version(ApiKey.DescribeClientQuotas, 1)
    const resp = await conn.request(
      ApiKey.DescribeClientQuotas,
      {
        components: components.map((c) => ({ entityType: c.entityType, matchType: c.match === undefined ? 2 : c.match === null ? 1 : 0, match: c.match ?? null })),
        strict,
      },
      call.request(version),
    )
    const err = brokerError(resp.errorCode, 'client quotas', resp.errorMessage)
    if (err) throw err
    return (resp.entries ?? []).map((e) => ({
      entity: Object.fromEntries(e.entity.map((p) => [p.entityType, p.entityName])),
      values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
    }))
  })
}

/** Applies the alterations; rejects with the first entry's error (each entry succeeds or fails on its own at the broker). */
export async function alterClientQuotas(call: Call, alterations: ClientQuotaAlteration[], validateOnly: boolean): Promise<void> {
  const conn = await call.cluster.anyConnection()
  const version = conn.version(ApiKey.AlterClientQuotas, 1)
  const resp = await conn.request(
    ApiKey.AlterClientQuotas,
    {
      entries: alterations.map((a) => ({
        entity: Object.entries(a.entity).map(([entityType, entityName]) => ({ entityType, entityName })),
        ops: Object.entries(a.ops).map(([key, v]) => ({ key, value: v ?? 0, remove: v === null })),
      })),
      validateOnly,
    },
    call.request(version),
  )
  for (const e of resp.entries) {
    const err = brokerError(e.errorCode, 'client quotas', e.errorMessage)
    if (err) throw err
  }
}
