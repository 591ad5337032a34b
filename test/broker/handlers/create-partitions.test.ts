/** CreatePartitions (key 37) against the embedded broker, over a raw socket, across the version range. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import type {
  CreatePartitionsRequestCreatePartitionsTopic,
  CreatePartitionsResponseCreatePartitionsTopicResult,
} from '../../../src/protocol/generated/create-partitions.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { startBroker } from '../../../src/index.js'
import { createTopic } from '../../../src/broker/topic-admin.js'
import { errnoError } from '../../../src/util/faults.js'
import { createLogger } from '../../../src/util/logger.js'
import { embeddedBroker } from '../helpers.js'
import { RawClient } from '../../helpers/raw-client.js'

type Topic = Omit<CreatePartitionsRequestCreatePartitionsTopic, 'assignments'> & { assignments?: number[][] | null }

async function grow(c: RawClient, version: number, topics: Topic[], validateOnly = false): Promise<Map<string, CreatePartitionsResponseCreatePartitionsTopicResult>> {
  const r = await c.request(ApiKey.CreatePartitions, version, {
    topics: topics.map((t) => ({ name: t.name, count: t.count, assignments: t.assignments ? t.assignments.map((brokerIds) => ({ brokerIds })) : null })),
    timeoutMs: 5000,
    validateOnly,
  })
  assert.equal(r.throttleTimeMs, 0)
  return new Map(r.results.map((x) => [x.name, x]))
}

for (const version of [0, 1, 2, 3]) {
  test(`CreatePartitions v${version}: grows topics; new logs exist at once`, async (t) => {
    const tb = await embeddedBroker(t)
    const c = await tb.client()
    await tb.b.broker.createTopic('grow', 1)
    await tb.b.broker.createTopic('assigned', 2)
    const res = await grow(c, version, [
      { name: 'grow', count: 4 },
      { name: 'assigned', count: 3, assignments: [[0]] },
    ])
    for (const name of ['grow', 'assigned']) {
      assert.equal(res.get(name)!.errorCode, ErrorCode.NONE, res.get(name)!.errorMessage ?? '')
      assert.equal(res.get(name)!.errorMessage, null)
    }
    assert.equal(tb.b.broker.metadata.topic('grow')!.partitions.length, 4)
    assert.equal(tb.b.broker.metadata.topic('assigned')!.partitions.length, 3)
    for (let p = 0; p < 4; p++) assert.ok(tb.b.broker.replicas.logs.getLog({ topic: 'grow', partition: p }), `grow-${p}`)
    assert.ok(tb.b.broker.replicas.logs.getLog({ topic: 'assigned', partition: 2 }))
  })
}

test('CreatePartitions: errors per topic', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  await tb.b.broker.createTopic('three', 3)
  for (const name of ['same', 'fewer', 'short', 'bad-broker', 'twice', 'long', 'dup']) await tb.b.broker.createTopic(name, 2)
  const res = await grow(c, 3, [
    { name: 'missing', count: 2 },
    { name: 'same', count: 2 },
    { name: 'fewer', count: 1 },
    { name: 'short', count: 4, assignments: [[0]] },
    { name: 'bad-broker', count: 3, assignments: [[7]] },
    { name: 'twice', count: 3, assignments: [[0, 0]] },
    { name: 'long', count: 3, assignments: [[]] },
    { name: 'dup', count: 3 },
    { name: 'dup', count: 4 },
    { name: 'three', count: 5 },
  ])
  const expect: Record<string, number> = {
    missing: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    same: ErrorCode.INVALID_PARTITIONS,
    fewer: ErrorCode.INVALID_PARTITIONS,
    short: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    'bad-broker': ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    twice: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    long: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    dup: ErrorCode.INVALID_REQUEST,
    three: ErrorCode.NONE,
  }
  assert.equal(res.size, Object.keys(expect).length)
  for (const [name, code] of Object.entries(expect)) {
    assert.equal(res.get(name)!.errorCode, code, `${name}: ${res.get(name)!.errorMessage}`)
    if (code !== ErrorCode.NONE) {
      assert.ok(res.get(name)!.errorMessage)
      if (name !== 'missing') assert.equal(tb.b.broker.metadata.topic(name)!.partitions.length, 2, `${name} unchanged`)
    }
  }
  assert.equal(res.get('same')!.errorMessage, 'Topic already has 2 partition(s).')
  assert.match(res.get('fewer')!.errorMessage!, /would not be an increase/)
  assert.match(res.get('short')!.errorMessage!, /Attempted to add 2 additional partition\(s\), but only 1 assignment\(s\) were specified/)
  assert.equal(tb.b.broker.metadata.topic('three')!.partitions.length, 5)
})

for (const version of [0, 3]) {
  test(`CreatePartitions v${version}: validateOnly checks and changes nothing`, async (t) => {
    const tb = await embeddedBroker(t)
    const c = await tb.client()
    await tb.b.broker.createTopic('dry', 1)
    const res = await grow(c, version, [{ name: 'dry', count: 3 }, { name: 'dry-bad', count: 3 }], true)
    assert.equal(res.get('dry')!.errorCode, ErrorCode.NONE)
    assert.equal(res.get('dry-bad')!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert.equal(tb.b.broker.metadata.topic('dry')!.partitions.length, 1)
    assert.equal(tb.b.broker.replicas.logs.getLog({ topic: 'dry', partition: 1 }), undefined)
  })
}

test('CreatePartitions: the new partitions survive a broker restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-partitions-'))
  const logger = createLogger({ level: 'silent' })
  try {
    let b = await startBroker({ logDirs: [dir], logger })
    await b.broker.createTopic('grown', 1)
    const c = await RawClient.connect(b.port, b.host)
    assert.equal((await grow(c, 2, [{ name: 'grown', count: 3 }])).get('grown')!.errorCode, ErrorCode.NONE)
    c.close()
    await b.close()
    b = await startBroker({ logDirs: [dir], logger })
    try {
      assert.equal(b.broker.metadata.topic('grown')!.partitions.length, 3)
      assert.ok(b.broker.replicas.logs.getLog({ topic: 'grown', partition: 2 }))
    } finally {
      await b.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

function partitionDirs(dir: string, topic: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith(`${topic}-`)).sort()
}

test('CreatePartitions: more than 10,000 new partitions in one request is POLICY_VIOLATION for every topic, before any work', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const dir = tb.b.broker.config.get('log.dirs')[0]!
  await tb.b.broker.createTopic('one', 1)
  await tb.b.broker.createTopic('two', 1)
  for (const topics of [[{ name: 'one', count: 2147483647 }], [{ name: 'one', count: 5001 }, { name: 'two', count: 5002 }]]) {
    const res = await grow(c, 3, topics)
    for (const x of topics) {
      assert.equal(res.get(x.name)!.errorCode, ErrorCode.POLICY_VIOLATION, res.get(x.name)!.errorMessage ?? '')
      assert.match(res.get(x.name)!.errorMessage!, /^Unable to perform excessively large batch operation\./)
    }
  }
  assert.equal((await grow(c, 3, [{ name: 'one', count: 10_002 }], true)).get('one')!.errorCode, ErrorCode.POLICY_VIOLATION, 'validateOnly too')
  assert.equal(tb.b.broker.metadata.topic('one')!.partitions.length, 1)
  assert.deepEqual(partitionDirs(dir, 'one'), ['one-0'])
  // Within the bounds the broker grows topics as before; past the broker's bound, POLICY_VIOLATION.
  assert.equal((await grow(c, 3, [{ name: 'one', count: 3 }])).get('one')!.errorCode, ErrorCode.NONE)
  tb.b.broker.replicas.hostedPartitionLimit = 5
  const full = (await grow(c, 3, [{ name: 'two', count: 3 }])).get('two')!
  assert.equal(full.errorCode, ErrorCode.POLICY_VIOLATION)
  assert.match(full.errorMessage!, /hosts 4 partitions; 2 more would pass Samsa's limit of 5 per broker/)
  assert.deepEqual(partitionDirs(dir, 'two'), ['two-0'])
})

test('CreatePartitions: internal topics keep their partition count (INVALID_REQUEST)', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  await createTopic(tb.b.broker.context, { name: '__consumer_offsets', partitions: 2, allowInternal: true })
  const r = (await grow(c, 3, [{ name: '__consumer_offsets', count: 3 }])).get('__consumer_offsets')!
  assert.equal(r.errorCode, ErrorCode.INVALID_REQUEST)
  assert.match(r.errorMessage!, /internal topic __consumer_offsets cannot be changed/)
  assert.equal(tb.b.broker.metadata.topic('__consumer_offsets')!.partitions.length, 2)
})

test('CreatePartitions with a full disk: KAFKA_STORAGE_ERROR, the topic keeps its partitions and no new dir remains, also after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-partitions-full-'))
  const logger = createLogger({ level: 'silent' })
  const open: Array<{ close(): unknown }> = []
  t.after(async () => {
    for (const x of open.reverse()) await x.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const b = await startBroker({ logDirs: [dir], logger })
  open.push(b)
  await b.broker.createTopic('t', 1)
  const c = await RawClient.connect(b.port, b.host)
  open.push(c)
  b.broker.faults.failNext('log.create', { error: errnoError('ENOSPC', 'no space left on device'), when: (d) => d.endsWith('t-3'), times: Infinity })
  const r = (await grow(c, 3, [{ name: 't', count: 5 }])).get('t')!
  assert.equal(r.errorCode, ErrorCode.KAFKA_STORAGE_ERROR)
  assert.match(r.errorMessage!, /ENOSPC/)
  assert.equal(b.broker.metadata.topic('t')!.partitions.length, 1)
  assert.deepEqual(partitionDirs(dir, 't'), ['t-0'])
  b.broker.faults.clear('log.create')
  b.broker.faults.failNext('metadata.write', { error: errnoError('ENOSPC', 'no space left on device') })
  assert.equal((await grow(c, 3, [{ name: 't', count: 5 }])).get('t')!.errorCode, ErrorCode.KAFKA_STORAGE_ERROR)
  assert.deepEqual(partitionDirs(dir, 't'), ['t-0'])
  // Space is back.
  assert.equal((await grow(c, 3, [{ name: 't', count: 2 }])).get('t')!.errorCode, ErrorCode.NONE)
  c.close()
  await b.close()
  const again = await startBroker({ logDirs: [dir], logger })
  open.push(again)
  assert.equal(again.broker.metadata.topic('t')!.partitions.length, 2)
  assert.deepEqual(partitionDirs(dir, 't'), ['t-0', 't-1'])
})
