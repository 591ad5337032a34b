import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { MemberSubscription } from '../../../../src/client/consumer/assignors/assignor.js'
import {
  StickyAssignor,
  decodeStickyUserData,
  encodeStickyUserData,
  stickyMemberData,
} from '../../../../src/client/consumer/assignors/sticky.js'
import { assignorByName } from '../../../../src/client/consumer/assignors/index.js'
import { stickyScenarios } from './sticky-scenarios.js'
import {
  harness,
  isFullyBalanced,
  javaOrder,
  keys,
  sortedKeys,
  tp,
  verifyValidityAndBalance,
  groupArbitrary,
  perfGroup,
  type Assignment,
} from './sticky-harness.js'


stickyScenarios('sticky')

// StickyAssignorTest (the eager assignor's own cases).

const h = harness('sticky')
const assignor = new StickyAssignor()
const topic = 'topic'
const [topic2, topic3] = ['topic2', 'topic3']
const [consumer1, consumer2, consumer3] = ['consumer1', 'consumer2', 'consumer3']
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const get = (a: Assignment, id: string) => a.get(id)!

test('name, protocols and lookup match Kafka', () => {
  assert.equal(assignor.name, 'sticky')
  assert.deepEqual(assignor.supportedProtocols, ['EAGER'])
  assert.ok(assignorByName('sticky') instanceof StickyAssignor)
})

test('userData: v1 bytes as Java writes them; none before the first assignment', () => {
  assert.equal(assignor.subscriptionUserData({ assigned: null, generationId: -1 }), null)
  const expected = hex(`00000002
    0001 74 00000002 00000000 00000002
    0001 75 00000001 00000007
    00000005`)
  assert.deepEqual(assignor.subscriptionUserData({ assigned: [tp('t', 0), tp('u', 7), tp('t', 2)], generationId: 5 }), expected)
  assert.deepEqual(decodeStickyUserData(expected), { partitions: [tp('t', 0), tp('t', 2), tp('u', 7)], generation: 5 })
})

test('userData: v0 (no generation) falls back; unreadable means nothing owned', () => {
  const v0 = encodeStickyUserData([tp('t', 1)])
  assert.deepEqual(v0, hex('00000001 0001 74 00000001 00000001'))
  assert.deepEqual(decodeStickyUserData(v0), { partitions: [tp('t', 1)], generation: -1 })
  // A v1 body cut inside the generation still reads as v0, as Kafka's fallback does.
  assert.deepEqual(decodeStickyUserData(Buffer.concat([v0, hex('0000')])), { partitions: [tp('t', 1)], generation: -1 })
  assert.deepEqual(decodeStickyUserData(hex('00000001 0005 74')), { partitions: [], generation: -1 })
  assert.deepEqual(decodeStickyUserData(hex('ffffffff')), { partitions: [], generation: -1 })
})

test('testMemberData: the eager assignor reads owned partitions and generation from userData (v0, v1, v2 subscriptions)', () => {
  const owned = [tp('topic1', 0), tp('topic2', 1)]
  const v0 = { ...h.fresh('c', [topic]), userData: encodeStickyUserData(owned, 1) }
  for (const s of [v0, h.v1('c', [topic], owned, 1), h.v2('c', [topic], owned, 1)]) {
    assert.deepEqual(stickyMemberData(s), { partitions: owned, generation: 1 })
  }
})

test('testMemberDataWithInconsistentData / testMemberDataWillHonorUserData: userData wins over the subscription', () => {
  const userData = assignor.subscriptionUserData({ assigned: [tp(topic, 1)], generationId: 1 })
  const s: MemberSubscription = { ...h.fresh('c', [topic]), userData, ownedPartitions: [tp(topic, 0)] }
  assert.deepEqual(stickyMemberData(s), { partitions: [tp(topic, 1)], generation: 1 })

  const older = { ...h.fresh('c', [topic]), userData: encodeStickyUserData([tp('topic1', 0), tp('topic2', 1)], 0), generationId: 1 }
  assert.deepEqual(stickyMemberData(older), { partitions: [tp('topic1', 0), tp('topic2', 1)], generation: 0 })
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
    assert.deepEqual(get(a, consumer3), [tp(topic, 0)])
    verifyValidityAndBalance(members, a, p)
  })
}

