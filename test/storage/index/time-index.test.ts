import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TimeIndex } from '../../../src/storage/index/time-index.js'
import { withTempDir } from '../helpers/tmp.js'

function makeIndex(dir: string, baseOffset = 0, maxIndexBytes = 1200): TimeIndex {
  const idx = new TimeIndex({ path: join(dir, 'x.timeindex'), baseOffset, maxIndexBytes })
  idx.initEmpty()
  return idx
}

test('maybeAppend keeps only strictly newer timestamps', async () => {
  await withTempDir(async (dir) => {
    const idx = makeIndex(dir)
    idx.maybeAppend(1000, 5)
    idx.maybeAppend(1000, 9) // same timestamp: skipped
    idx.maybeAppend(900, 12) // older: skipped
    idx.maybeAppend(1500, 12)
    assert.equal(idx.entries, 2)
    assert.deepEqual(idx.lastEntry(), { timestamp: 1500, offset: 12 })
    assert.throws(() => idx.maybeAppend(2000, 3), /before the last entry/)
  })
})

test('lookup finds the largest timestamp at or below the target', async () => {
  await withTempDir(async (dir) => {
    const idx = makeIndex(dir, 50)
    idx.maybeAppend(100, 55)
    idx.maybeAppend(200, 60)
    idx.maybeAppend(300, 70)
    assert.deepEqual(idx.lookup(50), { timestamp: -1, offset: 50 })
    assert.deepEqual(idx.lookup(100), { timestamp: 100, offset: 55 })
    assert.deepEqual(idx.lookup(250), { timestamp: 200, offset: 60 })
    assert.deepEqual(idx.lookup(1e12), { timestamp: 300, offset: 70 })
  })
})

test('full at segment.index.bytes / 12, except for the final entry of a roll', async () => {
  await withTempDir(async (dir) => {
    const idx = makeIndex(dir, 0, 24)
    idx.maybeAppend(1, 1)
    idx.maybeAppend(2, 2)
    assert.equal(idx.isFull(), true)
    assert.throws(() => idx.maybeAppend(3, 3), /full/)
    idx.maybeAppend(3, 3, { skipFullCheck: true })
    assert.equal(idx.entries, 3)
  })
})

test('truncateTo, persist and reload (timestamps beyond 2^32 survive)', async () => {
  await withTempDir(async (dir) => {
    const idx = makeIndex(dir, 10)
    const t0 = 1_700_000_000_000
    for (let i = 0; i < 6; i++) idx.maybeAppend(t0 + i * 1000, 10 + i * 5)
    idx.truncateTo(25)
    assert.equal(idx.entries, 3)
    await idx.persist({ fsync: false })
    const bytes = await readFile(idx.path)
    assert.equal(bytes.length, 36)
    assert.equal(Number(bytes.readBigInt64BE(24)), t0 + 2000)
    assert.equal(bytes.readInt32BE(32), 10)
    const again = new TimeIndex({ path: idx.path, baseOffset: 10, maxIndexBytes: 1200 })
    assert.equal(await again.load(), true)
    assert.deepEqual(again.lastEntry(), { timestamp: t0 + 2000, offset: 20 })
    assert.equal(again.findInconsistency(), undefined)
  })
})
