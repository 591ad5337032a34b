import assert from 'node:assert/strict'
import { test } from 'node:test'
import { crc32 } from '@node-rs/crc32'
import { CompressionCodec } from '../../../src/protocol/records/batch-header.js'
import { createBatch, encodeBatchSync, TimestampType } from '../../../src/protocol/records/batch.js'
import { compressSync } from '../../../src/protocol/records/compression/index.js'
import { compressXerialSync } from '../../../src/protocol/records/compression/snappy.js'
import { RecordsError } from '../../../src/protocol/records/errors.js'
import { decodeLegacyMessages, encodeLegacyMessages } from '../../../src/protocol/records/legacy.js'

const isRecordsError = (code: string) => (e: unknown) => e instanceof RecordsError && e.code === code

interface MessageSpec {
  offset: bigint
  magic: 0 | 1
  attributes?: number
  timestamp?: bigint
  key?: Buffer | null
  value?: Buffer | null
}

/** A v0/v1 message laid out by hand from the format description (decode-only in src). */
function message(m: MessageSpec): Buffer {
  const key = m.key ?? null
  const value = m.value === undefined ? Buffer.from('v') : m.value
  const body = Buffer.alloc(1 + 1 + (m.magic === 1 ? 8 : 0) + 4 + (key?.length ?? 0) + 4 + (value?.length ?? 0))
  let p = body.writeInt8(m.magic, 0)
  p = body.writeInt8(m.attributes ?? 0, p)
  if (m.magic === 1) p = body.writeBigInt64BE(m.timestamp ?? 0n, p)
  p = body.writeInt32BE(key ? key.length : -1, p)
  if (key) p += key.copy(body, p)
  p = body.writeInt32BE(value ? value.length : -1, p)
  if (value) value.copy(body, p)
  const head = Buffer.alloc(16)
  head.writeBigInt64BE(m.offset, 0)
  head.writeInt32BE(4 + body.length, 8)
  head.writeUInt32BE(crc32(body), 12)
  return Buffer.concat([head, body])
}

test('v0 plain messages: no timestamps, nullable key and value', () => {
  const set = Buffer.concat([
    message({ offset: 5n, magic: 0, key: Buffer.from('k'), value: Buffer.from('hello') }),
    message({ offset: 6n, magic: 0, key: null, value: null }),
  ])
  assert.deepEqual(decodeLegacyMessages(set), [
    { offset: 5n, magic: 0, timestamp: -1n, timestampType: TimestampType.CreateTime, key: Buffer.from('k'), value: Buffer.from('hello'), compression: CompressionCodec.None },
    { offset: 6n, magic: 0, timestamp: -1n, timestampType: TimestampType.CreateTime, key: null, value: null, compression: CompressionCodec.None },
  ])
})

test('v1 compressed wrapper: relative inner offsets become absolute', () => {
  for (const codec of [CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4]) {
    const inner = Buffer.concat(
      [0n, 1n, 2n].map((o) => message({ offset: o, magic: 1, timestamp: 1000n + o, value: Buffer.from(`m${o}`) })),
    )
    const wrapper = message({ offset: 102n, magic: 1, attributes: codec, timestamp: 1002n, value: compressSync(codec, inner) })
    const out = decodeLegacyMessages(wrapper)
    assert.deepEqual(out.map((m) => m.offset), [100n, 101n, 102n], `codec ${codec}`)
    assert.deepEqual(out.map((m) => m.timestamp), [1000n, 1001n, 1002n])
    assert.deepEqual(out.map((m) => m.value?.toString()), ['m0', 'm1', 'm2'])
    assert.ok(out.every((m) => m.compression === codec && m.timestampType === TimestampType.CreateTime))
  }
})

test('v1 wrapper with LogAppendTime imposes its timestamp on inner messages', () => {
  const inner = Buffer.concat([message({ offset: 0n, magic: 1, timestamp: 1n }), message({ offset: 1n, magic: 1, timestamp: 2n })])
  const wrapper = message({ offset: 9n, magic: 1, attributes: CompressionCodec.Gzip | 0x08, timestamp: 777n, value: compressSync(CompressionCodec.Gzip, inner) })
  const out = decodeLegacyMessages(wrapper)
  assert.deepEqual(out.map((m) => [m.offset, m.timestamp, m.timestampType]), [
    [8n, 777n, TimestampType.LogAppendTime],
    [9n, 777n, TimestampType.LogAppendTime],
  ])
})

test('v0 wrapper: inner offsets are taken as they are; xerial snappy as old Java clients wrote it', () => {
  const inner = Buffer.concat([message({ offset: 40n, magic: 0 }), message({ offset: 41n, magic: 0 })])
  const wrapper = message({ offset: 41n, magic: 0, attributes: CompressionCodec.Snappy, value: compressXerialSync(inner) })
  assert.deepEqual(decodeLegacyMessages(wrapper).map((m) => m.offset), [40n, 41n])
})

