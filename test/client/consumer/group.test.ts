/**
 * Consumer groups against a real Samsa broker: every assignor with three members, cooperative
 * rebalancing that leaves staying partitions alone, static membership across a restart, a
 * closing member handing its partitions over at once, RegExp subscriptions and partition
 * count changes picked up by the metadata check.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { Admin } from '../../../src/client/admin/index.js'
import type { TopicPartition } from '../../../src/client/consumer/index.js'
import { consumerFor, produce, quiet, Runner, sortTps, spread, testBroker, until } from './helpers.js'

function owners(runners: Runner[]): string[][] {
  return runners.map((r) => sortTps(r.consumer.assignment()))
}

/** Three members of one group (joining one after another while data flows) each read a third, and every record once. */
async function threeMembers(t: TestContext, assignor: string): Promise<void> {
  const b = await testBroker(t)
  const topics = [`${assignor}-a`, `${assignor}-b`]
  for (const topic of topics) await b.broker.createTopic(topic, 3)
  const group = `g-${assignor}`
  const opts = { groupId: group, autoOffsetReset: 'earliest' as const, partitionAssignmentStrategy: [assignor] }
  const runners = [new Runner(consumerFor(t, b.bootstrap, opts), topics)]
  await produce(b.bootstrap, topics[0]!, spread(30, 3, 'a'))
  await until(() => runners[0]!.records.length > 0, 'the first member to consume')
  runners.push(new Runner(consumerFor(t, b.bootstrap, opts), topics))
  await produce(b.bootstrap, topics[1]!, spread(30, 3, 'b'))
  runners.push(new Runner(consumerFor(t, b.bootstrap, opts), topics))
  await until(() => owners(runners).every((o) => o.length === 2), `a balanced assignment (now ${JSON.stringify(owners(runners))})`)
  await produce(b.bootstrap, topics[0]!, spread(30, 3, 'c'))
  const expected = ['a', 'b', 'c'].flatMap((p) => Array.from({ length: 30 }, (_, i) => `${p}${i}`)).sort()
  const all = () => runners.flatMap((r) => r.values())
  await until(() => all().length >= expected.length, `all ${expected.length} records (got ${all().length})`)
  await new Promise((r) => setTimeout(r, 200))
  assert.deepEqual(all().sort(), expected, 'each record exactly once across the members')
  const owned = owners(runners).flat()
  assert.equal(new Set(owned).size, 6, 'every partition owned by exactly one member')
  for (const r of runners) assert.deepEqual(r.errors, [])
  await Promise.all(runners.map((r) => r.stop()))
}

for (const assignor of ['range', 'roundrobin', 'sticky', 'cooperative-sticky']) {
  test(`group of 3 with ${assignor}: balanced, every record consumed exactly once`, (t) => threeMembers(t, assignor))
}

test('cooperative-sticky: a third member takes partitions from the others, who never revoke the ones they keep', async (t) => {
  const b = await testBroker(t)
  await b.broker.createTopic('coop', 6)
  const opts = { groupId: 'coop-g', autoOffsetReset: 'earliest' as const, partitionAssignmentStrategy: ['cooperative-sticky'] }
  const r1 = new Runner(consumerFor(t, b.bootstrap, opts), ['coop'])
  const r2 = new Runner(consumerFor(t, b.bootstrap, opts), ['coop'])
  await until(() => owners([r1, r2]).every((o) => o.length === 3), 'two members with three partitions each')
  const before = owners([r1, r2])
  const revokedBefore = [r1.revoked.length, r2.revoked.length]
  await produce(b.bootstrap, 'coop', spread(60, 6))
  const r3 = new Runner(consumerFor(t, b.bootstrap, opts), ['coop'])
  await until(() => owners([r1, r2, r3]).every((o) => o.length === 2), `2 partitions each (now ${JSON.stringify(owners([r1, r2, r3]))})`)
  const after = owners([r1, r2, r3])
  for (const [i, r] of [r1, r2].entries()) {
    const revoked = r.revoked.slice(revokedBefore[i]).flat().map((tp) => `${tp.topic}:${tp.partition}`).sort()
    const moved = before[i]!.filter((k) => !after[i]!.includes(k))
    assert.deepEqual(revoked, moved, `member ${i + 1} revoked exactly the partitions that moved`)
    assert.ok(after[i]!.every((k) => before[i]!.includes(k)), `member ${i + 1} gained nothing`)
    assert.deepEqual(r.lost, [])
  }
  assert.deepEqual(sortTps(r3.assigned.flat()), after[2], 'the new member is told about exactly its partitions')
  const all = () => [r1, r2, r3].flatMap((r) => r.values())
  await until(() => all().length >= 60, 'all records')
  await new Promise((r) => setTimeout(r, 200))
  assert.deepEqual(all().sort(), Array.from({ length: 60 }, (_, i) => `v${i}`).sort(), 'each record exactly once')
  await Promise.all([r1, r2, r3].map((r) => r.stop()))
})

