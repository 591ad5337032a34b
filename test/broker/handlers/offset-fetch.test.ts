/** OffsetFetch (key 9) over raw sockets: single-group versions, the multi-group form, all-partition fetches. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { embeddedBroker } from '../helpers.js'
import type { RawClient } from '../../helpers/raw-client.js'
import { RawMember, servedVersions } from '../../helpers/groups.js'

async function commit(c: RawClient, groupId: string, topic: string, offsets: number[]): Promise<void> {
  const r = await c.request(ApiKey.OffsetCommit, 8, {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: topic, partitions: offsets.map((o, i) => ({ partitionIndex: i, committedOffset: BigInt(o), committedLeaderEpoch: 2, committedMetadata: `m${i}` })) }],
  })
  for (const t of r.topics) for (const p of t.partitions) assert.equal(p.errorCode, ErrorCode.NONE)
}

for (const version of [1, 2, 3, 4, 5, 6, 7]) {
  test(`OffsetFetch v${version}: one group; listed partitions${version >= 2 ? ', or all with null topics' : ''}`, async (t) => {
    const tb = await embeddedBroker(t)
    await tb.b.broker.createTopic('t', 3)
    await tb.b.broker.createTopic('u', 1)
    const c = await tb.client()
    await commit(c, 'g', 't', [5, 6])
    await commit(c, 'g', 'u', [9])
    const r = await c.request(ApiKey.OffsetFetch, version, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 2] }, { name: 'zzz', partitionIndexes: [0] }], requireStable: true })
    if (version >= 2) assert.equal(r.errorCode, ErrorCode.NONE)
    if (version >= 3) assert.equal(r.throttleTimeMs, 0)
    assert.deepEqual(
      r.topics!.map((x) => [x.name, x.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode, ...(version >= 5 ? [p.committedLeaderEpoch] : [])])]),
      [
        ['t', [[0, 5n, 'm0', 0, ...(version >= 5 ? [2] : [])], [2, -1n, '', 0, ...(version >= 5 ? [-1] : [])]]],
        ['zzz', [[0, -1n, '', 0, ...(version >= 5 ? [-1] : [])]]],
      ],
    )
    if (version >= 2) {
      const all = await c.request(ApiKey.OffsetFetch, version, { groupId: 'g', topics: null, requireStable: false })
      assert.deepEqual(all.topics!.map((x) => [x.name, x.partitions.map((p) => [p.partitionIndex, p.committedOffset])]), [['t', [[0, 5n], [1, 6n]]], ['u', [[0, 9n]]]])
      const none = await c.request(ApiKey.OffsetFetch, version, { groupId: 'unknown', topics: null, requireStable: false })
      assert.deepEqual([none.errorCode, none.topics], [ErrorCode.NONE, []])
    }
  })
}

for (const version of [8, 9]) {
  test(`OffsetFetch v${version}: several groups in one request, each with its own answer`, async (t) => {
    const tb = await embeddedBroker(t)
    await tb.b.broker.createTopic('t', 2)
    const c = await tb.client()
    await commit(c, 'a', 't', [1, 2])
    await commit(c, 'b', 't', [3])
    const r = await c.request(ApiKey.OffsetFetch, version, {
      groups: [
        { groupId: 'a', memberId: null, memberEpoch: -1, topics: null },
        { groupId: 'b', memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [0, 1] }] },
        { groupId: 'nobody', memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [0] }] },
      ],
      requireStable: true,
    })
    assert.deepEqual(
      r.groups!.map((g) => [g.groupId, g.errorCode, g.topics.flatMap((x) => x.partitions.map((p) => `${x.name}-${p.partitionIndex}=${p.committedOffset}`))]),
      [
        ['a', 0, ['t-0=1', 't-1=2']],
        ['b', 0, ['t-0=3', 't-1=-1']],
        ['nobody', 0, ['t-0=-1']],
      ],
    )
  })
}

test('OffsetFetch v9: a member id the group does not know is that group\'s error only', async (t) => {
  const tb = await embeddedBroker(t, { 'group.initial.rebalance.delay.ms': '0' })
  await tb.b.broker.createTopic('t', 1)
  const served = await servedVersions(tb.b.port, tb.b.host)
  const m = await RawMember.connect(tb.b.port, tb.b.host, served, { groupId: 'grp', topics: ['t'], partitionsOf: { t: 1 } })
  t.after(() => m.client.close())
  await m.joinAndSync()
  const c = await tb.client()
  const r = await c.request(ApiKey.OffsetFetch, 9, {
    groups: [
      { groupId: 'grp', memberId: 'stranger', memberEpoch: 1, topics: null },
      { groupId: 'grp', memberId: m.memberId, memberEpoch: m.generationId, topics: null },
    ],
    requireStable: false,
  })
  assert.deepEqual(r.groups!.map((g) => [g.groupId, g.errorCode]), [['grp', ErrorCode.UNKNOWN_MEMBER_ID], ['grp', ErrorCode.NONE]])
})
