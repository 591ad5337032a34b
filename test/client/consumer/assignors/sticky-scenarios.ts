/**
 * Kafka's AbstractStickyAssignorTest, non-rack cases, translated as scenarios and registered
 * once per assignor by sticky.test.ts and cooperative-sticky.test.ts. Where Kafka asserts an
 * exact outcome it is asserted here too; for the cooperative assignor the outcome is the one
 * after the follow-up rebalances (`settle`), as in Kafka's cooperative test.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { MemberSubscription } from '../../../../src/client/consumer/assignors/assignor.js'
import {
  consumerName,
  harness,
  isFullyBalanced,
  javaOrder,
  keys,
  seeded,
  sortedKeys,
  topicName,
  tp,
  transferring,
  type Assignment,
  type Kind,
  type Partitions,
} from './sticky-harness.js'

const topic = 'topic'
const topic1 = 'topic1'
const topic2 = 'topic2'
const topic3 = 'topic3'
const [consumer1, consumer2, consumer3, consumer4] = ['consumer1', 'consumer2', 'consumer3', 'consumer4']
const generationId = 1

const parts = (entries: Array<[string, number]>): Partitions => new Map(entries)
const get = (a: Assignment, id: string) => a.get(id)!
const countOf = (l: readonly { topic: string }[], t: string) => l.filter((p) => p.topic === t).length

export function stickyScenarios(kind: Kind): void {
  const h = harness(kind)
  const name = (s: string) => `${kind}: ${s}`
  const isCoop = kind === 'cooperative-sticky'

  test(name('testOneConsumerNoTopic'), () => {
    const members = [h.fresh('consumer', [])]
    const r = h.assign(members, parts([]))
    assert.deepEqual(r.assignment, new Map([['consumer', []]]))
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    assert.ok(isFullyBalanced(h.settle(members, r.assignment, parts([])).assignment))
  })

  test(name('testOneConsumerNonexistentTopic'), () => {
    const members = [h.fresh('consumer', [topic])]
    const r = h.assign(members, parts([[topic, 0]]))
    assert.deepEqual(r.assignment, new Map([['consumer', []]]))
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
  })

  test(name('testOneConsumerOneTopic'), () => {
    const r = h.assign([h.fresh('consumer', [topic])], parts([[topic, 3]]))
    assert.deepEqual(get(r.assignment, 'consumer'), [tp(topic, 0), tp(topic, 1), tp(topic, 2)])
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
  })

  test(name('testOnlyAssignsPartitionsFromSubscribedTopics'), () => {
    const owned = [tp(topic, 0), tp(topic, 1), tp('other', 0), tp('other', 1)]
    const members = [h.v2('consumer', [topic], owned, generationId)]
    const r = h.assign(members, parts([[topic, 2]]))
    assert.deepEqual(get(r.assignment, 'consumer'), [tp(topic, 0), tp(topic, 1)])
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
  })

  test(name('testOneConsumerMultipleTopics'), () => {
    const r = h.assign([h.fresh('consumer', [topic1, topic2])], parts([[topic1, 1], [topic2, 2]]))
    assert.deepEqual(get(r.assignment, 'consumer'), [tp(topic1, 0), tp(topic2, 0), tp(topic2, 1)])
  })

  test(name('testTwoConsumersOneTopicOnePartition'), () => {
    const members = [h.fresh(consumer1, [topic]), h.fresh(consumer2, [topic])]
    const r = h.assign(members, parts([[topic, 1]]))
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    assert.ok(isFullyBalanced(h.settle(members, r.assignment, parts([[topic, 1]])).assignment))
  })

  test(name('testTwoConsumersOneTopicTwoPartitions'), () => {
    const members = javaOrder([h.fresh(consumer1, [topic]), h.fresh(consumer2, [topic])])
    const r = h.assign(members, parts([[topic, 2]]))
    assert.deepEqual(get(r.assignment, consumer1), [tp(topic, 0)])
    assert.deepEqual(get(r.assignment, consumer2), [tp(topic, 1)])
  })

  test(name('testMultipleConsumersMixedTopicSubscriptions'), () => {
    const p = parts([[topic1, 3], [topic2, 2]])
    const members = javaOrder([h.fresh(consumer1, [topic1]), h.fresh(consumer2, [topic1, topic2]), h.fresh(consumer3, [topic1])])
    const r = h.assign(members, p)
    assert.deepEqual(get(r.assignment, consumer1), [tp(topic1, 0), tp(topic1, 2)])
    assert.deepEqual(get(r.assignment, consumer2), [tp(topic2, 0), tp(topic2, 1)])
    assert.deepEqual(get(r.assignment, consumer3), [tp(topic1, 1)])
    assert.equal(r.partitionsTransferringOwnership, null)
    assert.ok(isFullyBalanced(h.settle(members, r.assignment, p).assignment))
  })

  test(name('testTwoConsumersTwoTopicsSixPartitions'), () => {
    const members = javaOrder([h.fresh(consumer1, [topic1, topic2]), h.fresh(consumer2, [topic1, topic2])])
    const r = h.assign(members, parts([[topic1, 3], [topic2, 3]]))
    assert.deepEqual(get(r.assignment, consumer1), [tp(topic1, 0), tp(topic1, 2), tp(topic2, 1)])
    assert.deepEqual(get(r.assignment, consumer2), [tp(topic1, 1), tp(topic2, 0), tp(topic2, 2)])
  })

  test(name('testConsumerOwningMinQuotaExpectedMaxQuota'), () => {
    const p = parts([[topic1, 2], [topic2, 3]])
    const all = [topic1, topic2]
    const members = javaOrder([
      h.v2(consumer1, all, [tp(topic1, 0), tp(topic2, 1)], generationId),
      h.v2(consumer2, all, [tp(topic1, 1), tp(topic2, 2)], generationId),
    ])
    const r = h.assign(members, p)
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    const final = h.settle(members, r.assignment, p).assignment
    assert.deepEqual(get(final, consumer1), [tp(topic1, 0), tp(topic2, 1), tp(topic2, 0)])
    assert.deepEqual(get(final, consumer2), [tp(topic1, 1), tp(topic2, 2)])
  })

  test(name('testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers'), () => {
    const p = parts([[topic1, 2], [topic2, 2]])
    const all = [topic1, topic2]
    const members = javaOrder([
      h.v2(consumer1, all, [tp(topic1, 0), tp(topic2, 0)], generationId),
      h.v2(consumer2, all, [tp(topic1, 1), tp(topic2, 1)], generationId),
      h.v2(consumer3, all, [], generationId),
    ])
    const r = h.assign(members, p)
    assert.deepEqual(r.partitionsTransferringOwnership, transferring([[tp(topic2, 0), consumer3]]))
    const s = h.settle(members, r.assignment, p)
    assert.equal(s.rebalances, isCoop ? 1 : 0)
    assert.deepEqual(get(s.assignment, consumer1), [tp(topic1, 0)])
    assert.deepEqual(get(s.assignment, consumer2), [tp(topic1, 1), tp(topic2, 1)])
    assert.deepEqual(get(s.assignment, consumer3), [tp(topic2, 0)])
  })

  test(name('testAllConsumersAreUnderMinQuota'), () => {
    const p = parts([[topic1, 2], [topic2, 3]])
    const all = [topic1, topic2]
    const members = javaOrder([
      h.v2(consumer1, all, [tp(topic1, 0)], generationId),
      h.v2(consumer2, all, [tp(topic1, 1)], generationId),
      h.v2(consumer3, all, [], generationId),
    ])
    const r = h.assign(members, p)
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    const final = h.settle(members, r.assignment, p).assignment
    assert.deepEqual(get(final, consumer1), [tp(topic1, 0), tp(topic2, 1)])
    assert.deepEqual(get(final, consumer2), [tp(topic1, 1), tp(topic2, 2)])
    assert.deepEqual(get(final, consumer3), [tp(topic2, 0)])
  })

  test(name('testAddRemoveConsumerOneTopic'), () => {
    const p = parts([[topic, 3]])
    let r = h.assign([h.fresh(consumer1, [topic])], p)
    assert.deepEqual(get(r.assignment, consumer1), [tp(topic, 0), tp(topic, 1), tp(topic, 2)])

    let members = javaOrder([h.v2(consumer1, [topic], get(r.assignment, consumer1), generationId), h.v2(consumer2, [topic], [], generationId)])
    r = h.assign(members, p)
    assert.deepEqual(r.partitionsTransferringOwnership, transferring([[tp(topic, 2), consumer2]]))
    const s = h.settle(members, r.assignment, p)
    assert.deepEqual(get(s.assignment, consumer1), [tp(topic, 0), tp(topic, 1)])
    assert.deepEqual(get(s.assignment, consumer2), [tp(topic, 2)])

    members = [h.v2(consumer2, [topic], get(s.assignment, consumer2), generationId)]
    r = h.assign(members, p)
    assert.deepEqual(sortedKeys(get(r.assignment, consumer2)), ['topic-0', 'topic-1', 'topic-2'])
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
  })

  test(name('testTopicBalanceAfterReassignment'), () => {
    const all = [topic1, topic2]
    const p = parts([[topic1, 12], [topic2, 12]])
    const perTopic = (a: Assignment, n: number) => {
      for (const l of a.values()) assert.deepEqual([countOf(l, topic1), countOf(l, topic2)], [n, n])
    }
    let s = h.settle([h.fresh(consumer1, all)], h.assign([h.fresh(consumer1, all)], p).assignment, p)
    perTopic(s.assignment, 12)

    let members = javaOrder([h.v2(consumer1, all, get(s.assignment, consumer1), generationId), h.v2(consumer2, all, [], generationId)])
    s = h.settle(members, h.assign(members, p).assignment, p)
    perTopic(s.assignment, 6)

    members = javaOrder([
      h.v2(consumer1, all, get(s.assignment, consumer1), generationId),
      h.v2(consumer2, all, get(s.assignment, consumer2), generationId),
      h.v2(consumer3, all, [], generationId),
      h.v2(consumer4, all, [], generationId),
    ])
    s = h.settle(members, h.assign(members, p).assignment, p)
    perTopic(s.assignment, 3)

    members = javaOrder([h.v2(consumer3, all, get(s.assignment, consumer3), generationId), h.v2(consumer4, all, get(s.assignment, consumer4), generationId)])
    const r = h.assign(members, p)
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    perTopic(h.settle(members, r.assignment, p).assignment, 6)
  })

  test(name('testAddRemoveTwoConsumersTwoTopics'), () => {
    const all = [topic1, topic2]
    const p = parts([[topic1, 3], [topic2, 4]])
    let members = javaOrder([h.fresh(consumer1, all), h.fresh(consumer2, all)])
    let r = h.assign(members, p)
    assert.deepEqual(get(r.assignment, consumer1), [tp(topic1, 0), tp(topic1, 2), tp(topic2, 1), tp(topic2, 3)])
    assert.deepEqual(get(r.assignment, consumer2), [tp(topic1, 1), tp(topic2, 0), tp(topic2, 2)])

    members = javaOrder([
      h.v2(consumer1, all, get(r.assignment, consumer1), generationId),
      h.v2(consumer2, all, get(r.assignment, consumer2), generationId),
      h.v2(consumer3, all, [], generationId),
      h.v2(consumer4, all, [], generationId),
    ])
    r = h.assign(members, p)
    assert.deepEqual(
      r.partitionsTransferringOwnership,
      transferring([[tp(topic1, 2), consumer3], [tp(topic2, 3), consumer3], [tp(topic2, 2), consumer4]]),
    )
    const s = h.settle(members, r.assignment, p)
    assert.deepEqual(get(s.assignment, consumer1), [tp(topic1, 0), tp(topic2, 1)])
    assert.deepEqual(get(s.assignment, consumer2), [tp(topic2, 0), tp(topic1, 1)])
    assert.deepEqual(get(s.assignment, consumer3), [tp(topic1, 2), tp(topic2, 3)])
    assert.deepEqual(get(s.assignment, consumer4), [tp(topic2, 2)])

    members = javaOrder([h.v2(consumer3, all, get(s.assignment, consumer3), generationId), h.v2(consumer4, all, get(s.assignment, consumer4), generationId)])
    r = h.assign(members, p)
    assert.deepEqual(get(r.assignment, consumer3), [tp(topic1, 2), tp(topic2, 3), tp(topic1, 0), tp(topic2, 1)])
    assert.deepEqual(get(r.assignment, consumer4), [tp(topic2, 2), tp(topic1, 1), tp(topic2, 0)])
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
  })

  test(name('testPoorRoundRobinAssignmentScenario'), () => {
    const p = parts([1, 2, 3, 4, 5].map((i) => [`topic${i}`, (i % 2) + 1]))
    const five = ['topic1', 'topic2', 'topic3', 'topic4', 'topic5']
    const three = ['topic1', 'topic3', 'topic5']
    const members = [h.fresh('consumer1', five), h.fresh('consumer2', three), h.fresh('consumer3', three), h.fresh('consumer4', five)]
    h.settle(members, h.assign(members, p).assignment, p)
  })

  test(name('testAddRemoveTopicTwoConsumers'), () => {
    const p = parts([[topic, 3]])
    let members = [h.fresh(consumer1, [topic]), h.fresh(consumer2, [topic])]
    const first = h.settle(members, h.assign(members, p).assignment, p).assignment
    const c1a = get(first, consumer1)
    const c2a = get(first, consumer2)
    assert.deepEqual([c1a.length, c2a.length].sort(), [1, 2])

    p.set(topic2, 3)
    members = [h.v2(consumer1, [topic, topic2], c1a, generationId), h.v2(consumer2, [topic, topic2], c2a, generationId)]
    let r = h.assign(members, p)
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    const second = h.settle(members, r.assignment, p).assignment
    const [c1b, c2b] = [get(second, consumer1), get(second, consumer2)]
    assert.deepEqual([c1b.length, c2b.length], [3, 3])
    for (const k of keys(c1a)) assert.ok(keys(c1b).includes(k))
    for (const k of keys(c2a)) assert.ok(keys(c2b).includes(k))

    p.delete(topic)
    members = [h.v2(consumer1, [topic2], c1b, generationId), h.v2(consumer2, [topic2], c2b, generationId)]
    r = h.assign(members, p)
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    const third = h.settle(members, r.assignment, p).assignment
    const [c1c, c2c] = [get(third, consumer1), get(third, consumer2)]
    assert.deepEqual([c1c.length, c2c.length].sort(), [1, 2])
    for (const k of keys(c1c)) assert.ok(keys(c1b).includes(k))
    for (const k of keys(c2c)) assert.ok(keys(c2b).includes(k))
  })

  test(name('testReassignmentAfterOneConsumerLeaves'), () => {
    const p = parts(Array.from({ length: 19 }, (_, i) => [topicName(i + 1, 20), i + 1]))
    let members = Array.from({ length: 19 }, (_, i) =>
      h.fresh(consumerName(i + 1, 20), Array.from({ length: i + 1 }, (_, j) => topicName(j + 1, 20))),
    )
    const s = h.settle(members, h.assign(members, p).assignment, p)
    members = s.members.filter((m) => m.memberId !== 'c10').map((m) => h.v2(m.memberId, m.topics, get(s.assignment, m.memberId), generationId))
    const r = h.assign(members, p)
    h.settle(members, r.assignment, p)
    assert.ok(r.isSticky())
  })

  test(name('testReassignmentAfterOneConsumerAdded'), () => {
    const p = parts([['topic', 20]])
    const members = Array.from({ length: 9 }, (_, i) => h.fresh(consumerName(i + 1, 10), ['topic']))
    let r = h.assign(members, p)
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    h.settle(members, r.assignment, p)
    members.push(h.fresh(consumerName(10, 10), ['topic']))
    r = h.assign(members, p)
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    h.settle(members, r.assignment, p)
  })

  test(name('testSameSubscriptions'), () => {
    const p = parts(Array.from({ length: 14 }, (_, i) => [topicName(i + 1, 15), i + 1]))
    const all = [...p.keys()]
    let members = Array.from({ length: 8 }, (_, i) => h.fresh(consumerName(i + 1, 9), all))
    let r = h.assign(members, p)
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    const s = h.settle(members, r.assignment, p)
    members = s.members.filter((m) => m.memberId !== consumerName(5, 9)).map((m) => h.v2(m.memberId, all, get(s.assignment, m.memberId), generationId))
    r = h.assign(members, p)
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    h.settle(members, r.assignment, p)
  })

  test(name('testSubscriptionNotEqualAndAssignSamePartitionWith3Generation'), () => {
    const p = parts([[topic, 6], [topic1, 1]])
    for (const [g1, g2, g3] of [[1, 2, 3], [1, 3, 2], [2, 1, 3], [2, 3, 1], [3, 1, 2], [3, 2, 1]] as const) {
      const members = javaOrder([
        h.v2(consumer1, [topic], [tp(topic, 0), tp(topic, 2)], g1),
        h.v2(consumer2, [topic], [tp(topic, 1), tp(topic, 2), tp(topic, 3)], g2),
        h.v2(consumer3, [topic], [tp(topic, 2), tp(topic, 4), tp(topic, 5)], g3),
        h.v2(consumer4, [topic1], [tp(topic1, 0)], 2),
      ])
      const a = h.assign(members, p).assignment
      const all = [...a.values()].flat()
      assert.equal(new Set(keys(all)).size, all.length)
      for (const l of a.values()) assert.ok(l.length >= 1 && l.length <= 2, `sizes ${[...a.values()].map((x) => x.length)}`)
    }
  })

  test(name('testNewSubscription'), () => {
    const p = parts([1, 2, 3, 4].map((i) => [topicName(i, 5), 1]))
    const members = [0, 1, 2].map((i) => {
      const topics: string[] = []
      for (let j = i; j <= 3 * i - 2; j++) topics.push(topicName(j, 5))
      return h.fresh(consumerName(i, 3), topics)
    })
    h.settle(members, h.assign(members, p).assignment, p)
    members[0] = h.fresh(members[0]!.memberId, [...members[0]!.topics, topicName(1, 5)])
    const r = h.assign(members, p)
    h.settle(members, r.assignment, p)
    assert.ok(r.isSticky())
  })

  test(name('testMoveExistingAssignments'), () => {
    const p = parts([1, 2, 3, 4, 5, 6].map((i) => [`topic${i}`, 1]))
    const members = javaOrder([
      h.v2(consumer1, ['topic1', 'topic2'], [tp('topic1', 0)], generationId),
      h.v2(consumer2, ['topic1', 'topic2', 'topic3', 'topic4'], [tp('topic2', 0), tp('topic3', 0)], generationId),
      h.v2(consumer3, ['topic2', 'topic3', 'topic4', 'topic5', 'topic6'], [tp('topic4', 0), tp('topic5', 0), tp('topic6', 0)], generationId),
    ])
    const r = h.assign(members, p)
    assert.equal(r.partitionsTransferringOwnership, null)
    h.settle(members, r.assignment, p)
  })

  test(name('testStickiness'), () => {
    const p = parts([[topic1, 3]])
    let members = javaOrder([consumer1, consumer2, consumer3, consumer4].map((c) => h.fresh(c, [topic1])))
    let r = h.assign(members, p)
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    const s = h.settle(members, r.assignment, p)
    for (const l of s.assignment.values()) assert.ok(l.length <= 1)

    // The potential group leader (first member id) leaves.
    members = javaOrder([consumer2, consumer3, consumer4].map((c) => h.v2(c, [topic1], get(s.assignment, c), generationId)))
    r = h.assign(members, p)
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    const after = h.settle(members, r.assignment, p).assignment
    for (const c of [consumer2, consumer3, consumer4]) {
      assert.equal(get(after, c).length, 1)
      for (const k of keys(get(s.assignment, c))) assert.deepEqual(keys(get(after, c)), [k], `stickiness for ${c}`)
    }
  })

  test(name('testAssignmentUpdatedForDeletedTopic'), () => {
    const r = h.assign([h.fresh('consumer', [topic1, topic2, topic3])], parts([[topic1, 1], [topic3, 100]]))
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    assert.equal(get(r.assignment, 'consumer').length, 101)
  })

  test(name('testNoExceptionThrownWhenOnlySubscribedTopicDeleted'), () => {
    const first = h.assign([h.fresh('consumer', [topic])], parts([[topic, 3]])).assignment
    const r = h.assign([h.v2('consumer', [topic], get(first, 'consumer'), generationId)], parts([]))
    assert.deepEqual(r.assignment, new Map([['consumer', []]]))
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
  })

  test(name('testReassignmentWithRandomSubscriptionsAndChanges (seeded, 30 rounds)'), () => {
    const rand = seeded(20240611)
    const int = (n: number) => Math.floor(rand() * n)
    const sublist = (list: string[]) => {
      const out = [...list]
      for (let k = int(list.length); k > 0; k--) out.splice(int(out.length), 1)
      return out.sort()
    }
    for (let round = 1; round <= 30; round++) {
      const numTopics = 10 + int(10)
      const topics = Array.from({ length: numTopics }, (_, i) => topicName(i, 20))
      const p = parts(topics.map((t, i) => [t, i + 1]))
      const numConsumers = 20 + int(20)
      let members = Array.from({ length: numConsumers }, (_, i) => h.fresh(consumerName(i, 40), sublist(topics)))
      const s = h.settle(members, h.assign(members, p).assignment, p)
      members = s.members.map((m) => h.v2(m.memberId, sublist(topics), get(s.assignment, m.memberId), generationId))
      const r = h.assign(members, p)
      h.settle(members, r.assignment, p)
      assert.ok(r.isSticky(), `round ${round}`)
    }
  })

  test(name('testLargeAssignmentWithMultipleConsumersLeavingAndRandomSubscription (seeded)'), () => {
    const rand = seeded(7)
    const int = (n: number) => Math.floor(rand() * n)
    const p = parts(Array.from({ length: 40 }, (_, i) => [topicName(i, 40), int(10) + 1]))
    let members = Array.from({ length: 200 }, (_, i) => {
      const topics: string[] = []
      for (let j = 0; j < int(20); j++) topics.push(topicName(int(40), 40))
      return h.fresh(consumerName(i, 200), topics)
    })
    const s = h.settle(members, h.assign(members, p).assignment, p)
    members = s.members.map((m) => h.v2(m.memberId, m.topics, get(s.assignment, m.memberId), generationId))
    for (let i = 0; i < 50; i++) {
      const gone = consumerName(int(200), 200)
      members = members.filter((m) => m.memberId !== gone)
    }
    const r = h.assign(members, p)
    h.settle(members, r.assignment, p)
    assert.ok(r.isSticky())
  })

  // Kafka's large-group tests: 1M partitions there (the rack-aware variants use 50 topics, as
  // here); the point is that neither path degrades badly with size. Consumer 0 keeps its fresh
  // subscription in the second round, as in Kafka.
  for (const [label, lastGetsOneTopic] of [
    ['testLargeAssignmentAndGroupWithUniformSubscription (50 x 2000 partitions, 2000 members)', false],
    ['testLargeAssignmentAndGroupWithNonEqualSubscription (50 x 2000 partitions, 2000 members)', true],
  ] as const) {
    test(name(label), () => {
      const topics = Array.from({ length: 50 }, (_, i) => topicName(i, 50))
      const p = parts(topics.map((t) => [t, 2000]))
      const topicsOf = (i: number) => (lastGetsOneTopic && i === 1999 ? topics.slice(0, 1) : topics)
      let members = Array.from({ length: 2000 }, (_, i) => h.fresh(consumerName(i, 2000), topicsOf(i)))
      const first = h.assign(members, p).assignment
      members = members.map((m, i) => (i === 0 ? m : h.v2(m.memberId, m.topics, get(first, m.memberId), generationId)))
      h.settle(members, h.assign(members, p).assignment, p)
    })
  }

  test(name('testAssignmentAndGroupWithNonEqualSubscriptionNotTimeout (100 x 200 partitions, 500 members)'), () => {
    const topics = Array.from({ length: 100 }, (_, i) => topicName(i, 100))
    const p = parts(topics.map((t) => [t, 200]))
    const topicsOf = (i: number) => (i % 4 === 0 ? topics.slice(0, 50) : topics.slice(50))
    let members = Array.from({ length: 500 }, (_, i) => h.fresh(consumerName(i, 500), topicsOf(i)))
    const first = h.assign(members, p).assignment
    members = members.map((m, i) => (i === 0 ? m : h.v2(m.memberId, m.topics, get(first, m.memberId), generationId)))
    h.settle(members, h.assign(members, p).assignment, p)
  })

  test(name('testAllConsumersReachExpectedQuotaAndAreConsideredFilled'), () => {
    const members = javaOrder([
      h.v2(consumer1, [topic], [tp(topic, 0), tp(topic, 1)], generationId),
      h.v2(consumer2, [topic], [tp(topic, 2)], generationId),
      h.v2(consumer3, [topic], [], generationId),
    ])
    const r = h.assign(members, parts([[topic, 4]]))
    assert.deepEqual(get(r.assignment, consumer1), [tp(topic, 0), tp(topic, 1)])
    assert.deepEqual(get(r.assignment, consumer2), [tp(topic, 2)])
    assert.deepEqual(get(r.assignment, consumer3), [tp(topic, 3)])
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
  })

  for (const [label, staleGeneration] of [
    ['testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration', 9],
    ['testOwnedPartitionsAreInvalidatedForConsumerWithNoGeneration', -1],
  ] as const) {
    test(name(label), () => {
      const p = parts([[topic, 3], [topic2, 3]])
      const claimed = [tp(topic, 0), tp(topic, 2), tp(topic2, 1)]
      const members = javaOrder([h.v2(consumer1, [topic, topic2], claimed, 10), h.v2(consumer2, [topic, topic2], claimed, staleGeneration)])
      const r = h.assign(members, p)
      assert.deepEqual(sortedKeys(get(r.assignment, consumer1)), ['topic-0', 'topic-2', 'topic2-1'])
      assert.deepEqual(sortedKeys(get(r.assignment, consumer2)), ['topic-1', 'topic2-0', 'topic2-2'])
      assert.deepEqual(r.partitionsTransferringOwnership, new Map())
      h.settle(members, r.assignment, p)
    })
  }

  test(name('testPartitionsTransferringOwnershipIncludeThePartitionClaimedByMultipleConsumersInSameGeneration'), () => {
    const p = parts([[topic, 3]])
    const members = javaOrder([
      h.v2(consumer1, [topic], [tp(topic, 0), tp(topic, 1)], generationId),
      h.v2(consumer2, [topic], [tp(topic, 0), tp(topic, 2)], generationId),
      h.v2(consumer3, [topic], [], generationId),
    ])
    const r = h.assign(members, p)
    assert.deepEqual(r.partitionsTransferringOwnership, transferring([[tp(topic, 0), consumer3]]))
    const final = h.settle(members, r.assignment, p).assignment
    assert.deepEqual(get(final, consumer1), [tp(topic, 1)])
    assert.deepEqual(get(final, consumer2), [tp(topic, 2)])
    assert.deepEqual(get(final, consumer3), [tp(topic, 0)])
  })

  test(name('testEnsurePartitionsAssignedToHighestGeneration'), () => {
    const all = [topic, topic2, topic3]
    const p = parts([[topic, 3], [topic2, 3], [topic3, 3]])
    const members = javaOrder([
      h.v2(consumer1, all, [tp(topic, 0), tp(topic2, 0), tp(topic3, 0)], 10),
      h.v2(consumer2, all, [tp(topic, 1), tp(topic2, 1), tp(topic3, 1)], 9),
      h.v2(consumer3, all, [tp(topic2, 1), tp(topic3, 0), tp(topic3, 2)], 8),
    ])
    const r = h.assign(members, p)
    assert.deepEqual(sortedKeys(get(r.assignment, consumer1)), ['topic-0', 'topic2-0', 'topic3-0'])
    assert.deepEqual(sortedKeys(get(r.assignment, consumer2)), ['topic-1', 'topic2-1', 'topic3-1'])
    assert.deepEqual(sortedKeys(get(r.assignment, consumer3)), ['topic-2', 'topic2-2', 'topic3-2'])
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    h.settle(members, r.assignment, p)
  })

  test(name('testNoReassignmentOnCurrentMembers'), () => {
    const all = [topic, topic2, topic3, topic1]
    const p = parts([[topic, 3], [topic1, 3], [topic2, 3], [topic3, 3]])
    const members = javaOrder([
      h.v2(consumer1, all, [], -1),
      h.v2(consumer2, all, [tp(topic, 0), tp(topic2, 0), tp(topic1, 0)], 9),
      h.v2(consumer3, all, [tp(topic3, 2), tp(topic2, 2), tp(topic1, 1)], 8),
      h.v2(consumer4, all, [tp(topic3, 1), tp(topic, 1), tp(topic, 2)], 7),
    ])
    const r = h.assign(members, p)
    assert.deepEqual(sortedKeys(get(r.assignment, consumer1)), ['topic1-2', 'topic2-1', 'topic3-0'])
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    h.settle(members, r.assignment, p)
  })

  test(name('testOwnedPartitionsAreInvalidatedForConsumerWithMultipleGeneration'), () => {
    const p = parts([[topic, 3], [topic2, 3]])
    const members = javaOrder([
      h.v2(consumer1, [topic, topic2], [tp(topic, 0), tp(topic2, 1), tp(topic, 1)], 10),
      h.v2(consumer2, [topic, topic2], [tp(topic, 0), tp(topic2, 1), tp(topic2, 2)], 8),
    ])
    const r = h.assign(members, p)
    assert.deepEqual(sortedKeys(get(r.assignment, consumer1)), ['topic-0', 'topic-1', 'topic2-1'])
    assert.deepEqual(sortedKeys(get(r.assignment, consumer2)), ['topic-2', 'topic2-0', 'topic2-2'])
    assert.deepEqual(r.partitionsTransferringOwnership, new Map())
    h.settle(members, r.assignment, p)
  })

  // The rack-aware tests' reference outcomes without racks (Kafka's verifyRackAssignment with
  // null racks, or racks on every replica): members consumer0..2, owned partitions in the
  // subscription, no userData and no generation, visited in HashMap(3) order.
  const rackTestMembers = (topics: string[][], owned: string[] | null): MemberSubscription[] =>
    javaOrder(
      topics.map((t, i) => ({ ...h.fresh(`consumer${i}`, t), ownedPartitions: owned ? parse(owned[i]!) : [] })),
      4,
    )
  const outcome = (a: Assignment) => [0, 1, 2].map((i) => sortedKeys(get(a, `consumer${i}`)).join(', '))
  const p3 = () => parts([['t1', 6], ['t2', 7], ['t3', 2]])
  const allT = ['t1', 't2', 't3']

  test(name('testRackAwareAssignmentWithUniformSubscription (without racks)'), () => {
    const expected = ['t1-0, t1-3, t2-0, t2-3, t2-6', 't1-1, t1-4, t2-1, t2-4, t3-0', 't1-2, t1-5, t2-2, t2-5, t3-1']
    for (const owned of [null, expected]) {
      assert.deepEqual(outcome(h.assign(rackTestMembers([allT, allT, allT], owned), p3()).assignment), expected)
    }
  })

  test(name('testRackAwareAssignmentWithNonEqualSubscription (without racks)'), () => {
    const topics = [allT, allT, ['t1', 't3']]
    const expected = ['t1-5, t2-0, t2-2, t2-4, t2-6', 't1-3, t2-1, t2-3, t2-5, t3-0', 't1-0, t1-1, t1-2, t1-4, t3-1']
    for (const owned of [null, expected]) {
      assert.deepEqual(outcome(h.assign(rackTestMembers(topics, owned), p3()).assignment), expected)
    }
    const owned = ['t1-0, t1-1, t1-2, t1-3, t1-4', 't1-5, t2-0, t2-1, t2-2, t2-3', 't2-4, t2-5, t2-6, t3-0, t3-1']
    if (!isCoop) {
      // The eager assignor reads previous partitions from userData only; there is none here.
      assert.deepEqual(outcome(h.assign(rackTestMembers(topics, owned), p3()).assignment), expected)
    } else {
      const intermediate = ['t1-2, t1-3, t1-4', 't2-0, t2-1, t2-2, t2-3', 't3-0, t3-1']
      assert.deepEqual(outcome(h.assign(rackTestMembers(topics, owned), p3()).assignment), intermediate)
      assert.deepEqual(outcome(h.assign(rackTestMembers(topics, intermediate), p3()).assignment), [
        't1-2, t1-3, t1-4, t2-4, t2-5',
        't2-0, t2-1, t2-2, t2-3, t2-6',
        't1-0, t1-1, t1-5, t3-0, t3-1',
      ])
    }
  })

  test(name('a member with no subscription gets nothing, even when visited first'), () => {
    const p = parts([[topic, 4]])
    const members = [h.fresh('a-empty', []), h.fresh('b', [topic]), h.fresh('c', [topic])]
    const r = h.assign(members, p)
    assert.deepEqual(get(r.assignment, 'a-empty'), [])
    h.settle(members, r.assignment, p)
  })

  test(name('claims of partitions that do not exist are ignored'), () => {
    const p = parts([[topic, 2]])
    const members = [h.v2(consumer1, [topic], [tp(topic, 5), tp(topic, -1), tp(topic, 0)], 3), h.v2(consumer2, [topic], [], 3)]
    const r = h.assign(members, p)
    assert.deepEqual(get(r.assignment, consumer1), [tp(topic, 0)])
    assert.deepEqual(get(r.assignment, consumer2), [tp(topic, 1)])
  })
}

function parse(s: string) {
  return s.split(', ').map((x) => tp(x.slice(0, x.lastIndexOf('-')), Number(x.slice(x.lastIndexOf('-') + 1))))
}
