/** Produce (key 0) against the embedded broker over a raw socket: offsets, acks, validation errors. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import type { ProduceRequest, ProduceResponsePartitionProduceResponse } from '../../../src/protocol/generated/produce.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { CompressionCodec, computeBatchCrc, isBatchCrcValid } from '../../../src/protocol/records/batch-header.js'
import { errnoError } from '../../../src/util/faults.js'
import { createBatch, encodeBatch, encodeBatchSync, TimestampType } from '../../../src/protocol/records/batch.js'
import { decodeBatches } from '../../../src/protocol/records/record-set.js'
import { decodeResponse, encodeRequest, type RawClient } from '../../helpers/raw-client.js'
import { embeddedBroker } from '../helpers.js'

function batch(values: string[], opts: { baseTimestamp?: bigint; compression?: CompressionCodec } = {}): Buffer {
  const records = values.map((v, i) => ({ timestampDelta: i, offsetDelta: i, key: Buffer.from(`k${i}`), value: Buffer.from(v), headers: [{ key: 'h', value: Buffer.from(v) }] }))
  return encodeBatchSync(createBatch({ baseTimestamp: opts.baseTimestamp ?? BigInt(Date.now()), records, ...(opts.compression !== undefined ? { compression: opts.compression } : {}) }))
}

function request(parts: Array<{ topic: string; partition: number; records: Buffer | null }>, acks = -1): ProduceRequest {
  const topics = new Map<string, ProduceRequest['topicData'][number]>()
  for (const p of parts) {
    const t = topics.get(p.topic) ?? { name: p.topic, partitionData: [] }
    t.partitionData.push({ index: p.partition, records: p.records })
    topics.set(p.topic, t)
  }
  return { transactionalId: null, acks, timeoutMs: 5000, topicData: [...topics.values()] }
}

async function produce(c: RawClient, version: number, parts: Array<{ topic: string; partition: number; records: Buffer | null }>, acks = -1): Promise<ProduceResponsePartitionProduceResponse[]> {
  const resp = await c.request(ApiKey.Produce, version, request(parts, acks))
  return parts.map((p) => resp.responses.find((t) => t.name === p.topic)!.partitionResponses.find((x) => x.index === p.partition)!)
}

async function fetchAll(c: RawClient, topic: string, partition: number): Promise<Buffer> {
  const resp = await c.request(ApiKey.Fetch, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 24, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 24 }] }],
    forgottenTopicsData: [], rackId: '',
  })
  const p = resp.responses[0]!.partitions[0]!
  assert.equal(p.errorCode, ErrorCode.NONE)
  return p.records!
}

test('offsets are assigned consecutively across versions 3-11 and reported with the log start offset', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('p', 2)
  const c = await tb.client()
  let expected = 0n
  for (const v of [3, 5, 7, 8, 9, 11]) {
    const [r] = await produce(c, v, [{ topic: 'p', partition: 1, records: batch(['a', 'b', 'c']) }])
    assert.equal(r!.errorCode, ErrorCode.NONE, `v${v}`)
    assert.equal(r!.baseOffset, expected, `v${v}`)
    if (v >= 5) assert.equal(r!.logStartOffset, 0n)
    assert.equal(r!.logAppendTimeMs, -1n, 'CreateTime topics answer -1')
    expected += 3n
  }
  const batches = await decodeBatches(await fetchAll(c, 'p', 1))
  assert.deepEqual(batches.map((b) => b.baseOffset), [0n, 3n, 6n, 9n, 12n, 15n])
  assert.deepEqual(batches[0]!.records.map((r) => [r.key!.toString(), r.value!.toString(), r.headers[0]!.value!.toString()]), [['k0', 'a', 'a'], ['k1', 'b', 'b'], ['k2', 'c', 'c']])
})

test('acks=0 gets no response but the data is written; an invalid acks value is refused', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('acks', 1)
  const c = await tb.client()
  await c.write(encodeRequest(ApiKey.Produce, 9, 77, request([{ topic: 'acks', partition: 0, records: batch(['zero']) }], 0)))
  const [r] = await produce(c, 9, [{ topic: 'acks', partition: 0, records: batch(['one']) }], 1)
  // The acks=0 request had no answer: the next frame is the acks=1 response, at offset 1.
  assert.equal(r!.baseOffset, 1n)
  const [bad] = await produce(c, 9, [{ topic: 'acks', partition: 0, records: batch(['two']) }], 2)
  assert.equal(bad!.errorCode, ErrorCode.INVALID_REQUIRED_ACKS)
  assert.equal((await decodeBatches(await fetchAll(c, 'acks', 0))).length, 2)
})

test('each partition is validated on its own: a bad one does not fail the others', async (t) => {
  const tb = await embeddedBroker(t, { 'auto.create.topics.enable': 'false' })
  await tb.b.broker.createTopic('v', 1, { 'max.message.bytes': '2000' })
  await tb.b.broker.createTopic('ok', 1)
  const c = await tb.client()
  const corrupt = batch(['x', 'y'])
  corrupt[corrupt.length - 1]! ^= 0xff // inside the CRC-covered records
  const two = Buffer.concat([batch(['a']), batch(['b'])])
  const results = await produce(c, 9, [
    { topic: 'ok', partition: 0, records: batch(['fine']) },
    { topic: 'v', partition: 0, records: corrupt },
    { topic: 'missing', partition: 0, records: batch(['m']) },
    { topic: 'ok', partition: 5, records: batch(['m']) },
  ])
  assert.deepEqual(results.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.CORRUPT_MESSAGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])
  assert.match(results[1]!.errorMessage ?? '', /CRC/)
  const [big] = await produce(c, 9, [{ topic: 'v', partition: 0, records: batch(['x'.repeat(3000)]) }])
  assert.equal(big!.errorCode, ErrorCode.MESSAGE_TOO_LARGE)
  const [twoBatches] = await produce(c, 9, [{ topic: 'ok', partition: 0, records: two }])
  assert.equal(twoBatches!.errorCode, ErrorCode.INVALID_RECORD)
  const [empty] = await produce(c, 9, [{ topic: 'ok', partition: 0, records: Buffer.alloc(0) }])
  assert.equal(empty!.errorCode, ErrorCode.INVALID_RECORD)
  const [truncated] = await produce(c, 9, [{ topic: 'ok', partition: 0, records: batch(['t']).subarray(0, 40) }])
  assert.equal(truncated!.errorCode, ErrorCode.CORRUPT_MESSAGE)
  // Only the good batch was stored, and the connection still works.
  assert.equal((await decodeBatches(await fetchAll(c, 'ok', 0))).length, 1)
  assert.equal((await fetchAll(c, 'v', 0)).length, 0)
})

test('internal topics refuse client writes; zstd needs v7', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.metadata.createTopic({ name: '__consumer_offsets', assignments: [[0]], configs: {} })
  await tb.b.broker.createTopic('z', 1)
  const c = await tb.client()
  const [internal] = await produce(c, 9, [{ topic: '__consumer_offsets', partition: 0, records: batch(['x']) }])
  assert.equal(internal!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION)
  const zstd = await encodeBatch(createBatch({ baseTimestamp: BigInt(Date.now()), compression: CompressionCodec.Zstd, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('z'), headers: [] }] }))
  const [old] = await produce(c, 6, [{ topic: 'z', partition: 0, records: zstd }])
  assert.equal(old!.errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE)
  const [fresh] = await produce(c, 7, [{ topic: 'z', partition: 0, records: zstd }])
  assert.equal(fresh!.errorCode, ErrorCode.NONE)
})

test('compressed batches are stored as sent: same codec, same records', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('c', 1)
  const c = await tb.client()
  const codecs = [CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd]
  for (const codec of codecs) {
    const b = await encodeBatch(createBatch({ baseTimestamp: 1000n, compression: codec, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from(`v${codec}`.repeat(50)), headers: [] }] }))
    const [r] = await produce(c, 9, [{ topic: 'c', partition: 0, records: b }])
    assert.equal(r!.errorCode, ErrorCode.NONE)
  }
  const stored = await decodeBatches(await fetchAll(c, 'c', 0))
  assert.deepEqual(stored.map((b) => b.compression), codecs)
  assert.deepEqual(stored.map((b) => b.records[0]!.value!.toString()), codecs.map((codec) => `v${codec}`.repeat(50)))
})

test('LogAppendTime topics stamp the broker time; CreateTime bounds give INVALID_TIMESTAMP', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('lat', 1, { 'message.timestamp.type': 'LogAppendTime' })
  await tb.b.broker.createTopic('bounded', 1, { 'message.timestamp.before.max.ms': '60000', 'message.timestamp.after.max.ms': '60000' })
  const c = await tb.client()
  const before = Date.now()
  const [lat] = await produce(c, 9, [{ topic: 'lat', partition: 0, records: batch(['a'], { baseTimestamp: 5n }) }])
  assert.ok(Number(lat!.logAppendTimeMs) >= before && Number(lat!.logAppendTimeMs) <= Date.now(), `logAppendTime ${lat!.logAppendTimeMs}`)
  const [stamped] = await decodeBatches(await fetchAll(c, 'lat', 0))
  assert.equal(stamped!.timestampType, TimestampType.LogAppendTime)
  assert.equal(stamped!.maxTimestamp, lat!.logAppendTimeMs)

  const [old] = await produce(c, 9, [{ topic: 'bounded', partition: 0, records: batch(['a'], { baseTimestamp: BigInt(Date.now() - 3_600_000) }) }])
  assert.equal(old!.errorCode, ErrorCode.INVALID_TIMESTAMP)
  const [future] = await produce(c, 9, [{ topic: 'bounded', partition: 0, records: batch(['a'], { baseTimestamp: BigInt(Date.now() + 3_600_000) }) }])
  assert.equal(future!.errorCode, ErrorCode.INVALID_TIMESTAMP)
  const [now] = await produce(c, 9, [{ topic: 'bounded', partition: 0, records: batch(['a']) }])
  assert.equal(now!.errorCode, ErrorCode.NONE)
})

test('a produced batch survives a restart and offsets continue', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { startBroker } = await import('../../../src/index.js')
  const { RawClient } = await import('../../helpers/raw-client.js')
  const dir = mkdtempSync(join(tmpdir(), 'samsa-produce-'))
  let b = await startBroker({ logDirs: [dir] })
  await b.broker.createTopic('r', 1)
  let c = await RawClient.connect(b.port, b.host)
  await produce(c, 9, [{ topic: 'r', partition: 0, records: batch(['a', 'b']) }])
  c.close()
  await b.close()
  b = await startBroker({ logDirs: [dir] })
  c = await RawClient.connect(b.port, b.host)
  t.after(async () => {
    c.close()
    await b.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const [r] = await produce(c, 9, [{ topic: 'r', partition: 0, records: batch(['c']) }])
  assert.equal(r!.baseOffset, 2n)
  const values = (await decodeBatches(await fetchAll(c, 'r', 0))).flatMap((x) => x.records.map((rec) => rec.value!.toString()))
  assert.deepEqual(values, ['a', 'b', 'c'])
})

/** `batch()` with its header's max timestamp rewritten to -1 and the CRC fixed, as sarama < 1.45.1 sends. */
function withoutMaxTimestamp(buf: Buffer): Buffer {
  buf.writeBigInt64BE(-1n, 35)
  buf.writeUInt32BE(computeBatchCrc(buf, 0), 17)
  return buf
}

