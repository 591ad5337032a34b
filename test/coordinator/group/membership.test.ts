/** GroupMembership: the classic protocol's state machine, driven directly; time moves only when a test advances it. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode } from '../../../src/protocol/errors.js'
import type { GroupMetadataValue } from '../../../src/protocol/generated/coordinator/group/group-metadata.js'
import { GroupMembership, type JoinRequest } from '../../../src/coordinator/group/membership.js'
import { createLogger } from '../../../src/util/logger.js'
import { ManualTime } from '../../../src/util/time.js'

function membership(opts: { delay?: number; maxSize?: number; persisted?: Array<[string, GroupMetadataValue | null]>; time?: ManualTime } = {}): GroupMembership {
  const m = new GroupMembership({
    minSessionTimeoutMs: 10,
    maxSessionTimeoutMs: 60_000,
    initialRebalanceDelayMs: opts.delay ?? 0,
    maxGroupSize: opts.maxSize ?? 100,
    logger: createLogger({ level: 'error' }),
    time: opts.time ?? new ManualTime(),
    persist: async (id, v) => {
      opts.persisted?.push([id, v])
    },
  })
  return m
}

const meta = (s: string): Buffer => Buffer.from(s)

function req(over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    sessionTimeoutMs: 5000,
    rebalanceTimeoutMs: 5000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: meta('r') }],
    clientId: 'c',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: true,
    supportsSkipAssignment: true,
    ...over,
  }
}

/** KIP-394 handshake: the first join gets MEMBER_ID_REQUIRED and an id to come back with. */
async function memberId(m: GroupMembership, over: Partial<JoinRequest> = {}): Promise<string> {
  const first = await m.join(req(over))
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
  assert.match(first.memberId, /^c-/)
  return first.memberId
}

test('three members join one generation; the leader alone gets the member list; sync hands out its assignment', async (t) => {
  const persisted: Array<[string, GroupMetadataValue | null]> = []
  const m = membership({ persisted })
  t.after(() => m.close())
  const ids = [await memberId(m), await memberId(m), await memberId(m)]
  const joins = await Promise.all(ids.map((id) => m.join(req({ memberId: id }))))
  assert.deepEqual(joins.map((j) => j.errorCode), [0, 0, 0])
  const gen = joins[0]!.generationId
  assert.ok(joins.every((j) => j.generationId === gen && j.protocolName === 'range' && j.leader === joins[0]!.leader))
  const leader = joins.find((j) => j.memberId === j.leader)!
  assert.equal(leader.members.length, 3)
  assert.ok(joins.filter((j) => j !== leader).every((j) => j.members.length === 0))
  assert.deepEqual(m.describe('g').state, 'CompletingRebalance')

  const followers = ids.filter((id) => id !== leader.memberId)
  const followerSyncs = followers.map((id) => m.sync({ groupId: 'g', generationId: gen, memberId: id, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: id, assignment: meta('ignored') }] }))
  const assignments = ids.map((id) => ({ memberId: id, assignment: meta(`for ${id}`) }))
  const leaderSync = await m.sync({ groupId: 'g', generationId: gen, memberId: leader.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments })
  assert.equal(leaderSync.errorCode, ErrorCode.NONE)
  assert.equal(leaderSync.assignment.toString(), `for ${leader.memberId}`)
  const fs = await Promise.all(followerSyncs)
  // A follower's own "assignments" are ignored: each gets what the leader decided.
  assert.deepEqual(fs.map((f) => f.assignment.toString()), followers.map((id) => `for ${id}`))
  assert.equal(m.describe('g').state, 'Stable')
  assert.equal(persisted.at(-1)![1]!.members.length, 3)
  assert.equal(persisted.at(-1)![1]!.generation, gen)
  for (const id of ids) assert.equal(m.heartbeat('g', id, null, gen), ErrorCode.NONE)
  assert.equal(m.heartbeat('g', ids[0]!, null, gen - 1), ErrorCode.ILLEGAL_GENERATION)
  assert.equal(m.heartbeat('g', 'nobody', null, gen), ErrorCode.UNKNOWN_MEMBER_ID)
})

