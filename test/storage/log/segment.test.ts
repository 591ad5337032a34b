import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { readFile, stat, truncate, writeFile } from 'node:fs/promises'
import { SYNC_WRITE_MAX_BYTES } from '../../../src/storage/io/files.js'
import { createBatch, encodeBatchSync } from '../../../src/protocol/records/batch.js'
import { batchInfoAt, type BatchInfo } from '../../../src/storage/log/batch-scanner.js'
import { Segment, type SegmentContext } from '../../../src/storage/log/segment.js'
import { buildBatch, parseBatches } from '../helpers/batches.js'
import { makeSegmentContext, recordingLogger } from '../helpers/context.js'
import { withTempDir } from '../helpers/tmp.js'

/** A temp dir and a segment context whose descriptors are closed afterwards. */
async function withEnv(options: Parameters<typeof makeSegmentContext>[0], fn: (dir: string, ctx: ReturnType<typeof makeSegmentContext>) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const ctx = makeSegmentContext(options)
    try {
      await fn(dir, ctx)
    } finally {
      await ctx.files.closeAll()
    }
  })
}

/** Appends batches with consecutive offsets from `next`; returns the next offset. */
async function appendBatches(seg: Segment, next: number, specs: Array<{ records: number; timestamp?: number; valueSize?: number }>): Promise<number> {
  for (const spec of specs) {
    const buf = buildBatch({ ...spec, baseOffset: next })
    const info = batchInfoAt(buf, 0, 0)
    await seg.append({ records: buf, batches: [info], lastOffset: info.lastOffset, maxTimestamp: info.maxTimestamp })
    next = info.lastOffset + 1
  }
  return next
}

async function newSegment(dir: string, ctx: SegmentContext, baseOffset = 0): Promise<Segment> {
  const seg = await Segment.create(ctx, { dir, baseOffset })
  seg.activate()
  return seg
}

test('create makes the three Kafka files named by the 20-digit base offset', async () => {
  await withEnv({}, async (dir, ctx) => {
    const seg = await newSegment(dir, ctx, 42)
    for (const suffix of ['.log', '.index', '.timeindex']) {
      assert.equal((await stat(`${dir}/00000000000000000042${suffix}`)).size, 0)
    }
    assert.equal(seg.size, 0)
  })
})

test('append writes batches byte for byte and read returns their range', async () => {
  await withEnv({}, async (dir, ctx) => {
    const seg = await newSegment(dir, ctx)
    const b1 = buildBatch({ records: 3, baseOffset: 0 })
    const b2 = buildBatch({ records: 2, baseOffset: 3 })
    const both = Buffer.concat([b1, b2])
    const infos: BatchInfo[] = [batchInfoAt(both, 0, 0), batchInfoAt(both, b1.length, b1.length)]
    await seg.append({ records: both, batches: infos, lastOffset: 4, maxTimestamp: 1000 })
    assert.deepEqual(await readFile(seg.log.path), both)

    const all = await seg.read({ startOffset: 0, maxBytes: 1 << 20, maxPosition: seg.size, minOneBatch: true })
    assert.deepEqual({ position: all!.position, length: all!.length }, { position: 0, length: both.length })
    // From inside the first batch: the whole batch comes back.
    const mid = await seg.read({ startOffset: 1, maxBytes: 1 << 20, maxPosition: seg.size, minOneBatch: true })
    assert.equal(mid!.position, 0)
    const second = await seg.read({ startOffset: 3, maxBytes: 1 << 20, maxPosition: seg.size, minOneBatch: true })
    assert.equal(second!.position, b1.length)
    assert.equal(await seg.read({ startOffset: 5, maxBytes: 100, maxPosition: seg.size, minOneBatch: true }), undefined)
  })
})

