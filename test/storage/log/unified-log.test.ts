import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { isBatchCrcValid } from '../../../src/protocol/records/batch-header.js'
import { isStorageError } from '../../../src/storage/errors.js'
import type { LogEvent } from '../../../src/storage/log/types.js'
import { buildBatch, locateRecords, parseBatches } from '../helpers/batches.js'
import { appendAll, withLogEnv } from '../helpers/logs.js'

test('appendAsLeader assigns offsets in place, stamps the leader epoch and returns the append info', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open()
    const batch = Buffer.concat([buildBatch({ records: 3, baseOffset: 999, timestamp: 50 }), buildBatch({ records: 2, baseOffset: 7, timestamp: 70 })])
    const r = await log.appendAsLeader(batch, { leaderEpoch: 4 })
    assert.deepEqual(
      { first: r.firstOffset, last: r.lastOffset, lat: r.logAppendTime, max: r.maxTimestamp, at: r.offsetOfMaxTimestamp, n: r.recordCount, b: r.batchCount },
      { first: 0, last: 4, lat: -1, max: 70, at: 3, n: 5, b: 2 },
    )
    const parsed = parseBatches(batch)
    assert.deepEqual(parsed.map((b) => [b.baseOffset, b.leaderEpoch]), [[0, 4], [3, 4]])
    assert.equal(log.logEndOffset, 5)
    const r2 = await log.appendAsLeader(buildBatch({ records: 1 }), { leaderEpoch: 4 })
    assert.equal(r2.firstOffset, 5)
    const onDisk = await readFile(join(log.dir, '00000000000000000000.log'))
    assert.deepEqual(onDisk.subarray(0, batch.length), batch)
    await log.close()
  })
})

test('LogAppendTime stamps the broker time and keeps the CRC valid', async () => {
  await withLogEnv(async ({ open, clock }) => {
    const log = await open({ config: { messageTimestampType: 'LogAppendTime' } })
    const batch = buildBatch({ records: 2, timestamp: 5 })
    const r = await log.appendAsLeader(batch, { leaderEpoch: 0 })
    assert.equal(r.logAppendTime, clock.now())
    assert.equal(parseBatches(batch)[0]!.maxTimestamp, clock.now())
    assert.equal(batch.readInt16BE(21) & 0x08, 0x08)
    assert.equal(isBatchCrcValid(batch, 0), true)
    await log.close()
  })
})

test('read serves whole batches from the one holding the offset, bounded by maxOffset and maxBytes', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open()
    await appendAll(log, Array.from({ length: 10 }, () => ({ records: 5, valueSize: 20 })))
    const all = await log.readRecords({ fromOffset: 0, maxBytes: 1 << 20 })
    assert.equal(parseBatches(all).length, 10)
    const mid = parseBatches(await log.readRecords({ fromOffset: 12, maxBytes: 1 << 20 }))
    assert.equal(mid[0]!.baseOffset, 10)
    const hw = parseBatches(await log.readRecords({ fromOffset: 0, maxBytes: 1 << 20, maxOffset: 20 }))
    assert.equal(hw.at(-1)!.lastOffset, 19)
    // maxOffset inside a batch excludes that batch (it holds an offset >= maxOffset).
    assert.equal(parseBatches(await log.readRecords({ fromOffset: 0, maxBytes: 1 << 20, maxOffset: 22 })).at(-1)!.lastOffset, 19)
    const one = await log.read({ fromOffset: 0, maxBytes: 1 })
    assert.equal(one.bytes, parseBatches(all)[0]!.size)
    const cut = await log.read({ fromOffset: 0, maxBytes: 1, minOneBatch: false })
    assert.equal(cut.bytes, 1)
    const end = await log.read({ fromOffset: 50, maxBytes: 100 })
    assert.deepEqual(end.ranges, [])
    await assert.rejects(async () => log.read({ fromOffset: 51, maxBytes: 100 }), (e) => isStorageError(e, 'OFFSET_OUT_OF_RANGE'))
    await log.close()
  })
})