test('a batch whose header says max timestamp -1 is stored with the max of its records, CRC valid', async (t) => {
  const tb = await embeddedBroker(t, { 'log.index.interval.bytes': '100' })
  await tb.b.broker.createTopic('nomax', 1)
  const c = await tb.client()
  const base = BigInt(Date.now() - 1000)
  for (const compression of [CompressionCodec.None, CompressionCodec.Lz4]) {
    for (let i = 0; i < 5; i++) {
      const [r] = await produce(c, 9, [{ topic: 'nomax', partition: 0, records: withoutMaxTimestamp(batch(['x'.repeat(80), 'y', 'z'], { baseTimestamp: base, compression })) }])
      assert.equal(r!.errorCode, ErrorCode.NONE, r!.errorMessage ?? '')
    }
  }
  const stored = await fetchAll(c, 'nomax', 0)
  const batches = await decodeBatches(stored)
  assert.equal(batches.length, 10)
  for (const b of batches) assert.equal(b.maxTimestamp, base + 2n, 'the last record is 2 ms after the first')
  let pos = 0
  while (pos < stored.length) {
    assert.equal(isBatchCrcValid(stored, pos), true)
    pos += 12 + stored.readInt32BE(pos + 8)
  }
})

test('on a compacted topic a keyless record fails its batch with INVALID_RECORD and a record error; keyed records go through', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('compacted', 1, { 'cleanup.policy': 'compact' })
  const c = await tb.client()
  const records = [Buffer.from('k0'), null, Buffer.from('k2')].map((key, i) => ({ timestampDelta: 0, offsetDelta: i, key, value: Buffer.from(`v${i}`), headers: [] }))
  const keyless = await encodeBatch(createBatch({ baseTimestamp: BigInt(Date.now()), records }), { compression: CompressionCodec.Gzip })
  const [r] = await produce(c, 9, [{ topic: 'compacted', partition: 0, records: keyless }])
  assert.equal(r!.errorCode, ErrorCode.INVALID_RECORD)
  assert.deepEqual(r!.recordErrors, [{ batchIndex: 1, batchIndexErrorMessage: 'Compacted topic cannot accept message without key in topic partition compacted-0' }])
  assert.match(r!.errorMessage!, /compacted topic needs a key/)
  const [ok] = await produce(c, 9, [{ topic: 'compacted', partition: 0, records: batch(['a', 'b']) }])
  assert.equal(ok!.errorCode, ErrorCode.NONE)
  assert.equal(ok!.baseOffset, 0n, 'the refused batch took no offsets')
  // A delete-policy topic takes keyless records as before.
  await tb.b.broker.createTopic('plain', 1)
  const [plain] = await produce(c, 9, [{ topic: 'plain', partition: 0, records: keyless }])
  assert.equal(plain!.errorCode, ErrorCode.NONE)
})

