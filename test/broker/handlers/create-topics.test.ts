/** CreateTopics (key 19) against the embedded broker, over a raw socket, across the version range. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import type {
  CreateTopicsRequestCreatableTopic,
  CreateTopicsResponseCreatableTopicResult,
} from '../../../src/protocol/generated/create-topics.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { ZERO_UUID } from '../../../src/protocol/primitives/uuid.js'
import { startBroker } from '../../../src/index.js'
import { createLogger } from '../../../src/util/logger.js'
import { errnoError } from '../../../src/util/faults.js'
import { embeddedBroker } from '../helpers.js'
import { RawClient } from '../../helpers/raw-client.js'

const TOPIC_CONFIG = 1
const DEFAULT_CONFIG = 5

type Spec = Partial<CreateTopicsRequestCreatableTopic> & { name: string; configs?: CreateTopicsRequestCreatableTopic['configs'] }

function topic(s: Spec): CreateTopicsRequestCreatableTopic {
  return { numPartitions: -1, replicationFactor: -1, assignments: [], configs: [], ...s }
}

async function create(c: RawClient, version: number, specs: Spec[], validateOnly = false): Promise<Map<string, CreateTopicsResponseCreatableTopicResult>> {
  const r = await c.request(ApiKey.CreateTopics, version, { topics: specs.map(topic), timeoutMs: 5000, validateOnly })
  if (version >= 2) assert.equal(r.throttleTimeMs, 0)
  return new Map(r.topics.map((t) => [t.name, t]))
}

for (const version of [0, 1, 4, 5, 7]) {
  test(`CreateTopics v${version}: creates topics with partitions and configs; logs exist at once`, async (t) => {
    const tb = await embeddedBroker(t)
    const c = await tb.client()
    const res = await create(c, version, [
      { name: 'orders', numPartitions: 3, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '60000' }, { name: 'cleanup.policy', value: 'compact' }] },
      { name: 'plain', numPartitions: 1, replicationFactor: 1 },
    ])
    assert.equal(res.size, 2)
    const md = tb.b.broker.metadata
    for (const [name, partitions] of [['orders', 3], ['plain', 1]] as const) {
      const r = res.get(name)!
      assert.equal(r.errorCode, ErrorCode.NONE, `${name}: ${r.errorMessage}`)
      if (version >= 1) assert.equal(r.errorMessage, null)
      const info = md.topic(name)!
      assert.equal(info.partitions.length, partitions)
      for (let p = 0; p < partitions; p++) assert.ok(tb.b.broker.replicas.logs.getLog({ topic: name, partition: p }), `${name}-${p} log exists`)
      if (version >= 5) {
        assert.equal(r.numPartitions, partitions)
        assert.equal(r.replicationFactor, 1)
        assert.equal(r.topicConfigErrorCode, ErrorCode.NONE)
      }
      if (version >= 7) assert.equal(r.topicId, info.topicId)
    }
    assert.deepEqual(md.topic('orders')!.configs, { 'retention.ms': '60000', 'cleanup.policy': 'compact' })
    if (version >= 5) {
      const configs = new Map(res.get('orders')!.configs!.map((x) => [x.name, x]))
      assert.deepEqual(configs.get('retention.ms'), { name: 'retention.ms', value: '60000', readOnly: false, configSource: TOPIC_CONFIG, isSensitive: false })
      assert.equal(configs.get('cleanup.policy')!.value, 'compact')
      assert.equal(configs.get('segment.bytes')!.value, '1073741824')
      assert.equal(configs.get('segment.bytes')!.configSource, DEFAULT_CONFIG)
      const names = res.get('orders')!.configs!.map((x) => x.name)
      assert.deepEqual(names, [...names].sort(), 'configs sorted by name')
    }
  })
}

test('CreateTopics: -1 partitions and replication factor take num.partitions and default.replication.factor, at v3 too', async (t) => {
  const tb = await embeddedBroker(t, { 'num.partitions': '4' })
  const c = await tb.client()
  for (const [version, name] of [[3, 'kafkajs-style'], [7, 'modern']] as const) {
    const res = await create(c, version, [{ name }])
    assert.equal(res.get(name)!.errorCode, ErrorCode.NONE)
    assert.equal(tb.b.broker.metadata.topic(name)!.partitions.length, 4)
    if (version >= 5) assert.equal(res.get(name)!.numPartitions, 4)
  }
})

test('CreateTopics v5+: configs report the broker layer a value comes from', async (t) => {
  const tb = await embeddedBroker(t, { 'log.retention.hours': '24' })
  const c = await tb.client()
  const res = await create(c, 6, [{ name: 'x', numPartitions: 1 }])
  const retention = res.get('x')!.configs!.find((x) => x.name === 'retention.ms')!
  assert.equal(retention.value, String(24 * 3_600_000))
  assert.equal(retention.configSource, 4, 'STATIC_BROKER_CONFIG')
})

test('CreateTopics: per-topic errors with codes and messages, other topics still created', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  await tb.b.broker.createTopic('exists', 1)
  const res = await create(c, 7, [
    { name: 'exists', numPartitions: 1 },
    { name: 'bad name!', numPartitions: 1 },
    { name: 'zero', numPartitions: 0 },
    { name: 'negative', numPartitions: -3 },
    { name: 'rf-too-big', numPartitions: 1, replicationFactor: 2 },
    { name: 'rf-zero', numPartitions: 1, replicationFactor: 0 },
    { name: 'bad-value', numPartitions: 1, configs: [{ name: 'retention.ms', value: 'forever' }] },
    { name: 'unknown-key', numPartitions: 1, configs: [{ name: 'no.such.config', value: '1' }] },
    { name: 'null-value', numPartitions: 1, configs: [{ name: 'retention.ms', value: null }] },
    { name: '__consumer_offsets', numPartitions: 1 },
    { name: '__ordinary', numPartitions: 1 },
    { name: 'good', numPartitions: 2 },
  ])
  const expect: Record<string, number> = {
    exists: ErrorCode.TOPIC_ALREADY_EXISTS,
    'bad name!': ErrorCode.INVALID_TOPIC_EXCEPTION,
    zero: ErrorCode.INVALID_PARTITIONS,
    negative: ErrorCode.INVALID_PARTITIONS,
    'rf-too-big': ErrorCode.INVALID_REPLICATION_FACTOR,
    'rf-zero': ErrorCode.INVALID_REPLICATION_FACTOR,
    'bad-value': ErrorCode.INVALID_CONFIG,
    'unknown-key': ErrorCode.INVALID_CONFIG,
    'null-value': ErrorCode.INVALID_CONFIG,
    __consumer_offsets: ErrorCode.INVALID_REQUEST,
    __ordinary: ErrorCode.NONE,
    good: ErrorCode.NONE,
  }
  for (const [name, code] of Object.entries(expect)) {
    const r = res.get(name)!
    assert.equal(r.errorCode, code, `${name}: ${r.errorMessage}`)
    if (code !== ErrorCode.NONE) {
      assert.ok(r.errorMessage && r.errorMessage.length > 0, `${name} has a message`)
      assert.equal(r.numPartitions, -1)
      assert.equal(r.replicationFactor, -1)
      assert.equal(r.configs, null)
      assert.equal(r.topicId, ZERO_UUID)
      if (name !== 'exists') assert.equal(tb.b.broker.metadata.topic(name), undefined, `${name} not created`)
    }
  }
  assert.match(res.get('bad-value')!.errorMessage!, /retention\.ms/)
  assert.match(res.get('unknown-key')!.errorMessage!, /no\.such\.config/)
  assert.match(res.get('exists')!.errorMessage!, /already exists/)
  assert.equal(tb.b.broker.metadata.topic('good')!.partitions.length, 2)
})

test('CreateTopics: an existing topic is reported as existing even when the rest of the request is bad', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  await tb.b.broker.createTopic('exists', 1)
  const res = await create(c, 4, [{ name: 'exists', numPartitions: 0, configs: [{ name: 'retention.ms', value: 'x' }] }])
  assert.equal(res.get('exists')!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS)
})

test('CreateTopics: a name given twice is INVALID_REQUEST once and is not created', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const r = await c.request(ApiKey.CreateTopics, 5, {
    topics: [topic({ name: 'twice', numPartitions: 1 }), topic({ name: 'once', numPartitions: 1 }), topic({ name: 'twice', numPartitions: 2 })],
    timeoutMs: 5000,
    validateOnly: false,
  })
  assert.deepEqual(r.topics.map((x) => [x.name, x.errorCode]), [['twice', ErrorCode.INVALID_REQUEST], ['once', ErrorCode.NONE]])
  assert.equal(r.topics[0]!.errorMessage, 'Duplicate topic name.')
  assert.equal(tb.b.broker.metadata.topic('twice'), undefined)
})

for (const version of [1, 7]) {
  test(`CreateTopics v${version}: validateOnly checks everything and creates nothing`, async (t) => {
    const tb = await embeddedBroker(t)
    const c = await tb.client()
    await tb.b.broker.createTopic('a.b', 1)
    const res = await create(
      c,
      version,
      [
        { name: 'dry', numPartitions: 5, configs: [{ name: 'retention.bytes', value: '1000' }] },
        { name: 'dry-bad', numPartitions: 1, configs: [{ name: 'retention.bytes', value: 'lots' }] },
        { name: 'a_b', numPartitions: 1 },
        { name: 'a.b', numPartitions: 1 },
      ],
      true,
    )
    assert.equal(res.get('dry')!.errorCode, ErrorCode.NONE)
    assert.equal(res.get('dry-bad')!.errorCode, ErrorCode.INVALID_CONFIG)
    assert.equal(res.get('a_b')!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, 'collides with a.b')
    assert.equal(res.get('a.b')!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS)
    if (version >= 5) {
      assert.equal(res.get('dry')!.numPartitions, 5)
      assert.equal(res.get('dry')!.configs!.find((x) => x.name === 'retention.bytes')!.value, '1000')
    }
    if (version >= 7) assert.equal(res.get('dry')!.topicId, ZERO_UUID)
    assert.deepEqual([...tb.b.broker.metadata.topics()].map((x) => x.name), ['a.b'])
    assert.equal(tb.b.broker.replicas.logs.getLog({ topic: 'dry', partition: 0 }), undefined)
  })
}

test('CreateTopics: manual assignments', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const assign = (...lists: number[][]) => lists.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds }))
  const res = await create(c, 5, [
    { name: 'assigned', assignments: assign([0], [0], [0]) },
    { name: 'with-count', numPartitions: 3, assignments: assign([0]) },
    { name: 'with-rf', replicationFactor: 1, assignments: assign([0]) },
    { name: 'unknown-broker', assignments: assign([5]) },
    { name: 'broker-twice', assignments: assign([0, 0]) },
    { name: 'empty-list', assignments: assign([]) },
    { name: 'gap', assignments: [{ partitionIndex: 0, brokerIds: [0] }, { partitionIndex: 2, brokerIds: [0] }] },
    { name: 'same-index', assignments: [{ partitionIndex: 0, brokerIds: [0] }, { partitionIndex: 0, brokerIds: [0] }] },
  ])
  assert.equal(res.get('assigned')!.errorCode, ErrorCode.NONE)
  assert.equal(res.get('assigned')!.numPartitions, 3)
  assert.equal(tb.b.broker.metadata.topic('assigned')!.partitions.length, 3)
  assert.equal(res.get('with-count')!.errorCode, ErrorCode.INVALID_REQUEST)
  assert.equal(res.get('with-rf')!.errorCode, ErrorCode.INVALID_REQUEST)
  for (const name of ['unknown-broker', 'broker-twice', 'empty-list', 'gap', 'same-index']) {
    assert.equal(res.get(name)!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT, `${name}: ${res.get(name)!.errorMessage}`)
  }
  assert.match(res.get('unknown-broker')!.errorMessage!, /broker 5/)
})

test('CreateTopics: topics and their configs survive a broker restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-create-'))
  const logger = createLogger({ level: 'silent' })
  try {
    let b = await startBroker({ logDirs: [dir], logger })
    const c = await RawClient.connect(b.port, b.host)
    const res = await create(c, 7, [{ name: 'durable', numPartitions: 2, configs: [{ name: 'retention.ms', value: '12345' }] }])
    c.close()
    const id = res.get('durable')!.topicId
    await b.close()
    b = await startBroker({ logDirs: [dir], logger })
    try {
      const info = b.broker.metadata.topic('durable')!
      assert.equal(info.topicId, id)
      assert.equal(info.partitions.length, 2)
      assert.deepEqual(info.configs, { 'retention.ms': '12345' })
      assert.equal(b.broker.replicas.logs.getLog({ topic: 'durable', partition: 1 })!.config.retentionMs, 12345)
    } finally {
      await b.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

/** The partition dirs (names with a partition suffix) in a log dir. */
function partitionDirs(dir: string): string[] {
  return readdirSync(dir).filter((n) => /-\d+$/.test(n)).sort()
}

