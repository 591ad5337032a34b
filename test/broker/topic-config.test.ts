/** Topic configs: effective values and their sources across layers, synonyms, validation, mapping to storage. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadBrokerConfig } from '../../src/broker/config.js'
import {
  LONG_MAX,
  TOPIC_CONFIG,
  brokerLayers,
  effectiveTopicConfig,
  effectiveTopicConfigs,
  logConfigOf,
  validateTopicConfigs,
  type ConfigLayer,
  type EffectiveValue,
} from '../../src/broker/topic-config.js'
import { KafkaError } from '../../src/protocol/errors.js'
import { DEFAULT_LOG_CONFIG } from '../../src/storage/index.js'

const HOUR = 3_600_000

interface Setup {
  topic?: Record<string, string>
  dynamicBroker?: Record<string, string>
  dynamicDefault?: Record<string, string>
  static?: Record<string, string>
}

function layers(s: Setup): ConfigLayer[] {
  return brokerLayers(loadBrokerConfig({ overrides: s.static ?? {} }), s.dynamicBroker ?? {}, s.dynamicDefault ?? {})
}

function effective(name: string, s: Setup = {}): EffectiveValue {
  const d = TOPIC_CONFIG.get(name)
  assert.ok(d, `${name} is a topic config`)
  return effectiveTopicConfig(d, s.topic ?? {}, layers(s))
}

/** value and source in one comparable pair. */
function vs(name: string, s: Setup = {}): [string, string] {
  const e = effective(name, s)
  return [e.value, e.source]
}

function invalidConfig(...texts: string[]): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof KafkaError, `expected KafkaError, got ${String(e)}`)
    assert.equal(e.errorName, 'INVALID_CONFIG')
    for (const t of texts) assert.ok(e.message.includes(t), `message ${JSON.stringify(e.message)} contains ${JSON.stringify(t)}`)
    return true
  }
}

test('brokerLayers: dynamic broker, dynamic default, then only the explicitly set static keys', () => {
  const cfg = loadBrokerConfig({ overrides: { 'log.retention.hours': ' 5 ', 'num.partitions': '3' } })
  const ls = brokerLayers(cfg, { a: '1' }, { b: '2' })
  assert.deepEqual(
    ls.map((l) => l.source),
    ['DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG'],
  )
  assert.deepEqual(ls[0]!.values, { a: '1' })
  assert.deepEqual(ls[1]!.values, { b: '2' })
  assert.deepEqual(ls[2]!.values, { 'log.retention.hours': '5', 'num.partitions': '3' })
  // Defaults (log.segment.bytes etc.) are not "static": they are reported as DEFAULT_CONFIG.
  assert.equal((ls[2]!.values as Record<string, string>)['log.segment.bytes'], undefined)
})

test("with nothing set every config is Kafka's default, with no synonyms", () => {
  const all = effectiveTopicConfigs({}, layers({}))
  assert.deepEqual([...all.keys()].sort(), [...TOPIC_CONFIG.keys()].sort())
  const expected: Record<string, string> = {
    'cleanup.policy': 'delete',
    'compression.gzip.level': '-1',
    'compression.lz4.level': '9',
    'compression.type': 'producer',
    'compression.zstd.level': '3',
    'delete.retention.ms': '86400000',
    'file.delete.delay.ms': '60000',
    'flush.messages': LONG_MAX,
    'flush.ms': LONG_MAX,
    'index.interval.bytes': '4096',
    'max.compaction.lag.ms': LONG_MAX,
    'max.message.bytes': '1048588',
    'message.downconversion.enable': 'true',
    'message.format.version': '3.0-IV1',
    'message.timestamp.difference.max.ms': LONG_MAX,
    'message.timestamp.after.max.ms': LONG_MAX,
    'message.timestamp.before.max.ms': LONG_MAX,
    'message.timestamp.type': 'CreateTime',
    'min.cleanable.dirty.ratio': '0.5',
    'min.compaction.lag.ms': '0',
    'min.insync.replicas': '1',
    preallocate: 'false',
    'retention.bytes': '-1',
    'retention.ms': '604800000',
    'segment.bytes': '1073741824',
    'segment.index.bytes': '10485760',
    'segment.jitter.ms': '0',
    'segment.ms': '604800000',
    'unclean.leader.election.enable': 'false',
  }
  assert.equal(LONG_MAX, '9223372036854775807')
  for (const [name, e] of all) {
    assert.deepEqual(e, { value: expected[name], source: 'DEFAULT_CONFIG', synonyms: [] }, name)
  }
  // Every default passes its own check.
  for (const d of TOPIC_CONFIG.values()) assert.equal(d.check?.(d.default), undefined, d.name)
})