test('v0 lz4 with the pre-0.10 descriptor checksum decodes; v1 must be correct', () => {
  const inner = Buffer.concat([message({ offset: 0n, magic: 0 }), message({ offset: 1n, magic: 0 })])
  const frame = Buffer.from(compressSync(CompressionCodec.Lz4, inner))
  frame[6]! ^= 0xff // any wrong checksum byte, as the old writer's was
  const v0 = message({ offset: 1n, magic: 0, attributes: CompressionCodec.Lz4, value: frame })
  assert.equal(decodeLegacyMessages(v0).length, 2)

  const inner1 = Buffer.concat([message({ offset: 0n, magic: 1 })])
  const frame1 = Buffer.from(compressSync(CompressionCodec.Lz4, inner1))
  frame1[6]! ^= 0xff
  const v1 = message({ offset: 0n, magic: 1, attributes: CompressionCodec.Lz4, value: frame1 })
  assert.throws(() => decodeLegacyMessages(v1), isRecordsError('decompression-failed'))
})

test('CRC-32 mismatch is detected unless the check is turned off', () => {
  const m = message({ offset: 0n, magic: 1, timestamp: 5n, value: Buffer.from('payload') })
  for (let i = 12; i < m.length; i++) {
    const bad = Buffer.from(m)
    bad[i]! ^= 0x20
    assert.throws(() => decodeLegacyMessages(bad), (e: unknown) => e instanceof RecordsError, `byte ${i}`)
  }
  const badValue = Buffer.from(m)
  badValue[badValue.length - 1]! ^= 0x20
  assert.throws(() => decodeLegacyMessages(badValue), isRecordsError('crc-mismatch'))
  assert.equal(decodeLegacyMessages(badValue, { verifyCrc: false })[0]!.value!.toString(), 'payloaD')
})

test('a partial trailing message is ignored; truncation inside a wrapper is an error', () => {
  const a = message({ offset: 0n, magic: 0 })
  const b = message({ offset: 1n, magic: 0 })
  for (let n = 0; n < b.length; n++) {
    assert.deepEqual(decodeLegacyMessages(Buffer.concat([a, b.subarray(0, n)])).map((m) => m.offset), [0n])
  }
  const innerCut = Buffer.concat([a, b]).subarray(0, a.length + 10)
  const wrapper = message({ offset: 1n, magic: 0, attributes: CompressionCodec.Gzip, value: compressSync(CompressionCodec.Gzip, innerCut) })
  assert.throws(() => decodeLegacyMessages(wrapper), isRecordsError('invalid-record'))
})

test('malformed wrappers are rejected', () => {
  const nested = message({
    offset: 0n,
    magic: 1,
    attributes: CompressionCodec.Gzip,
    value: compressSync(CompressionCodec.Gzip, message({ offset: 0n, magic: 1, attributes: CompressionCodec.Gzip, value: Buffer.alloc(0) })),
  })
  assert.throws(() => decodeLegacyMessages(nested), isRecordsError('invalid-record'))
  const mixed = message({ offset: 0n, magic: 1, attributes: CompressionCodec.Gzip, value: compressSync(CompressionCodec.Gzip, message({ offset: 0n, magic: 0 })) })
  assert.throws(() => decodeLegacyMessages(mixed), isRecordsError('invalid-record'))
  const empty = message({ offset: 0n, magic: 0, attributes: CompressionCodec.Gzip, value: compressSync(CompressionCodec.Gzip, Buffer.alloc(0)) })
  assert.throws(() => decodeLegacyMessages(empty), isRecordsError('invalid-record'))
  const noValue = message({ offset: 0n, magic: 0, attributes: CompressionCodec.Snappy, value: null })
  assert.throws(() => decodeLegacyMessages(noValue), isRecordsError('invalid-record'))
  const zstd = message({ offset: 0n, magic: 1, attributes: CompressionCodec.Zstd, value: Buffer.alloc(4) })
  assert.throws(() => decodeLegacyMessages(zstd), isRecordsError('unsupported-compression'))
})

test('a v2 batch inside a legacy message set is refused', () => {
  const v2 = encodeBatchSync(createBatch({ baseTimestamp: 0n, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: null, headers: [] }] }))
  assert.throws(() => decodeLegacyMessages(v2), isRecordsError('unsupported-magic'))
})

const enc = (i: number) => ({ offset: 100n + BigInt(i), timestamp: 5000n + BigInt(i), key: i % 2 ? null : Buffer.from(`k${i}`), value: i === 2 ? null : Buffer.from(`v${i}`) })

