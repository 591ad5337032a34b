/**
 * Bad group requests get the error code Kafka gives and never disturb the group they aim at:
 * JoinGroup with a protocol type or protocols the group does not use (INCONSISTENT_GROUP_PROTOCOL),
 * a SyncGroup from a follower carrying assignments (accepted, assignments ignored, as in Kafka's
 * ClassicGroup), heartbeats / syncs / commits for stale or future generations (ILLEGAL_GENERATION),
 * unknown members (UNKNOWN_MEMBER_ID). The members are raw clients running a consumer's loop
 * (heartbeat every 100 ms, rejoin on REBALANCE_IN_PROGRESS); every answer they get is recorded,
 * and after the bad requests each must still be answered NONE at the same generation.
 *
 * Forming the group times a rebalance of 3 members (a third joins a stable group of two),
 * printed as a diagnostic.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode } from '../../src/protocol/errors.js'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { startBrokerProcess } from '../helpers/broker-process.js'
import {
  commitRaw,
  decodeAssignment,
  deferrer,
  describeGroup,
  encodeAssignment,
  encodeSubscription,
  fetchCommittedRaw,
  flatten,
  pickVersion,
  RawMember,
  requireGroupApis,
  servedVersions,
  type GroupApi,
  type ServedVersions,
} from '../helpers/groups.js'
import { RawClient } from '../helpers/raw-client.js'
import { createTopic, waitFor } from '../helpers/wire.js'

const TOPIC = 'bad-group-topic'
const PARTITIONS = 6
const MEMBERSHIP_APIS: GroupApi[] = ['JoinGroup', 'SyncGroup', 'Heartbeat', 'LeaveGroup', 'DescribeGroups']

interface Fixture {
  port: number
  host: string
  served: ServedVersions
  /** A connection of its own, for the bad requests. */
  intruder: RawClient
  member(name: string, groupId: string): Promise<RawMember>
  defer: (fn: () => unknown) => void
}

async function fixture(t: TestContext, apis: GroupApi[] = MEMBERSHIP_APIS): Promise<Fixture> {
  const defer = deferrer(t)
  const b = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': '300' } })
  defer(async () => {
    assert.equal(b.proc.exitCode, null, 'broker still running at the end')
    await b.stop()
  })
  t.diagnostic(`group APIs advertised: ${(await requireGroupApis(b.port, b.host, apis)).join(', ')}`)
  const served = await servedVersions(b.port, b.host)
  const intruder = await RawClient.connect(b.port, b.host)
  defer(() => intruder.close())
  const created = await createTopic(intruder, TOPIC, PARTITIONS)
  assert.equal(created.errorCode, ErrorCode.NONE)
  return {
    port: b.port,
    host: b.host,
    served,
    intruder,
    defer,
    async member(name, groupId) {
      const m = await RawMember.connect(b.port, b.host, served, { groupId, topics: [TOPIC], partitionsOf: { [TOPIC]: PARTITIONS }, clientId: name, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000 })
      defer(() => m.close())
      return m
    },
  }
}

/** Every member synced at one generation, assignments disjoint and covering the topic. */
function stable(members: RawMember[]): number | undefined {
  const gen = members[0]!.generationId
  if (gen < 0 || members.some((m) => m.generationId !== gen)) return undefined
  if (members.some((m) => !m.events.some((e) => e.kind === 'sync' && e.generation === gen && e.errorCode === 0))) return undefined
  const parts = members.flatMap((m) => flatten(m.assignment))
  return parts.length === PARTITIONS && new Set(parts).size === PARTITIONS ? gen : undefined
}

/**
 * Three members running a consumer's loop: two settle first, then the third joins; the time from
 * the third's first JoinGroup to the last SyncGroup answer of the new generation is printed.
 */
async function threeMembers(t: TestContext, f: Fixture, groupId: string): Promise<{ members: RawMember[]; generation: number }> {
  const a = await f.member('member-a', groupId)
  const b = await f.member('member-b', groupId)
  a.run(100)
  b.run(100)
  const first = await waitFor(() => stable([a, b]), 'two raw members to settle', 30_000)
  const c = await f.member('member-c', groupId)
  const t0 = Date.now()
  c.run(100)
  const generation = await waitFor(() => {
    const g = stable([a, b, c])
    return g !== undefined && g > first ? g : undefined
  }, 'three raw members to settle', 30_000)
  const done = Math.max(...[a, b, c].map((m) => m.events.filter((e) => e.kind === 'sync' && e.generation === generation).at(-1)!.at))
  t.diagnostic(`rebalance of 3 raw members (a third joins a stable group of 2, heartbeat 100 ms): ${done - t0} ms from the third member's first JoinGroup to the last SyncGroup answer; generation ${first} -> ${generation}`)
  return { members: [a, b, c], generation }
}

