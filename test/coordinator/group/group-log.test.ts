/** GroupLog against a real embedded broker (through its InternalTopic): creation on first use, appends, loading, and loading over what the broker's log cleaner left. */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker, type StartedBroker } from '../../../src/index.js'
import { createLogger } from '../../../src/util/logger.js'
import { GROUP_METADATA_TOPIC, GroupLog, coordinatorError, offsetsTopicSettings, type GroupLogOptions } from '../../../src/coordinator/group/group-log.js'
import { encodeOffsetCommitKey, groupMetadataRecord, offsetCommitRecord, type GroupLogEntry, type StoredOffset } from '../../../src/coordinator/group/group-records.js'
import { groupCoordinatorConfig, internalTopic } from '../../../src/broker/coordinator-partitions.js'
import type { Broker } from '../../../src/broker/broker.js'
import type { GroupMetadataValue } from '../../../src/protocol/generated/coordinator/group/group-metadata.js'
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js'
import { createBatch, encodeBatchSync } from '../../../src/protocol/records/batch.js'
import { decodeBatches } from '../../../src/protocol/records/record-set.js'
import { ControlRecordType, encodeControlKey, encodeEndTxnMarker } from '../../../src/protocol/records/control.js'

interface Started {
  b: StartedBroker
  dir: string
  warnings: () => Array<{ msg: string; [k: string]: unknown }>
}

