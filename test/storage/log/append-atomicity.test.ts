/**
 * An append is atomic: whichever of its steps fails (fault hooks make each one fail the way
 * the OS would), the log is left exactly as before — offsets, size, segments, index entries,
 * tail state, reads — the next append works at the expected offset, and after a restart
 * (clean or a crash) nothing of the failed append is in the log and no torn tail is cut.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { stat } from 'node:fs/promises'
import { computeBatchCrc } from '../../../src/protocol/records/batch-header.js'
import { ManualClock } from '../../../src/storage/clock.js'
import type { LogConfig } from '../../../src/storage/config.js'
import { isStorageError } from '../../../src/storage/errors.js'
import { FileCache } from '../../../src/storage/io/file-cache.js'
import { LogManager } from '../../../src/storage/log-manager.js'
import { UnifiedLog, type UnifiedLogOptions } from '../../../src/storage/log/unified-log.js'
import { errnoError, FaultHooks } from '../../../src/util/faults.js'
import { buildBatch, parseBatches, type BatchSpec } from '../helpers/batches.js'
import { recordingLogger } from '../helpers/context.js'
import { withTempDir } from '../helpers/tmp.js'

/** Small segments and index interval so one append can roll, add index entries and fsync. */
const CONFIG: Partial<LogConfig> = { segmentBytes: 1300, indexIntervalBytes: 100, flushMessages: 1, fileDeleteDelayMs: 0 }
const BEFORE: BatchSpec[] = Array.from({ length: 4 }, (_, i) => ({ records: 3, valueSize: 60, timestamp: 10_000 + i * 100, timestampStep: 10 }))
/**
 * The append that is made to fail: two batches in a new leader epoch, so it rolls, writes the
 * epoch checkpoint, and indexes its second batch in the new segment.
 */
const FAILING: BatchSpec[] = [
  { records: 4, valueSize: 60, timestamp: 20_000, timestampStep: 5, fill: 0xee },
  { records: 2, valueSize: 60, timestamp: 20_100, fill: 0xee },
]
const failing = (): Buffer => Buffer.concat(FAILING.map((spec) => buildBatch(spec)))
const FOLLOW_UP: BatchSpec = { records: 2, valueSize: 60, timestamp: 30_000, fill: 0x77 }

interface Env {
  root: string
  clock: ManualClock
  files: FileCache
  open(name: string, options?: Partial<UnifiedLogOptions>): Promise<UnifiedLog>
}

async function withEnv(fn: (env: Env) => Promise<void>): Promise<void> {
  await withTempDir(async (root) => {
    const clock = new ManualClock(1_700_000_000_000)
    const files = new FileCache({ maxOpenFiles: 64 })
    const open = (name: string, options: Partial<UnifiedLogOptions> = {}) =>
      UnifiedLog.open({ dir: `${root}/${name}-0`, topic: name, partition: 0, clock, files, config: CONFIG, ...options })
    try {
      await fn({ root, clock, files, open })
    } finally {
      await files.closeAll()
    }
  })
}

/** Everything observable about a log, plus the bytes of its .log files. */
async function stateOf(log: UnifiedLog) {
  const bases = log.segmentBaseOffsets()
  const files = await Promise.all(bases.map(async (b) => (await stat(`${log.dir}/${String(b).padStart(20, '0')}.log`)).size))
  return {
    logEndOffset: log.logEndOffset,
    size: log.size,
    recoveryPoint: log.recoveryPoint,
    segments: await log.segmentStates(),
    fileSizes: files,
    epochs: log.leaderEpochs(),
    data: (await log.readRecords({ fromOffset: 0, maxBytes: 1 << 24 })).toString('hex'),
    byTime: await log.fetchOffset({ kind: 'timestamp', timestamp: 10_250 }),
    maxTime: await log.fetchOffset({ kind: 'maxTimestamp' }),
  }
}

async function appendSpecs(log: UnifiedLog, specs: BatchSpec[], leaderEpoch: number): Promise<void> {
  for (const spec of specs) await log.appendAsLeader(buildBatch(spec), { leaderEpoch })
}

/** The steps an append of FAILING takes after BEFORE, as the fault hooks see them. */
async function stepsOfAnAppend(env: Env): Promise<string[]> {
  const faults = new FaultHooks()
  const log = await env.open('steps', { faults })
  await appendSpecs(log, BEFORE, 0)
  faults.record = true
  await log.appendAsLeader(failing(), { leaderEpoch: 1 })
  faults.record = false
  await log.close()
  return [...new Set(faults.seen)]
}

test('an append of this scenario goes through every fault point of an append', async () => {
  await withEnv(async (env) => {
    assert.deepEqual(await stepsOfAnAppend(env), ['segment.roll', 'epochs.write', 'segment.write', 'index.offset.append', 'index.time.append', 'segment.fsync'])
  })
})

