/**
 * Transactional cleaning through a real UnifiedLog on disk (Kafka's CleanedTransactionMetadata
 * and KIP-534 marker horizons): a randomized model test with transactional producers committing
 * and aborting, interleaved with plain writes and transactions left open across passes, checked
 * after every pass against a model — aborted records in the cleaned range gone, read_committed
 * (a consumer's algorithm over the fetched batches and the .txnindex) and read_uncommitted
 * histories right, no open transaction touched, every marker kept until its transaction has no
 * data left and delete.retention.ms has passed since it got its horizon, every .txnindex entry
 * backed by its marker — then exact marker lifetimes, and a crash at each swap step of the pass
 * that drops .txnindex entries.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createBatch, encodeBatch, type RecordBatch } from '../../../../src/protocol/records/batch.js'
import { logBatches } from '../../helpers/logs.js'
import { createEndTxnBatch, readEndTxnMarker } from '../../../../src/protocol/records/control.js'
import { ManualClock } from '../../../../src/storage/clock.js'
import { silentLogger } from '../../../../src/storage/logger.js'
import { UnifiedLog } from '../../../../src/storage/log/unified-log.js'
import { cleanLog } from '../../../../src/storage/log/cleaner/cleaner.js'
import { OffsetMap } from '../../../../src/storage/log/cleaner/offset-map.js'
import { FaultHooks } from '../../../../src/util/faults.js'
import { withTempDir } from '../../helpers/tmp.js'

const RETENTION = 10_000
const COORDINATOR = { leaderEpoch: 0, origin: { kind: 'coordinator' as const } }

async function openLog(dir: string, clock: ManualClock, faults = new FaultHooks(), extra: { recoveryPoint?: number; hadCleanShutdown?: boolean } = {}, deleteRetentionMs = RETENTION): Promise<UnifiedLog> {
  return UnifiedLog.open({
    dir,
    topic: 't',
    partition: 0,
    logger: silentLogger,
    clock,
    faults,
    ...extra,
    config: { segmentBytes: 900, fileDeleteDelayMs: 0, compact: true, deleteRetentionMs, minCleanableDirtyRatio: 0 },
  })
}

/** A writer of plain records, transactional records and markers, one record per batch. */
class Writer {
  private readonly seqs = new Map<number, number>()
  constructor(
    private readonly log: UnifiedLog,
    private readonly clock: ManualClock,
  ) {}

  async plain(key: string, value: string | null): Promise<number> {
    const b = createBatch({ baseTimestamp: BigInt(this.clock.now()), records: [{ timestampDelta: 0, offsetDelta: 0, key: Buffer.from(key), value: value === null ? null : Buffer.from(value), headers: [] }] })
    return this.done(await this.log.appendAsLeader(await encodeBatch(b), { leaderEpoch: 0 }))
  }

  async txn(pid: number, key: string, value: string | null): Promise<number> {
    const seq = this.seqs.get(pid) ?? 0
    this.seqs.set(pid, seq + 1)
    const b = createBatch({
      baseTimestamp: BigInt(this.clock.now()),
      records: [{ timestampDelta: 0, offsetDelta: 0, key: Buffer.from(key), value: value === null ? null : Buffer.from(value), headers: [] }],
      producerId: BigInt(pid),
      producerEpoch: 0,
      baseSequence: seq,
      isTransactional: true,
    })
    return this.done(await this.log.appendAsLeader(await encodeBatch(b), { leaderEpoch: 0 }))
  }

  async marker(pid: number, commit: boolean): Promise<number> {
    const b = createEndTxnBatch({ commit, producerId: BigInt(pid), producerEpoch: 0, coordinatorEpoch: 0, timestamp: BigInt(this.clock.now()) })
    return this.done(await this.log.appendAsLeader(await encodeBatch(b), COORDINATOR))
  }

  private done(r: { firstOffset: number }): number {
    this.log.updateHighWatermark(this.log.logEndOffset)
    return r.firstOffset
  }
}

interface Seen {
  records: Map<number, { key: string; value: string | null }>
  markers: Map<number, { pid: number; commit: boolean; horizon: number | undefined }>
  batches: RecordBatch[]
}