async function broker(t: TestContext, config: Record<string, string> = {}, dir = mkdtempSync(join(tmpdir(), 'samsa-group-log-'))): Promise<Started> {
  const lines: string[] = []
  const logger = createLogger({ level: 'warn', write: (l) => lines.push(l) })
  const b = await startBroker({ logDirs: [dir], config, logger })
  t.after(async () => {
    await b.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { b, dir, warnings: () => lines.map((l) => JSON.parse(l)) }
}

function logOf(broker: Broker, opts: Partial<GroupLogOptions> = {}): GroupLog {
  return new GroupLog({
    topic: internalTopic(broker.context, GROUP_METADATA_TOPIC),
    settings: offsetsTopicSettings(groupCoordinatorConfig(broker.config)),
    logger: broker.logger,
    ...opts,
  })
}

function groupLog(s: Started, opts: Partial<GroupLogOptions> = {}): GroupLog {
  return logOf(s.b.broker, opts)
}

/** Writes to the group's partition, creating the topic on first use, as the coordinator does. */
async function append(log: GroupLog, groupId: string, entries: GroupLogEntry[]): Promise<{ firstOffset: number; lastOffset: number }> {
  await log.ensureTopic()
  return log.append(log.partitionFor(groupId), entries)
}

/** Loads every partition, in partition order. */
async function loadAll(log: GroupLog, onOffset: Parameters<GroupLog['load']>[1], onGroup: Parameters<GroupLog['load']>[2]): Promise<void> {
  for (let p = 0; log.exists() && p < log.numPartitions; p++) await log.load(p, onOffset, onGroup)
}

const offset = (o: number, ts = 1000): StoredOffset => ({ offset: BigInt(o), leaderEpoch: -1, metadata: '', commitTimestamp: BigInt(ts) })

type Replayed = Array<[string, string, StoredOffset | GroupMetadataValue | null, number?]>

/** Replays the topic with a fresh GroupLog; returns the handler calls in order. */
async function replay(s: Started): Promise<Replayed> {
  const calls: Replayed = []
  await loadAll(
    groupLog(s),
    (k, v, o) => calls.push(['offset', `${k.group}/${k.topic}/${k.partition}`, v, o]),
    (g, v) => calls.push(['group', g, v]),
  )
  return calls
}

/** The latest value per key after a replay (what a coordinator would end up holding). */
function finalState(calls: Replayed): Map<string, unknown> {
  const m = new Map<string, unknown>()
  for (const [kind, key, value] of calls) {
    if (value === null) m.delete(`${kind}:${key}`)
    else m.set(`${kind}:${key}`, value)
  }
  return m
}

test('__consumer_offsets is created on first use with Kafka settings, not at broker start', async (t) => {
  const s = await broker(t)
  const md = s.b.broker.metadata
  assert.equal(md.topic(GROUP_METADATA_TOPIC), undefined, 'a broker nobody uses for groups has no __consumer_offsets')
  const log = groupLog(s)
  assert.equal(log.numPartitions, 50)
  assert.equal(log.partitionFor('my-group'), 12)
  const r = await append(log, 'my-group', [offsetCommitRecord('my-group', 't', 0, offset(5))])
  assert.deepEqual(r, { firstOffset: 0, lastOffset: 0 })
  const topic = md.topic(GROUP_METADATA_TOPIC)!
  assert.equal(topic.internal, true)
  assert.equal(topic.partitions.length, 50)
  assert.deepEqual(topic.partitions[0]!.replicas, [0], 'offsets.topic.replication.factor (3) is capped at the one live broker')
  assert.deepEqual(topic.configs, { 'cleanup.policy': 'compact', 'segment.bytes': '104857600', 'compression.type': 'producer' })
  const plog = s.b.broker.replicas.logs.getLog({ topic: GROUP_METADATA_TOPIC, partition: 12 })!
  assert.equal(plog.config.retentionMs, -1, 'a compact-only topic is never cut by time retention')
  assert.equal(plog.config.retentionBytes, -1)
  assert.equal(plog.logEndOffset, 1)
  const [batch] = await decodeBatches(await plog.readRecords({ fromOffset: 0, maxBytes: 1 << 20 }))
  assert.equal(batch!.compression, 0)
  assert.equal(batch!.producerId, -1n)
  assert.equal(batch!.isTransactional, false)
  assert.deepEqual(batch!.records[0]!.key, encodeOffsetCommitKey('my-group', 't', 0))
  for (const p of topic.partitions) if (p.partition !== 12) assert.equal(s.b.broker.replicas.logs.getLog({ topic: GROUP_METADATA_TOPIC, partition: p.partition })!.logEndOffset, 0)
})

test('the partition count follows offsets.topic.num.partitions, then the existing topic', async (t) => {
  const s = await broker(t, { 'offsets.topic.num.partitions': '3' })
  const log = groupLog(s)
  await Promise.all([log.ensureTopic(), log.ensureTopic(), groupLog(s).ensureTopic()])
  assert.equal(s.b.broker.metadata.topic(GROUP_METADATA_TOPIC)!.partitions.length, 3)
  assert.equal(log.partitionFor('hello'), 99162322 % 3)
  await s.b.broker.metadata.createPartitions(GROUP_METADATA_TOPIC, 4, [[0]])
  assert.equal(log.numPartitions, 4, 'the topic as it is, as Kafka reads it at start-up')
})

test('appends to a partition land and resolve in call order', async (t) => {
  const s = await broker(t, { 'offsets.topic.num.partitions': '1' })
  const log = groupLog(s)
  const resolved: number[] = []
  await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      append(log, `g${i % 3}`, [offsetCommitRecord(`g${i % 3}`, 't', 0, offset(i)), offsetCommitRecord(`g${i % 3}`, 't', 1, offset(i))]).then((r) => {
        assert.equal(r.firstOffset, i * 2, `append ${i} got offsets in call order`)
        resolved.push(i)
      }),
    ),
  )
  assert.deepEqual(resolved, Array.from({ length: 40 }, (_, i) => i))
})

