/** OffsetManager with an in-memory log, a scripted membership (the real ones have their own tests) and a manual clock. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadBrokerConfig } from '../../../src/broker/config.js'
import { groupCoordinatorConfig } from '../../../src/broker/coordinator-partitions.js'
import type { MembershipView } from '../../../src/coordinator/group/coordinator.js'
import { decodeGroupRecord, groupMetadataRecord, type GroupLogEntry } from '../../../src/coordinator/group/group-records.js'
import { OffsetManager, type OffsetCommitInput, type OffsetLog } from '../../../src/coordinator/group/offset-manager.js'
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js'
import { createLogger } from '../../../src/util/logger.js'
import { ManualTime } from '../../../src/util/time.js'

class FakeLog implements OffsetLog {
  readonly appends: Array<{ groupId: string; entries: GroupLogEntry[] }> = []
  fail: KafkaError | undefined
  hold: Promise<void> | undefined
  private next = 0

  async append(groupId: string, entries: readonly GroupLogEntry[]) {
    if (this.hold) await this.hold
    if (this.fail) throw this.fail
    this.appends.push({ groupId, entries: [...entries] })
    const firstOffset = this.next
    this.next += entries.length
    return { firstOffset, lastOffset: this.next - 1 }
  }

  /** Every record written, decoded, as "group/topic/partition=offset" or "...=null". */
  written(): string[] {
    return this.appends.flatMap((a) =>
      a.entries.map((e) => {
        const d = decodeGroupRecord(e.key, e.value)
        if (d.type === 'offset') return `${d.key.group}/${d.key.topic}/${d.key.partition}=${d.value ? d.value.offset : 'null'}`
        return d.type === 'group' ? `group ${d.groupId}=${d.value ? 'value' : 'null'}` : 'unknown'
      }),
    )
  }
}

interface FakeGroup {
  members: boolean
  protocolType: string | null
  subscribed: Set<string>
  emptySince?: number
  reject?: KafkaError
}

class FakeMembership implements MembershipView {
  readonly groups = new Map<string, FakeGroup>()
  readonly commitChecks: Array<[string, string, number, string | null]> = []

  add(id: string, g: Partial<FakeGroup> = {}): FakeGroup {
    const group = { members: false, protocolType: 'consumer', subscribed: new Set<string>(), ...g }
    this.groups.set(id, group)
    return group
  }
  validateOffsetCommit(groupId: string, memberId: string, generationId: number, groupInstanceId: string | null): void {
    this.commitChecks.push([groupId, memberId, generationId, groupInstanceId])
    const g = this.groups.get(groupId)
    if (g?.reject) throw g.reject
  }
  validateOffsetFetch(groupId: string, memberId: string | null): void {
    const g = this.groups.get(groupId)
    if (memberId !== null && g?.reject) throw g.reject
  }
  isEmpty(groupId: string): boolean {
    return !(this.groups.get(groupId)?.members ?? false)
  }
  exists(groupId: string): boolean {
    return this.groups.has(groupId)
  }
  isSubscribedTo(groupId: string, topic: string): boolean {
    const g = this.groups.get(groupId)
    return g !== undefined && g.members && g.subscribed.has(topic)
  }
  emptySince(groupId: string): number | undefined {
    return this.groups.get(groupId)?.emptySince
  }
  protocolType(groupId: string): string | null {
    return this.groups.get(groupId)?.protocolType ?? null
  }
}

const MINUTE = 60_000
const RETENTION = 10080 * MINUTE

function setup(overrides: Record<string, string> = {}) {
  const log = new FakeLog()
  const membership = new FakeMembership()
  const time = new ManualTime(1_700_000_000_000)
  // Tests set the time forward by assignment; only ManualTime moves it (firing due timers).
  const clock = {
    get now() {
      return time.now()
    },
    set now(to: number) {
      time.advance(to - time.now())
    },
  }
  const expired: string[] = []
  // The broker's own mapping of its config, so defaults are Kafka's (offset.metadata.max.bytes 4096, ...).
  const c = groupCoordinatorConfig(loadBrokerConfig({ overrides }))
  const offsets = new OffsetManager({
    log,
    membership,
    logger: createLogger({ level: 'silent' }),
    maxMetadataBytes: c.offsetMetadataMaxBytes,
    retentionMs: c.offsetsRetentionMinutes * MINUTE,
    checkIntervalMs: c.offsetsRetentionCheckIntervalMs,
    time,
    onGroupOffsetsExpired: (g) => void expired.push(g),
  })
  return { log, membership, clock, time, offsets, expired }
}