test('rolls on segment.bytes and reads continue across segments', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open({ config: { segmentBytes: 1000 } })
    await appendAll(log, Array.from({ length: 30 }, () => ({ records: 2, valueSize: 50 })))
    assert.ok(log.segmentCount > 3, `segments: ${log.segmentCount}`)
    const bases = log.segmentBaseOffsets()
    assert.equal(bases[0], 0)
    const data = parseBatches(await log.readRecords({ fromOffset: 0, maxBytes: 1 << 20 }))
    assert.equal(data.length, 30)
    assert.deepEqual(data.map((b) => b.baseOffset), Array.from({ length: 30 }, (_, i) => i * 2))
    const read = await log.read({ fromOffset: bases[2]! + 1, maxBytes: 1 << 20 })
    assert.equal(read.ranges[0]!.firstOffset, bases[2])
    await log.settle()
    // The background flush after each roll moved the recovery point to the last roll.
    assert.equal(log.recoveryPoint, bases.at(-1))
    await assert.rejects(log.appendAsLeader(buildBatch({ records: 20, valueSize: 60 }), { leaderEpoch: 0 }), (e) => isStorageError(e, 'RECORD_LIST_TOO_LARGE'))
    await log.close()
  })
})

test('rolls on segment.ms using message timestamps, and the clock when there are none', async () => {
  await withLogEnv(async ({ open, clock }) => {
    const log = await open({ config: { segmentMs: 60_000 } })
    await appendAll(log, [{ records: 1, timestamp: 1000 }, { records: 1, timestamp: 61_000 }])
    assert.equal(log.segmentCount, 1)
    await appendAll(log, [{ records: 1, timestamp: 61_001 }])
    assert.deepEqual(log.segmentBaseOffsets(), [0, 2])
    await appendAll(log, [{ records: 1, timestamp: -1 }])
    await log.roll()
    await appendAll(log, [{ records: 1, timestamp: -1 }])
    clock.advance(60_001)
    await appendAll(log, [{ records: 1, timestamp: -1 }])
    assert.deepEqual(log.segmentBaseOffsets(), [0, 2, 4, 5])
    await log.close()
  })
})

test('fetchOffset: earliest, latest, by timestamp (batch or record precision) and max timestamp', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open({ config: { segmentBytes: 600, indexIntervalBytes: 100 } })
    // Batches of 3 records, timestamps 1000 + 10*batch + record.
    await appendAll(log, Array.from({ length: 12 }, (_, i) => ({ records: 3, timestamp: 1000 + i * 10, timestampStep: 1 })), 2)
    assert.ok(log.segmentCount > 2)
    assert.deepEqual(await log.fetchOffset({ kind: 'earliest' }), { offset: 0, timestamp: -1, leaderEpoch: 2 })
    assert.deepEqual(await log.fetchOffset({ kind: 'latest' }), { offset: 36, timestamp: -1, leaderEpoch: 2 })
    assert.deepEqual(await log.fetchOffset({ kind: 'timestamp', timestamp: 1051 }), { offset: 15, timestamp: 1052, leaderEpoch: 2 })
    assert.deepEqual(await log.fetchOffset({ kind: 'timestamp', timestamp: 1051 }, { locate: locateRecords }), { offset: 16, timestamp: 1051, leaderEpoch: 2 })
    assert.deepEqual(await log.fetchOffset({ kind: 'timestamp', timestamp: 0 }, { locate: locateRecords }), { offset: 0, timestamp: 1000, leaderEpoch: 2 })
    assert.equal(await log.fetchOffset({ kind: 'timestamp', timestamp: 2000 }), undefined)
    assert.deepEqual(await log.fetchOffset({ kind: 'maxTimestamp' }), { offset: 33, timestamp: 1112, leaderEpoch: 2 })
    assert.deepEqual(await log.fetchOffset({ kind: 'maxTimestamp' }, { locate: locateRecords }), { offset: 35, timestamp: 1112, leaderEpoch: 2 })
    await log.close()
  })
})

