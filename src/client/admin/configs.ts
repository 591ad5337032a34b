/**
 * Configs: DescribeConfigs, and IncrementalAlterConfigs (KIP-339: per-key set / delete /
 * append / subtract, so a change never resets the keys it does not name, which the older
 * AlterConfigs does).
 *
 * Routing: a broker or broker-logger resource is answered only by that broker (its name is the
 * broker id); the cluster-wide broker default (name "") and topics by any broker. One request
 * per destination. Per-resource errors are final (INVALID_CONFIG, UNKNOWN_TOPIC_OR_PARTITION...);
 * only failing to reach a broker is retried.
 *
 * Sources are Kafka's ConfigSource names ('DYNAMIC_TOPIC_CONFIG', 'DEFAULT_CONFIG', ...), the
 * words kafka-configs.sh and the Java client show, so they can be looked up in Kafka's docs.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import type { DescribeConfigsResponseDescribeConfigsResourceResult } from '../../protocol/generated/describe-configs.js'
import type { BrokerConnection } from '../base/connection.js'
import { ClientError } from '../base/errors.js'
import { brokerError, final, finish, groupBy, isTransient, perDestination, settle, type Call, type Outcomes } from './common.js'
import type { ConfigAlteration, ConfigEntry, ConfigResource, ConfigResourceType, ConfigSource, ConfigType, ResourceConfig } from './types.js'

/** Kafka's ConfigResource.Type wire values. */
const RESOURCE_TYPE: Record<ConfigResourceType, number> = { topic: 2, broker: 4, 'broker-logger': 8 }

/** Kafka's DescribeConfigsResponse.ConfigSource, by wire id. */
const SOURCES: ConfigSource[] = [
  'UNKNOWN',
  'DYNAMIC_TOPIC_CONFIG',
  'DYNAMIC_BROKER_CONFIG',
  'DYNAMIC_DEFAULT_BROKER_CONFIG',
  'STATIC_BROKER_CONFIG',
  'DEFAULT_CONFIG',
  'DYNAMIC_BROKER_LOGGER_CONFIG',
  'CLIENT_METRICS_CONFIG',
  'GROUP_CONFIG',
]

const TYPES: ConfigType[] = ['UNKNOWN', 'BOOLEAN', 'STRING', 'INT', 'SHORT', 'LONG', 'DOUBLE', 'LIST', 'CLASS', 'PASSWORD']

const OPS = { set: 0, delete: 1, append: 2, subtract: 3 } as const

function sourceName(id: number | undefined): ConfigSource {
  return (id !== undefined && SOURCES[id]) || 'UNKNOWN'
}

function resourceName(r: { type: ConfigResourceType; name: string }): string {
  return r.type === 'topic' ? `topic ${r.name}` : `${r.type} ${r.name === '' ? '(cluster default)' : r.name}`
}

function checkResource(op: string, r: { type: ConfigResourceType; name: string }): void {
  if (!(r.type in RESOURCE_TYPE)) throw new ClientError('INVALID_OPTION', `${op}: resource type must be 'topic', 'broker' or 'broker-logger', got ${JSON.stringify(r.type)}`)
  if (typeof r.name !== 'string') throw new ClientError('INVALID_OPTION', `${op}: resource name must be a string (a broker's is its id, "1")`)
  if (r.type !== 'topic' && r.name !== '' && !/^\d+$/.test(r.name)) {
    throw new ClientError('INVALID_OPTION', `${op}: a ${r.type} resource is named by broker id ("1"), got ${JSON.stringify(r.name)}`)
  }
}

/** Which broker must answer: its id, or -1 for any. */
function destination(r: { type: ConfigResourceType; name: string }): number {
  return r.type !== 'topic' && r.name !== '' ? Number(r.name) : -1
}

/** Connections per destination; a broker id missing from fresh metadata is a final error. */
async function connect(call: Call, dest: number): Promise<BrokerConnection> {
  const c = call.cluster
  if (dest < 0) return c.anyConnection()
  if (!c.brokers.has(dest)) await c.fetchMetadata([])
  if (!c.brokers.has(dest)) {
    throw final(new ClientError('INVALID_OPTION', `broker ${dest} is not in the cluster (brokers: ${[...c.brokers.keys()].sort((a, b) => a - b).join(', ')})`))
  }
  return c.connection(dest)
}

