/**
 * The producer's fast encoder (records written straight into the batch buffer, header filled
 * in at the end) against the record layer: on random records and every codec, its batches are
 * the bytes records/batch.ts encodes for the same records, decode back to what was appended,
 * and pass the broker's validation.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { BATCH_HEADER_SIZE, isBatchCrcValid } from '../../../src/protocol/records/batch-header.js'
import { createBatch, decodeBatch, encodeBatch, TimestampType, validateBatch } from '../../../src/protocol/records/batch.js'
import { ProducerBatch, recordSizeInBatch, type WireHeader } from '../../../src/client/producer/producer-batch.js'
import { validateRecordBatches } from '../../../src/storage/log/validator.js'
import { ALL_CODECS, bytes } from '../../protocol/records/arbitraries.js'

interface Appended {
  timestamp: number
  key: Buffer | null
  value: string | Buffer | null
  headers: WireHeader[] | null
}

const text = fc.string({ unit: 'grapheme', maxLength: 24 })
const wireValue: fc.Arbitrary<string | Buffer | null> = fc.oneof(text, bytes(64), fc.constant(null))

/** Timestamps as a producer takes them: mostly close together, in any order, sometimes far apart. */
const appended = (t0: number): fc.Arbitrary<Appended> =>
  fc.record({
    timestamp: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: t0 - 1000, max: t0 + 100_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 45 }) }),
    key: fc.option(bytes(32), { nil: null }),
    value: wireValue,
    headers: fc.option(fc.array(fc.tuple(text, wireValue), { maxLength: 4 }), { nil: null }),
  }, { noNullPrototype: true })

const toBuffer = (v: string | Buffer | null): Buffer | null => (typeof v === 'string' ? Buffer.from(v) : v)

/** The batch records/batch.ts builds for the same appends: what the producer's bytes must equal. */
function expectedBatch(records: Appended[], codec: number) {
  const base = records[0]!.timestamp
  return createBatch({
    baseTimestamp: BigInt(base),
    maxTimestamp: BigInt(Math.max(...records.map((r) => r.timestamp))),
    compression: codec,
    records: records.map((r, i) => ({
      attributes: 0,
      timestampDelta: r.timestamp - base,
      offsetDelta: i,
      key: r.key,
      value: toBuffer(r.value),
      headers: (r.headers ?? []).map(([key, value]) => ({ key, value: toBuffer(value) })),
    })),
  })
}

const cases = fc.record({
  codec: fc.constantFrom(...ALL_CODECS),
  records: fc.integer({ min: 0, max: 2 ** 44 }).chain((t0) => fc.array(appended(t0), { minLength: 1, maxLength: 20 })),
}, { noNullPrototype: true })

test('producer batch: its bytes are what records/batch.ts encodes, and decode to the records appended (every codec)', async () => {
  await fc.assert(
    fc.asyncProperty(cases, async ({ codec, records }) => {
      const base = records[0]!.timestamp
      // Sized exactly, in a pooled buffer full of old bytes: every header byte must be written.
      const capacity = BATCH_HEADER_SIZE + records.reduce((n, r, i) => n + recordSizeInBatch(r.timestamp - base, i, r.key, r.value, r.headers), 0)
      const pb = new ProducerBatch('t', 0, capacity, 0, Buffer.alloc(capacity, 0xa5))
      for (const [i, r] of records.entries()) assert.equal(pb.tryAppend(r.timestamp, r.key, r.value, r.headers), i)
      assert.equal(pb.isFull(), true, 'the exact size was used')
      const wire = await pb.wireBytes(codec)

      const expected = expectedBatch(records, codec)
      assert.deepEqual(wire, await encodeBatch(expected), 'byte for byte the record layer’s batch')
      assert.equal(validateBatch(wire), null)
      assert.equal(isBatchCrcValid(wire), true)
      const decoded = await decodeBatch(wire)
      assert.deepEqual(decoded, {
        ...expected,
        baseOffset: 0n,
        partitionLeaderEpoch: -1,
        timestampType: TimestampType.CreateTime,
        isTransactional: false,
        isControl: false,
        hasDeleteHorizon: false,
        lastOffsetDelta: records.length - 1,
        producerId: -1n,
        producerEpoch: -1,
        baseSequence: -1,
      })
      const validated = validateRecordBatches(wire, { fromClient: true })
      assert.equal(validated.recordCount, records.length)
      assert.equal(validated.batches[0]!.producerId, -1n)
      // A retry resends the very same bytes.
      assert.equal(await pb.wireBytes(codec), wire)
    }),
    { numRuns: 200 },
  )
})