test('truncateTo removes the batch holding the offset and later segments; appends continue', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open({ config: { segmentBytes: 500 } })
    await appendAll(log, Array.from({ length: 20 }, () => ({ records: 2, valueSize: 30 })))
    log.updateHighWatermark(40)
    const segsBefore = log.segmentCount
    assert.equal(await log.truncateTo(13), true)
    assert.equal(log.logEndOffset, 12)
    assert.equal(log.highWatermark, 12)
    assert.ok(log.segmentCount < segsBefore)
    assert.equal(parseBatches(await log.readRecords({ fromOffset: 0, maxBytes: 1 << 20 })).at(-1)!.lastOffset, 11)
    const r = await log.appendAsLeader(buildBatch({ records: 2 }), { leaderEpoch: 1 })
    assert.equal(r.firstOffset, 12)
    assert.equal(await log.truncateTo(100), false)
    await log.truncateFullyAndStartAt(500)
    assert.deepEqual([log.logStartOffset, log.logEndOffset, log.segmentCount], [500, 500, 1])
    assert.equal((await log.appendAsLeader(buildBatch({ records: 1 }), { leaderEpoch: 1 })).firstOffset, 500)
    await log.close()
  })
})

test('deleteRecordsBefore moves the log start offset up to the high watermark and drops whole segments', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open({ config: { segmentBytes: 400 } })
    await appendAll(log, Array.from({ length: 20 }, () => ({ records: 2, valueSize: 30 })))
    await assert.rejects(log.deleteRecordsBefore(10), (e) => isStorageError(e, 'OFFSET_OUT_OF_RANGE'))
    log.updateHighWatermark(log.logEndOffset)
    const segs = log.segmentCount
    assert.equal(await log.deleteRecordsBefore(25), 25)
    assert.ok(log.segmentCount < segs)
    assert.ok(log.segmentBaseOffsets()[0]! <= 25)
    await assert.rejects(async () => log.read({ fromOffset: 24, maxBytes: 100 }), (e) => isStorageError(e, 'OFFSET_OUT_OF_RANGE'))
    const first = parseBatches(await log.readRecords({ fromOffset: 25, maxBytes: 1 << 20 }))[0]!
    assert.equal(first.baseOffset, 24) // the batch holding 25 comes whole
    assert.deepEqual(await log.fetchOffset({ kind: 'earliest' }), { offset: 25, timestamp: -1, leaderEpoch: 0 })
    await log.close()
  })
})

test('flush.messages fsyncs before acknowledging; the default leaves the recovery point until a flush', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open({ config: { flushMessages: 1 } })
    await appendAll(log, [{ records: 3 }])
    assert.equal(log.recoveryPoint, 3)
    log.updateConfig({ flushMessages: Number.POSITIVE_INFINITY })
    await appendAll(log, [{ records: 3 }])
    assert.equal(log.recoveryPoint, 3)
    assert.equal(log.unflushedMessages, 3)
    await log.flush()
    assert.equal(log.recoveryPoint, 6)
    await log.close()
  })
})

test('flush.ms: flushIfDue flushes once the last flush is older than flush.ms', async () => {
  await withLogEnv(async ({ open, clock }) => {
    const log = await open({ config: { flushMs: 1000 } })
    await appendAll(log, [{ records: 1 }])
    assert.equal(await log.flushIfDue(), false)
    clock.advance(1000)
    assert.equal(await log.flushIfDue(), true)
    assert.equal(log.recoveryPoint, 1)
    assert.equal(await log.flushIfDue(), false)
    await log.close()
  })
})

test('subscribers hear appends, high watermark moves and truncation', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open()
    const events: LogEvent[] = []
    const off = log.subscribe((e) => events.push(e))
    await appendAll(log, [{ records: 2 }, { records: 1 }])
    log.updateHighWatermark(3)
    log.updateHighWatermark(3)
    await log.truncateTo(2)
    off()
    await appendAll(log, [{ records: 1 }])
    assert.deepEqual(events, [
      { type: 'append', firstOffset: 0, lastOffset: 1, logEndOffset: 2 },
      { type: 'append', firstOffset: 2, lastOffset: 2, logEndOffset: 3 },
      { type: 'highWatermark', highWatermark: 3 },
      { type: 'truncate', logEndOffset: 2 },
    ])
    await log.close()
  })
})

