/**
 * Topic-level configs: Kafka's names, types, defaults and the broker properties they inherit
 * from (synonyms). A topic's effective value comes from, in order: the topic's own override,
 * a dynamic config of this broker, the cluster-wide dynamic default, the static broker config
 * (server.properties / env / --override), then the built-in default. DescribeConfigs reports
 * that source; storage receives the result as a LogConfig.
 */
import { KafkaError } from '../protocol/errors.js'
import { COMPRESSION_LEVELS, COMPRESSION_TYPES, resolveLogConfig, type CompressionType, type LogConfig } from '../storage/index.js'
import type { BrokerConfig } from './config.js'

export const LONG_MAX = '9223372036854775807'

type Kind = 'long' | 'int' | 'double' | 'bool' | 'string' | 'list'

interface Synonym {
  /** Broker property name. */
  name: string
  /** Converts the broker value to the topic unit (hours to ms); identity when absent. */
  scale?: number
  /** A broker value that means "not set, look further" (e.g. log.retention.ms=-2 in our table). */
  unset?: string
  /**
   * A built-in default that only marks "not set", while the same value set explicitly means
   * something (log.retention.minutes=-1 set by hand keeps data forever, as in Kafka).
   */
  unsetDefault?: string
}

export interface TopicConfigDef {
  name: string
  kind: Kind
  /** Built-in default, used when no broker synonym is set. */
  default: string
  synonyms: Synonym[]
  doc: string
  /** Returns why a value is invalid, or undefined. */
  check?: (value: string) => string | undefined
  /** A Kafka 3.x key that Kafka 4 removed: accepted, with this warning each time it is set. */
  deprecated?: string
}

const isLong = (min: number) => (v: string) => (/^-?\d+$/.test(v.trim()) && Number(v) >= min ? undefined : `must be an integer >= ${min}`)
const isInt = (min: number) => (v: string) => (/^-?\d+$/.test(v.trim()) && Number(v) >= min && Number(v) <= 2147483647 ? undefined : `must be an int >= ${min}`)
const isBool = (v: string) => (/^(true|false)$/i.test(v.trim()) ? undefined : 'must be true or false')
const isRatio = (v: string) => (v.trim() !== '' && Number(v) >= 0 && Number(v) <= 1 ? undefined : 'must be a number between 0 and 1')
const oneOf = (...allowed: string[]) => (v: string) => (allowed.includes(v.trim()) ? undefined : `must be one of ${allowed.join(', ')}`)

function def(name: string, kind: Kind, dflt: string, synonyms: Array<string | Synonym>, doc: string, check?: (v: string) => string | undefined, deprecated?: string): TopicConfigDef {
  return { name, kind, default: dflt, synonyms: synonyms.map((s) => (typeof s === 'string' ? { name: s } : s)), doc, ...(check ? { check } : {}), ...(deprecated ? { deprecated } : {}) }
}

const isLevel = (codec: keyof typeof COMPRESSION_LEVELS) => (v: string) => {
  const { min, max, default: dflt } = COMPRESSION_LEVELS[codec]
  const n = Number(v.trim())
  return /^-?\d+$/.test(v.trim()) && ((n >= min && n <= max) || n === dflt) ? undefined : `must be an integer in [${min}, ${max}]${dflt < min ? ` or ${dflt}` : ''}`
}

const HOUR = 3_600_000

