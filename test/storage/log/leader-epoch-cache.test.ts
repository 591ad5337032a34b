import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LeaderEpochCache } from '../../../src/storage/log/leader-epoch-cache.js'
import { silentLogger } from '../../../src/storage/logger.js'
import { withTempDir } from '../helpers/tmp.js'

test('assign, lookups, truncation from both ends, and the checkpoint file', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'leader-epoch-checkpoint')
    const c = new LeaderEpochCache(path)
    assert.equal(c.assign(1, 0), true)
    assert.equal(c.assign(1, 5), false)
    assert.equal(c.assign(0, 9), false)
    c.assign(3, 10)
    c.assign(5, 20)
    assert.equal(c.epochForOffset(15), 3)
    assert.equal(c.epochForOffset(-1), -1)
    assert.deepEqual(c.endOffsetFor(3, 30), { epoch: 3, endOffset: 20 })
    assert.deepEqual(c.endOffsetFor(4, 30), { epoch: 3, endOffset: 20 })
    assert.deepEqual(c.endOffsetFor(5, 30), { epoch: 5, endOffset: 30 })
    assert.deepEqual(c.endOffsetFor(0, 30), { epoch: 0, endOffset: 0 })
    assert.deepEqual(c.endOffsetFor(9, 30), { epoch: -1, endOffset: -1 })
    await c.flush()
    assert.equal(await readFile(path, 'utf8'), '0\n3\n1 0\n3 10\n5 20\n')
    c.truncateFromEnd(20)
    c.truncateFromStart(12)
    assert.deepEqual(c.entries(), [{ epoch: 3, startOffset: 12 }])
    await c.flush()
    const loaded = await LeaderEpochCache.load(path, silentLogger)
    assert.deepEqual(loaded.entries(), [{ epoch: 3, startOffset: 12 }])
    await writeFile(path, '0\n1\nbad line\n')
    assert.deepEqual((await LeaderEpochCache.load(path, silentLogger)).entries(), [])
  })
})
