/** compression.type other than producer: the leader stores a producer's batches in the topic's codec (Kafka's LogValidator). */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ATTR_COMPRESSION_MASK, ATTRIBUTES_OFFSET, CompressionCodec, isBatchCrcValid } from '../../../src/protocol/records/batch-header.js'
import { createBatch, decodeBatch, encodeBatch, TimestampType } from '../../../src/protocol/records/batch.js'
import { codecName } from '../../../src/protocol/records/compression/index.js'
import { encodeLegacyMessages } from '../../../src/protocol/records/legacy.js'
import { DEFAULT_LOG_CONFIG, isStorageError, resolveLogConfig, validateProducerRecords, type CompressionType, type LogConfig } from '../../../src/storage/index.js'
import { gzipBomb, batchAround } from '../../helpers/compression-bombs.js'

const CHECKS = { singleBatch: true, allowZstd: true, maxDecodedBytes: 1 << 20 }
const TYPES: Array<[CompressionType, CompressionCodec]> = [
  ['uncompressed', CompressionCodec.None],
  ['gzip', CompressionCodec.Gzip],
  ['snappy', CompressionCodec.Snappy],
  ['lz4', CompressionCodec.Lz4],
  ['zstd', CompressionCodec.Zstd],
]
const SOURCES = TYPES.map(([, c]) => c)

/** An idempotent producer's batch: producer id 42, epoch 3, sequence 17, three records with keys, values and a header. */
async function producerBatch(codec: CompressionCodec, n = 3): Promise<Buffer> {
  const records = Array.from({ length: n }, (_, i) => ({
    timestampDelta: i * 10,
    offsetDelta: i,
    key: Buffer.from(`k${i}`),
    value: Buffer.from(`value ${i} `.repeat(20)),
    headers: [{ key: 'h', value: Buffer.from(`h${i}`) }],
  }))
  return encodeBatch(createBatch({ baseTimestamp: 5000n, records, producerId: 42n, producerEpoch: 3, baseSequence: 17 }), { compression: codec })
}

const codecOf = (buf: Buffer, pos = 0) => buf.readInt16BE(pos + ATTRIBUTES_OFFSET) & ATTR_COMPRESSION_MASK
const config = (type: CompressionType, more: Partial<LogConfig> = {}) => resolveLogConfig({ compressionType: type, ...more })
const validate = (records: Buffer, cfg: LogConfig, checks: Parameters<typeof validateProducerRecords>[1]['checks'] = CHECKS) =>
  validateProducerRecords(records, { config: cfg, checks, partition: 't-0', now: 6000 })

for (const [type, target] of TYPES) {
  for (const source of SOURCES) {
    test(`compression.type=${type}: a ${codecName(source)} batch is stored ${codecName(target)}, records and producer fields kept`, async () => {
      const sent = await producerBatch(source)
      const r = await validate(sent, config(type))
      assert.equal(codecOf(r.records), target)
      assert.ok(isBatchCrcValid(r.records, 0))
      assert.equal(r.batches.length, 1)
      assert.equal(r.batches[0]!.size, r.records.length)
      if (source === target) {
        // The same codec keeps the producer's bytes (Kafka's in-place path).
        assert.equal(r.records, sent)
        assert.deepEqual(r.corrections, [])
      } else {
        assert.match(r.corrections.join(), new RegExp(`recompressed ${codecName(source)} -> ${codecName(target)}`))
      }
      const b = await decodeBatch(r.records)
      const before = await decodeBatch(sent)
      assert.deepEqual([b.producerId, b.producerEpoch, b.baseSequence, b.lastOffsetDelta], [42n, 3, 17, 2])
      assert.deepEqual([b.baseTimestamp, b.maxTimestamp], [5000n, 5020n])
      assert.deepEqual(b.records, before.records)
      assert.deepEqual([r.batches[0]!.producerId, r.batches[0]!.baseSequence, r.batches[0]!.maxTimestamp], [42n, 17, 5020])
    })
  }
}

test('compression.type=producer keeps every codec as sent, without decoding', async () => {
  for (const source of SOURCES) {
    const sent = await producerBatch(source)
    const r = await validate(sent, DEFAULT_LOG_CONFIG)
    assert.equal(r.records, sent, codecName(source))
  }
})

