/** IncrementalAlterConfigs (key 44) against the embedded broker, over a raw socket, both versions. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import type {
  IncrementalAlterConfigsResponseAlterConfigsResourceResponse,
} from '../../../src/protocol/generated/incremental-alter-configs.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { startBroker } from '../../../src/index.js'
import { createLogger } from '../../../src/util/logger.js'
import { embeddedBroker } from '../helpers.js'
import { RawClient } from '../../helpers/raw-client.js'

const TOPIC = 2
const BROKER = 4
const BROKER_LOGGER = 8
const SET = 0
const DELETE = 1
const APPEND = 2
const SUBTRACT = 3

type Op = [name: string, op: number, value: string | null]

interface Resource {
  resourceType: number
  resourceName: string
  ops: Op[]
}

async function alter(c: RawClient, version: number, resources: Resource[], validateOnly = false): Promise<IncrementalAlterConfigsResponseAlterConfigsResourceResponse[]> {
  const r = await c.request(ApiKey.IncrementalAlterConfigs, version, {
    resources: resources.map((x) => ({
      resourceType: x.resourceType,
      resourceName: x.resourceName,
      configs: x.ops.map(([name, configOperation, value]) => ({ name, configOperation, value })),
    })),
    validateOnly,
  })
  assert.equal(r.throttleTimeMs, 0)
  assert.equal(r.responses.length, resources.length)
  return r.responses
}

async function one(c: RawClient, version: number, r: Resource, validateOnly = false): Promise<IncrementalAlterConfigsResponseAlterConfigsResourceResponse> {
  return (await alter(c, version, [r], validateOnly))[0]!
}

for (const version of [0, 1]) {
  test(`IncrementalAlterConfigs v${version}: SET and DELETE on a topic keep the other overrides; logs follow`, async (t) => {
    const tb = await embeddedBroker(t)
    const c = await tb.client()
    await tb.b.broker.createTopic('t', 1, { 'retention.ms': '60000', 'retention.bytes': '5000' })
    const r = await one(c, version, { resourceType: TOPIC, resourceName: 't', ops: [['segment.ms', SET, '120000'], ['retention.ms', DELETE, null], ['retention.bytes', SET, '7000']] })
    assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '')
    assert.equal(r.errorMessage, null)
    assert.deepEqual(tb.b.broker.metadata.topic('t')!.configs, { 'segment.ms': '120000', 'retention.bytes': '7000' })
    await tb.b.broker.replicas.settled()
    const log = tb.b.broker.replicas.logs.getLog({ topic: 't', partition: 0 })!
    assert.equal(log.config.segmentMs, 120000)
    assert.equal(log.config.retentionBytes, 7000)
    assert.equal(log.config.retentionMs, 168 * 3_600_000)
  })

  test(`IncrementalAlterConfigs v${version}: APPEND and SUBTRACT on list configs, from the default when unset`, async (t) => {
    const tb = await embeddedBroker(t)
    const c = await tb.client()
    await tb.b.broker.createTopic('t', 1)
    const md = tb.b.broker.metadata
    assert.equal((await one(c, version, { resourceType: TOPIC, resourceName: 't', ops: [['cleanup.policy', APPEND, 'compact']] })).errorCode, ErrorCode.NONE)
    assert.equal(md.topic('t')!.configs['cleanup.policy'], 'delete,compact')
    assert.equal((await one(c, version, { resourceType: TOPIC, resourceName: 't', ops: [['cleanup.policy', APPEND, 'compact']] })).errorCode, ErrorCode.NONE)
    assert.equal(md.topic('t')!.configs['cleanup.policy'], 'delete,compact', 'no value twice')
    assert.equal((await one(c, version, { resourceType: TOPIC, resourceName: 't', ops: [['cleanup.policy', SUBTRACT, 'delete']] })).errorCode, ErrorCode.NONE)
    assert.equal(md.topic('t')!.configs['cleanup.policy'], 'compact')
    const broker = await one(c, version, { resourceType: BROKER, resourceName: '0', ops: [['log.cleanup.policy', APPEND, 'compact']] })
    assert.equal(broker.errorCode, ErrorCode.NONE, broker.errorMessage ?? '')
    assert.deepEqual(md.brokerConfigs(0), { 'log.cleanup.policy': 'delete,compact' })

    const notList = await one(c, version, { resourceType: TOPIC, resourceName: 't', ops: [['retention.ms', APPEND, '5']] })
    assert.equal(notList.errorCode, ErrorCode.INVALID_CONFIG)
    assert.equal(notList.errorMessage, "Can't APPEND to key retention.ms because its type is not LIST.")
    const brokerNotList = await one(c, version, { resourceType: BROKER, resourceName: '0', ops: [['log.retention.ms', SUBTRACT, '5']] })
    assert.equal(brokerNotList.errorCode, ErrorCode.INVALID_CONFIG)
    assert.match(brokerNotList.errorMessage!, /subtract is not allowed for config key: log\.retention\.ms/)
  })
}

test('IncrementalAlterConfigs: broker SET and DELETE, per broker and cluster default; topics without overrides follow', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  await tb.b.broker.createTopic('t', 1)
  const md = tb.b.broker.metadata
  const log = () => tb.b.broker.replicas.logs.getLog({ topic: 't', partition: 0 })!
  const res = await alter(c, 1, [
    { resourceType: BROKER, resourceName: '', ops: [['log.retention.ms', SET, '2000'], ['message.max.bytes', SET, '3000']] },
    { resourceType: BROKER, resourceName: '0', ops: [['log.retention.ms', SET, '1000']] },
  ])
  for (const r of res) assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '')
  await tb.b.broker.replicas.settled()
  assert.equal(log().config.retentionMs, 1000, "this broker's value beats the cluster default")
  assert.equal(log().config.maxMessageBytes, 3000)
  assert.equal((await one(c, 1, { resourceType: BROKER, resourceName: '0', ops: [['log.retention.ms', DELETE, null]] })).errorCode, ErrorCode.NONE)
  await tb.b.broker.replicas.settled()
  assert.deepEqual(md.brokerConfigs(0), {})
  assert.equal(log().config.retentionMs, 2000)
})

test('IncrementalAlterConfigs: errors', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  await tb.b.broker.createTopic('t', 1, { 'retention.ms': '60000' })
  const cases: Array<[Resource, number, RegExp | string | undefined]> = [
    [{ resourceType: TOPIC, resourceName: 't', ops: [['retention.ms', SET, 'never']] }, ErrorCode.INVALID_CONFIG, /retention\.ms/],
    [{ resourceType: TOPIC, resourceName: 't', ops: [['no.such', SET, '1']] }, ErrorCode.INVALID_CONFIG, /no\.such/],
    [{ resourceType: TOPIC, resourceName: 't', ops: [['retention.ms', 7, '1']] }, ErrorCode.INVALID_REQUEST, 'Unknown operations type 7'],
    [{ resourceType: TOPIC, resourceName: 't', ops: [['retention.ms', SET, null]] }, ErrorCode.INVALID_REQUEST, /Null value not supported/],
    [{ resourceType: TOPIC, resourceName: 't', ops: [['retention.ms', SET, '1'], ['retention.ms', DELETE, null]] }, ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys'],
    [{ resourceType: TOPIC, resourceName: 'missing', ops: [['retention.ms', SET, '1']] }, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, undefined],
    [{ resourceType: BROKER, resourceName: '0', ops: [['auto.create.topics.enable', SET, 'false']] }, ErrorCode.INVALID_REQUEST, /Cannot update these configs dynamically: auto\.create\.topics\.enable/],
    [{ resourceType: BROKER, resourceName: '0', ops: [['log.retention.bytes', SET, 'big']] }, ErrorCode.INVALID_REQUEST, /log\.retention\.bytes/],
    [{ resourceType: BROKER, resourceName: '2', ops: [['log.retention.bytes', SET, '1']] }, ErrorCode.INVALID_REQUEST, /Unexpected broker id/],
    [{ resourceType: BROKER_LOGGER, resourceName: '0', ops: [['root', SET, 'DEBUG']] }, ErrorCode.INVALID_REQUEST, /log levels/],
    [{ resourceType: 0, resourceName: 'x', ops: [] }, ErrorCode.INVALID_REQUEST, /Unknown resource type/],
  ]
  for (const [resource, code, message] of cases) {
    const r = await one(c, 0, resource)
    assert.equal(r.errorCode, code, `${JSON.stringify(resource)}: ${r.errorMessage}`)
    if (typeof message === 'string') assert.equal(r.errorMessage, message)
    else if (message) assert.match(r.errorMessage!, message)
  }
  // A DELETE needs no value.
  assert.equal((await one(c, 0, { resourceType: TOPIC, resourceName: 't', ops: [['retention.ms', DELETE, null]] })).errorCode, ErrorCode.NONE)
  const dupes = await alter(c, 1, [
    { resourceType: TOPIC, resourceName: 't', ops: [['retention.ms', SET, '1']] },
    { resourceType: TOPIC, resourceName: 't', ops: [['retention.ms', SET, '2']] },
  ])
  assert.deepEqual(dupes.map((r) => r.errorCode), [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST])
  assert.deepEqual(tb.b.broker.metadata.topic('t')!.configs, {})
  assert.deepEqual(tb.b.broker.metadata.brokerConfigs(0), {})
})

for (const version of [0, 1]) {
  test(`IncrementalAlterConfigs v${version}: validateOnly checks and changes nothing`, async (t) => {
    const tb = await embeddedBroker(t)
    const c = await tb.client()
    await tb.b.broker.createTopic('t', 1, { 'retention.ms': '60000' })
    const res = await alter(
      c,
      version,
      [
        { resourceType: TOPIC, resourceName: 't', ops: [['retention.ms', DELETE, null], ['cleanup.policy', APPEND, 'compact']] },
        { resourceType: BROKER, resourceName: '0', ops: [['log.retention.ms', SET, '5']] },
        { resourceType: BROKER, resourceName: '', ops: [['log.retention.ms', SET, 'x']] },
      ],
      true,
    )
    assert.deepEqual(res.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.INVALID_REQUEST])
    assert.deepEqual(tb.b.broker.metadata.topic('t')!.configs, { 'retention.ms': '60000' })
    assert.deepEqual(tb.b.broker.metadata.brokerConfigs(0), {})
  })
}

test('IncrementalAlterConfigs: changes survive a broker restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-incr-'))
  const logger = createLogger({ level: 'silent' })
  try {
    let b = await startBroker({ logDirs: [dir], logger })
    await b.broker.createTopic('t', 1, { 'retention.ms': '60000' })
    const c = await RawClient.connect(b.port, b.host)
    const res = await alter(c, 1, [
      { resourceType: TOPIC, resourceName: 't', ops: [['cleanup.policy', APPEND, 'compact'], ['retention.ms', DELETE, null]] },
      { resourceType: BROKER, resourceName: '', ops: [['log.retention.ms', SET, '31000']] },
    ])
    for (const r of res) assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '')
    c.close()
    await b.close()
    b = await startBroker({ logDirs: [dir], logger })
    try {
      assert.deepEqual(b.broker.metadata.topic('t')!.configs, { 'cleanup.policy': 'delete,compact' })
      assert.deepEqual(b.broker.metadata.brokerConfigs(null), { 'log.retention.ms': '31000' })
      assert.equal(b.broker.replicas.logs.getLog({ topic: 't', partition: 0 })!.config.retentionMs, 31000)
    } finally {
      await b.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