/** Every batch of the log from offset 0: its records (read_uncommitted) and its markers. */
async function readAll(log: UnifiedLog): Promise<Seen> {
  const seen: Seen = { records: new Map(), markers: new Map(), batches: [] }
  for await (const b of logBatches(log)) {
    const base = Number(b.baseOffset)
    seen.batches.push(b)
    if (b.isControl) {
      const m = readEndTxnMarker(b)!
      seen.markers.set(base, { pid: Number(b.producerId), commit: m.commit, horizon: b.hasDeleteHorizon ? Number(b.baseTimestamp) : undefined })
    } else for (const r of b.records) seen.records.set(base + r.offsetDelta, { key: r.key!.toString(), value: r.value === null ? null : r.value.toString() })
  }
  return seen
}

/** What a read_committed consumer keeps (Kafka's fetcher): below the LSO, aborted producers' batches dropped until their abort marker. */
function readCommitted(log: UnifiedLog, seen: Seen): Set<number> {
  const lso = log.lastStableOffset
  const aborted = log.abortedTransactions(0, lso).sort((a, b) => a.firstOffset - b.firstOffset)
  const abortedPids = new Set<bigint>()
  const out = new Set<number>()
  for (const b of seen.batches) {
    const base = Number(b.baseOffset)
    if (base >= lso) break
    while (aborted.length > 0 && aborted[0]!.firstOffset <= base + b.lastOffsetDelta) abortedPids.add(aborted.shift()!.producerId)
    if (b.isControl) {
      if (readEndTxnMarker(b)?.commit === false) abortedPids.delete(b.producerId)
      continue
    }
    if (b.isTransactional && abortedPids.has(b.producerId)) continue
    for (const r of b.records) if (base + r.offsetDelta < lso) out.add(base + r.offsetDelta)
  }
  return out
}

async function clean(log: UnifiedLog, clock: ManualClock, firstDirty: number) {
  return cleanLog(log.cleaner(), { now: clock.now(), firstDirtyOffset: firstDirty, map: new OffsetMap(1 << 16), force: true })
}

type Step = { t: 'plain'; key: number; value: string | null } | { t: 'txn'; pid: number; key: number; value: string | null } | { t: 'end'; pid: number; commit: boolean }