test('a cleanly closed log reopens without scanning, at the same offsets', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open({ config: { segmentBytes: 700 } })
    await appendAll(log, Array.from({ length: 25 }, (_, i) => ({ records: 2, valueSize: 30, timestamp: 100 + i })))
    const before = await log.readRecords({ fromOffset: 0, maxBytes: 1 << 20 })
    await log.close()
    const again = await open({ hadCleanShutdown: true, recoveryPoint: 50 })
    assert.equal(again.recovery.scannedSegments, 0)
    assert.deepEqual([again.logEndOffset, again.recoveryPoint], [50, 50])
    assert.deepEqual(await again.readRecords({ fromOffset: 0, maxBytes: 1 << 20 }), before)
    assert.deepEqual(await again.fetchOffset({ kind: 'maxTimestamp' }), { offset: 48, timestamp: 124, leaderEpoch: 0 })
    assert.equal((await again.appendAsLeader(buildBatch({ records: 1 }), { leaderEpoch: 0 })).firstOffset, 50)
    await again.close()
  })
})

test('appendAsFollower keeps offsets and epochs, allows gaps, refuses going back', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open()
    const r = await log.appendAsFollower(Buffer.concat([buildBatch({ records: 2, baseOffset: 0, partitionLeaderEpoch: 3 }), buildBatch({ records: 2, baseOffset: 5, partitionLeaderEpoch: 3 })]))
    assert.deepEqual([r.firstOffset, r.lastOffset, log.logEndOffset], [0, 6, 7])
    await assert.rejects(log.appendAsFollower(buildBatch({ records: 1, baseOffset: 6 })), (e) => isStorageError(e, 'UNEXPECTED_APPEND_OFFSET'))
    const bad = buildBatch({ records: 1, baseOffset: 7 })
    bad[70]! ^= 1
    await assert.rejects(log.appendAsFollower(bad), (e) => isStorageError(e, 'CORRUPT_MESSAGE'))
    assert.deepEqual(log.leaderEpochs(), [{ epoch: 3, startOffset: 0 }])
    const read = parseBatches(await log.readRecords({ fromOffset: 3, maxBytes: 1 << 20 }))
    assert.equal(read[0]!.baseOffset, 5)
    await log.close()
  })
})

test('the leader epoch cache follows appends and truncation and is checkpointed', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open()
    await appendAll(log, [{ records: 2 }], 0)
    await appendAll(log, [{ records: 2 }], 1)
    await appendAll(log, [{ records: 2 }], 1)
    await appendAll(log, [{ records: 2 }], 3)
    assert.deepEqual(log.leaderEpochs(), [{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 2 }, { epoch: 3, startOffset: 6 }])
    assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 6 })
    assert.deepEqual(log.endOffsetForEpoch(2), { epoch: 1, endOffset: 6 })
    assert.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 8 })
    await log.truncateTo(6)
    await log.settle()
    assert.equal(await readFile(join(log.dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n2\n0 0\n1 2\n')
    await log.close()
  })
})

test('a topic id is written to partition.metadata and checked on reopen', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open({ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' })
    assert.equal(await readFile(join(log.dir, 'partition.metadata'), 'utf8'), 'version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n')
    await log.close()
    await assert.rejects(open({ topicId: 'BBBBBBBBBBBBBBBBBBBBBQ', hadCleanShutdown: true }), (e) => isStorageError(e, 'INCONSISTENT_TOPIC_ID'))
  })
})

test('concurrent appends get contiguous offsets in call order', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open({ config: { segmentBytes: 2000 } })
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.appendAsLeader(buildBatch({ records: 1 + (i % 3), valueSize: 40 }), { leaderEpoch: 0 })))
    let next = 0
    for (const r of results) {
      assert.equal(r.firstOffset, next)
      next = r.lastOffset + 1
    }
    const batches = parseBatches(await log.readRecords({ fromOffset: 0, maxBytes: 1 << 22 }))
    assert.equal(batches.length, 50)
    await log.close()
  })
})

