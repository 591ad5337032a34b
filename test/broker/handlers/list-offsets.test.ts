/** ListOffsets (key 2) against the embedded broker: earliest, latest, by timestamp, max timestamp. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import type { ListOffsetsResponseListOffsetsPartitionResponse } from '../../../src/protocol/generated/list-offsets.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { createBatch, encodeBatchSync } from '../../../src/protocol/records/batch.js'
import type { RawClient } from '../../helpers/raw-client.js'
import { embeddedBroker } from '../helpers.js'

async function list(c: RawClient, version: number, topic: string, partition: number, timestamp: bigint, opts: { leaderEpoch?: number; replicaId?: number } = {}): Promise<ListOffsetsResponseListOffsetsPartitionResponse> {
  const resp = await c.request(ApiKey.ListOffsets, version, {
    replicaId: opts.replicaId ?? -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: opts.leaderEpoch ?? -1, timestamp }] }],
    timeoutMs: 1000,
  })
  return resp.topics[0]!.partitions[0]!
}

/** One batch whose records have the given timestamps. */
async function produceAt(c: RawClient, topic: string, timestamps: number[]): Promise<void> {
  const base = timestamps[0]!
  const records = timestamps.map((ts, i) => ({ timestampDelta: ts - base, offsetDelta: i, key: null, value: Buffer.from(String(ts)), headers: [] }))
  const batch = encodeBatchSync(createBatch({ baseTimestamp: BigInt(base), records }))
  const resp = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] })
  assert.equal(resp.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE)
}

test('earliest, latest, by timestamp (exact within a batch) and max timestamp', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('lo', 1)
  const c = await tb.client()
  const empty = await list(c, 7, 'lo', 0, -1n)
  assert.equal(empty.offset, 0n)
  await produceAt(c, 'lo', [1000, 2000, 3000]) // offsets 0-2
  await produceAt(c, 'lo', [4000, 9000, 5000]) // offsets 3-5; the max timestamp is at offset 4

  assert.equal((await list(c, 7, 'lo', 0, -2n)).offset, 0n)
  assert.equal((await list(c, 7, 'lo', 0, -1n)).offset, 6n)
  for (const [ts, offset] of [[0, 0n], [1000, 0n], [1500, 1n], [2000, 1n], [3500, 3n], [4500, 4n], [9000, 4n]] as const) {
    const r = await list(c, 7, 'lo', 0, BigInt(ts))
    assert.equal(r.offset, offset, `timestamp ${ts}`)
    assert.ok(r.timestamp! >= BigInt(ts), `timestamp ${ts} answered ${r.timestamp}`)
  }
  const none = await list(c, 7, 'lo', 0, 10_000n)
  assert.deepEqual([none.offset, none.timestamp], [-1n, -1n])
  const max = await list(c, 7, 'lo', 0, -3n)
  assert.deepEqual([max.offset, max.timestamp], [4n, 9000n])
  assert.equal((await list(c, 8, 'lo', 0, -4n)).offset, 0n)
  assert.equal((await list(c, 9, 'lo', 0, -5n)).offset, -1n)
  // v1 carries no leader epoch; v4+ does.
  assert.equal((await list(c, 1, 'lo', 0, -1n)).offset, 6n)
  assert.equal((await list(c, 4, 'lo', 0, -1n)).leaderEpoch, 0)
})

test('errors: unknown topic or partition, leader epochs, max timestamp before v7', async (t) => {
  const tb = await embeddedBroker(t, { 'auto.create.topics.enable': 'false' })
  await tb.b.broker.createTopic('le', 1)
  const c = await tb.client()
  assert.equal((await list(c, 7, 'nope', 0, -1n)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.equal((await list(c, 7, 'le', 4, -1n)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.equal((await list(c, 7, 'le', 0, -1n, { leaderEpoch: 3 })).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH)
  assert.equal((await list(c, 7, 'le', 0, -1n, { leaderEpoch: 0 })).errorCode, ErrorCode.NONE)
  assert.equal((await list(c, 6, 'le', 0, -3n)).errorCode, ErrorCode.UNSUPPORTED_VERSION)
})

test('ListOffsets v0: up to max_num_offsets offsets, largest first, by segment; consumers see the high watermark for latest', async (t) => {
  const tb = await embeddedBroker(t, { 'log.segment.bytes': '200' })
  await tb.b.broker.createTopic('v0', 1)
  const c = await tb.client()
  for (let i = 0; i < 3; i++) await produceAt(c, 'v0', [1000 + i, 1001 + i, 1002 + i, 1003 + i]) // one segment each (200 bytes)
  const v0 = async (timestamp: bigint, maxNumOffsets: number) => {
    const resp = await c.request(ApiKey.ListOffsets, 0, { replicaId: -1, topics: [{ name: 'v0', partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets }] }] })
    const p = resp.topics[0]!.partitions[0]!
    assert.equal(p.errorCode, ErrorCode.NONE)
    return p.oldStyleOffsets!.map(Number)
  }
  const segments = tb.b.broker.context.replicas.hostedPartition('v0', 0).partition.log!.segmentBaseOffsets()
  assert.ok(segments.length >= 3, `segments ${segments.join(',')}`)
  assert.deepEqual(await v0(-1n, 1), [12])
  assert.deepEqual(await v0(-2n, 1), [0])
  const all = await v0(-1n, 100)
  assert.deepEqual(all, [12, ...[...segments].reverse()].filter((o, i, a) => a.indexOf(o) === i), 'log end, then each segment base, largest first')
  assert.ok(all.length <= segments.length + 1, 'never more than one per segment plus one')
  // Segment files were all written just now: a time before them finds nothing, a time after all of them everything.
  assert.deepEqual(await v0(1n, 10), [])
  assert.deepEqual(await v0(BigInt(Date.now() + 60_000), 2), all.slice(0, 2))
  const unknown = await c.request(ApiKey.ListOffsets, 0, { replicaId: -1, topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }] }] })
  assert.equal(unknown.topics[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
})
