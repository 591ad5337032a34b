/**
 * GroupCoordinator over an in-memory `__consumer_offsets` (its own InternalTopic interface,
 * faked) and a manual clock: which partitions it serves follows onElection / onResignation,
 * partition by partition, and time moves only when a test says so.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GroupCoordinator, type GroupCoordinatorConfig } from '../../../src/coordinator/group/coordinator.js'
import { decodeGroupRecord } from '../../../src/coordinator/group/group-records.js'
import type { JoinRequest } from '../../../src/coordinator/group/membership.js'
import type { OffsetCommitInput } from '../../../src/coordinator/group/offset-manager.js'
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js'
import { decodeBatches } from '../../../src/protocol/records/record-set.js'
import { createLogger } from '../../../src/util/logger.js'
import { ManualTime } from '../../../src/util/time.js'
import { MemoryTopic } from '../memory-topic.js'

const CONFIG: GroupCoordinatorConfig = {
  minSessionTimeoutMs: 10,
  maxSessionTimeoutMs: 60_000,
  initialRebalanceDelayMs: 0,
  maxGroupSize: 100,
  offsetsTopicPartitions: 4,
  offsetsTopicReplicationFactor: 1,
  offsetsTopicSegmentBytes: 1 << 20,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMinutes: 10080,
  offsetsRetentionCheckIntervalMs: 600_000,
}

function coordinator(topic: MemoryTopic, time = new ManualTime(), over: Partial<GroupCoordinatorConfig> = {}): GroupCoordinator {
  return new GroupCoordinator({ topic, config: { ...CONFIG, ...over }, logger: createLogger({ level: 'silent' }), time })
}

/** A group id whose `__consumer_offsets` partition is `partition`. */
function groupIn(c: GroupCoordinator, partition: number, prefix = 'group'): string {
  for (let i = 0; ; i++) if (c.partitionFor(`${prefix}-${i}`) === partition) return `${prefix}-${i}`
}

function joinReq(groupId: string, over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId,
    memberId: '',
    groupInstanceId: null,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('sub') }],
    clientId: 'c',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: true,
    supportsSkipAssignment: true,
    ...over,
  }
}

function commitOf(groupId: string, topic: string, partition: number, offset: number, more: Partial<OffsetCommitInput> = {}): OffsetCommitInput {
  return { groupId, memberId: '', generationId: -1, groupInstanceId: null, retentionTimeMs: -1, unknownGroupIsNotFound: true, offsets: [{ topic, partition, offset: BigInt(offset), leaderEpoch: -1, metadata: '' }], ...more }
}

/** The member id handed out with MEMBER_ID_REQUIRED (KIP-394). */
async function memberIdFor(c: GroupCoordinator, groupId: string, over: Partial<JoinRequest> = {}): Promise<string> {
  const first = await c.join(joinReq(groupId, over))
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
  return first.memberId
}

/** One member, joined and synced: the group is Stable and its metadata is in the log. */
async function stableMember(c: GroupCoordinator, groupId: string, over: Partial<JoinRequest> = {}): Promise<{ memberId: string; generationId: number }> {
  const memberId = await memberIdFor(c, groupId, over)
  const j = await c.join(joinReq(groupId, { ...over, memberId }))
  assert.equal(j.errorCode, ErrorCode.NONE)
  const s = await c.sync({ groupId, generationId: j.generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId, assignment: Buffer.from('all') }] })
  assert.equal(s.errorCode, ErrorCode.NONE)
  return { memberId, generationId: j.generationId }
}

async function fetched(c: GroupCoordinator, groupId: string, topic = 't', partition = 0): Promise<bigint> {
  const [t] = await c.fetchOffsets(groupId, [{ topic, partitions: [partition] }])
  return t!.partitions[0]!.offset
}

const is = (code: number) => (e: unknown) => e instanceof KafkaError && e.code === code

/** Lets pending promise callbacks and immediates run. */
const turn = () => new Promise((r) => setImmediate(r))

