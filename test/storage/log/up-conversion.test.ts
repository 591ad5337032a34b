/** Message formats v0/v1 converted to one v2 batch before validation (Produce v0-2). */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { crc32 } from '@node-rs/crc32'
import { CompressionCodec } from '../../../src/protocol/records/batch-header.js'
import { createBatch, decodeBatchSync, encodeBatchSync, TimestampType } from '../../../src/protocol/records/batch.js'
import { compressSync } from '../../../src/protocol/records/compression/index.js'
import { encodeLegacyMessages } from '../../../src/protocol/records/legacy.js'
import { decodeBatches } from '../../../src/protocol/records/record-set.js'
import { DEFAULT_LOG_CONFIG, isStorageError, validateProducerRecords } from '../../../src/storage/index.js'
import { convertLegacyMessages, legacyShape } from '../../../src/storage/log/up-conversion.js'
import { gzipBomb } from '../../helpers/compression-bombs.js'

const MiB = 1 << 20
const opts = { partition: 't-0', maxMessageBytes: MiB, maxDecodedBytes: MiB }
const storage = (code: string, text?: RegExp) => (e: unknown) => isStorageError(e, code as never) && (!text || text.test(e.message))

const msg = (i: number, ts = 1000n + BigInt(i)) => ({ offset: 77n + BigInt(i), timestamp: ts, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })
const legacy = (magic: 0 | 1, compression: CompressionCodec, n = 3) => encodeLegacyMessages(Array.from({ length: n }, (_, i) => msg(i)), { magic, compression, timestampType: TimestampType.CreateTime })

test('v0 and v1 sets become one v2 batch: offsets 0..n-1, v0 timestamps -1, the source codec kept', () => {
  for (const magic of [0, 1] as const) {
    for (const codec of [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4]) {
      const { records, corrections } = convertLegacyMessages(legacy(magic, codec), opts)
      const b = decodeBatchSync(records)
      const what = `v${magic} codec ${codec}`
      assert.equal(b.compression, codec, what)
      assert.equal(b.baseOffset, 0n, what)
      assert.deepEqual(b.records.map((r) => r.offsetDelta), [0, 1, 2], what)
      assert.deepEqual(b.records.map((r) => r.value!.toString()), ['v0', 'v1', 'v2'], what)
      assert.equal(b.baseTimestamp, magic === 0 ? -1n : 1000n, what)
      assert.equal(b.maxTimestamp, magic === 0 ? -1n : 1002n, what)
      assert.ok(b.records.every((r) => r.headers.length === 0))
      assert.match(corrections[0]!, new RegExp(`3 message\\(s\\) of format v${magic} converted`))
    }
  }
})

test('several plain messages and wrappers of one set make one batch; the last codec is the batch codec', () => {
  const set = Buffer.concat([legacy(1, CompressionCodec.None, 2), legacy(1, CompressionCodec.Gzip, 2), legacy(1, CompressionCodec.Snappy, 1)])
  const b = decodeBatchSync(convertLegacyMessages(set, opts).records)
  assert.equal(b.records.length, 5)
  assert.equal(b.compression, CompressionCodec.Snappy)
})

test('legacyShape looks only at magic and codec bytes', () => {
  assert.deepEqual(legacyShape(legacy(0, CompressionCodec.None)), { legacy: true, compressed: false })
  assert.deepEqual(legacyShape(legacy(1, CompressionCodec.Gzip)), { legacy: true, compressed: true })
  const v2 = encodeBatchSync(createBatch({ baseTimestamp: 1n, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: null, headers: [] }] }))
  assert.deepEqual(legacyShape(v2), { legacy: false, compressed: false })
})

test('bad sets are refused with the code Kafka gave, and never crash', () => {
  const good = legacy(1, CompressionCodec.None, 2)
  const crc = Buffer.from(good)
  crc[crc.length - 1]! ^= 1
  assert.throws(() => convertLegacyMessages(crc, opts), storage('CORRUPT_MESSAGE', /CRC/))
  for (let n = 1; n < good.length; n++) {
    if (n === good.length / 2) continue // exactly the first message: a valid set
    assert.throws(() => convertLegacyMessages(good.subarray(0, n), opts), (e: unknown) => isStorageError(e), `cut at ${n}`)
  }
  assert.throws(() => convertLegacyMessages(good.subarray(0, good.length - 3), opts), storage('CORRUPT_MESSAGE', /partial message/))
  // A wrapper holding a wrapper: refused before the inner one is inflated.
  const innerWrapper = legacy(1, CompressionCodec.Gzip, 1)
  const value = compressSync(CompressionCodec.Gzip, innerWrapper)
  const wrapped = encodeLegacyMessages([{ offset: 0n, timestamp: 0n, key: null, value: null }], { magic: 1, compression: CompressionCodec.None, timestampType: TimestampType.CreateTime })
  const nestedSet = rewrap(wrapped, value, CompressionCodec.Gzip)
  assert.throws(() => convertLegacyMessages(nestedSet, opts), storage('INVALID_RECORD', /nested compression/))
  // zstd does not exist below v2.
  assert.throws(() => convertLegacyMessages(rewrap(wrapped, Buffer.from('x'), CompressionCodec.Zstd), opts), storage('UNSUPPORTED_COMPRESSION_TYPE'))
  // A v2 batch mixed into a v0/v1 set.
  const v2 = encodeBatchSync(createBatch({ baseTimestamp: 1n, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: null, headers: [] }] }))
  assert.throws(() => convertLegacyMessages(Buffer.concat([good, v2]), opts), storage('INVALID_RECORD', /mix/))
  // A shallow message over max.message.bytes.
  assert.throws(() => convertLegacyMessages(good, { ...opts, maxMessageBytes: 20 }), storage('MESSAGE_TOO_LARGE', /max\.message\.bytes/))
})

