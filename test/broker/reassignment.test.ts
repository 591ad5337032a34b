/**
 * Reassignment and leader elections between real brokers in one process on one shared store
 * (test/helpers/shared-metadata.ts), driven by the Samsa admin client as an operator would:
 * an added replica makes its log, copies the leader, joins the ISR and the controller completes
 * the reassignment; a removed leader is replaced and its log deleted; a cancel reverts; ElectLeaders
 * preferred and unclean; the controller's automatic preferred-leader rebalance on its clock.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Broker } from '../../src/broker/broker.js'
import { Admin, AdminError } from '../../src/client/admin/index.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { createBatch, encodeBatchSync } from '../../src/protocol/records/index.js'
import { ManualTime } from '../../src/util/time.js'
import { sharedCluster, type SharedCluster } from '../helpers/shared-metadata.js'
import { until } from './helpers.js'

const FAST = { 'replica.fetch.wait.max.ms': '20', 'replica.fetch.backoff.ms': '20' }

async function produce(b: Broker, topic: string, n: number, tag: string): Promise<number> {
  const records = encodeBatchSync(createBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: n }, (_, i) => ({ timestampDelta: 0, offsetDelta: i, key: null, value: Buffer.from(`${tag}-${i}`), headers: [] })) }))
  const [r] = await b.replicas.appendRecords({ entries: [{ topic, partition: 0, records }], acks: -1, timeoutMs: 10_000, origin: { kind: 'client', checks: { singleBatch: true, allowZstd: true } }, internalTopicsAllowed: false })
  assert.equal(r!.errorCode, ErrorCode.NONE, r!.errorMessage ?? '')
  return r!.baseOffset
}

async function bytesOf(b: Broker, topic: string): Promise<Buffer> {
  const log = b.replicas.logs.getLog({ topic, partition: 0 })
  assert.ok(log, `broker ${b.nodeId} has a log of ${topic}-0`)
  return log.readRecords({ fromOffset: log.logStartOffset, maxBytes: 64 << 20 })
}

async function createTopic(c: SharedCluster, name: string, assignments: number[][]): Promise<void> {
  await c.store.createTopic({ name, assignments, configs: {} })
  for (const b of c.brokers.values()) await b.replicas.settled()
}

function admin(t: { after: (fn: () => Promise<void>) => void }, c: SharedCluster): Admin {
  const b0 = c.brokers.get(0)!
  const a = new Admin({ bootstrapServers: `127.0.0.1:${b0.listeners[0]!.port}`, defaultApiTimeoutMs: 10_000 })
  t.after(() => a.close())
  return a
}

function state(c: SharedCluster, topic: string) {
  return c.store.topic(topic)!.partitions[0]!
}

/** The partition's states as they change, as replicas|adding|removing|isr|leader@epoch. */
function history(c: SharedCluster, topic: string): string[] {
  const seen: string[] = []
  c.store.subscribe((ch) => {
    if (ch.type === 'partitionChanged' && ch.topic.name === topic) {
      const p = ch.partition
      seen.push(`${p.replicas}|${p.addingReplicas}|${p.removingReplicas}|${[...p.isr].sort()}|${p.leader}@${p.leaderEpoch}`)
    }
  })
  return seen
}

function codeOf(err: unknown): string[] {
  assert.ok(err instanceof AdminError, String(err))
  return err.failures.map((f) => `${f.resource}:${(f.error as { errorName?: string }).errorName}`)
}

test('adding a replica: its broker makes the log and copies the leader, joins the ISR, and the controller completes the reassignment', async (t) => {
  const c = await sharedCluster(t, FAST, { controller: {} })
  for (const id of [0, 1, 2]) await c.start(id)
  await createTopic(c, 'grow', [[0, 1]])
  const b0 = c.brokers.get(0)!
  await produce(b0, 'grow', 20, 'a')
  const seen = history(c, 'grow')
  const a = admin(t, c)
  await a.alterPartitionReassignments([{ topic: 'grow', partition: 0, replicas: [0, 1, 2] }])
  await until(() => seen.length === 3, 'the reassignment to complete')
  const b2 = c.brokers.get(2)!
  assert.deepEqual([state(c, 'grow').replicas, [...state(c, 'grow').isr].sort(), state(c, 'grow').leader], [[0, 1, 2], [0, 1, 2], 0])
  assert.deepEqual(seen, ['0,1,2|2||0,1|0@0', '0,1,2|2||0,1,2|0@0', '0,1,2|||0,1,2|0@0'], 'started, the leader took 2 into the ISR, the controller completed; no epoch bump for an addition')
  assert.deepEqual(await bytesOf(b2, 'grow'), await bytesOf(b0, 'grow'), 'the new replica holds what the leader has')
  assert.deepEqual(await a.listPartitionReassignments(), [])
  // The new replica counts for acks=-1 from now on.
  assert.equal(await produce(b0, 'grow', 1, 'b'), 20)
  await until(() => b2.replicas.logs.getLog({ topic: 'grow', partition: 0 })!.logEndOffset === 21, 'broker 2 to copy the new record')
})