test('election of a partition loads the groups and offsets of that partition only', async () => {
  const topic = new MemoryTopic(4)
  const writer = coordinator(topic)
  await Promise.all([0, 1, 2, 3].map((p) => writer.onElection(p, 0)))
  const inA = groupIn(writer, 1)
  const inB = groupIn(writer, 2)
  const member = await stableMember(writer, inA)
  await writer.commitOffsets(commitOf(inA, 't', 0, 10, { memberId: member.memberId, generationId: member.generationId }))
  await writer.commitOffsets(commitOf(inB, 't', 0, 20))
  await writer.close()

  const c = coordinator(topic)
  topic.reads.length = 0
  await c.onElection(1, 1)
  assert.deepEqual([...new Set(topic.reads)], [1], 'only partition 1 was read')
  assert.deepEqual(c.partitionStatus(1), { status: 'loaded', epoch: 1 })
  assert.deepEqual(c.partitionStatus(2), { status: 'not-led', epoch: undefined })
  assert.equal(await fetched(c, inA), 10n)
  const d = await c.describe(inA)
  assert.equal(d.state, 'Stable')
  assert.deepEqual(d.members.map((m) => m.memberId), [member.memberId])
  assert.deepEqual(c.list(), { errorCode: ErrorCode.NONE, groups: [{ groupId: inA, protocolType: 'consumer', state: 'Stable' }] })
  await assert.rejects(c.fetchOffsets(inB, null), is(ErrorCode.NOT_COORDINATOR))
  await assert.rejects(c.describe(inB), is(ErrorCode.NOT_COORDINATOR))
  await assert.rejects(c.join(joinReq(inB)), is(ErrorCode.NOT_COORDINATOR))
  assert.equal(c.committed(inB, 't', 0), undefined)
  await c.close()
})

test('resignation drops the partition: waiting joins and syncs get NOT_COORDINATOR, timers stop, later requests get NOT_COORDINATOR', async () => {
  const topic = new MemoryTopic(4)
  const time = new ManualTime()
  const c = coordinator(topic, time)
  await c.onElection(1, 5)
  const g = groupIn(c, 1)
  const first = await stableMember(c, g)
  await c.commitOffsets(commitOf(g, 't', 0, 7, { memberId: first.memberId, generationId: first.generationId }))
  // A second member's join waits for the first to rejoin.
  const second = await memberIdFor(c, g)
  const waitingJoin = c.join(joinReq(g, { memberId: second }))
  // Another group of the same partition: the follower's sync waits for the leader's assignment.
  const g2 = groupIn(c, 1, 'other')
  const [x, y] = [await memberIdFor(c, g2), await memberIdFor(c, g2)]
  const [jx, jy] = await Promise.all([c.join(joinReq(g2, { memberId: x })), c.join(joinReq(g2, { memberId: y }))])
  const follower = jx!.leader === x ? { id: y, j: jy! } : { id: x, j: jx! }
  const waitingSync = c.sync({ groupId: g2, generationId: follower.j.generationId, memberId: follower.id, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })
  assert.ok(time.pending > 0, 'session and rebalance timers are running')

  await c.onResignation(1, 6)
  assert.equal((await waitingJoin).errorCode, ErrorCode.NOT_COORDINATOR)
  assert.equal((await waitingSync).errorCode, ErrorCode.NOT_COORDINATOR)
  assert.equal(time.pending, 0, 'no timer of the dropped groups is left')
  assert.deepEqual(c.partitionStatus(1), { status: 'not-led', epoch: 6 })
  await assert.rejects(c.join(joinReq(g, { memberId: first.memberId })), is(ErrorCode.NOT_COORDINATOR))
  await assert.rejects(c.heartbeat(g, first.memberId, null, first.generationId), is(ErrorCode.NOT_COORDINATOR))
  await assert.rejects(c.fetchOffsets(g, null), is(ErrorCode.NOT_COORDINATOR))
  await assert.rejects(c.commitOffsets(commitOf(g, 't', 0, 8)), is(ErrorCode.NOT_COORDINATOR))
  assert.equal(await c.deleteGroup(g), ErrorCode.NOT_COORDINATOR)
  assert.deepEqual(c.list().groups, [])
  const written = topic.records(1)
  time.advance(60_000)
  assert.equal(topic.records(1), written, 'no session expiry of a dropped group reaches the log')

  // Elected again, the partition is what its log holds: the stable generation and the commit.
  await c.onElection(1, 7)
  assert.equal(await fetched(c, g), 7n)
  assert.deepEqual((await c.describe(g)).members.map((m) => m.memberId), [first.memberId])
  assert.equal(await c.heartbeat(g, first.memberId, null, first.generationId), ErrorCode.NONE)
  await c.close()
})

