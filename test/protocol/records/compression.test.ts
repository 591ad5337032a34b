import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import { CompressionCodec } from '../../../src/protocol/records/batch-header.js'
import {
  compress,
  compressSync,
  decompress,
  decompressSync,
  hasSyncCodec,
} from '../../../src/protocol/records/compression/index.js'
import { repairLegacyDescriptorChecksum } from '../../../src/protocol/records/compression/lz4.js'
import { compressXerialSync, isXerialFramed } from '../../../src/protocol/records/compression/snappy.js'
import { RecordsError } from '../../../src/protocol/records/errors.js'
import { ALL_CODECS } from './arbitraries.js'

const isRecordsError = (code: string) => (e: unknown) => e instanceof RecordsError && e.code === code

/** Compressible and incompressible inputs, small and across block boundaries (lz4 64 KiB, xerial 32 KiB). */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a)),
  fc.tuple(fc.integer({ min: 1, max: 200_000 }), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([n, pat]) =>
    Buffer.alloc(n, Buffer.from(pat)),
  ),
)

for (const codec of ALL_CODECS) {
  test(`codec ${codec}: async round trip`, async () => {
    await fc.assert(
      fc.asyncProperty(payload, async (data) => {
        assert.deepEqual(await decompress(codec, await compress(codec, data)), data)
      }),
      { numRuns: 40 },
    )
    const big = randomBytes(300_000)
    assert.deepEqual(await decompress(codec, await compress(codec, big)), big)
  })
}

for (const codec of ALL_CODECS.filter(hasSyncCodec)) {
  test(`codec ${codec}: sync and async forms interoperate`, async () => {
    await fc.assert(
      fc.asyncProperty(payload, async (data) => {
        assert.deepEqual(decompressSync(codec, await compress(codec, data)), data)
        assert.deepEqual(await decompress(codec, compressSync(codec, data)), data)
      }),
      { numRuns: 25 },
    )
  })
}

test('zstd has no sync form', () => {
  assert.equal(hasSyncCodec(CompressionCodec.Zstd), false)
  assert.throws(() => compressSync(CompressionCodec.Zstd, Buffer.from('x')), isRecordsError('unsupported-compression'))
  assert.throws(() => decompressSync(CompressionCodec.Zstd, Buffer.from('x')), isRecordsError('unsupported-compression'))
})

test('unknown codec ids are rejected', async () => {
  await assert.rejects(compress(5, Buffer.from('x')), isRecordsError('unsupported-compression'))
  await assert.rejects(decompress(7, Buffer.from('x')), isRecordsError('unsupported-compression'))
  assert.throws(() => decompressSync(6, Buffer.from('x')), isRecordsError('unsupported-compression'))
})

test('corrupt compressed data is a RecordsError for every codec, sync and async', async () => {
  for (const codec of ALL_CODECS.filter((c) => c !== CompressionCodec.None)) {
    const good = await compress(codec, Buffer.alloc(5000, 'kafka'))
    const garbage = [Buffer.from('definitely not compressed data'), good.subarray(0, Math.floor(good.length / 2)), Buffer.alloc(0)]
    for (const bad of garbage) {
      // lz4 frames and gzip tolerate some truncations by design of their libraries; what matters is
      // that whatever fails, fails as RecordsError (the batch layer then checks the record count).
      try {
        await decompress(codec, bad)
      } catch (e) {
        assert.ok(e instanceof RecordsError && e.code === 'decompression-failed', `${codec}: ${String(e)}`)
      }
      if (hasSyncCodec(codec)) {
        try {
          decompressSync(codec, bad)
        } catch (e) {
          assert.ok(e instanceof RecordsError && e.code === 'decompression-failed', `${codec} sync: ${String(e)}`)
        }
      }
    }
    await assert.rejects(decompress(codec, Buffer.from('definitely not compressed data')), isRecordsError('decompression-failed'))
  }
})

test('snappy: raw output by default, xerial framing decoded', async () => {
  const data = Buffer.alloc(100_000, 'xerial framing ')
  const raw = compressSync(CompressionCodec.Snappy, data)
  assert.equal(isXerialFramed(raw), false)
  const framed = compressXerialSync(data)
  assert.equal(isXerialFramed(framed), true)
  assert.deepEqual(framed.subarray(0, 16), Buffer.from('82534e41505059000000000100000001', 'hex'))
  assert.deepEqual(decompressSync(CompressionCodec.Snappy, framed), data)
  assert.deepEqual(await decompress(CompressionCodec.Snappy, framed), data)
  // A header with no blocks is an empty payload.
  assert.deepEqual(decompressSync(CompressionCodec.Snappy, compressXerialSync(Buffer.alloc(0))), Buffer.alloc(0))
})

test('snappy: xerial fixture with two blocks from an independent compressor', async () => {
  // Blocks produced by @platformatic/wasm-utils' snappy (raw): "abcdefgh" x 4, then "0123456789".
  const fixture = Buffer.from(
    '82534e41505059000000000100000001' + '0000000d' + '201c61626364656667685e0800' + '0000000c' + '0a2430313233343536373839',
    'hex',
  )
  const expected = Buffer.from('abcdefgh'.repeat(4) + '0123456789')
  assert.deepEqual(decompressSync(CompressionCodec.Snappy, fixture), expected)
  assert.deepEqual(await decompress(CompressionCodec.Snappy, fixture), expected)
  // A block length that runs past the end.
  const cut = fixture.subarray(0, fixture.length - 3)
  assert.throws(() => decompressSync(CompressionCodec.Snappy, cut), isRecordsError('decompression-failed'))
  await assert.rejects(decompress(CompressionCodec.Snappy, cut), isRecordsError('decompression-failed'))
})

test('lz4: frames carry no checksums or content size, so pre-2.x Java readers accept them', () => {
  for (const n of [0, 100, 70_000, 5_000_000]) {
    const frame = compressSync(CompressionCodec.Lz4, Buffer.alloc(n, 'lz4'))
    assert.equal(frame.readUInt32LE(0), 0x184d2204)
    // FLG: version 01, block independence, no block checksum, no content size/checksum, no dict id.
    assert.equal(frame[4], 0x60)
    // BD: a block maximum of 64 KiB .. 4 MiB (Kafka's reader takes 4..7).
    assert.ok([0x40, 0x50, 0x60, 0x70].includes(frame[5]!), frame[5]!.toString(16))
  }
})

test('lz4: the descriptor checksum repair for message format v0 frames', () => {
  const frame = compressSync(CompressionCodec.Lz4, Buffer.from('hello hello hello hello'))
  assert.deepEqual(repairLegacyDescriptorChecksum(frame), frame)
  // Kafka 0.8-0.9 hashed the magic number too; the repair must make such a frame decodable.
  const broken = Buffer.from(frame)
  broken[6] ^= 0x5a
  assert.throws(() => decompressSync(CompressionCodec.Lz4, broken), isRecordsError('decompression-failed'))
  assert.deepEqual(decompressSync(CompressionCodec.Lz4, repairLegacyDescriptorChecksum(broken)), Buffer.from('hello hello hello hello'))
})

test('zstd: multi-frame and streamed (no content size) input decodes', async () => {
  const a = Buffer.from('first frame '.repeat(100))
  const b = Buffer.from('second frame '.repeat(100))
  const two = Buffer.concat([await compress(CompressionCodec.Zstd, a), await compress(CompressionCodec.Zstd, b)])
  assert.deepEqual(await decompress(CompressionCodec.Zstd, two), Buffer.concat([a, b]))
})
