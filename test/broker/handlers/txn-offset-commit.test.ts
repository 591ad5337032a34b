/**
 * TxnOffsetCommit and OffsetFetch requireStable over a raw socket against an embedded broker,
 * with a real group member (the classic protocol, a static instance id) and a transactional id:
 * Kafka's codes for a stale generation (ILLEGAL_GENERATION), an unknown member
 * (UNKNOWN_MEMBER_ID), another member id under the static instance id (FENCED_INSTANCE_ID) and a
 * stale producer epoch (INVALID_PRODUCER_EPOCH), a group whose offsets partition was never added
 * to the transaction (INVALID_TXN_STATE), none of which leaves an offset pending; and
 * UNSTABLE_OFFSET_COMMIT for requireStable fetches while the transaction's offsets wait for
 * their marker.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { TxnState } from '../../../src/coordinator/txn/txn-metadata.js'
import { RawMember, servedVersions } from '../../helpers/groups.js'
import { embeddedBroker } from '../helpers.js'

test('TxnOffsetCommit: generation, member, static instance and producer epoch checked as Kafka; OffsetFetch requireStable answers UNSTABLE_OFFSET_COMMIT until the marker', async (t) => {
  const tb = await embeddedBroker(t, { 'group.initial.rebalance.delay.ms': '0' })
  await tb.b.broker.createTopic('in', 1)
  const served = await servedVersions(tb.b.port, tb.b.host)
  const member = await RawMember.connect(tb.b.port, tb.b.host, served, { groupId: 'g', topics: ['in'], partitionsOf: { in: 1 }, groupInstanceId: 'static-1' })
  t.after(() => member.client.close())
  await member.joinAndSync()
  const c = await tb.client()
  assert.equal((await c.request(ApiKey.FindCoordinator, 3, { key: 'toc', keyType: 1 })).errorCode, ErrorCode.NONE)
  const init = await c.request(ApiKey.InitProducerId, 4, { transactionalId: 'toc', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })
  assert.equal(init.errorCode, ErrorCode.NONE)
  const { producerId, producerEpoch } = init
  assert.equal((await c.request(ApiKey.AddOffsetsToTxn, 3, { transactionalId: 'toc', producerId, producerEpoch, groupId: 'g' })).errorCode, ErrorCode.NONE)

  const commit = async (o: { generationId?: number; memberId?: string; groupInstanceId?: string | null; producerEpoch?: number; offset?: bigint }) => {
    const r = await c.request(ApiKey.TxnOffsetCommit, 3, {
      transactionalId: 'toc',
      groupId: 'g',
      producerId,
      producerEpoch: o.producerEpoch ?? producerEpoch,
      generationId: o.generationId ?? member.generationId,
      memberId: o.memberId ?? member.memberId,
      groupInstanceId: o.groupInstanceId === undefined ? 'static-1' : o.groupInstanceId,
      topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: o.offset ?? 5n, committedLeaderEpoch: -1, committedMetadata: '' }] }],
    })
    return r.topics[0]!.partitions[0]!.errorCode
  }
  const pending = () => tb.b.broker.context.groups.fetchOffsets('g', [{ topic: 'in', partitions: [0] }], { requireStable: true }).then((r) => r[0]!.partitions[0]!.errorCode)

  assert.equal(await commit({ generationId: member.generationId + 1 }), ErrorCode.ILLEGAL_GENERATION)
  assert.equal(await commit({ memberId: 'nobody', groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID)
  assert.equal(await commit({ memberId: 'impostor' }), ErrorCode.FENCED_INSTANCE_ID)
  assert.equal(await commit({ producerEpoch: producerEpoch - 1 }), ErrorCode.INVALID_PRODUCER_EPOCH)
  assert.equal(await pending(), ErrorCode.NONE, 'no refused commit left an offset pending')
  // A group whose offsets partition was never added (AddOffsetsToTxn) to the transaction: KIP-890 part 1.
  const other = await c.request(ApiKey.TxnOffsetCommit, 3, {
    transactionalId: 'toc', groupId: 'never-added', producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: '' }] }],
  })
  const sameOffsetsPartition = tb.b.broker.context.groups.partitionFor('never-added') === tb.b.broker.context.groups.partitionFor('g')
  assert.equal(other.topics[0]!.partitions[0]!.errorCode, sameOffsetsPartition ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE)

  assert.equal(await commit({}), ErrorCode.NONE)
  const fetch = (requireStable: boolean) =>
    c.request(ApiKey.OffsetFetch, 7, { groupId: 'g', topics: [{ name: 'in', partitionIndexes: [0] }], requireStable }).then((r) => r.topics![0]!.partitions[0]!)
  const unstable = await fetch(true)
  assert.equal(unstable.errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT)
  assert.equal(unstable.committedOffset, -1n)
  const plain = await fetch(false)
  assert.deepEqual([plain.errorCode, plain.committedOffset], [ErrorCode.NONE, -1n], 'without requireStable: the last committed offset (none yet)')

  assert.equal((await c.request(ApiKey.EndTxn, 3, { transactionalId: 'toc', producerId, producerEpoch, committed: true })).errorCode, ErrorCode.NONE)
  for (let i = 0; i < 200 && (await tb.b.broker.context.txns.describe('toc'))!.state !== TxnState.CompleteCommit; i++) await new Promise((r) => setTimeout(r, 20))
  const stable = await fetch(true)
  assert.deepEqual([stable.errorCode, stable.committedOffset], [ErrorCode.NONE, 5n])
})

test('TxnOffsetCommit with ACLs: a topic without READ is TOPIC_AUTHORIZATION_FAILED and not committed, the readable one is; the group and transactional id are checked first', async (t) => {
  const tb = await embeddedBroker(t, { 'authorizer.class.name': 'samsa' })
  await tb.b.broker.createTopic('in', 1)
  await tb.b.broker.createTopic('secret', 1)
  const allow = (resourceType: 'TOPIC' | 'GROUP' | 'TRANSACTIONAL_ID', name: string, operation: 'READ' | 'WRITE') => ({ pattern: { resourceType, name, patternType: 'LITERAL' as const }, entry: { principal: 'User:ANONYMOUS', host: '*', operation, permission: 'ALLOW' as const } })
  await tb.b.broker.metadata.createAcls([allow('TRANSACTIONAL_ID', 'tx', 'WRITE'), allow('TOPIC', 'in', 'READ')])
  const c = await tb.client()
  assert.equal((await c.request(ApiKey.FindCoordinator, 3, { key: 'tx', keyType: 1 })).errorCode, ErrorCode.NONE)
  const init = await c.request(ApiKey.InitProducerId, 4, { transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })
  assert.equal(init.errorCode, ErrorCode.NONE)
  const { producerId, producerEpoch } = init
  const commit = async (topics: string[]) => {
    const r = await c.request(ApiKey.TxnOffsetCommit, 3, {
      transactionalId: 'tx', groupId: 'g', producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
      topics: topics.map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: '' }] })),
    })
    return Object.fromEntries(r.topics.map((x) => [x.name, x.partitions[0]!.errorCode]))
  }
  assert.deepEqual(await commit(['in', 'secret']), { in: ErrorCode.GROUP_AUTHORIZATION_FAILED, secret: ErrorCode.GROUP_AUTHORIZATION_FAILED }, 'READ on the group comes before the topics')
  await tb.b.broker.metadata.createAcls([allow('GROUP', 'g', 'READ')])
  assert.equal((await c.request(ApiKey.AddOffsetsToTxn, 3, { transactionalId: 'tx', producerId, producerEpoch, groupId: 'g' })).errorCode, ErrorCode.NONE)
  assert.deepEqual(await commit(['secret']), { secret: ErrorCode.TOPIC_AUTHORIZATION_FAILED })
  assert.deepEqual(await commit(['in', 'secret']), { in: ErrorCode.NONE, secret: ErrorCode.TOPIC_AUTHORIZATION_FAILED })
  const pending = await tb.b.broker.context.groups.fetchOffsets('g', [{ topic: 'in', partitions: [0] }, { topic: 'secret', partitions: [0] }], { requireStable: true })
  const codes = Object.fromEntries(pending.map((x) => [x.topic, x.partitions[0]!.errorCode]))
  assert.deepEqual(codes, { in: ErrorCode.UNSTABLE_OFFSET_COMMIT, secret: ErrorCode.NONE }, 'only the readable topic has an offset waiting for the commit marker')
})
