/**
 * decompress(codec, data, { maxBytes }): a small input that would expand past the limit (a
 * "zip bomb") is refused with 'decompressed-too-large' without the expansion ever reaching
 * memory. Memory is checked as process RSS growth with the result kept reachable, so an
 * expansion that happened shows up whatever the garbage collector does.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { CompressionCodec } from '../../../src/protocol/records/batch-header.js'
import { compress, compressSync, decompress, decompressSync, hasSyncCodec } from '../../../src/protocol/records/compression/index.js'
import { compressXerialSync } from '../../../src/protocol/records/compression/snappy.js'
import { RecordsError } from '../../../src/protocol/records/errors.js'
import { gzipBomb, lz4Bomb, snappyLengthLie, zstdBomb } from '../../helpers/compression-bombs.js'
import { ALL_CODECS } from './arbitraries.js'

const MiB = 1 << 20
const LIMIT = MiB
/** Far below any bomb here (128 MiB and up), far above what a refusal costs. */
const MEMORY_SLACK = 48 * MiB

const tooLarge = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof RecordsError, `expected a RecordsError, got ${String(e)}`)
  assert.equal(e.code, 'decompressed-too-large', e.message)
  assert.match(e.message, pattern)
  return true
}

/** Runs `fn`, keeping whatever it returns reachable, and reports how much the RSS grew. */
async function rssGrowth(fn: () => Promise<unknown> | unknown): Promise<{ growth: number; outcome: unknown }> {
  const before = process.memoryUsage.rss()
  let outcome: unknown
  try {
    outcome = await fn()
  } catch (err) {
    outcome = err
  }
  return { growth: process.memoryUsage.rss() - before, outcome }
}

async function assertRefusedCheaply(fn: () => Promise<unknown> | unknown, pattern: RegExp): Promise<void> {
  const { growth, outcome } = await rssGrowth(fn)
  assert.ok(tooLarge(pattern)(outcome))
  assert.ok(growth < MEMORY_SLACK, `RSS grew ${(growth / MiB).toFixed(1)} MiB refusing it`)
}

test('zstd: a 256 MiB bomb that declares no size (as producers write zstd) is refused from its block headers', async () => {
  const bomb = zstdBomb(256 * MiB)
  assert.ok(bomb.length < 16 * 1024)
  await assertRefusedCheaply(() => decompress(CompressionCodec.Zstd, bomb, { maxBytes: LIMIT }), /^zstd data decompresses to up to 268435456 bytes .*the limit is 1048576 bytes$/)
})

test('zstd: a frame declaring 4 GiB of content is refused before decompressing', async () => {
  await assertRefusedCheaply(() => decompress(CompressionCodec.Zstd, zstdBomb(1024, { declare: 2 ** 32 }), { maxBytes: LIMIT }), /4294967296 bytes \(a frame header declares it\)/)
})

test('zstd: real compressor output over the limit is refused; within it, it decompresses', async () => {
  const data = Buffer.alloc(3 * MiB, 'abc')
  const z = await compress(CompressionCodec.Zstd, data)
  await assert.rejects(decompress(CompressionCodec.Zstd, z, { maxBytes: 2 * MiB }), tooLarge(/zstd/))
  assert.deepEqual(await decompress(CompressionCodec.Zstd, z, { maxBytes: 4 * MiB }), data)
})

test('gzip: a 128 MiB bomb is refused once the output passes the limit', async () => {
  const bomb = await gzipBomb(128 * MiB)
  assert.ok(bomb.length < 256 * 1024)
  await assertRefusedCheaply(() => decompress(CompressionCodec.Gzip, bomb, { maxBytes: LIMIT }), /^gzip data decompresses to more than 1048576 bytes/)
  await assertRefusedCheaply(() => decompressSync(CompressionCodec.Gzip, bomb, { maxBytes: LIMIT }), /^gzip data/)
})

