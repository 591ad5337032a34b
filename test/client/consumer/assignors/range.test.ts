import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TopicPartition } from '../../../../src/client/base/types.js'
import type { MemberSubscription } from '../../../../src/client/consumer/assignors/assignor.js'
import { RangeAssignor } from '../../../../src/client/consumer/assignors/range.js'
import { assignorByName } from '../../../../src/client/consumer/assignors/index.js'

// Scenarios translated from Kafka's RangeAssignorTest (the non-rack-aware ones).

const assignor = new RangeAssignor()
const tp = (topic: string, partition: number): TopicPartition => ({ topic, partition })
const topic1 = 'topic1'
const topic2 = 'topic2'

function member(memberId: string, topics: string[], groupInstanceId: string | null = null): MemberSubscription {
  return { memberId, groupInstanceId, topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null }
}

/** Order does not matter for range (Kafka's assertAssignment compares sets). */
function assertSame(actual: TopicPartition[] | undefined, expected: TopicPartition[]): void {
  const key = (l: TopicPartition[]) => l.map((p) => `${p.topic}-${p.partition}`).sort()
  assert.ok(actual, 'member missing from the assignment')
  assert.deepEqual(key(actual), key(expected))
}

const twoTopics = (n1: number, n2: number) => new Map([[topic1, n1], [topic2, n2]])

test('name and protocols match Kafka', () => {
  assert.equal(assignor.name, 'range')
  assert.deepEqual(assignor.supportedProtocols, ['EAGER'])
  assert.ok(assignorByName('range') instanceof RangeAssignor)
})

test('testOneConsumerNoTopic', () => {
  const a = assignor.assign([member('consumer1', [])], new Map())
  assert.deepEqual([...a.keys()], ['consumer1'])
  assert.deepEqual(a.get('consumer1'), [])
})

test('testOneConsumerNonexistentTopic', () => {
  const a = assignor.assign([member('consumer1', [topic1])], new Map())
  assert.deepEqual([...a.keys()], ['consumer1'])
  assert.deepEqual(a.get('consumer1'), [])
})

test('testOneConsumerOneTopic', () => {
  const a = assignor.assign([member('consumer1', [topic1])], new Map([[topic1, 3]]))
  assertSame(a.get('consumer1'), [tp(topic1, 0), tp(topic1, 1), tp(topic1, 2)])
})

test('testOnlyAssignsPartitionsFromSubscribedTopics', () => {
  const a = assignor.assign([member('consumer1', [topic1])], new Map([[topic1, 3], ['other', 3]]))
  assertSame(a.get('consumer1'), [tp(topic1, 0), tp(topic1, 1), tp(topic1, 2)])
})

test('testOneConsumerMultipleTopics', () => {
  const a = assignor.assign([member('consumer1', [topic1, topic2])], twoTopics(1, 2))
  assertSame(a.get('consumer1'), [tp(topic1, 0), tp(topic2, 0), tp(topic2, 1)])
})

test('testTwoConsumersOneTopicOnePartition', () => {
  const a = assignor.assign([member('consumer1', [topic1]), member('consumer2', [topic1])], new Map([[topic1, 1]]))
  assertSame(a.get('consumer1'), [tp(topic1, 0)])
  assertSame(a.get('consumer2'), [])
})

test('testTwoConsumersOneTopicTwoPartitions', () => {
  const a = assignor.assign([member('consumer1', [topic1]), member('consumer2', [topic1])], new Map([[topic1, 2]]))
  assertSame(a.get('consumer1'), [tp(topic1, 0)])
  assertSame(a.get('consumer2'), [tp(topic1, 1)])
})

test('testMultipleConsumersMixedTopics', () => {
  const a = assignor.assign(
    [member('consumer1', [topic1]), member('consumer2', [topic1, topic2]), member('consumer3', [topic1])],
    twoTopics(3, 2),
  )
  assertSame(a.get('consumer1'), [tp(topic1, 0)])
  assertSame(a.get('consumer2'), [tp(topic1, 1), tp(topic2, 0), tp(topic2, 1)])
  assertSame(a.get('consumer3'), [tp(topic1, 2)])
})