test('a read racing an append never sees bytes past the log end offset it started with', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open()
    await appendAll(log, [{ records: 1 }])
    const pending = log.appendAsLeader(buildBatch({ records: 1, valueSize: 1000 }), { leaderEpoch: 0 })
    const reads = []
    for (let i = 0; i < 20; i++) {
      reads.push(Promise.resolve(log.read({ fromOffset: 0, maxBytes: 1 << 20 })).then((r) => ({ bytes: r.bytes, leo: r.logEndOffset })))
      await new Promise((resolve) => setImmediate(resolve))
    }
    await pending
    for (const r of await Promise.all(reads)) {
      assert.ok(r.leo === 1 ? r.bytes < 200 : r.bytes > 1000, JSON.stringify(r))
    }
    await log.close()
  })
})

test('lastStableOffset: an open transaction holds it at its first offset; its marker frees it once below the high watermark; truncating the marker holds it again', async () => {
  const { createEndTxnBatch } = await import('../../../src/protocol/records/control.js')
  const { encodeBatchSync } = await import('../../../src/protocol/records/batch.js')
  await withLogEnv(async ({ open }) => {
    const log = await open()
    const txn = (pid: number, seq: number) => buildBatch({ records: 2, producerId: pid, producerEpoch: 0, baseSequence: seq, attributes: 0x10 })
    const marker = (pid: number, commit: boolean) =>
      encodeBatchSync(createEndTxnBatch({ commit, producerId: BigInt(pid), producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1000n }))
    await log.appendAsLeader(buildBatch({ records: 3 }), { leaderEpoch: 0 })
    log.updateHighWatermark(log.logEndOffset)
    assert.equal(log.lastStableOffset, 3, 'no transaction: the high watermark')
    await log.appendAsLeader(txn(7, 0), { leaderEpoch: 0 }) // offsets 3-4
    await log.appendAsLeader(buildBatch({ records: 1 }), { leaderEpoch: 0 }) // 5
    await log.appendAsLeader(txn(8, 0), { leaderEpoch: 0 }) // 6-7
    log.updateHighWatermark(log.logEndOffset)
    assert.equal(log.highWatermark, 8)
    assert.equal(log.lastStableOffset, 3, 'the first open transaction')
    await log.appendAsLeader(marker(7, true), { leaderEpoch: 0, origin: { kind: 'coordinator' } }) // 8
    assert.equal(log.lastStableOffset, 3, 'the marker is not below the high watermark yet')
    log.updateHighWatermark(log.logEndOffset)
    assert.equal(log.lastStableOffset, 6, 'producer 8 is still open')
    await log.appendAsLeader(marker(8, false), { leaderEpoch: 0, origin: { kind: 'coordinator' } }) // 9
    log.updateHighWatermark(log.logEndOffset)
    assert.equal(log.lastStableOffset, 10)
    // A follower losing the abort marker: producer 8's transaction is open again.
    await log.truncateTo(9)
    assert.equal(log.lastStableOffset, 6)
    await log.close()
  })
})

