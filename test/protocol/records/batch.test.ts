import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  BATCH_HEADER_SIZE,
  CompressionCodec,
  computeBatchCrc,
  isBatchCrcValid,
  readBatchHeader,
  setBaseOffset,
  setLogAppendTime,
} from '../../../src/protocol/records/batch-header.js'
import {
  createBatch,
  decodeBatch,
  decodeBatchSync,
  decodeLimits,
  encodeBatch,
  encodeBatchSync,
  recordOffset,
  recordTimestamp,
  TimestampType,
  validateBatch,
  type RecordBatch,
} from '../../../src/protocol/records/batch.js'
import { hasSyncCodec } from '../../../src/protocol/records/compression/index.js'
import { RecordsError } from '../../../src/protocol/records/errors.js'
import { batchAround, gzipBomb, lz4Bomb, snappyLengthLie, zstdBomb } from '../../helpers/compression-bombs.js'
import { ALL_CODECS, batch, normalizeBatch } from './arbitraries.js'

const isRecordsError = (code?: string) => (e: unknown) => e instanceof RecordsError && (code === undefined || e.code === code)

function sample(records = 3): RecordBatch {
  return createBatch({
    baseTimestamp: 1_700_000_000_000n,
    records: Array.from({ length: records }, (_, i) => ({
      timestampDelta: i * 10,
      offsetDelta: i,
      key: i % 2 ? null : Buffer.from(`key-${i}`),
      value: Buffer.from(`value-${i}-`.repeat(5)),
      headers: i === 1 ? [{ key: 'trace', value: Buffer.from('abc') }] : [],
    })),
  })
}

/** Rewrites a header field and fixes the CRC, to build batches that are well-formed but lie. */
function patched(buf: Buffer, edit: (b: Buffer) => void): Buffer {
  const b = Buffer.from(buf)
  edit(b)
  b.writeUInt32BE(computeBatchCrc(b, 0), 17)
  return b
}

test('round trip: random batches, all five codecs, all attribute flags', async () => {
  await fc.assert(
    fc.asyncProperty(batch(), async (b) => {
      const buf = await encodeBatch(b)
      assert.equal(validateBatch(buf), null)
      assert.equal(buf.readInt32BE(8), buf.length - 12)
      assert.deepEqual(await decodeBatch(buf), normalizeBatch(b))
    }),
    { numRuns: 150 },
  )
})

test('round trip through the sync forms for every codec but zstd', () => {
  fc.assert(
    fc.property(batch({ codecs: ALL_CODECS.filter((c) => c !== CompressionCodec.Zstd) }), (b) => {
      assert.deepEqual(decodeBatchSync(encodeBatchSync(b)), normalizeBatch(b))
    }),
    { numRuns: 100 },
  )
})

test('the encode option overrides batch.compression, and decode reports the codec', async () => {
  const b = { ...sample(), compression: CompressionCodec.Gzip }
  const buf = await encodeBatch(b, { compression: CompressionCodec.Lz4 })
  assert.equal(readBatchHeader(buf).attributes & 7, CompressionCodec.Lz4)
  assert.equal((await decodeBatch(buf)).compression, CompressionCodec.Lz4)
})

test('header fields land at their spec offsets', () => {
  const b: RecordBatch = {
    ...sample(2),
    baseOffset: 0x0102030405060708n,
    partitionLeaderEpoch: 7,
    timestampType: TimestampType.LogAppendTime,
    isTransactional: true,
    isControl: false,
    hasDeleteHorizon: true,
    lastOffsetDelta: 1,
    maxTimestamp: 1_700_000_000_010n,
    producerId: 42n,
    producerEpoch: 3,
    baseSequence: 99,
  }
  const buf = encodeBatchSync(b, { compression: CompressionCodec.Snappy })
  assert.deepEqual(readBatchHeader(buf), {
    baseOffset: 0x0102030405060708n,
    batchLength: buf.length - 12,
    partitionLeaderEpoch: 7,
    magic: 2,
    crc: computeBatchCrc(buf),
    attributes: 0x02 | 0x08 | 0x10 | 0x40,
    lastOffsetDelta: 1,
    baseTimestamp: 1_700_000_000_000n,
    maxTimestamp: 1_700_000_000_010n,
    producerId: 42n,
    producerEpoch: 3,
    baseSequence: 99,
    recordCount: 2,
  })
  assert.ok(isBatchCrcValid(buf))
})

