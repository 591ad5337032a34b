/** Metadata (key 3) against the embedded broker, over a raw socket, across the version range. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import type { MetadataRequest, MetadataResponse, MetadataResponseTopic } from '../../../src/protocol/generated/metadata.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { randomUuid, ZERO_UUID } from '../../../src/protocol/primitives/uuid.js'
import type { TopicInfo } from '../../../src/metadata/types.js'
import { embeddedBroker, type TestBroker } from '../helpers.js'
import type { RawClient } from '../../helpers/raw-client.js'

const VERSIONS = [0, 1, 4, 9, 10, 12]
const INT32_MIN = -2147483648

interface Setup {
  tb: TestBroker
  c: RawClient
  alpha: TopicInfo
  beta: TopicInfo
}

async function setup(t: TestContext, config: Record<string, string> = {}): Promise<Setup> {
  // Auto-creation would turn "unknown topic" into "created": keep these tests about lookups.
  const tb = await embeddedBroker(t, { 'auto.create.topics.enable': 'false', ...config })
  const alpha = await tb.b.broker.createTopic('alpha', 3)
  const beta = await tb.b.broker.createTopic('beta', 1)
  const c = await tb.client()
  return { tb, c, alpha, beta }
}

function request(_version: number, topics: MetadataRequest['topics']): MetadataRequest {
  return { topics, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }
}

function metadata(c: RawClient, version: number, topics: MetadataRequest['topics']): Promise<MetadataResponse> {
  return c.request(ApiKey.Metadata, version, request(version, topics))
}

function byName(topics: MetadataResponseTopic[]): Map<string | null, MetadataResponseTopic> {
  return new Map(topics.map((t) => [t.name, t]))
}

/** What every response must say about the cluster, whatever was asked. */
function checkCluster(s: Setup, version: number, r: MetadataResponse): void {
  assert.equal(r.brokers.length, 1, `v${version}: one broker`)
  const b = r.brokers[0]!
  assert.equal(b.nodeId, 0)
  assert.equal(b.host, s.tb.b.host)
  assert.equal(b.port, s.tb.b.port)
  if (version >= 1) {
    assert.ok(r.brokers.some((x) => x.nodeId === r.controllerId), `v${version}: controller ${r.controllerId} is a listed broker`)
    assert.equal(b.rack, null)
  }
  if (version >= 2) {
    assert.equal(typeof r.clusterId, 'string')
    assert.ok(r.clusterId!.length > 0, `v${version}: cluster id present`)
    assert.equal(r.clusterId, s.tb.b.broker.metadata.clusterId)
  }
  if (version >= 3) assert.equal(r.throttleTimeMs, 0)
  if (version >= 8 && version <= 10) assert.equal(r.clusterAuthorizedOperations, INT32_MIN)
}

/** A found topic, described as createTopic made it. */
function checkTopic(version: number, got: MetadataResponseTopic | undefined, want: TopicInfo): void {
  assert.ok(got, `v${version}: topic ${want.name} in response`)
  assert.equal(got.errorCode, ErrorCode.NONE)
  assert.equal(got.name, want.name)
  if (version >= 1) assert.equal(got.isInternal, false)
  if (version >= 10) assert.equal(got.topicId, want.topicId)
  if (version >= 8) assert.equal(got.topicAuthorizedOperations, INT32_MIN)
  assert.deepEqual(
    got.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b),
    want.partitions.map((p) => p.partition),
  )
  for (const p of got.partitions) {
    assert.equal(p.errorCode, ErrorCode.NONE)
    assert.equal(p.leaderId, 0)
    assert.deepEqual(p.replicaNodes, [0])
    assert.deepEqual(p.isrNodes, [0])
    if (version >= 7) assert.equal(p.leaderEpoch, 0)
    if (version >= 5) assert.deepEqual(p.offlineReplicas, [])
  }
}

