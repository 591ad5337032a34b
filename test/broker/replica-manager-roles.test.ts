/**
 * The replica manager follows metadata: a partition's leader, epochs and ISR change only
 * through the store's compare-and-swap (alterPartition), and what appendRecords and
 * fetchMessages answer follows the role that gives this broker. Other brokers are registered
 * in the local store and play followers by fetching with their replica ids; time is manual, so
 * an acks=-1 timeout needs no waiting.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Broker } from '../../src/broker/broker.js'
import { loadBrokerConfig } from '../../src/broker/config.js'
import type { AppendOutcome } from '../../src/broker/replica-append.js'
import { createTopic } from '../../src/broker/topic-admin.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { createBatch, encodeBatchSync } from '../../src/protocol/records/index.js'
import { createLogger } from '../../src/util/logger.js'
import { ManualTime } from '../../src/util/time.js'
import { until } from './helpers.js'

async function broker(t: TestContext, topicConfigs: Record<string, string> = {}): Promise<{ b: Broker; time: ManualTime; topic: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-roles-'))
  const time = new ManualTime(Date.now())
  const b = new Broker({ config: loadBrokerConfig({ overrides: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir } }), logger: createLogger({ level: 'error' }), time })
  await b.start()
  t.after(async () => {
    await b.close()
    rmSync(dir, { recursive: true, force: true })
  })
  for (const nodeId of [1, 2]) await b.metadata.registerBroker({ nodeId, host: '127.0.0.1', port: 1, rack: null })
  const topic = 'roles'
  await createTopic(b.context, { name: topic, assignments: [[0, 1, 2]], configs: topicConfigs })
  return { b, time, topic }
}

function batch(n: number): Buffer {
  return encodeBatchSync(createBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: n }, (_, i) => ({ timestampDelta: 0, offsetDelta: i, key: Buffer.from('k'), value: Buffer.from(`v${i}`), headers: [] })) }))
}

function produce(b: Broker, topic: string, acks: -1 | 1, n = 1, timeoutMs = 1000): Promise<AppendOutcome> {
  return b.replicas
    .appendRecords({ entries: [{ topic, partition: 0, records: batch(n) }], acks, timeoutMs, origin: { kind: 'client', checks: { singleBatch: true, allowZstd: true } }, internalTopicsAllowed: false })
    .then((r) => r[0]!)
}

async function fetch(b: Broker, topic: string, opts: { replicaId?: number; offset?: number; epoch?: number } = {}) {
  const [r] = await b.replicas.fetchMessages({
    replicaId: opts.replicaId ?? -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolation: 'read_uncommitted',
    partitions: [{ topic, partition: 0, fetchOffset: opts.offset ?? 0, maxBytes: 1 << 20, currentLeaderEpoch: opts.epoch ?? -1 }],
    signal: new AbortController().signal,
  })
  return r!
}

/** Whether `p` has settled, without waiting for it. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false
  void p.then(() => (done = true))
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
  return done
}

test('leader, then follower, then leader again through metadata changes alone: what produce and fetch answer in each role', async (t) => {
  const { b, topic } = await broker(t)
  const store = b.metadata
  const state = () => store.topic(topic)!.partitions[0]!
  const hosted = () => b.replicas.getPartition(topic, 0)!
  // Leader at epoch 0 with an ISR of three; the followers fetch so the high watermark moves.
  assert.deepEqual([hosted().role, hosted().leaderEpoch], ['leader', 0])
  const first = produce(b, topic, 1)
  assert.equal((await first).errorCode, ErrorCode.NONE)
  await fetch(b, topic, { replicaId: 1, offset: 1 })
  await fetch(b, topic, { replicaId: 2, offset: 1 })
  assert.equal((await fetch(b, topic, { epoch: 0 })).records.length > 0, true)

  // Broker 1 is elected (as a controller would): this broker follows at epoch 1.
  await store.alterPartition({ topic, partition: 0, partitionEpoch: state().partitionEpoch, leader: 1, isr: [1, 2] })
  assert.deepEqual([hosted().role, hosted().leaderEpoch, hosted().leaderId], ['follower', 1, 1])
  const refused = await produce(b, topic, 1)
  assert.equal(refused.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER)
  assert.match(refused.errorMessage!, /broker 1 leads it/)
  assert.equal((await fetch(b, topic, { epoch: 0 })).errorCode, ErrorCode.FENCED_LEADER_EPOCH, 'a client still on epoch 0 is fenced')
  assert.equal((await fetch(b, topic, { epoch: 1 })).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER)
  assert.equal((await fetch(b, topic, { epoch: 2 })).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH)
  assert.equal((await fetch(b, topic)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER)
  await assert.rejects(b.replicas.listOffset({ topic, partition: 0, timestamp: -1n, replicaId: -1, allowMaxTimestamp: true }), /not the leader/)

  // Back to this broker at epoch 2.
  await store.alterPartition({ topic, partition: 0, partitionEpoch: state().partitionEpoch, leader: 0, isr: [0, 1, 2] })
  assert.deepEqual([hosted().role, hosted().leaderEpoch], ['leader', 2])
  assert.equal((await fetch(b, topic, { epoch: 1 })).errorCode, ErrorCode.FENCED_LEADER_EPOCH)
  const again = produce(b, topic, 1)
  assert.deepEqual([(await again).errorCode, (await again).baseOffset], [ErrorCode.NONE, 1])
  const read = await fetch(b, topic, { epoch: 2 })
  assert.equal(read.errorCode, ErrorCode.NONE)
  assert.equal(read.highWatermark, 1, 'the followers have not fetched offset 1 from the new leader yet')
})

test('acks=-1 completes only when the high watermark passes the batch; times out with REQUEST_TIMED_OUT; NOT_ENOUGH_REPLICAS below min.insync.replicas', async (t) => {
  const { b, time, topic } = await broker(t, { 'min.insync.replicas': '3' })
  const p = b.replicas.getPartition(topic, 0)!
  const waiting = produce(b, topic, -1, 5)
  await until(() => p.log?.logEndOffset === 5, 'the batch in the leader\'s log')
  assert.equal(await settled(waiting), false, 'written, but no follower has it yet')
  await fetch(b, topic, { replicaId: 1, offset: 5 })
  assert.equal(p.highWatermark, 0, 'follower 2 has not fetched: the high watermark waits for it')
  await fetch(b, topic, { replicaId: 2, offset: 3 })
  assert.equal(p.highWatermark, 3)
  assert.equal(await settled(waiting), false, 'offset 3 is not past the batch (offsets 0-4)')
  await fetch(b, topic, { replicaId: 2, offset: 5 })
  assert.equal(p.highWatermark, 5)
  const done = await waiting
  assert.deepEqual([done.errorCode, done.baseOffset], [ErrorCode.NONE, 0])
  // A follower's fetch from further back never takes the high watermark back.
  await fetch(b, topic, { replicaId: 1, offset: 2 })
  assert.equal(p.highWatermark, 5)

  // Nobody fetches the next batch: the request's timeout answers REQUEST_TIMED_OUT; the records stay.
  const late = produce(b, topic, -1, 2, 1000)
  await until(() => p.log!.logEndOffset === 7, 'the second batch in the leader\'s log')
  assert.equal(await settled(late), false)
  time.advance(999)
  assert.equal(await settled(late), false)
  time.advance(1)
  const timedOut = await late
  assert.equal(timedOut.errorCode, ErrorCode.REQUEST_TIMED_OUT)
  assert.equal(p.log!.logEndOffset, 7)
  assert.equal(p.highWatermark, 5)

  // The leader shrinks the ISR (its own alterPartition): now below min.insync.replicas=3.
  await b.metadata.alterPartition({ topic, partition: 0, partitionEpoch: p.partitionEpoch, isr: [0, 1] })
  const refused = await produce(b, topic, -1)
  assert.equal(refused.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS)
  assert.equal(p.log!.logEndOffset, 7, 'nothing written')
  assert.equal((await produce(b, topic, 1)).errorCode, ErrorCode.NONE, 'acks=1 is not held to min.insync.replicas')

  // Leadership lost while waiting: NOT_LEADER_OR_FOLLOWER at once.
  await b.metadata.alterPartition({ topic, partition: 0, partitionEpoch: p.partitionEpoch, isr: [0, 1, 2] })
  const orphan = produce(b, topic, -1)
  await until(() => p.log!.logEndOffset === 9, 'the orphan batch in the leader\'s log')
  assert.equal(await settled(orphan), false)
  await b.metadata.alterPartition({ topic, partition: 0, partitionEpoch: p.partitionEpoch, leader: 1, isr: [1] })
  assert.equal((await orphan).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER)
})