/** Records of pseudo-random words: compressible, but not so regular that every level finds the same matches. */
function wordyBatch(n: number): Promise<Buffer> {
  let x = 12345
  const words = ['alpha', 'beta', 'gamma', 'delta', 'kafka', 'samsa', 'offset', 'segment', 'cleaner', 'broker']
  const value = () => Buffer.from(Array.from({ length: 40 }, () => words[(x = (x * 1103515245 + 12345) % 2147483648) % 10]).join(' '))
  const records = Array.from({ length: n }, (_, i) => ({ timestampDelta: i, offsetDelta: i, key: Buffer.from(`k${i}`), value: value(), headers: [] }))
  return encodeBatch(createBatch({ baseTimestamp: 5000n, records }))
}

// @mongodb-js/zstd 1.2.2 gives the same bytes at every level (measured: levels 1, 3, 19 and 22
// all compress alike), so only the gzip level can be seen to take effect.
test('the levels of KIP-390 reach the codec: gzip 9 compresses smaller than gzip 1; every level decodes the same', async () => {
  const gz1 = await validate(await wordyBatch(300), config('gzip', { compressionGzipLevel: 1 }))
  const gz9 = await validate(await wordyBatch(300), config('gzip', { compressionGzipLevel: 9 }))
  assert.ok(gz9.records.length < gz1.records.length, `gzip 9 ${gz9.records.length} < gzip 1 ${gz1.records.length}`)
  const z1 = await validate(await wordyBatch(300), config('zstd', { compressionZstdLevel: 1 }))
  const z19 = await validate(await wordyBatch(300), config('zstd', { compressionZstdLevel: 19 }))
  const expected = (await decodeBatch(await wordyBatch(300))).records
  for (const r of [gz1, gz9, z1, z19]) assert.deepEqual((await decodeBatch(r.records)).records, expected)
})

test('every check applies to the recompressed batch: keys on compacted topics, timestamp bounds, max.message.bytes after recompression', async () => {
  const keyless = await encodeBatch(createBatch({ baseTimestamp: 5000n, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('v'), headers: [] }] }))
  await assert.rejects(validate(keyless, config('zstd', { compact: true })), (e) => isStorageError(e, 'INVALID_RECORD') && /key/.test(e.message))
  await assert.rejects(validate(await producerBatch(CompressionCodec.None), config('zstd', { messageTimestampBeforeMaxMs: 10 })), (e) => isStorageError(e, 'INVALID_TIMESTAMP'))
  // A gzip batch that fits max.message.bytes but not once stored uncompressed.
  const sent = await producerBatch(CompressionCodec.Gzip, 100)
  const limit = sent.length + 100
  await assert.rejects(validate(sent, config('uncompressed', { maxMessageBytes: limit })), (e) => isStorageError(e, 'MESSAGE_TOO_LARGE') && /compression.type=uncompressed/.test(e.message))
  assert.equal((await validate(sent, config('gzip', { maxMessageBytes: limit }))).records, sent)
})

test('decompression stays bounded when recompressing: a bomb for a zstd topic is MESSAGE_TOO_LARGE', async () => {
  const bomb = batchAround(await gzipBomb(8 << 20), CompressionCodec.Gzip)
  await assert.rejects(validate(bomb, config('zstd')), (e) => isStorageError(e, 'MESSAGE_TOO_LARGE'))
})

test('LogAppendTime: the rebuilt batch carries CreateTime-free attributes and is left for the leader to stamp', async () => {
  const r = await validate(await producerBatch(CompressionCodec.None), config('lz4', { messageTimestampType: 'LogAppendTime' }))
  assert.equal(codecOf(r.records), CompressionCodec.Lz4)
  assert.ok(isBatchCrcValid(r.records, 0))
})

test('Produce v0-2: a converted v1 message set is stored in the topic codec', async () => {
  const msgs = Array.from({ length: 3 }, (_, i) => ({ offset: BigInt(i), timestamp: 5000n + BigInt(i), key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) }))
  for (const source of [CompressionCodec.None, CompressionCodec.Gzip]) {
    const set = encodeLegacyMessages(msgs, { magic: 1, compression: source, timestampType: TimestampType.CreateTime })
    const r = await validate(set, config('zstd'), { singleBatch: false, allowZstd: false, legacyMessages: true, maxDecodedBytes: 1 << 20 })
    assert.equal(codecOf(r.records), CompressionCodec.Zstd)
    const b = await decodeBatch(r.records)
    assert.deepEqual(b.records.map((x) => x.value!.toString()), ['v0', 'v1', 'v2'])
    assert.equal(b.maxTimestamp, 5002n)
  }
})