test('a small append to an open segment is written before append returns; a large one goes through the thread pool', async () => {
  await withEnv({}, async (dir, ctx) => {
    const seg = await newSegment(dir, ctx)
    // The first append opens the file (asynchronously); later small ones need no wait.
    const next = await appendBatches(seg, 0, [{ records: 1 }])
    const small = buildBatch({ records: 2, baseOffset: next })
    const info = batchInfoAt(small, 0, 0)
    const sizeBefore = seg.size
    const mark = seg.append({ records: small, batches: [info], lastOffset: info.lastOffset, maxTimestamp: info.maxTimestamp })
    assert.ok(!(mark instanceof Promise), 'a small append answers at once')
    assert.equal(mark.bytes, sizeBefore)
    assert.deepEqual(readFileSync(seg.log.path).subarray(sizeBefore), small)
    assert.equal(seg.size, sizeBefore + small.length)
    const large = buildBatch({ records: 1, baseOffset: info.lastOffset + 1, valueSize: SYNC_WRITE_MAX_BYTES })
    const largeInfo = batchInfoAt(large, 0, 0)
    const pending = seg.append({ records: large, batches: [largeInfo], lastOffset: largeInfo.lastOffset, maxTimestamp: largeInfo.maxTimestamp })
    assert.ok(pending instanceof Promise, 'a write over SYNC_WRITE_MAX_BYTES is not made on the event loop')
    await pending
    assert.equal(seg.size, sizeBefore + small.length + large.length)
  })
})

test('maxBytes cuts the range; minOneBatch still returns a whole first batch', async () => {
  await withEnv({}, async (dir, ctx) => {
    const seg = await newSegment(dir, ctx)
    await appendBatches(seg, 0, [{ records: 5, valueSize: 100 }, { records: 5, valueSize: 100 }])
    const first = parseBatches(await readFile(seg.log.path))[0]!
    const small = await seg.read({ startOffset: 0, maxBytes: 10, maxPosition: seg.size, minOneBatch: true })
    assert.equal(small!.length, first.size)
    const none = await seg.read({ startOffset: 0, maxBytes: 10, maxPosition: seg.size, minOneBatch: false })
    assert.equal(none!.length, 10)
    const capped = await seg.read({ startOffset: 0, maxBytes: 1 << 20, maxPosition: first.size, minOneBatch: true })
    assert.equal(capped!.length, first.size)
  })
})

test('the offset index gets an entry every index.interval.bytes; lookups use it', async () => {
  await withEnv({ config: { indexIntervalBytes: 500 } }, async (dir, ctx) => {
    const seg = await newSegment(dir, ctx)
    const next = await appendBatches(seg, 0, Array.from({ length: 50 }, () => ({ records: 2, valueSize: 100 })))
    assert.equal(next, 100)
    const entries = seg.offsetIndex.entries
    assert.ok(entries >= 8 && entries <= 25, `entries ${entries}`)
    const log = parseBatches(await readFile(seg.log.path))
    for (let n = 0; n < entries; n++) {
      const pos = seg.offsetIndex.positionAt(n)
      const batch = log.find((b) => b.position === pos)
      assert.ok(batch, 'index points at a batch start')
      assert.equal(batch.lastOffset, seg.offsetIndex.offsetAt(n))
    }
    for (let o = 0; o < 100; o += 7) {
      const b = await seg.translateOffset(o)
      assert.ok(b!.baseOffset <= o && o <= b!.lastOffset)
    }
  })
})

test('recover rebuilds indexes and cuts a torn tail', async () => {
  await withEnv({ config: { indexIntervalBytes: 300 } }, async (dir, ctx) => {
    const seg = await newSegment(dir, ctx, 10)
    await appendBatches(seg, 10, Array.from({ length: 20 }, (_, i) => ({ records: 3, valueSize: 50, timestamp: 5000 + i })))
    await seg.close({ flush: false })
    const full = (await stat(seg.log.path)).size
    await truncate(seg.log.path, full - 7)
    const reopened = Segment.fromDisk(ctx, { dir, baseOffset: 10, size: full - 7 })
    reopened.activate()
    const r = await reopened.recover({ verifyCrc: true, truncate: true })
    assert.equal(r.nextOffset, 10 + 19 * 3)
    assert.ok(r.truncatedBytes > 0)
    assert.equal((await stat(seg.log.path)).size, reopened.size)
    assert.deepEqual(await reopened.maxTimestampAndOffset(), { timestamp: 5018, offset: 10 + 19 * 3 - 1 })
    assert.ok(reopened.offsetIndex.entries > 0)
  })
})

