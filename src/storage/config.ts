/**
 * Per-topic log configuration with Kafka's property names and defaults. The broker keeps topic
 * configs (metadata); storage receives them resolved into this object.
 */
import { LOG_OVERHEAD } from '../protocol/records/batch-header.js'
import { StorageError } from './errors.js'

export type TimestampType = 'CreateTime' | 'LogAppendTime'

/** compression.type: a codec the leader stores batches in, or producer (as sent). */
export type CompressionType = 'producer' | 'uncompressed' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

export const COMPRESSION_TYPES: readonly CompressionType[] = ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd']

/** KIP-390's ranges: gzip 1-9 or -1 (zlib's default), lz4 1-17, zstd -131072..22. */
export const COMPRESSION_LEVELS = {
  gzip: { min: 1, max: 9, default: -1 },
  lz4: { min: 1, max: 17, default: 9 },
  zstd: { min: -131072, max: 22, default: 3 },
} as const

export interface LogConfig {
  /** segment.bytes: roll when the active segment would grow beyond this. */
  segmentBytes: number
  /** segment.ms: roll when the active segment's first batch is older than this. */
  segmentMs: number
  /** segment.index.bytes: maximum size of an offset or time index; a full index rolls the segment. */
  segmentIndexBytes: number
  /** index.interval.bytes: bytes of log between two sparse index entries. */
  indexIntervalBytes: number
  /** retention.ms: delete segments whose newest timestamp is older; -1 keeps forever. */
  retentionMs: number
  /** retention.bytes: delete oldest segments while the log is larger; -1 means no limit. */
  retentionBytes: number
  /** flush.messages: fsync after this many unflushed offsets; Infinity (Kafka's Long.MAX) never. */
  flushMessages: number
  /** flush.ms: fsync when the last flush is older than this; Infinity never. */
  flushMs: number
  /** message.timestamp.type: LogAppendTime makes the broker stamp each batch. */
  messageTimestampType: TimestampType
  /** max.message.bytes: largest batch accepted from a producer. */
  maxMessageBytes: number
  /** message.timestamp.before.max.ms: how far in the past a CreateTime timestamp may be; Infinity: any. */
  messageTimestampBeforeMaxMs: number
  /** message.timestamp.after.max.ms: how far in the future a CreateTime timestamp may be; Infinity: any. */
  messageTimestampAfterMaxMs: number
  /** cleanup.policy includes compact: every record a producer sends needs a key. */
  compact: boolean
  /** file.delete.delay.ms: how long deleted segments stay (renamed *.deleted) before unlinking. */
  fileDeleteDelayMs: number
  /** compression.type: the codec the leader stores a producer's batches in; producer keeps theirs. */
  compressionType: CompressionType
  /** compression.gzip.level: 1-9, or -1 for zlib's default. */
  compressionGzipLevel: number
  /** compression.lz4.level: 1-17 (accepted; lz4-napi has no level, so not applied). */
  compressionLz4Level: number
  /** compression.zstd.level: -131072..22. */
  compressionZstdLevel: number
  /** delete.retention.ms: how long the cleaner keeps a tombstone once its segment is cleaned. */
  deleteRetentionMs: number
  /** min.compaction.lag.ms: records younger than this stay uncleaned. */
  minCompactionLagMs: number
  /** max.compaction.lag.ms: a dirty record older than this makes the log cleanable whatever its dirty ratio; Infinity never. */
  maxCompactionLagMs: number
  /** min.cleanable.dirty.ratio: the dirty share of the cleanable bytes at which the cleaner runs. */
  minCleanableDirtyRatio: number
}