test('load replays in log order; skips unknown record types, aborted and unfinished transactions', async (t) => {
  const s = await broker(t, { 'offsets.topic.num.partitions': '2' })
  const log = groupLog(s)
  const meta: GroupMetadataValue = { protocolType: 'consumer', generation: 1, protocol: 'range', leader: null, currentStateTimestamp: 5n, members: [] }
  await append(log, 'a', [groupMetadataRecord('a', meta)])
  await append(log, 'a', [offsetCommitRecord('a', 't', 0, offset(1)), offsetCommitRecord('a', 't', 1, offset(2))])
  await append(log, 'a', [offsetCommitRecord('a', 't', 0, offset(3))])
  await append(log, 'b', [offsetCommitRecord('b', 'u', 0, offset(9))])
  await append(log, 'b', [offsetCommitRecord('b', 'u', 0, null)])
  // Records Samsa never writes, as a Kafka broker would have: a KIP-848 record, and
  // transactional offset commits (committed, aborted, and still open).
  const part = log.partitionFor('a')
  const { log: plog, partition: hosted } = await s.b.broker.replicas.leaderLog(GROUP_METADATA_TOPIC, part)
  const raw = async (init: Parameters<typeof createBatch>[0]) => {
    await plog.appendAsLeader(encodeBatchSync(createBatch(init)), { leaderEpoch: hosted.leaderEpoch, origin: { kind: 'coordinator' } })
    hosted.maybeIncrementHighWatermark()
  }
  const rec = (key: Buffer, value: Buffer | null) => ({ timestampDelta: 0, offsetDelta: 0, key, value, headers: [] })
  const marker = (type: number) => rec(encodeControlKey({ version: 0, type }), encodeEndTxnMarker({ version: 0, coordinatorEpoch: 0 }))
  const consumerGroupKey = Buffer.from([0, 3, 0, 1, 0x61])
  await raw({ baseTimestamp: 1n, records: [rec(consumerGroupKey, Buffer.from([0, 0, 0, 0, 0, 1]))] })
  const txn = (pid: bigint) => ({ baseTimestamp: 1n, isTransactional: true, producerId: pid, producerEpoch: 0, baseSequence: 0 })
  await raw({ ...txn(7n), records: [rec(offsetCommitRecord('a', 'txn', 0, offset(70)).key, offsetCommitRecord('a', 'txn', 0, offset(70)).value)] })
  await raw({ ...txn(8n), records: [rec(offsetCommitRecord('a', 'txn', 1, offset(80)).key, offsetCommitRecord('a', 'txn', 1, offset(80)).value)] })
  await raw({ ...txn(9n), records: [rec(offsetCommitRecord('a', 'txn', 2, offset(90)).key, offsetCommitRecord('a', 'txn', 2, offset(90)).value)] })
  await raw({ ...txn(8n), isControl: true, records: [marker(ControlRecordType.Abort)] })
  await raw({ ...txn(7n), isControl: true, records: [marker(ControlRecordType.Commit)] })
  await append(log, 'a', [offsetCommitRecord('a', 't', 1, offset(4))])

  const calls = await replay(s)
  const forA = calls.filter(([, key]) => key.startsWith('a'))
  assert.deepEqual(
    forA.map(([kind, key, v]) => [kind, key, v === null ? null : 'offset' in v ? Number(v.offset) : 'meta']),
    [
      ['group', 'a', 'meta'],
      ['offset', 'a/t/0', 1],
      ['offset', 'a/t/1', 2],
      ['offset', 'a/t/0', 3],
      ['offset', 'a/txn/0', 70],
      ['offset', 'a/t/1', 4],
    ],
  )
  assert.deepEqual(forA.filter(([k]) => k === 'offset').map(([, , , o]) => o), [1, 2, 3, 5, 10], 'each commit with its record offset')
  const forB = calls.filter(([, key]) => key.startsWith('b'))
  assert.deepEqual(forB.map(([, key, v]) => [key, v === null ? null : Number((v as StoredOffset).offset)]), [['b/u/0', 9], ['b/u/0', null]])
  const w = s.warnings()
  assert.ok(w.some((l) => /type this broker does not know/.test(l.msg) && l.recordType === 3 && l.records === 1), JSON.stringify(w))
  assert.ok(w.some((l) => /without a commit or abort marker/.test(l.msg) && l.records === 1), JSON.stringify(w))
})