function commitOf(groupId: string, offsets: Array<[string, number, number, (string | null)?]>, more: Partial<OffsetCommitInput> = {}): OffsetCommitInput {
  return {
    groupId,
    memberId: '',
    generationId: -1,
    groupInstanceId: null,
    retentionTimeMs: -1,
    unknownGroupIsNotFound: true,
    offsets: offsets.map(([topic, partition, offset, metadata]) => ({ topic, partition, offset: BigInt(offset), leaderEpoch: 3, metadata: metadata === undefined ? 'm' : metadata })),
    ...more,
  }
}

test('commit writes one batch, then fetch returns what was committed', async () => {
  const { log, offsets, clock } = setup()
  const res = await offsets.commit(commitOf('g', [['t', 0, 10], ['t', 1, 11, null], ['u', 0, 12]]))
  assert.deepEqual(res.map((r) => r.errorCode), [0, 0, 0])
  assert.equal(log.appends.length, 1)
  assert.deepEqual(log.written(), ['g/t/0=10', 'g/t/1=11', 'g/u/0=12'])
  const v = decodeGroupRecord(log.appends[0]!.entries[0]!.key, log.appends[0]!.entries[0]!.value)
  assert.deepEqual(v.type === 'offset' && v.value, { offset: 10n, leaderEpoch: 3, metadata: 'm', commitTimestamp: BigInt(clock.now) })
  assert.deepEqual(await offsets.fetch('g', [{ topic: 't', partitions: [0, 1, 2] }, { topic: 'nope', partitions: [0] }]), [
    {
      topic: 't',
      partitions: [
        { partition: 0, offset: 10n, leaderEpoch: 3, metadata: 'm', errorCode: 0 },
        { partition: 1, offset: 11n, leaderEpoch: 3, metadata: '', errorCode: 0 },
        { partition: 2, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: 0 },
      ],
    },
    { topic: 'nope', partitions: [{ partition: 0, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: 0 }] },
  ])
  const all = await offsets.fetch('g', null)
  assert.deepEqual(all.map((t) => [t.topic, t.partitions.map((p) => [p.partition, p.offset])]), [['t', [[0, 10n], [1, 11n]]], ['u', [[0, 12n]]]])
  assert.deepEqual(await offsets.fetch('unknown', null), [])
  assert.equal(offsets.committed('g', 't', 0)!.recordOffset, 0)
  assert.equal(offsets.committed('g', 'u', 0)!.recordOffset, 2)
})

test('metadata longer than offset.metadata.max.bytes fails that partition only (Java length: UTF-16 units)', async () => {
  const { log, offsets } = setup({ 'offset.metadata.max.bytes': '3' })
  const res = await offsets.commit(commitOf('g', [['t', 0, 1, 'abc'], ['t', 1, 2, 'abcd'], ['t', 2, 3, '\u{1F600}\u{1F600}']]))
  assert.deepEqual(res.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.OFFSET_METADATA_TOO_LARGE, ErrorCode.OFFSET_METADATA_TOO_LARGE])
  assert.deepEqual(log.written(), ['g/t/0=1'])
  const { offsets: dflt } = setup()
  const big = await dflt.commit(commitOf('g', [['t', 0, 1, 'x'.repeat(4096)], ['t', 1, 1, 'x'.repeat(4097)]]))
  assert.deepEqual(big.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.OFFSET_METADATA_TOO_LARGE], 'default 4096')
})

test('group checks: simple consumers, unknown groups by version, and the membership decides for known groups', async () => {
  const { offsets, membership, log } = setup()
  await offsets.commit(commitOf('simple', [['t', 0, 1]]))
  assert.equal(offsets.hasOffsets('simple'), true, 'a commit without generation creates a simple group')
  await assert.rejects(offsets.commit(commitOf('simple', [['t', 0, 2]], { generationId: 3, memberId: 'm' })), (e: KafkaError) => e.code === ErrorCode.UNKNOWN_MEMBER_ID)
  await assert.rejects(offsets.commit(commitOf('none', [['t', 0, 1]], { generationId: 1, unknownGroupIsNotFound: false })), (e: KafkaError) => e.code === ErrorCode.ILLEGAL_GENERATION)
  await assert.rejects(offsets.commit(commitOf('none', [['t', 0, 1]], { generationId: 1, unknownGroupIsNotFound: true })), (e: KafkaError) => e.code === ErrorCode.GROUP_ID_NOT_FOUND)
  membership.add('real', { members: true, reject: new KafkaError('REBALANCE_IN_PROGRESS') })
  await assert.rejects(offsets.commit(commitOf('real', [['t', 0, 1]], { generationId: 2, memberId: 'm1', groupInstanceId: 'i1' })), (e: KafkaError) => e.code === ErrorCode.REBALANCE_IN_PROGRESS)
  assert.deepEqual(membership.commitChecks, [['real', 'm1', 2, 'i1']])
  membership.groups.get('real')!.reject = undefined
  await offsets.commit(commitOf('real', [['t', 0, 5]], { generationId: 2, memberId: 'm1' }))
  assert.deepEqual(log.written(), ['simple/t/0=1', 'real/t/0=5'])
})