test('CreateTopics: more than 10,000 partitions in one request is POLICY_VIOLATION for every topic, refused before any work; the broker keeps serving', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const dir = tb.b.broker.config.get('log.dirs')[0]!
  const assign = (n: number) => Array.from({ length: n }, (_, partitionIndex) => ({ partitionIndex, brokerIds: [0] }))
  // One topic of 2^31-1 partitions used to abort the broker with a JavaScript out-of-memory error.
  for (const specs of [
    [{ name: 'huge', numPartitions: 2147483647 }, { name: 'small', numPartitions: 1 }],
    [{ name: 'huge-2', numPartitions: 104857601 }],
    [{ name: 'half', numPartitions: 5000 }, { name: 'other-half', numPartitions: 5001 }],
    [{ name: 'assigned', assignments: assign(10_001) }],
  ] satisfies Spec[][]) {
    const res = await create(c, 7, specs)
    for (const s of specs) {
      const r = res.get(s.name)!
      assert.equal(r.errorCode, ErrorCode.POLICY_VIOLATION, `${s.name}: ${r.errorMessage}`)
      assert.match(r.errorMessage!, /^Excessively large number of partitions per request\. .*at most 10000/)
    }
  }
  // validateOnly is bounded the same way.
  assert.equal((await create(c, 7, [{ name: 'dry', numPartitions: 10_001 }], true)).get('dry')!.errorCode, ErrorCode.POLICY_VIOLATION)
  // Exactly at the bound is fine for validateOnly (no logs made).
  assert.equal((await create(c, 7, [{ name: 'dry', numPartitions: 10_000 }], true)).get('dry')!.errorCode, ErrorCode.NONE)
  assert.deepEqual([...tb.b.broker.metadata.topics()].map((x) => x.name), [])
  assert.deepEqual(partitionDirs(dir), [], 'no partition dirs were made')
  // Broker.createTopic and auto-creation go through the same check.
  await assert.rejects(tb.b.broker.createTopic('embedded', 2147483647), (e: Error & { errorName?: string }) => e.errorName === 'POLICY_VIOLATION')
  const after = await create(c, 7, [{ name: 'after', numPartitions: 2 }])
  assert.equal(after.get('after')!.errorCode, ErrorCode.NONE)
  assert.deepEqual(partitionDirs(dir), ['after-0', 'after-1'])
})