/** Where each member's event list stands now. */
function marks(members: RawMember[]): Map<RawMember, number> {
  return new Map(members.map((m) => [m, m.mark()]))
}

/**
 * The members were not disturbed after `since` (marks taken before the bad requests): each got
 * at least three more heartbeat answers, all NONE at `generation`, no rejoin, and DescribeGroups
 * shows the same Stable group.
 */
async function undisturbed(f: Fixture, groupId: string, members: RawMember[], generation: number, since: Map<RawMember, number>): Promise<void> {
  const after = (m: RawMember) => m.eventsAfter(since.get(m) ?? 0)
  await waitFor(() => members.every((m) => after(m).filter((e) => e.kind === 'heartbeat').length >= 3), 'three heartbeats from every member', 20_000)
  for (const m of members) {
    assert.deepEqual(
      after(m).filter((e) => e.kind !== 'heartbeat' || e.errorCode !== ErrorCode.NONE || e.generation !== generation),
      [],
      `${m.clientId}: only successful heartbeats at generation ${generation} after the bad requests`,
    )
    assert.equal(m.generationId, generation, `${m.clientId} still at generation ${generation}`)
  }
  const g = await describeGroup(f.intruder, f.served, groupId)
  assert.equal(g.errorCode, ErrorCode.NONE)
  assert.equal(g.groupState, 'Stable')
  assert.equal(g.protocolType, 'consumer')
  assert.equal(g.protocolData, 'range')
  assert.deepEqual(g.members.map((x) => x.memberId).sort(), members.map((m) => m.memberId).sort(), 'same members')
  for (const m of members) {
    const d = g.members.find((x) => x.memberId === m.memberId)!
    assert.deepEqual(decodeAssignment(d.memberAssignment), m.assignment, `${m.clientId}: assignment unchanged`)
  }
}

async function stopAll(members: RawMember[]): Promise<void> {
  for (const m of members) await m.stop()
}

test('JoinGroup with a foreign protocol type, no common protocol, an unknown member id, an empty group id or a bad session timeout gets Kafka\'s error; the group is not disturbed', async (t) => {
  const f = await fixture(t)
  const groupId = 'bad-join-group'
  const { members, generation } = await threeMembers(t, f, groupId)
  const [a] = members as [RawMember, RawMember, RawMember]
  const since = marks(members)
  const join = (override: Parameters<RawMember['joinRequest']>[0]) =>
    f.intruder.request(ApiKey.JoinGroup, pickVersion(f.served, ApiKey.JoinGroup), a.joinRequest({ memberId: '', groupInstanceId: null, ...override }), 'intruder')

  const foreignType = await join({ protocolType: 'not-consumer' })
  assert.equal(foreignType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'a new member with another protocol type')
  assert.equal(foreignType.memberId, '', 'and no member id')

  const noCommon = await join({ protocols: [{ name: 'no-such-assignor', metadata: encodeSubscription([TOPIC]) }] })
  assert.equal(noCommon.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'a new member sharing no protocol with the group')

  const existingForeign = await join({ memberId: a.memberId, protocolType: 'connect' })
  assert.equal(existingForeign.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, "member-a's id rejoining with another protocol type")

  const unknownMember = await join({ memberId: 'no-such-member-0000' })
  assert.equal(unknownMember.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'a member id the group never gave')

  const emptyType = await join({ groupId: 'fresh-group-1', protocolType: '' })
  assert.equal(emptyType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'an empty protocol type on a new group')
  const noProtocols = await join({ groupId: 'fresh-group-2', protocols: [] })
  assert.equal(noProtocols.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'no protocols on a new group')
  const emptyGroup = await join({ groupId: '' })
  assert.equal(emptyGroup.errorCode, ErrorCode.INVALID_GROUP_ID, 'an empty group id')
  const tinySession = await join({ sessionTimeoutMs: 1 })
  assert.equal(tinySession.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT, 'a session timeout below group.min.session.timeout.ms')
  const hugeSession = await join({ sessionTimeoutMs: 2_000_000_000 })
  assert.equal(hugeSession.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT, 'a session timeout above group.max.session.timeout.ms')

  await undisturbed(f, groupId, members, generation, since)
  for (const g of ['fresh-group-1', 'fresh-group-2']) {
    const d = await describeGroup(f.intruder, f.served, g)
    assert.ok(d.groupState === 'Dead' || d.groupState === 'Empty', `${g}: a refused join leaves no live group (state ${d.groupState})`)
    assert.deepEqual(d.members, [])
  }
  await stopAll(members)
})