test('randomized: transactional cleaning removes aborted records, keeps read_committed and read_uncommitted right, never touches open transactions, and keeps markers until no data is left and delete.retention.ms has passed', async () => {
  const value = fc.option(fc.string({ minLength: 1, maxLength: 12 }), { freq: 6 })
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ t: fc.constant('plain' as const), key: fc.integer({ min: 0, max: 8 }), value }),
    fc.record({ t: fc.constant('txn' as const), pid: fc.integer({ min: 1, max: 3 }), key: fc.integer({ min: 0, max: 8 }), value }),
    fc.record({ t: fc.constant('end' as const), pid: fc.integer({ min: 1, max: 3 }), commit: fc.boolean() }),
  )
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(step, { minLength: 1, maxLength: 30 }), { minLength: 2, maxLength: 6 }), async (rounds) => {
      await withTempDir(async (dir) => {
        const clock = new ManualClock(1_000_000)
        const log = await openLog(dir, clock)
        const w = new Writer(log, clock)
        /** The model: every record with its transaction (undefined: plain), every transaction's fate and marker. */
        const history = new Map<number, { key: string; value: string | null; txn: number | undefined; time: number }>()
        const txns: Array<{ pid: number; status: 'open' | 'commit' | 'abort'; marker?: number }> = []
        const open = new Map<number, number>()
        /** When each marker got its horizon, as the log showed it. */
        const horizons = new Map<number, number>()
        let firstDirty = 0
        const run = async (steps: Step[]) => {
          for (const s of steps) {
            if (s.t === 'plain') history.set(await w.plain(`k${s.key}`, s.value), { key: `k${s.key}`, value: s.value, txn: undefined, time: clock.now() })
            else if (s.t === 'txn') {
              let id = open.get(s.pid)
              if (id === undefined) {
                id = txns.push({ pid: s.pid, status: 'open' }) - 1
                open.set(s.pid, id)
              }
              history.set(await w.txn(s.pid, `k${s.key}`, s.value), { key: `k${s.key}`, value: s.value, txn: id, time: clock.now() })
            } else {
              const id = open.get(s.pid)
              if (id === undefined) continue
              open.delete(s.pid)
              txns[id]!.marker = await w.marker(s.pid, s.commit)
              txns[id]!.status = s.commit ? 'commit' : 'abort'
            }
          }
          await log.roll()
          await log.flush()
          const before = await readAll(log)
          const r = await clean(log, clock, firstDirty)
          if (r) firstDirty = r.endOffset
          const after = await readAll(log)
          check(before, after, r?.endOffset ?? 0)
          clock.advance(4_000)
        }
        const statusOf = (offset: number) => {
          const h = history.get(offset)!
          return h.txn === undefined ? 'plain' : txns[h.txn]!.status
        }
        const dataLeft = (txn: number, seen: Seen) => [...seen.records.keys()].some((o) => history.get(o)!.txn === txn)
        const check = (before: Seen, after: Seen, cleanedTo: number) => {
          const now = clock.now()
          for (const [offset, rec] of after.records) {
            const h = history.get(offset)
            assert.ok(h, `offset ${offset} was never written`)
            assert.deepEqual(rec, { key: h.key, value: h.value })
            // Aborted before this pass and in its range: gone.
            assert.ok(!(statusOf(offset) === 'abort' && offset < cleanedTo), `aborted record at ${offset} kept (cleaned to ${cleanedTo})`)
          }
          // An open transaction is at or above the LSO: none of its records is touched.
          for (const [offset, h] of history) if (h.txn !== undefined && txns[h.txn]!.status === 'open') assert.ok(after.records.has(offset), `open transaction's record at ${offset} removed`)
          // Removed data was superseded by a decided, non-aborted record, or was aborted, or a tombstone past its retention.
          for (const [offset, rec] of before.records) {
            if (after.records.has(offset)) continue
            const h = history.get(offset)!
            const superseded = [...history].some(([o, x]) => o > offset && x.key === rec.key && (statusOf(o) === 'plain' || statusOf(o) === 'commit'))
            assert.ok(superseded || statusOf(offset) === 'abort' || (rec.value === null && now - h.time >= RETENTION), `offset ${offset} (${rec.key}) removed though it was the latest`)
          }
          // The latest committed (or plain) record of every key stays, unless it is a tombstone past delete.retention.ms.
          const latest = new Map<string, number>()
          for (const [o, h] of history) if (statusOf(o) === 'plain' || statusOf(o) === 'commit') latest.set(h.key, o)
          for (const [key, o] of latest) {
            const h = history.get(o)!
            if (h.value !== null || now - h.time < RETENTION) assert.deepEqual(after.records.get(o), { key, value: h.value }, `latest of ${key} at ${o}`)
          }
          // read_committed: exactly the remaining committed and plain records below the LSO.
          const lso = log.lastStableOffset
          const expected = new Set([...after.records.keys()].filter((o) => o < lso && (statusOf(o) === 'plain' || statusOf(o) === 'commit')))
          assert.deepEqual([...readCommitted(log, after)].sort((a, b) => a - b), [...expected].sort((a, b) => a - b), 'read_committed')
          // Markers: a horizon only once no data is left, delete.retention.ms from that pass; removal only past it.
          for (let id = 0; id < txns.length; id++) {
            const m = txns[id]!.marker
            if (m === undefined) continue
            const was = before.markers.get(m)
            const is = after.markers.get(m)
            if (is?.horizon !== undefined && was?.horizon === undefined) {
              assert.equal(is.horizon, now + RETENTION, `marker ${m}'s horizon`)
              assert.ok(!dataLeft(id, after), `marker ${m} got a horizon with data of its transaction left`)
              horizons.set(m, is.horizon)
            }
            if (is === undefined && was !== undefined) {
              assert.ok(was.horizon !== undefined && now >= was.horizon, `marker ${m} removed before its horizon (${was.horizon}, now ${now})`)
              assert.ok(!dataLeft(id, after), `marker ${m} removed with data of its transaction left`)
            }
            if (is === undefined) assert.ok(horizons.has(m), `marker ${m} gone without a horizon`)
          }
          // Every .txnindex entry has its marker (else consumers would skip the producer's later records).
          for (const e of log.cleaner().abortedTxns(0, log.logEndOffset)) assert.ok(after.markers.has(e.lastOffset), `.txnindex entry for the marker at ${e.lastOffset} without it`)
        }
        for (const steps of rounds) await run(steps)
        // Every transaction ends; long after, with writes to make passes happen, aborted data is all gone.
        const ends: Step[] = [...open.keys()].map((pid) => ({ t: 'end', pid, commit: pid % 2 === 0 }))
        await run([...ends, { t: 'plain', key: 99, value: 'end' }])
        for (let i = 0; i < 3; i++) {
          clock.advance(RETENTION)
          await run([{ t: 'plain', key: 99, value: `end${i}` }])
        }
        const final = await readAll(log)
        for (const o of final.records.keys()) assert.notEqual(statusOf(o), 'abort', `aborted record at ${o} left at the end`)
        const committed = readCommitted(log, final)
        await log.close()
        // Reopened after an unclean shutdown (producer state and .txnindex rebuilt), it reads the same.
        const again = await openLog(dir, clock, new FaultHooks(), { hadCleanShutdown: false, recoveryPoint: 0 })
        again.updateHighWatermark(again.logEndOffset)
        const reread = await readAll(again)
        assert.deepEqual(reread.records, final.records)
        assert.deepEqual(readCommitted(again, reread), committed)
        await again.close()
      })
    }),
    { numRuns: 25 },
  )
})