test('CreateTopics: a topic that would take the broker past its bound on hosted partitions is POLICY_VIOLATION and leaves nothing', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const dir = tb.b.broker.config.get('log.dirs')[0]!
  tb.b.broker.replicas.hostedPartitionLimit = 10
  assert.equal((await create(c, 7, [{ name: 'eight', numPartitions: 8 }])).get('eight')!.errorCode, ErrorCode.NONE)
  const res = await create(c, 7, [{ name: 'three', numPartitions: 3 }, { name: 'two', numPartitions: 2 }])
  assert.equal(res.get('three')!.errorCode, ErrorCode.POLICY_VIOLATION)
  assert.match(res.get('three')!.errorMessage!, /hosts 8 partitions; 3 more would pass Samsa's limit of 10 per broker/)
  assert.equal(res.get('two')!.errorCode, ErrorCode.NONE)
  assert.equal((await create(c, 7, [{ name: 'one', numPartitions: 1 }], true)).get('one')!.errorCode, ErrorCode.POLICY_VIOLATION, 'validateOnly too')
  assert.equal(tb.b.broker.metadata.topic('three'), undefined)
  assert.deepEqual(partitionDirs(dir).filter((d) => d.startsWith('three')), [])
})

test('CreateTopics with a full disk: ENOSPC creating a partition dir answers KAFKA_STORAGE_ERROR and leaves no topic, no dirs, also after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-full-'))
  const logger = createLogger({ level: 'silent' })
  const open: Array<{ close(): unknown }> = []
  t.after(async () => {
    for (const x of open.reverse()) await x.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const b = await startBroker({ logDirs: [dir], logger })
  open.push(b)
  const c = await RawClient.connect(b.port, b.host)
  open.push(c)
  // The third of four partitions fails; the others, made alongside it, must go again.
  b.broker.faults.failNext('log.create', { error: errnoError('ENOSPC', 'no space left on device'), when: (d) => d.endsWith('full-2'), times: Infinity })
  const r = (await create(c, 7, [{ name: 'full', numPartitions: 4 }])).get('full')!
  assert.equal(r.errorCode, ErrorCode.KAFKA_STORAGE_ERROR)
  assert.match(r.errorMessage!, /Cannot create the logs of topic 'full': .*ENOSPC.*free disk space in the log dir and retry\. Nothing was created\.$/)
  assert.equal(r.topicId, ZERO_UUID)
  const md = await c.request(ApiKey.Metadata, 12, { topics: [{ name: 'full', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  assert.equal(md.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.deepEqual(partitionDirs(dir), [])
  assert.equal(b.broker.replicas.logs.allLogs().length, 0)
  b.broker.faults.clear('log.create')
  // A full disk when writing samsa-metadata.json: the logs were made, and go again.
  b.broker.faults.failNext('metadata.write', { error: errnoError('ENOSPC', 'no space left on device') })
  const meta = (await create(c, 7, [{ name: 'full', numPartitions: 4 }])).get('full')!
  assert.equal(meta.errorCode, ErrorCode.KAFKA_STORAGE_ERROR)
  assert.match(meta.errorMessage!, /samsa-metadata\.json: ENOSPC/)
  assert.deepEqual(partitionDirs(dir), [])
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), [], 'no half-written metadata file left')
  c.close()
  await b.close()

  const again = await startBroker({ logDirs: [dir], logger })
  open.push(again)
  assert.equal(again.broker.metadata.topic('full'), undefined)
  assert.deepEqual(partitionDirs(dir), [])
  // Space is back: the same request succeeds.
  const c2 = await RawClient.connect(again.port, again.host)
  open.push(c2)
  assert.equal((await create(c2, 7, [{ name: 'full', numPartitions: 4 }])).get('full')!.errorCode, ErrorCode.NONE)
  assert.deepEqual(partitionDirs(dir), ['full-0', 'full-1', 'full-2', 'full-3'])
})
