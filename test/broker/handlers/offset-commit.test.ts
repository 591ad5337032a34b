/** OffsetCommit (key 8) and its round trip through OffsetFetch, over raw sockets, across versions. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import type { OffsetCommitRequest } from '../../../src/protocol/generated/offset-commit.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { startBroker } from '../../../src/index.js'
import { createLogger } from '../../../src/util/logger.js'
import { embeddedBroker } from '../helpers.js'
import { RawClient } from '../../helpers/raw-client.js'
import { RawMember, servedVersions } from '../../helpers/groups.js'

type Partitions = Array<[number, number, (string | null)?]>

function commitBody(groupId: string, topics: Record<string, Partitions>, more: Partial<OffsetCommitRequest> = {}): OffsetCommitRequest {
  return {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: Object.entries(topics).map(([name, ps]) => ({
      name,
      partitions: ps.map(([partitionIndex, offset, metadata]) => ({ partitionIndex, committedOffset: BigInt(offset), committedLeaderEpoch: 4, commitTimestamp: -1n, committedMetadata: metadata === undefined ? 'meta' : metadata })),
    })),
    ...more,
  }
}

async function commit(c: RawClient, version: number, body: OffsetCommitRequest): Promise<Array<[string, number, number]>> {
  const r = await c.request(ApiKey.OffsetCommit, version, body)
  if (version >= 3) assert.equal(r.throttleTimeMs, 0)
  return r.topics.flatMap((t) => t.partitions.map((p): [string, number, number] => [t.name, p.partitionIndex, p.errorCode]))
}

async function fetchOffsets(c: RawClient, groupId: string, topics: Record<string, number[]>): Promise<Array<[string, number, bigint, string | null, number]>> {
  const r = await c.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId, topics: Object.entries(topics).map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }], requireStable: false })
  const g = r.groups![0]!
  assert.equal(g.errorCode, ErrorCode.NONE)
  return g.topics.flatMap((t) => t.partitions.map((p): [string, number, bigint, string | null, number] => [t.name, p.partitionIndex, p.committedOffset, p.metadata, p.committedLeaderEpoch]))
}

test('ApiVersions lists the offset APIs with every version Kafka 3.x served', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const r = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })
  const range = (k: number) => r.apiKeys.filter((a) => a.apiKey === k).map((a) => [a.minVersion, a.maxVersion])
  assert.deepEqual(range(ApiKey.OffsetCommit), [[0, 9]])
  assert.deepEqual(range(ApiKey.OffsetFetch), [[0, 9]])
  assert.deepEqual(range(ApiKey.FindCoordinator), [[0, 6]])
  assert.deepEqual(range(ApiKey.OffsetDelete), [[0, 0]])
})

for (const version of [2, 3, 4, 5, 6, 7, 8, 9]) {
  test(`OffsetCommit v${version}: a simple consumer commits; unknown topics and partitions are refused per partition`, async (t) => {
    const tb = await embeddedBroker(t)
    await tb.b.broker.createTopic('t', 2)
    const c = await tb.client()
    const res = await commit(c, version, commitBody('simple', { t: [[0, 10], [1, 11, null], [2, 12]], missing: [[0, 1]] }))
    assert.deepEqual(res, [
      ['t', 0, ErrorCode.NONE],
      ['t', 1, ErrorCode.NONE],
      ['t', 2, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['missing', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ])
    assert.deepEqual(await fetchOffsets(c, 'simple', { t: [0, 1, 2] }), [
      ['t', 0, 10n, 'meta', version >= 6 ? 4 : -1],
      ['t', 1, 11n, '', version >= 6 ? 4 : -1],
      ['t', 2, -1n, '', -1],
    ])
    const tooBig = await commit(c, version, commitBody('simple', { t: [[0, 20, 'x'.repeat(4097)], [1, 21, 'x'.repeat(4096)]] }))
    assert.deepEqual(tooBig, [['t', 0, ErrorCode.OFFSET_METADATA_TOO_LARGE], ['t', 1, ErrorCode.NONE]])
    const unknownGroup = await commit(c, version, commitBody('nobody', { t: [[0, 1]] }, { generationIdOrMemberEpoch: 3, memberId: 'm' }))
    assert.deepEqual(unknownGroup, [['t', 0, version >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION]])
    const withRetention = await commit(c, version, commitBody('ret', { t: [[0, 1]] }, { retentionTimeMs: 60000n }))
    assert.deepEqual(withRetention, [['t', 0, ErrorCode.NONE]])
    const held = tb.b.broker.context.groups.committed('ret', 't', 0)!
    if (version <= 4) assert.equal(held.expireTimestamp, held.commitTimestamp + 60000, 'v2-4 carry a retention time')
    else assert.equal(held.expireTimestamp, undefined)
  })
}

test('OffsetCommit from group members: generation and member checks', async (t) => {
  const tb = await embeddedBroker(t, { 'group.initial.rebalance.delay.ms': '0' })
  await tb.b.broker.createTopic('t', 2)
  const served = await servedVersions(tb.b.port, tb.b.host)
  const m = await RawMember.connect(tb.b.port, tb.b.host, served, { groupId: 'grp', topics: ['t'], partitionsOf: { t: 2 } })
  t.after(() => m.client.close())
  await m.joinAndSync()
  const c = await tb.client()
  const as = (over: Partial<OffsetCommitRequest>) => commitBody('grp', { t: [[0, 5]] }, { generationIdOrMemberEpoch: m.generationId, memberId: m.memberId, ...over })
  assert.deepEqual(await commit(c, 9, as({})), [['t', 0, ErrorCode.NONE]])
  assert.deepEqual(await commit(c, 9, as({ generationIdOrMemberEpoch: m.generationId + 1 })), [['t', 0, ErrorCode.ILLEGAL_GENERATION]])
  assert.deepEqual(await commit(c, 9, as({ memberId: 'stranger' })), [['t', 0, ErrorCode.UNKNOWN_MEMBER_ID]])
  assert.deepEqual(await commit(c, 9, as({ generationIdOrMemberEpoch: -1, memberId: '' })), [['t', 0, ErrorCode.UNKNOWN_MEMBER_ID]], 'no simple commits while the group has members')
  assert.deepEqual(await fetchOffsets(c, 'grp', { t: [0] }), [['t', 0, 5n, 'meta', 4]])
})

test('committed offsets survive a broker restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-offsets-'))
  const logger = createLogger({ level: 'silent' })
  {
    const b = await startBroker({ logDirs: [dir], logger })
    await b.broker.createTopic('t', 3)
    const c = await RawClient.connect(b.port, b.host)
    assert.deepEqual(await commit(c, 8, commitBody('g1', { t: [[0, 100], [1, 101], [2, 102]] })), [['t', 0, 0], ['t', 1, 0], ['t', 2, 0]])
    assert.deepEqual(await commit(c, 8, commitBody('g1', { t: [[1, 111]] })), [['t', 1, 0]])
    assert.deepEqual(await commit(c, 8, commitBody('g2', { t: [[0, 7, 'x']] })), [['t', 0, 0]])
    c.close()
    await b.close()
  }
  const tb = await embeddedBroker(t, { 'log.dirs': dir })
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const c = await tb.client()
  assert.deepEqual(await fetchOffsets(c, 'g1', { t: [0, 1, 2] }), [['t', 0, 100n, 'meta', 4], ['t', 1, 111n, 'meta', 4], ['t', 2, 102n, 'meta', 4]])
  assert.deepEqual(await fetchOffsets(c, 'g2', { t: [0] }), [['t', 0, 7n, 'x', 4]])
})

test('OffsetCommit v1 (Kafka 0.8.2) commits to the coordinator; an explicit commit timestamp sets the expiry from it', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('t', 2)
  const c = await tb.client()
  const retentionMs = tb.b.broker.config.get('offsets.retention.minutes') * 60_000
  const body = commitBody('old', { t: [[0, 10], [1, 11]] })
  body.topics[0]!.partitions[1]!.commitTimestamp = 1_000_000n
  assert.deepEqual(await commit(c, 1, body), [['t', 0, ErrorCode.NONE], ['t', 1, ErrorCode.NONE]])
  assert.equal(tb.b.broker.context.groups.committed('old', 't', 0)!.expireTimestamp, undefined, '-1: expiry as any commit')
  assert.equal(tb.b.broker.context.groups.committed('old', 't', 1)!.expireTimestamp, 1_000_000 + retentionMs)
  // Read back with OffsetFetch v1, the version that client pairs with it.
  const r = await c.request(ApiKey.OffsetFetch, 1, { groupId: 'old', topics: [{ name: 't', partitionIndexes: [0, 1] }] })
  assert.deepEqual(r.topics!.flatMap((x) => x.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.errorCode])), [[0, 10n, 0], [1, 11n, 0]])
  // A member's commit is checked against the group, as from v2.
  assert.deepEqual(await commit(c, 1, commitBody('nobody', { t: [[0, 1]] }, { generationIdOrMemberEpoch: 3, memberId: 'm' })), [['t', 0, ErrorCode.ILLEGAL_GENERATION]])
})

test('OffsetCommit v0 and OffsetFetch v0 (offsets in ZooKeeper) answer UNSUPPORTED_VERSION per partition, as Kafka 3.x without ZooKeeper', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('t', 1)
  const c = await tb.client()
  assert.deepEqual(await commit(c, 0, commitBody('zk', { t: [[0, 10]] })), [['t', 0, ErrorCode.UNSUPPORTED_VERSION]])
  assert.equal(tb.b.broker.context.groups.committed('zk', 't', 0), undefined, 'nothing stored')
  const r = await c.request(ApiKey.OffsetFetch, 0, { groupId: 'zk', topics: [{ name: 't', partitionIndexes: [0] }] })
  assert.deepEqual(r.topics!.flatMap((x) => x.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.errorCode])), [[0, -1n, ErrorCode.UNSUPPORTED_VERSION]])
  // The connection stays usable: the answer is an error code, not a close.
  assert.deepEqual(await commit(c, 2, commitBody('zk', { t: [[0, 10]] })), [['t', 0, ErrorCode.NONE]])
})