test('testTwoConsumersTwoTopicsSixPartitions (the Javadoc example)', () => {
  // Member order in the input does not matter: members are sorted.
  const a = assignor.assign([member('consumer2', [topic1, topic2]), member('consumer1', [topic1, topic2])], twoTopics(3, 3))
  assertSame(a.get('consumer1'), [tp(topic1, 0), tp(topic1, 1), tp(topic2, 0), tp(topic2, 1)])
  assertSame(a.get('consumer2'), [tp(topic1, 2), tp(topic2, 2)])
})

test('testTwoStaticConsumersTwoTopicsSixPartitions: static members are ordered by instance id', () => {
  // consumer-a sorts first by member id, but consumer-b has the lower instance id.
  const a = assignor.assign(
    [member('consumer-b', [topic1, topic2], 'instance1'), member('consumer-a', [topic1, topic2], 'instance2')],
    twoTopics(3, 3),
  )
  assertSame(a.get('consumer-b'), [tp(topic1, 0), tp(topic1, 1), tp(topic2, 0), tp(topic2, 1)])
  assertSame(a.get('consumer-a'), [tp(topic1, 2), tp(topic2, 2)])
})

test('testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions: static members come first', () => {
  const a = assignor.assign(
    [member('consumer-b', [topic1, topic2], 'instance1'), member('consumer-a', [topic1, topic2])],
    twoTopics(3, 3),
  )
  assertSame(a.get('consumer-b'), [tp(topic1, 0), tp(topic1, 1), tp(topic2, 0), tp(topic2, 1)])
  assertSame(a.get('consumer-a'), [tp(topic1, 2), tp(topic2, 2)])
})

test('testStaticMemberRangeAssignmentPersistent: replacing a dynamic member leaves static ones alone', () => {
  const statics = [member('consumer1', [topic1, topic2], 'instance1'), member('consumer2', [topic1, topic2], 'instance2'), member('consumer3', [topic1, topic2], 'instance3')]
  const expected = new Map([
    ['consumer1', [tp(topic1, 0), tp(topic1, 1), tp(topic2, 0)]],
    ['consumer2', [tp(topic1, 2), tp(topic2, 1)]],
    ['consumer3', [tp(topic1, 3), tp(topic2, 2)]],
  ])
  let a = assignor.assign([...statics, member('consumer4', [topic1, topic2])], twoTopics(5, 4))
  for (const [id, parts] of expected) assertSame(a.get(id), parts)
  assertSame(a.get('consumer4'), [tp(topic1, 4), tp(topic2, 3)])

  a = assignor.assign([...statics, member('consumer5', [topic1, topic2])], twoTopics(5, 4))
  for (const [id, parts] of expected) assertSame(a.get(id), parts)
  assertSame(a.get('consumer5'), [tp(topic1, 4), tp(topic2, 3)])
  assert.equal(a.has('consumer4'), false)
})

test('testStaticMemberRangeAssignmentPersistentAfterMemberIdChanges', () => {
  const byInstance = (members: MemberSubscription[]) => {
    const a = assignor.assign(members, twoTopics(5, 5))
    return new Map(members.map((m) => [m.groupInstanceId!, a.get(m.memberId)!]))
  }
  const first = byInstance([
    member('consumer1', [topic1, topic2], 'instance1'),
    member('consumer2', [topic1, topic2], 'instance2'),
    member('consumer3', [topic1, topic2], 'instance3'),
  ])
  assertSame(first.get('instance1'), [tp(topic1, 0), tp(topic1, 1), tp(topic2, 0), tp(topic2, 1)])
  assertSame(first.get('instance2'), [tp(topic1, 2), tp(topic1, 3), tp(topic2, 2), tp(topic2, 3)])
  assertSame(first.get('instance3'), [tp(topic1, 4), tp(topic2, 4)])

  // The same instances rejoin with new member ids (consumer5 > consumer1 even as a string).
  const second = byInstance([
    member('consumer1', [topic1, topic2], 'instance1'),
    member('consumer5', [topic1, topic2], 'instance2'),
    member('consumer4', [topic1, topic2], 'instance3'),
  ])
  assert.deepEqual(second, first)
})

test('a topic listed twice in a subscription counts once', () => {
  const a = assignor.assign([member('c1', [topic1, topic1]), member('c2', [topic1])], new Map([[topic1, 4]]))
  assertSame(a.get('c1'), [tp(topic1, 0), tp(topic1, 1)])
  assertSame(a.get('c2'), [tp(topic1, 2), tp(topic1, 3)])
})