test('a disk error while appending answers KAFKA_STORAGE_ERROR, stores nothing, and the next produce continues the offsets', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('disk', 1)
  const c = await tb.client()
  const [first] = await produce(c, 9, [{ topic: 'disk', partition: 0, records: batch(['a', 'b']) }])
  assert.equal(first!.errorCode, ErrorCode.NONE)
  tb.b.broker.faults.failNext('segment.write', { error: errnoError('ENOSPC', 'no space left on device (injected)') })
  const [failed] = await produce(c, 9, [{ topic: 'disk', partition: 0, records: batch(['lost']) }])
  assert.equal(failed!.errorCode, ErrorCode.KAFKA_STORAGE_ERROR)
  assert.match(failed!.errorMessage!, /ENOSPC.*nothing was stored; free disk space/)
  const [next] = await produce(c, 9, [{ topic: 'disk', partition: 0, records: batch(['c']) }])
  assert.equal(next!.errorCode, ErrorCode.NONE)
  assert.equal(next!.baseOffset, 2n)
  const values = (await decodeBatches(await fetchAll(c, 'disk', 0))).flatMap((b) => b.records.map((r) => r.value!.toString()))
  assert.deepEqual(values, ['a', 'b', 'c'])
})

test('Produce v0-2: v0/v1 message sets are stored as v2 batches with consecutive offsets, codec kept, v0 without timestamps', async (t) => {
  const { encodeLegacyMessages } = await import('../../../src/protocol/records/legacy.js')
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('old', 1)
  const c = await tb.client()
  const set = (magic: 0 | 1, compression: CompressionCodec, tag: string) =>
    encodeLegacyMessages([0, 1].map((i) => ({ offset: BigInt(i), timestamp: 1_000n + BigInt(i), key: Buffer.from(`${tag}k${i}`), value: Buffer.from(`${tag}v${i}`) })), { magic, compression, timestampType: TimestampType.CreateTime })
  const sent: Array<[number, 0 | 1, CompressionCodec]> = [[0, 0, CompressionCodec.None], [1, 0, CompressionCodec.Gzip], [2, 1, CompressionCodec.Snappy], [2, 1, CompressionCodec.Lz4]]
  let expected = 0n
  for (const [version, magic, codec] of sent) {
    const [r] = await produce(c, version, [{ topic: 'old', partition: 0, records: set(magic, codec, `${version}${codec}`) }])
    assert.equal(r!.errorCode, ErrorCode.NONE, `v${version}`)
    assert.equal(r!.baseOffset, expected)
    if (version >= 2) assert.equal(r!.logAppendTimeMs, -1n)
    expected += 2n
  }
  const batches = await decodeBatches(await fetchAll(c, 'old', 0))
  assert.deepEqual(batches.map((b) => [b.baseOffset, b.compression, b.records.length]), [[0n, 0, 2], [2n, 1, 2], [4n, 2, 2], [6n, 3, 2]])
  assert.deepEqual(batches.map((b) => b.baseTimestamp), [-1n, -1n, 1000n, 1000n], 'v0 carries no timestamp')
  assert.deepEqual(batches[2]!.records.map((r) => r.value!.toString()), ['22v0', '22v1'])
  // A v2 batch in Produce v0-2 is taken as it is (Kafka checked magic only from v3).
  assert.equal((await produce(c, 2, [{ topic: 'old', partition: 0, records: batch(['x']) }]))[0]!.errorCode, ErrorCode.NONE)
  // v3+ still requires v2 batches.
  assert.notEqual((await produce(c, 3, [{ topic: 'old', partition: 0, records: set(1, CompressionCodec.None, 'y') }]))[0]!.errorCode, ErrorCode.NONE)
  assert.equal((await decodeBatches(await fetchAll(c, 'old', 0))).length, 5)
})

