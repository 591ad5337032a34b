/** AlterClientQuotas (49) and DescribeClientQuotas (48) against the embedded broker, and throttling on the wire. */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { startBroker } from '../../../src/index.js'
import { ManualTime } from '../../../src/util/time.js'
import { createBatch, encodeBatchSync } from '../../../src/protocol/records/index.js'
import { RawClient } from '../../helpers/raw-client.js'
import { embeddedBroker } from '../helpers.js'

type Entity = Array<{ entityType: string; entityName: string | null }>
const set = (entity: Entity, ops: Record<string, number | null>) => ({
  entity,
  ops: Object.entries(ops).map(([key, v]) => ({ key, value: v ?? 0, remove: v === null })),
})

async function alter(c: RawClient, entries: ReturnType<typeof set>[], validateOnly = false, version = 1) {
  return c.request(ApiKey.AlterClientQuotas, version, { entries, validateOnly })
}
async function describe(c: RawClient, components: Array<{ entityType: string; matchType: number; match: string | null }>, strict = false, version = 1) {
  return c.request(ApiKey.DescribeClientQuotas, version, { components, strict })
}

for (const version of [0, 1]) {
  test(`AlterClientQuotas/DescribeClientQuotas v${version}: set, describe with filters, remove`, async (t) => {
    const tb = await embeddedBroker(t)
    const c = await tb.client()
    const r = await alter(c, [
      set([{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: 'app' }], { producer_byte_rate: 1024, request_percentage: 12.5 }),
      set([{ entityType: 'user', entityName: null }], { consumer_byte_rate: 2048 }),
      set([{ entityType: 'client-id', entityName: 'app' }], { controller_mutation_rate: 3 }),
    ], false, version)
    assert.deepEqual(r.entries.map((e) => e.errorCode), [0, 0, 0])
    const all = await describe(c, [], false, version)
    assert.equal(all.errorCode, ErrorCode.NONE)
    assert.equal(all.entries!.length, 3)
    // Non-strict: every entity naming client-id 'app', whatever else it names.
    const app = await describe(c, [{ entityType: 'client-id', matchType: 0, match: 'app' }], false, version)
    assert.equal(app.entries!.length, 2)
    // Strict: only the entity that names nothing but client-id 'app'.
    const strict = await describe(c, [{ entityType: 'client-id', matchType: 0, match: 'app' }], true, version)
    assert.deepEqual(strict.entries, [{ entity: [{ entityType: 'client-id', entityName: 'app' }], values: [{ key: 'controller_mutation_rate', value: 3 }] }])
    const dflt = await describe(c, [{ entityType: 'user', matchType: 1, match: null }], false, version)
    assert.deepEqual(dflt.entries, [{ entity: [{ entityType: 'user', entityName: null }], values: [{ key: 'consumer_byte_rate', value: 2048 }] }])
    const anyUser = await describe(c, [{ entityType: 'user', matchType: 2, match: null }], false, version)
    assert.equal(anyUser.entries!.length, 2)
    const both = await describe(c, [{ entityType: 'user', matchType: 0, match: 'alice' }, { entityType: 'client-id', matchType: 2, match: null }], true, version)
    assert.deepEqual(both.entries![0]!.values, [{ key: 'producer_byte_rate', value: 1024 }, { key: 'request_percentage', value: 12.5 }])
    // Removing one key keeps the other; removing the last removes the entity.
    await alter(c, [set([{ entityType: 'client-id', entityName: 'app' }, { entityType: 'user', entityName: 'alice' }], { producer_byte_rate: null })], false, version)
    await alter(c, [set([{ entityType: 'client-id', entityName: 'app' }], { controller_mutation_rate: null })], false, version)
    const after = await describe(c, [], false, version)
    assert.equal(after.entries!.length, 2)
    assert.deepEqual(after.entries!.find((e) => e.entity.length === 2)!.values, [{ key: 'request_percentage', value: 12.5 }])
  })
}