test('any single changed byte in the CRC-covered region (and the CRC itself) is detected', async () => {
  for (const codec of ALL_CODECS) {
    const buf = await encodeBatch(sample(), { compression: codec })
    for (let i = 17; i < buf.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const bad = Buffer.from(buf)
        bad[i]! ^= mask
        const problem = validateBatch(bad)
        assert.equal(problem?.code, 'crc-mismatch', `codec ${codec} byte ${i} mask ${mask}`)
      }
    }
    const flipped = Buffer.from(buf)
    flipped[BATCH_HEADER_SIZE]! ^= 0x10
    await assert.rejects(decodeBatch(flipped), isRecordsError('crc-mismatch'))
    // baseOffset and partitionLeaderEpoch sit outside the CRC: brokers rewrite them freely.
    const moved = Buffer.from(buf)
    moved[3]! ^= 0xff
    moved[13]! ^= 0xff
    assert.equal(validateBatch(moved), null)
  }
})

test('every truncation is a clean RecordsError("truncated"), never a RangeError', async () => {
  for (const codec of ALL_CODECS) {
    const buf = await encodeBatch(sample(), { compression: codec })
    for (let n = 0; n < buf.length; n++) {
      const cut = buf.subarray(0, n)
      assert.equal(validateBatch(cut)?.code, 'truncated', `codec ${codec} length ${n}`)
      await assert.rejects(decodeBatch(cut), isRecordsError('truncated'))
      if (codec !== CompressionCodec.Zstd) assert.throws(() => decodeBatchSync(cut), isRecordsError('truncated'))
    }
  }
})

test('corrupted bytes with the CRC check off still only ever raise RecordsError', async () => {
  await fc.assert(
    fc.asyncProperty(
      batch(),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
      async (b, edits) => {
        const buf = Buffer.from(await encodeBatch(b))
        for (const [at, mask] of edits) buf[at % buf.length]! ^= mask
        try {
          await decodeBatch(buf, { verifyCrc: false })
        } catch (e) {
          assert.ok(e instanceof RecordsError, String(e))
        }
      },
    ),
    { numRuns: 300 },
  )
})

test('validateBatch names what is wrong', () => {
  const buf = encodeBatchSync(sample(3))
  assert.equal(validateBatch(buf), null)
  assert.equal(validateBatch(patched(buf, (b) => b.writeInt32BE(48, 8)))?.code, 'invalid-length')
  assert.equal(validateBatch(patched(buf, (b) => b.writeInt8(1, 16)))?.code, 'unsupported-magic')
  assert.equal(validateBatch(patched(buf, (b) => b.writeInt16BE(6, 21)))?.code, 'unsupported-compression')
  assert.equal(validateBatch(patched(buf, (b) => b.writeInt32BE(-1, 57)))?.code, 'invalid-record-count')
  assert.equal(validateBatch(patched(buf, (b) => b.writeInt32BE(1_000_000, 57)))?.code, 'invalid-record-count')
  assert.equal(validateBatch(patched(buf, (b) => b.writeInt32BE(1, 23)))?.code, 'invalid-last-offset-delta')
  // A batch followed by more bytes is fine: validation looks at one batch.
  assert.equal(validateBatch(Buffer.concat([buf, Buffer.alloc(5)])), null)
  // And at an offset into a larger buffer.
  assert.equal(validateBatch(Buffer.concat([Buffer.alloc(7), buf]), 7), null)
})

test('a record count that disagrees with the records is rejected when decoding', async () => {
  for (const codec of ALL_CODECS) {
    const buf = await encodeBatch(sample(3), { compression: codec })
    const more = patched(buf, (b) => {
      b.writeInt32BE(4, 57)
      b.writeInt32BE(3, 23)
    })
    const fewer = patched(buf, (b) => b.writeInt32BE(2, 57))
    await assert.rejects(decodeBatch(more), isRecordsError('invalid-record-count'))
    await assert.rejects(decodeBatch(fewer), isRecordsError('invalid-record-count'))
  }
})

test('empty batches, with and without compression bits', async () => {
  for (const codec of ALL_CODECS) {
    const empty = createBatch({ baseTimestamp: 5n, records: [], compression: codec })
    const decoded = await decodeBatch(await encodeBatch(empty))
    assert.deepEqual(decoded.records, [])
    assert.equal(decoded.compression, codec)
    // What the cleaner leaves: codec bits set but no payload at all.
    const bare = patched(encodeBatchSync(createBatch({ baseTimestamp: 5n, records: [] })), (b) => b.writeInt16BE(codec, 21))
    assert.equal(validateBatch(bare), null)
    assert.deepEqual((await decodeBatch(bare)).records, [])
  }
})

test('zstd has no synchronous batch path', async () => {
  const b = sample()
  assert.throws(() => encodeBatchSync(b, { compression: CompressionCodec.Zstd }), isRecordsError('unsupported-compression'))
  const buf = await encodeBatch(b, { compression: CompressionCodec.Zstd })
  assert.throws(() => decodeBatchSync(buf), isRecordsError('unsupported-compression'))
})

