/** OffsetDelete (key 47) over raw sockets. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { embeddedBroker } from '../helpers.js'
import type { RawClient } from '../../helpers/raw-client.js'
import { RawMember, servedVersions } from '../../helpers/groups.js'

async function commit(c: RawClient, groupId: string, topic: string, offsets: number[], member?: RawMember): Promise<void> {
  const r = await c.request(ApiKey.OffsetCommit, 8, {
    groupId,
    generationIdOrMemberEpoch: member?.generationId ?? -1,
    memberId: member?.memberId ?? '',
    groupInstanceId: null,
    topics: [{ name: topic, partitions: offsets.map((o, i) => ({ partitionIndex: i, committedOffset: BigInt(o), committedLeaderEpoch: -1, committedMetadata: null })) }],
  })
  for (const t of r.topics) for (const p of t.partitions) assert.equal(p.errorCode, ErrorCode.NONE)
}

async function del(c: RawClient, groupId: string, topics: Record<string, number[]>): Promise<{ errorCode: number; results: string[] }> {
  const r = await c.request(ApiKey.OffsetDelete, 0, {
    groupId,
    topics: Object.entries(topics).map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex })) })),
  })
  assert.equal(r.throttleTimeMs, 0)
  return { errorCode: r.errorCode, results: r.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}:${p.errorCode}`)) }
}

async function committed(c: RawClient, groupId: string): Promise<string[]> {
  const r = await c.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId, topics: null }], requireStable: false })
  return r.groups![0]!.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}=${p.committedOffset}`))
}

test('OffsetDelete removes a simple group\'s offsets; unknown partitions and groups are reported', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('t', 2)
  await tb.b.broker.createTopic('u', 1)
  const c = await tb.client()
  await commit(c, 'g', 't', [1, 2])
  await commit(c, 'g', 'u', [3])
  assert.deepEqual(await del(c, 'g', { t: [0, 5], missing: [0], u: [0] }), {
    errorCode: ErrorCode.NONE,
    // One entry per topic, as Kafka's response collection keys topics by name.
    results: [`t-5:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`, 't-0:0', `missing-0:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`, 'u-0:0'],
  })
  assert.deepEqual(await committed(c, 'g'), ['t-1=2'])
  assert.deepEqual(await del(c, 'nobody', { t: [0] }), { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, results: [] })
  assert.deepEqual(await del(c, '', { t: [0] }), { errorCode: ErrorCode.INVALID_GROUP_ID, results: [] })
})

test('OffsetDelete refuses topics a member of the group is subscribed to', async (t) => {
  const tb = await embeddedBroker(t, { 'group.initial.rebalance.delay.ms': '0' })
  await tb.b.broker.createTopic('t', 1)
  await tb.b.broker.createTopic('old', 1)
  const served = await servedVersions(tb.b.port, tb.b.host)
  const m = await RawMember.connect(tb.b.port, tb.b.host, served, { groupId: 'grp', topics: ['t'], partitionsOf: { t: 1 } })
  t.after(() => m.client.close())
  await m.joinAndSync()
  const c = await tb.client()
  await commit(c, 'grp', 't', [4], m)
  await commit(c, 'grp', 'old', [8], m)
  assert.deepEqual(await del(c, 'grp', { t: [0], old: [0] }), { errorCode: ErrorCode.NONE, results: [`t-0:${ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC}`, 'old-0:0'] })
  assert.deepEqual(await committed(c, 'grp'), ['t-0=4'])
})