test('while a partition loads its groups get COORDINATOR_LOAD_IN_PROGRESS (heartbeats NONE, ListGroups the error); a failed load answers NOT_COORDINATOR until elected again', async () => {
  const topic = new MemoryTopic(4)
  const writer = coordinator(topic)
  await Promise.all([0, 1, 2, 3].map((p) => writer.onElection(p, 0)))
  const g = groupIn(writer, 1)
  const h = groupIn(writer, 2)
  await writer.commitOffsets(commitOf(g, 't', 0, 3))
  await writer.commitOffsets(commitOf(h, 't', 0, 4))
  await writer.close()

  const c = coordinator(topic)
  topic.readGate.close()
  const loading = c.onElection(1, 1)
  while (topic.readGate.waiting === 0) await turn()
  assert.equal(c.partitionStatus(1).status, 'loading')
  assert.equal(await c.ensureTopic(), 4, 'FindCoordinator is answered while a partition loads')
  await assert.rejects(c.join(joinReq(g)), is(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS))
  await assert.rejects(c.fetchOffsets(g, null), is(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS))
  await assert.rejects(c.commitOffsets(commitOf(g, 't', 0, 5)), is(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS))
  await assert.rejects(c.describe(g), is(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS))
  assert.equal(await c.heartbeat(g, 'm', null, 1), ErrorCode.NONE, "Kafka's coordinator answers heartbeats blindly while loading")
  assert.equal(await c.deleteGroup(g), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
  assert.deepEqual(c.list(), { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] })
  topic.readGate.open()
  await loading
  assert.equal(c.partitionStatus(1).status, 'loaded')
  assert.equal(await fetched(c, g), 3n)
  assert.deepEqual(c.list(), { errorCode: ErrorCode.NONE, groups: [{ groupId: g, protocolType: '', state: 'Empty' }] })

  topic.failReads.add(2)
  await c.onElection(2, 1)
  assert.equal(c.partitionStatus(2).status, 'failed')
  await assert.rejects(c.fetchOffsets(h, null), is(ErrorCode.NOT_COORDINATOR))
  assert.equal(c.list().errorCode, ErrorCode.NONE, 'a failed partition is not listed, and not loading')
  await c.onElection(2, 2)
  assert.equal(await fetched(c, h), 4n, 'a newer election loads it again')
  await c.close()
})

test('stale elections and resignations are ignored; a resignation must be newer than the epoch loaded; topic deletion forgets epochs', async () => {
  const topic = new MemoryTopic(4)
  const c = coordinator(topic)
  await c.onElection(1, 5)
  const g = groupIn(c, 1)
  await c.commitOffsets(commitOf(g, 't', 0, 1))
  await c.onResignation(1, 4)
  assert.deepEqual(c.partitionStatus(1), { status: 'loaded', epoch: 5 }, 'an older resignation')
  await c.onResignation(1, 5)
  assert.deepEqual(c.partitionStatus(1), { status: 'loaded', epoch: 5 }, 'a resignation at the epoch it leads with (Kafka: only a newer one unloads)')
  await c.onElection(1, 3)
  assert.deepEqual(c.partitionStatus(1), { status: 'loaded', epoch: 5 }, 'an older election')
  const reads = topic.reads.length
  await c.onElection(1, 6)
  assert.deepEqual(c.partitionStatus(1), { status: 'loaded', epoch: 6 })
  assert.equal(topic.reads.length, reads, 'still the leader at a newer epoch: nothing to reload')
  assert.equal(await fetched(c, g), 1n)

  await c.onResignation(1, 7)
  assert.deepEqual(c.partitionStatus(1), { status: 'not-led', epoch: 7 })
  await c.onElection(1, 6)
  await c.onElection(1, 7)
  assert.equal(c.partitionStatus(1).status, 'not-led', 'elections not newer than the resignation are stale')
  await c.onResignation(3, 9)
  await c.onElection(3, 8)
  assert.equal(c.partitionStatus(3).status, 'not-led', 'a partition never led remembers the epoch it was told about')
  await c.onElection(1, 8)
  assert.equal(await fetched(c, g), 1n)

  await c.onResignation(1)
  assert.deepEqual(c.partitionStatus(1), { status: 'not-led', epoch: undefined }, 'no epoch: the topic was deleted')
  await c.onElection(1, 0)
  assert.equal(c.partitionStatus(1).status, 'loaded', 'a re-created topic starts its epochs again')
  await c.close()
})

