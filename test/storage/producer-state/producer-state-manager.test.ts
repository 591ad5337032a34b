/**
 * Producer state through a real UnifiedLog on disk: duplicates, sequence gaps, stale epochs and
 * unknown producers as Kafka answers them; nothing appended on a refusal; state that survives
 * a clean restart (snapshot at the log end), an unclean one (replay past the last snapshot), a
 * damaged snapshot, truncation and expiry; a follower's appends update the state unchecked.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ManualClock } from '../../../src/storage/clock.js'
import { silentLogger } from '../../../src/storage/logger.js'
import { UnifiedLog, type UnifiedLogOptions } from '../../../src/storage/log/unified-log.js'
import { readSnapshot } from '../../../src/storage/producer-state/snapshot-file.js'
import { buildBatch } from '../helpers/batches.js'
import { withTempDir } from '../helpers/tmp.js'

const PID = 4000
/** Batches carry the time now: state older than producer.id.expiration.ms is not loaded. */
/** An idempotent producer's batch of `records` records starting at sequence `seq`. */
function idem(seq: number, options: { records?: number; epoch?: number; pid?: number; timestamp?: number } = {}): Buffer {
  return buildBatch({ records: options.records ?? 2, producerId: options.pid ?? PID, producerEpoch: options.epoch ?? 0, baseSequence: seq, timestamp: options.timestamp ?? Date.now() })
}

function open(dir: string, extra: Partial<UnifiedLogOptions> = {}): Promise<UnifiedLog> {
  return UnifiedLog.open({ dir, topic: 't', partition: 0, logger: silentLogger, config: { segmentBytes: 1 << 20, fileDeleteDelayMs: 0 }, ...extra })
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: { code?: string }) => e)
  assert.ok(err, 'the append must be refused')
  return (err as { code: string }).code
}

test('a retry of any of the last five batches is answered with its original offsets and writes nothing', async () => {
  await withTempDir(async (dir) => {
    const log = await open(dir)
    const firsts: number[] = []
    for (let i = 0; i < 6; i++) firsts.push((await log.appendAsLeader(idem(i * 2), { leaderEpoch: 0 })).firstOffset)
    const leo = log.logEndOffset
    for (let i = 1; i < 6; i++) {
      const r = await log.appendAsLeader(idem(i * 2), { leaderEpoch: 0 })
      assert.equal(r.duplicate, true)
      assert.deepEqual([r.firstOffset, r.lastOffset], [firsts[i], firsts[i]! + 1])
    }
    assert.equal(log.logEndOffset, leo, 'duplicates are not appended')
    // The oldest batch fell out of the five remembered: its retry is out of order, as in Kafka.
    assert.equal(await refusal(log.appendAsLeader(idem(0), { leaderEpoch: 0 })), 'OUT_OF_ORDER_SEQUENCE_NUMBER')
    // A batch overlapping the last one without matching it is not a duplicate either.
    assert.equal(await refusal(log.appendAsLeader(idem(11, { records: 1 }), { leaderEpoch: 0 })), 'OUT_OF_ORDER_SEQUENCE_NUMBER')
    assert.equal(log.logEndOffset, leo)
    await log.close()
  })
})

test('a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER and leaves the log and the state as they were', async () => {
  await withTempDir(async (dir) => {
    const log = await open(dir)
    await log.appendAsLeader(idem(0), { leaderEpoch: 0 })
    const leo = log.logEndOffset
    assert.equal(await refusal(log.appendAsLeader(idem(3), { leaderEpoch: 0 })), 'OUT_OF_ORDER_SEQUENCE_NUMBER')
    assert.equal(log.logEndOffset, leo)
    assert.equal(log.producerState.lastEntry(BigInt(PID))!.lastSeq, 1)
    const r = await log.appendAsLeader(idem(2), { leaderEpoch: 0 })
    assert.equal(r.firstOffset, leo, 'the next batch in sequence takes the next offset')
    await log.close()
  })
})

test('epochs: an older one is INVALID_PRODUCER_EPOCH, a newer one must start at sequence 0', async () => {
  await withTempDir(async (dir) => {
    const log = await open(dir)
    await log.appendAsLeader(idem(0, { epoch: 3 }), { leaderEpoch: 0 })
    assert.equal(await refusal(log.appendAsLeader(idem(2, { epoch: 2 }), { leaderEpoch: 0 })), 'INVALID_PRODUCER_EPOCH')
    assert.equal(await refusal(log.appendAsLeader(idem(5, { epoch: 4 }), { leaderEpoch: 0 })), 'OUT_OF_ORDER_SEQUENCE_NUMBER')
    await log.appendAsLeader(idem(0, { epoch: 4 }), { leaderEpoch: 0 })
    const e = log.producerState.lastEntry(BigInt(PID))!
    assert.deepEqual([e.producerEpoch, e.lastSeq, e.batches.length], [4, 1, 1], 'a new epoch forgets the old batches')
    assert.equal(log.logEndOffset, 4)
    await log.close()
  })
})

