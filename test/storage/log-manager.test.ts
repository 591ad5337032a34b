import { test } from 'node:test'
import assert from 'node:assert/strict'
import { access, readdir, readFile, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { threadId } from 'node:worker_threads'
import { createBatch, encodeBatch } from '../../src/protocol/records/batch.js'
import { ManualClock } from '../../src/storage/clock.js'
import { isStorageError } from '../../src/storage/errors.js'
import { LogManager, type LogManagerOptions } from '../../src/storage/log-manager.js'
import { silentLogger } from '../../src/storage/logger.js'
import { buildBatch, parseBatches } from './helpers/batches.js'
import { withTempDir } from './helpers/tmp.js'

const exists = (p: string) => access(p).then(() => true, () => false)

function options(dirs: string[], extra: Partial<LogManagerOptions> = {}): LogManagerOptions {
  return { logDirs: dirs, clusterId: 'cluster-1', nodeId: 1, logger: silentLogger, schedule: false, clock: new ManualClock(1_700_000_000_000), ...extra }
}

test('creates logs across log dirs with meta.properties, checkpoints and the clean-shutdown marker', async () => {
  await withTempDir(async (root) => {
    const dirs = [join(root, 'a'), join(root, 'b')]
    const lm = await LogManager.open(options(dirs))
    assert.equal(lm.hadCleanShutdown, false)
    for (let p = 0; p < 4; p++) {
      const log = await lm.getOrCreateLog({ topic: 'orders', partition: p, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' })
      await log.appendAsLeader(buildBatch({ records: p + 1 }), { leaderEpoch: 0 })
      log.updateHighWatermark(log.logEndOffset)
    }
    assert.deepEqual((await readdir(dirs[0]!)).filter((n) => n.startsWith('orders')).length, 2)
    assert.deepEqual((await readdir(dirs[1]!)).filter((n) => n.startsWith('orders')).length, 2)
    const meta = await readFile(join(dirs[0]!, 'meta.properties'), 'utf8')
    assert.match(meta, /^cluster\.id=cluster-1$/m)
    assert.match(meta, /^node\.id=1$/m)
    assert.match(meta, /^version=1$/m)
    await lm.close()
    for (const d of dirs) {
      assert.equal(await exists(join(d, '.kafka_cleanshutdown')), true)
      const rp = await readFile(join(d, 'recovery-point-offset-checkpoint'), 'utf8')
      assert.match(rp, /^0\n2\n/)
      const lines = rp.trim().split('\n').slice(2).sort()
      assert.ok(lines.every((l) => /^orders [0-3] [1-4]$/.test(l)), rp)
      assert.match(await readFile(join(d, 'replication-offset-checkpoint'), 'utf8'), /^0\n2\n/)
      assert.match(await readFile(join(d, 'log-start-offset-checkpoint'), 'utf8'), /^0\n2\norders \d 0\n/)
    }

    const again = await LogManager.open(options(dirs))
    assert.equal(again.hadCleanShutdown, true)
    assert.equal(again.loadStats.partitions, 4)
    assert.equal(again.loadStats.recoveredSegments, 0)
    for (const d of dirs) assert.equal(await exists(join(d, '.kafka_cleanshutdown')), false, 'marker removed once loaded')
    for (let p = 0; p < 4; p++) {
      const log = again.getLog({ topic: 'orders', partition: p })!
      assert.deepEqual([log.logEndOffset, log.highWatermark, log.recoveryPoint, log.topicId], [p + 1, p + 1, p + 1, 'AAAAAAAAAAAAAAAAAAAAAQ'])
    }
    await assert.rejects(again.getOrCreateLog({ topic: 'orders', partition: 0, topicId: 'BBBBBBBBBBBBBBBBBBBBBQ' }), (e) => isStorageError(e, 'INCONSISTENT_TOPIC_ID'))
    await again.close()
  })
})

test('after a crash, logs are recovered from the checkpointed recovery points', async () => {
  await withTempDir(async (root) => {
    const dir = join(root, 'logs')
    const lm = await LogManager.open(options([dir], { defaultConfig: { segmentBytes: 600 } }))
    const log = await lm.getOrCreateLog({ topic: 't', partition: 0 })
    for (let i = 0; i < 20; i++) await log.appendAsLeader(buildBatch({ records: 1, valueSize: 60 }), { leaderEpoch: 0 })
    await log.settle()
    await lm.checkpoint()
    const rp = log.recoveryPoint
    assert.ok(rp > 0 && rp < 20)
    // Crash: no close; the last segment loses its final bytes.
    await lm.files.closeAll()
    const last = join(log.dir, String(log.segmentBaseOffsets().at(-1)).padStart(20, '0') + '.log')
    const bytes = await readFile(last)
    await writeFile(last, bytes.subarray(0, bytes.length - 3))
    const again = await LogManager.open(options([dir], { defaultConfig: { segmentBytes: 600 } }))
    assert.equal(again.hadCleanShutdown, false)
    assert.equal(again.loadStats.recoveredSegments, 1)
    assert.ok(again.loadStats.truncatedBytes > 0)
    const recovered = again.getLog({ topic: 't', partition: 0 })!
    assert.equal(recovered.logEndOffset, 19)
    assert.equal(parseBatches(await recovered.readRecords({ fromOffset: 0, maxBytes: 1 << 20 })).length, 19)
    await again.close()
  })
})

test('open descriptors stay bounded with many partitions', async () => {
  await withTempDir(async (root) => {
    const lm = await LogManager.open(options([join(root, 'd')], { maxOpenFiles: 16 }))
    for (let p = 0; p < 120; p++) {
      const log = await lm.getOrCreateLog({ topic: 'many', partition: p })
      await log.appendAsLeader(buildBatch({ records: 1 }), { leaderEpoch: 0 })
      assert.ok(lm.files.openCount <= 17, `open: ${lm.files.openCount}`)
    }
    for (let p = 0; p < 120; p += 7) {
      const log = lm.getLog({ topic: 'many', partition: p })!
      assert.equal(parseBatches(await log.readRecords({ fromOffset: 0, maxBytes: 1000 })).length, 1)
    }
    assert.ok(lm.files.openCount <= 17)
    await lm.close()
    assert.equal(lm.files.openCount, 0)
  })
})

test('deleteLog removes the partition directory; setTopicConfig reaches existing logs', async () => {
  await withTempDir(async (root) => {
    const dir = join(root, 'd')
    const lm = await LogManager.open(options([dir]))
    const log = await lm.getOrCreateLog({ topic: 'x', partition: 0 })
    await lm.getOrCreateLog({ topic: 'x', partition: 1 })
    lm.setTopicConfig('x', { retentionMs: 1234 })
    assert.equal(log.config.retentionMs, 1234)
    assert.equal(lm.getLog({ topic: 'x', partition: 1 })!.config.retentionMs, 1234)
    assert.equal(await lm.deleteLog({ topic: 'x', partition: 0 }), true)
    assert.equal(lm.getLog({ topic: 'x', partition: 0 }), undefined)
    assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('x-')), ['x-1'])
    assert.equal(await lm.deleteLog({ topic: 'x', partition: 0 }), false)
    await lm.close()
  })
})

test('concurrent getOrCreateLog calls share one log', async () => {
  await withTempDir(async (root) => {
    const lm = await LogManager.open(options([join(root, 'd')]))
    const logs = await Promise.all(Array.from({ length: 5 }, () => lm.getOrCreateLog({ topic: 'c', partition: 0 })))
    assert.ok(logs.every((l) => l === logs[0]))
    await lm.close()
  })
})

test('runRetention and flushDueLogs apply every log config under the fake clock', async () => {
  await withTempDir(async (root) => {
    const clock = new ManualClock(1_700_000_000_000)
    const lm = await LogManager.open(options([join(root, 'd')], { clock, defaultConfig: { segmentBytes: 300, retentionMs: 1000, flushMs: 500, fileDeleteDelayMs: 0 } }))
    const log = await lm.getOrCreateLog({ topic: 'r', partition: 0 })
    for (let i = 0; i < 6; i++) await log.appendAsLeader(buildBatch({ records: 1, valueSize: 60, timestamp: clock.now() }), { leaderEpoch: 0 })
    log.updateHighWatermark(log.logEndOffset)
    await log.settle()
    assert.equal(await lm.runRetention(), 0)
    clock.advance(500)
    assert.equal(await lm.flushDueLogs(), 1)
    assert.equal(log.recoveryPoint, log.logEndOffset)
    clock.advance(1000)
    const segments = log.segmentCount
    assert.equal(await lm.runRetention(), segments)
    assert.equal(log.logStartOffset, 6)
    await lm.close()
  })
})

test('a log dir of another cluster or node is refused; damaged checkpoints are ignored', async () => {
  await withTempDir(async (root) => {
    const dir = join(root, 'd')
    const lm = await LogManager.open(options([dir]))
    const log = await lm.getOrCreateLog({ topic: 'k', partition: 0 })
    await log.appendAsLeader(buildBatch({ records: 3 }), { leaderEpoch: 0 })
    await lm.close()
    await assert.rejects(LogManager.open(options([dir], { clusterId: 'other' })), (e) => isStorageError(e, 'INCONSISTENT_LOG_DIR'))
    await assert.rejects(LogManager.open(options([dir], { nodeId: 2 })), (e) => isStorageError(e, 'INCONSISTENT_LOG_DIR'))
    await writeFile(join(dir, 'recovery-point-offset-checkpoint'), 'garbage')
    await unlink(join(dir, '.kafka_cleanshutdown'))
    const again = await LogManager.open(options([dir]))
    assert.equal(again.getLog({ topic: 'k', partition: 0 })!.logEndOffset, 3)
    assert.equal(again.loadStats.recoveredSegments, 1)
    await again.close()
  })
})

test('a partition found in two log dirs stops the start-up with KAFKA_STORAGE_ERROR naming it', async () => {
  await withTempDir(async (root) => {
    const dirs = [join(root, 'a'), join(root, 'b')]
    const lm = await LogManager.open(options(dirs))
    for (let p = 0; p < 2; p++) await lm.getOrCreateLog({ topic: 'orders', partition: p, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' })
    await lm.close()
    const { cp } = await import('node:fs/promises')
    const inA = (await readdir(dirs[0]!)).find((n) => n.startsWith('orders-'))!
    await cp(join(dirs[0]!, inA), join(dirs[1]!, inA), { recursive: true })
    await assert.rejects(LogManager.open(options(dirs)), (err: unknown) => isStorageError(err) && err.code === 'KAFKA_STORAGE_ERROR' && err.message.includes(`${inA} exists in more than one log dir`))
  })
})

test('the log cleaner cleans in a worker thread, which the log manager stops on close', async () => {
  await withTempDir(async (root) => {
    const clock = new ManualClock(1_700_000_000_000)
    const cleaner = { threads: 1, dedupeBufferBytes: 1 << 20, ioMaxBytesPerSecond: Number.POSITIVE_INFINITY, backoffMs: 1000 }
    const lm = await LogManager.open(options([join(root, 'd')], { clock, cleaner, defaultConfig: { segmentBytes: 300, compact: true, minCleanableDirtyRatio: 0, fileDeleteDelayMs: 0 } }))
    const log = await lm.getOrCreateLog({ topic: 'c', partition: 0 })
    for (let i = 0; i < 20; i++) {
      const records = [{ timestampDelta: 0, offsetDelta: 0, key: Buffer.from(`k${i % 2}`), value: Buffer.alloc(40, i), headers: [] }]
      await log.appendAsLeader(await encodeBatch(createBatch({ baseTimestamp: BigInt(clock.now()), records })), { leaderEpoch: 0 })
    }
    await log.roll()
    log.updateHighWatermark(log.logEndOffset)
    await log.flush()
    const [done] = await lm.runCleaner()
    assert.ok(done && done.result.recordsRemoved > 0)
    assert.notEqual(done.result.threadId, threadId)
    assert.equal(lm.cleaner!.workersRunning, 1)
    await lm.close()
    assert.equal(lm.cleaner!.workersRunning, 0)
  })
})
