/**
 * Replication between real brokers (three in this process, on one shared metadata store: see
 * test/helpers/shared-metadata.ts): followers copy the leader's log byte for byte, acks=-1
 * completes once the ISR has the records, a follower cuts the tail a dead leader wrote under
 * an old epoch before it copies the new leader's log, and the leader drops a silent follower
 * from the ISR after replica.lag.time.max.ms and takes it back once it has caught up. Leader
 * changes are made through alterPartition, as the controller makes them.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Broker } from '../../src/broker/broker.js'
import type { AppendOutcome } from '../../src/broker/replica-append.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { createBatch, encodeBatchSync } from '../../src/protocol/records/index.js'
import { ManualTime } from '../../src/util/time.js'
import { sharedCluster, type SharedCluster } from '../helpers/shared-metadata.js'
import { until } from './helpers.js'

const FAST = { 'replica.fetch.wait.max.ms': '20', 'replica.fetch.backoff.ms': '20' }

function batch(n: number, tag: string): Buffer {
  return encodeBatchSync(
    createBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: n }, (_, i) => ({ timestampDelta: 0, offsetDelta: i, key: null, value: Buffer.from(`${tag}-${i}`), headers: [] })) }),
  )
}

async function produce(b: Broker, topic: string, partition: number, acks: -1 | 1, n: number, tag: string, timeoutMs = 10_000): Promise<AppendOutcome> {
  const [r] = await b.replicas.appendRecords({
    entries: [{ topic, partition, records: batch(n, tag) }],
    acks,
    timeoutMs,
    origin: { kind: 'client', checks: { singleBatch: true, allowZstd: true } },
    internalTopicsAllowed: false,
  })
  return r!
}

function logOf(b: Broker, topic: string, partition: number) {
  const log = b.replicas.logs.getLog({ topic, partition })
  assert.ok(log, `broker ${b.nodeId} has a log of ${topic}-${partition}`)
  return log
}

async function bytesOf(b: Broker, topic: string, partition: number): Promise<Buffer> {
  const log = logOf(b, topic, partition)
  return log.readRecords({ fromOffset: log.logStartOffset, maxBytes: 64 << 20 })
}

async function createTopic(c: SharedCluster, name: string, assignments: number[][], configs: Record<string, string> = {}): Promise<void> {
  await c.store.createTopic({ name, assignments, configs })
  for (const b of c.brokers.values()) await b.replicas.settled()
}

function state(c: SharedCluster, topic: string, partition = 0) {
  return c.store.topic(topic)!.partitions[partition]!
}

test('followers copy the leader byte for byte; acks=-1 answers once the ISR has the records; followers learn the high watermark', async (t) => {
  const c = await sharedCluster(t, FAST)
  for (const id of [0, 1, 2]) await c.start(id)
  await createTopic(c, 'copy', [[0, 1, 2], [1, 2, 0]], { 'min.insync.replicas': '2' })
  const b0 = c.brokers.get(0)!
  const b1 = c.brokers.get(1)!
  for (let i = 0; i < 3; i++) {
    const r = await produce(b0, 'copy', 0, -1, 10, `a${i}`)
    assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '')
    assert.equal(r.baseOffset, i * 10)
  }
  // acks=-1 answered: the high watermark on the leader has passed the last batch.
  assert.equal(logOf(b0, 'copy', 0).highWatermark, 30)
  assert.equal((await produce(b1, 'copy', 1, -1, 7, 'b')).errorCode, ErrorCode.NONE)
  const expected0 = await bytesOf(b0, 'copy', 0)
  const expected1 = await bytesOf(b1, 'copy', 1)
  for (const b of c.brokers.values()) {
    await until(() => logOf(b, 'copy', 0).highWatermark === 30 && logOf(b, 'copy', 1).highWatermark === 7, `broker ${b.nodeId} to learn both high watermarks`)
    assert.deepEqual(await bytesOf(b, 'copy', 0), expected0, `broker ${b.nodeId}: partition 0 as the leader wrote it`)
    assert.deepEqual(await bytesOf(b, 'copy', 1), expected1, `broker ${b.nodeId}: partition 1 as the leader wrote it`)
  }
  // A follower refuses client writes and reads.
  assert.equal((await produce(b1, 'copy', 0, 1, 1, 'x')).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER)
  assert.equal(b1.replicas.fetchers.following().some((f) => f.topic === 'copy' && f.partition === 0 && f.leaderId === 0), true)
})

test('a follower cuts the tail a dead leader wrote under an old epoch, then copies the new leader; the new leader takes it back into the ISR', async (t) => {
  const c = await sharedCluster(t, FAST)
  for (const id of [0, 1, 2]) await c.start(id)
  await createTopic(c, 'diverge', [[0, 1, 2]])
  const b0 = c.brokers.get(0)!
  assert.equal((await produce(b0, 'diverge', 0, -1, 10, 'acked')).errorCode, ErrorCode.NONE)
  // The followers go; the leader takes 5 more records with acks=1 that nobody copies.
  await c.stop(1)
  await c.stop(2)
  const lost = await produce(b0, 'diverge', 0, 1, 5, 'unreplicated')
  assert.equal(lost.errorCode, ErrorCode.NONE)
  assert.equal(logOf(b0, 'diverge', 0).logEndOffset, 15)
  assert.equal(logOf(b0, 'diverge', 0).highWatermark, 10, 'the ISR never had them')
  await c.stop(0)
  // The controller's move: broker 1 leads at epoch 1 with the ISR it has.
  const b1 = await c.start(1)
  const b2 = await c.start(2)
  const before = state(c, 'diverge')
  await c.store.alterPartition({ topic: 'diverge', partition: 0, partitionEpoch: before.partitionEpoch, leader: 1, leaderEpoch: before.leaderEpoch + 1, isr: [1, 2] })
  await until(() => b1.replicas.getPartition('diverge', 0)?.role === 'leader', 'broker 1 to lead')
  const fresh = await produce(b1, 'diverge', 0, -1, 3, 'new-leader')
  assert.equal(fresh.errorCode, ErrorCode.NONE, fresh.errorMessage ?? '')
  assert.equal(fresh.baseOffset, 10, 'the new leader continues after what the ISR had')
  // Where epoch 0 ends on the new leader: at 10, where its epoch 1 began.
  assert.deepEqual(await b1.replicas.lastOffsetForLeaderEpoch({ topic: 'diverge', partition: 0, leaderEpoch: 0, replicaId: 0 }), { leaderEpoch: 0, endOffset: 10 })
  // The old leader returns as a follower: it truncates its 5 unreplicated records and copies.
  const back = await c.start(0)
  await until(() => logOf(back, 'diverge', 0).logEndOffset === 13 && logOf(back, 'diverge', 0).highWatermark === 13, 'the old leader to catch up')
  assert.deepEqual(await bytesOf(back, 'diverge', 0), await bytesOf(b1, 'diverge', 0), 'no replica disagrees with the leader')
  assert.deepEqual(await bytesOf(b2, 'diverge', 0), await bytesOf(b1, 'diverge', 0))
  assert.ok(c.logs(0).every((l) => l.level !== 'error'), JSON.stringify(c.logs(0)))
  await until(() => state(c, 'diverge').isr.includes(0), 'the leader to take broker 0 back into the ISR')
  assert.deepEqual([...state(c, 'diverge').isr].sort(), [0, 1, 2])
})

test('a follower that stops fetching leaves the ISR after replica.lag.time.max.ms; min.insync.replicas then refuses acks=-1; it rejoins once caught up', async (t) => {
  const c = await sharedCluster(t, { ...FAST, 'replica.lag.time.max.ms': '1000' })
  const time = new ManualTime(Date.now())
  const b0 = await c.start(0, { time })
  await c.start(1)
  await c.start(2)
  await createTopic(c, 'lag', [[0, 1, 2]], { 'min.insync.replicas': '2' })
  assert.equal((await produce(b0, 'lag', 0, -1, 5, 'a')).errorCode, ErrorCode.NONE)
  const leader = b0.replicas.getPartition('lag', 0)!
  // Broker 2 stops; broker 1 keeps fetching (and so stays caught up at the leader's time).
  await c.stop(2)
  assert.equal((await produce(b0, 'lag', 0, 1, 5, 'b')).errorCode, ErrorCode.NONE)
  time.advance(1500)
  await until(() => leader.follower(1)!.lastCaughtUpTimeMs === time.now(), 'broker 1 to fetch after the clock moved')
  b0.replicas.checkIsrs()
  await until(() => leader.isr.length === 2, 'the ISR to shrink')
  assert.deepEqual([...state(c, 'lag').isr].sort(), [0, 1])
  assert.equal((await produce(b0, 'lag', 0, -1, 1, 'c')).errorCode, ErrorCode.NONE, 'two in sync: enough')
  // Broker 1 goes too: the ISR becomes the leader alone; acks=-1 is refused before writing.
  await c.stop(1)
  time.advance(1500)
  b0.replicas.checkIsrs()
  await until(() => leader.isr.length === 1, 'the leader to take the ISR of itself alone')
  assert.deepEqual(state(c, 'lag').isr, [0])
  const end = logOf(b0, 'lag', 0).logEndOffset
  const refused = await produce(b0, 'lag', 0, -1, 1, 'd')
  assert.equal(refused.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS)
  assert.equal(logOf(b0, 'lag', 0).logEndOffset, end, 'nothing was written')
  assert.equal((await produce(b0, 'lag', 0, 1, 1, 'e')).errorCode, ErrorCode.NONE, 'acks=1 still works')
  // Broker 2 returns, catches up and is taken back.
  const b2 = await c.start(2)
  await until(() => leader.isr.includes(2), 'broker 2 to rejoin the ISR')
  assert.deepEqual([...state(c, 'lag').isr].sort(), [0, 2])
  assert.equal(logOf(b2, 'lag', 0).logEndOffset, logOf(b0, 'lag', 0).logEndOffset)
  assert.equal((await produce(b0, 'lag', 0, -1, 1, 'f')).errorCode, ErrorCode.NONE)
})

test('a clean stop hands each leadership to an in-sync follower first (controlled shutdown); the broker returns as a follower', async (t) => {
  const c = await sharedCluster(t, FAST)
  for (const id of [0, 1, 2]) await c.start(id)
  await createTopic(c, 'handover', [[0, 1, 2], [0, 2, 1], [1, 2, 0]])
  const b0 = c.brokers.get(0)!
  for (const p of [0, 1]) assert.equal((await produce(b0, 'handover', p, -1, 4, `p${p}`)).errorCode, ErrorCode.NONE)
  await c.stop(0)
  assert.deepEqual(
    [0, 1, 2].map((p) => [state(c, 'handover', p).leader, state(c, 'handover', p).leaderEpoch, [...state(c, 'handover', p).isr].sort()]),
    [
      [1, 1, [1, 2]],
      [2, 1, [1, 2]],
      [1, 0, [0, 1, 2]],
    ],
    'partitions 0 and 1 moved to the next in-sync replica in a new epoch without broker 0; partition 2 was not its to move',
  )
  const b1 = c.brokers.get(1)!
  const b2 = c.brokers.get(2)!
  await until(() => b1.replicas.getPartition('handover', 0)!.role === 'leader' && b2.replicas.getPartition('handover', 1)!.role === 'leader', 'the new leaders to take over')
  const next = await produce(b1, 'handover', 0, -1, 1, 'after')
  assert.equal(next.errorCode, ErrorCode.NONE, next.errorMessage ?? '')
  assert.equal(next.baseOffset, 4, 'nothing acknowledged was lost')
  const back = await c.start(0)
  await until(() => state(c, 'handover', 0).isr.includes(0) && logOf(back, 'handover', 0).logEndOffset === 5, 'broker 0 to catch up and rejoin the ISR')
  assert.equal(back.replicas.getPartition('handover', 0)!.role, 'follower')
})

test('controlled.shutdown.enable=false leaves leaderships where they are', async (t) => {
  const c = await sharedCluster(t, { ...FAST, 'controlled.shutdown.enable': 'false' })
  for (const id of [0, 1]) await c.start(id)
  await createTopic(c, 'stay', [[0, 1]])
  await c.stop(0)
  assert.deepEqual([state(c, 'stay').leader, state(c, 'stay').leaderEpoch], [0, 0])
})