test('a compressed bomb is refused with MESSAGE_TOO_LARGE as the v2 path bounds it; many tiny messages by count', async () => {
  const wrapped = encodeLegacyMessages([{ offset: 0n, timestamp: 0n, key: null, value: null }], { magic: 1, compression: CompressionCodec.None, timestampType: TimestampType.CreateTime })
  const bomb = rewrap(wrapped, await gzipBomb(64 * MiB), CompressionCodec.Gzip)
  assert.ok(bomb.length < 128 * 1024)
  const before = process.memoryUsage().rss
  assert.throws(() => convertLegacyMessages(bomb, opts), storage('MESSAGE_TOO_LARGE', /socket\.request\.max\.bytes/))
  assert.ok(process.memoryUsage().rss - before < 32 * MiB, 'the bomb was not inflated')
  const tiny = legacy(0, CompressionCodec.Gzip, 9000)
  assert.throws(() => convertLegacyMessages(tiny, { ...opts, maxDecodedBytes: 9000 * 100 }), storage('MESSAGE_TOO_LARGE'))
})

test('validateProducerRecords converts only when the request allows it, then applies the v2 checks', async () => {
  const config = { ...DEFAULT_LOG_CONFIG }
  const checks = { singleBatch: false, allowZstd: false, legacyMessages: true }
  const set = legacy(0, CompressionCodec.Gzip)
  const r = await validateProducerRecords(set, { config, checks, partition: 't-0', now: 0 })
  const [b] = await decodeBatches(r.records)
  assert.equal(b!.records.length, 3)
  assert.equal(r.batches.length, 1)
  await assert.rejects(validateProducerRecords(set, { config, checks: { ...checks, legacyMessages: false }, partition: 't-0', now: 0 }), storage('UNSUPPORTED_FOR_MESSAGE_FORMAT'))
  // Keys on a compacted topic are checked on the converted records.
  const keyless = encodeLegacyMessages([{ offset: 0n, timestamp: 5n, key: null, value: Buffer.from('x') }], { magic: 1, compression: CompressionCodec.None, timestampType: TimestampType.CreateTime })
  await assert.rejects(validateProducerRecords(keyless, { config: { ...config, compact: true }, checks, partition: 't-0', now: 0 }), storage('INVALID_RECORD', /key/))
  // Timestamp bounds apply to v1 timestamps; v0's -1 is never out of bounds.
  await assert.rejects(validateProducerRecords(legacy(1, CompressionCodec.None), { config: { ...config, messageTimestampBeforeMaxMs: 10 }, checks, partition: 't-0', now: 1_000_000 }), storage('INVALID_TIMESTAMP'))
  await validateProducerRecords(legacy(0, CompressionCodec.None), { config: { ...config, messageTimestampBeforeMaxMs: 10 }, checks, partition: 't-0', now: 1_000_000 })
  // max.message.bytes applies to the converted batch too (Kafka re-checks after conversion).
  const many = legacy(0, CompressionCodec.None, 50)
  await assert.rejects(validateProducerRecords(many, { config: { ...config, maxMessageBytes: 400 }, checks, partition: 't-0', now: 0 }), storage('MESSAGE_TOO_LARGE'))
})

/** A one-message set whose value is `value` and whose codec is `codec`, CRC recomputed. */
function rewrap(template: Buffer, value: Buffer, codec: CompressionCodec): Buffer {
  const head = template.subarray(0, template.length - 4)
  const out = Buffer.concat([head, Buffer.alloc(4), value])
  out.writeInt32BE(value.length, head.length)
  out.writeInt32BE(out.length - 12, 8)
  out.writeInt8(codec, 17)
  out.writeUInt32BE(crc32(out.subarray(16)), 12)
  return out
}