test('encode round trip: both magics, every v0/v1 codec, as the hand-laid format reads them', () => {
  const msgs = [0, 1, 2, 3].map(enc)
  for (const magic of [0, 1] as const) {
    for (const codec of [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4]) {
      const set = encodeLegacyMessages(msgs, { magic, compression: codec, timestampType: TimestampType.CreateTime })
      const out = decodeLegacyMessages(set)
      const what = `v${magic} codec ${codec}`
      assert.deepEqual(out.map((m) => m.offset), msgs.map((m) => m.offset), what)
      assert.deepEqual(out.map((m) => m.key), msgs.map((m) => m.key), what)
      assert.deepEqual(out.map((m) => m.value), msgs.map((m) => m.value), what)
      assert.deepEqual(out.map((m) => m.timestamp), magic === 0 ? msgs.map(() => -1n) : msgs.map((m) => m.timestamp), what)
      assert.ok(out.every((m) => m.compression === codec && m.magic === magic), what)
      // The wrapper sits at the last offset, as Kafka writes it; v1 inner offsets are relative.
      if (codec !== CompressionCodec.None) assert.equal(set.readBigInt64BE(0), 103n, what)
      else assert.equal(set.length, msgs.reduce((n, m) => n + 12 + 14 + (magic ? 8 : 0) + (m.key?.length ?? 0) + (m.value?.length ?? 0), 0), what)
    }
  }
})

test('encode under LogAppendTime (v1): every message and the wrapper carry the time and the flag', () => {
  const set = encodeLegacyMessages([0, 1].map(enc), { magic: 1, compression: CompressionCodec.Gzip, timestampType: TimestampType.LogAppendTime, logAppendTime: 777n })
  assert.equal(set.readInt8(17) & 0x08, 0x08)
  assert.deepEqual(decodeLegacyMessages(set).map((m) => [m.timestamp, m.timestampType]), [[777n, TimestampType.LogAppendTime], [777n, TimestampType.LogAppendTime]])
  const plain = encodeLegacyMessages([enc(0)], { magic: 1, compression: CompressionCodec.None, timestampType: TimestampType.LogAppendTime, logAppendTime: 9n })
  assert.deepEqual(decodeLegacyMessages(plain).map((m) => [m.timestamp, m.timestampType]), [[9n, TimestampType.LogAppendTime]])
})

test('v0 lz4 is written with the pre-0.10 descriptor checksum (what v0 readers expect), and read back', () => {
  const set = encodeLegacyMessages([0, 1].map(enc), { magic: 0, compression: CompressionCodec.Lz4, timestampType: TimestampType.CreateTime })
  const frame = set.subarray(26)
  const standard = compressSync(CompressionCodec.Lz4, Buffer.alloc(1))
  assert.equal(frame.readUInt32LE(0), 0x184d2204)
  assert.notEqual(frame[6], standard[6], 'checksum byte differs from the standard one')
  assert.equal(decodeLegacyMessages(set).length, 2)
})

test('zstd has no v0/v1 form', () => {
  assert.throws(() => encodeLegacyMessages([enc(0)], { magic: 1, compression: CompressionCodec.Zstd, timestampType: TimestampType.CreateTime }), isRecordsError('unsupported-compression'))
})

test('decode bounds: decompressed bytes across all wrappers, and message count, fail before the memory is taken', () => {
  const big = { offset: 0n, timestamp: 0n, key: null, value: Buffer.alloc(10_000) }
  const wrapper = encodeLegacyMessages([big], { magic: 1, compression: CompressionCodec.Gzip, timestampType: TimestampType.CreateTime })
  const two = Buffer.concat([wrapper, wrapper])
  assert.equal(decodeLegacyMessages(two, { maxDecompressedBytes: 25_000 }).length, 2)
  // Each wrapper alone is under the bound; together they are not.
  assert.throws(() => decodeLegacyMessages(two, { maxDecompressedBytes: 15_000 }), isRecordsError('decompressed-too-large'))
  const many = encodeLegacyMessages(Array.from({ length: 50 }, (_, i) => enc(i)), { magic: 0, compression: CompressionCodec.Snappy, timestampType: TimestampType.CreateTime })
  assert.equal(decodeLegacyMessages(many, { maxMessages: 50 }).length, 50)
  assert.throws(() => decodeLegacyMessages(many, { maxMessages: 49 }), isRecordsError('too-many-records'))
  const plain = encodeLegacyMessages(Array.from({ length: 5 }, (_, i) => enc(i)), { magic: 0, compression: CompressionCodec.None, timestampType: TimestampType.CreateTime })
  assert.throws(() => decodeLegacyMessages(plain, { maxMessages: 4 }), isRecordsError('too-many-records'))
})
