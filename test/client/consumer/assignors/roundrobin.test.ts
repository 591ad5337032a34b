import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TopicPartition } from '../../../../src/client/base/types.js'
import type { MemberSubscription } from '../../../../src/client/consumer/assignors/assignor.js'
import { RoundRobinAssignor } from '../../../../src/client/consumer/assignors/roundrobin.js'
import { assignorByName } from '../../../../src/client/consumer/assignors/index.js'

// Scenarios translated from Kafka's RoundRobinAssignorTest; like Kafka's, they compare lists
// in order (the order partitions were dealt).

const assignor = new RoundRobinAssignor()
const tp = (topic: string, partition: number): TopicPartition => ({ topic, partition })
const topic1 = 'topic1'
const topic2 = 'topic2'

function member(memberId: string, topics: string[], groupInstanceId: string | null = null): MemberSubscription {
  return { memberId, groupInstanceId, topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null }
}

const twoTopics = (n1: number, n2: number) => new Map([[topic1, n1], [topic2, n2]])

test('name and protocols match Kafka', () => {
  assert.equal(assignor.name, 'roundrobin')
  assert.deepEqual(assignor.supportedProtocols, ['EAGER'])
  assert.ok(assignorByName('roundrobin') instanceof RoundRobinAssignor)
  assert.equal(assignorByName('RoundRobinAssigner'), undefined)
})

test('testOneConsumerNoTopic', () => {
  const a = assignor.assign([member('consumer', [])], new Map())
  assert.deepEqual(a, new Map([['consumer', []]]))
})

test('testOneConsumerNonexistentTopic', () => {
  const a = assignor.assign([member('consumer', ['topic'])], new Map())
  assert.deepEqual(a, new Map([['consumer', []]]))
})

test('testOneConsumerOneTopic', () => {
  const a = assignor.assign([member('consumer', ['topic'])], new Map([['topic', 3]]))
  assert.deepEqual(a.get('consumer'), [tp('topic', 0), tp('topic', 1), tp('topic', 2)])
})

test('testOnlyAssignsPartitionsFromSubscribedTopics', () => {
  const a = assignor.assign([member('consumer', ['topic'])], new Map([['topic', 3], ['other', 3]]))
  assert.deepEqual(a.get('consumer'), [tp('topic', 0), tp('topic', 1), tp('topic', 2)])
})

test('testOneConsumerMultipleTopics', () => {
  const a = assignor.assign([member('consumer', [topic1, topic2])], twoTopics(1, 2))
  assert.deepEqual(a.get('consumer'), [tp(topic1, 0), tp(topic2, 0), tp(topic2, 1)])
})

test('testTwoConsumersOneTopicOnePartition', () => {
  const a = assignor.assign([member('consumer1', ['topic']), member('consumer2', ['topic'])], new Map([['topic', 1]]))
  assert.deepEqual(a.get('consumer1'), [tp('topic', 0)])
  assert.deepEqual(a.get('consumer2'), [])
})

test('testTwoConsumersOneTopicTwoPartitions', () => {
  const a = assignor.assign([member('consumer1', ['topic']), member('consumer2', ['topic'])], new Map([['topic', 2]]))
  assert.deepEqual(a.get('consumer1'), [tp('topic', 0)])
  assert.deepEqual(a.get('consumer2'), [tp('topic', 1)])
})

test('testMultipleConsumersMixedTopics', () => {
  const a = assignor.assign(
    [member('consumer1', [topic1]), member('consumer2', [topic1, topic2]), member('consumer3', [topic1])],
    twoTopics(3, 2),
  )
  assert.deepEqual(a.get('consumer1'), [tp(topic1, 0)])
  assert.deepEqual(a.get('consumer2'), [tp(topic1, 1), tp(topic2, 0), tp(topic2, 1)])
  assert.deepEqual(a.get('consumer3'), [tp(topic1, 2)])
})