/** Kafka's Long.MAX_VALUE, which Kafka uses to mean "never" for flush settings. */
const KAFKA_LONG_MAX = '9223372036854775807'

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  flushMessages: Number.POSITIVE_INFINITY,
  flushMs: Number.POSITIVE_INFINITY,
  messageTimestampType: 'CreateTime',
  maxMessageBytes: 1024 * 1024 + LOG_OVERHEAD,
  messageTimestampBeforeMaxMs: Number.POSITIVE_INFINITY,
  messageTimestampAfterMaxMs: Number.POSITIVE_INFINITY,
  compact: false,
  fileDeleteDelayMs: 60_000,
  compressionType: 'producer',
  compressionGzipLevel: COMPRESSION_LEVELS.gzip.default,
  compressionLz4Level: COMPRESSION_LEVELS.lz4.default,
  compressionZstdLevel: COMPRESSION_LEVELS.zstd.default,
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.POSITIVE_INFINITY,
  minCleanableDirtyRatio: 0.5,
})

const INT32_MAX = 0x7fffffff

/** Fills in defaults and checks ranges; throws INVALID_CONFIG naming the Kafka property. */
export function resolveLogConfig(overrides: Partial<LogConfig> = {}, base: Readonly<LogConfig> = DEFAULT_LOG_CONFIG): LogConfig {
  const c: LogConfig = { ...base }
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v
  }
  // Kafka's own lower bounds; a segment position must fit the index's int32.
  checkRange('segment.bytes', c.segmentBytes, 14, INT32_MAX)
  checkRange('segment.ms', c.segmentMs, 1, Number.POSITIVE_INFINITY)
  checkRange('segment.index.bytes', c.segmentIndexBytes, 4, INT32_MAX)
  checkRange('index.interval.bytes', c.indexIntervalBytes, 0, INT32_MAX)
  checkRange('retention.ms', c.retentionMs, -1, Number.POSITIVE_INFINITY)
  checkRange('retention.bytes', c.retentionBytes, -1, Number.POSITIVE_INFINITY)
  checkRange('flush.messages', c.flushMessages, 1, Number.POSITIVE_INFINITY)
  checkRange('flush.ms', c.flushMs, 0, Number.POSITIVE_INFINITY)
  checkRange('max.message.bytes', c.maxMessageBytes, 0, INT32_MAX)
  checkRange('message.timestamp.before.max.ms', c.messageTimestampBeforeMaxMs, 0, Number.POSITIVE_INFINITY)
  checkRange('message.timestamp.after.max.ms', c.messageTimestampAfterMaxMs, 0, Number.POSITIVE_INFINITY)
  checkRange('file.delete.delay.ms', c.fileDeleteDelayMs, 0, Number.POSITIVE_INFINITY)
  checkRange('compression.lz4.level', c.compressionLz4Level, COMPRESSION_LEVELS.lz4.min, COMPRESSION_LEVELS.lz4.max)
  checkRange('compression.zstd.level', c.compressionZstdLevel, COMPRESSION_LEVELS.zstd.min, COMPRESSION_LEVELS.zstd.max)
  checkRange('delete.retention.ms', c.deleteRetentionMs, 0, Number.POSITIVE_INFINITY)
  checkRange('min.compaction.lag.ms', c.minCompactionLagMs, 0, Number.POSITIVE_INFINITY)
  checkRange('max.compaction.lag.ms', c.maxCompactionLagMs, 1, Number.POSITIVE_INFINITY)
  checkRange('min.cleanable.dirty.ratio', c.minCleanableDirtyRatio, 0, 1)
  if (c.compressionGzipLevel !== -1) checkRange('compression.gzip.level', c.compressionGzipLevel, COMPRESSION_LEVELS.gzip.min, COMPRESSION_LEVELS.gzip.max)
  if (!COMPRESSION_TYPES.includes(c.compressionType)) {
    throw new StorageError('INVALID_CONFIG', `compression.type must be one of ${COMPRESSION_TYPES.join(', ')}, got ${String(c.compressionType)}`)
  }
  if (c.messageTimestampType !== 'CreateTime' && c.messageTimestampType !== 'LogAppendTime') {
    throw new StorageError('INVALID_CONFIG', `message.timestamp.type must be CreateTime or LogAppendTime, got ${String(c.messageTimestampType)}`)
  }
  return c
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    throw new StorageError('INVALID_CONFIG', `${name} must be in [${min}, ${max}], got ${String(value)}`)
  }
}

