/**
 * The log cleaner through a real UnifiedLog on disk: a randomized model test (fast-check) over
 * many segments — every key's latest value readable at its original offset, every removed record
 * superseded, tombstones living exactly delete.retention.ms past their segment (ManualClock), a
 * reader from offset 0 seeing a valid compacted history — and a crash (FaultHooks) at each step
 * of .cleaned -> .swap -> replace, reopened to the state before or after.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { createBatch, decodeBatch, encodeBatch } from '../../../../src/protocol/records/batch.js'
import { logBatches } from '../../helpers/logs.js'
import { CompressionCodec } from '../../../../src/protocol/records/batch-header.js'
import { ManualClock } from '../../../../src/storage/clock.js'
import { silentLogger } from '../../../../src/storage/logger.js'
import { UnifiedLog } from '../../../../src/storage/log/unified-log.js'
import { cleanLog } from '../../../../src/storage/log/cleaner/cleaner.js'
import { OffsetMap } from '../../../../src/storage/log/cleaner/offset-map.js'
import { FaultHooks } from '../../../../src/util/faults.js'
import { withTempDir } from '../../helpers/tmp.js'

type Op = { key: number; value: string | null }
const RETENTION = 10_000

async function openLog(dir: string, clock: ManualClock, faults = new FaultHooks(), extra: { recoveryPoint?: number; hadCleanShutdown?: boolean } = {}): Promise<UnifiedLog> {
  return UnifiedLog.open({
    dir,
    topic: 't',
    partition: 0,
    logger: silentLogger,
    clock,
    faults,
    ...extra,
    config: { segmentBytes: 1200, fileDeleteDelayMs: 0, compact: true, deleteRetentionMs: RETENTION, minCleanableDirtyRatio: 0 },
  })
}

/** Appends `ops` in batches of up to 3 records (every other batch gzip, some idempotent), at the clock's time. */
async function append(log: UnifiedLog, ops: Op[], clock: ManualClock, seq: { n: number }): Promise<number[]> {
  const offsets: number[] = []
  for (let i = 0; i < ops.length; i += 3) {
    const chunk = ops.slice(i, i + 3)
    const idempotent = i % 2 === 0
    const batch = createBatch({
      baseTimestamp: BigInt(clock.now()),
      records: chunk.map((o, j) => ({ timestampDelta: 0, offsetDelta: j, key: Buffer.from(`k${o.key}`), value: o.value === null ? null : Buffer.from(o.value), headers: [] })),
      ...(idempotent ? { producerId: 7n, producerEpoch: 0, baseSequence: seq.n } : {}),
    })
    if (idempotent) seq.n += chunk.length
    const r = await log.appendAsLeader(await encodeBatch(batch, { compression: (i / 3) % 2 === 0 ? CompressionCodec.Gzip : CompressionCodec.None }), { leaderEpoch: 0 })
    for (let j = 0; j < chunk.length; j++) offsets.push(r.firstOffset + j)
  }
  log.updateHighWatermark(log.logEndOffset)
  await log.flush()
  return offsets
}

/** Every record from offset 0, with batch checks: offsets increase, batches intact. */
async function readAll(log: UnifiedLog): Promise<Map<number, { key: string; value: string | null }>> {
  const out = new Map<number, { key: string; value: string | null }>()
  let last = -1
  for await (const b of logBatches(log)) {
    for (const r of b.records) {
      const o = Number(b.baseOffset) + r.offsetDelta
      assert.ok(o > last, `offset ${o} after ${last}`)
      last = o
      out.set(o, { key: r.key!.toString(), value: r.value === null ? null : r.value.toString() })
    }
  }
  return out
}

async function clean(log: UnifiedLog, clock: ManualClock, firstDirty: number) {
  return cleanLog(log.cleaner(), { now: clock.now(), firstDirtyOffset: firstDirty, map: new OffsetMap(1 << 16), force: true })
}