test('a failed write leaves memory as it was', async () => {
  const { offsets, log } = setup()
  await offsets.commit(commitOf('g', [['t', 0, 1]]))
  log.fail = new KafkaError('NOT_COORDINATOR')
  await assert.rejects(offsets.commit(commitOf('g', [['t', 0, 2]])), (e: KafkaError) => e.code === ErrorCode.NOT_COORDINATOR)
  await assert.rejects(offsets.deleteGroup('g'), (e: KafkaError) => e.code === ErrorCode.NOT_COORDINATOR)
  assert.equal(offsets.committed('g', 't', 0)!.offset, 1n)
})

test('a retention time (v2-4) sets the expire timestamp, stored as OffsetCommitValue v1', async () => {
  const { offsets, log, clock } = setup()
  await offsets.commit(commitOf('g', [['t', 0, 1]], { retentionTimeMs: 5000 }))
  assert.equal(offsets.committed('g', 't', 0)!.expireTimestamp, clock.now + 5000)
  assert.equal(log.appends[0]!.entries[0]!.value!.readInt16BE(0), 1)
  clock.now += 4999
  assert.equal(await offsets.expireOffsets(), 0)
  clock.now += 1
  assert.equal(await offsets.expireOffsets(), 1, 'expires at its own timestamp, long before offsets.retention.minutes')
})

test('OffsetDelete: unknown group, non-consumer group with members, subscribed topics, tombstones', async () => {
  const { offsets, membership, log } = setup()
  await assert.rejects(offsets.deleteOffsets('nobody', [{ topic: 't', partitions: [0] }]), (e: KafkaError) => e.code === ErrorCode.GROUP_ID_NOT_FOUND)
  membership.add('connect', { members: true, protocolType: 'connect' })
  await assert.rejects(offsets.deleteOffsets('connect', []), (e: KafkaError) => e.code === ErrorCode.NON_EMPTY_GROUP)
  membership.add('c', { members: true, subscribed: new Set(['t']) })
  await offsets.commit(commitOf('c', [['t', 0, 1], ['u', 0, 2], ['u', 1, 3]]))
  const res = await offsets.deleteOffsets('c', [{ topic: 't', partitions: [0] }, { topic: 'u', partitions: [0, 7] }])
  assert.deepEqual(res.map((r) => [r.topic, r.partition, r.errorCode]), [['t', 0, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC], ['u', 0, 0], ['u', 7, 0]])
  assert.deepEqual(log.written().slice(3), ['c/u/0=null'], 'a tombstone only where an offset was committed')
  assert.equal(offsets.committed('c', 't', 0)!.offset, 1n)
  assert.equal(offsets.committed('c', 'u', 0), undefined)
  assert.equal(offsets.committed('c', 'u', 1)!.offset, 3n)
  membership.groups.get('c')!.members = false
  assert.deepEqual((await offsets.deleteOffsets('c', [{ topic: 't', partitions: [0] }])).map((r) => r.errorCode), [0], 'nobody subscribes once the group is empty')
})

test('deleteGroup writes tombstones for every offset with the extra records, in one batch', async () => {
  const { offsets, log } = setup()
  await offsets.commit(commitOf('g', [['t', 0, 1], ['t', 1, 2], ['u', 0, 3]]))
  await offsets.commit(commitOf('other', [['t', 0, 9]]))
  assert.equal(await offsets.deleteGroup('g', [groupMetadataRecord('g', null)]), 3)
  assert.deepEqual(log.appends.at(-1)!.entries.length, 4)
  assert.deepEqual(log.written().slice(4), ['g/t/0=null', 'g/t/1=null', 'g/u/0=null', 'group g=null'])
  assert.equal(offsets.hasOffsets('g'), false)
  assert.deepEqual(offsets.groupIds(), ['other'])
  assert.equal(await offsets.deleteGroup('g'), 0)
})