test('a restarted broker replays what was written; a broker never used for groups stays without the topic', async (t) => {
  // broker() below removes the directory when the test ends.
  const dir = mkdtempSync(join(tmpdir(), 'samsa-group-log-'))
  {
    const b = await startBroker({ logDirs: [dir], logger: createLogger({ level: 'silent' }) })
    await b.close()
    assert.ok(!readdirSync(dir).some((f) => f.startsWith(GROUP_METADATA_TOPIC)), 'no __consumer_offsets directories')
  }
  {
    const b = await startBroker({ logDirs: [dir], config: { 'offsets.topic.num.partitions': '4' }, logger: createLogger({ level: 'silent' }) })
    const log = logOf(b.broker)
    for (let i = 0; i < 10; i++) await append(log, `g${i}`, [offsetCommitRecord(`g${i}`, 't', i, offset(i * 10))])
    await append(log, 'g3', [offsetCommitRecord('g3', 't', 3, null)])
    await log.close()
    await b.close()
  }
  const s = await broker(t, {}, dir)
  assert.equal(s.b.broker.metadata.topic(GROUP_METADATA_TOPIC)!.partitions.length, 4)
  const state = finalState(await replay(s))
  assert.equal(state.size, 9)
  assert.equal((state.get('offset:g7/t/7') as StoredOffset).offset, 70n)
  assert.equal(state.has('offset:g3/t/3'), false)
  assert.ok(existsSync(join(dir, `${GROUP_METADATA_TOPIC}-0`)))
})

/** Rolls __consumer_offsets-0 and runs the broker's log cleaner once; the partition's result. */
async function clean(s: Started) {
  const { log: plog } = await s.b.broker.replicas.leaderLog(GROUP_METADATA_TOPIC, 0)
  await plog.roll()
  await plog.flush()
  return (await s.b.broker.replicas.logs.runCleaner()).find((c) => c.topic === GROUP_METADATA_TOPIC)?.result
}

const CLEANED = { 'offsets.topic.num.partitions': '1', 'log.segment.delete.delay.ms': '0', 'log.cleaner.backoff.ms': '3600000' }

test("the broker's log cleaner compacts __consumer_offsets: each key's latest record stays at its offset, and a load replays to the same state", async (t) => {
  const s = await broker(t, CLEANED)
  const log = groupLog(s)
  await append(log, 'g', [groupMetadataRecord('g', { protocolType: 'consumer', generation: 1, protocol: 'range', leader: null, currentStateTimestamp: 1n, members: [] })]) // 0
  await append(log, 'old', [offsetCommitRecord('old', 't', 0, offset(1))]) // 1
  await append(log, 'old', [offsetCommitRecord('old', 't', 0, null)]) // 2
  for (let i = 0; i < 200; i++) await append(log, 'g', [offsetCommitRecord('g', 't', i % 4, offset(i))]) // 3..202
  const before = await replay(s)
  const r = await clean(s)
  assert.equal(r?.recordsRemoved, 197, 'superseded commits and the commit the tombstone deletes')
  const after = await replay(s)
  assert.deepEqual(finalState(after), finalState(before))
  // The tombstone stays on this first pass (delete.retention.ms); the kept records keep their offsets.
  const keys = after.map(([kind, key, v, o]) => `${kind}:${key}${v === null ? ' (tombstone)' : ''}${o === undefined ? '' : `@${o}`}`)
  assert.deepEqual(keys, ['group:g', 'offset:old/t/0 (tombstone)@2', 'offset:g/t/0@199', 'offset:g/t/1@200', 'offset:g/t/2@201', 'offset:g/t/3@202'])
  const { log: plog } = await s.b.broker.replicas.leaderLog(GROUP_METADATA_TOPIC, 0)
  assert.equal(plog.logStartOffset, 0)
  assert.deepEqual(await append(log, 'g', [offsetCommitRecord('g', 't', 0, offset(999))]), { firstOffset: 203, lastOffset: 203 })
  assert.equal((finalState(await replay(s)).get('offset:g/t/0') as StoredOffset).offset, 999n, 'appends go on after cleaning')
})