type NumericKey = Exclude<keyof LogConfig, 'messageTimestampType' | 'compact' | 'compressionType'>

/** Kafka topic-level property name for each field. */
export const LOG_CONFIG_PROPERTY_NAMES: Readonly<Record<keyof LogConfig, string>> = Object.freeze({
  segmentBytes: 'segment.bytes',
  segmentMs: 'segment.ms',
  segmentIndexBytes: 'segment.index.bytes',
  indexIntervalBytes: 'index.interval.bytes',
  retentionMs: 'retention.ms',
  retentionBytes: 'retention.bytes',
  flushMessages: 'flush.messages',
  flushMs: 'flush.ms',
  messageTimestampType: 'message.timestamp.type',
  maxMessageBytes: 'max.message.bytes',
  messageTimestampBeforeMaxMs: 'message.timestamp.before.max.ms',
  messageTimestampAfterMaxMs: 'message.timestamp.after.max.ms',
  compact: 'cleanup.policy',
  fileDeleteDelayMs: 'file.delete.delay.ms',
  compressionType: 'compression.type',
  compressionGzipLevel: 'compression.gzip.level',
  compressionLz4Level: 'compression.lz4.level',
  compressionZstdLevel: 'compression.zstd.level',
  deleteRetentionMs: 'delete.retention.ms',
  minCompactionLagMs: 'min.compaction.lag.ms',
  maxCompactionLagMs: 'max.compaction.lag.ms',
  minCleanableDirtyRatio: 'min.cleanable.dirty.ratio',
})

/**
 * Reads topic-level Kafka properties (`segment.bytes=...`). Unknown names are returned so the
 * caller can warn about them; storage never fails on a property it does not own.
 */
export function logConfigFromProperties(
  props: Readonly<Record<string, string>>,
  base: Readonly<LogConfig> = DEFAULT_LOG_CONFIG,
): { config: LogConfig; unknown: string[] } {
  const byName = new Map(Object.entries(LOG_CONFIG_PROPERTY_NAMES).map(([k, v]) => [v, k as keyof LogConfig]))
  const overrides: Partial<LogConfig> = {}
  const unknown: string[] = []
  for (const [name, raw] of Object.entries(props)) {
    const key = byName.get(name)
    if (key === undefined) {
      unknown.push(name)
    } else if (key === 'messageTimestampType') {
      overrides.messageTimestampType = raw.trim() as TimestampType
    } else if (key === 'compressionType') {
      overrides.compressionType = raw.trim() as CompressionType
    } else if (key === 'minCleanableDirtyRatio') {
      const ratio = Number(raw.trim())
      if (raw.trim() === '' || Number.isNaN(ratio)) throw new StorageError('INVALID_CONFIG', `${name} must be a number, got '${raw}'`)
      overrides.minCleanableDirtyRatio = ratio
    } else if (key === 'compact') {
      overrides.compact = raw.split(',').some((p) => p.trim() === 'compact')
    } else {
      overrides[key as NumericKey] = parseLong(name, raw)
    }
  }
  return { config: resolveLogConfig(overrides, base), unknown }
}

/** Renders a config back to Kafka property strings (for DescribeConfigs). */
export function logConfigToProperties(config: Readonly<LogConfig>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, name] of Object.entries(LOG_CONFIG_PROPERTY_NAMES)) {
    const v = config[key as keyof LogConfig]
    if (key === 'compact') continue // one side of cleanup.policy: the broker's topic config says the rest
    out[name] = typeof v === 'number' && !Number.isFinite(v) ? KAFKA_LONG_MAX : String(v)
  }
  return out
}

function parseLong(name: string, raw: string): number {
  const s = raw.trim()
  if (!/^-?\d+$/.test(s)) throw new StorageError('INVALID_CONFIG', `${name} must be an integer, got '${raw}'`)
  const n = Number(s)
  // Values at or beyond 2^53 only occur as Kafka's "never" sentinel (Long.MAX_VALUE).
  return Number.isSafeInteger(n) ? n : n > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY
}
