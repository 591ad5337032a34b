/**
 * The broker's side of the group coordinator against a real embedded broker: the internal
 * topic on the replica manager (storage errors become the KafkaErrors the coordinator maps),
 * and leadership from metadata (start-up, creation, deletion of `__consumer_offsets`; deleted
 * topics' offsets).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { internalTopic } from '../../src/broker/coordinator-partitions.js'
import { GROUP_METADATA_TOPIC } from '../../src/coordinator/group/group-log.js'
import type { OffsetCommitInput } from '../../src/coordinator/group/offset-manager.js'
import { startBroker } from '../../src/index.js'
import { ErrorCode, KafkaError } from '../../src/protocol/errors.js'
import { createBatch, encodeBatchSync } from '../../src/protocol/records/batch.js'
import { decodeBatches } from '../../src/protocol/records/record-set.js'
import { createLogger } from '../../src/util/logger.js'
import { embeddedBroker, until } from './helpers.js'

const batchOf = (...values: string[]) => encodeBatchSync(createBatch({ baseTimestamp: 1n, records: values.map((v, i) => ({ timestampDelta: 0, offsetDelta: i, key: Buffer.from('k'), value: Buffer.from(v), headers: [] })) }))

function commitOf(groupId: string, topic: string, offset: number): OffsetCommitInput {
  return { groupId, memberId: '', generationId: -1, groupInstanceId: null, retentionTimeMs: -1, unknownGroupIsNotFound: true, offsets: [{ topic, partition: 0, offset: BigInt(offset), leaderEpoch: -1, metadata: '' }] }
}

test('the internal topic: created with the settings asked (replication capped at the live brokers), appended, read back, its offsets', async (t) => {
  const tb = await embeddedBroker(t)
  const ctx = tb.b.broker.context
  const topic = internalTopic(ctx, '__internal_test')
  assert.equal(topic.partitionCount(), undefined)
  assert.equal(await topic.create({ partitions: 2, replicationFactor: 3, configs: { 'cleanup.policy': 'compact' } }), 2)
  assert.equal(await topic.create({ partitions: 9, replicationFactor: 1, configs: {} }), 2, 'an existing topic is kept as it is')
  assert.deepEqual(ctx.metadata.topic('__internal_test')!.partitions[0]!.replicas, [0])
  assert.equal(ctx.metadata.topic('__internal_test')!.configs['cleanup.policy'], 'compact')
  assert.deepEqual(await topic.append(1, batchOf('a', 'b')), { firstOffset: 0, lastOffset: 1 })
  assert.deepEqual(await topic.append(1, batchOf('c')), { firstOffset: 2, lastOffset: 2 })
  assert.deepEqual(await topic.offsets(1), { logStartOffset: 0, logEndOffset: 3 })
  const read = await decodeBatches(await topic.read(1, { fromOffset: 1, toOffset: 2, maxBytes: 1 }))
  assert.deepEqual(read.map((b) => b.records.map((r) => r.value!.toString())), [['a', 'b']], 'at least one whole batch, none from toOffset on')
})

test('the internal topic answers KafkaErrors: an unknown partition, and a closed log (a storage error) as NOT_LEADER_OR_FOLLOWER', async (t) => {
  const tb = await embeddedBroker(t)
  const ctx = tb.b.broker.context
  const topic = internalTopic(ctx, '__internal_test')
  await topic.create({ partitions: 1, replicationFactor: 1, configs: {} })
  await assert.rejects(topic.append(5, batchOf('x')), (e) => e instanceof KafkaError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  const { log } = await ctx.replicas.leaderLog('__internal_test', 0)
  await log.close()
  for (const op of [() => topic.append(0, batchOf('x')), () => topic.read(0, { fromOffset: 0, toOffset: 1, maxBytes: 100 })]) {
    await assert.rejects(op(), (e) => e instanceof KafkaError && e.code === ErrorCode.NOT_LEADER_OR_FOLLOWER, 'LOG_CLOSED, as the broker answers it')
  }
})

test('leadership from metadata: creating __consumer_offsets elects its partitions, deleting it resigns them; a deleted topic takes its committed offsets along', async (t) => {
  const tb = await embeddedBroker(t, { 'offsets.topic.num.partitions': '3' })
  const { groups, metadata } = tb.b.broker.context
  assert.equal(groups.partitionStatus(0).status, 'not-led')
  await tb.b.broker.createTopic('events', 1)
  await groups.ensureTopic()
  assert.deepEqual([0, 1, 2].map((p) => groups.partitionStatus(p)), [0, 1, 2].map(() => ({ status: 'loaded', epoch: metadata.topic(GROUP_METADATA_TOPIC)!.partitions[0]!.leaderEpoch })))
  await groups.commitOffsets(commitOf('g', 'events', 5))
  await groups.commitOffsets(commitOf('g', 'kept', 6))
  assert.equal(groups.committed('g', 'events', 0)!.offset, 5n)
  await metadata.deleteTopic('events')
  // The deletion's tombstones are written in the background, after the deletion resolved.
  await until(() => groups.committed('g', 'events', 0) === undefined, 'the offsets of the deleted topic to go')
  assert.equal(groups.committed('g', 'events', 0), undefined, "Kafka's onPartitionsDeleted: the group's offsets of a deleted topic go")
  assert.equal(groups.committed('g', 'kept', 0)!.offset, 6n)
  await metadata.deleteTopic(GROUP_METADATA_TOPIC)
  assert.deepEqual([0, 1, 2].map((p) => groups.partitionStatus(p).status), ['not-led', 'not-led', 'not-led'])
})

test('at start-up every __consumer_offsets partition led here is loaded, with its leader epoch, before clients can connect', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-coordinator-partitions-'))
  const config = { 'offsets.topic.num.partitions': '2' }
  {
    const b = await startBroker({ logDirs: [dir], config, logger: createLogger({ level: 'silent' }) })
    await b.broker.createTopic('t', 1)
    await b.broker.context.groups.commitOffsets(commitOf('survivor', 't', 42))
    await b.close()
  }
  const b = await startBroker({ logDirs: [dir], config, logger: createLogger({ level: 'silent' }) })
  t.after(async () => {
    await b.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const groups = b.broker.context.groups
  const md = b.broker.context.metadata.topic(GROUP_METADATA_TOPIC)!
  assert.deepEqual([0, 1].map((p) => groups.partitionStatus(p)), md.partitions.map((p) => ({ status: 'loaded', epoch: p.leaderEpoch })))
  assert.equal(groups.committed('survivor', 't', 0)!.offset, 42n)
})