test('randomized: after cleaning, the latest record of every key is at its original offset, removed records were superseded, tombstones live delete.retention.ms', async () => {
  const opArb = fc.record({ key: fc.integer({ min: 0, max: 12 }), value: fc.option(fc.string({ minLength: 1, maxLength: 30 }), { freq: 5 }) })
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 40 }), { minLength: 2, maxLength: 6 }), async (rounds) => {
      await withTempDir(async (dir) => {
        const clock = new ManualClock(1_000_000)
        const log = await openLog(dir, clock)
        const seq = { n: 0 }
        /** The model: every record appended, with its offset and time. */
        const history: Array<{ offset: number; key: string; value: string | null; time: number }> = []
        let firstDirty = 0
        for (const ops of rounds) {
          const offsets = await append(log, ops, clock, seq)
          ops.forEach((o, i) => history.push({ offset: offsets[i]!, key: `k${o.key}`, value: o.value, time: clock.now() }))
          await log.roll()
          await log.flush()
          const before = await readAll(log)
          const r = await clean(log, clock, firstDirty)
          if (r) firstDirty = r.endOffset
          const after = await readAll(log)
          const latest = new Map<string, number>()
          for (const h of history) latest.set(h.key, h.offset)
          for (const [offset, rec] of after) {
            // Nothing is invented: what remains is what was written, at its offset.
            const h = history.find((x) => x.offset === offset)!
            assert.deepEqual(rec, { key: h.key, value: h.value })
          }
          for (const [offset, rec] of before) {
            if (after.has(offset)) continue
            // A removed record was superseded, or was a tombstone past its retention.
            const superseded = latest.get(rec.key)! > offset
            const h = history.find((x) => x.offset === offset)!
            assert.ok(superseded || (rec.value === null && clock.now() - h.time >= RETENTION), `offset ${offset} (${rec.key}) removed though it was the latest`)
          }
          for (const [key, offset] of latest) {
            const h = history.find((x) => x.offset === offset)!
            // The latest record of a key stays until it is a tombstone past delete.retention.ms.
            if (h.value !== null || clock.now() - h.time < RETENTION) assert.deepEqual(after.get(offset), { key, value: h.value }, `latest of ${key} at ${offset}`)
          }
          clock.advance(4_000)
        }
        // Long after: every tombstone goes once cleaned past its retention; every live key stays.
        // (A clean needs dirty records, as in Kafka: without new writes a tombstone may stay.)
        clock.advance(RETENTION * 2)
        for (let i = 0; i < 2; i++) {
          const [offset] = await append(log, [{ key: 99, value: `end${i}` }], clock, seq)
          history.push({ offset: offset!, key: 'k99', value: `end${i}`, time: clock.now() })
          await log.roll()
          await log.flush()
          const r = await clean(log, clock, firstDirty)
          if (r) firstDirty = r.endOffset
        }
        const final = await readAll(log)
        const latest = new Map<string, (typeof history)[number]>()
        for (const h of history) latest.set(h.key, h)
        const expected = new Map([...latest.values()].filter((h) => h.value !== null).map((h) => [h.offset, { key: h.key, value: h.value }]))
        assert.deepEqual(new Map([...final].sort((a, b) => a[0] - b[0])), new Map([...expected].sort((a, b) => a[0] - b[0])))
        // The idempotent producer still dedupes after cleaning (its last batch header is kept).
        const reopened = log
        assert.ok(reopened.producerState.lastEntry(7n) !== undefined || seq.n === 0)
        await log.close()
        // Reopened, the cleaned log reads the same.
        const again = await openLog(dir, clock, new FaultHooks(), { hadCleanShutdown: true, recoveryPoint: log.logEndOffset })
        assert.deepEqual(await readAll(again), final)
        await again.close()
      })
    }),
    { numRuns: 15 },
  )
})

