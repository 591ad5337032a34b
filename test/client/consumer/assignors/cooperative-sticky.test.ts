import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { tpKey } from '../../../../src/client/base/types.js'
import type { MemberSubscription } from '../../../../src/client/consumer/assignors/assignor.js'
import { CooperativeStickyAssignor, cooperativeMemberData } from '../../../../src/client/consumer/assignors/cooperative-sticky.js'
import { assignorByName } from '../../../../src/client/consumer/assignors/index.js'
import { stickyScenarios } from './sticky-scenarios.js'
import {
  checkCooperative,
  groupArbitrary,
  harness,
  isFullyBalanced,
  javaOrder,
  keys,
  perfGroup,
  tp,
  transferring,
  verifyValidityAndBalance,
  type Assignment,
} from './sticky-harness.js'

stickyScenarios('cooperative-sticky')

// CooperativeStickyAssignorTest (the cooperative assignor's own cases) and the two-phase
// handover it exists for.

const h = harness('cooperative-sticky')
const assignor = new CooperativeStickyAssignor()
const topic = 'topic'
const [consumer1, consumer2, consumer3] = ['consumer1', 'consumer2', 'consumer3']
const get = (a: Assignment, id: string) => a.get(id)!

test('name, protocols and lookup match Kafka', () => {
  assert.equal(assignor.name, 'cooperative-sticky')
  assert.deepEqual(assignor.supportedProtocols, ['COOPERATIVE', 'EAGER'])
  assert.ok(assignorByName('cooperative-sticky') instanceof CooperativeStickyAssignor)
})

test('testEncodeAndDecodeGeneration: userData is the int32 generation', () => {
  const none = assignor.subscriptionUserData({ assigned: null, generationId: -1 })
  assert.deepEqual(none, Buffer.from('ffffffff', 'hex'))
  assert.equal(cooperativeMemberData({ ...h.fresh('c', [topic]), userData: none }).generation, -1)
  const ten = assignor.subscriptionUserData({ assigned: [tp(topic, 0)], generationId: 10 })
  assert.deepEqual(ten, Buffer.from('0000000a', 'hex'))
  assert.equal(cooperativeMemberData({ ...h.fresh('c', [topic]), userData: ten }).generation, 10)
})

test('testDecodeGeneration: no userData and no generation field means no generation', () => {
  assert.equal(cooperativeMemberData(h.fresh('c', [topic])).generation, -1)
  assert.equal(cooperativeMemberData({ ...h.fresh('c', [topic]), userData: Buffer.from([1, 2]) }).generation, -1)
})

test('testMemberData: owned partitions come from the subscription (v1, v2)', () => {
  const owned = [tp('topic1', 0), tp('topic2', 1)]
  for (const s of [h.v1('c', [topic], owned, 1), h.v2('c', [topic], owned, 1)]) {
    assert.deepEqual(cooperativeMemberData(s), { partitions: owned, generation: 1 })
  }
})

test('testMemberDataWithInconsistentData: generation from userData, partitions from the subscription', () => {
  const userData = assignor.subscriptionUserData({ assigned: [tp(topic, 1)], generationId: 1 })
  const s: MemberSubscription = { ...h.fresh('c', [topic]), userData, ownedPartitions: [tp(topic, 0)] }
  assert.deepEqual(cooperativeMemberData(s), { partitions: [tp(topic, 0)], generation: 1 })
})

test('testMemberDataWithEmptyPartitionsAndEqualGeneration / ...HigherGeneration: the subscription wins', () => {
  for (const inUserData of [1, 0]) {
    const s: MemberSubscription = { ...h.fresh('c', [topic]), userData: h.userData([tp('topic1', 0)], inUserData), generationId: 1 }
    assert.deepEqual(cooperativeMemberData(s), { partitions: [], generation: 1 })
  }
})

test('testAssignorWithOldVersionSubscriptions (v1 subscriptions carry the generation in userData)', () => {
  const p = new Map([['topic1', 3]])
  const members = javaOrder([
    h.v1(consumer1, ['topic1'], [tp('topic1', 0)], 1),
    h.v1(consumer2, ['topic1'], [tp('topic1', 1)], 1),
    h.v2(consumer3, ['topic1'], [], 1),
  ])
  const a = assignor.assign(members, p)
  assert.deepEqual(get(a, consumer1), [tp('topic1', 0)])
  assert.deepEqual(get(a, consumer2), [tp('topic1', 1)])
  assert.deepEqual(get(a, consumer3), [tp('topic1', 2)])
})

for (const [label, count, c1] of [
  ['WithEqualPartitionsPerConsumer', 3, [tp(topic, 1)]],
  ['WithUnequalPartitionsPerConsumer', 4, [tp(topic, 1), tp(topic, 3)]],
] as const) {
  test(`testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGeneration${label}`, () => {
    const p = new Map([[topic, count]])
    const members = javaOrder([
      h.v2(consumer1, [topic], [tp(topic, 0), tp(topic, 1)], 1),
      h.v2(consumer2, [topic], [tp(topic, 0), tp(topic, 2)], 1),
      h.v2(consumer3, [topic], [], 1),
    ])
    const a = assignor.assign(members, p)
    assert.deepEqual(get(a, consumer1), c1)
    assert.deepEqual(get(a, consumer2), [tp(topic, 2)])
    // topic-0 counts as owned until both claimants have revoked it.
    assert.deepEqual(get(a, consumer3), [])
    const s = h.settle(members, a, p)
    assert.deepEqual(get(s.assignment, consumer3), [tp(topic, 0)])
    assert.ok(isFullyBalanced(s.assignment))
  })
}