test('testTwoConsumersTwoTopicsSixPartitions', () => {
  const a = assignor.assign([member('consumer2', [topic1, topic2]), member('consumer1', [topic1, topic2])], twoTopics(3, 3))
  assert.deepEqual(a.get('consumer1'), [tp(topic1, 0), tp(topic1, 2), tp(topic2, 1)])
  assert.deepEqual(a.get('consumer2'), [tp(topic1, 1), tp(topic2, 0), tp(topic2, 2)])
})

test('testTwoStaticConsumersTwoTopicsSixPartitions', () => {
  const a = assignor.assign(
    [member('consumer-b', [topic1, topic2], 'instance1'), member('consumer-a', [topic1, topic2], 'instance2')],
    twoTopics(3, 3),
  )
  assert.deepEqual(a.get('consumer-b'), [tp(topic1, 0), tp(topic1, 2), tp(topic2, 1)])
  assert.deepEqual(a.get('consumer-a'), [tp(topic1, 1), tp(topic2, 0), tp(topic2, 2)])
})

test('testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions', () => {
  const a = assignor.assign([member('consumer-b', [topic1, topic2], 'instance1'), member('consumer-a', [topic1, topic2])], twoTopics(3, 3))
  assert.deepEqual(a.get('consumer-b'), [tp(topic1, 0), tp(topic1, 2), tp(topic2, 1)])
  assert.deepEqual(a.get('consumer-a'), [tp(topic1, 1), tp(topic2, 0), tp(topic2, 2)])
})

test('testStaticMemberRoundRobinAssignmentPersistent', () => {
  const statics = [member('consumer1', [topic1, topic2], 'instance1'), member('consumer2', [topic1, topic2], 'instance2'), member('consumer3', [topic1, topic2], 'instance3')]
  const expected = new Map([
    ['consumer1', [tp(topic1, 0), tp(topic2, 1)]],
    ['consumer2', [tp(topic1, 1), tp(topic2, 2)]],
    ['consumer3', [tp(topic1, 2)]],
    ['consumer4', [tp(topic2, 0)]],
  ])
  assert.deepEqual(assignor.assign([...statics, member('consumer4', [topic1, topic2])], twoTopics(3, 3)), expected)

  expected.delete('consumer4')
  expected.set('consumer5', [tp(topic2, 0)])
  assert.deepEqual(assignor.assign([...statics, member('consumer5', [topic1, topic2])], twoTopics(3, 3)), expected)
})

test('testStaticMemberRoundRobinAssignmentPersistentAfterMemberIdChanges', () => {
  const byInstance = (members: MemberSubscription[]) => {
    const a = assignor.assign(members, twoTopics(5, 5))
    return new Map(members.map((m) => [m.groupInstanceId!, a.get(m.memberId)!]))
  }
  const first = byInstance([
    member('consumer1', [topic1, topic2], 'instance1'),
    member('consumer2', [topic1, topic2], 'instance2'),
    member('consumer3', [topic1, topic2], 'instance3'),
  ])
  assert.deepEqual(
    first,
    new Map([
      ['instance1', [tp(topic1, 0), tp(topic1, 3), tp(topic2, 1), tp(topic2, 4)]],
      ['instance2', [tp(topic1, 1), tp(topic1, 4), tp(topic2, 2)]],
      ['instance3', [tp(topic1, 2), tp(topic2, 0), tp(topic2, 3)]],
    ]),
  )
  const second = byInstance([
    member('consumer1', [topic1, topic2], 'instance1'),
    member('consumer5', [topic1, topic2], 'instance2'),
    member('consumer4', [topic1, topic2], 'instance3'),
  ])
  assert.deepEqual(second, first)
})

test('uneven subscriptions: a member is skipped for topics it does not want (StickyAssignor Javadoc example 2)', () => {
  const a = assignor.assign(
    [member('C0', ['t0']), member('C1', ['t0', 't1']), member('C2', ['t0', 't1', 't2'])],
    new Map([['t0', 1], ['t1', 2], ['t2', 3]]),
  )
  assert.deepEqual(a.get('C0'), [tp('t0', 0)])
  assert.deepEqual(a.get('C1'), [tp('t1', 0)])
  assert.deepEqual(a.get('C2'), [tp('t1', 1), tp('t2', 0), tp('t2', 1), tp('t2', 2)])
})