test('static membership: a member restarted with the same groupInstanceId gets its partitions back without a rebalance', async (t) => {
  const b = await testBroker(t)
  await b.broker.createTopic('static', 4)
  const opts = (id: string) => ({ groupId: 'static-g', groupInstanceId: id, autoOffsetReset: 'earliest' as const, sessionTimeoutMs: 10_000 })
  const a = new Runner(consumerFor(t, b.bootstrap, opts('a')), ['static'])
  const other = new Runner(consumerFor(t, b.bootstrap, opts('b')), ['static'])
  await until(() => owners([a, other]).every((o) => o.length === 2), 'two members with two partitions each')
  const generation = other.consumer.groupMetadata().generationId
  const aOwned = owners([a])[0]
  const otherEvents = [other.assigned.length, other.revoked.length]
  await produce(b.bootstrap, 'static', spread(8, 4))
  await until(() => a.records.length + other.records.length === 8, 'the first records')
  await a.stop()
  const a2 = new Runner(consumerFor(t, b.bootstrap, opts('a')), ['static'])
  await until(() => owners([a2])[0]!.length === 2, 'the restarted member to get partitions')
  assert.deepEqual(owners([a2])[0], aOwned, 'same partitions as before the restart')
  await produce(b.bootstrap, 'static', spread(8, 4, 'w'))
  await until(() => a2.records.length + other.records.length === 16 - a.records.length, 'the second records')
  assert.equal(other.consumer.groupMetadata().generationId, generation, 'no new generation')
  assert.deepEqual([other.assigned.length, other.revoked.length], otherEvents, 'the other member saw no rebalance')
  assert.ok(a2.records.every((r) => r.value!.toString().startsWith('w')), 'the restarted member resumed from the committed offsets')
  await Promise.all([a2.stop(), other.stop()])
})

test('close: a member that closes leaves the group, and the survivor takes its partitions well before the session timeout', async (t) => {
  const b = await testBroker(t)
  await b.broker.createTopic('leave', 4)
  const opts = { groupId: 'leave-g', autoOffsetReset: 'earliest' as const, sessionTimeoutMs: 30_000 }
  const r1 = new Runner(consumerFor(t, b.bootstrap, opts), ['leave'])
  const r2 = new Runner(consumerFor(t, b.bootstrap, opts), ['leave'])
  await until(() => owners([r1, r2]).every((o) => o.length === 2), 'two members')
  await produce(b.bootstrap, 'leave', spread(20, 4))
  await until(() => r1.records.length + r2.records.length === 20, 'records')
  const started = Date.now()
  await r1.stop()
  await until(() => owners([r2])[0]!.length === 4, 'the survivor to own everything', 5000)
  assert.ok(Date.now() - started < 5000)
  await produce(b.bootstrap, 'leave', spread(20, 4, 'w'))
  await until(() => r2.records.length >= 20 - r1.records.length + 20, 'the new records')
  await new Promise((r) => setTimeout(r, 200))
  const all = [...r1.values(), ...r2.values()].sort()
  assert.deepEqual(all, [...spread(20, 4), ...spread(20, 4, 'w')].map((x) => x.value as string).sort(), 'nothing read twice across the hand-over')
  await r2.stop()
})

test('metadata check: a new topic matching a RegExp subscription, and added partitions, are assigned', async (t) => {
  const b = await testBroker(t)
  await b.broker.createTopic('re-a', 1)
  const c = consumerFor(t, b.bootstrap, { groupId: 're-g', autoOffsetReset: 'earliest', metadataMaxAgeMs: 300 })
  const r = new Runner(c, /^re-/)
  await until(() => c.assignment().length === 1, 'the first topic')
  await b.broker.createTopic('re-b', 2)
  await b.broker.createTopic('other', 1)
  await until(() => c.assignment().length === 3, `the new topic (have ${JSON.stringify(c.assignment())})`)
  assert.deepEqual(c.subscription(), ['re-a', 're-b'])
  const admin = new Admin({ bootstrapServers: b.bootstrap, logger: quiet })
  await admin.createPartitions([{ topic: 're-a', count: 3 }])
  await admin.close()
  await until(() => c.assignment().length === 5, 'the added partitions')
  await produce(b.bootstrap, 're-a', [{ partition: 2, value: 'late' }])
  await until(() => r.values().includes('late'), 'a record from an added partition')
  const tps: TopicPartition[] = c.assignment()
  assert.deepEqual(sortTps(tps), ['re-a:0', 're-a:1', 're-a:2', 're-b:0', 're-b:1'])
  await r.stop()
})

