/**
 * The consumer against librdkafka's mock cluster: a second, independent Kafka implementation
 * with three brokers and old protocol versions (Fetch v0-11 so topics go by name, Metadata
 * v0-2 without topic ids or leader epochs, JoinGroup v0-5, SyncGroup v0-3, OffsetFetch v0-5,
 * LeaveGroup v0-1), plus fault injection for leader moves and coordinator errors.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ConsumerRecord } from '../../../src/client/consumer/index.js'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { consumerFor, mockFor, produce, Runner, sortTps, spread, until, take } from './helpers.js'

test('mock cluster: group round trip across 3 brokers; commit, close, and the next member resumes without gaps or duplicates', async (t) => {
  const mc = await mockFor(t, { brokers: 3, topics: { mrt: 4 } })
  if (!mc) return
  const sent = [
    { partition: 0, key: 'k', value: 'with headers', headers: [['h', 'x'], ['h', null]] as Array<[string, string | null]> },
    { partition: 1, key: null, value: null },
    ...spread(38, 4),
  ]
  await produce(mc.bootstrap, 'mrt', sent)
  const opts = { groupId: 'mrt-g', autoOffsetReset: 'earliest' as const, sessionTimeoutMs: 3000 }
  const a = consumerFor(t, mc.bootstrap, { ...opts, enableAutoCommit: false })
  await a.subscribe(['mrt'])
  const first = await take(a.records(), 25)
  await a.commit()
  await a.close()
  const b = consumerFor(t, mc.bootstrap, opts)
  await b.subscribe(['mrt'])
  const rest = await take(b.records(), 15)
  const all = [...first, ...rest]
  assert.deepEqual(all.map((r) => r.value?.toString() ?? null).sort(), sent.map((s) => s.value).sort(), 'every record once')
  const h = all.find((r) => r.value?.toString() === 'with headers')!
  assert.deepEqual(h.key, Buffer.from('k'))
  assert.deepEqual(h.headers.map((x) => [x.key, x.value?.toString() ?? null]), [['h', 'x'], ['h', null]])
  assert.equal(h.leaderEpoch === null || typeof h.leaderEpoch === 'number', true)
  const committed = await b.committed([0, 1, 2, 3].map((partition) => ({ topic: 'mrt', partition })))
  assert.equal(committed.reduce((n, c) => n + Number(c.offset ?? 0n), 0), 25, 'the first member committed 25 records')
})

for (const assignor of ['range', 'cooperative-sticky']) {
  test(`mock cluster: group of 3 with ${assignor} is balanced and reads every record once`, async (t) => {
    const mc = await mockFor(t, { brokers: 3, topics: { [`m3-${assignor}`]: 6 } })
    if (!mc) return
    const topic = `m3-${assignor}`
    // The mock waits sessionTimeoutMs - 1 s for members to (re)join, so keep the session short (at 2 s or less its joins never complete).
    const opts = { groupId: `m3-${assignor}`, autoOffsetReset: 'earliest' as const, partitionAssignmentStrategy: [assignor], sessionTimeoutMs: 3000, autoCommitIntervalMs: 100 }
    const runners = [new Runner(consumerFor(t, mc.bootstrap, opts), [topic])]
    await produce(mc.bootstrap, topic, spread(30, 6, 'a'))
    await until(() => runners[0]!.records.length === 30, 'the first member to consume')
    // Unlike Kafka, the mock refuses commits while the group rebalances (REBALANCE_IN_PROGRESS),
    // so the commit before revoking would fail: let an automatic commit land first.
    const tps = Array.from({ length: 6 }, (_, partition) => ({ topic, partition }))
    for (let sum = 0; sum < 30; await new Promise((r) => setTimeout(r, 50))) {
      sum = (await runners[0]!.consumer.committed(tps)).reduce((n, c) => n + Number(c.offset ?? 0n), 0)
    }
    runners.push(new Runner(consumerFor(t, mc.bootstrap, opts), [topic]))
    runners.push(new Runner(consumerFor(t, mc.bootstrap, opts), [topic]))
    const owners = () => runners.map((r) => sortTps(r.consumer.assignment()))
    await until(() => owners().every((o) => o.length === 2), `a balanced assignment (now ${JSON.stringify(owners())})`, 20_000)
    await produce(mc.bootstrap, topic, spread(30, 6, 'b'))
    const expected = ['a', 'b'].flatMap((p) => Array.from({ length: 30 }, (_, i) => `${p}${i}`)).sort()
    const all = () => runners.flatMap((r) => r.values())
    await until(() => all().length >= expected.length, `all records (got ${all().length})`)
    await new Promise((r) => setTimeout(r, 300))
    assert.deepEqual(all().sort(), expected)
    assert.equal(new Set(owners().flat()).size, 6)
    for (const r of runners) assert.deepEqual(r.errors, [])
    await Promise.all(runners.map((r) => r.stop()))
  })
}

test('mock cluster: manual assignment follows a moved leader and retries fetch errors; seek and pause work', async (t) => {
  const mc = await mockFor(t, { brokers: 3, topics: { mv: 2 } })
  if (!mc) return
  await mc.setPartitionLeader('mv', 0, 1)
  await mc.setPartitionLeader('mv', 1, 2)
  await produce(mc.bootstrap, 'mv', spread(20, 2))
  const c = consumerFor(t, mc.bootstrap, { autoOffsetReset: 'earliest' })
  const p0 = { topic: 'mv', partition: 0 }
  const p1 = { topic: 'mv', partition: 1 }
  c.assign([p0, p1])
  c.pause([p1])
  const got: ConsumerRecord[] = []
  while (got.length < 10) got.push(...(await c.poll({ timeoutMs: 3000 })))
  assert.deepEqual(got.map((r) => [r.partition, Number(r.offset)]), Array.from({ length: 10 }, (_, i) => [0, i]))
  // Move partition 0's leadership and make the next fetches fail: the consumer finds the new leader.
  await mc.setPartitionLeader('mv', 0, 3)
  await mc.pushRequestErrors(ApiKey.Fetch, [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_LEADER_OR_FOLLOWER])
  await produce(mc.bootstrap, 'mv', [{ partition: 0, value: 'after-move' }])
  const moved: ConsumerRecord[] = []
  while (moved.length < 1) moved.push(...(await c.poll({ timeoutMs: 3000 })))
  assert.deepEqual(moved.map((r) => [r.partition, r.offset, r.value!.toString()]), [[0, 10n, 'after-move']])
  c.resume([p1])
  c.seek(p1, 7n)
  const tail: ConsumerRecord[] = []
  while (tail.length < 3) tail.push(...(await c.poll({ timeoutMs: 3000 })))
  assert.deepEqual(tail.map((r) => [r.partition, Number(r.offset)]), [[1, 7], [1, 8], [1, 9]])
})

test('mock cluster: commits survive coordinator errors (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS) by retrying', async (t) => {
  const mc = await mockFor(t, { brokers: 3, topics: { ce: 1 } })
  if (!mc) return
  await produce(mc.bootstrap, 'ce', spread(5, 1))
  const c = consumerFor(t, mc.bootstrap, { groupId: 'ce-g', autoOffsetReset: 'earliest', enableAutoCommit: false, sessionTimeoutMs: 3000 })
  await c.subscribe(['ce'])
  assert.equal((await take(c.records(), 5)).length, 5)
  await mc.pushRequestErrors(ApiKey.OffsetCommit, [ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS])
  await c.commit()
  assert.equal((await c.committed([{ topic: 'ce', partition: 0 }]))[0]!.offset, 5n)
  // A heartbeat answered REBALANCE_IN_PROGRESS makes the member rejoin; it keeps its partition.
  await mc.pushRequestErrors(ApiKey.Heartbeat, [ErrorCode.REBALANCE_IN_PROGRESS])
  const generation = c.groupMetadata().generationId
  // The rejoin happens inside poll, as the Java consumer's does; the new generation can show
  // before its SyncGroup answer brings the assignment back, so wait for both (on a loaded
  // machine the check once fell between the two).
  for (const end = Date.now() + 15_000; Date.now() < end && (c.groupMetadata().generationId === generation || c.assignment().length === 0); ) await c.poll({ timeoutMs: 100 })
  assert.ok(c.groupMetadata().generationId > generation, 'rejoined')
  assert.deepEqual(sortTps(c.assignment()), ['ce:0'])
})