test('.txnindex: an abort marker records its transaction (Kafka’s 34-byte entries) in its segment; kept across a reopen, dropped with a truncated marker and with deleted segments', async () => {
  const { createEndTxnBatch } = await import('../../../src/protocol/records/control.js')
  const { encodeBatchSync } = await import('../../../src/protocol/records/batch.js')
  await withLogEnv(async ({ open, dir }) => {
    let log = await open({ config: { segmentBytes: 400 } })
    const txn = (pid: number, seq: number) => buildBatch({ records: 2, producerId: pid, producerEpoch: 0, baseSequence: seq, attributes: 0x10 })
    const marker = (pid: number, commit: boolean) =>
      encodeBatchSync(createEndTxnBatch({ commit, producerId: BigInt(pid), producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1000n }))
    const coordinator = { leaderEpoch: 0, origin: { kind: 'coordinator' as const } }
    await log.appendAsLeader(txn(5, 0), { leaderEpoch: 0 }) // 0-1
    await log.appendAsLeader(txn(6, 0), { leaderEpoch: 0 }) // 2-3
    await log.appendAsLeader(marker(5, false), coordinator) // 4: abort
    await log.appendAsLeader(marker(6, true), coordinator) // 5: commit, not indexed
    await log.appendAsLeader(txn(5, 2), { leaderEpoch: 0 }) // 6-7
    await log.appendAsLeader(marker(5, false), coordinator) // 8: abort
    log.updateHighWatermark(log.logEndOffset)
    const all = [{ producerId: 5n, firstOffset: 0 }, { producerId: 5n, firstOffset: 6 }]
    assert.deepEqual(log.abortedTransactions(0, 9), all)
    assert.deepEqual(log.abortedTransactions(5, 9), [all[1]], 'only those overlapping the range')
    const files = (await readdir(dir)).filter((f) => f.endsWith('.txnindex'))
    assert.ok(files.length >= 1)
    const bytes = Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f)))))
    assert.equal(bytes.length, 2 * 34)
    assert.equal(bytes.readBigInt64BE(2), 5n)
    assert.equal(bytes.readBigInt64BE(18), 4n, 'the last offset is the marker’s')
    await log.close()
    log = await open({ config: { segmentBytes: 400 } })
    assert.deepEqual(log.abortedTransactions(0, 9), all, 'read back from the files')
    await log.truncateTo(8)
    assert.deepEqual(log.abortedTransactions(0, 9), [all[0]], 'the truncated marker’s entry is gone')
    await log.appendAsLeader(buildBatch({ records: 1 }), { leaderEpoch: 0 })
    log.updateHighWatermark(log.logEndOffset)
    await log.deleteRecordsBefore(log.logEndOffset)
    await log.settle()
    assert.deepEqual(log.abortedTransactions(0, 9), [], 'gone with its segment')
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.txnindex')), [])
    await log.close()
  })
})

test('.txnindex after an unclean shutdown: aborts past the recovery point whose entries were lost are indexed again from the log; a clean reopen replays nothing', async () => {
  const { createEndTxnBatch } = await import('../../../src/protocol/records/control.js')
  const { encodeBatchSync } = await import('../../../src/protocol/records/batch.js')
  const { rm } = await import('node:fs/promises')
  await withLogEnv(async ({ open, dir }) => {
    const cfg = { config: { segmentBytes: 400 } }
    let log = await open(cfg)
    const txn = (pid: number, seq: number) => buildBatch({ records: 2, producerId: pid, producerEpoch: 0, baseSequence: seq, attributes: 0x10 })
    const marker = (pid: number, commit: boolean) =>
      encodeBatchSync(createEndTxnBatch({ commit, producerId: BigInt(pid), producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1000n }))
    const coordinator = { leaderEpoch: 0, origin: { kind: 'coordinator' as const } }
    await log.appendAsLeader(txn(5, 0), { leaderEpoch: 0 }) // 0-1
    await log.appendAsLeader(txn(6, 0), { leaderEpoch: 0 }) // 2-3
    await log.appendAsLeader(marker(5, false), coordinator) // 4: abort, producer 6 still open
    await log.appendAsLeader(marker(6, true), coordinator) // 5: commit
    await log.appendAsLeader(txn(5, 2), { leaderEpoch: 0 }) // 6-7
    await log.appendAsLeader(marker(5, false), coordinator) // 8: abort
    log.updateHighWatermark(log.logEndOffset)
    const all = [{ producerId: 5n, firstOffset: 0 }, { producerId: 5n, firstOffset: 6 }]
    assert.deepEqual(log.abortedTransactions(0, 9), all)
    await log.close()
    // A power loss that kept the markers but not the index entries (they are not fsynced).
    for (const f of (await readdir(dir)).filter((f) => f.endsWith('.txnindex'))) await rm(join(dir, f))

    log = await open({ ...cfg, hadCleanShutdown: true, recoveryPoint: 9 })
    assert.deepEqual(log.abortedTransactions(0, 9), [], 'a clean shutdown trusts the index: nothing replayed')
    await log.close()

    log = await open({ ...cfg, hadCleanShutdown: false, recoveryPoint: 0 })
    assert.deepEqual(log.abortedTransactions(0, 9), all, 'both aborts indexed again')
    const bytes = Buffer.concat(await Promise.all((await readdir(dir)).filter((f) => f.endsWith('.txnindex')).map((f) => readFile(join(dir, f)))))
    assert.equal(bytes.length, 2 * 34, 'written to the files, once each')
    const lso = [bytes.readBigInt64BE(26), bytes.readBigInt64BE(34 + 26)].sort()
    assert.deepEqual(lso, [2n, 9n], 'last stable offsets as Kafka computes them: the open transaction of producer 6, then past the marker')
    assert.equal(log.lastStableOffset, log.highWatermark, 'no transaction is left open')
    await log.close()

    log = await open({ ...cfg, hadCleanShutdown: false, recoveryPoint: 0 })
    assert.equal(log.abortedTransactions(0, 9).length, 2, 'a second recovery adds nothing twice')
    await log.close()
  })
})