test('maxPollIntervalMs: a member that stops polling leaves the group; its partitions go to the other and it hears onLost', async (t) => {
  const b = await testBroker(t)
  await b.broker.createTopic('slow', 2)
  const lost: TopicPartition[][] = []
  const slow = consumerFor(t, b.bootstrap, { groupId: 'slow-g', autoOffsetReset: 'earliest', maxPollIntervalMs: 700 })
  await slow.subscribe(['slow'], { listener: { onLost: (tps) => void lost.push(tps) } })
  const fast = new Runner(consumerFor(t, b.bootstrap, { groupId: 'slow-g', autoOffsetReset: 'earliest' }), ['slow'])
  const deadline = Date.now() + 10_000
  while (!(slow.assignment().length === 1 && fast.consumer.assignment().length === 1) && Date.now() < deadline) await slow.poll({ timeoutMs: 50 })
  assert.equal(slow.assignment().length, 1)
  const mine = slow.assignment()
  // No poll for longer than maxPollIntervalMs: the member leaves, the other one takes everything.
  await until(() => fast.consumer.assignment().length === 2, 'the other member to take over', 5000)
  await slow.poll({ timeoutMs: 100 })
  assert.deepEqual(lost, [mine], 'onLost with the partitions it had')
  for (let i = 0; i < 100 && slow.assignment().length !== 1; i++) await slow.poll({ timeoutMs: 50 })
  assert.equal(slow.assignment().length, 1, 'it rejoined on the next polls')
  await fast.stop()
})

test('static membership: a second consumer with the same groupInstanceId fences the first (FENCED_INSTANCE_ID, fatal)', async (t) => {
  const b = await testBroker(t)
  await b.broker.createTopic('fence', 1)
  const opts = { groupId: 'fence-g', groupInstanceId: 'same', autoOffsetReset: 'earliest' as const }
  const first = consumerFor(t, b.bootstrap, opts)
  await first.subscribe(['fence'])
  while (first.assignment().length === 0) await first.poll({ timeoutMs: 50 })
  const second = new Runner(consumerFor(t, b.bootstrap, opts), ['fence'])
  await until(() => second.consumer.assignment().length === 1, 'the second instance to join')
  const isFenced = (e: unknown) => (e as { errorName?: string }).errorName === 'FENCED_INSTANCE_ID'
  await assert.rejects(
    (async () => {
      for (;;) await first.poll({ timeoutMs: 100 })
    })(),
    isFenced,
  )
  await assert.rejects(first.poll({ timeoutMs: 10 }), isFenced, 'fatal: every later poll fails too')
  await second.stop()
})

test('listener errors reach the next poll; unsubscribe revokes and leaves', async (t) => {
  const b = await testBroker(t)
  await b.broker.createTopic('lst', 2)
  const revoked: TopicPartition[][] = []
  const c = consumerFor(t, b.bootstrap, { groupId: 'lst-g', autoOffsetReset: 'earliest' })
  await c.subscribe(['lst'], {
    listener: {
      onAssigned: () => {
        throw new Error('boom')
      },
      onRevoked: (tps) => void revoked.push(tps),
    },
  })
  await assert.rejects(
    (async () => {
      for (;;) await c.poll({ timeoutMs: 100 })
    })(),
    /rebalance listener onAssigned threw: boom/,
  )
  assert.equal(c.assignment().length, 2, 'the assignment stands despite the listener')
  await c.unsubscribe()
  assert.deepEqual(revoked.map(sortTps), [['lst:0', 'lst:1']])
  assert.deepEqual(c.assignment(), [])
  assert.deepEqual(c.subscription(), [])
  c.assign([{ topic: 'lst', partition: 0 }])
  assert.deepEqual(c.assignment(), [{ topic: 'lst', partition: 0 }])
})