test('expiry: empty groups only, from when the group emptied or else from the commit; subscribed topics stay', async () => {
  const { offsets, membership, clock, expired, log } = setup({ 'offsets.retention.minutes': '10080' })
  const t0 = clock.now
  await offsets.commit(commitOf('simple', [['t', 0, 1]]))
  membership.add('busy', { members: true, subscribed: new Set(['t']) })
  await offsets.commit(commitOf('busy', [['x', 0, 1]], { generationId: 1, memberId: 'm' }))
  membership.add('emptied', { emptySince: t0 + 60 * MINUTE })
  await offsets.commit(commitOf('emptied', [['t', 0, 1]], { generationId: 1, memberId: 'm' }))
  clock.now = t0 + RETENTION - 1
  assert.equal(await offsets.expireOffsets(), 0)
  clock.now = t0 + RETENTION
  assert.equal(await offsets.expireOffsets(), 1)
  assert.deepEqual(expired, ['simple'])
  assert.equal(offsets.hasOffsets('simple'), false)
  assert.equal(offsets.hasOffsets('emptied'), true, 'ages from when the group became empty, an hour after the commit')
  clock.now = t0 + 60 * MINUTE + RETENTION
  assert.equal(await offsets.expireOffsets(), 1)
  assert.deepEqual(expired, ['simple', 'emptied'])
  clock.now += 100 * RETENTION
  assert.equal(await offsets.expireOffsets(), 0, 'a group with members keeps its offsets, even of topics it no longer reads')
  assert.deepEqual(log.written().filter((w) => w.endsWith('=null')), ['simple/t/0=null', 'emptied/t/0=null'])
})

test('expiry decided while a commit is being written waits for it and sees it', async () => {
  const { offsets, clock, log } = setup()
  await offsets.commit(commitOf('g', [['t', 0, 1]]))
  clock.now += RETENTION
  let release!: () => void
  log.hold = new Promise<void>((r) => (release = r))
  const commit = offsets.commit(commitOf('g', [['t', 0, 2]]))
  const expiry = offsets.expireOffsets()
  release()
  log.hold = undefined
  await commit
  assert.equal(await expiry, 0)
  assert.deepEqual(log.written(), ['g/t/0=1', 'g/t/0=2'], 'no tombstone after the fresh commit')
  assert.equal(offsets.committed('g', 't', 0)!.offset, 2n)
})

test('requireStable fetches wait for the group commits in flight', async () => {
  const { offsets, log } = setup()
  let release!: () => void
  log.hold = new Promise<void>((r) => (release = r))
  const commit = offsets.commit(commitOf('g', [['t', 0, 7]]))
  const plain = await offsets.fetch('g', [{ topic: 't', partitions: [0] }])
  assert.equal(plain[0]!.partitions[0]!.offset, -1n)
  const stable = offsets.fetch('g', [{ topic: 't', partitions: [0] }], { requireStable: true })
  release()
  await commit
  assert.equal((await stable)[0]!.partitions[0]!.offset, 7n)
})

test('replay: latest record wins, tombstones remove, an older transactional commit does not overwrite', () => {
  const { offsets } = setup()
  const key = { group: 'g', topic: 't', partition: 0 }
  const v = (o: bigint) => ({ offset: o, leaderEpoch: -1, metadata: '', commitTimestamp: 1n })
  offsets.replay(key, v(1n), 10)
  offsets.replay(key, v(2n), 12)
  offsets.replay(key, v(0n), 11)
  assert.equal(offsets.committed('g', 't', 0)!.offset, 2n)
  offsets.replay(key, null, 13)
  assert.equal(offsets.hasOffsets('g'), false)
  offsets.replay(key, { ...v(5n), expireTimestamp: 99n }, 14)
  assert.equal(offsets.committed('g', 't', 0)!.expireTimestamp, 99)
})

test('deleting a topic deletes every group offset of it', async () => {
  const { offsets, log } = setup()
  await offsets.commit(commitOf('a', [['gone', 0, 1], ['gone', 1, 1], ['kept', 0, 1]]))
  await offsets.commit(commitOf('b', [['gone', 0, 1]]))
  assert.equal(await offsets.onTopicDeleted('gone'), 3)
  assert.deepEqual(log.written().filter((w) => w.endsWith('=null')).sort(), ['a/gone/0=null', 'a/gone/1=null', 'b/gone/0=null'])
  assert.equal(offsets.hasOffsets('b'), false)
  assert.equal(offsets.committed('a', 'kept', 0)!.offset, 1n)
})

test('the expiry timer runs every offsets.retention.check.interval.ms, one run at a time, and stops at close', async () => {
  const { offsets, log, time } = setup({ 'offsets.retention.minutes': '1', 'offsets.retention.check.interval.ms': '1000' })
  await offsets.commit(commitOf('g', [['t', 0, 1]]))
  offsets.start()
  assert.equal(time.pending, 1)
  await time.advanceAsync(59_999)
  assert.deepEqual(log.written(), ['g/t/0=1'], 'a minute has not passed at any of the 59 checks')
  await time.advanceAsync(1)
  assert.deepEqual(log.written(), ['g/t/0=1', 'g/t/0=null'], 'expired by the check at 60 s')
  assert.equal(time.pending, 1, 'the next check is scheduled once this one ended')
  await offsets.close()
  assert.equal(time.pending, 0)
})
