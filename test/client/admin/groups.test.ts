/** Admin groups: ListGroups, DescribeGroups, DeleteGroups with live and empty groups. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AdminError } from '../../../src/client/admin/index.js'
import { KafkaError } from '../../../src/client/base/errors.js'
import { adminBroker } from './helpers.js'

test('describeGroups: a live consumer group with decoded assignment and subscription; an unknown group is Dead', async (t) => {
  const { admin, member, b } = await adminBroker(t)
  await admin.createTopics([
    { topic: 'ga', numPartitions: 3 },
    { topic: 'gb', numPartitions: 1 },
  ])
  const m = await member('live', { ga: 3, gb: 1 }, 'client-one')
  const [g, none] = await admin.describeGroups(['live', 'nobody'])
  assert.equal(g!.groupId, 'live')
  assert.equal(g!.state, 'Stable')
  assert.equal(g!.protocolType, 'consumer')
  assert.equal(g!.protocol, 'range')
  assert.equal(g!.coordinator, b.broker.nodeId)
  assert.equal(g!.members.length, 1)
  const mem = g!.members[0]!
  assert.equal(mem.memberId, m.memberId)
  assert.equal(mem.clientId, 'client-one')
  assert.ok(mem.clientHost.length > 0)
  assert.equal(mem.groupInstanceId, null)
  assert.deepEqual([...mem.subscription].sort(), ['ga', 'gb'])
  assert.deepEqual(
    mem.assignment.map((tp) => `${tp.topic}-${tp.partition}`).sort(),
    ['ga-0', 'ga-1', 'ga-2', 'gb-0'],
  )
  assert.equal(none!.state, 'Dead')
  assert.deepEqual(none!.members, [])
})

test('listGroups lists every group with state and type; states filter', async (t) => {
  const { admin, member } = await adminBroker(t)
  await admin.createTopics([{ topic: 'lg', numPartitions: 1 }])
  await member('active', { lg: 1 })
  await admin.alterGroupOffsets('offsets-only', [{ topic: 'lg', partition: 0, offset: 0 }])
  const all = await admin.listGroups()
  assert.deepEqual(
    all.map((g) => [g.groupId, g.protocolType, g.state, g.type]),
    [
      ['active', 'consumer', 'Stable', 'classic'],
      ['offsets-only', '', 'Empty', 'classic'],
    ],
  )
  const stable = await admin.listGroups({ states: ['Stable'] })
  assert.deepEqual(
    stable.map((g) => g.groupId),
    ['active'],
  )
  const empty = await admin.listGroups({ states: ['Empty'], types: ['classic'] })
  assert.deepEqual(
    empty.map((g) => g.groupId),
    ['offsets-only'],
  )
})

test('deleteGroups: an empty group goes with its offsets; one with members is NON_EMPTY_GROUP; unknown is GROUP_ID_NOT_FOUND', async (t) => {
  const { admin, member } = await adminBroker(t)
  await admin.createTopics([{ topic: 'dg', numPartitions: 1 }])
  await member('busy', { dg: 1 })
  await admin.alterGroupOffsets('idle', [{ topic: 'dg', partition: 0, offset: 0 }])
  const e = await admin.deleteGroups(['idle', 'busy', 'ghost']).catch((x: unknown) => x)
  assert.ok(e instanceof AdminError, String(e))
  assert.deepEqual(
    e.failures.map((f) => [f.resource, (f.error as KafkaError).errorName]),
    [
      ['group busy', 'NON_EMPTY_GROUP'],
      ['group ghost', 'GROUP_ID_NOT_FOUND'],
    ],
  )
  assert.match(e.message, /deleteGroups: 2 of 3 failed: group busy: NON_EMPTY_GROUP \(68\)/)
  assert.deepEqual(await admin.listGroupOffsets('idle'), [])
  assert.deepEqual(
    (await admin.listGroups()).map((g) => g.groupId),
    ['busy'],
  )
})
