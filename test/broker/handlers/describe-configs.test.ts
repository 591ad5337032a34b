/** DescribeConfigs (key 32) against the embedded broker, over a raw socket, across the version range. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import type {
  DescribeConfigsRequestDescribeConfigsResource,
  DescribeConfigsResponseDescribeConfigsResourceResult,
  DescribeConfigsResponseDescribeConfigsResult,
} from '../../../src/protocol/generated/describe-configs.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { BROKER_CONFIG } from '../../../src/broker/config.js'
import { TOPIC_CONFIG } from '../../../src/broker/topic-config.js'
import { embeddedBroker } from '../helpers.js'
import type { RawClient } from '../../helpers/raw-client.js'

const TOPIC = 2
const BROKER = 4
const BROKER_LOGGER = 8
const Source = { TOPIC_CONFIG: 1, DYNAMIC_BROKER_CONFIG: 2, DYNAMIC_DEFAULT_BROKER_CONFIG: 3, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5, DYNAMIC_BROKER_LOGGER_CONFIG: 6 }
const Type = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, LIST: 7 }

type Resource = Omit<DescribeConfigsRequestDescribeConfigsResource, 'configurationKeys'> & { configurationKeys?: string[] | null }

async function describe(
  c: RawClient,
  version: number,
  resources: Resource[],
  opts: { includeSynonyms?: boolean; includeDocumentation?: boolean } = {},
): Promise<DescribeConfigsResponseDescribeConfigsResult[]> {
  const r = await c.request(ApiKey.DescribeConfigs, version, {
    resources: resources.map((x) => ({ configurationKeys: null, ...x })),
    includeSynonyms: opts.includeSynonyms ?? false,
    includeDocumentation: opts.includeDocumentation ?? false,
  })
  assert.equal(r.throttleTimeMs, 0)
  assert.equal(r.results.length, resources.length)
  return r.results
}

const byName = (r: DescribeConfigsResponseDescribeConfigsResult) => new Map<string, DescribeConfigsResponseDescribeConfigsResourceResult>(r.configs.map((x) => [x.name, x]))

for (const version of [0, 1, 2, 3, 4]) {
  test(`DescribeConfigs v${version}: a topic's effective configs with their sources`, async (t) => {
    const tb = await embeddedBroker(t, { 'log.retention.hours': '24' })
    const c = await tb.client()
    await tb.b.broker.createTopic('t', 1, { 'cleanup.policy': 'compact', 'max.message.bytes': '5000' })
    const [res] = await describe(c, version, [{ resourceType: TOPIC, resourceName: 't' }], { includeSynonyms: version >= 1, includeDocumentation: version >= 3 })
    assert.equal(res!.errorCode, ErrorCode.NONE)
    assert.equal(res!.errorMessage, null)
    assert.equal(res!.resourceType, TOPIC)
    assert.equal(res!.resourceName, 't')
    const m = byName(res!)
    assert.deepEqual([...m.keys()].sort(), [...TOPIC_CONFIG.keys()].sort(), 'every topic config')
    const policy = m.get('cleanup.policy')!
    const retention = m.get('retention.ms')!
    const segment = m.get('segment.bytes')!
    assert.equal(policy.value, 'compact')
    assert.equal(retention.value, String(24 * 3_600_000))
    assert.equal(segment.value, '1073741824')
    for (const x of m.values()) {
      assert.equal(x.readOnly, false)
      assert.equal(x.isSensitive, false)
    }
    if (version === 0) {
      assert.equal(policy.isDefault, false)
      assert.equal(retention.isDefault, false, 'a static broker value is not the default')
      assert.equal(segment.isDefault, true)
    } else {
      assert.equal(policy.configSource, Source.TOPIC_CONFIG)
      assert.equal(retention.configSource, Source.STATIC_BROKER_CONFIG)
      assert.equal(segment.configSource, Source.DEFAULT_CONFIG)
      assert.deepEqual(policy.synonyms, [
        { name: 'cleanup.policy', value: 'compact', source: Source.TOPIC_CONFIG },
        { name: 'log.cleanup.policy', value: 'delete', source: Source.DEFAULT_CONFIG },
      ])
      assert.deepEqual(retention.synonyms![0], { name: 'log.retention.hours', value: '24', source: Source.STATIC_BROKER_CONFIG })
      assert.deepEqual(retention.synonyms![1], { name: 'log.retention.hours', value: '168', source: Source.DEFAULT_CONFIG })
    }
    if (version >= 3) {
      assert.equal(policy.configType, Type.LIST)
      assert.equal(retention.configType, Type.LONG)
      assert.equal(segment.configType, Type.INT)
      assert.equal(m.get('preallocate')!.configType, Type.BOOLEAN)
      assert.equal(m.get('message.timestamp.type')!.configType, Type.STRING)
      assert.equal(typeof retention.documentation, 'string')
      assert.ok(retention.documentation!.length > 0)
    }
  })
}

test('DescribeConfigs: without includeSynonyms or includeDocumentation those stay empty', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  await tb.b.broker.createTopic('t', 1)
  const [res] = await describe(c, 4, [{ resourceType: TOPIC, resourceName: 't' }])
  for (const x of res!.configs) {
    assert.deepEqual(x.synonyms, [])
    assert.equal(x.documentation, null)
  }
})

test('DescribeConfigs: configurationKeys picks keys; unknown ones are left out', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  await tb.b.broker.createTopic('t', 1)
  const [topic, broker] = await describe(c, 2, [
    { resourceType: TOPIC, resourceName: 't', configurationKeys: ['retention.ms', 'no.such.key'] },
    { resourceType: BROKER, resourceName: '0', configurationKeys: ['num.partitions', 'log.dirs'] },
  ])
  assert.deepEqual(topic!.configs.map((x) => x.name), ['retention.ms'])
  assert.deepEqual(broker!.configs.map((x) => x.name).sort(), ['log.dirs', 'num.partitions'])
})

test('DescribeConfigs: dynamic broker configs show through topics with their source', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  await tb.b.broker.createTopic('t', 1)
  const md = tb.b.broker.metadata
  await md.setBrokerConfigs(0, { 'log.retention.ms': '1000' })
  await md.setBrokerConfigs(null, { 'log.retention.ms': '2000', 'log.segment.bytes': '100000' })
  const [res] = await describe(c, 4, [{ resourceType: TOPIC, resourceName: 't', configurationKeys: ['retention.ms', 'segment.bytes'] }], { includeSynonyms: true })
  const m = byName(res!)
  assert.equal(m.get('retention.ms')!.value, '1000')
  assert.equal(m.get('retention.ms')!.configSource, Source.DYNAMIC_BROKER_CONFIG)
  assert.deepEqual(m.get('retention.ms')!.synonyms!.slice(0, 2), [
    { name: 'log.retention.ms', value: '1000', source: Source.DYNAMIC_BROKER_CONFIG },
    { name: 'log.retention.ms', value: '2000', source: Source.DYNAMIC_DEFAULT_BROKER_CONFIG },
  ])
  assert.equal(m.get('segment.bytes')!.value, '100000')
  assert.equal(m.get('segment.bytes')!.configSource, Source.DYNAMIC_DEFAULT_BROKER_CONFIG)
})

test('DescribeConfigs: unknown and invalid topics are per-resource errors', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  await tb.b.broker.createTopic('t', 1)
  const res = await describe(c, 1, [
    { resourceType: TOPIC, resourceName: 'missing' },
    { resourceType: TOPIC, resourceName: 'bad name!' },
    { resourceType: TOPIC, resourceName: 't' },
  ])
  assert.deepEqual(res.map((r) => r.errorCode), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.NONE])
  assert.deepEqual(res[0]!.configs, [])
  assert.ok(res[0]!.errorMessage)
})

for (const version of [0, 4]) {
  test(`DescribeConfigs v${version}: this broker's properties with their sources`, async (t) => {
    const tb = await embeddedBroker(t, { 'num.partitions': '3' })
    const c = await tb.client()
    await tb.b.broker.metadata.setBrokerConfigs(0, { 'log.retention.bytes': '5000' })
    await tb.b.broker.metadata.setBrokerConfigs(null, { 'log.retention.bytes': '6000', 'message.max.bytes': '2000' })
    const [res] = await describe(c, version, [{ resourceType: BROKER, resourceName: '0' }], { includeSynonyms: true, includeDocumentation: true })
    assert.equal(res!.errorCode, ErrorCode.NONE)
    const m = byName(res!)
    assert.deepEqual([...m.keys()].sort(), Object.keys(BROKER_CONFIG).sort(), 'every broker property')
    const row = (name: string) => m.get(name)!
    assert.equal(row('num.partitions').value, '3')
    assert.equal(row('log.retention.bytes').value, '5000')
    assert.equal(row('message.max.bytes').value, '2000')
    assert.equal(row('default.replication.factor').value, '1')
    assert.equal(row('log.flush.interval.messages').value, '9223372036854775807')
    assert.equal(row('log.dirs').value, tb.b.broker.config.get('log.dirs').join(','))
    assert.equal(row('broker.id').readOnly, true)
    assert.equal(row('num.partitions').readOnly, true)
    assert.equal(row('log.retention.bytes').readOnly, false)
    assert.equal(row('log.cleanup.policy').readOnly, false)
    if (version === 0) {
      assert.equal(row('default.replication.factor').isDefault, true)
      assert.equal(row('num.partitions').isDefault, false)
    } else {
      assert.equal(row('num.partitions').configSource, Source.STATIC_BROKER_CONFIG)
      assert.equal(row('log.dirs').configSource, Source.STATIC_BROKER_CONFIG)
      assert.equal(row('log.retention.bytes').configSource, Source.DYNAMIC_BROKER_CONFIG)
      assert.equal(row('message.max.bytes').configSource, Source.DYNAMIC_DEFAULT_BROKER_CONFIG)
      assert.equal(row('default.replication.factor').configSource, Source.DEFAULT_CONFIG)
      assert.deepEqual(row('log.retention.bytes').synonyms, [
        { name: 'log.retention.bytes', value: '5000', source: Source.DYNAMIC_BROKER_CONFIG },
        { name: 'log.retention.bytes', value: '6000', source: Source.DYNAMIC_DEFAULT_BROKER_CONFIG },
        { name: 'log.retention.bytes', value: '-1', source: Source.DEFAULT_CONFIG },
      ])
      assert.equal(row('auto.create.topics.enable').configType, Type.BOOLEAN)
      assert.equal(row('log.dirs').configType, Type.LIST)
      assert.equal(row('num.partitions').documentation, BROKER_CONFIG['num.partitions'].doc)
    }
  })
}

test('DescribeConfigs: the cluster default broker resource lists only the dynamic defaults set', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const [empty] = await describe(c, 3, [{ resourceType: BROKER, resourceName: '' }])
  assert.equal(empty!.errorCode, ErrorCode.NONE)
  assert.deepEqual(empty!.configs, [])
  await tb.b.broker.metadata.setBrokerConfigs(null, { 'log.retention.ms': '777' })
  const [set] = await describe(c, 3, [{ resourceType: BROKER, resourceName: '' }], { includeSynonyms: true })
  assert.deepEqual(
    set!.configs.map((x) => [x.name, x.value, x.configSource, x.readOnly]),
    [['log.retention.ms', '777', Source.DYNAMIC_DEFAULT_BROKER_CONFIG, false]],
  )
})

test('DescribeConfigs: another broker id, a non-numeric one, loggers and unknown resource types', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const res = await describe(c, 4, [
    { resourceType: BROKER, resourceName: '1' },
    { resourceType: BROKER, resourceName: 'zero' },
    { resourceType: BROKER_LOGGER, resourceName: '0' },
    { resourceType: BROKER_LOGGER, resourceName: '' },
    { resourceType: BROKER_LOGGER, resourceName: '3' },
    { resourceType: 32, resourceName: 'some-group' },
  ])
  assert.deepEqual(res.map((r) => r.errorCode), [
    ErrorCode.INVALID_REQUEST,
    ErrorCode.INVALID_REQUEST,
    ErrorCode.NONE,
    ErrorCode.INVALID_REQUEST,
    ErrorCode.INVALID_REQUEST,
    ErrorCode.INVALID_REQUEST,
  ])
  assert.match(res[0]!.errorMessage!, /Unexpected broker id, expected 0 or empty string, but received 1/)
  assert.deepEqual(res[2]!.configs.map((x) => [x.name, x.value, x.configSource]), [['root', 'WARN', Source.DYNAMIC_BROKER_LOGGER_CONFIG]])
})