/**
 * seg A: 0-1 pid 1 (k1, k2) aborted at 2; 3 plain k1; 4 pid 2 k3 committed at 5; 6 plain k3.
 * seg B: 7 pid 1 k8 committed at 8; 9 pid 2 k9 committed at 10 (so 0-1 and 4 are not their producers' last batches).
 */
async function transactionalLog(dir: string, clock: ManualClock, faults = new FaultHooks()): Promise<{ log: UnifiedLog; w: Writer }> {
  const log = await openLog(dir, clock, faults)
  const w = new Writer(log, clock)
  await w.txn(1, 'k1', 'a')
  await w.txn(1, 'k2', 'b')
  await w.marker(1, false)
  await w.plain('k1', 'c')
  await w.txn(2, 'k3', 'x')
  await w.marker(2, true)
  await w.plain('k3', 'y')
  await log.roll()
  await w.txn(1, 'k8', 'p')
  await w.marker(1, true)
  await w.txn(2, 'k9', 'q')
  await w.marker(2, true)
  await log.roll()
  await log.flush()
  return { log, w }
}

const markerState = (s: Seen) => [...s.markers].map(([o, m]) => [o, m.horizon ?? null])

test('marker lifetimes: kept while their data is cleaned, a delete horizon once none is left (the .txnindex entry goes then), removed at the horizon and not before', async () => {
  await withTempDir(async (dir) => {
    const clock = new ManualClock(1_000_000)
    const { log, w } = await transactionalLog(dir, clock)
    // Pass 1: the aborted records and the superseded committed one go; their markers stay, as does the .txnindex entry.
    const r1 = await clean(log, clock, 0)
    assert.equal(r1?.abortedRemoved, 2)
    let s = await readAll(log)
    assert.deepEqual([...s.records.keys()], [3, 6, 7, 9])
    assert.deepEqual(markerState(s), [[2, null], [5, null], [8, null], [10, null]])
    assert.deepEqual(log.abortedTransactions(0, log.logEndOffset), [{ producerId: 1n, firstOffset: 0 }])
    assert.deepEqual([...readCommitted(log, s)], [3, 6, 7, 9])
    // Pass 2: no data of 2 and 5 is left: a horizon delete.retention.ms away; the abort's entry goes.
    clock.advance(1_000)
    const t1 = clock.now()
    await w.plain('k7', 'z') // 11
    await log.roll()
    await log.flush()
    const r2 = await clean(log, clock, r1!.endOffset)
    assert.equal(r2?.markersHorizoned, 2)
    s = await readAll(log)
    assert.deepEqual(markerState(s), [[2, t1 + RETENTION], [5, t1 + RETENTION], [8, null], [10, null]])
    assert.deepEqual(log.abortedTransactions(0, log.logEndOffset), [])
    assert.deepEqual([...readCommitted(log, s)], [3, 6, 7, 9, 11])
    // The record timestamps of a horizoned marker stay what they were.
    const m2 = s.batches.find((b) => b.baseOffset === 2n)!
    assert.equal(m2.baseTimestamp + BigInt(m2.records[0]!.timestampDelta), 1_000_000n)
    // Pass 3, 1 ms before the horizon: still there.
    clock.set(t1 + RETENTION - 1)
    await w.plain('k7', 'z2') // 12
    await log.roll()
    await log.flush()
    const r3 = await clean(log, clock, r2!.endOffset)
    assert.equal(r3?.markersRemoved, 0)
    assert.deepEqual(markerState(await readAll(log)).length, 4)
    // Pass 4, at the horizon: gone.
    clock.set(t1 + RETENTION)
    await w.plain('k7', 'z3') // 13
    await log.roll()
    await log.flush()
    const r4 = await clean(log, clock, r3!.endOffset)
    assert.equal(r4?.markersRemoved, 2)
    s = await readAll(log)
    assert.deepEqual(markerState(s), [[8, null], [10, null]])
    assert.deepEqual([...readCommitted(log, s)], [3, 6, 7, 9, 13])
    await log.close()
  })
})