for (const equal of [true, false]) {
  test(`testAssignmentWithMultipleGenerations1 (all subscriptions equal: ${equal})`, () => {
    const all = [topic, topic2]
    const c2Topics = equal ? all : [topic]
    const p = new Map([[topic, 6], [topic2, 6]])
    let members = javaOrder([h.fresh(consumer1, all), h.fresh(consumer2, c2Topics), h.fresh(consumer3, all)])
    const r1 = assignor.assign(members, p)
    assert.deepEqual([...r1.values()].map((l) => l.length), [4, 4, 4])
    verifyValidityAndBalance(members, r1, p)

    members = javaOrder([h.v2(consumer1, all, get(r1, consumer1), 1), h.v2(consumer2, c2Topics, get(r1, consumer2), 1)])
    const r2 = assignor.assign(members, p)
    assert.deepEqual([get(r2, consumer1).length, get(r2, consumer2).length], [6, 6])
    if (equal) for (const k of keys(get(r1, consumer1))) assert.ok(keys(get(r2, consumer1)).includes(k))
    for (const k of keys(get(r1, consumer2))) assert.ok(keys(get(r2, consumer2)).includes(k))
    assert.ok(keys(get(r2, consumer2)).some((k) => keys(get(r1, consumer3)).includes(k)))
    verifyValidityAndBalance(members, r2, p)

    // consumer3 comes back claiming what it had in generation 1; consumer2 was in generation 2.
    members = javaOrder([h.v2(consumer2, c2Topics, get(r2, consumer2), 2), h.v2(consumer3, all, get(r1, consumer3), 1)])
    const r3 = assignor.assign(members, p)
    assert.deepEqual([get(r3, consumer2).length, get(r3, consumer3).length], [6, 6])
    verifyValidityAndBalance(members, r3, p)
  })

  test(`testAssignmentWithMultipleGenerations2 (all subscriptions equal: ${equal})`, () => {
    const all = [topic, topic2, topic3]
    const c1Topics = equal ? all : [topic]
    const c3Topics = equal ? all : [topic, topic2]
    const p = new Map([[topic, 4], [topic2, 4], [topic3, 4]])
    let members = javaOrder([h.fresh(consumer1, c1Topics), h.fresh(consumer2, all), h.fresh(consumer3, c3Topics)])
    const r1 = assignor.assign(members, p)
    assert.deepEqual([...r1.values()].map((l) => l.length), [4, 4, 4])
    verifyValidityAndBalance(members, r1, p)

    members = [h.v2(consumer2, all, get(r1, consumer2), 1)]
    const r2 = assignor.assign(members, p)
    assert.equal(get(r2, consumer2).length, 12)
    for (const k of keys(get(r1, consumer2))) assert.ok(keys(get(r2, consumer2)).includes(k))

    members = javaOrder([
      h.v2(consumer1, c1Topics, get(r1, consumer1), 1),
      h.v2(consumer2, all, get(r2, consumer2), 2),
      h.v2(consumer3, c3Topics, get(r1, consumer3), 1),
    ])
    const r3 = assignor.assign(members, p)
    assert.deepEqual([...r3.values()].map((l) => l.length), [4, 4, 4])
    verifyValidityAndBalance(members, r3, p)
    assert.ok(isFullyBalanced(r3))
  })

  test(`testAssignmentWithConflictingPreviousGenerations (all subscriptions equal: ${equal})`, () => {
    const all = [topic, topic2, topic3]
    const c1Topics = equal ? all : [topic]
    const c2Topics = equal ? all : [topic, topic2]
    const p = new Map([[topic, 4], [topic2, 4], [topic3, 4]])
    const c1Had = equal
      ? [tp(topic, 0), tp(topic, 1), tp(topic, 2), tp(topic2, 2), tp(topic2, 3), tp(topic3, 0)]
      : [tp(topic, 0), tp(topic, 1), tp(topic, 2), tp(topic, 3)]
    const c2Had = [tp(topic, 0), tp(topic, 1), tp(topic2, 0), tp(topic2, 1), tp(topic2, 2), tp(topic2, 3)]
    const c3Had = [tp(topic, 2), tp(topic, 3), tp(topic3, 0), tp(topic3, 1), tp(topic3, 2), tp(topic3, 3)]
    const members = javaOrder([h.v2(consumer1, c1Topics, c1Had, 1), h.v2(consumer2, c2Topics, c2Had, 2), h.v2(consumer3, all, c3Had, 2)])
    const a = assignor.assign(members, p)
    assert.deepEqual([...a.values()].map((l) => l.length), [4, 4, 4])
    for (const k of keys(get(a, consumer2))) assert.ok(keys(c2Had).includes(k))
    for (const k of keys(get(a, consumer3))) assert.ok(keys(c3Had).includes(k))
    verifyValidityAndBalance(members, a, p)
  })
}