test('an unknown producer may start at any sequence (Kafka 2.5+); a batch without a sequence is INVALID_RECORD', async () => {
  await withTempDir(async (dir) => {
    const log = await open(dir)
    await log.appendAsLeader(idem(41, { pid: 7 }), { leaderEpoch: 0 })
    assert.equal(log.producerState.lastEntry(7n)!.lastSeq, 42)
    assert.equal(await refusal(log.appendAsLeader(idem(-1, { pid: 8 }), { leaderEpoch: 0 })), 'INVALID_RECORD')
    // Plain batches carry no producer and leave the state alone.
    await log.appendAsLeader(buildBatch({ records: 3 }), { leaderEpoch: 0 })
    assert.equal(log.producerState.producerIdCount, 1)
    await log.close()
  })
})

test('a clean restart loads the snapshot at the log end (Kafka format) and replays nothing', async () => {
  await withTempDir(async (dir) => {
    const log = await open(dir)
    for (let i = 0; i < 3; i++) await log.appendAsLeader(idem(i * 2), { leaderEpoch: 0 })
    await log.appendAsLeader(idem(0, { pid: 9, epoch: 1 }), { leaderEpoch: 0 })
    await log.close()
    assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.snapshot')), ['00000000000000000008.snapshot'])
    const entries = await readSnapshot(join(dir, '00000000000000000008.snapshot'))
    const byId = new Map(entries.map((e) => [e.producerId, e]))
    assert.deepEqual([byId.get(BigInt(PID))!.producerEpoch, byId.get(BigInt(PID))!.lastSeq, byId.get(BigInt(PID))!.lastDataOffset], [0, 5, 5])
    assert.deepEqual([byId.get(9n)!.producerEpoch, byId.get(9n)!.lastSeq, byId.get(9n)!.lastDataOffset], [1, 1, 7])

    const again = await open(dir, { hadCleanShutdown: true })
    assert.equal(again.producerState.mapEndOffset, 8)
    // The last batch's retry is still a duplicate, the next sequence is accepted, a gap is not.
    assert.equal((await again.appendAsLeader(idem(4), { leaderEpoch: 0 })).duplicate, true)
    assert.equal(await refusal(again.appendAsLeader(idem(9), { leaderEpoch: 0 })), 'OUT_OF_ORDER_SEQUENCE_NUMBER')
    assert.equal((await again.appendAsLeader(idem(6), { leaderEpoch: 0 })).firstOffset, 8)
    await again.close()
  })
})

test('an unclean restart rebuilds the state from the log past the last snapshot', async () => {
  await withTempDir(async (dir) => {
    // Small segments: rolls write snapshots at segment starts; the log end has none (no clean close).
    const log = await open(dir, { config: { segmentBytes: 300, fileDeleteDelayMs: 0 } })
    for (let i = 0; i < 12; i++) await log.appendAsLeader(idem(Math.floor(i / 3) * 2, { pid: 100 + (i % 3) }), { leaderEpoch: 0 })
    await log.settle()
    const expected = [100n, 101n, 102n].map((p) => [p, log.producerState.lastEntry(p)!.lastSeq, log.producerState.lastEntry(p)!.lastDataOffset])
    const snapshots = (await readdir(dir)).filter((n) => n.endsWith('.snapshot'))
    assert.ok(snapshots.length >= 2, `a snapshot per roll, got ${snapshots.join(',')}`)
    await log.close({ flush: false })
    assert.equal((await readdir(dir)).filter((n) => n.endsWith('.snapshot')).length, snapshots.length, 'no snapshot without a clean close')

    const again = await open(dir, { config: { segmentBytes: 300, fileDeleteDelayMs: 0 }, hadCleanShutdown: false, recoveryPoint: 0 })
    assert.ok(again.producerState.latestSnapshotOffset! < again.logEndOffset, 'the tail past the last snapshot was replayed')
    assert.deepEqual([100n, 101n, 102n].map((p) => [p, again.producerState.lastEntry(p)!.lastSeq, again.producerState.lastEntry(p)!.lastDataOffset]), expected)
    await again.close()
  })
})