for (const point of ['cleaner.write', 'cleaner.swap', 'cleaner.replace', 'cleaner.rename']) {
  test(`a crash at ${point} reopens to the state before or after the clean`, async () => {
    await withTempDir(async (dir) => {
      const clock = new ManualClock(1_000_000)
      const faults = new FaultHooks()
      const log = await openLog(dir, clock, faults)
      const ops: Op[] = Array.from({ length: 90 }, (_, i) => ({ key: i % 5, value: `v${i}` }))
      await append(log, ops, clock, { n: 0 })
      await log.roll()
      await log.flush()
      const before = await readAll(log)
      faults.failNext(point)
      await assert.rejects(clean(log, clock, 0))
      const recoveryPoint = log.recoveryPoint
      // A crash: the files as they are, opened without a clean shutdown.
      const reopened = await openLog(dir, clock, new FaultHooks(), { recoveryPoint, hadCleanShutdown: false })
      const got = await readAll(reopened)
      const names = await readdir(dir)
      assert.ok(!names.some((n) => n.endsWith('.swap') || n.endsWith('.cleaned')), names.join())
      const latest = new Map<string, number>()
      for (const [o, r] of before) latest.set(r.key, o)
      const after = new Map([...before].filter(([o, r]) => latest.get(r.key) === o))
      if (point === 'cleaner.write' || point === 'cleaner.swap') assert.deepEqual(got, before, 'before the swap: the old segments')
      else {
        // Swapped: each key's latest record where it was, superseded ones gone (the active segment's untouched).
        for (const [o, r] of after) assert.deepEqual(got.get(o), r)
        assert.ok(got.size < before.size, `${got.size} records of ${before.size}`)
        for (const [o, r] of got) assert.deepEqual(before.get(o), r)
      }
      assert.equal(reopened.logEndOffset, 90)
      // And it cleans again to the after state.
      reopened.updateHighWatermark(reopened.logEndOffset)
      await clean(reopened, clock, 0)
      const final = await readAll(reopened)
      assert.deepEqual(new Set(final.keys()), new Set(after.keys()))
      await reopened.close()
      await log.close().catch(() => {})
    })
  })
}

test('the offset map bounds a pass: it maps whole dirty segments while they fit, and the next pass goes on from there', async () => {
  await withTempDir(async (dir) => {
    const clock = new ManualClock(1_000_000)
    const log = await openLog(dir, clock)
    const seq = { n: 0 }
    // Three rounds of 30 distinct keys each, every round in its own segments.
    for (let r = 0; r < 3; r++) {
      await append(log, Array.from({ length: 30 }, (_, i) => ({ key: i, value: `r${r}` })), clock, seq)
      await log.roll()
    }
    await log.flush()
    const map = new OffsetMap(24 * 40) // 36 keys at the load factor
    assert.equal(map.room, 36)
    const first = (await cleanLog(log.cleaner(), { now: clock.now(), firstDirtyOffset: 0, map, force: true }))!
    const bases = log.segmentBaseOffsets()
    assert.ok(first.endOffset > 0 && first.endOffset < 90, `the first pass stops inside the dirty section (${first.endOffset})`)
    assert.ok(bases.includes(first.endOffset), 'at a segment boundary')
    const second = (await cleanLog(log.cleaner(), { now: clock.now(), firstDirtyOffset: first.endOffset, map, force: true }))!
    assert.ok(second.endOffset > first.endOffset)
    let end = second.endOffset
    while (end < 90) end = (await cleanLog(log.cleaner(), { now: clock.now(), firstDirtyOffset: end, map, force: true }))!.endOffset
    const after = await readAll(log)
    assert.deepEqual([...after.values()].map((r) => r.value), Array(30).fill('r2'), 'only the last round is left')
    await log.close()
  })
})

