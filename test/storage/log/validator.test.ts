import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CompressionCodec, computeBatchCrc, isBatchCrcValid } from '../../../src/protocol/records/batch-header.js'
import { createBatch, decodeBatch, encodeBatch } from '../../../src/protocol/records/batch.js'
import { codecName } from '../../../src/protocol/records/compression/index.js'
import { isStorageError } from '../../../src/storage/errors.js'
import { checkProducerBatch, validateRecordBatches, type ProducerBatchOptions } from '../../../src/storage/log/validator.js'
import { batchAround, gzipBomb, zstdBomb } from '../../helpers/compression-bombs.js'
import { buildBatch } from '../helpers/batches.js'

test('accepts whole v2 batches and summarises them without decoding records', () => {
  const buf = Buffer.concat([buildBatch({ records: 3, timestamp: 10, timestampStep: 5 }), buildBatch({ records: 2, timestamp: 100 })])
  const v = validateRecordBatches(buf)
  assert.deepEqual([v.batches.length, v.recordCount, v.offsetCount, v.maxTimestamp, v.hasControlBatch], [2, 5, 5, 100, false])
  assert.equal(v.batches[1]!.position, v.batches[0]!.size)
  assert.deepEqual(validateRecordBatches(Buffer.alloc(0)).batches, [])
})

test('rejects bad framing, CRC, magic, size and inconsistent counts with Kafka error names', () => {
  const good = buildBatch({ records: 2 })
  const expect = (buf: Buffer, code: Parameters<typeof isStorageError>[1], opts = {}) =>
    assert.throws(() => validateRecordBatches(buf, opts), (e) => isStorageError(e, code))
  expect(good.subarray(0, good.length - 1), 'CORRUPT_MESSAGE')
  expect(Buffer.concat([good, Buffer.alloc(30)]), 'CORRUPT_MESSAGE')
  const crc = Buffer.from(good)
  crc[good.length - 2]! ^= 1
  expect(crc, 'CORRUPT_MESSAGE')
  assert.doesNotThrow(() => validateRecordBatches(crc, { verifyCrc: false }))
  const magic = Buffer.from(good)
  magic[16] = 1
  expect(magic, 'UNSUPPORTED_FOR_MESSAGE_FORMAT')
  expect(good, 'MESSAGE_TOO_LARGE', { maxBatchBytes: good.length - 1 })
  const count = Buffer.from(good)
  count.writeInt32BE(5, 57)
  expect(count, 'INVALID_RECORD', { verifyCrc: false })
  assert.doesNotThrow(() => validateRecordBatches(count, { verifyCrc: false, fromClient: false }))
  expect(buildBatch({ records: 1, attributes: 0x20 }), 'INVALID_RECORD')
  assert.equal(validateRecordBatches(buildBatch({ records: 1, attributes: 0x20 }), { fromClient: false }).hasControlBatch, true)
})

// ---- checkProducerBatch: what Kafka's LogValidator recomputes from the records ------------

const CODECS = [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd] as const
const CREATE_TIME = { partition: 't-0', timestampType: 'CreateTime', compacted: false } as const

/** A producer batch with records at `timestamps` (keys k0, k1, ... unless `keys` says null). */
async function producerBatch(args: { timestamps: number[]; codec?: CompressionCodec; keys?: Array<string | null>; offsetDeltas?: number[] }): Promise<Buffer> {
  const base = args.timestamps[0]!
  const records = args.timestamps.map((t, i) => ({
    timestampDelta: t - base,
    offsetDelta: args.offsetDeltas?.[i] ?? i,
    key: args.keys ? (args.keys[i] === null ? null : Buffer.from(args.keys[i]!)) : Buffer.from(`k${i}`),
    value: Buffer.from(`value ${i}`),
    headers: [],
  }))
  const batch = createBatch({ baseTimestamp: BigInt(base), records, lastOffsetDelta: records.length - 1 })
  return encodeBatch(batch, { compression: args.codec ?? CompressionCodec.None })
}

