/** Admin group offsets: list, alter, reset, delete and lag, with real commits and a live member. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AdminError } from '../../../src/client/admin/index.js'
import { ClientError, KafkaError } from '../../../src/client/base/errors.js'
import { adminBroker } from './helpers.js'

test('alterGroupOffsets commits for an empty group; listGroupOffsets reads them back, filtered by topic', async (t) => {
  const { admin } = await adminBroker(t)
  await admin.createTopics([
    { topic: 'oa', numPartitions: 2 },
    { topic: 'ob', numPartitions: 1 },
  ])
  await admin.alterGroupOffsets('g', [
    { topic: 'oa', partition: 1, offset: 7n, metadata: 'note', leaderEpoch: 0 },
    { topic: 'oa', partition: 0, offset: 3 },
    { topic: 'ob', partition: 0, offset: 0 },
  ])
  const all = await admin.listGroupOffsets('g')
  assert.deepEqual(
    all.map((c) => [c.topic, c.partition, c.offset, c.metadata, c.leaderEpoch]),
    [
      ['oa', 0, 3n, '', null],
      ['oa', 1, 7n, 'note', 0],
      ['ob', 0, 0n, '', null],
    ],
  )
  assert.deepEqual(
    (await admin.listGroupOffsets('g', { topics: ['ob'], requireStable: true })).map((c) => c.topic),
    ['ob'],
  )
  assert.deepEqual(await admin.listGroupOffsets('never-committed'), [])
})

test('alterGroupOffsets: a group with members fails with NON_EMPTY_GROUP and a hint; bad input is refused', async (t) => {
  const { admin, member } = await adminBroker(t)
  await admin.createTopics([{ topic: 'busy', numPartitions: 1 }])
  await member('live', { busy: 1 })
  await assert.rejects(admin.alterGroupOffsets('live', [{ topic: 'busy', partition: 0, offset: 1 }]), (e: unknown) => {
    assert.ok(e instanceof KafkaError, String(e))
    assert.equal(e.errorName, 'NON_EMPTY_GROUP')
    assert.match(e.message, /group live: NON_EMPTY_GROUP \(68\): alterGroupOffsets needs a group without active members \(the coordinator answered UNKNOWN_MEMBER_ID\); stop the group's consumers/)
    return true
  })
  const e = await admin.alterGroupOffsets('other', [{ topic: 'nope', partition: 0, offset: 1 }]).catch((x: unknown) => x)
  assert.ok(e instanceof AdminError)
  assert.equal((e.failures[0]!.error as KafkaError).errorName, 'UNKNOWN_TOPIC_OR_PARTITION')
  await assert.rejects(admin.alterGroupOffsets('g', [{ topic: 'busy', partition: 0, offset: -5 }]), (x: unknown) => x instanceof ClientError && x.code === 'INVALID_OPTION')
  await assert.rejects(
    admin.alterGroupOffsets('g', [
      { topic: 'busy', partition: 0, offset: 1 },
      { topic: 'busy', partition: 0, offset: 2 },
    ]),
    /listed twice/,
  )
})

test('resetGroupOffsets: earliest, latest, offset (clamped), timestamp, shiftBy, dryRun', async (t) => {
  const { admin, produce } = await adminBroker(t)
  await admin.createTopics([{ topic: 'rs', numPartitions: 2 }])
  const t0 = Date.now() - 60_000
  await produce('rs', 0, ['a', 'b', 'c', 'd', 'e'], t0)
  await produce('rs', 0, ['f', 'g'], t0 + 10_000)
  await produce('rs', 1, ['x', 'y', 'z'], t0)
  await admin.deleteRecords([{ topic: 'rs', partition: 0, offset: 1 }])
  const plan = (p: Array<{ partition: number; previous: bigint | null; offset: bigint }>) => p.map((x) => [x.partition, x.previous, x.offset])
  const committed = async () => (await admin.listGroupOffsets('r')).map((c) => [c.partition, c.offset])

  assert.deepEqual(plan(await admin.resetGroupOffsets('r', { topic: 'rs', to: 'latest' })), [
    [0, null, 7n],
    [1, null, 3n],
  ])
  assert.deepEqual(await committed(), [
    [0, 7n],
    [1, 3n],
  ])
  // Earliest is the low watermark after DeleteRecords, not 0.
  assert.deepEqual(plan(await admin.resetGroupOffsets('r', { topics: ['rs'], to: 'earliest', dryRun: true })), [
    [0, 7n, 1n],
    [1, 3n, 0n],
  ])
  assert.deepEqual(await committed(), [
    [0, 7n],
    [1, 3n],
  ], 'dryRun commits nothing')
  assert.deepEqual(plan(await admin.resetGroupOffsets('r', { topic: 'rs', to: { shiftBy: -2 } })), [
    [0, 7n, 5n],
    [1, 3n, 1n],
  ])
  assert.deepEqual(plan(await admin.resetGroupOffsets('r', { topic: 'rs', to: { shiftBy: -100 } })), [
    [0, 5n, 1n],
    [1, 1n, 0n],
  ])
  assert.deepEqual(plan(await admin.resetGroupOffsets('r', { topic: 'rs', partitions: [0], to: { offset: 1000 } })), [[0, 1n, 7n]])
  assert.deepEqual(plan(await admin.resetGroupOffsets('r', { topic: 'rs', to: { timestamp: t0 + 5_000 } })), [
    [0, 7n, 5n],
    [1, 0n, 3n],
  ])
  assert.deepEqual(await committed(), [
    [0, 5n],
    [1, 3n],
  ])
})

test('resetGroupOffsets errors: shiftBy without a commit is NO_OFFSET; unknown topic; bad request; live group', async (t) => {
  const { admin, member } = await adminBroker(t, { 'auto.create.topics.enable': 'false' })
  await admin.createTopics([{ topic: 're', numPartitions: 2 }])
  await admin.alterGroupOffsets('half', [{ topic: 're', partition: 0, offset: 0 }])
  const e = await admin.resetGroupOffsets('half', { topic: 're', to: { shiftBy: 1 } }).catch((x: unknown) => x)
  assert.ok(e instanceof AdminError)
  assert.deepEqual(
    e.failures.map((f) => [f.resource, (f.error as ClientError).code]),
    [['partition re-1', 'NO_OFFSET']],
  )
  assert.equal(e.results.length, 1, 'the plan of the partition that could shift')
  const unknown = await admin.resetGroupOffsets('half', { topic: 'missing', to: 'earliest' }).catch((x: unknown) => x)
  assert.ok(unknown instanceof AdminError)
  assert.equal((unknown.failures[0]!.error as KafkaError).errorName, 'UNKNOWN_TOPIC_OR_PARTITION')
  await assert.rejects(admin.resetGroupOffsets('half', { to: 'earliest' }), (x: unknown) => x instanceof ClientError && /`topic` or `topics`/.test(x.message))
  await assert.rejects(admin.resetGroupOffsets('half', { topic: 're', to: { shiftBy: 1.5 } }), (x: unknown) => x instanceof ClientError && x.code === 'INVALID_OPTION')
  await member('alive', { re: 2 })
  await assert.rejects(admin.resetGroupOffsets('alive', { topic: 're', to: 'earliest' }), (x: unknown) => x instanceof KafkaError && x.errorName === 'NON_EMPTY_GROUP')
  // A dry run of a live group is allowed: it only reads.
  assert.equal((await admin.resetGroupOffsets('alive', { topic: 're', to: 'earliest', dryRun: true })).length, 2)
})

test('deleteGroupOffsets: removes offsets; subscribed topic is GROUP_SUBSCRIBED_TO_TOPIC; unknown group fails the call', async (t) => {
  const { admin, member } = await adminBroker(t)
  await admin.createTopics([
    { topic: 'd1', numPartitions: 2 },
    { topic: 'd2', numPartitions: 1 },
  ])
  await admin.alterGroupOffsets('g', [
    { topic: 'd1', partition: 0, offset: 1 },
    { topic: 'd1', partition: 1, offset: 1 },
    { topic: 'd2', partition: 0, offset: 1 },
  ])
  await admin.deleteGroupOffsets('g', [{ topic: 'd1', partition: 0 }])
  assert.deepEqual(
    (await admin.listGroupOffsets('g')).map((c) => `${c.topic}-${c.partition}`),
    ['d1-1', 'd2-0'],
  )
  await assert.rejects(admin.deleteGroupOffsets('ghost', [{ topic: 'd1', partition: 0 }]), (e: unknown) => {
    assert.ok(e instanceof KafkaError, String(e))
    assert.equal(e.errorName, 'GROUP_ID_NOT_FOUND')
    assert.match(e.message, /^group ghost: GROUP_ID_NOT_FOUND \(69\)/)
    return true
  })
  // A live member subscribed to d2: its offsets stay; d1's of that group can go.
  await member('g2', { d2: 1 })
  const e = await admin.deleteGroupOffsets('g2', [{ topic: 'd2', partition: 0 }]).catch((x: unknown) => x)
  assert.ok(e instanceof AdminError, String(e))
  assert.equal((e.failures[0]!.error as KafkaError).errorName, 'GROUP_SUBSCRIBED_TO_TOPIC')
})

test('groupLag: a live member with partitions it never committed, and an empty group by its commits', async (t) => {
  const { admin, member, produce } = await adminBroker(t)
  await admin.createTopics([
    { topic: 'lag', numPartitions: 2 },
    { topic: 'old', numPartitions: 1 },
  ])
  await produce('lag', 0, ['a', 'b', 'c'])
  await produce('lag', 1, ['d'])
  await produce('old', 0, ['e', 'f'])
  await admin.alterGroupOffsets('lg', [
    { topic: 'lag', partition: 0, offset: 1 },
    { topic: 'old', partition: 0, offset: 2 },
  ])
  const rows = (r: Awaited<ReturnType<typeof admin.groupLag>>) => r.map((x) => [`${x.topic}-${x.partition}`, x.committed, x.logEndOffset, x.lag, x.memberId !== null])
  // Empty group: the committed topics, every partition of them.
  assert.deepEqual(rows(await admin.groupLag('lg')), [
    ['lag-0', 1n, 3n, 2n, false],
    ['lag-1', null, 1n, null, false],
    ['old-0', 2n, 2n, 0n, false],
  ])
  // A live member subscribed to "lag" only: its partitions carry its member id; old stays listed.
  const m = await member('lg', { lag: 2 })
  const live = await admin.groupLag('lg')
  assert.deepEqual(rows(live), [
    ['lag-0', 1n, 3n, 2n, true],
    ['lag-1', null, 1n, null, true],
    ['old-0', 2n, 2n, 0n, false],
  ])
  assert.equal(live[0]!.memberId, m.memberId)
  assert.deepEqual(await admin.groupLag('no-such-group'), [])
})