test('removing the leader: a target in sync completes at once, an in-sync target replica leads in a new epoch, the old leader deletes its log', async (t) => {
  const c = await sharedCluster(t, FAST, { controller: {} })
  for (const id of [0, 1, 2]) await c.start(id)
  await createTopic(c, 'move', [[0, 1, 2]])
  const b0 = c.brokers.get(0)!
  await produce(b0, 'move', 10, 'a')
  await until(() => state(c, 'move').isr.length === 3, 'all in sync')
  const a = admin(t, c)
  await a.alterPartitionReassignments([{ topic: 'move', partition: 0, replicas: [2, 1] }])
  assert.deepEqual([state(c, 'move').replicas, state(c, 'move').leader, state(c, 'move').leaderEpoch, [...state(c, 'move').isr].sort()], [[2, 1], 2, 1, [1, 2]])
  const b2 = c.brokers.get(2)!
  await until(() => b2.replicas.getPartition('move', 0)?.role === 'leader', 'broker 2 to lead')
  assert.equal(await produce(b2, 'move', 1, 'b'), 10, 'nothing acknowledged was lost')
  await until(() => b0.replicas.logs.getLog({ topic: 'move', partition: 0 }) === undefined && b0.replicas.getPartition('move', 0) === undefined, 'broker 0 to drop the partition and its log')
  assert.ok(c.logs(0).every((l) => l.level !== 'error'), JSON.stringify(c.logs(0)))
})

test('cancel reverts to the original replicas and the added replica deletes its log; refused answers: unknown partition, bad lists, nothing to cancel', async (t) => {
  // No controller: the reassignment stays in progress until the test cancels it.
  const c = await sharedCluster(t, FAST)
  for (const id of [0, 1, 2]) await c.start(id)
  await createTopic(c, 'undo', [[0, 1]])
  await produce(c.brokers.get(0)!, 'undo', 5, 'a')
  const a = admin(t, c)
  await a.alterPartitionReassignments([{ topic: 'undo', partition: 0, replicas: [0, 2] }])
  assert.deepEqual(await a.listPartitionReassignments(), [{ topic: 'undo', partition: 0, replicas: [0, 2, 1], addingReplicas: [2], removingReplicas: [1] }])
  assert.deepEqual(await a.listPartitionReassignments([{ topic: 'undo', partition: 0 }, { topic: 'nope', partition: 0 }]), await a.listPartitionReassignments(), 'unknown topics are left out')
  const b2 = c.brokers.get(2)!
  await until(() => state(c, 'undo').isr.includes(2), 'broker 2 to copy the leader and join the ISR')
  await a.alterPartitionReassignments([{ topic: 'undo', partition: 0, replicas: null }])
  assert.deepEqual([state(c, 'undo').replicas, state(c, 'undo').addingReplicas, state(c, 'undo').removingReplicas, [...state(c, 'undo').isr].sort(), state(c, 'undo').leaderEpoch], [[0, 1], [], [], [0, 1], 1])
  await until(() => b2.replicas.logs.getLog({ topic: 'undo', partition: 0 }) === undefined, 'broker 2 to delete the log it no longer hosts')
  const err = await a
    .alterPartitionReassignments([
      { topic: 'undo', partition: 0, replicas: null },
      { topic: 'undo', partition: 5, replicas: [0] },
      { topic: 'nope', partition: 0, replicas: [0] },
      { topic: 'undo', partition: 1, replicas: [0] },
    ])
    .catch((e: unknown) => e)
  assert.deepEqual(codeOf(err), ['undo-0:NO_REASSIGNMENT_IN_PROGRESS', 'undo-5:UNKNOWN_TOPIC_OR_PARTITION', 'nope-0:UNKNOWN_TOPIC_OR_PARTITION', 'undo-1:UNKNOWN_TOPIC_OR_PARTITION'])
  for (const replicas of [[0, 0], []]) {
    const bad = await a.alterPartitionReassignments([{ topic: 'undo', partition: 0, replicas }]).catch((e: unknown) => e)
    assert.deepEqual(codeOf(bad), ['undo-0:INVALID_REPLICA_ASSIGNMENT'], JSON.stringify(replicas))
  }
  const unknownBroker = await a.alterPartitionReassignments([{ topic: 'undo', partition: 0, replicas: [0, 9] }]).catch((e: unknown) => e)
  assert.match((unknownBroker as AdminError).failures[0]!.error.message, /broker 9, but no such broker is registered/)
  assert.deepEqual(state(c, 'undo').replicas, [0, 1], 'refused changes leave no trace')
})