export interface DescribeConfigsOptions {
  includeSynonyms?: boolean
  includeDocumentation?: boolean
}

export async function describeConfigs(call: Call, resources: ConfigResource[], o: DescribeConfigsOptions): Promise<ResourceConfig[]> {
  for (const r of resources) checkResource('describeConfigs', r)
  const s = await settle<ConfigResource, ResourceConfig>(call, resources, isTransient, (pending) =>
    perDestination(groupBy(pending, destination), async (dest, items) => {
      const conn = await connect(call, dest)
      const version = conn.version(ApiKey.DescribeConfigs, 4)
      const resp = await conn.request(
        ApiKey.DescribeConfigs,
        {
          resources: items.map((r) => ({ resourceType: RESOURCE_TYPE[r.type], resourceName: r.name, configurationKeys: r.keys ?? null })),
          includeSynonyms: o.includeSynonyms ?? false,
          includeDocumentation: o.includeDocumentation ?? false,
        },
        call.request(version),
      )
      const out: Outcomes<ConfigResource, ResourceConfig> = new Map()
      for (const r of items) {
        const res = resp.results.find((x) => x.resourceType === RESOURCE_TYPE[r.type] && x.resourceName === r.name)
        if (!res) continue
        out.set(r, brokerError(res.errorCode, resourceName(r), res.errorMessage) ?? { type: r.type, name: r.name, entries: res.configs.map((e) => entry(e, version)) })
      }
      return out
    }),
  )
  return finish(call, resources, s, resourceName)
}

function entry(e: DescribeConfigsResponseDescribeConfigsResourceResult, version: number): ConfigEntry {
  const source = version >= 1 ? sourceName(e.configSource) : 'UNKNOWN'
  return {
    name: e.name,
    value: e.value,
    source,
    isReadOnly: e.readOnly,
    isSensitive: e.isSensitive,
    // v0 says so itself; later versions through the source, as Kafka's AdminClient reads it.
    isDefault: version === 0 ? (e.isDefault ?? false) : source === 'DEFAULT_CONFIG',
    synonyms: (e.synonyms ?? []).map((x) => ({ name: x.name, value: x.value, source: sourceName(x.source) })),
    type: version >= 3 ? (TYPES[e.configType ?? 0] ?? 'UNKNOWN') : null,
    documentation: e.documentation ?? null,
  }
}

export async function alterConfigs(call: Call, changes: ConfigAlteration[], validateOnly: boolean): Promise<void> {
  for (const r of changes) {
    checkResource('alterConfigs', r)
    for (const op of r.ops ?? []) {
      if (!(op.op in OPS)) throw new ClientError('INVALID_OPTION', `alterConfigs: ${resourceName(r)}: op must be set, delete, append or subtract, got ${JSON.stringify(op.op)}`)
      if (op.op !== 'delete' && typeof op.value !== 'string') {
        throw new ClientError('INVALID_OPTION', `alterConfigs: ${resourceName(r)}: ${op.op} ${op.name} needs a string value`)
      }
    }
  }
  const s = await settle<ConfigAlteration, true>(call, changes, isTransient, (pending) =>
    perDestination(groupBy(pending, destination), async (dest, items) => {
      const conn = await connect(call, dest)
      const version = conn.version(ApiKey.IncrementalAlterConfigs, 1)
      const resp = await conn.request(
        ApiKey.IncrementalAlterConfigs,
        {
          resources: items.map((r) => ({
            resourceType: RESOURCE_TYPE[r.type],
            resourceName: r.name,
            configs: r.ops.map((op) => ({ name: op.name, configOperation: OPS[op.op], value: op.op === 'delete' ? null : op.value! })),
          })),
          validateOnly,
        },
        call.request(version),
      )
      const out: Outcomes<ConfigAlteration, true> = new Map()
      for (const r of items) {
        const res = resp.responses.find((x) => x.resourceType === RESOURCE_TYPE[r.type] && x.resourceName === r.name)
        if (res) out.set(r, brokerError(res.errorCode, resourceName(r), res.errorMessage) ?? true)
      }
      return out
    }),
  )
  finish(call, changes, s, resourceName)
}