test('recover stops at a bad CRC and at offsets that go backwards', async () => {
  await withEnv({}, async (dir, ctx) => {
    const seg = await newSegment(dir, ctx)
    await appendBatches(seg, 0, [{ records: 2 }, { records: 2 }, { records: 2 }])
    await seg.close({ flush: false })
    const bytes = await readFile(seg.log.path)
    const batches = parseBatches(bytes)
    const corrupt = Buffer.from(bytes)
    corrupt[batches[1]!.position + 70]! ^= 0xff
    await writeFile(seg.log.path, corrupt)
    const a = Segment.fromDisk(ctx, { dir, baseOffset: 0, size: corrupt.length })
    const ra = await a.recover({ verifyCrc: true, truncate: true })
    assert.equal(ra.nextOffset, 2)
    assert.match(ra.problem ?? '', /CRC/)

    const backwards = Buffer.concat([batches[0]!.bytes, batches[1]!.bytes, buildBatch({ records: 1, baseOffset: 1 })])
    await writeFile(seg.log.path, backwards)
    const b = Segment.fromDisk(ctx, { dir, baseOffset: 0, size: backwards.length })
    const rb = await b.recover({ verifyCrc: true, truncate: true })
    assert.equal(rb.nextOffset, 4)
    assert.match(rb.problem ?? '', /does not follow/)
  })
})

test('truncateTo drops the batch holding the offset and everything after', async () => {
  await withEnv({ config: { indexIntervalBytes: 100 } }, async (dir, ctx) => {
    const seg = await newSegment(dir, ctx)
    await appendBatches(seg, 0, Array.from({ length: 10 }, (_, i) => ({ records: 4, timestamp: 100 + i })))
    const r = await seg.truncateTo(13) // inside batch 12..15
    assert.equal(r.nextOffset, 12)
    assert.equal(parseBatches(await readFile(seg.log.path)).at(-1)!.lastOffset, 11)
    assert.ok(seg.offsetIndex.lastEntry().offset < 12)
    assert.deepEqual(await seg.maxTimestampAndOffset(), { timestamp: 102, offset: 11 })
    const again = await seg.truncateTo(50)
    assert.equal(again.truncatedBytes, 0)
    assert.equal(again.nextOffset, 12)
  })
})

test('searchByTimestamp finds the first batch reaching the timestamp', async () => {
  await withEnv({ config: { indexIntervalBytes: 200 } }, async (dir, ctx) => {
    const seg = await newSegment(dir, ctx)
    await appendBatches(seg, 0, Array.from({ length: 30 }, (_, i) => ({ records: 2, timestamp: 1000 + i * 10 })))
    const find = (timestamp: number, startingOffset = 0) =>
      seg.searchByTimestamp({ timestamp, startingOffset, accept: async (b) => b.baseOffset })
    assert.equal(await find(0), 0)
    assert.equal(await find(1000), 0)
    assert.equal(await find(1001), 2)
    assert.equal(await find(1150), 30)
    assert.equal(await find(1290), 58)
    assert.equal(await find(1291), undefined)
    assert.equal(await find(1000, 21), 20)
  })
})

test('shouldRoll: size, offset overflow, full index and segment.ms by message time', async () => {
  await withEnv({ config: { segmentIndexBytes: 16, indexIntervalBytes: 0 } }, async (dir, ctx) => {
    const seg = await newSegment(dir, ctx)
    const base = { now: ctx.clock.now(), messagesSize: 100, maxTimestampInMessages: 1000, maxOffsetInMessages: 1, segmentBytes: 1000, segmentMs: 60_000 }
    assert.equal(await seg.shouldRoll(base), false)
    assert.equal(await seg.shouldRoll({ ...base, maxOffsetInMessages: 2 ** 31 }), true)
    await appendBatches(seg, 0, [{ records: 1, timestamp: 1000 }])
    assert.equal(await seg.shouldRoll({ ...base, messagesSize: 1000 }), true)
    assert.equal(await seg.shouldRoll({ ...base, maxTimestampInMessages: 1000 + 60_000 }), false)
    assert.equal(await seg.shouldRoll({ ...base, maxTimestampInMessages: 1001 + 60_000 }), true)
    await appendBatches(seg, 1, [{ records: 1 }, { records: 1 }, { records: 1 }])
    assert.equal(seg.timeIndex.isFull(), true, 'one 12-byte time entry fills 16 bytes')
    assert.equal(await seg.shouldRoll(base), true)
  })
})