/** Every topic config Samsa accepts, by Kafka name. */
export const TOPIC_CONFIG: ReadonlyMap<string, TopicConfigDef> = new Map(
  [
    def('cleanup.policy', 'list', 'delete', ['log.cleanup.policy'], 'delete and/or compact.', (v) =>
      v.split(',').every((p) => p.trim() === 'delete' || p.trim() === 'compact') ? undefined : 'must be delete, compact or both (comma separated)',
    ),
    def('compression.gzip.level', 'int', String(COMPRESSION_LEVELS.gzip.default), ['compression.gzip.level'], 'gzip level when the broker compresses (compression.type=gzip): 1-9, or -1 for the default (6).', isLevel('gzip')),
    def('compression.lz4.level', 'int', String(COMPRESSION_LEVELS.lz4.default), ['compression.lz4.level'], 'lz4 level (1-17): accepted, not applied (the lz4 library has one level).', isLevel('lz4')),
    def('compression.type', 'string', 'producer', ['compression.type'], 'Codec the broker stores batches in (uncompressed, gzip, snappy, lz4, zstd), recompressing those sent otherwise; producer stores them as sent.', oneOf(...COMPRESSION_TYPES)),
    def('compression.zstd.level', 'int', String(COMPRESSION_LEVELS.zstd.default), ['compression.zstd.level'], 'zstd level when the broker compresses (compression.type=zstd): -131072 to 22.', isLevel('zstd')),
    def('delete.retention.ms', 'long', '86400000', ['log.cleaner.delete.retention.ms'], 'How long tombstones, and transaction markers once their data is gone, stay in compacted topics.', isLong(0)),
    def('file.delete.delay.ms', 'long', '60000', ['log.segment.delete.delay.ms'], 'Delay before a deleted segment file is removed.', isLong(0)),
    def('flush.messages', 'long', LONG_MAX, ['log.flush.interval.messages'], 'fsync after this many messages.', isLong(1)),
    def('flush.ms', 'long', LONG_MAX, [{ name: 'log.flush.interval.ms', unset: '-1' }], 'fsync at least this often.', isLong(0)),
    def('index.interval.bytes', 'int', '4096', ['log.index.interval.bytes'], 'Bytes between offset index entries.', isInt(0)),
    def('max.compaction.lag.ms', 'long', LONG_MAX, ['log.cleaner.max.compaction.lag.ms'], 'Longest a record stays uncompacted.', isLong(1)),
    def('max.message.bytes', 'int', '1048588', ['message.max.bytes'], 'Largest record batch accepted.', isInt(0)),
    def('message.downconversion.enable', 'bool', 'true', ['log.message.downconversion.enable'], 'Whether Fetch v0-3 (clients before Kafka 0.11) get stored batches converted to their message format; false answers them UNSUPPORTED_VERSION.', isBool),
    def('message.format.version', 'string', '3.0-IV1', ['log.message.format.version'], 'Kafka 3.x key, ignored: batches are always stored in format v2 (as Kafka 3.x did from inter.broker.protocol.version 3.0).', undefined,
      'message.format.version is ignored (Kafka 3.0 deprecated it, Kafka 4 removed it): batches are always stored in message format v2'),
    def('message.timestamp.difference.max.ms', 'long', LONG_MAX, ['log.message.timestamp.difference.max.ms'], 'Kafka 3.x key (KIP-937): the default of message.timestamp.before.max.ms and message.timestamp.after.max.ms when those are not set.', isLong(0),
      'message.timestamp.difference.max.ms is deprecated (KIP-937, removed in Kafka 4): use message.timestamp.before.max.ms and message.timestamp.after.max.ms; it applies to whichever of them is not set'),
    def('message.timestamp.after.max.ms', 'long', LONG_MAX, ['log.message.timestamp.after.max.ms'], 'How far in the future a CreateTime timestamp may be.', isLong(0)),
    def('message.timestamp.before.max.ms', 'long', LONG_MAX, ['log.message.timestamp.before.max.ms'], 'How far in the past a CreateTime timestamp may be.', isLong(0)),
    def('message.timestamp.type', 'string', 'CreateTime', ['log.message.timestamp.type'], 'CreateTime or LogAppendTime.', oneOf('CreateTime', 'LogAppendTime')),
    def('min.cleanable.dirty.ratio', 'double', '0.5', ['log.cleaner.min.cleanable.ratio'], 'Dirty ratio before compaction runs.', isRatio),
    def('min.compaction.lag.ms', 'long', '0', ['log.cleaner.min.compaction.lag.ms'], 'Youngest a record may be when compacted.', isLong(0)),
    def('min.insync.replicas', 'int', '1', ['min.insync.replicas'], 'Replicas that must acknowledge acks=all writes.', isInt(1)),
    def('preallocate', 'bool', 'false', ['log.preallocate'], 'Accepted; segments are not preallocated.', isBool),
    def('retention.bytes', 'long', '-1', ['log.retention.bytes'], 'Largest partition size before old segments go; -1 unlimited.', isLong(-1)),
    def(
      'retention.ms',
      'long',
      String(168 * HOUR),
      [{ name: 'log.retention.ms', unset: '-2' }, { name: 'log.retention.minutes', scale: 60_000, unsetDefault: '-1' }, { name: 'log.retention.hours', scale: HOUR }],
      'Age after which segments are deleted; -1 forever.',
      isLong(-1),
    ),
    def('segment.bytes', 'int', '1073741824', ['log.segment.bytes'], 'Segment size before rolling.', isInt(14)),
    def('segment.index.bytes', 'int', '10485760', ['log.index.size.max.bytes'], 'Largest index file.', isInt(4)),
    def('segment.jitter.ms', 'long', '0', [{ name: 'log.roll.jitter.ms', unset: '-1' }, { name: 'log.roll.jitter.hours', scale: HOUR }], 'Random jitter subtracted from segment.ms (accepted, not applied).', isLong(0)),
    def('segment.ms', 'long', String(168 * HOUR), [{ name: 'log.roll.ms', unset: '-1' }, { name: 'log.roll.hours', scale: HOUR }], 'Segment age before rolling.', isLong(1)),
    def('unclean.leader.election.enable', 'bool', 'false', ['unclean.leader.election.enable'], 'Allow an out-of-sync replica to become leader.', isBool),
  ].map((d) => [d.name, d]),
)