test('an epoch that starts at the log end (a leader that has not appended yet) survives a clean restart without rewriting the checkpoint; an unclean one drops it', async () => {
  await withLogEnv(async ({ dir, open }) => {
    const checkpoint = join(dir, 'leader-epoch-checkpoint')
    let log = await open()
    await appendAll(log, [{ records: 2 }], 0)
    await log.assignEpochStartOffset(3, 2)
    assert.deepEqual(log.leaderEpochs(), [{ epoch: 0, startOffset: 0 }, { epoch: 3, startOffset: 2 }])
    await log.close()
    const written = await readFile(checkpoint, 'utf8')
    const before = (await stat(checkpoint)).mtimeMs

    log = await open({ hadCleanShutdown: true, recoveryPoint: 2 })
    assert.deepEqual(log.leaderEpochs(), [{ epoch: 0, startOffset: 0 }, { epoch: 3, startOffset: 2 }])
    // The leader assigning its epoch again at the same offset is no change either.
    await log.assignEpochStartOffset(3, 2)
    await log.close()
    assert.equal(await readFile(checkpoint, 'utf8'), written)
    assert.equal((await stat(checkpoint)).mtimeMs, before, 'not rewritten')

    // Unclean: the epoch may be an append that never landed; Kafka's rule drops it.
    log = await open({ hadCleanShutdown: false, recoveryPoint: 0 })
    assert.deepEqual(log.leaderEpochs(), [{ epoch: 0, startOffset: 0 }])
    await log.close()
  })
})

/** What `p` resolved to after the microtasks queued now have run, or 'pending': a read through libuv's thread pool needs a turn of the event loop. */
async function settledAtOnce<T>(p: T | Promise<T>): Promise<T | 'pending'> {
  let out: T | 'pending' = 'pending'
  void Promise.resolve(p).then((v) => (out = v))
  for (let i = 0; i < 10; i++) await Promise.resolve()
  return out
}