test('a new member makes the others rejoin (REBALANCE_IN_PROGRESS); a leave rebalances the rest', async (t) => {
  const m = membership()
  t.after(() => m.close())
  const a = await memberId(m)
  const j1 = await m.join(req({ memberId: a }))
  await m.sync({ groupId: 'g', generationId: j1.generationId, memberId: a, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: a, assignment: meta('all') }] })
  const b = await memberId(m)
  const bJoin = m.join(req({ memberId: b }))
  assert.equal(m.heartbeat('g', a, null, j1.generationId), ErrorCode.REBALANCE_IN_PROGRESS)
  const aRejoin = await m.join(req({ memberId: a }))
  const bJoined = await bJoin
  assert.equal(aRejoin.generationId, j1.generationId + 1)
  assert.equal(bJoined.generationId, j1.generationId + 1)
  assert.equal(aRejoin.leader, a, 'the leader stays the leader')

  const left = m.leave('g', [{ memberId: b, groupInstanceId: null }])
  assert.deepEqual(left.members, [ErrorCode.NONE])
  assert.equal(m.describe('g').state, 'PreparingRebalance')
  const alone = await m.join(req({ memberId: a }))
  assert.equal(alone.generationId, j1.generationId + 2)
  assert.equal(alone.members.length, 1)
  assert.deepEqual(m.leave('g', [{ memberId: 'ghost', groupInstanceId: null }]).members, [ErrorCode.UNKNOWN_MEMBER_ID])
})

test('a member whose session expires is removed and the group rebalances without it', async (t) => {
  const time = new ManualTime()
  const m = membership({ time })
  t.after(() => m.close())
  const a = await memberId(m, { sessionTimeoutMs: 100 })
  const b = await memberId(m, { sessionTimeoutMs: 100 })
  const [ja] = await Promise.all([m.join(req({ memberId: a, sessionTimeoutMs: 100, rebalanceTimeoutMs: 100 })), m.join(req({ memberId: b, sessionTimeoutMs: 100, rebalanceTimeoutMs: 100 }))])
  const gen = ja!.generationId
  const syncs = [a, b].map((id) => m.sync({ groupId: 'g', generationId: gen, memberId: id, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }))
  await Promise.all(syncs)
  // Only `a` heartbeats; `b` goes silent.
  for (let elapsed = 0; elapsed < 99; elapsed += 33) {
    time.advance(33)
    assert.equal(m.heartbeat('g', a, null, gen), ErrorCode.NONE)
  }
  assert.equal(m.describe('g').members.length, 2, 'b is still within its 100 ms session')
  time.advance(1)
  assert.deepEqual(m.describe('g').members.map((x) => x.memberId), [a], 'b expired exactly 100 ms after its last sync')
  assert.equal(m.heartbeat('g', a, null, gen), ErrorCode.REBALANCE_IN_PROGRESS)
  const rejoin = await m.join(req({ memberId: a, sessionTimeoutMs: 100, rebalanceTimeoutMs: 100 }))
  assert.equal(rejoin.generationId, gen + 1)
})