export type ConfigSource = 'TOPIC_CONFIG' | 'DYNAMIC_BROKER_CONFIG' | 'DYNAMIC_DEFAULT_BROKER_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG'

export interface ConfigLayer {
  source: ConfigSource
  values: Readonly<Record<string, string>>
}

export interface EffectiveValue {
  value: string
  source: ConfigSource
  /** Every place a value was found, highest precedence first (for DescribeConfigs synonyms). */
  synonyms: Array<{ name: string; value: string; source: ConfigSource }>
}

/**
 * The broker layers beneath topic overrides: this broker's dynamic configs, the cluster-wide
 * dynamic defaults, then the static config's explicitly set keys.
 */
export function brokerLayers(config: BrokerConfig, dynamicBroker: Readonly<Record<string, string>>, dynamicDefault: Readonly<Record<string, string>>): ConfigLayer[] {
  return [
    { source: 'DYNAMIC_BROKER_CONFIG', values: dynamicBroker },
    { source: 'DYNAMIC_DEFAULT_BROKER_CONFIG', values: dynamicDefault },
    { source: 'STATIC_BROKER_CONFIG', values: Object.fromEntries(config.explicit) },
  ]
}

function fromSynonym(s: Synonym, raw: string): string | undefined {
  const v = raw.trim()
  if (s.unset !== undefined && v === s.unset) return undefined
  if (s.scale === undefined) return v
  const n = Number(v)
  return n < 0 ? '-1' : String(n * s.scale)
}

/** The effective value of topic config `name` for a topic with `overrides`. */
export function effectiveTopicConfig(def: TopicConfigDef, overrides: Readonly<Record<string, string>>, layers: readonly ConfigLayer[]): EffectiveValue {
  const synonyms: EffectiveValue['synonyms'] = []
  if (overrides[def.name] !== undefined) synonyms.push({ name: def.name, value: overrides[def.name]!, source: 'TOPIC_CONFIG' })
  // Synonym names outrank layers, as in Kafka: a static log.retention.ms beats a dynamic
  // log.retention.hours because the broker resolves ms, minutes, hours over its merged config.
  for (const s of def.synonyms) {
    for (const layer of layers) {
      const raw = layer.values[s.name]
      if (raw !== undefined && fromSynonym(s, raw) !== undefined) synonyms.push({ name: s.name, value: raw.trim(), source: layer.source })
    }
  }
  const first = synonyms[0]
  if (!first) return { value: def.default, source: 'DEFAULT_CONFIG', synonyms: [] }
  if (first.source === 'TOPIC_CONFIG') return { value: first.value, source: first.source, synonyms }
  const syn = def.synonyms.find((s) => s.name === first.name)!
  return { value: fromSynonym(syn, first.value)!, source: first.source, synonyms }
}

/** All effective topic configs for a topic with `overrides`. */
export function effectiveTopicConfigs(overrides: Readonly<Record<string, string>>, layers: readonly ConfigLayer[]): Map<string, EffectiveValue> {
  const out = new Map<string, EffectiveValue>()
  for (const d of TOPIC_CONFIG.values()) out.set(d.name, effectiveTopicConfig(d, overrides, layers))
  return out
}

