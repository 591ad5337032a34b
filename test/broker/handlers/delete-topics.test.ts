/** DeleteTopics (key 20) against the embedded broker, over a raw socket, across the version range. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import type { DeleteTopicsResponseDeletableTopicResult } from '../../../src/protocol/generated/delete-topics.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { randomUuid, ZERO_UUID } from '../../../src/protocol/primitives/uuid.js'
import { startBroker } from '../../../src/index.js'
import { errnoError } from '../../../src/util/faults.js'
import { createLogger } from '../../../src/util/logger.js'
import { embeddedBroker, produceValues } from '../helpers.js'
import { RawClient } from '../../helpers/raw-client.js'

type Result = DeleteTopicsResponseDeletableTopicResult

async function deleteByName(c: RawClient, version: number, names: string[]): Promise<Result[]> {
  const body = version >= 6 ? { topics: names.map((name) => ({ name, topicId: ZERO_UUID })), timeoutMs: 5000 } : { topicNames: names, timeoutMs: 5000 }
  const r = await c.request(ApiKey.DeleteTopics, version, body)
  if (version >= 1) assert.equal(r.throttleTimeMs, 0)
  return r.responses
}

async function deleteV6(c: RawClient, topics: Array<{ name: string | null; topicId: string }>): Promise<Result[]> {
  return (await c.request(ApiKey.DeleteTopics, 6, { topics, timeoutMs: 5000 })).responses
}

for (const version of [0, 1, 4, 5, 6]) {
  test(`DeleteTopics v${version}: deletes by name (metadata, logs, files); unknown names are UNKNOWN_TOPIC_OR_PARTITION`, async (t) => {
    const tb = await embeddedBroker(t)
    const c = await tb.client()
    const a = await tb.b.broker.createTopic('a', 2)
    await tb.b.broker.createTopic('b', 1)
    const dir = tb.b.broker.config.get('log.dirs')
    assert.ok(existsSync(join(dir[0]!, 'a-0')))
    const res = await deleteByName(c, version, ['a', 'missing'])
    const byName = new Map(res.map((r) => [r.name, r]))
    const ok = byName.get('a')!
    assert.equal(ok.errorCode, ErrorCode.NONE)
    if (version >= 5) assert.equal(ok.errorMessage, null)
    if (version >= 6) assert.equal(ok.topicId, a.topicId)
    const missing = byName.get('missing')!
    assert.equal(missing.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    if (version >= 5) assert.ok(missing.errorMessage)
    assert.equal(tb.b.broker.metadata.topic('a'), undefined)
    assert.ok(tb.b.broker.metadata.topic('b'))
    assert.equal(tb.b.broker.replicas.logs.getLog({ topic: 'a', partition: 0 }), undefined)
    assert.ok(!readdirSync(dir[0]!).some((f) => f === 'a-0' || f === 'a-1'), 'partition dirs gone when the answer arrives')
  })
}

test('DeleteTopics v6: by topic id, and the errors Kafka gives for ids and mixed entries', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const byId = await tb.b.broker.createTopic('by-id', 1)
  const both = await tb.b.broker.createTopic('both', 1)
  const mixed = await tb.b.broker.createTopic('mixed', 1)
  await tb.b.broker.createTopic('dup', 1)
  const unknownId = randomUuid()
  const res = await deleteV6(c, [
    { name: null, topicId: byId.topicId },
    { name: null, topicId: unknownId },
    { name: null, topicId: ZERO_UUID },
    { name: 'both', topicId: both.topicId },
    { name: 'dup', topicId: ZERO_UUID },
    { name: 'dup', topicId: ZERO_UUID },
    { name: 'mixed', topicId: ZERO_UUID },
    { name: null, topicId: mixed.topicId },
  ])
  const find = (pred: (r: Result) => boolean) => res.filter(pred)
  const deleted = find((r) => r.topicId === byId.topicId)
  assert.equal(deleted.length, 1)
  assert.equal(deleted[0]!.errorCode, ErrorCode.NONE)
  assert.equal(deleted[0]!.name, 'by-id', 'a deletion by id answers the name')
  const unknown = find((r) => r.topicId === unknownId)[0]!
  assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_TOPIC_ID)
  assert.equal(unknown.name, null)
  assert.equal(find((r) => r.name === null && r.topicId === ZERO_UUID)[0]!.errorCode, ErrorCode.INVALID_REQUEST)
  assert.equal(find((r) => r.name === 'both')[0]!.errorCode, ErrorCode.INVALID_REQUEST)
  const dup = find((r) => r.name === 'dup')
  assert.equal(dup.length, 1)
  assert.equal(dup[0]!.errorCode, ErrorCode.INVALID_REQUEST)
  assert.equal(dup[0]!.errorMessage, 'Duplicate topic name.')
  for (const r of find((r) => r.name === 'mixed')) assert.equal(r.errorCode, ErrorCode.INVALID_REQUEST)
  const md = tb.b.broker.metadata
  assert.equal(md.topic('by-id'), undefined)
  assert.ok(md.topic('both') && md.topic('dup') && md.topic('mixed'), 'refused entries delete nothing')
})

for (const [version, code] of [[1, ErrorCode.INVALID_REQUEST], [3, ErrorCode.TOPIC_DELETION_DISABLED], [6, ErrorCode.TOPIC_DELETION_DISABLED]] as const) {
  test(`DeleteTopics v${version}: delete.topic.enable=false answers ${code === ErrorCode.INVALID_REQUEST ? 'INVALID_REQUEST' : 'TOPIC_DELETION_DISABLED'} for every topic`, async (t) => {
    const tb = await embeddedBroker(t, { 'delete.topic.enable': 'false' })
    const c = await tb.client()
    await tb.b.broker.createTopic('keep', 1)
    const res = await deleteByName(c, version, ['keep', 'missing'])
    assert.deepEqual(res.map((r) => [r.name, r.errorCode]), [['keep', code], ['missing', code]])
    assert.ok(tb.b.broker.metadata.topic('keep'))
  })
}

test('DeleteTopics: internal topics are refused (INVALID_REQUEST), by name and by id, and committed offsets survive a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-delete-internal-'))
  const logger = createLogger({ level: 'silent' })
  const open: Array<{ close(): Promise<void> | void }> = []
  t.after(async () => {
    for (const x of open.reverse()) await x.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const b = await startBroker({ logDirs: [dir], logger })
  open.push(b)
  await b.broker.createTopic('t', 1)
  const c = await RawClient.connect(b.port, b.host)
  open.push(c)
  const committed = await c.request(ApiKey.OffsetCommit, 8, {
    groupId: 'g',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }],
  })
  assert.equal(committed.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE)
  const offsets = b.broker.metadata.topic('__consumer_offsets')!
  for (const res of [await deleteByName(c, 5, ['__consumer_offsets']), await deleteV6(c, [{ name: null, topicId: offsets.topicId }])]) {
    assert.equal(res[0]!.errorCode, ErrorCode.INVALID_REQUEST)
    assert.match(res[0]!.errorMessage!, /__consumer_offsets is an internal topic and cannot be deleted/)
  }
  assert.ok(b.broker.metadata.topic('__consumer_offsets'))
  c.close()
  await b.close()

  const again = await startBroker({ logDirs: [dir], logger })
  open.push(again)
  const c2 = await RawClient.connect(again.port, again.host)
  open.push(c2)
  const r = await c2.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] }], requireStable: false })
  assert.equal(r.groups![0]!.topics[0]!.partitions[0]!.committedOffset, 42n)
})

test('DeleteTopics with a full disk: a failed metadata write answers KAFKA_STORAGE_ERROR and the topic keeps its data', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  await tb.b.broker.createTopic('kept', 1)
  await produceValues(c, 'kept', 0, ['a', 'b'])
  tb.b.broker.faults.failNext('metadata.write', { error: errnoError('ENOSPC', 'no space left on device') })
  const res = await deleteByName(c, 6, ['kept'])
  assert.equal(res[0]!.errorCode, ErrorCode.KAFKA_STORAGE_ERROR)
  assert.match(res[0]!.errorMessage!, /ENOSPC/)
  assert.ok(tb.b.broker.metadata.topic('kept'))
  assert.equal(tb.b.broker.replicas.logs.getLog({ topic: 'kept', partition: 0 })!.logEndOffset, 2)
  assert.equal((await deleteByName(c, 6, ['kept']))[0]!.errorCode, ErrorCode.NONE, 'space is back')
})

test('DeleteTopics: a deleted topic can be created again at once, with a new id and empty logs', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const old = await tb.b.broker.createTopic('again', 1)
  assert.equal((await deleteByName(c, 6, ['again']))[0]!.errorCode, ErrorCode.NONE)
  const created = await c.request(ApiKey.CreateTopics, 7, {
    topics: [{ name: 'again', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  })
  assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE)
  assert.notEqual(created.topics[0]!.topicId, old.topicId)
  const log = tb.b.broker.replicas.logs.getLog({ topic: 'again', partition: 0 })!
  assert.equal(log.topicId, created.topics[0]!.topicId)
  assert.equal(log.logEndOffset, 0)
})

test('DeleteTopics: a deletion survives a broker restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-delete-'))
  const logger = createLogger({ level: 'silent' })
  try {
    let b = await startBroker({ logDirs: [dir], logger })
    await b.broker.createTopic('gone', 2)
    await b.broker.createTopic('kept', 1)
    const c = await RawClient.connect(b.port, b.host)
    assert.equal((await deleteByName(c, 5, ['gone']))[0]!.errorCode, ErrorCode.NONE)
    c.close()
    await b.close()
    b = await startBroker({ logDirs: [dir], logger })
    try {
      assert.equal(b.broker.metadata.topic('gone'), undefined)
      assert.ok(b.broker.metadata.topic('kept'))
      assert.equal(b.broker.replicas.logs.getLog({ topic: 'gone', partition: 0 }), undefined)
      assert.ok(!existsSync(join(dir, 'gone-0')))
    } finally {
      await b.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