/** Rewrites header fields and fixes the CRC, as a buggy producer sends them. */
function lie(buf: Buffer, edit: { maxTimestamp?: number; attributes?: number }): Buffer {
  if (edit.maxTimestamp !== undefined) buf.writeBigInt64BE(BigInt(edit.maxTimestamp), 35)
  if (edit.attributes !== undefined) buf.writeInt16BE(edit.attributes, 21)
  buf.writeUInt32BE(computeBatchCrc(buf, 0), 17)
  return buf
}

async function check(buf: Buffer, options: ProducerBatchOptions = CREATE_TIME) {
  const { batches } = validateRecordBatches(buf)
  return checkProducerBatch(buf, batches[0]!, options)
}

for (const codec of CODECS) {
  const name = codecName(codec)
  test(`${name}: a max timestamp of -1 is recomputed from the records, header and CRC rewritten`, async () => {
    const buf = lie(await producerBatch({ timestamps: [1000, 1300, 1200], codec }), { maxTimestamp: -1 })
    const r = await check(buf)
    assert.equal(r.batch.maxTimestamp, 1300)
    assert.equal(Number(r.records.readBigInt64BE(35)), 1300)
    assert.equal(isBatchCrcValid(r.records, 0), true)
    assert.equal(r.corrections.length, 1, r.corrections.join())
    const decoded = await decodeBatch(r.records)
    assert.deepEqual(decoded.records.map((x) => x.value!.toString()), ['value 0', 'value 1', 'value 2'])
    assert.equal(decoded.compression, codec)
  })

  test(`${name}: a max timestamp below the first timestamp is recomputed`, async () => {
    const r = await check(lie(await producerBatch({ timestamps: [5000, 5001, 4000], codec }), { maxTimestamp: 10 }))
    assert.equal(r.batch.maxTimestamp, 5001)
    assert.equal(isBatchCrcValid(r.records, 0), true)
  })

  test(`${name}: on a compacted topic a record without a key fails the batch with a record error each`, async () => {
    const buf = await producerBatch({ timestamps: [1, 2, 3, 4], codec, keys: ['a', null, 'c', null] })
    await assert.rejects(check(buf, { ...CREATE_TIME, compacted: true }), (e) => {
      assert.ok(isStorageError(e, 'INVALID_RECORD'))
      assert.deepEqual(
        e.recordErrors.map((x) => x.batchIndex),
        [1, 3],
      )
      assert.equal(e.recordErrors[0]!.message, 'Compacted topic cannot accept message without key in topic partition t-0')
      return true
    })
    const keyed = await producerBatch({ timestamps: [1, 2], codec })
    const r = await check(keyed, { ...CREATE_TIME, compacted: true })
    assert.equal(r.records, keyed)
    assert.deepEqual(r.corrections, [])
  })
}

test('the common path does not decode: a consistent header is trusted and the bytes stay as sent', async () => {
  const buf = await producerBatch({ timestamps: [100, 150, 120] })
  // Garbage records under a consistent header and a valid CRC: only a decoder would notice.
  buf.fill(0xff, 61)
  buf.writeUInt32BE(computeBatchCrc(buf, 0), 17)
  const before = Buffer.from(buf)
  const r = await check(buf)
  assert.equal(r.records, buf)
  assert.deepEqual(buf, before)
  assert.deepEqual(r.corrections, [])
  // The same garbage under a header that needs the records is refused.
  await assert.rejects(check(lie(buf, { maxTimestamp: -1 })), (e) => isStorageError(e, 'CORRUPT_MESSAGE'))
})

test('a one-record batch whose max timestamp is not its record time is recomputed', async () => {
  const r = await check(lie(await producerBatch({ timestamps: [777] }), { maxTimestamp: 900 }))
  assert.equal(r.batch.maxTimestamp, 777)
})

test('records without timestamps keep max timestamp -1 (nothing to correct)', async () => {
  const buf = await producerBatch({ timestamps: [-1, -1] })
  const before = Buffer.from(buf)
  const r = await check(buf)
  assert.equal(r.batch.maxTimestamp, -1)
  assert.deepEqual(r.corrections, [])
  assert.deepEqual(buf, before)
})