test('a SyncGroup from a follower carrying assignments is accepted and its assignments ignored; every member gets what the leader gave', async (t) => {
  const f = await fixture(t)
  const groupId = 'bad-sync-group'
  const x = await f.member('member-x', groupId)
  const y = await f.member('member-y', groupId)
  await Promise.all([x.join(), y.join()])
  assert.equal(x.generationId, y.generationId, 'both joined the same generation (initial rebalance delay 300 ms)')
  assert.equal(x.leader, y.leader)
  const [leader, follower] = x.isLeader() ? [x, y] : [y, x]
  assert.ok(leader.isLeader() && !follower.isLeader(), 'one leader, one follower')
  assert.equal(leader.members.length, 2, 'the leader sees both members')
  assert.deepEqual(follower.members, [], 'a follower is sent no member list')

  // The follower claims every partition for itself and gives the leader nothing.
  const grab = [
    { memberId: follower.memberId, assignment: encodeAssignment({ [TOPIC]: [0, 1, 2, 3, 4, 5] }) },
    { memberId: leader.memberId, assignment: encodeAssignment({}) },
  ]
  const followerSync = follower.sync(grab)
  // Give the follower's SyncGroup a head start so it waits in CompletingRebalance (if it lands
  // after the leader's, it meets a Stable group; both paths must ignore its assignments).
  await new Promise((r) => setTimeout(r, 100))
  await leader.sync()
  await followerSync
  const want = { leader: { [TOPIC]: [0, 1, 2] }, follower: { [TOPIC]: [3, 4, 5] } }
  // Range over member ids sorted: the smaller id takes 0-2.
  if (follower.memberId < leader.memberId) [want.leader, want.follower] = [want.follower, want.leader]
  assert.deepEqual(leader.assignment, want.leader, "the leader's own assignment")
  assert.deepEqual(follower.assignment, want.follower, "the follower gets the leader's assignment, not its own")

  // Stable now: the follower tries again, and a stale / future / unknown SyncGroup follows.
  const again = await follower.sync(grab)
  assert.equal(again.errorCode, ErrorCode.NONE)
  assert.deepEqual(decodeAssignment(again.assignment), want.follower, 'in a Stable group a SyncGroup returns the current assignment')
  const since = marks([leader, follower])
  const version = pickVersion(f.served, ApiKey.SyncGroup)
  const sync = (override: Record<string, unknown>) =>
    f.intruder.request(ApiKey.SyncGroup, version, {
      groupId,
      generationId: leader.generationId,
      memberId: leader.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: grab,
      ...override,
    })
  assert.equal((await sync({ generationId: leader.generationId - 1 })).errorCode, ErrorCode.ILLEGAL_GENERATION, 'SyncGroup for a past generation')
  assert.equal((await sync({ generationId: leader.generationId + 1 })).errorCode, ErrorCode.ILLEGAL_GENERATION, 'SyncGroup for a future generation')
  assert.equal((await sync({ memberId: 'no-such-member-0000' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'SyncGroup from an unknown member')
  if (version >= 5) {
    assert.equal((await sync({ protocolType: 'connect' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'SyncGroup v5 naming another protocol type')
    assert.equal((await sync({ protocolName: 'roundrobin' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'SyncGroup v5 naming another protocol')
  }
  // The leader's assignment stands; both keep heartbeating at their generation.
  leader.run(100)
  follower.run(100)
  await undisturbed(f, groupId, [leader, follower], leader.generationId, since)
  await stopAll([leader, follower])
})

test('heartbeats for a past, future or no generation get ILLEGAL_GENERATION, unknown members UNKNOWN_MEMBER_ID; the members keep theirs', async (t) => {
  const f = await fixture(t)
  const groupId = 'bad-heartbeat-group'
  const { members, generation } = await threeMembers(t, f, groupId)
  const [a, b] = members as [RawMember, RawMember, RawMember]
  assert.ok(generation >= 2, 'the third member made a second generation')
  const since = marks(members)
  const version = pickVersion(f.served, ApiKey.Heartbeat)
  const heartbeat = async (memberId: string, generationId: number) =>
    (await f.intruder.request(ApiKey.Heartbeat, version, { groupId, generationId, memberId, groupInstanceId: null })).errorCode

  for (const m of [a, b]) {
    assert.equal(await heartbeat(m.memberId, generation - 1), ErrorCode.ILLEGAL_GENERATION, `${m.clientId} at the previous generation`)
    assert.equal(await heartbeat(m.memberId, generation + 1), ErrorCode.ILLEGAL_GENERATION, `${m.clientId} at a future generation`)
    assert.equal(await heartbeat(m.memberId, -1), ErrorCode.ILLEGAL_GENERATION, `${m.clientId} at generation -1`)
  }
  assert.equal(await heartbeat('no-such-member-0000', generation), ErrorCode.UNKNOWN_MEMBER_ID, 'an unknown member')
  assert.equal(await heartbeat('', generation), ErrorCode.UNKNOWN_MEMBER_ID, 'an empty member id')

  // Leaving as someone the group does not know removes nobody.
  const leaveVersion = pickVersion(f.served, ApiKey.LeaveGroup)
  const leave = await f.intruder.request(
    ApiKey.LeaveGroup,
    leaveVersion,
    leaveVersion >= 3 ? { groupId, members: [{ memberId: 'no-such-member-0000', groupInstanceId: null, reason: null }] } : { groupId, memberId: 'no-such-member-0000' },
  )
  if (leaveVersion >= 3) {
    assert.equal(leave.errorCode, ErrorCode.NONE, 'LeaveGroup v3+: top-level NONE')
    assert.deepEqual(leave.members?.map((m) => [m.memberId, m.errorCode]), [['no-such-member-0000', ErrorCode.UNKNOWN_MEMBER_ID]], 'and UNKNOWN_MEMBER_ID for the stranger')
  } else {
    assert.equal(leave.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  }

  await undisturbed(f, groupId, members, generation, since)
  await stopAll(members)
})

test('OffsetCommit for a stale generation gets ILLEGAL_GENERATION, one without membership UNKNOWN_MEMBER_ID, OffsetDelete of a subscribed topic GROUP_SUBSCRIBED_TO_TOPIC; nothing is stored or lost', async (t) => {
  const f = await fixture(t, [...MEMBERSHIP_APIS, 'OffsetCommit', 'OffsetFetch', 'OffsetDelete'])
  const groupId = 'bad-commit-group'
  const { members, generation } = await threeMembers(t, f, groupId)
  const [a] = members as [RawMember, RawMember, RawMember]
  const mine = a.assignment[TOPIC]!
  const all = Array.from({ length: PARTITIONS }, (_, p) => p)

  // member-a commits its partitions properly (its own connection is busy heartbeating: use the intruder's, as Kafka allows).
  const good = await commitRaw(f.intruder, f.served, { groupId, generationId: generation, memberId: a.memberId, topic: TOPIC, offsets: Object.fromEntries(mine.map((p) => [p, 7n])), metadata: 'good' })
  assert.deepEqual([...good.values()], mine.map(() => ErrorCode.NONE), 'a commit at the current generation')
  const since = marks(members)

  const stale = await commitRaw(f.intruder, f.served, { groupId, generationId: generation - 1, memberId: a.memberId, topic: TOPIC, offsets: Object.fromEntries(mine.map((p) => [p, 99n])) })
  assert.deepEqual([...stale.values()], mine.map(() => ErrorCode.ILLEGAL_GENERATION), 'a commit for the previous generation')
  const future = await commitRaw(f.intruder, f.served, { groupId, generationId: generation + 1, memberId: a.memberId, topic: TOPIC, offsets: Object.fromEntries(mine.map((p) => [p, 99n])) })
  assert.deepEqual([...future.values()], mine.map(() => ErrorCode.ILLEGAL_GENERATION), 'a commit for a future generation')
  const stranger = await commitRaw(f.intruder, f.served, { groupId, generationId: generation, memberId: 'no-such-member-0000', topic: TOPIC, offsets: { 0: 99n } })
  assert.deepEqual([...stranger.values()], [ErrorCode.UNKNOWN_MEMBER_ID], 'a commit from an unknown member')
  const simple = await commitRaw(f.intruder, f.served, { groupId, generationId: -1, memberId: '', topic: TOPIC, offsets: { 0: 99n } })
  assert.deepEqual([...simple.values()], [ErrorCode.UNKNOWN_MEMBER_ID], 'a commit without membership (admin / manual assignment) while the group has members')

  const delVersion = pickVersion(f.served, ApiKey.OffsetDelete)
  const del = await f.intruder.request(ApiKey.OffsetDelete, delVersion, { groupId, topics: [{ name: TOPIC, partitions: mine.map((p) => ({ partitionIndex: p })) }] })
  assert.equal(del.errorCode, ErrorCode.NONE)
  assert.deepEqual(
    del.topics.flatMap((x) => x.partitions.map((p) => p.errorCode)),
    mine.map(() => ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC),
    'OffsetDelete of a topic the group consumes',
  )

  const committed = await fetchCommittedRaw(f.intruder, f.served, groupId, TOPIC, all)
  assert.equal(committed.errorCode, ErrorCode.NONE)
  assert.deepEqual(
    all.map((p) => [p, committed.partitions.get(p)?.offset, committed.partitions.get(p)?.metadata ?? null]),
    all.map((p) => (mine.includes(p) ? [p, 7n, 'good'] : [p, -1n, ''])),
    "only member-a's good commit is stored (Kafka answers metadata '' for a partition without a commit)",
  )
  await undisturbed(f, groupId, members, generation, since)
  await stopAll(members)
})