test('lz4: a 256 MiB bomb is refused from its block headers, async and sync', async () => {
  const bomb = lz4Bomb(256 * MiB)
  assert.ok(bomb.length < 2 * MiB)
  await assertRefusedCheaply(() => decompress(CompressionCodec.Lz4, bomb, { maxBytes: LIMIT }), /^lz4 data decompresses to up to \d+ bytes \(its block headers/)
  await assertRefusedCheaply(() => decompressSync(CompressionCodec.Lz4, bomb, { maxBytes: LIMIT }), /^lz4 data/)
})

test('snappy: a length preamble claiming 4 GiB is refused before the library allocates it, raw and xerial-framed', async () => {
  const lie = snappyLengthLie(2 ** 32 - 1)
  await assertRefusedCheaply(() => decompress(CompressionCodec.Snappy, lie, { maxBytes: LIMIT }), /4294967295 bytes \(its length preambles declare it\)/)
  await assertRefusedCheaply(() => decompressSync(CompressionCodec.Snappy, lie, { maxBytes: LIMIT }), /4294967295 bytes/)
  const framed = compressXerialSync(Buffer.from('x'))
  const len = Buffer.alloc(4)
  len.writeInt32BE(lie.length)
  const xerial = Buffer.concat([framed, len, lie])
  await assertRefusedCheaply(() => decompress(CompressionCodec.Snappy, xerial, { maxBytes: LIMIT }), /4294967296 bytes/)
})

test('snappy: real data over the limit is refused, raw and xerial-framed (their block lengths add up)', async () => {
  const data = Buffer.alloc(3 * MiB, 'abc')
  await assert.rejects(decompress(CompressionCodec.Snappy, await compress(CompressionCodec.Snappy, data), { maxBytes: 2 * MiB }), tooLarge(/3145728 bytes/))
  assert.throws(() => decompressSync(CompressionCodec.Snappy, compressXerialSync(data), { maxBytes: 2 * MiB }), tooLarge(/3145728 bytes/))
  assert.deepEqual(decompressSync(CompressionCodec.Snappy, compressXerialSync(data), { maxBytes: 3 * MiB }), data)
})

test('every codec: data within the limit decompresses exactly as without one, sync and async', async () => {
  for (const data of [Buffer.alloc(0), Buffer.from('kafka'), randomBytes(300_000), Buffer.alloc(700_000, 'xyz')]) {
    for (const codec of ALL_CODECS) {
      const packed = await compress(codec, data)
      // zstd and lz4 count a compressed block at its largest, hence the headroom.
      const maxBytes = data.length + 4 * MiB
      assert.deepEqual(await decompress(codec, packed, { maxBytes }), data, `codec ${codec}, ${data.length} bytes`)
      if (hasSyncCodec(codec)) assert.deepEqual(decompressSync(codec, compressSync(codec, data), { maxBytes }), data)
    }
  }
})

test('gzip and snappy know the exact size: the limit admits it, one byte less refuses it', async () => {
  const data = randomBytes(100_000)
  for (const codec of [CompressionCodec.Gzip, CompressionCodec.Snappy]) {
    const packed = await compress(codec, data)
    assert.deepEqual(await decompress(codec, packed, { maxBytes: data.length }), data)
    await assert.rejects(decompress(codec, packed, { maxBytes: data.length - 1 }), tooLarge(/./))
    assert.throws(() => decompressSync(codec, packed, { maxBytes: data.length - 1 }), tooLarge(/./))
  }
})

test('with a limit, frames whose headers cannot be read are decompression-failed, never a crash', async () => {
  const failed = (e: unknown) => e instanceof RecordsError && e.code === 'decompression-failed'
  const reservedBlock = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x07, 0x00, 0x00])
  const cut = zstdBomb(4 * MiB).subarray(0, 50)
  for (const bad of [reservedBlock, cut, Buffer.from('not zstd at all')]) {
    await assert.rejects(decompress(CompressionCodec.Zstd, bad, { maxBytes: LIMIT }), failed)
  }
  const lz4Frame = lz4Bomb(4 * MiB)
  for (const bad of [Buffer.from('not lz4 at all'), lz4Frame.subarray(0, 20), Buffer.concat([lz4Frame.subarray(0, 4), Buffer.from([0x00, 0x70, 0x00])])]) {
    await assert.rejects(decompress(CompressionCodec.Lz4, bad, { maxBytes: LIMIT }), failed)
    assert.throws(() => decompressSync(CompressionCodec.Lz4, bad, { maxBytes: LIMIT }), failed)
  }
  await assert.rejects(decompress(CompressionCodec.Snappy, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), { maxBytes: LIMIT }), failed)
})

test('without a limit nothing changes: the same bombs still expand (what a client reading accepted data gets)', async () => {
  assert.equal((await decompress(CompressionCodec.Zstd, zstdBomb(8 * MiB))).length, 8 * MiB)
  assert.equal(decompressSync(CompressionCodec.Lz4, lz4Bomb(8 * MiB)).length, 8 * MiB)
  assert.equal((await decompress(CompressionCodec.Gzip, await gzipBomb(8 * MiB))).length, 8 * MiB)
})