for (const point of ['segment.roll', 'epochs.write', 'segment.write', 'index.offset.append', 'index.time.append', 'segment.fsync']) {
  test(`a fault at ${point} leaves the log as before; the next append and a restart find no trace of it`, async () => {
    await withEnv(async (env) => {
      const faults = new FaultHooks()
      const log = await env.open('t', { faults })
      await appendSpecs(log, BEFORE, 0)
      const before = await stateOf(log)

      faults.failNext(point, { error: errnoError('ENOSPC', `no space left on device (injected at ${point})`) })
      await assert.rejects(log.appendAsLeader(failing(), { leaderEpoch: 1 }), (e) => {
        assert.ok(isStorageError(e, 'KAFKA_STORAGE_ERROR'), String(e))
        assert.match((e as Error).message, /nothing was stored; free disk space/)
        return true
      })
      assert.equal(faults.isArmed(point), false, 'the fault fired')
      assert.deepEqual(await stateOf(log), before, 'state after the failed append')

      // The next append continues where the log ends, and the log is the one that never failed.
      const r = await log.appendAsLeader(buildBatch(FOLLOW_UP), { leaderEpoch: 1 })
      assert.equal(r.firstOffset, before.logEndOffset)
      const reference = await env.open('ref')
      await appendSpecs(reference, BEFORE, 0)
      await appendSpecs(reference, [FOLLOW_UP], 1)
      const { data: _d, ...got } = await stateOf(log)
      const { data: _r, ...want } = await stateOf(reference)
      assert.deepEqual(got, want, 'state after the next append equals a log that never failed')
      assert.equal(_d, _r, 'same bytes as a log that never failed')

      // A clean restart: the same data, nothing cut.
      await log.close()
      const logger = recordingLogger()
      const reopened = await env.open('t', { hadCleanShutdown: true, recoveryPoint: log.recoveryPoint, logger })
      assert.equal(reopened.logEndOffset, r.lastOffset + 1)
      assert.equal((await stateOf(reopened)).data, _r)
      assert.deepEqual(logger.warnings, [])
      await reopened.close()
      await reference.close()
    })
  })

  test(`a fault at ${point} followed by a crash: recovery finds nothing of the failed append`, async () => {
    await withEnv(async (env) => {
      const faults = new FaultHooks()
      const log = await env.open('t', { faults })
      await appendSpecs(log, BEFORE, 0)
      const before = await stateOf(log)
      faults.failNext(point)
      await assert.rejects(log.appendAsLeader(failing(), { leaderEpoch: 1 }), (e) => isStorageError(e, 'KAFKA_STORAGE_ERROR'))
      // Crash: no flush, no clean-shutdown marker; recovery rescans every segment.
      await log.close({ flush: false })
      const logger = recordingLogger()
      const recovered = await env.open('t', { hadCleanShutdown: false, recoveryPoint: 0, logger })
      assert.equal(recovered.logEndOffset, before.logEndOffset)
      assert.equal(recovered.recovery.truncatedBytes, 0, 'no torn tail')
      assert.deepEqual(logger.warnings, [])
      const data = await recovered.readRecords({ fromOffset: 0, maxBytes: 1 << 24 })
      assert.equal(data.toString('hex'), before.data)
      assert.ok(!parseBatches(data).some((b) => b.bytes.includes(Buffer.alloc(60, 0xee))), 'no failed record')
      assert.deepEqual(recovered.leaderEpochs(), before.epochs)
      const r = await recovered.appendAsLeader(buildBatch(FOLLOW_UP), { leaderEpoch: 1 })
      assert.equal(r.firstOffset, before.logEndOffset)
      await recovered.close()
    })
  })
}

test('a failed append on a log without rolls or new epochs is undone too (write and index faults)', async () => {
  await withEnv(async (env) => {
    for (const point of ['segment.write', 'index.offset.append', 'index.time.append']) {
      const faults = new FaultHooks()
      const log = await env.open(point.replaceAll('.', '_'), { faults, config: { ...CONFIG, segmentBytes: 1 << 20, flushMessages: Number.POSITIVE_INFINITY } })
      await appendSpecs(log, BEFORE, 0)
      const before = await stateOf(log)
      faults.failNext(point)
      await assert.rejects(log.appendAsLeader(failing(), { leaderEpoch: 0 }), (e) => isStorageError(e, 'KAFKA_STORAGE_ERROR'))
      assert.deepEqual(await stateOf(log), before, point)
      await log.close()
    }
  })
})