test('read: offsets among the active segment\'s newest batches are found at once (no promise); older ones through the index, asynchronously, with the same answer', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open({ config: { segmentBytes: 200_000 } })
    await appendAll(log, Array.from({ length: 6 }, () => ({ records: 2, valueSize: 20_000 })))
    assert.ok(log.segmentCount >= 2, `segments: ${log.segmentCount}`)
    await appendAll(log, Array.from({ length: 5 }, () => ({ records: 3, valueSize: 100 })))
    const leo = log.logEndOffset
    // A consumer keeping up: from the middle of the newest batch, and at the log end.
    const tail = log.read({ fromOffset: leo - 2, maxBytes: 1 << 20 })
    assert.ok(!(tail instanceof Promise), 'a read of the newest batches answered without a promise')
    assert.equal(tail.ranges.length, 1)
    assert.equal(tail.ranges[0]!.firstOffset, leo - 3)
    const atEnd = log.read({ fromOffset: leo, maxBytes: 1 << 20 })
    assert.ok(!(atEnd instanceof Promise))
    assert.deepEqual(atEnd.ranges, [])
    // The first segment: through its index and file.
    const old = log.read({ fromOffset: 1, maxBytes: 1 })
    assert.ok(old instanceof Promise, 'a read of an older segment goes through the index')
    const r = await old
    assert.equal(r.ranges[0]!.firstOffset, 0)
    // Both ways give the bytes readRecords gives.
    const whole = parseBatches(await log.readRecords({ fromOffset: 0, maxBytes: 1 << 30 }))
    const tailBytes = log.readRange(tail.ranges[0]!)
    assert.ok(Buffer.isBuffer(tailBytes))
    assert.deepEqual(parseBatches(tailBytes).map((b) => b.baseOffset), whole.filter((b) => b.baseOffset >= leo - 3).map((b) => b.baseOffset))
    // Failures stay rejections, so callers may chain on any answer.
    await log.close()
    const closed = log.read({ fromOffset: 0, maxBytes: 1 })
    assert.ok(closed instanceof Promise)
    await assert.rejects(closed, (e) => isStorageError(e, 'LOG_CLOSED'))
  })
})

test('readRange: a small range at the end of the active segment is read at once (no thread pool); a large one, or one in an older segment, the asynchronous way; all give the same bytes', async () => {
  await withLogEnv(async ({ open }) => {
    const log = await open({ config: { segmentBytes: 200_000 } })
    await appendAll(log, Array.from({ length: 6 }, () => ({ records: 2, valueSize: 20_000 })))
    assert.ok(log.segmentCount >= 2, `segments: ${log.segmentCount}`)
    await appendAll(log, [{ records: 1, valueSize: 100 }, { records: 1, valueSize: 70 * 1024 }, { records: 1, valueSize: 100 }])
    const leo = log.logEndOffset
    const whole = parseBatches(await log.readRecords({ fromOffset: 0, maxBytes: 1 << 30 }))
    const bytesOf = async (fromOffset: number, maxBytes: number) => {
      const r = await log.read({ fromOffset, maxBytes, minOneBatch: true })
      assert.equal(r.ranges.length, 1)
      return { range: r.ranges[0]!, expected: whole.filter((b) => b.baseOffset >= r.ranges[0]!.firstOffset)[0]! }
    }
    // The last batch, small, at the tail: resolved before any I/O could complete.
    const tail = await bytesOf(leo - 1, 1)
    const hot = log.readRange(tail.range)
    assert.ok(Buffer.isBuffer(hot), 'the tail read is answered at once, not in a promise')
    assert.equal(parseBatches(hot as Buffer)[0]!.baseOffset, leo - 1)
    assert.equal((hot as Buffer).length, tail.range.length)
    // The same with a buffer to read into (every broker Fetch gives one): read at once, into it.
    const into = Buffer.alloc(tail.range.length + 10)
    const hotInto = log.readRange(tail.range, into)
    assert.ok(Buffer.isBuffer(hotInto), 'the tail read into a given buffer is answered at once')
    assert.equal((hotInto as Buffer).buffer, into.buffer)
    assert.ok((hotInto as Buffer).equals(hot as Buffer))
    // The 70 KiB batch before it: too large to copy on the event loop.
    const large = await bytesOf(leo - 2, 1)
    const p = log.readRange(large.range)
    assert.equal(await settledAtOnce(p), 'pending')
    assert.equal(parseBatches(await p)[0]!.baseOffset, leo - 2)
    // The first segment is not the active one.
    const old = await bytesOf(0, 1)
    const q = log.readRange(old.range)
    assert.equal(await settledAtOnce(q), 'pending')
    assert.equal(parseBatches(await q)[0]!.baseOffset, 0)
    await log.close()
  })
})