test('setBaseOffset keeps the CRC valid; setLogAppendTime recomputes it', async () => {
  for (const codec of ALL_CODECS) {
    const buf = Buffer.from(await encodeBatch(sample(), { compression: codec }))
    setBaseOffset(buf, 0, 123_456_789n)
    assert.equal(validateBatch(buf), null)
    assert.equal((await decodeBatch(buf)).baseOffset, 123_456_789n)

    setLogAppendTime(buf, 0, 1_800_000_000_000n)
    assert.equal(validateBatch(buf), null)
    const d = await decodeBatch(buf)
    assert.equal(d.timestampType, TimestampType.LogAppendTime)
    assert.equal(d.maxTimestamp, 1_800_000_000_000n)
    assert.equal(d.compression, codec)
    for (const r of d.records) assert.equal(recordTimestamp(d, r), 1_800_000_000_000n)
  }
})

test('recordOffset / recordTimestamp under CreateTime', async () => {
  const d = await decodeBatch(encodeBatchSync({ ...sample(3), baseOffset: 100n }))
  assert.deepEqual(d.records.map((r) => recordOffset(d, r)), [100n, 101n, 102n])
  assert.deepEqual(d.records.map((r) => recordTimestamp(d, r)), [1_700_000_000_000n, 1_700_000_000_010n, 1_700_000_000_020n])
})

test('createBatch fills Kafka defaults and derives lastOffsetDelta / maxTimestamp', () => {
  const b = createBatch({
    baseTimestamp: 1000n,
    producerId: undefined,
    records: [
      { timestampDelta: 30, offsetDelta: 0, key: null, value: null, headers: [] },
      { timestampDelta: 10, offsetDelta: 4, key: null, value: null, headers: [] },
    ],
  })
  assert.equal(b.producerId, -1n)
  assert.equal(b.producerEpoch, -1)
  assert.equal(b.baseSequence, -1)
  assert.equal(b.partitionLeaderEpoch, -1)
  assert.equal(b.lastOffsetDelta, 4)
  assert.equal(b.maxTimestamp, 1030n)
  assert.equal(b.compression, CompressionCodec.None)
})

// ---- decode limits: what a broker passes when it decodes a client's batch -----------------

const MiB = 1 << 20
const refused = (code: string, pattern: RegExp) => (e: unknown) => isRecordsError(code)(e) && pattern.test((e as Error).message)

test('maxRecords refuses a header claiming more records, before anything is decompressed or allocated', async () => {
  // A 256 MiB zstd bomb claiming a million records: the count alone refuses it.
  const claim = batchAround(zstdBomb(256 * MiB), CompressionCodec.Zstd, { recordCount: 1_000_000 })
  await assert.rejects(decodeBatch(claim, { maxRecords: 1000 }), refused('too-many-records', /claims 1000000 records; the limit is 1000$/))
  // Uncompressed too: decoded records cost far more than their bytes.
  const plain = await encodeBatch(sample(5))
  assert.throws(() => decodeBatchSync(plain, { maxRecords: 4 }), refused('too-many-records', /claims 5 records/))
  assert.equal(decodeBatchSync(plain, { maxRecords: 5 }).records.length, 5)
})

test('maxDecompressedBytes refuses a compressed batch whose count cannot fit, and bombs of every codec, before inflating them', async () => {
  const claim = batchAround(zstdBomb(256 * MiB), CompressionCodec.Zstd, { recordCount: 200_000 })
  await assert.rejects(decodeBatch(claim, { maxDecompressedBytes: MiB }), refused('decompressed-too-large', /claims 200000 records, at least 1400000 bytes decompressed; the limit is 1048576 bytes/))
  const bombs: Array<[CompressionCodec, Buffer]> = [
    [CompressionCodec.Zstd, zstdBomb(256 * MiB)],
    [CompressionCodec.Gzip, await gzipBomb(64 * MiB)],
    [CompressionCodec.Lz4, lz4Bomb(256 * MiB)],
    [CompressionCodec.Snappy, snappyLengthLie(2 ** 32 - 1)],
  ]
  for (const [codec, section] of bombs) {
    const bomb = batchAround(section, codec)
    await assert.rejects(decodeBatch(bomb, { maxDecompressedBytes: MiB }), refused('decompressed-too-large', /the limit is 1048576 bytes/), `codec ${codec}`)
    if (hasSyncCodec(codec)) assert.throws(() => decodeBatchSync(bomb, { maxDecompressedBytes: MiB }), isRecordsError('decompressed-too-large'), `codec ${codec}`)
  }
})

test('decodeLimits: the bytes bound, and as many records as that many bytes of decoded records hold', async () => {
  assert.deepEqual(decodeLimits(100 * MiB), { maxDecompressedBytes: 100 * MiB, maxRecords: 819_200 })
  for (const codec of ALL_CODECS) {
    const buf = await encodeBatch(sample(3), { compression: codec })
    assert.deepEqual(normalizeBatch(await decodeBatch(buf, decodeLimits(MiB))), normalizeBatch(await decodeBatch(buf)), `codec ${codec}`)
  }
})