test('Produce v0-2: a corrupt or oversized old message set fails its partition only and leaves no trace; LogAppendTime stamps converted records', async (t) => {
  const { encodeLegacyMessages } = await import('../../../src/protocol/records/legacy.js')
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('old', 2)
  await tb.b.broker.createTopic('lat', 1, { 'message.timestamp.type': 'LogAppendTime' })
  const c = await tb.client()
  const good = encodeLegacyMessages([{ offset: 0n, timestamp: 5n, key: null, value: Buffer.from('ok') }], { magic: 1, compression: CompressionCodec.Gzip, timestampType: TimestampType.CreateTime })
  const bad = Buffer.from(good)
  bad[bad.length - 1]! ^= 1
  const rs = await produce(c, 1, [{ topic: 'old', partition: 0, records: bad }, { topic: 'old', partition: 1, records: good }, { topic: 'old', partition: 0, records: good.subarray(0, good.length - 2) }])
  assert.deepEqual(rs.map((r) => r.errorCode), [ErrorCode.CORRUPT_MESSAGE, ErrorCode.NONE, ErrorCode.CORRUPT_MESSAGE])
  assert.equal((await decodeBatches(await fetchAll(c, 'old', 0))).length, 0, 'nothing stored for the bad partition')
  const [lat] = await produce(c, 2, [{ topic: 'lat', partition: 0, records: good }])
  assert.equal(lat!.errorCode, ErrorCode.NONE)
  assert.ok(lat!.logAppendTimeMs! > 1_000_000n, 'the broker time is answered')
  const [b] = await decodeBatches(await fetchAll(c, 'lat', 0))
  assert.equal(b!.timestampType, TimestampType.LogAppendTime)
  assert.equal(b!.maxTimestamp, lat!.logAppendTimeMs)
})