test('a commit racing a resignation does not resurrect state: a write in flight is answered NOT_COORDINATOR, a queued one is never written', async () => {
  const topic = new MemoryTopic(4)
  const c = coordinator(topic)
  await c.onElection(1, 1)
  const g = groupIn(c, 1)
  const g2 = groupIn(c, 1, 'other')
  topic.appendGate.close()
  const inFlight = c.commitOffsets(commitOf(g, 't', 0, 10))
  while (topic.appendGate.waiting === 0) await turn()
  const queued = c.commitOffsets(commitOf(g2, 't', 0, 20))
  await turn()
  await c.onResignation(1, 2)
  topic.appendGate.open()
  await assert.rejects(inFlight, is(ErrorCode.NOT_COORDINATOR))
  await assert.rejects(queued, is(ErrorCode.NOT_COORDINATOR))
  assert.equal(topic.records(1), 1, 'the admitted write landed; the queued one was refused before writing')
  assert.equal(c.committed(g, 't', 0), undefined, 'nothing of the dropped partition is visible')
  await assert.rejects(c.fetchOffsets(g, null), is(ErrorCode.NOT_COORDINATOR))

  // The next leader's state is the log's: the landed commit, not the refused one.
  await c.onElection(1, 3)
  assert.equal(await fetched(c, g), 10n)
  assert.equal(await fetched(c, g2), -1n)

  // A leader's sync whose assignment is being written when the partition moves away.
  const g3 = groupIn(c, 1, 'third')
  const id = await memberIdFor(c, g3)
  const j = await c.join(joinReq(g3, { memberId: id }))
  topic.appendGate.close()
  const sync = c.sync({ groupId: g3, generationId: j.generationId, memberId: id, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: id, assignment: Buffer.from('a') }] })
  while (topic.appendGate.waiting === 0) await turn()
  await c.onResignation(1, 4)
  topic.appendGate.open()
  assert.equal((await sync).errorCode, ErrorCode.NOT_COORDINATOR)
  await c.onElection(1, 5)
  assert.equal((await c.describe(g3)).state, 'Stable', 'the assignment record landed, so the new leader has the generation')
  await c.close()
})

test('the first requests after the topic is created find their partition loaded; a JoinGroup before any FindCoordinator creates the topic', async () => {
  const topic = new MemoryTopic()
  const c = coordinator(topic)
  // As the broker does: the new topic's leadership is announced before creation resolves.
  topic.onCreated = (n) => {
    for (let p = 0; p < n; p++) void c.onElection(p, 0)
  }
  assert.equal(c.numPartitions, 4, 'offsets.topic.num.partitions before the topic exists')
  // Two members at once: the second finds the topic visible before its partitions are announced.
  const joins = await Promise.all([c.join(joinReq('fresh')), c.join(joinReq('fresh'))])
  assert.deepEqual(joins.map((j) => j.errorCode), [ErrorCode.MEMBER_ID_REQUIRED, ErrorCode.MEMBER_ID_REQUIRED], 'not NOT_COORDINATOR nor COORDINATOR_LOAD_IN_PROGRESS')
  for (let p = 0; p < 4; p++) assert.equal(c.partitionStatus(p).status, 'loaded')
  assert.equal(await c.ensureTopic(), 4)
  await c.close()
  await assert.rejects(c.join(joinReq('fresh')), is(ErrorCode.COORDINATOR_NOT_AVAILABLE), 'shut down')
})

test('membership runs on the injected clock: initial rebalance delay, session expiry, state timestamps', async () => {
  const topic = new MemoryTopic(4)
  const time = new ManualTime(1_700_000_000_000)
  const c = coordinator(topic, time, { initialRebalanceDelayMs: 3000 })
  await c.onElection(0, 0)
  const g = groupIn(c, 0)
  const id = await memberIdFor(c, g)
  let joined = false
  const join = c.join(joinReq(g, { memberId: id, sessionTimeoutMs: 10_000 })).finally(() => (joined = true))
  await turn() // the request reaches the group
  time.advance(2999)
  await turn()
  assert.equal(joined, false, 'group.initial.rebalance.delay.ms holds the first generation')
  time.advance(1)
  const j = await join
  assert.equal(j.generationId, 1)
  await c.sync({ groupId: g, generationId: 1, memberId: id, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })
  time.advance(9_999)
  assert.equal(await c.heartbeat(g, id, null, 1), ErrorCode.NONE, 'within the session')
  time.advance(9_999)
  assert.equal((await c.describe(g)).state, 'Stable')
  time.advance(1)
  assert.equal((await c.describe(g)).state, 'Empty', 'the session expired 10 s after the last heartbeat')
  await turn()
  // The Empty group's metadata record carries the moment it emptied, from the injected clock.
  const batches = await decodeBatches(await topic.read(0, { fromOffset: 0, toOffset: Number.MAX_SAFE_INTEGER, maxBytes: 1 << 20 }))
  const last = batches.at(-1)!.records.at(-1)!
  const rec = decodeGroupRecord(last.key!, last.value)
  assert.ok(rec.type === 'group' && rec.value !== null)
  assert.equal(rec.value.currentStateTimestamp, BigInt(time.now()))
  await c.close()
})