test('testSchemaBackwardCompatibility: a v0 userData (no generation) still counts', () => {
  const p = new Map([[topic, 3]])
  const members = javaOrder([
    h.v2(consumer1, [topic], [tp(topic, 0), tp(topic, 2)], 1),
    { ...h.fresh(consumer2, [topic]), userData: encodeStickyUserData([tp(topic, 1)]) },
    h.fresh(consumer3, [topic]),
  ])
  const a = assignor.assign(members, p)
  assert.deepEqual([...a.values()].map((l) => l.length), [1, 1, 1])
  assert.ok(['topic-0', 'topic-2'].includes(keys(get(a, consumer1))[0]!))
  assert.deepEqual(get(a, consumer2), [tp(topic, 1)])
  verifyValidityAndBalance(members, a, p)
})

test('testAssignorWithOldVersionSubscriptions', () => {
  const p = new Map([['topic1', 3]])
  const members = javaOrder([
    { ...h.fresh(consumer1, ['topic1']), userData: encodeStickyUserData([tp('topic1', 0)], 1) },
    h.v1(consumer2, ['topic1'], [tp('topic1', 1)], 1),
    h.v2(consumer3, ['topic1'], [], 1),
  ])
  const a = assignor.assign(members, p)
  assert.deepEqual(get(a, consumer1), [tp('topic1', 0)])
  assert.deepEqual(get(a, consumer2), [tp('topic1', 1)])
  assert.deepEqual(get(a, consumer3), [tp('topic1', 2)])
})

test('Javadoc example 1: a member leaves and every remaining partition stays put', () => {
  const topics = ['t0', 't1', 't2', 't3']
  const p = new Map(topics.map((t) => [t, 2]))
  const first = assignor.assign(['C0', 'C1', 'C2'].map((c) => h.fresh(c, topics)), p)
  assert.ok(isFullyBalanced(first))
  const members = ['C0', 'C2'].map((c) => h.v2(c, topics, get(first, c), 1))
  const second = assignor.assign(members, p)
  for (const c of ['C0', 'C2']) for (const k of keys(get(first, c))) assert.ok(keys(get(second, c)).includes(k))
  assert.deepEqual([get(second, 'C0').length, get(second, 'C2').length], [4, 4])
})