test('AlterClientQuotas: validate_only stores nothing; bad entries fail alone with INVALID_REQUEST', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const ok = [{ entityType: 'client-id', entityName: 'x' }]
  const v = await alter(c, [set(ok, { producer_byte_rate: 10 })], true)
  assert.equal(v.entries[0]!.errorCode, 0)
  assert.deepEqual((await describe(c, [])).entries, [])
  const r = await alter(c, [
    set([], { producer_byte_rate: 1 }),
    set([{ entityType: 'user', entityName: 'a' }, { entityType: 'user', entityName: 'b' }], { producer_byte_rate: 1 }),
    set([{ entityType: 'group', entityName: 'g' }], { producer_byte_rate: 1 }),
    set(ok, { producer_byte_rate: 1.5 }),
    set(ok, { not_a_quota: 1 }),
    set(ok, { consumer_byte_rate: -1 }),
    set([{ entityType: 'ip', entityName: '1.2.3.4' }], { connection_creation_rate: 1 }),
    set(ok, { consumer_byte_rate: 100 }),
  ])
  assert.deepEqual(r.entries.map((e) => e.errorCode), [...Array(7).fill(ErrorCode.INVALID_REQUEST), 0])
  assert.match(r.entries[3]!.errorMessage!, /producer_byte_rate must be an integer/)
  assert.match(r.entries[4]!.errorMessage!, /Invalid configuration key not_a_quota/)
  assert.deepEqual(r.entries[1]!.entity, [{ entityType: 'user', entityName: 'a' }, { entityType: 'user', entityName: 'b' }])
  // Only the good entry took effect, and the invalid value in entry 4 left its entity untouched.
  assert.deepEqual((await describe(c, [])).entries, [{ entity: ok, values: [{ key: 'consumer_byte_rate', value: 100 }] }])
})

test('DescribeClientQuotas: invalid filters are INVALID_REQUEST with null entries', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  for (const components of [
    [{ entityType: 'user', matchType: 2, match: null }, { entityType: 'user', matchType: 1, match: null }],
    [{ entityType: 'group', matchType: 2, match: null }],
    [{ entityType: 'user', matchType: 0, match: null }],
    [{ entityType: 'user', matchType: 7, match: null }],
    [{ entityType: 'ip', matchType: 2, match: null }, { entityType: 'user', matchType: 2, match: null }],
  ]) {
    const r = await describe(c, components)
    assert.equal(r.errorCode, ErrorCode.INVALID_REQUEST, JSON.stringify(components))
    assert.equal(r.entries, null)
    assert.ok(r.errorMessage)
  }
})

test('client quotas survive a restart (local metadata store)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-quotas-'))
  const first = await startBroker({ logDirs: [dir] })
  const c1 = await RawClient.connect(first.port, first.host)
  await alter(c1, [set([{ entityType: 'user', entityName: null }, { entityType: 'client-id', entityName: null }], { producer_byte_rate: 5000 })])
  c1.close()
  await first.close()
  const second = await startBroker({ logDirs: [dir] })
  t.after(() => second.close())
  const c2 = await RawClient.connect(second.port, second.host)
  t.after(() => c2.close())
  const r = await describe(c2, [])
  assert.deepEqual(r.entries, [{ entity: [{ entityType: 'client-id', entityName: null }, { entityType: 'user', entityName: null }], values: [{ key: 'producer_byte_rate', value: 5000 }] }])
})

async function manualBroker(t: TestContext) {
  const time = new ManualTime(Date.now())
  const b = await startBroker({ time, config: { 'num.partitions': '1' } })
  const c = await RawClient.connect(b.port, b.host)
  t.after(async () => {
    c.close()
    await b.close()
  })
  return { b, c, time }
}

function produce(c: RawClient, clientId: string, bytes: number) {
  const batch = encodeBatchSync(createBatch({ baseTimestamp: BigInt(Date.now()), records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.alloc(bytes, 7), headers: [] }] }))
  return c.request(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'q', partitionData: [{ index: 0, records: batch }] }] }, clientId)
}

test('a producer over its quota gets throttle_time_ms and its connection is not read until the throttle passes (KIP-219)', async (t) => {
  const { c, time } = await manualBroker(t)
  await c.request(ApiKey.Metadata, 4, { topics: [{ name: 'q' }], allowAutoTopicCreation: true } as never)
  await alter(c, [set([{ entityType: 'client-id', entityName: 'slow' }], { producer_byte_rate: 1000 })])
  const free = await produce(c, 'fast', 50_000)
  assert.equal(free.throttleTimeMs, 0)
  const r = await produce(c, 'slow', 50_000)
  assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, 0)
  // 50 KB over a 10 s window against 1000 B/s: about (5000 - 1000) / 1000 * 10 s, capped at the 11 s window.
  assert.equal(r.throttleTimeMs, 11_000)
  // Muted: the next request waits, whoever it is for.
  let answered = false
  const next = c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' }).then((v) => ((answered = true), v))
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(answered, false)
  time.advance(11_000)
  assert.equal((await next).errorCode, 0)
})

