/** The group membership handlers over raw sockets, across versions: join, sync, heartbeat, describe, list, leave, delete. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import type { JoinGroupResponse } from '../../../src/protocol/generated/join-group.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import type { RawClient } from '../../helpers/raw-client.js'
import { embeddedBroker } from '../helpers.js'

function join(c: RawClient, version: number, groupId: string, memberId: string, groupInstanceId: string | null = null): Promise<JoinGroupResponse> {
  return c.request(ApiKey.JoinGroup, version, {
    groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId, protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]) }], reason: null,
  })
}

for (const version of [0, 4, 5, 9]) {
  test(`JoinGroup v${version} -> SyncGroup -> Heartbeat -> DescribeGroups -> LeaveGroup -> DeleteGroups`, async (t) => {
    const tb = await embeddedBroker(t, { 'group.initial.rebalance.delay.ms': '0' })
    const c = await tb.client()
    let j = await join(c, version, 'g', '')
    if (version >= 4) {
      assert.equal(j.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
      j = await join(c, version, 'g', j.memberId)
    }
    assert.equal(j.errorCode, ErrorCode.NONE)
    assert.equal(j.leader, j.memberId)
    assert.equal(j.members.length, 1)
    assert.equal(j.protocolName, 'range')
    if (version >= 7) assert.equal(j.protocolType, 'consumer')
    const syncVersion = Math.min(version, 5)
    const s = await c.request(ApiKey.SyncGroup, syncVersion, {
      groupId: 'g', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
      assignments: [{ memberId: j.memberId, assignment: Buffer.from('mine') }],
    })
    assert.equal(s.errorCode, ErrorCode.NONE)
    assert.equal(s.assignment.toString(), 'mine')
    const hb = await c.request(ApiKey.Heartbeat, Math.min(version, 4), { groupId: 'g', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null })
    assert.equal(hb.errorCode, ErrorCode.NONE)
    const stale = await c.request(ApiKey.Heartbeat, Math.min(version, 4), { groupId: 'g', generationId: j.generationId + 5, memberId: j.memberId, groupInstanceId: null })
    assert.equal(stale.errorCode, ErrorCode.ILLEGAL_GENERATION)

    const d = await c.request(ApiKey.DescribeGroups, Math.min(version, 5), { groups: ['g', 'unknown'], includeAuthorizedOperations: false })
    assert.equal(d.groups[0]!.groupState, 'Stable')
    assert.equal(d.groups[0]!.protocolData, 'range')
    assert.equal(d.groups[0]!.members[0]!.memberAssignment.toString(), 'mine')
    assert.match(d.groups[0]!.members[0]!.clientHost, /^\/127\.0\.0\.1$/)
    assert.equal(d.groups[1]!.groupState, 'Dead')
    const l = await c.request(ApiKey.ListGroups, Math.min(version, 5), { statesFilter: [], typesFilter: [] })
    assert.deepEqual(l.groups.map((g) => g.groupId), ['g'])

    const del = await c.request(ApiKey.DeleteGroups, 2, { groupsNames: ['g'] })
    assert.equal(del.results[0]!.errorCode, ErrorCode.NON_EMPTY_GROUP)
    const leaveVersion = Math.min(version, 5)
    const leave = await c.request(ApiKey.LeaveGroup, leaveVersion, { groupId: 'g', memberId: j.memberId, members: [{ memberId: j.memberId, groupInstanceId: null, reason: null }] })
    assert.equal(leave.errorCode, ErrorCode.NONE)
    if (leaveVersion >= 3) assert.deepEqual(leave.members!.map((m) => m.errorCode), [ErrorCode.NONE])
    // Alone in the group, leaving completes a rebalance to Empty; then it can be deleted.
    const deadline = Date.now() + 5000
    for (;;) {
      const r = await c.request(ApiKey.DeleteGroups, 2, { groupsNames: ['g'] })
      if (r.results[0]!.errorCode === ErrorCode.NONE) break
      assert.ok(Date.now() < deadline, `group never became deletable: ${r.results[0]!.errorCode}`)
      await new Promise((res) => setTimeout(res, 20))
    }
    const gone = await c.request(ApiKey.DeleteGroups, 2, { groupsNames: ['g'] })
    assert.equal(gone.results[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND)
  })
}
