/**
 * broker/partition.ts: roles from metadata state, the KIP-320 checks, and the high-watermark
 * rule with a simulated ISR of three (followers' fetches recorded by hand).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Partition } from '../../src/broker/partition.js'
import type { PartitionInfo } from '../../src/metadata/types.js'
import { KafkaError } from '../../src/protocol/errors.js'
import { withLogEnv, appendAll } from '../storage/helpers/logs.js'

function state(over: Partial<PartitionInfo> = {}): PartitionInfo {
  return { partition: 0, leader: 0, leaderEpoch: 3, partitionEpoch: 7, replicas: [0, 1, 2], isr: [0, 1, 2], addingReplicas: [], removingReplicas: [], offlineReplicas: [], ...over }
}

const kafkaError = (name: string) => (e: unknown) => e instanceof KafkaError && e.errorName === name

test('the high watermark is the smallest log end offset of the ISR, and never moves backwards', async () => {
  await withLogEnv(async (env) => {
    const log = await env.open()
    const p = new Partition({ topic: 'topic', partition: 0, nodeId: 0 })
    p.attachLog(log)
    assert.equal(p.makeLeader(state(), 1000), true)
    await appendAll(log, [{ records: 10 }], 3)
    assert.equal(log.logEndOffset, 10)
    assert.equal(p.maybeIncrementHighWatermark(), false, 'followers not heard from: the high watermark stays')
    assert.equal(p.highWatermark, 0)
    assert.equal(p.updateFollowerFetchState(1, 6, 1001), false, 'follower 2 still unknown')
    assert.equal(p.highWatermark, 0)
    assert.equal(p.updateFollowerFetchState(2, 4, 1002), true)
    assert.equal(p.highWatermark, 4, 'min(10, 6, 4)')
    assert.equal(p.updateFollowerFetchState(2, 10, 1003), true)
    assert.equal(p.highWatermark, 6, 'min(10, 6, 10)')
    // A follower that restarts and fetches from further back does not move it back.
    assert.equal(p.updateFollowerFetchState(1, 2, 1004), false)
    assert.equal(p.highWatermark, 6)
    assert.equal(p.follower(1)!.logEndOffset, 2)
    assert.equal(p.follower(2)!.lastCaughtUpTimeMs, 1003, 'caught up with the leader at its fetch of offset 10')
    // An ISR of the leader alone (metadata shrank it): the high watermark is the log end.
    assert.equal(p.makeLeader(state({ isr: [0], partitionEpoch: 8 }), 1005), false, 'same epoch: not a new election')
    assert.equal(p.highWatermark, 10)
    await log.close()
  })
})

test('a new leader epoch resets what the leader knows of its followers; a stale one is ignored', async () => {
  await withLogEnv(async (env) => {
    const log = await env.open()
    const p = new Partition({ topic: 'topic', partition: 0, nodeId: 0 })
    p.attachLog(log)
    p.makeLeader(state(), 1000)
    await appendAll(log, [{ records: 5 }], 3)
    p.updateFollowerFetchState(1, 5, 1001)
    p.updateFollowerFetchState(2, 5, 1001)
    assert.equal(p.highWatermark, 5)
    assert.equal(p.makeLeader(state({ leaderEpoch: 4, partitionEpoch: 8 }), 2000), true)
    assert.deepEqual(p.follower(1), { logEndOffset: -1, lastFetchTimeMs: -1, lastCaughtUpTimeMs: 2000, lastFetchLeaderLogEndOffset: -1 })
    assert.equal(p.makeFollower(state({ leader: 1, leaderEpoch: 2 })), false, 'an older epoch changes nothing')
    assert.equal(p.role, 'leader')
    await log.close()
  })
})

test('roles: leader, follower, leader again; the checks a request meets in each', async () => {
  const p = new Partition({ topic: 't', partition: 0, nodeId: 0 })
  const events: string[] = []
  p.watch((e) => events.push(e.type === 'role' ? `${e.role}@${e.leaderEpoch}` : `hw ${e.highWatermark}`))
  assert.throws(() => p.checkLeader(), kafkaError('NOT_LEADER_OR_FOLLOWER'))
  p.makeLeader(state({ replicas: [0, 1], isr: [0, 1] }), 0)
  p.checkLeader()
  p.checkLeader(3)
  assert.throws(() => p.checkLeader(2), kafkaError('FENCED_LEADER_EPOCH'))
  assert.throws(() => p.checkLeader(4), kafkaError('UNKNOWN_LEADER_EPOCH'))
  assert.equal(p.makeFollower(state({ leader: 1, leaderEpoch: 4, replicas: [0, 1], isr: [1] })), true)
  assert.throws(() => p.checkLeader(), (e) => kafkaError('NOT_LEADER_OR_FOLLOWER')(e) && /broker 1 leads it/.test((e as Error).message))
  assert.throws(() => p.checkLeader(3), kafkaError('FENCED_LEADER_EPOCH'), 'a stale epoch is fenced before the leader check, as Kafka orders them')
  assert.throws(() => p.updateFollowerFetchState(1, 0, 0), kafkaError('NOT_LEADER_OR_FOLLOWER'))
  assert.equal(p.makeLeader(state({ leaderEpoch: 5, replicas: [0, 1], isr: [0, 1] }), 0), true)
  assert.throws(() => p.updateFollowerFetchState(7, 0, 0), (e) => kafkaError('NOT_LEADER_OR_FOLLOWER')(e) && /not a replica/.test((e as Error).message))
  p.stop()
  assert.deepEqual(events, ['leader@3', 'follower@4', 'leader@5', 'none@5'])
})

test('caught up: at the log end now, or at the leader\'s log end of the previous fetch (a follower under steady load stays in sync)', async () => {
  await withLogEnv(async (env) => {
    const log = await env.open()
    const p = new Partition({ topic: 'topic', partition: 0, nodeId: 0 })
    p.attachLog(log)
    p.makeLeader(state(), 1000)
    await appendAll(log, [{ records: 10 }], 3)
    p.updateFollowerFetchState(1, 10, 1100)
    assert.equal(p.follower(1)!.lastCaughtUpTimeMs, 1100, 'had everything')
    await appendAll(log, [{ records: 5 }], 3)
    // Fetches offset 10 again while the leader is at 15: not caught up now, but it has what the leader had at its previous fetch.
    p.updateFollowerFetchState(1, 10, 1200)
    assert.equal(p.follower(1)!.lastCaughtUpTimeMs, 1100, 'the previous fetch (at 1100) saw the leader at 10; nothing newer yet')
    await appendAll(log, [{ records: 5 }], 3)
    p.updateFollowerFetchState(1, 15, 1300)
    assert.equal(p.follower(1)!.lastCaughtUpTimeMs, 1200, 'has 15, what the leader had at the fetch of 1200')
    // Shrinking measures from there.
    assert.equal(p.isrShrink(1800, 1000), undefined, 'follower 2, in the ISR at the election (1000), has had 800 ms')
    assert.deepEqual(p.isrShrink(2100, 1000), { isr: [0, 1], removed: [2] }, 'follower 2 never fetched since the election')
    assert.deepEqual(p.isrShrink(2300, 1000), { isr: [0], removed: [1, 2] }, 'follower 1 last caught up at 1200')
    await log.close()
  })
})

test('an ISR expansion waits for the high watermark and the epoch start; while in flight the added replica holds the high watermark back', async () => {
  await withLogEnv(async (env) => {
    const log = await env.open()
    await appendAll(log, [{ records: 8 }], 2)
    const p = new Partition({ topic: 'topic', partition: 0, nodeId: 0 })
    p.attachLog(log)
    // A leader of epoch 3 elected at offset 8 with an ISR of itself alone.
    p.makeLeader(state({ isr: [0] }), 1000)
    assert.equal(p.highWatermark, 8)
    await appendAll(log, [{ records: 4 }], 3)
    p.maybeIncrementHighWatermark()
    assert.equal(p.highWatermark, 12)
    p.updateFollowerFetchState(1, 6, 1001)
    assert.equal(p.isrExpansion(1), undefined, 'behind the epoch start and the high watermark')
    p.updateFollowerFetchState(1, 10, 1002)
    assert.equal(p.isrExpansion(1), undefined, 'past the epoch start, behind the high watermark')
    p.updateFollowerFetchState(1, 12, 1003)
    assert.deepEqual(p.isrExpansion(1), [0, 1])
    const change = p.beginIsrChange([0, 1])
    assert.equal(p.isrExpansion(2), undefined, 'one change at a time')
    assert.deepEqual(p.maximalIsr, [0, 1])
    await appendAll(log, [{ records: 3 }], 3)
    p.maybeIncrementHighWatermark()
    assert.equal(p.highWatermark, 12, 'follower 1 counts before its addition commits: the high watermark waits for it')
    p.updateFollowerFetchState(1, 15, 1004)
    assert.equal(p.highWatermark, 15)
    // The change commits: the partition epoch moves on and the pending change is done.
    p.makeLeader(state({ isr: [0, 1], partitionEpoch: 8 }), 1005)
    assert.equal(p.pendingIsr, undefined)
    assert.deepEqual(p.isr, [0, 1])
    p.abandonIsrChange(change)
    await log.close()
  })
})
