/**
 * batchInfoAt and BatchScanner: the header fields storage keeps per batch, producer fields
 * included, read from batches the record layer encodes.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createBatch, encodeBatch } from '../../../src/protocol/records/batch.js'
import { BatchScanner, batchInfoAt, NO_PRODUCER_ID } from '../../../src/storage/log/batch-scanner.js'
import { batch } from '../../protocol/records/arbitraries.js'

/** Batches whose offsets and timestamps storage can hold as numbers (below 2^53). */
const storableBatch = fc
  .tuple(batch(), fc.integer({ min: 0, max: 2 ** 52 }), fc.integer({ min: -1, max: 2 ** 52 }))
  .map(([b, baseOffset, maxTimestamp]) => ({ ...b, baseOffset: BigInt(baseOffset), maxTimestamp: BigInt(maxTimestamp) }))

test('batchInfoAt reads every header field storage keeps, producer id, epoch, sequence and flags included', async () => {
  await fc.assert(
    fc.asyncProperty(storableBatch, fc.integer({ min: 0, max: 100 }), async (b, pad) => {
      const bytes = await encodeBatch(b)
      // At an arbitrary position in a larger buffer, as the scanner's chunks hold batches.
      const buf = Buffer.concat([Buffer.alloc(pad, 0xee), bytes, Buffer.alloc(3, 0xee)])
      assert.deepEqual(batchInfoAt(buf, pad, 1234), {
        position: 1234,
        size: bytes.length,
        baseOffset: Number(b.baseOffset),
        lastOffset: Number(b.baseOffset) + b.lastOffsetDelta,
        maxTimestamp: Number(b.maxTimestamp),
        partitionLeaderEpoch: b.partitionLeaderEpoch,
        recordCount: b.records.length,
        producerId: b.producerId,
        producerEpoch: b.producerEpoch,
        baseSequence: b.baseSequence,
        isTransactional: b.isTransactional,
        isControl: b.isControl,
      })
    }),
    { numRuns: 150 },
  )
})

test('batchInfoAt: no producer id reads as -1, and ids using all 64 bits stay exact', async () => {
  for (const producerId of [-1n, 0n, 1n, 2n ** 32n - 1n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), -2n, -(2n ** 32n) - 1n]) {
    const info = batchInfoAt(await encodeBatch(createBatch({ baseTimestamp: 0n, records: [], producerId })), 0, 0)
    assert.equal(info.producerId, producerId)
  }
  assert.equal(NO_PRODUCER_ID, -1n)
})

const oneRecord = [{ attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('v'), headers: [] }]

test('the batch scanner reports the producer fields of each batch it walks', async () => {
  const a = await encodeBatch(createBatch({ baseOffset: 0n, baseTimestamp: 1000n, records: oneRecord, producerId: 2n ** 62n + 5n, producerEpoch: 7, baseSequence: 11, isTransactional: true }))
  const b = await encodeBatch(createBatch({ baseOffset: 1n, baseTimestamp: 1000n, records: oneRecord, producerId: 9n, producerEpoch: 2, isTransactional: true, isControl: true }))
  const file = Buffer.concat([a, b])
  // Chunks smaller than a batch, so the second header is read across a chunk boundary.
  const scanner = new BatchScanner({ read: async (p, l) => file.subarray(p, p + l), from: 0, end: file.length, chunkSize: 70 })
  const seen = []
  for (let s = await scanner.next(); s; s = await scanner.next()) seen.push([s.producerId, s.producerEpoch, s.baseSequence, s.isTransactional, s.isControl])
  assert.equal(scanner.stop, 'end')
  assert.deepEqual(seen, [
    [2n ** 62n + 5n, 7, 11, true, false],
    [9n, 2, -1, true, true],
  ])
})