test('OffsetMap: latest offset per key, bounded by its memory', () => {
  const m = new OffsetMap(24 * 10)
  assert.equal(m.room, 9)
  for (let i = 0; i < 9; i++) m.put(Buffer.from(`k${i}`), i)
  m.put(Buffer.from('k3'), 100) // an existing key takes no room
  assert.equal(m.get(Buffer.from('k3')), 100)
  assert.equal(m.get(Buffer.from('k8')), 8)
  assert.equal(m.get(Buffer.from('nope')), -1)
  assert.throws(() => m.put(Buffer.from('k9'), 9), /full/)
  m.clear()
  assert.equal(m.get(Buffer.from('k3')), -1)
  assert.equal(m.room, 9)
})

test("cleaned batches keep their codec, producer id, epoch, base sequence and offset span; an emptied batch keeps its header only when it holds its producer's last sequence", async () => {
  await withTempDir(async (dir) => {
    const clock = new ManualClock(1_000_000)
    const log = await openLog(dir, clock)
    const rec = (key: string, value: string, i: number) => ({ timestampDelta: 0, offsetDelta: i, key: Buffer.from(key), value: Buffer.from(value), headers: [] })
    const idem = (seq: number, records: ReturnType<typeof rec>[]) => encodeBatch(createBatch({ baseTimestamp: BigInt(clock.now()), records, producerId: 9n, producerEpoch: 2, baseSequence: seq }), { compression: CompressionCodec.Gzip })
    await log.appendAsLeader(await idem(0, [rec('a', '1', 0), rec('b', '1', 1), rec('a', '2', 2)]), { leaderEpoch: 0 }) // offsets 0-2
    await log.appendAsLeader(await idem(3, [rec('b', '2', 0)]), { leaderEpoch: 0 }) // 3
    await log.appendAsLeader(await idem(4, [rec('a', '3', 0)]), { leaderEpoch: 0 }) // 4: the producer's last
    const plain = await encodeBatch(createBatch({ baseTimestamp: BigInt(clock.now()), records: [rec('a', '4', 0)] }))
    await log.appendAsLeader(plain, { leaderEpoch: 0 }) // 5: a's latest
    log.updateHighWatermark(log.logEndOffset)
    await log.roll()
    await log.flush()
    assert.ok(await clean(log, clock, 0))
    const raw = await log.readRecords({ fromOffset: 0, maxBytes: 1 << 20 })
    const batches: Awaited<ReturnType<typeof decodeBatch>>[] = []
    for (let pos = 0; pos < raw.length; ) {
      const size = 12 + raw.readInt32BE(pos + 8)
      batches.push(await decodeBatch(raw.subarray(pos, pos + size)))
      pos += size
    }
    const shape = batches.map((b) => [Number(b.baseOffset), b.lastOffsetDelta, b.compression, b.producerId, b.producerEpoch, b.baseSequence, b.records.map((r) => `${r.key}=${r.value}`)])
    assert.deepEqual(shape, [
      // 0-2 (a=1, b=1, a=2) all superseded and not the producer's last: gone (Kafka's DELETE_EMPTY).
      [3, 0, CompressionCodec.Gzip, 9n, 2, 3, ['b=2']],
      [4, 0, CompressionCodec.Gzip, 9n, 2, 4, []], // superseded, but its producer's last sequence: the header stays
      [5, 0, CompressionCodec.None, -1n, -1, -1, ['a=4']],
    ])
    await log.close()
    // Producer state rebuilt from the cleaned log (no snapshot): a retry of the last batch is still a duplicate.
    for (const f of await readdir(dir)) if (f.endsWith('.snapshot')) await rm(join(dir, f))
    const again = await openLog(dir, clock, new FaultHooks(), { recoveryPoint: 0, hadCleanShutdown: false })
    const retry = await again.appendAsLeader(await idem(4, [rec('a', '3', 0)]), { leaderEpoch: 0 })
    assert.deepEqual([retry.duplicate, retry.firstOffset], [true, 4])
    await again.close()
  })
})
