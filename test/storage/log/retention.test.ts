import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { planRetention, type RetentionCandidate } from '../../../src/storage/log/retention.js'
import { appendAll, withLogEnv } from '../helpers/logs.js'

function candidates(list: Array<{ size: number; ts: number }>, logEnd: number): RetentionCandidate[] {
  return list.map((c, i) => ({
    baseOffset: i * 10,
    size: c.size,
    upperBoundOffset: i + 1 < list.length ? (i + 1) * 10 : logEnd,
    isLast: i === list.length - 1,
    largestTimestamp: async () => c.ts,
  }))
}

test('planRetention: each rule picks a run of the oldest segments', async () => {
  const segs = candidates([{ size: 100, ts: 1000 }, { size: 100, ts: 2000 }, { size: 100, ts: 3000 }, { size: 50, ts: 4000 }], 35)
  const policy = { now: 5000, retentionMs: -1, retentionBytes: -1, logStartOffset: 0, highWatermark: 35 }
  assert.deepEqual(await planRetention(segs, policy), { count: 0, reasons: [] })
  assert.deepEqual(await planRetention(segs, { ...policy, retentionMs: 2500 }), { count: 2, reasons: ['retention.ms'] })
  assert.deepEqual(await planRetention(segs, { ...policy, retentionBytes: 200 }), { count: 1, reasons: ['retention.bytes'] })
  assert.deepEqual(await planRetention(segs, { ...policy, retentionBytes: 0 }), { count: 4, reasons: ['retention.bytes'] })
  assert.deepEqual(await planRetention(segs, { ...policy, logStartOffset: 25 }), { count: 2, reasons: ['log-start-offset'] })
  // Nothing at or above the high watermark goes.
  assert.deepEqual(await planRetention(segs, { ...policy, retentionMs: 0, highWatermark: 15 }), { count: 1, reasons: ['retention.ms'] })
  // An empty last segment is never deleted.
  const emptyLast = candidates([{ size: 100, ts: 1000 }, { size: 0, ts: -1 }], 10)
  assert.equal((await planRetention(emptyLast, { ...policy, retentionMs: 0, highWatermark: 10 })).count, 1)
})

test('retention.ms deletes segments by their newest timestamp under a fake clock; never the active segment', async () => {
  await withLogEnv(async ({ open, clock, dir }) => {
    const now = clock.now()
    const log = await open({ config: { segmentBytes: 300, retentionMs: 60_000 } })
    // Batches an hour old, then fresh ones.
    await appendAll(log, Array.from({ length: 6 }, (_, i) => ({ records: 1, valueSize: 60, timestamp: now - 3_600_000 + i })))
    await log.roll()
    await appendAll(log, Array.from({ length: 3 }, (_, i) => ({ records: 1, valueSize: 60, timestamp: now + i })))
    log.updateHighWatermark(log.logEndOffset)
    const old = log.segmentBaseOffsets().filter((b) => b < 6)
    const r = await log.deleteOldSegments()
    assert.deepEqual(r, { deleted: old.length, reasons: ['retention.ms'] })
    assert.deepEqual([log.logStartOffset, log.segmentBaseOffsets()[0]], [6, 6])
    assert.ok(!(await readdir(dir)).includes('00000000000000000000.log'))
    clock.advance(3_600_000)
    // Everything expired: the log rolls, so the active segment itself stays.
    const all = log.segmentCount
    const r2 = await log.deleteOldSegments()
    assert.equal(r2.deleted, all)
    assert.deepEqual([log.segmentCount, log.logStartOffset, log.logEndOffset, log.segmentBaseOffsets()[0]], [1, 9, 9, 9])
    assert.equal((await log.deleteOldSegments()).deleted, 0)
    await log.close()
  })
})

test('retention.bytes keeps the log under the limit, oldest first, and respects the high watermark', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open({ config: { segmentBytes: 500, retentionBytes: 1000, retentionMs: -1 } })
    await appendAll(log, Array.from({ length: 30 }, () => ({ records: 1, valueSize: 60 })))
    const before = log.size
    assert.equal((await log.deleteOldSegments()).deleted, 0, 'nothing below the high watermark yet')
    log.updateHighWatermark(log.logEndOffset)
    const r = await log.deleteOldSegments()
    assert.ok(r.deleted > 0)
    assert.ok(log.size <= before && log.size >= 1000 - 500, `size ${log.size}`)
    assert.equal(log.logStartOffset, log.segmentBaseOffsets()[0])
    await log.close()
  })
})

test('file.delete.delay.ms: deleted segments are renamed, then removed after the delay', async () => {
  await withLogEnv(async ({ open, dir }) => {
    const log = await open({ config: { segmentBytes: 300, retentionBytes: 0, fileDeleteDelayMs: 50 } })
    await appendAll(log, Array.from({ length: 6 }, () => ({ records: 1, valueSize: 60 })))
    log.updateHighWatermark(log.logEndOffset)
    await log.deleteOldSegments()
    assert.ok((await readdir(dir)).some((n) => n.endsWith('.log.deleted')))
    await new Promise((r) => setTimeout(r, 120))
    await log.settle()
    assert.ok(!(await readdir(dir)).some((n) => n.endsWith('.deleted')))
    await log.close()
  })
})