test('ElectLeaders preferred: the first replica leads again; ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE; all partitions answers only those that needed one', async (t) => {
  const c = await sharedCluster(t, FAST)
  for (const id of [0, 1, 2]) await c.start(id)
  await createTopic(c, 'pref', [[0, 1, 2]])
  await createTopic(c, 'other', [[1, 2]])
  await until(() => state(c, 'pref').isr.length === 3, 'all in sync')
  const p = state(c, 'pref')
  await c.store.alterPartition({ topic: 'pref', partition: 0, partitionEpoch: p.partitionEpoch, leader: 1, leaderEpoch: p.leaderEpoch + 1 })
  const a = admin(t, c)
  assert.deepEqual(await a.electLeaders('preferred', null), [{ topic: 'pref', partition: 0, error: null }])
  assert.deepEqual([state(c, 'pref').leader, state(c, 'pref').leaderEpoch], [0, 2])
  await until(() => c.brokers.get(0)!.replicas.getPartition('pref', 0)?.role === 'leader', 'broker 0 to lead')
  assert.deepEqual(await a.electLeaders('preferred', null), [], 'nothing needed one')
  const named = await a.electLeaders('preferred', [{ topic: 'pref', partition: 0 }, { topic: 'nope', partition: 0 }])
  assert.deepEqual(named.map((r) => [r.topic, (r.error as { errorName?: string } | null)?.errorName]), [['nope', 'UNKNOWN_TOPIC_OR_PARTITION'], ['pref', 'ELECTION_NOT_NEEDED']])
  // Broker 1 prefers 'other' but is out of its ISR.
  const o = state(c, 'other')
  await c.store.alterPartition({ topic: 'other', partition: 0, partitionEpoch: o.partitionEpoch, leader: 2, leaderEpoch: o.leaderEpoch + 1, isr: [2] })
  const [notAvailable] = await a.electLeaders('preferred', [{ topic: 'other', partition: 0 }])
  assert.equal((notAvailable!.error as { errorName?: string }).errorName, 'PREFERRED_LEADER_NOT_AVAILABLE')
})

test('ElectLeaders unclean: with no in-sync replica alive, a live out-of-sync replica leads, logged loudly; a live leader needs none', async (t) => {
  const c = await sharedCluster(t, { ...FAST, 'controlled.shutdown.enable': 'false' })
  for (const id of [0, 1, 2]) await c.start(id)
  await createTopic(c, 'lost', [[1, 2]])
  const a = admin(t, c)
  const [live] = await a.electLeaders('unclean', [{ topic: 'lost', partition: 0 }])
  assert.equal((live!.error as { errorName?: string }).errorName, 'ELECTION_NOT_NEEDED')
  // Broker 2 leaves; the ISR is broker 1 alone; then broker 1 dies too and broker 2 returns.
  await c.stop(2)
  const p = state(c, 'lost')
  await c.store.alterPartition({ topic: 'lost', partition: 0, partitionEpoch: p.partitionEpoch, isr: [1] })
  await c.stop(1)
  const [described] = await a.describeTopics(['lost'])
  assert.deepEqual(described!.partitions[0]!.offlineReplicas, [1, 2], 'Metadata reports the replicas whose brokers are gone')
  await c.start(2)
  assert.deepEqual(await a.electLeaders('unclean', [{ topic: 'lost', partition: 0 }]), [{ topic: 'lost', partition: 0, error: null }])
  assert.deepEqual([state(c, 'lost').leader, state(c, 'lost').isr], [2, [2]])
  const warned = c.logs(0).find((l) => String(l.msg).startsWith('UNCLEAN LEADER ELECTION'))
  assert.ok(warned, JSON.stringify(c.logs(0)))
  assert.deepEqual([warned.topic, warned.leader, warned.lostIsr], ['lost', 2, [1]])
})

test('auto leader rebalance: on the controller\'s clock, leaderships go back to preferred replicas once a broker passes leader.imbalance.per.broker.percentage', async (t) => {
  const time = new ManualTime(Date.now())
  const c = await sharedCluster(t, FAST, { controller: { time, rebalance: { enabled: true, intervalMs: 300_000, percentage: 10 } } })
  for (const id of [0, 1, 2]) await c.start(id)
  await createTopic(c, 'bal', [[0, 1], [1, 0]])
  await until(() => c.store.topic('bal')!.partitions.every((p) => p.isr.length === 2), 'all in sync')
  const p = state(c, 'bal')
  await c.store.alterPartition({ topic: 'bal', partition: 0, partitionEpoch: p.partitionEpoch, leader: 1, leaderEpoch: p.leaderEpoch + 1 })
  time.advance(299_999)
  await c.controller!.settled()
  assert.equal(state(c, 'bal').leader, 1, 'not checked before the interval')
  time.advance(1)
  await c.controller!.settled()
  assert.deepEqual([state(c, 'bal').leader, state(c, 'bal').leaderEpoch], [0, 2], 'broker 0 led none of its 1 preferred partition: 100 % > 10 %')
  // And again at the next interval.
  const q = state(c, 'bal')
  await c.store.alterPartition({ topic: 'bal', partition: 0, partitionEpoch: q.partitionEpoch, leader: 1, leaderEpoch: q.leaderEpoch + 1 })
  time.advance(300_000)
  await c.controller!.settled()
  assert.equal(state(c, 'bal').leader, 0)
})