test('segment.ms falls back to the clock when batches carry no timestamp', async () => {
  await withEnv({}, async (dir, ctx) => {
    const seg = await newSegment(dir, ctx)
    await appendBatches(seg, 0, [{ records: 1, timestamp: -1 }])
    const check = { messagesSize: 10, maxTimestampInMessages: -1, maxOffsetInMessages: 2, segmentBytes: 1 << 20, segmentMs: 5000 }
    assert.equal(await seg.shouldRoll({ ...check, now: ctx.clock.now() + 5000 }), false)
    assert.equal(await seg.shouldRoll({ ...check, now: ctx.clock.now() + 5001 }), true)
  })
})

test('indexes of an inactive segment load lazily and are rebuilt when inconsistent', async () => {
  const logger = recordingLogger()
  await withEnv({ config: { indexIntervalBytes: 100 }, logger }, async (dir, ctx) => {
    const seg = await newSegment(dir, ctx)
    await appendBatches(seg, 0, Array.from({ length: 20 }, () => ({ records: 2 })))
    await seg.onBecomeInactive()
    await seg.close({ flush: false })
    const entries = seg.offsetIndex.entries
    // Point the last entry past the end of the log.
    const idx = await readFile(seg.offsetIndex.path)
    idx.writeInt32BE(1 << 30, idx.length - 4)
    await writeFile(seg.offsetIndex.path, idx)
    const size = (await stat(seg.log.path)).size
    const again = Segment.fromDisk(ctx, { dir, baseOffset: 0, size })
    assert.equal(again.offsetIndex.loaded, false)
    const b = await again.translateOffset(25)
    assert.equal(b!.baseOffset, 24)
    assert.equal(again.offsetIndex.entries, entries)
    assert.match(logger.warnings.join('\n'), /rebuilding indexes/)
    assert.equal((await readFile(again.offsetIndex.path)).readInt32BE(idx.length - 4) < 1 << 30, true)
  })
})

test('the batches the active segment remembers keep their producer fields, as a scan of the file finds them', async () => {
  await withEnv({}, async (dir, ctx) => {
    const seg = await newSegment(dir, ctx)
    const record = { timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('v'), headers: [] }
    const specs = [
      { producerId: 2n ** 62n + 3n, producerEpoch: 4, baseSequence: 17, isTransactional: true },
      { producerId: 2n ** 62n + 3n, producerEpoch: 4, isTransactional: true, isControl: true },
      {},
    ]
    for (const [i, spec] of specs.entries()) {
      const buf = encodeBatchSync(createBatch({ baseOffset: BigInt(i), baseTimestamp: 1000n, records: [record], ...spec }))
      const info = batchInfoAt(buf, 0, 0)
      await seg.append({ records: buf, batches: [info], lastOffset: info.lastOffset, maxTimestamp: info.maxTimestamp })
    }
    const remembered = await Promise.all([0, 1, 2].map((o) => seg.translateOffset(o)))
    assert.deepEqual(
      remembered.map((b) => [b!.producerId, b!.producerEpoch, b!.baseSequence, b!.isTransactional, b!.isControl]),
      [
        [2n ** 62n + 3n, 4, 17, true, false],
        [2n ** 62n + 3n, 4, -1, true, true],
        [-1n, -1, -1, false, false],
      ],
    )
    await seg.onBecomeInactive()
    await seg.close({ flush: false })
    const again = Segment.fromDisk(ctx, { dir, baseOffset: 0, size: (await stat(seg.log.path)).size })
    const scanned = await Promise.all([0, 1, 2].map((o) => again.translateOffset(o)))
    assert.deepEqual(remembered, scanned)
  })
})

test('markDeleted renames to .deleted while an open descriptor keeps reading', async () => {
  await withEnv({}, async (dir, ctx) => {
    const seg = await newSegment(dir, ctx)
    await appendBatches(seg, 0, [{ records: 2 }])
    const before = await seg.readBytes(0, seg.size)
    await seg.markDeleted()
    assert.ok(seg.log.path.endsWith('.log.deleted'))
    assert.deepEqual(await seg.readBytes(0, seg.size), before)
    await seg.deleteFiles()
    assert.equal((await seg.readBytes(0, seg.size)).length, 0)
  })
})