for (const version of VERSIONS) {
  test(`Metadata v${version}: all topics (${version === 0 ? 'empty list' : 'null'})`, async (t) => {
    const s = await setup(t)
    const r = await metadata(s.c, version, version === 0 ? [] : null)
    checkCluster(s, version, r)
    assert.deepEqual(r.topics.map((x) => x.name).sort(), ['alpha', 'beta'])
    const m = byName(r.topics)
    checkTopic(version, m.get('alpha'), s.alpha)
    checkTopic(version, m.get('beta'), s.beta)
  })

  if (version >= 1) {
    test(`Metadata v${version}: an empty topic list means no topics`, async (t) => {
      const s = await setup(t)
      const r = await metadata(s.c, version, [])
      checkCluster(s, version, r)
      assert.deepEqual(r.topics, [])
    })
  }

  test(`Metadata v${version}: named topics, unknown and invalid names`, async (t) => {
    const s = await setup(t)
    const names = ['beta', 'no-such-topic', 'bad name!', 'a'.repeat(250), '..']
    const r = await metadata(s.c, version, names.map((name) => ({ name, topicId: ZERO_UUID })))
    checkCluster(s, version, r)
    assert.equal(r.topics.length, names.length)
    const m = byName(r.topics)
    checkTopic(version, m.get('beta'), s.beta)
    assert.equal(m.has('alpha'), false, 'only the topics asked for')

    const unknown = m.get('no-such-topic')!
    assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert.equal(unknown.errorCode, 3)
    assert.deepEqual(unknown.partitions, [])
    if (version >= 10) assert.equal(unknown.topicId, ZERO_UUID)

    for (const bad of ['bad name!', 'a'.repeat(250), '..']) {
      const x = m.get(bad)!
      assert.ok(x, `${bad} answered`)
      assert.equal(x.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, `v${version} ${bad.slice(0, 20)}`)
      assert.equal(x.errorCode, 17)
      assert.deepEqual(x.partitions, [])
    }
    // A 249-character name is legal (unknown here, not invalid).
    const r2 = await metadata(s.c, version, [{ name: 'b'.repeat(249), topicId: ZERO_UUID }])
    assert.equal(r2.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  })

  if (version >= 10 && version < 12) {
    // Kafka rejects topic-id lookups below v12 (the response cannot carry a null name).
    test(`Metadata v${version}: a lookup by topic id answers INVALID_REQUEST and keeps the connection`, async (t) => {
      const s = await setup(t)
      const r = await metadata(s.c, version, [{ topicId: s.alpha.topicId, name: null }])
      checkCluster(s, version, r)
      assert.equal(r.topics.length, 1)
      assert.equal(r.topics[0]!.errorCode, ErrorCode.INVALID_REQUEST)
      assert.deepEqual(r.topics[0]!.partitions, [])
      assert.ok(s.c.isOpen)
    })
  }

  if (version >= 12) {
    test(`Metadata v${version}: lookup by topic id (name null) finds the topic`, async (t) => {
      const s = await setup(t)
      const r = await metadata(s.c, version, [{ topicId: s.alpha.topicId, name: null }])
      checkCluster(s, version, r)
      assert.equal(r.topics.length, 1)
      checkTopic(version, r.topics[0], s.alpha)
    })

    test(`Metadata v${version}: an unknown topic id answers UNKNOWN_TOPIC_ID and keeps the connection`, async (t) => {
      const s = await setup(t)
      const id = randomUuid()
      const r = await metadata(s.c, version, [{ topicId: id, name: null }]).catch((e: Error) => {
        throw new Error(`${e.message}; broker log: ${JSON.stringify(s.tb.logs())}`)
      })
      checkCluster(s, version, r)
      assert.equal(r.topics.length, 1)
      const x = r.topics[0]!
      assert.equal(x.errorCode, ErrorCode.UNKNOWN_TOPIC_ID)
      assert.equal(x.errorCode, 100)
      assert.equal(x.topicId, id)
      // v12 made the response name nullable; before that the name must be a string.
      if (version >= 12) assert.equal(x.name, null)
      assert.deepEqual(x.partitions, [])
      assert.ok(s.c.isOpen)
    })
  }
}

test('Metadata reports broker.rack, cluster.id and broker.id from the configuration', async (t) => {
  const s = await setup(t, { 'broker.rack': 'rack-a', 'cluster.id': 'MkU3OEVBNTcwNTJENDM2Qg', 'broker.id': '7' })
  const r = await metadata(s.c, 12, null)
  assert.deepEqual(
    r.brokers.map((b) => ({ nodeId: b.nodeId, rack: b.rack })),
    [{ nodeId: 7, rack: 'rack-a' }],
  )
  assert.equal(r.controllerId, 7)
  assert.equal(r.clusterId, 'MkU3OEVBNTcwNTJENDM2Qg')
  for (const p of r.topics.flatMap((x) => x.partitions)) assert.equal(p.leaderId, 7)
})

test('an empty topic list means all topics in v0 and no topics in v1', async (t) => {
  const s = await setup(t)
  // v0's empty list is "all"; v1's is "none": the same bytes on the wire mean different things.
  const v0 = await metadata(s.c, 0, [])
  const v1 = await metadata(s.c, 1, [])
  assert.equal(v0.topics.length, 2)
  assert.equal(v1.topics.length, 0)
})

test('auto-creation: unknown valid names are created with num.partitions when broker and request allow it', async (t) => {
  const tb = await embeddedBroker(t, { 'num.partitions': '3' })
  const c = await tb.client()
  const ask = (version: number, name: string, allow: boolean): Promise<MetadataResponse> =>
    c.request(ApiKey.Metadata, version, { ...request(version, [{ name, topicId: ZERO_UUID }]), allowAutoTopicCreation: allow })
  const created = (await ask(12, 'auto', true)).topics[0]!
  assert.equal(created.errorCode, ErrorCode.NONE)
  assert.equal(created.partitions.length, 3)
  assert.notEqual(created.topicId, ZERO_UUID)
  assert.equal(tb.b.broker.metadata.topic('auto')?.topicId, created.topicId)
  // Below v4 there is no flag: creation is always allowed.
  assert.equal((await ask(1, 'old-client', false)).topics[0]!.errorCode, ErrorCode.NONE)
  assert.equal((await ask(12, 'not-allowed', false)).topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.equal((await ask(12, '__consumer_offsets', true)).topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.equal((await ask(12, '__ordinary', true)).topics[0]!.errorCode, ErrorCode.NONE)
  assert.equal((await ask(12, 'bad name!', true)).topics[0]!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION)
  assert.equal(tb.b.broker.metadata.topic('not-allowed'), undefined)
})

test('auto-creation is off with auto.create.topics.enable=false', async (t) => {
  const { c } = await setup(t)
  const resp = await c.request(ApiKey.Metadata, 12, { ...request(12, [{ name: 'never', topicId: ZERO_UUID }]), allowAutoTopicCreation: true })
  assert.equal(resp.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
})

// Without an authorizer Kafka answers every operation the resource type supports (AclOperation
// codes: READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9,
// DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12); librdkafka checks these bits.
const opsOf = (bits: number) => Array.from({ length: 31 }, (_, i) => i).filter((i) => (bits & (1 << i)) !== 0)

for (const version of [8, 10, 11, 12]) {
  test(`Metadata v${version}: authorized operations when asked for, as Kafka without an authorizer`, async (t) => {
    const s = await setup(t)
    const ask = { allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true }
    const r = await s.c.request(ApiKey.Metadata, version, { topics: [{ name: 'alpha', topicId: ZERO_UUID }, { name: 'nope', topicId: ZERO_UUID }], ...ask })
    const topics = byName(r.topics)
    assert.deepEqual(opsOf(topics.get('alpha')!.topicAuthorizedOperations!), [3, 4, 5, 6, 7, 8, 10, 11])
    assert.equal(topics.get('nope')!.topicAuthorizedOperations, INT32_MIN, 'a missing topic has none, as in Kafka')
    if (version <= 10) assert.deepEqual(opsOf(r.clusterAuthorizedOperations!), [5, 7, 8, 9, 10, 11, 12])
    const all = await s.c.request(ApiKey.Metadata, version, { topics: null, ...ask })
    for (const tp of all.topics) assert.deepEqual(opsOf(tp.topicAuthorizedOperations!), [3, 4, 5, 6, 7, 8, 10, 11], `all topics: ${tp.name}`)
  })
}