test('when undoing a failed append fails too, the log refuses writes until the undo succeeds, and reads go on', async () => {
  await withEnv(async (env) => {
    const faults = new FaultHooks()
    const logger = recordingLogger()
    const config = { ...CONFIG, segmentBytes: 1 << 20 }
    const log = await env.open('t', { faults, logger, config })
    await appendSpecs(log, BEFORE, 0)
    const before = await stateOf(log)
    faults.failNext('segment.write', { error: errnoError('EIO', 'i/o error (injected)') })
    faults.failNext('segment.truncate', { times: 3 })
    await assert.rejects(log.appendAsLeader(failing(), { leaderEpoch: 0 }), (e) => {
      assert.ok(isStorageError(e, 'KAFKA_STORAGE_ERROR'))
      assert.match((e as Error).message, /refuses writes until that succeeds/)
      return true
    })
    assert.equal(logger.warnings.length, 1)
    // In memory the log is as before, so reads and lookups are right.
    assert.deepEqual(await stateOf(log).then(({ fileSizes: _f, ...s }) => s), (({ fileSizes: _f, ...s }) => s)(before))
    // Each later write retries the undo first; while that fails, the write is refused untried.
    await assert.rejects(log.appendAsLeader(buildBatch(FOLLOW_UP), { leaderEpoch: 0 }), (e) => isStorageError(e, 'KAFKA_STORAGE_ERROR') && /refuses writes/.test((e as Error).message))
    await assert.rejects(log.roll(), (e) => isStorageError(e, 'KAFKA_STORAGE_ERROR'))
    assert.equal(log.logEndOffset, before.logEndOffset)
    // The disk recovers: the undo succeeds on the next write, which then goes through.
    const r = await log.appendAsLeader(buildBatch(FOLLOW_UP), { leaderEpoch: 0 })
    assert.equal(r.firstOffset, before.logEndOffset)
    assert.deepEqual(await stateOf(log).then((s) => s.fileSizes), (await stateOf(log)).segments.map((s) => s.size))
    await log.close({ flush: false })
    const recovered = await env.open('t', { hadCleanShutdown: false, recoveryPoint: 0, config })
    assert.equal(recovered.logEndOffset, r.lastOffset + 1)
    assert.equal(recovered.recovery.truncatedBytes, 0)
    await recovered.close()
  })
})

test('batches whose header says max timestamp -1 no longer break the partition', async () => {
  await withEnv(async (env) => {
    const log = await env.open('t', { config: { indexIntervalBytes: 4096 } })
    const noMax = (i: number) => {
      const b = buildBatch({ records: 5, valueSize: 200, timestamp: 1000 + i })
      b.writeBigInt64BE(-1n, 35)
      b.writeUInt32BE(computeBatchCrc(b, 0), 17)
      return b
    }
    // Enough batches to pass index.interval.bytes several times: before the fix the first
    // index entry threw and every append after it failed.
    for (let i = 0; i < 20; i++) assert.equal((await log.appendAsLeader(noMax(i), { leaderEpoch: 0 })).firstOffset, i * 5)
    const r = await log.appendAsLeader(buildBatch({ records: 1, timestamp: 5000 }), { leaderEpoch: 0 })
    assert.equal(r.firstOffset, 100)
    const states = await log.segmentStates()
    assert.ok(states[0]!.offsetIndex.length > 0)
    // Batches without a timestamp get no time index entry; the first with one does.
    assert.deepEqual(states[0]!.timeIndex, [[5000, 100]])
    assert.deepEqual(await log.fetchOffset({ kind: 'timestamp', timestamp: 4000 }), { offset: 100, timestamp: 5000, leaderEpoch: 0 })
    await log.close()
  })
})

test('log.create fails the creation of a partition and leaves no directory', async () => {
  await withEnv(async (env) => {
    const faults = new FaultHooks()
    const dir = `${env.root}/new-0`
    faults.failNext('log.create', { error: errnoError('ENOSPC', 'no space left on device (injected)'), when: (d) => d === dir })
    await assert.rejects(env.open('new', { faults }), (e) => isStorageError(e, 'KAFKA_STORAGE_ERROR') && /free disk space/.test((e as Error).message))
    await assert.rejects(stat(dir), { code: 'ENOENT' })
    // Opening an existing partition does not check log.create.
    const log = await env.open('new', { faults })
    await log.close()
    faults.failNext('log.create')
    const again = await env.open('new', { faults })
    assert.equal(faults.isArmed('log.create'), true)
    await again.close()
  })
})

test('LogManager threads its fault hooks into every log it creates', async () => {
  await withTempDir(async (root) => {
    const faults = new FaultHooks()
    const manager = await LogManager.open({ logDirs: [root], schedule: false, faults, logger: recordingLogger() })
    faults.failNext('log.create', { when: (d) => d.endsWith('/t-1') })
    const ok = await manager.getOrCreateLog({ topic: 't', partition: 0 })
    await assert.rejects(manager.getOrCreateLog({ topic: 't', partition: 1 }), (e) => isStorageError(e, 'KAFKA_STORAGE_ERROR'))
    assert.equal(manager.getLog({ topic: 't', partition: 1 }), undefined)
    await assert.rejects(stat(`${root}/t-1`), { code: 'ENOENT' })
    faults.failNext('segment.write')
    await assert.rejects(ok.appendAsLeader(buildBatch({ records: 1 }), { leaderEpoch: 0 }), (e) => isStorageError(e, 'KAFKA_STORAGE_ERROR'))
    assert.equal((await ok.appendAsLeader(buildBatch({ records: 1 }), { leaderEpoch: 0 })).firstOffset, 0)
    await manager.close()
  })
})