test('a cleaned partition of __consumer_offsets replays the same after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-group-log-'))
  let before: Replayed
  {
    const b = await startBroker({ logDirs: [dir], config: CLEANED, logger: createLogger({ level: 'silent' }) })
    const log = logOf(b.broker)
    for (let i = 0; i < 30; i++) await append(log, `g${i % 3}`, [offsetCommitRecord(`g${i % 3}`, 't', i % 2, offset(i))])
    before = await new Promise<Replayed>((resolve) => {
      const calls: Replayed = []
      void log.load(0, (k, v, o) => calls.push(['offset', `${k.group}/${k.topic}/${k.partition}`, v, o]), () => {}).then(() => resolve(calls))
    })
    const { log: plog } = await b.broker.replicas.leaderLog(GROUP_METADATA_TOPIC, 0)
    await plog.roll()
    await plog.flush()
    const cleaned = await b.broker.replicas.logs.runCleaner()
    assert.equal(cleaned.find((c) => c.topic === GROUP_METADATA_TOPIC)?.result.recordsRemoved, 24)
    await append(log, 'g0', [offsetCommitRecord('g0', 't', 0, offset(100))])
    await log.close()
    await b.close()
  }
  const s = await broker(t, CLEANED, dir)
  const after = await replay(s)
  const expected = finalState(before)
  expected.set('offset:g0/t/0', offset(100))
  assert.deepEqual(finalState(after), expected)
  assert.deepEqual(after.map(([, , , o]) => o), [24, 25, 26, 27, 28, 29, 30], 'at their original offsets')
})

test('log.cleaner.enable=false: __consumer_offsets is not compacted at all, as in Kafka', async (t) => {
  const s = await broker(t, { ...CLEANED, 'log.cleaner.enable': 'false' })
  const log = groupLog(s)
  for (let i = 0; i < 60; i++) await append(log, 'g', [offsetCommitRecord('g', 't', i % 2, offset(i))])
  assert.equal(await clean(s), undefined)
  const { log: plog } = await s.b.broker.replicas.leaderLog(GROUP_METADATA_TOPIC, 0)
  assert.deepEqual([plog.logStartOffset, plog.logEndOffset], [0, 60])
  assert.equal((await replay(s)).length, 60, 'every commit is still in the log')
})

test('write errors map as Kafka coordinators map them', async (t) => {
  assert.equal(coordinatorError(new KafkaError('NOT_LEADER_OR_FOLLOWER')).code, ErrorCode.NOT_COORDINATOR)
  assert.equal(coordinatorError(new KafkaError('KAFKA_STORAGE_ERROR', 'disk')).code, ErrorCode.NOT_COORDINATOR)
  assert.equal(coordinatorError(new KafkaError('UNKNOWN_TOPIC_OR_PARTITION')).code, ErrorCode.COORDINATOR_NOT_AVAILABLE)
  assert.equal(coordinatorError(new KafkaError('RECORD_LIST_TOO_LARGE', 'big')).code, ErrorCode.UNKNOWN_SERVER_ERROR)
  assert.equal(coordinatorError(new KafkaError('ILLEGAL_GENERATION')).code, ErrorCode.ILLEGAL_GENERATION)
  assert.equal(coordinatorError(new Error('boom')).code, ErrorCode.UNKNOWN_SERVER_ERROR)
  const s = await broker(t, { 'offsets.topic.num.partitions': '1' })
  const log = groupLog(s)
  await log.ensureTopic()
  const { log: plog } = await s.b.broker.replicas.leaderLog(GROUP_METADATA_TOPIC, 0)
  // A closed log is a storage error (LOG_CLOSED) the broker reports as NOT_LEADER_OR_FOLLOWER.
  await plog.close()
  await assert.rejects(log.append(0, [offsetCommitRecord('g', 't', 0, offset(1))]), (e: KafkaError) => e.code === ErrorCode.NOT_COORDINATOR)
  await log.close()
  await assert.rejects(log.append(0, [offsetCommitRecord('g', 't', 0, offset(1))]), (e: KafkaError) => e.code === ErrorCode.NOT_COORDINATOR)
})
