/** Stored v2 batches converted to message formats v0/v1 for Fetch v0-3 (Kafka's down-conversion). */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode } from '../../src/protocol/errors.js'
import { CompressionCodec } from '../../src/protocol/records/batch-header.js'
import { createBatch, encodeBatch, encodeBatchSync, TimestampType } from '../../src/protocol/records/batch.js'
import { createEndTxnBatch } from '../../src/protocol/records/control.js'
import { decodeLegacyMessages } from '../../src/protocol/records/legacy.js'
import { downConversionMagic, downConvert } from '../../src/broker/down-conversion.js'

const MiB = 1 << 20
const batch = (baseOffset: bigint, n: number, opts: { compression?: CompressionCodec; timestampType?: TimestampType; maxTimestamp?: bigint } = {}) =>
  encodeBatchSync(createBatch({
    baseOffset,
    baseTimestamp: 1000n,
    records: Array.from({ length: n }, (_, i) => ({ timestampDelta: i, offsetDelta: i, key: Buffer.from(`k${i}`), value: Buffer.from(`v${baseOffset + BigInt(i)}`), headers: [{ key: 'h', value: Buffer.from('x') }] })),
    ...opts,
  }))
const convert = (records: Buffer, toMagic: 0 | 1, fetchOffset = 0) => downConvert(records, { toMagic, fetchOffset, maxDecodedBytes: MiB })
const values = (b: Buffer) => decodeLegacyMessages(b).map((m) => m.value!.toString())

test('Fetch v0-1 read format v0, v2-3 format v1, v4+ the stored v2', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 17].map(downConversionMagic), [0, 0, 1, 1, undefined, undefined])
})

test('records keep offsets, keys and values; v1 keeps timestamps, v0 has none; headers are dropped', async () => {
  const stored = Buffer.concat([batch(0n, 3), batch(3n, 2, { compression: CompressionCodec.Gzip })])
  for (const magic of [0, 1] as const) {
    const r = await convert(stored, magic)
    assert.equal(r.errorCode, ErrorCode.NONE)
    const msgs = decodeLegacyMessages(r.records)
    assert.deepEqual(msgs.map((m) => m.offset), [0n, 1n, 2n, 3n, 4n])
    assert.deepEqual(msgs.map((m) => m.key!.toString()), ['k0', 'k1', 'k2', 'k0', 'k1'])
    assert.deepEqual(msgs.map((m) => m.timestamp), magic === 0 ? [-1n, -1n, -1n, -1n, -1n] : [1000n, 1001n, 1002n, 1000n, 1001n])
    assert.deepEqual(msgs.map((m) => m.compression), [0, 0, 0, CompressionCodec.Gzip, CompressionCodec.Gzip], 'the compressed batch is one wrapper of the same codec')
    assert.ok(msgs.every((m) => m.magic === magic))
  }
})

test('LogAppendTime: the batch time goes on every v1 message', async () => {
  const stored = batch(0n, 2, { timestampType: TimestampType.LogAppendTime, maxTimestamp: 5555n })
  assert.deepEqual(decodeLegacyMessages((await convert(stored, 1)).records).map((m) => [m.timestamp, m.timestampType]), [[5555n, TimestampType.LogAppendTime], [5555n, TimestampType.LogAppendTime]])
})

test('an uncompressed batch loses the records before the fetch offset; a compressed one is kept whole', async () => {
  assert.deepEqual(values((await convert(batch(10n, 4), 1, 12)).records), ['v12', 'v13'])
  assert.deepEqual(values((await convert(batch(10n, 4, { compression: CompressionCodec.Snappy }), 1, 12)).records), ['v10', 'v11', 'v12', 'v13'])
})

test('transaction markers are dropped; a read ending in a partial batch loses that batch', async () => {
  const marker = encodeBatchSync(createEndTxnBatch({ baseOffset: 2n, producerId: 7n, producerEpoch: 0, commit: true, coordinatorEpoch: 0, timestamp: 1n }))
  const stored = Buffer.concat([batch(0n, 2), marker, batch(3n, 1)])
  assert.deepEqual(values((await convert(stored, 0)).records), ['v0', 'v1', 'v3'])
  const cut = Buffer.concat([batch(0n, 2), batch(2n, 2).subarray(0, 30)])
  assert.deepEqual(values((await convert(cut, 1)).records), ['v0', 'v1'])
})

test('size: at most what was read, the first converted batch whole; the rest cut to a partial message', async () => {
  // Uncompressed v2 records are smaller than v1 messages of the same records: conversion grows them.
  const stored = Buffer.concat([batch(0n, 20), batch(20n, 20), batch(40n, 20)])
  const r = await convert(stored, 1)
  assert.equal(r.records.length, stored.length, 'cut at the bytes read')
  const whole = decodeLegacyMessages(r.records)
  assert.ok(whole.length >= 20 && whole.length < 60, `${whole.length} messages: the first batch whole, then cut`)
  assert.deepEqual(whole.map((m) => m.offset), whole.map((_, i) => BigInt(i)))
  // One batch larger once converted than the bytes read: it still comes whole.
  const one = batch(0n, 20)
  const r1 = await convert(one, 1)
  assert.ok(r1.records.length > one.length)
  assert.equal(decodeLegacyMessages(r1.records).length, 20)
})

test("nothing convertible in a non-empty read: Kafka's overflow entry, which old clients read as 'raise the fetch size'", async () => {
  const partial = batch(0n, 5).subarray(0, 40)
  const r = await convert(partial, 0)
  assert.equal(r.errorCode, ErrorCode.NONE)
  assert.equal(r.records.length, 12)
  assert.equal(r.records.readBigInt64BE(0), -1n)
  assert.ok(r.records.readInt32BE(8) > partial.length)
  assert.deepEqual(decodeLegacyMessages(r.records), [])
  assert.equal((await convert(Buffer.alloc(0), 0)).records.length, 0)
})

test('zstd has no v0/v1 form: UNSUPPORTED_COMPRESSION_TYPE first, else the conversion stops before it', async () => {
  const zstd = await encodeBatch(createBatch({ baseOffset: 5n, baseTimestamp: 1n, compression: CompressionCodec.Zstd, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('z'), headers: [] }] }))
  assert.equal((await convert(zstd, 1)).errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE)
  const r = await convert(Buffer.concat([batch(0n, 2), zstd, batch(6n, 1)]), 1)
  assert.equal(r.errorCode, ErrorCode.NONE)
  assert.deepEqual(values(r.records), ['v0', 'v1'])
})

test('a stored batch that would decompress past the bound is not inflated: CORRUPT_MESSAGE as the first, never a crash', async () => {
  const big = encodeBatchSync(createBatch({ baseTimestamp: 1n, compression: CompressionCodec.Gzip, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.alloc(2 * MiB), headers: [] }] }))
  const r = await downConvert(big, { toMagic: 1, fetchOffset: 0, maxDecodedBytes: MiB })
  assert.equal(r.errorCode, ErrorCode.CORRUPT_MESSAGE)
  assert.match(r.problem!, /cannot be converted/)
})