test('under LogAppendTime the header is left for the broker to stamp', async () => {
  const buf = lie(await producerBatch({ timestamps: [1, 2] }), { maxTimestamp: -1 })
  const before = Buffer.from(buf)
  const r = await check(buf, { ...CREATE_TIME, timestampType: 'LogAppendTime' })
  assert.deepEqual(r.corrections, [])
  assert.deepEqual(buf, before)
})

test('a LogAppendTime flag from a producer is cleared on a CreateTime topic, without decoding', async () => {
  const buf = lie(await producerBatch({ timestamps: [10, 20] }), { attributes: 0x08 })
  const r = await check(buf)
  assert.equal(r.records.readInt16BE(21) & 0x08, 0)
  assert.equal(isBatchCrcValid(r.records, 0), true)
  assert.equal(r.batch.maxTimestamp, 20)
})

test('a declared record count the records do not match is INVALID_RECORD on the decode path', async () => {
  const two = await producerBatch({ timestamps: [1, 2] })
  const wrong = Buffer.from(two)
  wrong.writeInt32BE(2, 23) // lastOffsetDelta 2
  wrong.writeInt32BE(3, 57) // 3 records declared, 2 present
  await assert.rejects(check(lie(wrong, { maxTimestamp: -1 })), (e) => isStorageError(e, 'INVALID_RECORD') && /3 records/.test((e as Error).message))
})

test('a compressed batch with offset deltas other than 0..n-1 is rebuilt with them renumbered', async () => {
  const buf = lie(await producerBatch({ timestamps: [1, 5, 3], codec: CompressionCodec.Gzip, offsetDeltas: [0, 2, 2] }), { maxTimestamp: -1 })
  const r = await check(buf)
  assert.notEqual(r.records, buf)
  const decoded = await decodeBatch(r.records)
  assert.deepEqual(decoded.records.map((x) => x.offsetDelta), [0, 1, 2])
  assert.deepEqual(decoded.records.map((x) => Number(decoded.baseTimestamp) + x.timestampDelta), [1, 5, 3])
  assert.equal(decoded.compression, CompressionCodec.Gzip)
  assert.equal(r.batch.maxTimestamp, 5)
  assert.equal(r.batch.size, r.records.length)
  assert.equal(r.batch.position, 0)
})

test('a batch whose records would decompress past maxDecodedBytes is MESSAGE_TOO_LARGE, on both decode paths, and nothing is rewritten', async () => {
  const MiB = 1 << 20
  const limits = { ...CREATE_TIME, maxDecodedBytes: MiB }
  const cases: Array<[string, Buffer, ProducerBatchOptions]> = [
    ['zstd, max timestamp -1', batchAround(zstdBomb(256 * MiB), CompressionCodec.Zstd, { maxTimestamp: -1n }), limits],
    ['gzip, max timestamp -1', batchAround(await gzipBomb(64 * MiB), CompressionCodec.Gzip, { maxTimestamp: -1n }), limits],
    ['zstd, compacted topic', batchAround(zstdBomb(256 * MiB), CompressionCodec.Zstd), { ...limits, compacted: true }],
  ]
  for (const [what, buf, options] of cases) {
    const before = Buffer.from(buf)
    await assert.rejects(check(buf, options), (e) => {
      assert.ok(isStorageError(e, 'MESSAGE_TOO_LARGE'), `${what}: ${String(e)}`)
      assert.match(e.message, /^the batch for t-0 is too large to check once decompressed \(.*the limit is 1048576 bytes\); the broker decodes batches within socket.request.max.bytes \(1048576\): send smaller batches$/)
      return true
    })
    assert.deepEqual(buf, before, `${what}: left as sent`)
  }
  // A count no 1 MiB of records can hold is refused from the header alone.
  const claim = batchAround(zstdBomb(256 * MiB), CompressionCodec.Zstd, { maxTimestamp: -1n, recordCount: 10_000 })
  await assert.rejects(check(claim, limits), (e) => isStorageError(e, 'MESSAGE_TOO_LARGE') && /claims 10000 records; the limit is 8192/.test((e as Error).message))
})