/**
 * Checks topic overrides (CreateTopics, AlterConfigs); throws INVALID_CONFIG naming the key.
 * Returns the values trimmed.
 */
export function validateTopicConfigs(configs: Readonly<Record<string, string | null>>, warn?: (message: string) => void): Record<string, string> {
  const out: Record<string, string> = {}
  const deprecations: string[] = []
  for (const [name, value] of Object.entries(configs)) {
    const d = TOPIC_CONFIG.get(name)
    if (!d) throw new KafkaError('INVALID_CONFIG', `Unknown topic config name: ${name}`)
    if (value === null) throw new KafkaError('INVALID_CONFIG', `Null value not supported for topic config ${name}`)
    const why = d.check?.(value)
    if (why) throw new KafkaError('INVALID_CONFIG', `Invalid value ${value} for configuration ${name}: ${why}`)
    out[name] = value.trim()
    if (d.deprecated) deprecations.push(d.deprecated)
  }
  // Warned only once the whole set is valid: a refused request says one thing.
  for (const m of deprecations) warn?.(m)
  // Storage enforces its own cross-field ranges; run them now so a bad combination is refused up front.
  try {
    logConfigOf(effectiveTopicConfigs(out, []))
  } catch (err) {
    throw new KafkaError('INVALID_CONFIG', (err as Error).message)
  }
  return out
}

/** Kafka 3.6+'s LogConfig: a before/after bound left at "never" falls back to message.timestamp.difference.max.ms. */
function orDifference(bound: string, difference: string): number {
  const n = toNumber(bound)
  return Number.isFinite(n) ? n : toNumber(difference)
}

function toNumber(v: string): number {
  // Long.MAX_VALUE is Kafka's "never"; JS numbers above 2^53 only appear as that sentinel.
  const n = Number(v)
  return Number.isSafeInteger(n) ? n : Number.POSITIVE_INFINITY
}

/** What storage needs from the effective configs. */
export function logConfigOf(effective: ReadonlyMap<string, EffectiveValue>): LogConfig {
  const get = (name: string): string => effective.get(name)!.value
  // Kafka deletes segments by age or size only under cleanup.policy=delete; a compact-only
  // topic (e.g. __consumer_offsets) keeps its data until compaction supersedes it.
  const deletes = get('cleanup.policy').split(',').some((p) => p.trim() === 'delete')
  return resolveLogConfig({
    segmentBytes: toNumber(get('segment.bytes')),
    segmentMs: toNumber(get('segment.ms')),
    segmentIndexBytes: toNumber(get('segment.index.bytes')),
    indexIntervalBytes: toNumber(get('index.interval.bytes')),
    retentionMs: deletes ? toNumber(get('retention.ms')) : -1,
    retentionBytes: deletes ? toNumber(get('retention.bytes')) : -1,
    flushMessages: toNumber(get('flush.messages')),
    flushMs: toNumber(get('flush.ms')),
    messageTimestampType: get('message.timestamp.type') as LogConfig['messageTimestampType'],
    maxMessageBytes: toNumber(get('max.message.bytes')),
    messageTimestampBeforeMaxMs: orDifference(get('message.timestamp.before.max.ms'), get('message.timestamp.difference.max.ms')),
    messageTimestampAfterMaxMs: orDifference(get('message.timestamp.after.max.ms'), get('message.timestamp.difference.max.ms')),
    compact: get('cleanup.policy').split(',').some((p) => p.trim() === 'compact'),
    fileDeleteDelayMs: toNumber(get('file.delete.delay.ms')),
    compressionType: get('compression.type') as CompressionType,
    compressionGzipLevel: toNumber(get('compression.gzip.level')),
    compressionLz4Level: toNumber(get('compression.lz4.level')),
    compressionZstdLevel: toNumber(get('compression.zstd.level')),
    deleteRetentionMs: toNumber(get('delete.retention.ms')),
    minCompactionLagMs: toNumber(get('min.compaction.lag.ms')),
    maxCompactionLagMs: toNumber(get('max.compaction.lag.ms')),
    minCleanableDirtyRatio: Number(get('min.cleanable.dirty.ratio')),
  })
}
