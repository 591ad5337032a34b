import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { OffsetIndex } from '../../../src/storage/index/offset-index.js'
import { withTempDir } from '../helpers/tmp.js'

function makeIndex(dir: string, baseOffset = 100, maxIndexBytes = 1024): OffsetIndex {
  const idx = new OffsetIndex({ path: join(dir, 'x.index'), baseOffset, maxIndexBytes })
  idx.initEmpty()
  return idx
}

test('lookup returns the largest entry at or below the target, or the base', async () => {
  await withTempDir(async (dir) => {
    const idx = makeIndex(dir)
    for (let i = 1; i <= 10; i++) idx.append(100 + i * 10, i * 1000)
    assert.deepEqual(idx.lookup(50), { offset: 100, position: 0 })
    assert.deepEqual(idx.lookup(109), { offset: 100, position: 0 })
    assert.deepEqual(idx.lookup(110), { offset: 110, position: 1000 })
    assert.deepEqual(idx.lookup(155), { offset: 150, position: 5000 })
    assert.deepEqual(idx.lookup(10_000), { offset: 200, position: 10_000 })
  })
})

test('append refuses offsets that do not increase or do not fit 32 bits', async () => {
  await withTempDir(async (dir) => {
    const idx = makeIndex(dir)
    idx.append(105, 10)
    assert.throws(() => idx.append(105, 20))
    assert.throws(() => idx.append(100 + 2 ** 31, 30))
    assert.equal(idx.canAppendOffset(100 + 2 ** 31 - 1), true)
    assert.equal(idx.canAppendOffset(99), false)
  })
})

test('is full at segment.index.bytes / 8 entries', async () => {
  await withTempDir(async (dir) => {
    const idx = makeIndex(dir, 0, 8 * 3 + 5)
    assert.equal(idx.maxEntries, 3)
    idx.append(1, 1)
    idx.append(2, 2)
    assert.equal(idx.isFull(), false)
    idx.append(3, 3)
    assert.equal(idx.isFull(), true)
  })
})

test('truncateTo removes entries at and above the offset', async () => {
  await withTempDir(async (dir) => {
    const idx = makeIndex(dir, 0)
    for (let i = 1; i <= 5; i++) idx.append(i * 10, i * 100)
    idx.truncateTo(30)
    assert.equal(idx.entries, 2)
    assert.deepEqual(idx.lastEntry(), { offset: 20, position: 200 })
    idx.truncateTo(25)
    assert.equal(idx.entries, 2)
    idx.truncateTo(0)
    assert.equal(idx.entries, 0)
    assert.deepEqual(idx.lastEntry(), { offset: 0, position: 0 })
  })
})

test('persist writes exactly the entries (Kafka layout) and reload reads them back', async () => {
  await withTempDir(async (dir) => {
    const idx = makeIndex(dir, 1000)
    for (let i = 1; i <= 40; i++) idx.append(1000 + i, i * 64)
    await idx.persist({ fsync: false })
    const bytes = await readFile(idx.path)
    assert.equal(bytes.length, 40 * 8)
    assert.equal(bytes.readInt32BE(0), 1)
    assert.equal(bytes.readInt32BE(4), 64)
    // Truncate then append again: the file must follow, not keep stale entries.
    idx.truncateTo(1020)
    idx.append(1030, 5000)
    await idx.persist({ fsync: true })
    assert.equal(idx.dirty, false)
    const again = new OffsetIndex({ path: idx.path, baseOffset: 1000, maxIndexBytes: 1024 })
    assert.equal(await again.load(), true)
    assert.equal(again.entries, 20)
    assert.deepEqual(again.lastEntry(), { offset: 1030, position: 5000 })
    assert.deepEqual(again.lookup(1019), { offset: 1019, position: 19 * 64 })
  })
})

test('load reports a torn file and findInconsistency catches bad entries', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'y.index')
    await writeFile(path, Buffer.alloc(13))
    const torn = new OffsetIndex({ path, baseOffset: 0, maxIndexBytes: 1024 })
    assert.equal(await torn.load(), false)
    assert.equal(torn.entries, 0)

    const bad = Buffer.alloc(16)
    bad.writeInt32BE(5, 0)
    bad.writeInt32BE(100, 4)
    bad.writeInt32BE(3, 8) // offset goes backwards
    bad.writeInt32BE(200, 12)
    await writeFile(path, bad)
    const idx = new OffsetIndex({ path, baseOffset: 0, maxIndexBytes: 1024 })
    assert.equal(await idx.load(), true)
    assert.match(idx.findInconsistency(1000) ?? '', /relative offset/)
    const beyond = Buffer.alloc(8)
    beyond.writeInt32BE(5, 0)
    beyond.writeInt32BE(5000, 4)
    await writeFile(path, beyond)
    const idx2 = new OffsetIndex({ path, baseOffset: 0, maxIndexBytes: 1024 })
    await idx2.load()
    assert.match(idx2.findInconsistency(1000) ?? '', /position/)
    assert.equal(idx2.findInconsistency(6000), undefined)
  })
})

test('a missing file loads as empty and the first persist creates it', async () => {
  await withTempDir(async (dir) => {
    const idx = new OffsetIndex({ path: join(dir, 'z.index'), baseOffset: 0, maxIndexBytes: 1024 })
    assert.equal(await idx.load(), false)
    assert.equal(idx.dirty, true)
    await idx.persist({ fsync: false })
    assert.equal((await readFile(idx.path)).length, 0)
  })
})

test('unload drops clean entries only; they load again from the file', async () => {
  await withTempDir(async (dir) => {
    const idx = makeIndex(dir, 0)
    idx.append(10, 100)
    assert.equal(idx.unload(), false, 'dirty index must stay')
    await idx.persist({ fsync: false })
    assert.equal(idx.unload(), true)
    assert.equal(idx.loaded, false)
    await idx.load()
    assert.deepEqual(idx.lastEntry(), { offset: 10, position: 100 })
  })
})