test('a member id handed out with MEMBER_ID_REQUIRED expires after the session timeout if the member never comes back', async (t) => {
  const time = new ManualTime()
  const m = membership({ time })
  t.after(() => m.close())
  const ghost = await memberId(m, { sessionTimeoutMs: 1000 })
  time.advance(999)
  const back = await m.join(req({ memberId: ghost, sessionTimeoutMs: 1000 }))
  assert.equal(back.errorCode, ErrorCode.NONE, 'back in time: the pending id is honoured')
  const late = await memberId(m, { sessionTimeoutMs: 1000 })
  time.advance(1000)
  assert.equal((await m.join(req({ memberId: late, sessionTimeoutMs: 1000 }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'too late: the id expired')
  const dynamicOld = await m.join(req({ groupId: 'old', requireKnownMemberId: false }))
  assert.equal(dynamicOld.errorCode, ErrorCode.NONE, 'without KIP-394 (JoinGroup v0-3) the member joins at once')
})

test('protocol checks: unknown protocol type, no common protocol, bad session timeout, unknown member', async (t) => {
  const m = membership({ maxSize: 2 })
  t.after(() => m.close())
  const a = await memberId(m)
  void m.join(req({ memberId: a }))
  assert.equal((await m.join(req({ protocolType: 'connect' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  assert.equal((await m.join(req({ protocols: [{ name: 'roundrobin', metadata: meta('x') }] }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  assert.equal((await m.join(req({ sessionTimeoutMs: 1 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT)
  assert.equal((await m.join(req({ memberId: 'made-up' }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  assert.equal((await m.join(req({ groupId: '' }))).errorCode, ErrorCode.INVALID_GROUP_ID)
  await memberId(m)
  assert.equal((await m.join(req())).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED)
})

test('static membership: a restarted instance takes its old place and assignment without a rebalance', async (t) => {
  const time = new ManualTime()
  const m = membership({ delay: 50, time })
  t.after(() => m.close())
  // Static members skip the MEMBER_ID_REQUIRED round trip.
  const joining = Promise.all([m.join(req({ groupInstanceId: 'i-a' })), m.join(req({ groupInstanceId: 'i-b' }))])
  time.advance(100) // the initial delay, extended once because i-b arrived during it
  const [ja, jb] = await joining
  assert.equal(ja!.errorCode, ErrorCode.NONE)
  const gen = ja!.generationId
  const leader = ja!.leader
  await Promise.all(
    [ja!, jb!].map((j) =>
      m.sync({ groupId: 'g', generationId: gen, memberId: j.memberId, groupInstanceId: j.memberId === ja!.memberId ? 'i-a' : 'i-b', protocolType: null, protocolName: null, assignments: [ja!, jb!].map((x) => ({ memberId: x.memberId, assignment: meta(`p-${x.memberId === ja!.memberId ? 'a' : 'b'}`) })) }),
    ),
  )
  const follower = leader === ja!.memberId ? { j: jb!, id: 'i-b', p: 'p-b' } : { j: ja!, id: 'i-a', p: 'p-a' }
  // The follower restarts: a new member id for the same instance, same generation, no rebalance.
  const back = await m.join(req({ groupInstanceId: follower.id }))
  assert.equal(back.errorCode, ErrorCode.NONE)
  assert.equal(back.generationId, gen)
  assert.notEqual(back.memberId, follower.j.memberId)
  assert.equal(m.describe('g').state, 'Stable')
  const sync = await m.sync({ groupId: 'g', generationId: gen, memberId: back.memberId, groupInstanceId: follower.id, protocolType: null, protocolName: null, assignments: [] })
  assert.equal(sync.assignment.toString(), follower.p)
  // The old incarnation is fenced.
  assert.equal(m.heartbeat('g', follower.j.memberId, follower.id, gen), ErrorCode.FENCED_INSTANCE_ID)
  assert.equal(m.heartbeat('g', leader, leader === ja!.memberId ? 'i-a' : 'i-b', gen), ErrorCode.NONE)
})

test('static membership: a restarted instance with new metadata (e.g. no owned partitions) but the same protocol keeps the generation; one that changes the protocol rebalances', async (t) => {
  const time = new ManualTime()
  const m = membership({ delay: 50, time })
  t.after(() => m.close())
  const twoProtocols = [{ name: 'range', metadata: meta('owned 0,1') }, { name: 'roundrobin', metadata: meta('owned 0,1') }]
  const joining = Promise.all([m.join(req({ groupInstanceId: 'i-a', protocols: twoProtocols })), m.join(req({ groupInstanceId: 'i-b', protocols: twoProtocols }))])
  time.advance(100)
  const [ja, jb] = await joining
  const gen = ja!.generationId
  await Promise.all([ja!, jb!].map((j) => m.sync({ groupId: 'g', generationId: gen, memberId: j.memberId, groupInstanceId: j.memberId === ja!.memberId ? 'i-a' : 'i-b', protocolType: null, protocolName: null, assignments: [] })))
  assert.equal(m.describe('g').state, 'Stable')
  // The leader restarts with different metadata for the same protocols: no rebalance.
  const leaderId = ja!.leader === ja!.memberId ? 'i-a' : 'i-b'
  const back = await m.join(req({ groupInstanceId: leaderId, protocols: [{ name: 'range', metadata: meta('owned nothing') }, { name: 'roundrobin', metadata: meta('owned nothing') }] }))
  assert.deepEqual([back.errorCode, back.generationId, m.describe('g').state], [ErrorCode.NONE, gen, 'Stable'])
  // The other restarts preferring roundrobin only: the vote changes, so the group rebalances.
  const otherId = leaderId === 'i-a' ? 'i-b' : 'i-a'
  const changed = m.join(req({ groupInstanceId: otherId, protocols: [{ name: 'roundrobin', metadata: meta('x') }] }))
  await Promise.resolve()
  assert.equal(m.describe('g').state, 'PreparingRebalance')
  time.advance(5000)
  void changed
})

test('initial rebalance delay gathers members that arrive within it into the first generation', async (t) => {
  const time = new ManualTime()
  const m = membership({ delay: 150, time })
  t.after(() => m.close())
  const a = await memberId(m)
  let done = 0
  const first = m.join(req({ memberId: a })).finally(() => done++)
  time.advance(50)
  const b = await memberId(m)
  const second = m.join(req({ memberId: b })).finally(() => done++)
  // b arrived within the first 150 ms, so the delay is extended by another 150 ms.
  time.advance(249)
  await new Promise((r) => setImmediate(r))
  assert.equal(done, 0, 'still gathering 299 ms after the first join')
  time.advance(1)
  const [ja, jb] = await Promise.all([first, second])
  assert.equal(ja.generationId, 1)
  assert.equal(jb.generationId, 1)
  assert.equal((ja.leader === a ? ja : jb).members.length, 2)
})

test('offset commit validation follows Kafka: simple commits only to empty groups, generation and member checks', async (t) => {
  const m = membership()
  t.after(() => m.close())
  m.validateOffsetCommit('nobody-home', '', -1, null)
  assert.throws(() => m.validateOffsetCommit('nobody-home', 'x', 3, null), { errorName: 'ILLEGAL_GENERATION' })
  const a = await memberId(m)
  const j = await m.join(req({ memberId: a }))
  assert.throws(() => m.validateOffsetCommit('g', a, j.generationId, null), { errorName: 'REBALANCE_IN_PROGRESS' })
  await m.sync({ groupId: 'g', generationId: j.generationId, memberId: a, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })
  m.validateOffsetCommit('g', a, j.generationId, null)
  assert.throws(() => m.validateOffsetCommit('g', a, j.generationId - 1, null), { errorName: 'ILLEGAL_GENERATION' })
  assert.throws(() => m.validateOffsetCommit('g', 'stranger', j.generationId, null), { errorName: 'UNKNOWN_MEMBER_ID' })
  assert.throws(() => m.validateOffsetCommit('g', '', -1, null), { errorName: 'UNKNOWN_MEMBER_ID' })
  assert.equal(m.isEmpty('g'), false)
})

test('groups are restored from their metadata record and deleted only when empty', async (t) => {
  const persisted: Array<[string, GroupMetadataValue | null]> = []
  const m = membership({ persisted })
  t.after(() => m.close())
  m.load('restored', { protocolType: 'consumer', generation: 7, protocol: 'range', leader: 'm1', currentStateTimestamp: 0n, members: [{ memberId: 'm1', groupInstanceId: null, clientId: 'c', clientHost: '/h', rebalanceTimeout: 5000, sessionTimeout: 5000, subscription: meta('s'), assignment: meta('a') }] })
  const d = m.describe('restored')
  assert.equal(d.state, 'Stable')
  assert.equal(d.members[0]!.assignment.toString(), 'a')
  assert.equal(m.heartbeat('restored', 'm1', null, 7), ErrorCode.NONE)
  assert.equal(await m.delete('restored'), ErrorCode.NON_EMPTY_GROUP)
  m.leave('restored', [{ memberId: 'm1', groupInstanceId: null }])
  assert.equal(m.describe('restored').state, 'Empty', 'the last member left: nobody to wait for')
  assert.equal(await m.delete('restored'), ErrorCode.NONE)
  assert.deepEqual(persisted.at(-1), ['restored', null])
  assert.equal(await m.delete('restored'), ErrorCode.GROUP_ID_NOT_FOUND)
})