test('a damaged snapshot is deleted and the state rebuilt from an older one; a snapshot past a cut log end is deleted', async () => {
  await withTempDir(async (dir) => {
    const config = { segmentBytes: 300, fileDeleteDelayMs: 0 }
    const log = await open(dir, { config })
    for (let i = 0; i < 12; i++) await log.appendAsLeader(idem(i * 2), { leaderEpoch: 0 })
    await log.close()
    const names = (await readdir(dir)).filter((n) => n.endsWith('.snapshot')).sort()
    const last = names.at(-1)!
    const bytes = await readFile(join(dir, last))
    bytes[bytes.length - 3]! ^= 0x40
    await writeFile(join(dir, last), bytes)
    const again = await open(dir, { config, hadCleanShutdown: true })
    assert.ok(!(await readdir(dir)).includes(last), 'the damaged snapshot is gone')
    assert.equal(again.producerState.lastEntry(BigInt(PID))!.lastSeq, 23)
    // A follower's truncation takes the state back with the log.
    await again.truncateTo(10)
    assert.equal(again.producerState.lastEntry(BigInt(PID))!.lastSeq, 9)
    assert.ok((await readdir(dir)).filter((n) => n.endsWith('.snapshot')).every((n) => Number(n.slice(0, 20)) <= 10))
    assert.equal((await again.appendAsLeader(idem(10), { leaderEpoch: 0 })).firstOffset, 10)
    await again.close()
  })
})

test('producers idle past producer.id.expiration.ms are forgotten (and not loaded from a snapshot)', async () => {
  await withTempDir(async (dir) => {
    const clock = new ManualClock(10_000)
    const log = await open(dir, { clock, producerIdExpirationMs: 5_000 })
    await log.appendAsLeader(idem(0, { timestamp: 10_000 }), { leaderEpoch: 0 })
    await log.appendAsLeader(idem(0, { pid: 5, timestamp: 14_000 }), { leaderEpoch: 0 })
    clock.set(14_999)
    assert.equal(log.removeExpiredProducers(), 0)
    clock.set(15_000)
    assert.equal(log.removeExpiredProducers(), 1)
    assert.equal(log.producerState.lastEntry(BigInt(PID)), undefined)
    // Forgotten, it starts again at any sequence.
    await log.appendAsLeader(idem(77, { timestamp: 15_000 }), { leaderEpoch: 0 })
    await log.close()
    clock.set(19_500)
    const again = await open(dir, { clock, producerIdExpirationMs: 5_000, hadCleanShutdown: true })
    assert.equal(again.producerState.lastEntry(5n), undefined, 'expired in the snapshot: not loaded')
    assert.equal(again.producerState.lastEntry(BigInt(PID))!.lastSeq, 78)
    await again.close()
  })
})

test('follower appends update the state without the leader\'s checks, so a new leader dedupes as the old one did', async () => {
  await withTempDir(async (dir) => {
    const log = await open(dir)
    const at = (offset: number, seq: number, epoch = 0) => {
      const b = idem(seq, { epoch })
      b.writeBigInt64BE(BigInt(offset), 0)
      return b
    }
    await log.appendAsFollower(at(0, 10))
    await log.appendAsFollower(at(2, 40)) // a gap the leader allowed (say, after expiry there)
    await log.appendAsFollower(at(4, 0, 2))
    const e = log.producerState.lastEntry(BigInt(PID))!
    assert.deepEqual([e.producerEpoch, e.lastSeq], [2, 1])
    const dup = await log.appendAsLeader(idem(0, { epoch: 2 }), { leaderEpoch: 1 })
    assert.deepEqual([dup.duplicate, dup.firstOffset], [true, 4])
    await log.close()
  })
})

test('compression.type=zstd: recompressed idempotent batches keep their sequences, and a retry is still a duplicate', async () => {
  await withTempDir(async (dir) => {
    const log = await UnifiedLog.open({ dir, topic: 't', partition: 0, logger: silentLogger, config: { segmentBytes: 1 << 20, fileDeleteDelayMs: 0, compressionType: 'zstd' } })
    const first = await log.appendAsLeader(idem(0, { records: 3 }), { leaderEpoch: 0 })
    await log.appendAsLeader(idem(3, { records: 3 }), { leaderEpoch: 0 })
    const leo = log.logEndOffset
    const retry = await log.appendAsLeader(idem(0, { records: 3 }), { leaderEpoch: 0 })
    assert.deepEqual([retry.duplicate, retry.firstOffset, retry.lastOffset], [true, first.firstOffset, first.firstOffset + 2])
    assert.equal(log.logEndOffset, leo, 'the duplicate is not appended')
    assert.equal(await refusal(log.appendAsLeader(idem(9), { leaderEpoch: 0 })), 'OUT_OF_ORDER_SEQUENCE_NUMBER')
    const segment = await readFile(join(dir, '00000000000000000000.log'))
    assert.equal(segment.readInt16BE(21) & 7, 4, 'stored as zstd')
    await log.close()
  })
})