test('two-phase handover: a newcomer gets moved partitions only after the owner revoked them', () => {
  const p = new Map([[topic, 4]])
  const all = [tp(topic, 0), tp(topic, 1), tp(topic, 2), tp(topic, 3)]
  // Round 1: consumer1 owns everything; consumer2 joins.
  let members = [h.v2(consumer1, [topic], all, 3), h.v2(consumer2, [topic], [], 3)]
  const r1 = assignor.assignDetailed(members, p)
  assert.deepEqual(r1.partitionsTransferringOwnership, transferring([[tp(topic, 2), consumer2], [tp(topic, 3), consumer2]]))
  assert.deepEqual(get(r1.assignment, consumer1), [tp(topic, 0), tp(topic, 1)])
  assert.deepEqual(get(r1.assignment, consumer2), [])
  assert.equal(checkCooperative(members, r1.assignment), true, 'consumer1 must revoke and rejoin')

  // Round 2: consumer1 revoked topic-2 and topic-3 and rejoined with what it kept.
  members = [h.v2(consumer1, [topic], get(r1.assignment, consumer1), 4), h.v2(consumer2, [topic], [], 4)]
  const r2 = assignor.assign(members, p)
  assert.deepEqual(get(r2, consumer1), [tp(topic, 0), tp(topic, 1)])
  assert.deepEqual(get(r2, consumer2), [tp(topic, 2), tp(topic, 3)])
  assert.equal(checkCooperative(members, r2), false)
})

test('two-phase handover on the general path (subscriptions differ)', () => {
  const p = new Map([['a', 4], ['b', 2]])
  const owned = [tp('a', 0), tp('a', 1), tp('a', 2), tp('a', 3), tp('b', 0), tp('b', 1)]
  const members = [h.v2(consumer1, ['a', 'b'], owned, 2), h.v2(consumer2, ['a'], [], 2)]
  const r = assignor.assignDetailed(members, p)
  assert.equal(r.partitionsTransferringOwnership, null)
  // consumer2 is due three of the 'a' partitions but gets none yet; consumer1 gives them up.
  assert.deepEqual(get(r.assignment, consumer2), [])
  assert.equal(get(r.assignment, consumer1).length, 3)
  const s = h.settle(members, r.assignment, p)
  assert.equal(s.rebalances, 1)
  assert.deepEqual([get(s.assignment, consumer1).length, get(s.assignment, consumer2).length], [3, 3])
  for (const k of keys(get(s.assignment, consumer1))) assert.ok(keys(owned).includes(k))
})

test('a stale member (older generation) loses a contested partition without anyone taking it over early', () => {
  const p = new Map([[topic, 2]])
  const members = [h.v2(consumer1, [topic], [tp(topic, 0), tp(topic, 1)], 5), h.v2(consumer2, [topic], [tp(topic, 0)], 4)]
  const a = assignor.assign(members, p)
  // consumer1 (generation 5) keeps topic-0; topic-1 moves to consumer2 only after consumer1 revokes it.
  assert.deepEqual(get(a, consumer1), [tp(topic, 0)])
  assert.deepEqual(get(a, consumer2), [])
  const s = h.settle(members, a, p)
  assert.deepEqual(get(s.assignment, consumer2), [tp(topic, 1)])
})

test('performance: 1000 partitions x 100 members, one member joins a settled group', (t) => {
  const { partitions, members } = perfGroup(10, 100, 100)
  const first = assignor.assign(members, partitions)
  const next = members.map((m) => h.v2(m.memberId, m.topics, first.get(m.memberId)!, 1))
  next.push(h.fresh('m100', members[0]!.topics))
  const start = performance.now()
  const second = assignor.assign(next, partitions)
  const took = performance.now() - start
  t.diagnostic(`rebalance ${took.toFixed(1)} ms`)
  assert.ok(took < 500, `too slow: ${took} ms`)
  // The newcomer's 9 or 10 partitions are held back this round; nothing else moves.
  assert.deepEqual(second.get('m100'), [])
  const s = h.settle(next, second, partitions)
  assert.equal(s.rebalances, 1)
  assert.ok(isFullyBalanced(s.assignment))
})

test('property: never hands over a partition another member still owns; settles valid and balanced', () => {
  fc.assert(
    fc.property(groupArbitrary(h), ({ partitions, members, equal }) => {
      const a = assignor.assign(members, partitions)
      const claimants = new Map<string, Set<string>>()
      for (const m of members) {
        for (const p of m.ownedPartitions) {
          const k = tpKey(p.topic, p.partition)
          if (!claimants.has(k)) claimants.set(k, new Set())
          claimants.get(k)!.add(m.memberId)
        }
      }
      const seen = new Set<string>()
      for (const m of members) {
        for (const p of a.get(m.memberId)!) {
          const k = tpKey(p.topic, p.partition)
          assert.ok(m.topics.includes(p.topic), `${k} given to non-subscriber ${m.memberId}`)
          assert.ok(!seen.has(k), `${k} given twice`)
          seen.add(k)
          const owners = claimants.get(k)
          assert.ok(owners === undefined || owners.has(m.memberId), `${k} given to ${m.memberId} while ${[...(owners ?? [])]} own it`)
        }
      }
      const s = h.settle(members, a, partitions)
      verifyValidityAndBalance(s.members, s.assignment, partitions)
      if (equal) assert.ok(isFullyBalanced(s.assignment))
    }),
    { numRuns: 300 },
  )
})