test('Javadoc example 2: uneven subscriptions, better balance than round robin, and stickier', () => {
  const p = new Map([['t0', 1], ['t1', 2], ['t2', 3]])
  const subs = { C0: ['t0'], C1: ['t0', 't1'], C2: ['t0', 't1', 't2'] }
  const first = assignor.assign(Object.entries(subs).map(([c, t]) => h.fresh(c, t)), p)
  assert.deepEqual(sortedKeys(get(first, 'C0')), ['t0-0'])
  assert.deepEqual(sortedKeys(get(first, 'C1')), ['t1-0', 't1-1'])
  assert.deepEqual(sortedKeys(get(first, 'C2')), ['t2-0', 't2-1', 't2-2'])
  const second = assignor.assign([h.v2('C1', subs.C1, get(first, 'C1'), 1), h.v2('C2', subs.C2, get(first, 'C2'), 1)], p)
  assert.deepEqual(sortedKeys(get(second, 'C1')), ['t0-0', 't1-0', 't1-1'])
  assert.deepEqual(sortedKeys(get(second, 'C2')), ['t2-0', 't2-1', 't2-2'])
})

test('performance: 1000 partitions x 100 members, fresh and after a member leaves and one joins', (t) => {
  const { partitions, members } = perfGroup(10, 100, 100)
  let start = performance.now()
  const first = assignor.assign(members, partitions)
  const fresh = performance.now() - start
  const next = members
    .filter((m) => m.memberId !== 'm000')
    .map((m) => h.v2(m.memberId, m.topics, first.get(m.memberId)!, 1))
  next.push(h.fresh('m100', members[0]!.topics))
  start = performance.now()
  const second = assignor.assign(next, partitions)
  const again = performance.now() - start
  t.diagnostic(`fresh ${fresh.toFixed(1)} ms, rebalance ${again.toFixed(1)} ms`)
  verifyValidityAndBalance(next, second, partitions)
  assert.ok(isFullyBalanced(second))
  let kept = 0
  for (const m of next) for (const k of keys(second.get(m.memberId)!)) if (keys(first.get(m.memberId) ?? []).includes(k)) kept++
  // Only the leaver's 10 partitions and the 10 the newcomer needs may move.
  assert.ok(kept >= 1000 - 20, `kept ${kept}`)
  assert.ok(fresh < 500 && again < 500, `too slow: ${fresh} / ${again} ms`)
})

test('performance: the general path (one member subscribes to a single topic)', (t) => {
  const { partitions, members } = perfGroup(10, 100, 100)
  members[99] = h.fresh(members[99]!.memberId, ['t0'])
  let start = performance.now()
  const first = assignor.assign(members, partitions)
  const fresh = performance.now() - start
  const next = members.map((m) => h.v2(m.memberId, m.topics, first.get(m.memberId)!, 1)).filter((m) => m.memberId !== 'm050')
  start = performance.now()
  const second = assignor.assign(next, partitions)
  const again = performance.now() - start
  t.diagnostic(`fresh ${fresh.toFixed(1)} ms, rebalance ${again.toFixed(1)} ms`)
  verifyValidityAndBalance(members, first, partitions)
  verifyValidityAndBalance(next, second, partitions)
  assert.ok(fresh < 1000 && again < 1000, `too slow: ${fresh} / ${again} ms`)
})

test('property: valid, balanced for equal subscriptions, stable, and sticky when a member leaves', () => {
  fc.assert(
    fc.property(groupArbitrary(h), ({ partitions, members, equal }) => {
      const a = assignor.assign(members, partitions)
      verifyValidityAndBalance(members, a, partitions)
      if (!equal) return
      assert.ok(isFullyBalanced(a))
      // Fed back as the previous assignment, a balanced result is kept as is.
      const again = members.map((m) => h.v2(m.memberId, m.topics, a.get(m.memberId)!, 10))
      const b = assignor.assign(again, partitions)
      for (const m of members) assert.deepEqual(sortedKeys(b.get(m.memberId)!), sortedKeys(a.get(m.memberId)!))
      if (members.length < 2) return
      const fewer = again.slice(1)
      const c = assignor.assign(fewer, partitions)
      assert.ok(isFullyBalanced(c))
      for (const m of fewer) for (const k of keys(a.get(m.memberId)!)) assert.ok(keys(c.get(m.memberId)!).includes(k))
    }),
    { numRuns: 300 },
  )
})