test('precedence: topic override > dynamic broker > dynamic default > static > default', () => {
  const all: Setup = {
    topic: { 'segment.bytes': '1000' },
    dynamicBroker: { 'log.segment.bytes': '2000' },
    dynamicDefault: { 'log.segment.bytes': '3000' },
    static: { 'log.segment.bytes': '4000' },
  }
  assert.deepEqual(vs('segment.bytes', all), ['1000', 'TOPIC_CONFIG'])
  assert.deepEqual(vs('segment.bytes', { ...all, topic: {} }), ['2000', 'DYNAMIC_BROKER_CONFIG'])
  assert.deepEqual(vs('segment.bytes', { ...all, topic: {}, dynamicBroker: {} }), ['3000', 'DYNAMIC_DEFAULT_BROKER_CONFIG'])
  assert.deepEqual(vs('segment.bytes', { static: all.static! }), ['4000', 'STATIC_BROKER_CONFIG'])
  assert.deepEqual(vs('segment.bytes', {}), ['1073741824', 'DEFAULT_CONFIG'])
  // Layers can be skipped: a dynamic default over a static value.
  assert.deepEqual(vs('segment.bytes', { dynamicDefault: { 'log.segment.bytes': '3000' }, static: { 'log.segment.bytes': '4000' } }), ['3000', 'DYNAMIC_DEFAULT_BROKER_CONFIG'])

  // DescribeConfigs synonyms: every place a value was found, highest precedence first.
  assert.deepEqual(effective('segment.bytes', all).synonyms, [
    { name: 'segment.bytes', value: '1000', source: 'TOPIC_CONFIG' },
    { name: 'log.segment.bytes', value: '2000', source: 'DYNAMIC_BROKER_CONFIG' },
    { name: 'log.segment.bytes', value: '3000', source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' },
    { name: 'log.segment.bytes', value: '4000', source: 'STATIC_BROKER_CONFIG' },
  ])
  // A topic override of another config does not count.
  assert.deepEqual(vs('segment.bytes', { topic: { 'retention.ms': '1' } }), ['1073741824', 'DEFAULT_CONFIG'])
  // Broker properties whose name differs from the topic name are looked up by the broker name only.
  assert.deepEqual(vs('segment.bytes', { dynamicBroker: { 'segment.bytes': '5' } }), ['1073741824', 'DEFAULT_CONFIG'])
})

test('each topic config inherits from its broker synonym', () => {
  const cases: Array<[topic: string, broker: string, value: string]> = [
    ['cleanup.policy', 'log.cleanup.policy', 'compact'],
    ['compression.gzip.level', 'compression.gzip.level', '9'],
    ['compression.lz4.level', 'compression.lz4.level', '17'],
    ['compression.type', 'compression.type', 'zstd'],
    ['compression.zstd.level', 'compression.zstd.level', '-5'],
    ['delete.retention.ms', 'log.cleaner.delete.retention.ms', '1234'],
    ['file.delete.delay.ms', 'log.segment.delete.delay.ms', '4321'],
    ['flush.messages', 'log.flush.interval.messages', '10'],
    ['flush.ms', 'log.flush.interval.ms', '2000'],
    ['index.interval.bytes', 'log.index.interval.bytes', '100'],
    ['max.compaction.lag.ms', 'log.cleaner.max.compaction.lag.ms', '99'],
    ['max.message.bytes', 'message.max.bytes', '5000'],
    ['message.downconversion.enable', 'log.message.downconversion.enable', 'false'],
    ['message.format.version', 'log.message.format.version', '2.8'],
    ['message.timestamp.difference.max.ms', 'log.message.timestamp.difference.max.ms', '14'],
    ['message.timestamp.after.max.ms', 'log.message.timestamp.after.max.ms', '11'],
    ['message.timestamp.before.max.ms', 'log.message.timestamp.before.max.ms', '12'],
    ['message.timestamp.type', 'log.message.timestamp.type', 'LogAppendTime'],
    ['min.cleanable.dirty.ratio', 'log.cleaner.min.cleanable.ratio', '0.25'],
    ['min.compaction.lag.ms', 'log.cleaner.min.compaction.lag.ms', '13'],
    ['min.insync.replicas', 'min.insync.replicas', '2'],
    ['preallocate', 'log.preallocate', 'true'],
    ['retention.bytes', 'log.retention.bytes', '1048576'],
    ['retention.ms', 'log.retention.ms', '5000'],
    ['segment.bytes', 'log.segment.bytes', '2048'],
    ['segment.index.bytes', 'log.index.size.max.bytes', '4096'],
    ['segment.jitter.ms', 'log.roll.jitter.ms', '77'],
    ['segment.ms', 'log.roll.ms', '60000'],
    ['unclean.leader.election.enable', 'unclean.leader.election.enable', 'true'],
  ]
  assert.deepEqual(cases.map((c) => c[0]).sort(), [...TOPIC_CONFIG.keys()].sort(), 'every topic config is covered')
  for (const [topic, broker, value] of cases) {
    assert.deepEqual(vs(topic, { static: { [broker]: value } }), [value, 'STATIC_BROKER_CONFIG'], `${topic} from static ${broker}`)
    assert.deepEqual(vs(topic, { dynamicDefault: { [broker]: value } }), [value, 'DYNAMIC_DEFAULT_BROKER_CONFIG'], `${topic} from dynamic default ${broker}`)
  }
})

test('synonyms outrank layers as in Kafka: log.retention.ms beats minutes beats hours, wherever each is set', () => {
  // Static ms beats dynamic (per-broker) hours and minutes.
  const s: Setup = {
    dynamicBroker: { 'log.retention.hours': '5', 'log.retention.minutes': '7' },
    dynamicDefault: { 'log.retention.hours': '6' },
    static: { 'log.retention.ms': '1000', 'log.retention.hours': '8' },
  }
  assert.deepEqual(vs('retention.ms', s), ['1000', 'STATIC_BROKER_CONFIG'])
  assert.deepEqual(effective('retention.ms', s).synonyms, [
    { name: 'log.retention.ms', value: '1000', source: 'STATIC_BROKER_CONFIG' },
    { name: 'log.retention.minutes', value: '7', source: 'DYNAMIC_BROKER_CONFIG' },
    { name: 'log.retention.hours', value: '5', source: 'DYNAMIC_BROKER_CONFIG' },
    { name: 'log.retention.hours', value: '6', source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' },
    { name: 'log.retention.hours', value: '8', source: 'STATIC_BROKER_CONFIG' },
  ])
  // Static minutes beat a dynamic hours.
  assert.deepEqual(vs('retention.ms', { dynamicBroker: { 'log.retention.hours': '5' }, static: { 'log.retention.minutes': '2' } }), [String(2 * 60_000), 'STATIC_BROKER_CONFIG'])
  // Within one synonym the layer order holds.
  assert.deepEqual(vs('retention.ms', { dynamicDefault: { 'log.retention.hours': '3' }, static: { 'log.retention.hours': '4' } }), [String(3 * HOUR), 'DYNAMIC_DEFAULT_BROKER_CONFIG'])
  // A topic override beats all of them.
  assert.deepEqual(vs('retention.ms', { ...s, topic: { 'retention.ms': '42' } }), ['42', 'TOPIC_CONFIG'])
  // Same for segment.ms: static log.roll.ms beats dynamic log.roll.hours.
  assert.deepEqual(vs('segment.ms', { dynamicBroker: { 'log.roll.hours': '1' }, static: { 'log.roll.ms': '900' } }), ['900', 'STATIC_BROKER_CONFIG'])
})

test('hours and minutes are converted to ms; a negative value means forever (-1)', () => {
  assert.deepEqual(vs('retention.ms', { static: { 'log.retention.hours': '2' } }), [String(2 * HOUR), 'STATIC_BROKER_CONFIG'])
  assert.deepEqual(vs('retention.ms', { dynamicBroker: { 'log.retention.minutes': '3' } }), ['180000', 'DYNAMIC_BROKER_CONFIG'])
  assert.deepEqual(vs('retention.ms', { static: { 'log.retention.hours': '0' } }), ['0', 'STATIC_BROKER_CONFIG'])
  assert.deepEqual(vs('retention.ms', { static: { 'log.retention.hours': '-1' } }), ['-1', 'STATIC_BROKER_CONFIG'])
  assert.deepEqual(vs('retention.ms', { static: { 'log.retention.ms': '-1' } }), ['-1', 'STATIC_BROKER_CONFIG'])
  assert.deepEqual(vs('segment.ms', { static: { 'log.roll.hours': '3' } }), [String(3 * HOUR), 'STATIC_BROKER_CONFIG'])
  assert.deepEqual(vs('segment.jitter.ms', { dynamicDefault: { 'log.roll.jitter.hours': '2' } }), [String(2 * HOUR), 'DYNAMIC_DEFAULT_BROKER_CONFIG'])
  // The synonym list keeps the broker's own value and unit.
  assert.deepEqual(effective('retention.ms', { static: { 'log.retention.hours': '2' } }).synonyms, [{ name: 'log.retention.hours', value: '2', source: 'STATIC_BROKER_CONFIG' }])
  // Whitespace around a broker value is ignored.
  assert.deepEqual(vs('retention.ms', { dynamicBroker: { 'log.retention.minutes': ' 4 ' } }), ['240000', 'DYNAMIC_BROKER_CONFIG'])
  assert.equal(effective('retention.ms', { dynamicBroker: { 'log.retention.minutes': ' 4 ' } }).synonyms[0]!.value, '4')
})

test('"not set" sentinels look further down instead of taking effect', () => {
  // log.retention.ms=-2 (its default in our table) is skipped, in any layer.
  assert.deepEqual(vs('retention.ms', { static: { 'log.retention.ms': '-2', 'log.retention.hours': '1' } }), [String(HOUR), 'STATIC_BROKER_CONFIG'])
  assert.deepEqual(vs('retention.ms', { dynamicBroker: { 'log.retention.ms': '-2' }, static: { 'log.retention.ms': '5000' } }), ['5000', 'STATIC_BROKER_CONFIG'])
  assert.deepEqual(effective('retention.ms', { static: { 'log.retention.ms': '-2' } }), { value: '604800000', source: 'DEFAULT_CONFIG', synonyms: [] })
  // log.retention.minutes=-1 set by hand means forever, as in Kafka (only its default means "not set").
  assert.deepEqual(vs('retention.ms', { static: { 'log.retention.minutes': '-1', 'log.retention.hours': '2' } }), ['-1', 'STATIC_BROKER_CONFIG'])
  // log.roll.ms=-1 is skipped: log.roll.hours applies.
  assert.deepEqual(vs('segment.ms', { static: { 'log.roll.ms': '-1', 'log.roll.hours': '5' } }), [String(5 * HOUR), 'STATIC_BROKER_CONFIG'])
  assert.deepEqual(vs('segment.ms', { static: { 'log.roll.ms': '-1' } }), ['604800000', 'DEFAULT_CONFIG'])
  assert.deepEqual(effective('segment.ms', { static: { 'log.roll.ms': '-1', 'log.roll.hours': '5' } }).synonyms, [{ name: 'log.roll.hours', value: '5', source: 'STATIC_BROKER_CONFIG' }])
  // log.flush.interval.ms=-1 leaves flush.ms at its default ("never").
  assert.deepEqual(vs('flush.ms', { static: { 'log.flush.interval.ms': '-1' } }), [LONG_MAX, 'DEFAULT_CONFIG'])
  assert.deepEqual(vs('flush.ms', { dynamicDefault: { 'log.flush.interval.ms': '-1' }, static: { 'log.flush.interval.ms': '250' } }), ['250', 'STATIC_BROKER_CONFIG'])
  // log.roll.jitter.ms=-1 likewise.
  assert.deepEqual(vs('segment.jitter.ms', { static: { 'log.roll.jitter.ms': '-1' } }), ['0', 'DEFAULT_CONFIG'])
  // A sentinel is only a sentinel for its own synonym: retention.bytes=-1 is a real value.
  assert.deepEqual(vs('retention.bytes', { dynamicBroker: { 'log.retention.bytes': '-1' }, static: { 'log.retention.bytes': '100' } }), ['-1', 'DYNAMIC_BROKER_CONFIG'])
})

test('validateTopicConfigs accepts good values (trimmed) and refuses unknown names, null and bad values with INVALID_CONFIG', () => {
  assert.deepEqual(validateTopicConfigs({}), {})
  assert.deepEqual(
    validateTopicConfigs({ 'retention.ms': ' 1000 ', 'cleanup.policy': 'compact,delete', 'compression.type': 'producer', preallocate: 'TRUE', 'min.cleanable.dirty.ratio': '0.1', 'retention.bytes': '-1', 'max.message.bytes': '0' }),
    { 'retention.ms': '1000', 'cleanup.policy': 'compact,delete', 'compression.type': 'producer', preallocate: 'TRUE', 'min.cleanable.dirty.ratio': '0.1', 'retention.bytes': '-1', 'max.message.bytes': '0' },
  )
  assert.deepEqual(validateTopicConfigs({ 'retention.ms': '-1', 'flush.messages': LONG_MAX, 'message.timestamp.type': 'LogAppendTime' }), { 'retention.ms': '-1', 'flush.messages': LONG_MAX, 'message.timestamp.type': 'LogAppendTime' })

  assert.throws(() => validateTopicConfigs({ 'retention.ms': '1', 'no.such.config': '1' }), invalidConfig('no.such.config'))
  // Broker property names are not topic configs.
  assert.throws(() => validateTopicConfigs({ 'log.retention.ms': '1' }), invalidConfig('log.retention.ms'))
  assert.throws(() => validateTopicConfigs({ 'retention.ms': null }), invalidConfig('retention.ms', 'Null'))

  const bad: Array<[string, string]> = [
    ['retention.ms', 'abc'],
    ['retention.ms', '-2'],
    ['retention.ms', '1.5'],
    ['retention.ms', ''],
    ['retention.bytes', '-5'],
    ['segment.bytes', '13'],
    ['segment.bytes', '2147483648'],
    ['segment.ms', '0'],
    ['segment.index.bytes', '3'],
    ['index.interval.bytes', '-1'],
    ['flush.messages', '0'],
    ['flush.ms', '-1'],
    ['max.message.bytes', '-1'],
    ['min.insync.replicas', '0'],
    ['delete.retention.ms', '-1'],
    ['cleanup.policy', 'remove'],
    ['cleanup.policy', 'compact,'],
    ['message.timestamp.type', 'createtime'],
    ['preallocate', 'yes'],
    ['unclean.leader.election.enable', '1'],
    ['min.cleanable.dirty.ratio', '1.5'],
    ['min.cleanable.dirty.ratio', '-0.1'],
    ['min.cleanable.dirty.ratio', 'x'],
    ['min.cleanable.dirty.ratio', ' '],
  ]
  for (const [name, value] of bad) {
    assert.throws(() => validateTopicConfigs({ [name]: value }), invalidConfig(name, `Invalid value ${value}`), `${name}=${JSON.stringify(value)}`)
  }
})

test('compression.type accepts the codecs and producer; KIP-390 levels have their ranges', () => {
  for (const v of ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd']) {
    assert.deepEqual(validateTopicConfigs({ 'compression.type': ` ${v} ` }), { 'compression.type': v })
  }
  for (const v of ['none', 'PRODUCER', 'brotli', '']) {
    assert.throws(() => validateTopicConfigs({ 'compression.type': v }), invalidConfig('compression.type', 'must be one of'), v)
  }
  const good: Array<[string, string]> = [['compression.gzip.level', '-1'], ['compression.gzip.level', '1'], ['compression.gzip.level', '9'], ['compression.lz4.level', '1'], ['compression.lz4.level', '17'], ['compression.zstd.level', '-131072'], ['compression.zstd.level', '22']]
  for (const [k, v] of good) assert.deepEqual(validateTopicConfigs({ [k]: v }), { [k]: v })
  const bad: Array<[string, string]> = [['compression.gzip.level', '0'], ['compression.gzip.level', '10'], ['compression.lz4.level', '0'], ['compression.lz4.level', '18'], ['compression.zstd.level', '23'], ['compression.zstd.level', '-131073'], ['compression.zstd.level', 'x']]
  for (const [k, v] of bad) assert.throws(() => validateTopicConfigs({ [k]: v }), invalidConfig(k), `${k}=${v}`)
  const c = logConfigOf(effectiveTopicConfigs({ 'compression.type': 'zstd', 'compression.zstd.level': '7', 'compression.gzip.level': '2' }, []))
  assert.equal(c.compressionType, 'zstd')
  assert.equal(c.compressionZstdLevel, 7)
  assert.equal(c.compressionGzipLevel, 2)
})

test('logConfigOf: defaults match storage defaults; values map to numbers, Long.MAX to Infinity', () => {
  assert.deepEqual(logConfigOf(effectiveTopicConfigs({}, [])), { ...DEFAULT_LOG_CONFIG })
  const c = logConfigOf(
    effectiveTopicConfigs(
      {
        'segment.bytes': '1024',
        'segment.ms': '60000',
        'segment.index.bytes': '4096',
        'index.interval.bytes': '128',
        'retention.ms': '-1',
        'retention.bytes': '1000000',
        'flush.messages': '5',
        'flush.ms': '100',
        'message.timestamp.type': 'LogAppendTime',
        'max.message.bytes': '2048',
        'message.timestamp.before.max.ms': '3600000',
        'message.timestamp.after.max.ms': '60000',
        'cleanup.policy': 'compact,delete',
        'file.delete.delay.ms': '0',
        'delete.retention.ms': '5000',
        'min.compaction.lag.ms': '10',
        'min.cleanable.dirty.ratio': '0.25',
      },
      [],
    ),
  )
  assert.deepEqual(c, {
    segmentBytes: 1024,
    segmentMs: 60000,
    segmentIndexBytes: 4096,
    indexIntervalBytes: 128,
    retentionMs: -1,
    retentionBytes: 1000000,
    flushMessages: 5,
    flushMs: 100,
    messageTimestampType: 'LogAppendTime',
    maxMessageBytes: 2048,
    messageTimestampBeforeMaxMs: 3600000,
    messageTimestampAfterMaxMs: 60000,
    compact: true,
    fileDeleteDelayMs: 0,
    compressionType: 'producer',
    compressionGzipLevel: -1,
    compressionLz4Level: 9,
    compressionZstdLevel: 3,
    deleteRetentionMs: 5000,
    minCompactionLagMs: 10,
    maxCompactionLagMs: Number.POSITIVE_INFINITY,
    minCleanableDirtyRatio: 0.25,
  })
  const never = logConfigOf(effectiveTopicConfigs({ 'retention.ms': LONG_MAX, 'segment.ms': LONG_MAX, 'flush.ms': LONG_MAX, 'flush.messages': LONG_MAX }, []))
  assert.equal(never.retentionMs, Number.POSITIVE_INFINITY)
  assert.equal(never.segmentMs, Number.POSITIVE_INFINITY)
  assert.equal(never.flushMs, Number.POSITIVE_INFINITY)
  assert.equal(never.flushMessages, Number.POSITIVE_INFINITY)
  // A large but exact value stays a number.
  assert.equal(logConfigOf(effectiveTopicConfigs({ 'retention.ms': String(Number.MAX_SAFE_INTEGER) }, [])).retentionMs, Number.MAX_SAFE_INTEGER)
})

test('logConfigOf follows the broker layers, with unit conversion', () => {
  const c = logConfigOf(
    effectiveTopicConfigs(
      { 'segment.bytes': '4096' },
      layers({
        dynamicBroker: { 'log.retention.minutes': '10' },
        dynamicDefault: { 'log.flush.interval.messages': '3' },
        static: { 'log.segment.bytes': '999999', 'log.roll.hours': '2', 'log.retention.bytes': '12345', 'log.message.timestamp.type': 'LogAppendTime', 'message.max.bytes': '777' },
      }),
    ),
  )
  assert.equal(c.segmentBytes, 4096)
  assert.equal(c.retentionMs, 600_000)
  assert.equal(c.flushMessages, 3)
  assert.equal(c.segmentMs, 2 * HOUR)
  assert.equal(c.retentionBytes, 12345)
  assert.equal(c.messageTimestampType, 'LogAppendTime')
  assert.equal(c.maxMessageBytes, 777)
  assert.equal(c.flushMs, Number.POSITIVE_INFINITY)
})

test('message.timestamp.difference.max.ms (Kafka 3.x, KIP-937) bounds whichever of before/after is not set, with a deprecation warning', () => {
  const cfg = (topic: Record<string, string>, statics: Record<string, string> = {}) => logConfigOf(effectiveTopicConfigs(topic, layers({ static: statics })))
  const both = cfg({ 'message.timestamp.difference.max.ms': '5000' })
  assert.equal(both.messageTimestampBeforeMaxMs, 5000)
  assert.equal(both.messageTimestampAfterMaxMs, 5000)
  const one = cfg({ 'message.timestamp.difference.max.ms': '5000', 'message.timestamp.after.max.ms': '100' })
  assert.equal(one.messageTimestampBeforeMaxMs, 5000)
  assert.equal(one.messageTimestampAfterMaxMs, 100)
  // The broker-wide key works the same way through its synonym.
  const broker = cfg({}, { 'log.message.timestamp.difference.max.ms': '7000' })
  assert.equal(broker.messageTimestampBeforeMaxMs, 7000)
  assert.equal(broker.messageTimestampAfterMaxMs, 7000)
  assert.equal(cfg({}).messageTimestampBeforeMaxMs, Number.POSITIVE_INFINITY)

  const warnings: string[] = []
  assert.deepEqual(validateTopicConfigs({ 'message.timestamp.difference.max.ms': '5000', 'message.format.version': '0.10.2', 'retention.ms': '1' }, (m) => warnings.push(m)), {
    'message.timestamp.difference.max.ms': '5000',
    'message.format.version': '0.10.2',
    'retention.ms': '1',
  })
  assert.equal(warnings.length, 2)
  assert.match(warnings[0]!, /message\.timestamp\.difference\.max\.ms is deprecated.*before\.max\.ms and message\.timestamp\.after\.max\.ms/)
  assert.match(warnings[1]!, /message\.format\.version is ignored/)
  // An invalid value is still refused, and nothing is warned for a refused set.
  const refused: string[] = []
  assert.throws(() => validateTopicConfigs({ 'message.timestamp.difference.max.ms': '5000', 'retention.ms': 'x' }, (m) => refused.push(m)), invalidConfig('retention.ms'))
  assert.deepEqual(refused, [])
})