test('a consumer over its quota gets an empty Fetch with throttle_time_ms', async (t) => {
  const { c, time } = await manualBroker(t)
  await c.request(ApiKey.Metadata, 4, { topics: [{ name: 'q' }], allowAutoTopicCreation: true } as never)
  for (let i = 0; i < 3; i++) await produce(c, 'p', 8000)
  await alter(c, [set([{ entityType: 'client-id', entityName: 'reader' }], { consumer_byte_rate: 1000 })])
  // One batch per fetch (the partition limit), so each response is about 8 KB.
  const fetch = (offset: bigint) =>
    c.request(ApiKey.Fetch, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'q', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1n, partitionMaxBytes: 8200 }] }],
      forgottenTopicsData: [], rackId: '',
    } as never, 'reader')
  const size = (r: Awaited<ReturnType<typeof fetch>>) => (r.responses[0]?.partitions[0]?.records as Buffer | null)?.length ?? 0
  const first = await fetch(0n)
  assert.equal(first.throttleTimeMs, 0)
  assert.ok(size(first) > 8000, `one batch, got ${size(first)} bytes`)
  const second = await fetch(1n)
  assert.ok(second.throttleTimeMs! > 0)
  assert.deepEqual(second.responses, [])
  // Once the first response's sample has aged out of the window, the data comes.
  time.advance(11_000)
  const third = await fetch(1n)
  assert.ok(size(third) > 8000, `got ${size(third)} bytes`)
  // Another client id is not limited: it gets all three batches at once.
  const other = await c.request(ApiKey.Fetch, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'q', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  } as never, 'free')
  assert.equal(other.throttleTimeMs, 0)
  assert.ok(size(other) > 24_000)
})

test('a consumer under a byte-rate quota gets at most its quota window per Fetch (Kafka\'s getMaxValueInQuotaWindow)', async (t) => {
  const { c, time } = await manualBroker(t)
  await c.request(ApiKey.Metadata, 4, { topics: [{ name: 'q' }], allowAutoTopicCreation: true } as never)
  for (let i = 0; i < 10; i++) await produce(c, 'p', 4000)
  // 500 B/s over 10 full windows: 5000 bytes of records.
  await alter(c, [set([{ entityType: 'client-id', entityName: 'reader' }], { consumer_byte_rate: 500 })])
  const fetch = (offset: bigint) =>
    c.request(ApiKey.Fetch, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'q', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    } as never, 'reader')
  // A fetch at the end starts the client's rate; 10.5 s later a full window's bytes are within quota.
  await fetch(10n)
  time.advance(10_500)
  const r = await fetch(0n)
  assert.equal(r.throttleTimeMs, 0)
  const bytes = r.responses.reduce((n, tp) => n + tp.partitions.reduce((m, p) => m + ((p.records as Buffer | null)?.length ?? 0), 0), 0)
  assert.ok(bytes > 4000 && bytes <= 5000, `${bytes} bytes`)
})

test('controller_mutation_rate (KIP-599): strict CreateTopics v6 is refused once over the rate, permissive v5 is throttled only', async (t) => {
  const { b } = await manualBroker(t)
  const conn = async () => {
    const c = await RawClient.connect(b.port, b.host)
    t.after(() => c.close())
    return c
  }
  await alter(await conn(), [set([{ entityType: 'client-id', entityName: 'admin' }], { controller_mutation_rate: 1 })])
  const create = async (version: number, name: string, partitions: number, clientId = 'admin') =>
    (await conn()).request(ApiKey.CreateTopics, version, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false }, clientId)
  // The mutation that crosses the bound is accepted; 20 partitions over 10 s is 2/s: throttled.
  const first = await create(6, 'm1', 20)
  assert.equal(first.topics[0]!.errorCode, ErrorCode.NONE)
  assert.ok(first.throttleTimeMs! > 0)
  const strict = await create(6, 'm2', 1)
  assert.equal(strict.topics[0]!.errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED)
  assert.ok(strict.throttleTimeMs! > 0)
  assert.equal(b.broker.metadata.topic('m2'), undefined)
  const permissive = await create(5, 'm3', 1)
  assert.equal(permissive.topics[0]!.errorCode, ErrorCode.NONE)
  assert.ok(permissive.throttleTimeMs! > 0)
  const other = await create(6, 'm4', 1, 'someone-else')
  assert.equal(other.topics[0]!.errorCode, ErrorCode.NONE)
  assert.equal(other.throttleTimeMs, 0)
  // DeleteTopics v5 and CreatePartitions v3 are strict too.
  const del = await (await conn()).request(ApiKey.DeleteTopics, 5, { topicNames: ['m3'], timeoutMs: 5000 } as never, 'admin')
  assert.equal(del.responses[0]!.errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED)
  const grow = await (await conn()).request(ApiKey.CreatePartitions, 3, { topics: [{ name: 'm3', count: 2, assignments: null }], timeoutMs: 5000, validateOnly: false }, 'admin')
  assert.equal(grow.results[0]!.errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED)
})
