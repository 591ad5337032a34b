/** fast-check generators shared by the record-layer tests. */
import fc from 'fast-check'
import { CompressionCodec } from '../../../src/protocol/records/batch-header.js'
import { TimestampType, type RecordBatch } from '../../../src/protocol/records/batch.js'
import type { BatchRecord, RecordHeader } from '../../../src/protocol/records/record.js'

export const ALL_CODECS = [
  CompressionCodec.None,
  CompressionCodec.Gzip,
  CompressionCodec.Snappy,
  CompressionCodec.Lz4,
  CompressionCodec.Zstd,
] as const

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

export const bytes = (maxLength = 48): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a))
export const nullableBytes = (maxLength = 48): fc.Arbitrary<Buffer | null> => fc.option(bytes(maxLength), { nil: null })

export const header: fc.Arbitrary<RecordHeader> = fc.record({
  key: fc.string({ unit: 'grapheme', maxLength: 12 }),
  value: nullableBytes(16),
}, { noNullPrototype: true })

/** Mostly small deltas, sometimes the extremes varlongs must carry. */
export const timestampDelta = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -1000, max: 100_000 }) },
  { weight: 1, arbitrary: fc.maxSafeInteger() },
  { weight: 1, arbitrary: fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 52, -(2 ** 52), 2 ** 31, -(2 ** 31) - 1) },
)

export const record = (offsetDelta: fc.Arbitrary<number> = fc.integer({ min: 0, max: 2 ** 31 - 1 })): fc.Arbitrary<BatchRecord> =>
  fc.record({
    attributes: fc.constant(0),
    timestampDelta,
    offsetDelta,
    key: nullableBytes(),
    value: nullableBytes(),
    headers: fc.array(header, { maxLength: 4 }),
  }, { noNullPrototype: true })

/** Records with strictly increasing offset deltas from 0, as a producer (or the cleaner) leaves them. */
export const records = (maxLength = 12): fc.Arbitrary<BatchRecord[]> =>
  fc.array(fc.tuple(record(fc.constant(0)), fc.integer({ min: 0, max: 3 })), { maxLength }).map((pairs) => {
    let next = 0
    return pairs.map(([r, gap], i) => {
      next += i === 0 ? gap : gap + 1
      return { ...r, offsetDelta: next }
    })
  })

export const batch = (opts: { codecs?: readonly CompressionCodec[] } = {}): fc.Arbitrary<RecordBatch> =>
  fc
    .record({
      baseOffset: fc.bigInt({ min: 0n, max: INT64_MAX }),
      partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
      compression: fc.constantFrom(...(opts.codecs ?? ALL_CODECS)),
      timestampType: fc.constantFrom(TimestampType.CreateTime, TimestampType.LogAppendTime),
      isTransactional: fc.boolean(),
      isControl: fc.boolean(),
      hasDeleteHorizon: fc.boolean(),
      extraLastOffsetDelta: fc.integer({ min: 0, max: 5 }),
      baseTimestamp: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
      maxTimestamp: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
      producerId: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
      producerEpoch: fc.integer({ min: -32768, max: 32767 }),
      baseSequence: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      records: records(),
    }, { noNullPrototype: true })
    .map(({ extraLastOffsetDelta, ...b }) => ({
      ...b,
      lastOffsetDelta: (b.records.at(-1)?.offsetDelta ?? 0) + extraLastOffsetDelta,
    }))

/** What decoding gives back for an encoded record: attributes always present. */
export function normalizeRecord(r: BatchRecord): BatchRecord {
  return { ...r, attributes: r.attributes ?? 0 }
}

/** A batch as decoding reports it (record attributes filled in). */
export function normalizeBatch(b: RecordBatch): RecordBatch {
  return { ...b, records: b.records.map(normalizeRecord) }
}
