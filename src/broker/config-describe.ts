/**
 * Config descriptions as DescribeConfigs and CreateTopics (v5+) report them: each entry's
 * value, where the value came from (Kafka's ConfigSource ids), its synonyms, its type and its
 * documentation. Also says which broker properties may change at runtime.
 */
import { BROKER_CONFIG, BROKER_CONFIG_KEYS, brokerConfigDef, type BrokerConfig, type ConfigValue, type Def } from './config.js'
import { LONG_MAX, TOPIC_CONFIG, effectiveTopicConfig, type ConfigLayer, type ConfigSource } from './topic-config.js'

/** DescribeConfigsResponse ConfigSource ids. */
export const CONFIG_SOURCE: Readonly<Record<ConfigSource | 'DYNAMIC_BROKER_LOGGER_CONFIG', number>> = {
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
}

/** DescribeConfigsResponse ConfigType ids, by our kind names. */
const CONFIG_TYPE: Readonly<Record<string, number>> = { bool: 1, string: 2, int: 3, long: 5, double: 6, list: 7 }

export interface ConfigSynonym {
  name: string
  value: string | null
  source: number
}

export interface ConfigDescription {
  name: string
  value: string | null
  source: number
  readOnly: boolean
  isSensitive: boolean
  /** Highest precedence first; the first one is where the value came from. */
  synonyms: ConfigSynonym[]
  configType: number
  documentation: string
}

/**
 * Broker properties AlterConfigs may change at runtime: the broker-level defaults of topic
 * configs (Kafka's DynamicLogConfig set). ReplicaManager re-resolves every topic's log config
 * when they change; nothing else reads broker properties after start-up, so nothing else is.
 */
export const DYNAMIC_BROKER_CONFIGS: ReadonlySet<string> = new Set([...TOPIC_CONFIG.values()].flatMap((d) => d.synonyms.map((s) => s.name)))

const wanted = (keys: readonly string[] | null) => (name: string) => keys === null || keys.includes(name)

/**
 * Every topic config (or those in `keys`) of a topic with `overrides`, as resolved through the
 * broker `layers`. Like Kafka, the synonyms end with the built-in defaults of the broker
 * properties (log.retention.hours=168), skipping those whose default means "not set".
 */
export function describeTopicConfigs(overrides: Readonly<Record<string, string>>, layers: readonly ConfigLayer[], keys: readonly string[] | null = null): ConfigDescription[] {
  const out: ConfigDescription[] = []
  for (const def of [...TOPIC_CONFIG.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!wanted(keys)(def.name)) continue
    const eff = effectiveTopicConfig(def, overrides, layers)
    const synonyms: ConfigSynonym[] = eff.synonyms.map((s) => ({ name: s.name, value: s.value, source: CONFIG_SOURCE[s.source] }))
    for (const s of def.synonyms) {
      const dflt = brokerConfigDef(s.name)?.default
      if (dflt !== undefined && dflt !== '' && dflt !== s.unset && dflt !== s.unsetDefault) synonyms.push({ name: s.name, value: dflt, source: CONFIG_SOURCE.DEFAULT_CONFIG })
    }
    out.push({
      name: def.name,
      value: eff.value,
      source: CONFIG_SOURCE[eff.source],
      readOnly: false,
      isSensitive: false,
      synonyms,
      configType: CONFIG_TYPE[def.kind] ?? 0,
      documentation: def.doc,
    })
  }
  return out
}

/** A parsed broker value back in property form (lists comma separated, Long.MAX_VALUE kept). */
function format(v: ConfigValue): string {
  if (Array.isArray(v)) return v.join(',')
  // Parsing clamps Long.MAX_VALUE ("never") to a safe integer; show what was meant.
  if (typeof v === 'number' && v === Number.MAX_SAFE_INTEGER) return LONG_MAX
  return String(v)
}

/**
 * Every broker property (or those in `keys`) of this broker: this broker's dynamic value,
 * else the cluster-wide dynamic default, else the static config, else the built-in default.
 * Only the dynamically changeable ones are not read-only.
 */
export function describeBrokerConfigs(
  config: BrokerConfig,
  dynamicBroker: Readonly<Record<string, string>>,
  dynamicDefault: Readonly<Record<string, string>>,
  keys: readonly string[] | null = null,
): ConfigDescription[] {
  const out: ConfigDescription[] = []
  for (const name of [...BROKER_CONFIG_KEYS].sort()) {
    if (!wanted(keys)(name)) continue
    const def = BROKER_CONFIG[name]
    const synonyms: ConfigSynonym[] = []
    if (dynamicBroker[name] !== undefined) synonyms.push({ name, value: dynamicBroker[name]!, source: CONFIG_SOURCE.DYNAMIC_BROKER_CONFIG })
    if (dynamicDefault[name] !== undefined) synonyms.push({ name, value: dynamicDefault[name]!, source: CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG })
    if (config.explicit.has(name)) synonyms.push({ name, value: config.explicit.get(name)!, source: CONFIG_SOURCE.STATIC_BROKER_CONFIG })
    synonyms.push({ name, value: def.default, source: CONFIG_SOURCE.DEFAULT_CONFIG })
    const first = synonyms[0]!
    // A built-in default may have been derived from another key (broker.id from node.id,
    // log.dirs from log.dir): report the value the broker runs with.
    const value = first.source === CONFIG_SOURCE.DEFAULT_CONFIG ? format(config.get(name)) : first.value
    out.push({
      name,
      value,
      source: first.source,
      readOnly: !DYNAMIC_BROKER_CONFIGS.has(name),
      isSensitive: (def as Def).sensitive === true,
      synonyms,
      configType: CONFIG_TYPE[def.kind] ?? 0,
      documentation: def.doc,
    })
  }
  return out
}

/**
 * The cluster-wide default resource (empty broker name): Kafka lists only the dynamic
 * defaults that are set, not every property.
 */
export function describeDynamicDefaults(dynamicDefault: Readonly<Record<string, string>>, keys: readonly string[] | null = null): ConfigDescription[] {
  return Object.keys(dynamicDefault)
    .sort()
    .filter(wanted(keys))
    .map((name) => {
      const value = dynamicDefault[name]!
      const def = brokerConfigDef(name)
      return {
        name,
        value,
        source: CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG,
        readOnly: !DYNAMIC_BROKER_CONFIGS.has(name),
        isSensitive: false,
        synonyms: [{ name, value, source: CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG }],
        configType: def ? (CONFIG_TYPE[def.kind] ?? 0) : 0,
        documentation: def?.doc ?? '',
      }
    })
}
