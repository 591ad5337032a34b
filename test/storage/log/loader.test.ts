import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildBatch, parseBatches } from '../helpers/batches.js'
import { recordingLogger } from '../helpers/context.js'
import { appendAll, withLogEnv } from '../helpers/logs.js'

const seg = (dir: string, base: number, suffix = '.log') => join(dir, String(base).padStart(20, '0') + suffix)

test('an empty directory opens as one empty segment at the checkpointed log start offset', async () => {
  await withLogEnv(async ({ open, dir }) => {
    const log = await open({ logStartOffset: 300 })
    assert.deepEqual([log.logStartOffset, log.logEndOffset, log.segmentBaseOffsets()], [300, 300, [300]])
    assert.deepEqual((await readdir(dir)).sort(), ['00000000000000000300.index', '00000000000000000300.log', '00000000000000000300.timeindex'])
    await log.close()
  })
})

test('unclean shutdown: a torn tail is cut and appends continue at the right offset', async () => {
  await withLogEnv(async ({ open, dir }) => {
    const log = await open()
    await appendAll(log, Array.from({ length: 10 }, () => ({ records: 3, valueSize: 40 })))
    await log.close()
    const size = (await stat(seg(dir, 0))).size
    await truncate(seg(dir, 0), size - 20)
    const again = await open({ hadCleanShutdown: false, recoveryPoint: 0 })
    assert.equal(again.logEndOffset, 27)
    assert.equal(again.recovery.scannedSegments, 1)
    assert.ok(again.recovery.truncatedBytes > 0)
    assert.equal((await again.appendAsLeader(buildBatch({ records: 1 }), { leaderEpoch: 0 })).firstOffset, 27)
    const batches = parseBatches(await again.readRecords({ fromOffset: 0, maxBytes: 1 << 20 }))
    assert.deepEqual(batches.map((b) => b.baseOffset), [0, 3, 6, 9, 12, 15, 18, 21, 24, 27])
    await again.close()
  })
})

test('corruption in a middle segment deletes every later segment', async () => {
  await withLogEnv(async ({ open, dir }) => {
    const log = await open({ config: { segmentBytes: 400 } })
    await appendAll(log, Array.from({ length: 20 }, () => ({ records: 2, valueSize: 40 })))
    const bases = log.segmentBaseOffsets()
    assert.ok(bases.length >= 4)
    await log.close()
    const victim = seg(dir, bases[1]!)
    const bytes = await readFile(victim)
    bytes[bytes.length - 5]! ^= 0x55
    await writeFile(victim, bytes)
    const logger = recordingLogger()
    const again = await open({ hadCleanShutdown: false, recoveryPoint: 0, logger })
    assert.deepEqual(again.segmentBaseOffsets(), bases.slice(0, 2))
    assert.equal(again.recovery.deletedSegments, bases.length - 2)
    const last = parseBatches(await readFile(victim)).at(-1)!
    assert.equal(again.logEndOffset, last.lastOffset + 1)
    assert.match(logger.warnings.join('\n'), /CRC mismatch/)
    assert.equal((await again.appendAsLeader(buildBatch({ records: 1 }), { leaderEpoch: 0 })).firstOffset, last.lastOffset + 1)
    await again.close()
  })
})

test('only segments from the one holding the recovery point are scanned', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open({ config: { segmentBytes: 400 } })
    await appendAll(log, Array.from({ length: 20 }, () => ({ records: 2, valueSize: 40 })))
    const bases = log.segmentBaseOffsets()
    await log.close()
    const again = await open({ hadCleanShutdown: false, recoveryPoint: bases[2]! + 1 })
    assert.equal(again.recovery.scannedSegments, bases.length - 2)
    assert.equal(again.logEndOffset, 40)
    assert.equal(again.recoveryPoint, bases[2]! + 1)
    await again.close()
  })
})

test('missing or inconsistent index files are rebuilt; leftovers are cleaned up', async () => {
  await withLogEnv(async ({ open, dir }) => {
    const config = { segmentBytes: 1000, indexIntervalBytes: 100 }
    const log = await open({ config })
    await appendAll(log, Array.from({ length: 20 }, () => ({ records: 2, valueSize: 40 })))
    const bases = log.segmentBaseOffsets()
    await log.close()
    const expected = await readFile(seg(dir, bases[0]!, '.index'))
    assert.ok(expected.length > 0)
    await unlink(seg(dir, bases[0]!, '.index'))
    await unlink(seg(dir, bases.at(-1)!, '.timeindex'))
    await writeFile(seg(dir, 999_999, '.index'), Buffer.alloc(8)) // orphan
    await writeFile(join(dir, '00000000000000000000.log.deleted'), 'x')
    await writeFile(join(dir, 'leader-epoch-checkpoint.tmp'), 'x')
    const again = await open({ hadCleanShutdown: true, config })
    assert.equal(again.logEndOffset, 40)
    const names = await readdir(dir)
    assert.ok(!names.some((n) => n.endsWith('.deleted') || n.endsWith('.tmp') || n.startsWith('00000000000000999999')))
    // Reading from the first segment loads (and rebuilds) its index.
    assert.equal(parseBatches(await again.readRecords({ fromOffset: 5, maxBytes: 200 }))[0]!.baseOffset, 4)
    await again.close()
    assert.deepEqual(await readFile(seg(dir, bases[0]!, '.index')), expected)
  })
})

test('clean shutdown with a damaged active segment tail still recovers it', async () => {
  await withLogEnv(async ({ open, dir }) => {
    const log = await open()
    await appendAll(log, Array.from({ length: 5 }, () => ({ records: 2 })))
    await log.close()
    await writeFile(seg(dir, 0), Buffer.concat([await readFile(seg(dir, 0)), Buffer.from([0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 9])]))
    const again = await open({ hadCleanShutdown: true })
    assert.equal(again.logEndOffset, 10)
    assert.equal((await stat(seg(dir, 0))).size, parseBatches(await readFile(seg(dir, 0))).reduce((s, b) => s + b.size, 0))
    await again.close()
  })
})

test('the log start offset checkpoint is honoured; one beyond the data restarts the log there', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open()
    await appendAll(log, Array.from({ length: 5 }, () => ({ records: 2 })))
    await log.close()
    const a = await open({ hadCleanShutdown: true, logStartOffset: 4 })
    assert.deepEqual([a.logStartOffset, a.logEndOffset], [4, 10])
    await a.close()
    const b = await open({ hadCleanShutdown: true, logStartOffset: 50 })
    assert.deepEqual([b.logStartOffset, b.logEndOffset, b.segmentBaseOffsets()], [50, 50, [50]])
    await b.close()
  })
})

test('recovery rebuilds the leader epoch cache from the batches', async () => {
  await withLogEnv(async ({ open, dir }) => {
    const log = await open()
    await appendAll(log, [{ records: 2 }], 1)
    await appendAll(log, [{ records: 2 }], 2)
    await log.close()
    await unlink(join(dir, 'leader-epoch-checkpoint'))
    const again = await open({ hadCleanShutdown: false })
    assert.deepEqual(again.leaderEpochs(), [{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 2 }])
    await again.close()
  })
})