test('pipelined Produce requests on one connection append in the order they were sent, even when the first takes longer to validate', async (t) => {
  const { b, client } = await embeddedBroker(t)
  await b.broker.createTopic('ordered', 1)
  const c = await client()
  // The first batch needs decoding (gzip, and a header max timestamp of -1 to correct); the
  // second is a plain one-record batch that validates at once.
  const records = Array.from({ length: 2000 }, (_, j) => ({ timestampDelta: j, offsetDelta: j, key: null, value: Buffer.from(`slow ${j} `.padEnd(200, '.')), headers: [] }))
  const slow = await encodeBatch(createBatch({ baseTimestamp: BigInt(Date.now()), records }), { compression: CompressionCodec.Gzip })
  slow.writeBigInt64BE(-1n, 35)
  slow.writeUInt32BE(computeBatchCrc(slow, 0), 17)
  const fast = encodeBatchSync(createBatch({ baseTimestamp: BigInt(Date.now()), records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('fast'), headers: [] }] }))
  const body = (records: Buffer): ProduceRequest => ({ transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ name: 'ordered', partitionData: [{ index: 0, records }] }] })
  // Both frames in one write: the broker has both before it has answered either.
  await c.write(Buffer.concat([encodeRequest(ApiKey.Produce, 9, 1, body(slow)), encodeRequest(ApiKey.Produce, 9, 2, body(fast))]))
  const offsets: bigint[] = []
  for (let i = 0; i < 2; i++) {
    const frameBytes = await c.nextFrame()
    const resp = decodeResponse(frameBytes, ApiKey.Produce, 9)
    offsets.push(resp.body.responses[0].partitionResponses[0].baseOffset)
  }
  assert.deepEqual(offsets, [0n, 2000n], 'the slow batch first, then the one sent after it')
})
