/** DeleteRecords (key 21) against the embedded broker, over a raw socket, across the version range. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import type { DeleteRecordsResponseDeleteRecordsPartitionResult } from '../../../src/protocol/generated/delete-records.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { createBatch, encodeBatchSync } from '../../../src/protocol/records/index.js'
import { startBroker, type Broker } from '../../../src/index.js'
import { createTopic } from '../../../src/broker/topic-admin.js'
import { createLogger } from '../../../src/util/logger.js'
import { embeddedBroker } from '../helpers.js'
import { RawClient } from '../../helpers/raw-client.js'

/** Appends `count` one-record batches as the leader would (no Produce needed). */
async function fill(broker: Broker, topic: string, partition: number, count: number): Promise<void> {
  const { log, partition: hosted } = await broker.replicas.leaderLog(topic, partition)
  for (let i = 0; i < count; i++) {
    const batch = createBatch({ baseTimestamp: BigInt(Date.now()), records: [{ timestampDelta: 0, offsetDelta: 0, key: Buffer.from('k'), value: Buffer.alloc(100, i), headers: [] }] })
    await log.appendAsLeader(encodeBatchSync(batch), { leaderEpoch: hosted.leaderEpoch })
    hosted.maybeIncrementHighWatermark()
  }
}

async function deleteRecords(c: RawClient, version: number, topics: Record<string, Array<[number, bigint]>>): Promise<Map<string, DeleteRecordsResponseDeleteRecordsPartitionResult>> {
  const r = await c.request(ApiKey.DeleteRecords, version, {
    topics: Object.entries(topics).map(([name, parts]) => ({ name, partitions: parts.map(([partitionIndex, offset]) => ({ partitionIndex, offset })) })),
    timeoutMs: 5000,
  })
  assert.equal(r.throttleTimeMs, 0)
  const out = new Map<string, DeleteRecordsResponseDeleteRecordsPartitionResult>()
  for (const t of r.topics) for (const p of t.partitions) out.set(`${t.name}-${p.partitionIndex}`, p)
  return out
}

for (const version of [0, 1, 2]) {
  test(`DeleteRecords v${version}: moves the log start offset and drops whole segments below it; -1 means the high watermark`, async (t) => {
    const tb = await embeddedBroker(t)
    const c = await tb.client()
    const broker = tb.b.broker
    // Small segments so that deleting records frees files.
    await broker.createTopic('events', 2, { 'segment.bytes': '400' })
    await fill(broker, 'events', 0, 10)
    await fill(broker, 'events', 1, 4)
    const log0 = broker.replicas.logs.getLog({ topic: 'events', partition: 0 })!
    const segmentsBefore = log0.segmentCount
    assert.ok(segmentsBefore > 2)
    const res = await deleteRecords(c, version, { events: [[0, 5n], [1, -1n]] })
    assert.deepEqual(res.get('events-0'), { partitionIndex: 0, lowWatermark: 5n, errorCode: ErrorCode.NONE })
    assert.deepEqual(res.get('events-1'), { partitionIndex: 1, lowWatermark: 4n, errorCode: ErrorCode.NONE })
    assert.equal(log0.logStartOffset, 5)
    assert.ok(log0.segmentCount < segmentsBefore, `segments ${segmentsBefore} -> ${log0.segmentCount}`)
    assert.equal(broker.replicas.logs.getLog({ topic: 'events', partition: 1 })!.logStartOffset, 4)

    // An offset below the current start changes nothing and answers the start.
    const again = await deleteRecords(c, version, { events: [[0, 2n]] })
    assert.equal(again.get('events-0')!.lowWatermark, 5n)
    assert.equal(again.get('events-0')!.errorCode, ErrorCode.NONE)
  })
}

test('DeleteRecords: errors per partition', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const broker = tb.b.broker
  await broker.createTopic('t', 1)
  await broker.createTopic('compacted', 1, { 'cleanup.policy': 'compact' })
  await broker.createTopic('both', 1, { 'cleanup.policy': 'compact,delete' })
  await createTopic(broker.context, { name: '__consumer_offsets', partitions: 1, allowInternal: true })
  await fill(broker, 't', 0, 3)
  await fill(broker, 'both', 0, 3)
  const res = await deleteRecords(c, 2, {
    t: [[0, 4n], [3, 1n]],
    missing: [[0, 1n]],
    compacted: [[0, -1n]],
    both: [[0, 2n]],
    __consumer_offsets: [[0, -1n]],
  })
  const expect: Record<string, number> = {
    't-0': ErrorCode.OFFSET_OUT_OF_RANGE,
    't-3': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    'missing-0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    'compacted-0': ErrorCode.POLICY_VIOLATION,
    'both-0': ErrorCode.NONE,
    '__consumer_offsets-0': ErrorCode.INVALID_TOPIC_EXCEPTION,
  }
  for (const [key, code] of Object.entries(expect)) {
    const p = res.get(key)!
    assert.equal(p.errorCode, code, key)
    assert.equal(p.lowWatermark, code === ErrorCode.NONE ? 2n : -1n, key)
  }
  const negative = await deleteRecords(c, 0, { t: [[0, -5n]] })
  assert.equal(negative.get('t-0')!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  assert.equal(broker.replicas.logs.getLog({ topic: 't', partition: 0 })!.logStartOffset, 0)
})

test('DeleteRecords: the new log start offset survives a broker restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-delrec-'))
  const logger = createLogger({ level: 'silent' })
  try {
    let b = await startBroker({ logDirs: [dir], logger })
    await b.broker.createTopic('t', 1)
    await fill(b.broker, 't', 0, 6)
    const c = await RawClient.connect(b.port, b.host)
    assert.equal((await deleteRecords(c, 1, { t: [[0, 4n]] })).get('t-0')!.lowWatermark, 4n)
    c.close()
    await b.close()
    b = await startBroker({ logDirs: [dir], logger })
    try {
      const log = b.broker.replicas.logs.getLog({ topic: 't', partition: 0 })!
      assert.equal(log.logStartOffset, 4)
      assert.equal(log.logEndOffset, 6)
    } finally {
      await b.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