test("an aborted batch holding its producer's last sequence stays as an empty header, and its marker with it", async () => {
  await withTempDir(async (dir) => {
    const clock = new ManualClock(1_000_000)
    const log = await openLog(dir, clock)
    const w = new Writer(log, clock)
    await w.txn(1, 'k1', 'a') // 0
    await w.marker(1, false) // 1
    await w.plain('k2', 'b') // 2
    await log.roll()
    await log.flush()
    let r = await clean(log, clock, 0)
    for (let i = 0; i < 2; i++) {
      clock.advance(RETENTION + 1)
      await w.plain('k2', `c${i}`)
      await log.roll()
      await log.flush()
      r = await clean(log, clock, r!.endOffset)
    }
    const s = await readAll(log)
    const first = s.batches[0]!
    assert.deepEqual([Number(first.baseOffset), first.records.length, first.producerId, first.isTransactional], [0, 0, 1n, true])
    assert.deepEqual(markerState(s), [[1, null]], 'the marker stays while its data batch does')
    assert.deepEqual(log.abortedTransactions(0, log.logEndOffset), [{ producerId: 1n, firstOffset: 0 }])
    await log.close()
  })
})

test('delete.retention.ms of Long.MAX_VALUE: a marker with no data left gets a horizon that never comes, and cleaning goes on', async () => {
  await withTempDir(async (dir) => {
    const clock = new ManualClock(1_000_000)
    const log = await openLog(dir, clock, new FaultHooks(), {}, 9223372036854775807)
    const w = new Writer(log, clock)
    await w.txn(1, 'k1', 'a') // 0
    await w.marker(1, false) // 1
    await w.txn(1, 'k2', 'b') // 2: the producer's last batch
    await w.marker(1, true) // 3
    await log.roll()
    await log.flush()
    let r = await clean(log, clock, 0)
    for (let i = 0; i < 2; i++) {
      clock.advance(1_000_000_000)
      await w.plain('k3', `c${i}`)
      await log.roll()
      await log.flush()
      r = await clean(log, clock, r!.endOffset)
      assert.ok(r, `pass ${i + 2} ran`)
    }
    const s = await readAll(log)
    assert.deepEqual(markerState(s), [[1, Number.MAX_SAFE_INTEGER], [3, null]])
    await log.close()
  })
})

for (const point of ['cleaner.write', 'cleaner.swap', 'cleaner.replace', 'cleaner.rename']) {
  test(`a crash at ${point} in the pass that drops a .txnindex entry reopens to a log whose read_committed history is right`, async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(1_000_000)
      const faults = new FaultHooks()
      const { log, w } = await transactionalLog(dir, clock, faults)
      const r1 = await clean(log, clock, 0)
      await w.plain('k7', 'z') // 11
      await log.roll()
      await log.flush()
      const expected = readCommitted(log, await readAll(log))
      faults.failNext(point)
      await assert.rejects(clean(log, clock, r1!.endOffset))
      const reopened = await openLog(dir, clock, new FaultHooks(), { recoveryPoint: log.recoveryPoint, hadCleanShutdown: false })
      reopened.updateHighWatermark(reopened.logEndOffset)
      const s = await readAll(reopened)
      assert.deepEqual(readCommitted(reopened, s), expected)
      for (const e of reopened.cleaner().abortedTxns(0, reopened.logEndOffset)) assert.ok(s.markers.has(e.lastOffset), `entry for ${e.lastOffset} without its marker`)
      // Cleaning again reaches the after state.
      await clean(reopened, clock, 0)
      const t = await readAll(reopened)
      assert.deepEqual(
        markerState(t).map(([o, h]) => [o, h !== null]),
        [
          [2, true],
          [5, true],
          [8, false],
          [10, false],
        ],
      )
      assert.deepEqual(readCommitted(reopened, t), expected)
      await reopened.close()
      await log.close().catch(() => {})
    })
  })
}
