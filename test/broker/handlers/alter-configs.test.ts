/** AlterConfigs (key 33) against the embedded broker, over a raw socket, across the version range. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import type { AlterConfigsResponseAlterConfigsResourceResponse } from '../../../src/protocol/generated/alter-configs.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { startBroker } from '../../../src/index.js'
import { createLogger } from '../../../src/util/logger.js'
import { embeddedBroker } from '../helpers.js'
import { RawClient } from '../../helpers/raw-client.js'

const TOPIC = 2
const BROKER = 4
const BROKER_LOGGER = 8

interface Resource {
  resourceType: number
  resourceName: string
  configs: Record<string, string | null> | Array<[string, string | null]>
}

async function alter(c: RawClient, version: number, resources: Resource[], validateOnly = false): Promise<AlterConfigsResponseAlterConfigsResourceResponse[]> {
  const r = await c.request(ApiKey.AlterConfigs, version, {
    resources: resources.map((x) => ({
      resourceType: x.resourceType,
      resourceName: x.resourceName,
      configs: (Array.isArray(x.configs) ? x.configs : Object.entries(x.configs)).map(([name, value]) => ({ name, value })),
    })),
    validateOnly,
  })
  assert.equal(r.throttleTimeMs, 0)
  assert.equal(r.responses.length, resources.length)
  return r.responses
}

for (const version of [0, 1, 2]) {
  test(`AlterConfigs v${version}: replaces a topic's overrides and this broker's dynamic configs; logs follow`, async (t) => {
    const tb = await embeddedBroker(t)
    const c = await tb.client()
    await tb.b.broker.createTopic('t', 1, { 'retention.ms': '60000', 'cleanup.policy': 'compact' })
    await tb.b.broker.createTopic('plain', 1)
    const res = await alter(c, version, [
      { resourceType: TOPIC, resourceName: 't', configs: { 'retention.bytes': '1000000' } },
      { resourceType: BROKER, resourceName: '0', configs: { 'log.retention.ms': '5000' } },
      { resourceType: BROKER, resourceName: '', configs: { 'log.segment.bytes': '2000000' } },
    ])
    for (const r of res) {
      assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '')
      assert.equal(r.errorMessage, null)
    }
    assert.deepEqual(res.map((r) => [r.resourceType, r.resourceName]), [[TOPIC, 't'], [BROKER, '0'], [BROKER, '']])
    const md = tb.b.broker.metadata
    assert.deepEqual(md.topic('t')!.configs, { 'retention.bytes': '1000000' }, 'keys not sent are removed')
    assert.deepEqual(md.brokerConfigs(0), { 'log.retention.ms': '5000' })
    assert.deepEqual(md.brokerConfigs(null), { 'log.segment.bytes': '2000000' })
    await tb.b.broker.replicas.settled()
    const logs = tb.b.broker.replicas.logs
    const tLog = logs.getLog({ topic: 't', partition: 0 })!
    assert.equal(tLog.config.retentionBytes, 1000000)
    assert.equal(tLog.config.retentionMs, 5000, 'the topic override is gone: the broker value applies')
    assert.equal(logs.getLog({ topic: 'plain', partition: 0 })!.config.segmentBytes, 2000000)
  })
}

test('AlterConfigs: per-resource errors', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  await tb.b.broker.createTopic('t', 1, { 'retention.ms': '60000' })
  await tb.b.broker.createTopic('dup', 1)
  const one = async (r: Resource) => (await alter(c, 2, [r]))[0]!
  const cases: Array<[Resource, number, RegExp | string | undefined]> = [
    [{ resourceType: BROKER, resourceName: '0', configs: { 'num.partitions': '3', 'log.dirs': '/tmp/x', 'log.retention.ms': '1000' } }, ErrorCode.INVALID_REQUEST, /Cannot update these configs dynamically: num\.partitions, log\.dirs/],
    [{ resourceType: BROKER, resourceName: '0', configs: { 'log.retention.ms': 'soon' } }, ErrorCode.INVALID_REQUEST, /log\.retention\.ms/],
    [{ resourceType: BROKER, resourceName: '', configs: { 'log.segment.bytes': '10' } }, ErrorCode.INVALID_REQUEST, /log\.segment\.bytes/],
    [{ resourceType: BROKER, resourceName: '5', configs: { 'log.retention.ms': '1000' } }, ErrorCode.INVALID_REQUEST, /Unexpected broker id, expected 0, but received 5/],
    [{ resourceType: BROKER, resourceName: 'me', configs: {} }, ErrorCode.INVALID_REQUEST, /must be an integer/],
    [{ resourceType: TOPIC, resourceName: 't', configs: { 'retention.ms': 'soon' } }, ErrorCode.INVALID_CONFIG, /retention\.ms/],
    [{ resourceType: TOPIC, resourceName: 't', configs: { 'not.a.config': '1' } }, ErrorCode.INVALID_CONFIG, /not\.a\.config/],
    [{ resourceType: TOPIC, resourceName: 'missing', configs: { 'retention.ms': '1' } }, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'missing' does not exist."],
    [{ resourceType: TOPIC, resourceName: '', configs: {} }, ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.'],
    [{ resourceType: TOPIC, resourceName: 'bad name!', configs: {} }, ErrorCode.INVALID_TOPIC_EXCEPTION, undefined],
    [{ resourceType: BROKER_LOGGER, resourceName: '0', configs: { root: 'DEBUG' } }, ErrorCode.INVALID_REQUEST, /Unknown resource type 8/],
    [{ resourceType: 99, resourceName: 'x', configs: {} }, ErrorCode.INVALID_REQUEST, /Unknown resource type 99/],
  ]
  for (const [resource, code, message] of cases) {
    const r = await one(resource)
    assert.equal(r.errorCode, code, `${JSON.stringify(resource)}: ${r.errorMessage}`)
    assert.equal(r.resourceName, resource.resourceName)
    if (typeof message === 'string') assert.equal(r.errorMessage, message)
    else if (message) assert.match(r.errorMessage!, message)
  }
  const dupes = await alter(c, 2, [
    { resourceType: TOPIC, resourceName: 'dup', configs: { 'retention.ms': '1' } },
    { resourceType: TOPIC, resourceName: 't', configs: { 'retention.ms': '2' } },
    { resourceType: TOPIC, resourceName: 'dup', configs: { 'retention.ms': '3' } },
  ])
  assert.deepEqual(dupes.map((r) => r.errorCode), [ErrorCode.INVALID_REQUEST, ErrorCode.NONE, ErrorCode.INVALID_REQUEST])
  assert.equal(dupes[0]!.errorMessage, 'Each resource must appear at most once.')
  const md = tb.b.broker.metadata
  assert.deepEqual(md.brokerConfigs(0), {}, 'a refused resource changes nothing, not even its valid keys')
  assert.deepEqual(md.topic('t')!.configs, { 'retention.ms': '2' })
  assert.deepEqual(md.topic('dup')!.configs, {})
})

test('AlterConfigs: a key twice or a null value in one resource is INVALID_REQUEST', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  await tb.b.broker.createTopic('t', 1)
  const res = await alter(c, 1, [
    { resourceType: TOPIC, resourceName: 't', configs: [['retention.ms', '1'], ['retention.ms', '2']] },
    { resourceType: TOPIC, resourceName: 't2', configs: { 'retention.ms': null } },
  ])
  assert.deepEqual(res.map((r) => r.errorCode), [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST])
  assert.equal(res[0]!.errorMessage, 'Error due to duplicate config keys')
})

for (const version of [0, 2]) {
  test(`AlterConfigs v${version}: validateOnly checks and changes nothing`, async (t) => {
    const tb = await embeddedBroker(t)
    const c = await tb.client()
    await tb.b.broker.createTopic('t', 1, { 'retention.ms': '60000' })
    const res = await alter(
      c,
      version,
      [
        { resourceType: TOPIC, resourceName: 't', configs: { 'retention.bytes': '1000' } },
        { resourceType: TOPIC, resourceName: 't2', configs: { 'retention.bytes': '1000' } },
        { resourceType: BROKER, resourceName: '', configs: { 'log.retention.ms': '9' } },
        { resourceType: BROKER, resourceName: '0', configs: { 'broker.id': '9' } },
      ],
      true,
    )
    assert.deepEqual(res.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NONE, ErrorCode.INVALID_REQUEST])
    assert.deepEqual(tb.b.broker.metadata.topic('t')!.configs, { 'retention.ms': '60000' })
    assert.deepEqual(tb.b.broker.metadata.brokerConfigs(null), {})
  })
}

test('AlterConfigs: topic and broker configs survive a restart and apply to the reopened logs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-alter-'))
  const logger = createLogger({ level: 'silent' })
  try {
    let b = await startBroker({ logDirs: [dir], logger })
    await b.broker.createTopic('t', 1)
    await b.broker.createTopic('u', 1)
    const c = await RawClient.connect(b.port, b.host)
    const res = await alter(c, 1, [
      { resourceType: TOPIC, resourceName: 't', configs: { 'retention.bytes': '4242' } },
      { resourceType: BROKER, resourceName: '0', configs: { 'log.retention.ms': '8888' } },
      { resourceType: BROKER, resourceName: '', configs: { 'log.segment.bytes': '3000000' } },
    ])
    for (const r of res) assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '')
    c.close()
    await b.close()
    b = await startBroker({ logDirs: [dir], logger })
    try {
      const md = b.broker.metadata
      assert.deepEqual(md.topic('t')!.configs, { 'retention.bytes': '4242' })
      assert.deepEqual(md.brokerConfigs(0), { 'log.retention.ms': '8888' })
      assert.deepEqual(md.brokerConfigs(null), { 'log.segment.bytes': '3000000' })
      const log = b.broker.replicas.logs.getLog({ topic: 'u', partition: 0 })!
      assert.equal(log.config.retentionMs, 8888)
      assert.equal(log.config.segmentBytes, 3000000)
      assert.equal(b.broker.replicas.logs.getLog({ topic: 't', partition: 0 })!.config.retentionBytes, 4242)
    } finally {
      await b.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
