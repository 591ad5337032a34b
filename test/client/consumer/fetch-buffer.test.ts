/**
 * Decoding of fetched data (fetch-buffer.ts) from batches built with the records layer: every
 * record field, records before the fetch offset, control batches, aborted transactions under
 * read_committed, compression (zstd through the asynchronous path), CRC checks, partial
 * trailing batches, and the buffer's stale / paused handling. Property tests at the end check
 * the lazy decoder against the record layer's decodeBatch on random batches.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { crc32 } from '@node-rs/crc32'
import fc from 'fast-check'
import { CompressionCodec } from '../../../src/protocol/records/batch-header.js'
import { createBatch, decodeBatch, encodeBatch, encodeBatchSync, recordTimestamp, TimestampType, type BatchInit, type RecordBatch } from '../../../src/protocol/records/batch.js'
import { createEndTxnBatch } from '../../../src/protocol/records/control.js'
import { ALL_CODECS, batch as randomBatch } from '../../protocol/records/arbitraries.js'
import { CompletedFetch, FetchBuffer, scanBatches, type AbortedTransaction } from '../../../src/client/consumer/fetch-buffer.js'
import { PartitionState } from '../../../src/client/consumer/subscription-state.js'
import type { ConsumerRecord } from '../../../src/client/consumer/types.js'

const rec = (offsetDelta: number, value: string | null, extra: { key?: Buffer | null; timestampDelta?: number; headers?: Array<{ key: string; value: Buffer | null }> } = {}) => ({
  timestampDelta: extra.timestampDelta ?? offsetDelta,
  offsetDelta,
  key: extra.key ?? null,
  value: value === null ? null : Buffer.from(value),
  headers: extra.headers ?? [],
})

function batch(baseOffset: bigint, values: Array<string | null>, init: Partial<BatchInit> = {}): Buffer {
  return encodeBatchSync(createBatch({ baseOffset, baseTimestamp: 1_000_000n, records: values.map((v, i) => rec(i, v)), ...init }))
}

function fetched(records: Buffer, o: { fetchOffset?: bigint; readCommitted?: boolean; aborted?: AbortedTransaction[]; checkCrcs?: boolean; state?: PartitionState } = {}): CompletedFetch {
  const state = o.state ?? new PartitionState('t', 3)
  const scan = scanBatches(records)
  return new CompletedFetch(
    { state, fetchEpoch: state.fetchEpoch, fetchOffset: o.fetchOffset ?? 0n, records, highWatermark: 100n, lastStableOffset: 100n, logStartOffset: 0n, abortedTransactions: o.aborted ?? null },
    scan.end,
    scan.nextOffset!,
    { checkCrcs: o.checkCrcs ?? true, readCommitted: o.readCommitted ?? false },
  )
}

function drain(cf: CompletedFetch): ConsumerRecord[] {
  const out: ConsumerRecord[] = []
  while (cf.decodeNext()) out.push(...cf.records)
  return out
}

const values = (rs: ConsumerRecord[]) => rs.map((r) => (r.value === null ? null : r.value.toString()))

test('fetch buffer: every record field, as Kafka defines it', () => {
  const b = encodeBatchSync(
    createBatch({
      baseOffset: 40n,
      baseTimestamp: 1_700_000_000_000n,
      partitionLeaderEpoch: 7,
      records: [
        rec(0, 'a', { key: Buffer.from('k'), timestampDelta: 5, headers: [{ key: 'h', value: Buffer.from('x') }, { key: 'h', value: null }, { key: 'é', value: Buffer.alloc(0) }] }),
        rec(2, null, { timestampDelta: -3 }),
        rec(3, '', { key: Buffer.alloc(0), timestampDelta: 2 ** 40 }),
      ],
    }),
  )
  const cf = fetched(b, { fetchOffset: 40n })
  assert.equal(cf.nextFetchOffset, 44n)
  const [r0, r1, r2] = drain(cf)
  assert.deepEqual(r0, {
    topic: 't',
    partition: 3,
    offset: 40n,
    timestamp: 1_700_000_000_005,
    timestampType: 'CreateTime',
    key: Buffer.from('k'),
    value: Buffer.from('a'),
    headers: [{ key: 'h', value: Buffer.from('x') }, { key: 'h', value: null }, { key: 'é', value: Buffer.alloc(0) }],
    leaderEpoch: 7,
  })
  assert.deepEqual([r1!.offset, r1!.timestamp, r1!.key, r1!.value, r1!.headers], [42n, 1_699_999_999_997, null, null, []])
  assert.deepEqual([r2!.offset, r2!.timestamp, r2!.key, r2!.value], [43n, 1_700_000_000_000 + 2 ** 40, Buffer.alloc(0), Buffer.alloc(0)])

  const lat = encodeBatchSync(createBatch({ baseOffset: 0n, baseTimestamp: 5n, maxTimestamp: 9_999n, timestampType: TimestampType.LogAppendTime, records: [rec(0, 'x'), rec(1, 'y')] }))
  const [l0, l1] = drain(fetched(lat))
  assert.deepEqual([l0!.timestampType, l0!.timestamp, l1!.timestamp, l0!.leaderEpoch], ['LogAppendTime', 9999, 9999, null])
})

test('fetch buffer: records before the fetch offset are skipped, a partial trailing batch is ignored', () => {
  const whole = Buffer.concat([batch(10n, ['a', 'b', 'c']), batch(13n, ['d', 'e'])])
  const cut = Buffer.concat([whole, batch(15n, ['f']).subarray(0, 30)])
  const scan = scanBatches(cut)
  assert.equal(scan.end, whole.length)
  assert.equal(scan.nextOffset, 15n)
  const cf = fetched(cut, { fetchOffset: 11n })
  assert.deepEqual(values(drain(cf)), ['b', 'c', 'd', 'e'])
  assert.deepEqual(values(drain(fetched(cut, { fetchOffset: 14n }))), ['e'])
})

test('fetch buffer: control batches are never delivered; read_committed drops aborted transactions only', () => {
  const pid = (n: number) => ({ producerId: BigInt(n), producerEpoch: 0, isTransactional: true })
  const data = Buffer.concat([
    batch(0n, ['plain0']),
    batch(1n, ['p1-aborted-a', 'p1-aborted-b'], pid(1)),
    batch(3n, ['p2-committed'], pid(2)),
    encodeBatchSync(createEndTxnBatch({ commit: false, producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1n, baseOffset: 4n })),
    encodeBatchSync(createEndTxnBatch({ commit: true, producerId: 2n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1n, baseOffset: 5n })),
    // Producer 1 again, in a later transaction that commits: not aborted any more.
    batch(6n, ['p1-committed'], pid(1)),
    encodeBatchSync(createEndTxnBatch({ commit: true, producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1n, baseOffset: 7n })),
    batch(8n, ['plain8']),
  ])
  const aborted = [{ producerId: 1n, firstOffset: 1n }]
  assert.deepEqual(values(drain(fetched(data, { aborted }))), ['plain0', 'p1-aborted-a', 'p1-aborted-b', 'p2-committed', 'p1-committed', 'plain8'], 'read_uncommitted')
  const cf = fetched(data, { aborted, readCommitted: true })
  assert.deepEqual(values(drain(cf)), ['plain0', 'p2-committed', 'p1-committed', 'plain8'], 'read_committed')
  assert.equal(cf.nextFetchOffset, 9n)
  // A fetch holding only a marker delivers nothing but still moves the fetch position past it.
  const markerOnly = fetched(encodeBatchSync(createEndTxnBatch({ commit: true, producerId: 2n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1n, baseOffset: 20n })), { fetchOffset: 20n })
  assert.equal(markerOnly.decodeNext(), false)
  assert.equal(markerOnly.nextFetchOffset, 21n)
})

test('fetch buffer: compressed batches decode (zstd through the asynchronous path)', async () => {
  for (const compression of [CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd]) {
    const records = Array.from({ length: 50 }, (_, i) => rec(i, `value-${i}`.repeat(5)))
    const b = await encodeBatch(createBatch({ baseOffset: 100n, baseTimestamp: 1n, records, compression }))
    const scan = scanBatches(b)
    assert.equal(scan.needsAsync, compression === CompressionCodec.Zstd)
    const cf = fetched(b, { fetchOffset: 120n })
    if (scan.needsAsync) await cf.inflateAsync()
    const out = drain(cf)
    assert.deepEqual(out.map((r) => r.offset), Array.from({ length: 30 }, (_, i) => BigInt(120 + i)), `codec ${compression}`)
    assert.equal(out[0]!.value!.toString(), 'value-20'.repeat(5))
  }
})

test('fetch buffer: a corrupted batch fails its CRC check unless checkCrcs is off; legacy v0/v1 messages decode', () => {
  const b = batch(0n, ['hello'])
  b[b.length - 2] ^= 0xff
  assert.throws(() => drain(fetched(b)), /CRC/)
  assert.equal(drain(fetched(b, { checkCrcs: false })).length, 1)

  // A v1 message: offset 7, timestamp 1234, key "k", value "v1".
  const body = Buffer.alloc(2 + 8 + 4 + 1 + 4 + 2)
  let p = body.writeInt8(1, 0)
  p = body.writeInt8(0, p)
  p = body.writeBigInt64BE(1234n, p)
  p = body.writeInt32BE(1, p)
  p += body.write('k', p)
  p = body.writeInt32BE(2, p)
  body.write('v1', p)
  const head = Buffer.alloc(16)
  head.writeBigInt64BE(7n, 0)
  head.writeInt32BE(4 + body.length, 8)
  head.writeUInt32BE(crc32(body), 12)
  const [m] = drain(fetched(Buffer.concat([head, body]), { fetchOffset: 7n }))
  assert.deepEqual([m!.offset, m!.timestamp, m!.key!.toString(), m!.value!.toString(), m!.headers], [7n, 1234, 'k', 'v1', []])
})

test('fetch buffer: delivery order, paused partitions kept for later, stale fetches dropped, byte accounting', () => {
  const buf = new FetchBuffer()
  const a = new PartitionState('t', 0)
  const b = new PartitionState('t', 1)
  const fa = fetched(batch(0n, ['a0']), { state: a })
  const fb = fetched(batch(0n, ['b0']), { state: b })
  buf.add(fa)
  buf.add(fb)
  assert.equal(buf.bytes, fa.size + fb.size)
  assert.equal(a.bufferedBytes, fa.size)
  assert.equal(buf.next(), fa)
  a.paused = true
  assert.equal(buf.next(), fb, 'a paused partition is skipped, not dropped')
  a.paused = false
  assert.equal(buf.next(), fa)
  a.seek(5n)
  assert.equal(buf.next(), fb, 'a seek makes the buffered fetch stale')
  assert.equal(a.bufferedBytes, 0)
  buf.remove(fb)
  assert.equal(buf.next(), undefined)
  assert.equal(buf.bytes, 0)
})

// ---- the lazy decoder against records/batch.ts, on random batches ---------------------------------

/**
 * Random batches the consumer can hand out exactly: timestamps within 2^46 of zero and record
 * deltas within 2^46 (the decoder adds them as numbers, exact below 2^53), and a LogAppendTime
 * batch's time not negative (a broker's clock never is). Offsets are set by `chain`.
 */
const deliverableBatch = (codecs: readonly CompressionCodec[] = ALL_CODECS): fc.Arbitrary<RecordBatch> =>
  fc
    .tuple(randomBatch({ codecs }), fc.integer({ min: -1, max: 2 ** 46 }), fc.integer({ min: 0, max: 2 ** 46 }), fc.integer({ min: 0, max: 3 }))
    .map(([b, baseTimestamp, maxTimestamp, gap]) => ({
      ...b,
      baseTimestamp: BigInt(baseTimestamp),
      maxTimestamp: BigInt(maxTimestamp),
      records: b.records.map((r) => ({ ...r, timestampDelta: r.timestampDelta % 2 ** 46 })),
      // Carried to `chain`: compaction leaves gaps between batches.
      baseOffset: BigInt(gap),
    }))

/** Gives the batches consecutive offsets from `first` (each batch's baseOffset holds its gap). */
function chain(batches: RecordBatch[], first: bigint): RecordBatch[] {
  let next = first
  return batches.map((b) => {
    const placed = { ...b, baseOffset: next + b.baseOffset }
    next = placed.baseOffset + BigInt(b.lastOffsetDelta) + 1n
    return placed
  })
}

/** What the consumer must hand out for one batch the record layer decoded. */
function expectedRecords(b: RecordBatch, fetchOffset: bigint): ConsumerRecord[] {
  if (b.isControl) return []
  return b.records
    .map((r) => ({
      topic: 't',
      partition: 3,
      offset: b.baseOffset + BigInt(r.offsetDelta),
      timestamp: Number(recordTimestamp(b, r)),
      timestampType: b.timestampType === TimestampType.LogAppendTime ? ('LogAppendTime' as const) : ('CreateTime' as const),
      key: r.key,
      value: r.value,
      headers: r.headers,
      leaderEpoch: b.partitionLeaderEpoch >= 0 ? b.partitionLeaderEpoch : null,
    }))
    .filter((r) => r.offset >= fetchOffset)
}

/** Frames, decompresses (ahead of time when it must) and drains a fetch, checking the framing. */
async function drainChecked(data: Buffer, complete: Buffer[], decoded: RecordBatch[], o: Parameters<typeof fetched>[1]): Promise<ConsumerRecord[]> {
  const scan = scanBatches(data)
  assert.equal(scan.end, complete.reduce((n, b) => n + b.length, 0), 'a partial trailing batch is not framed')
  const last = decoded.at(-1)!
  assert.equal(scan.nextOffset, last.baseOffset + BigInt(last.lastOffsetDelta) + 1n)
  assert.equal(scan.needsAsync, decoded.some((b) => b.compression === CompressionCodec.Zstd))
  const cf = fetched(data, o)
  if (scan.needsAsync) await cf.inflateAsync()
  return drain(cf)
}

const fetchCase = fc.record({
  batches: fc.array(deliverableBatch(), { minLength: 1, maxLength: 5 }),
  first: fc.bigInt({ min: 0n, max: 2n ** 62n }),
  trailing: fc.option(fc.tuple(deliverableBatch(), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })), { nil: null }),
  fetchAt: fc.double({ min: 0, max: 1, noNaN: true }),
  checkCrcs: fc.boolean(),
}, { noNullPrototype: true })

test('fetch buffer: random batches (codecs, flags, gaps, a partial tail) read exactly as decodeBatch reads them', async () => {
  await fc.assert(
    fc.asyncProperty(fetchCase, async ({ batches, first, trailing, fetchAt, checkCrcs }) => {
      const placed = chain(trailing ? [...batches, trailing[0]] : batches, first)
      const encoded = await Promise.all(placed.map((b) => encodeBatch(b)))
      const complete = trailing ? encoded.slice(0, -1) : encoded
      const cut = trailing ? [encoded.at(-1)!.subarray(0, 1 + Math.floor(trailing[1] * (encoded.at(-1)!.length - 1)))] : []
      const data = Buffer.concat([...complete, ...cut])
      const decoded = await Promise.all(complete.map((b) => decodeBatch(b)))
      const last = decoded.at(-1)!
      const end = last.baseOffset + BigInt(last.lastOffsetDelta) + 1n
      const fetchOffset = first + BigInt(Math.floor(fetchAt * Number(end - first)))
      const expected = decoded.flatMap((b) => expectedRecords(b, fetchOffset))
      assert.deepEqual(await drainChecked(data, complete, decoded, { fetchOffset, checkCrcs }), expected)
    }),
    { numRuns: 150 },
  )
})

/** One step of a partition's log under transactions: a data batch, or a transaction marker. */
type Step = { kind: 'data'; producer: number; transactional: boolean; batch: RecordBatch } | { kind: 'marker'; producer: number; commit: boolean }

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('data' as const),
      // -1: no producer id; 0-2 transactional or idempotent producers.
      producer: fc.integer({ min: -1, max: 2 }),
      transactional: fc.boolean(),
      batch: deliverableBatch().map((b) => ({ ...b, records: b.records.length > 0 ? b.records : [{ attributes: 0, timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('x'), headers: [] }], isControl: false })),
    }, { noNullPrototype: true }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('marker' as const), producer: fc.integer({ min: 0, max: 2 }), commit: fc.boolean() }, { noNullPrototype: true }) },
)

test('fetch buffer: under read_committed, random transactions lose exactly their aborted batches', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), fc.bigInt({ min: 0n, max: 2n ** 40n }), fc.double({ min: 0, max: 1, noNaN: true }), async (steps, first, fetchAt) => {
      const batches: RecordBatch[] = []
      /** Per transactional producer: the first offset and batches of its open transaction. */
      const open = new Map<number, { firstOffset: bigint; batches: RecordBatch[] }>()
      const abortedBatches = new Set<RecordBatch>()
      const aborted: AbortedTransaction[] = []
      let next = first
      for (const s of steps) {
        const producerId = BigInt(1000 + s.producer)
        if (s.kind === 'marker') {
          const txn = open.get(s.producer)
          // A coordinator writes a marker only to partitions the transaction wrote to.
          if (!txn) continue
          open.delete(s.producer)
          if (!s.commit) {
            aborted.push({ producerId, firstOffset: txn.firstOffset })
            for (const b of txn.batches) abortedBatches.add(b)
          }
          batches.push(createEndTxnBatch({ commit: s.commit, producerId, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1n, baseOffset: next }))
          next += 1n
          continue
        }
        const transactional = s.producer >= 0 && s.transactional
        const b: RecordBatch = { ...s.batch, baseOffset: next, isTransactional: transactional, producerId: s.producer >= 0 ? producerId : -1n }
        if (transactional) {
          const txn = open.get(s.producer) ?? { firstOffset: next, batches: [] }
          txn.batches.push(b)
          open.set(s.producer, txn)
        }
        batches.push(b)
        next += BigInt(b.lastOffsetDelta) + 1n
      }
      if (batches.length === 0) return
      const encoded = await Promise.all(batches.map((b) => encodeBatch(b)))
      const decoded = await Promise.all(encoded.map((b) => decodeBatch(b)))
      const fetchOffset = first + BigInt(Math.floor(fetchAt * Number(next - first)))
      const expected = decoded.flatMap((d, i) => (abortedBatches.has(batches[i]!) ? [] : expectedRecords(d, fetchOffset)))
      const data = Buffer.concat(encoded)
      assert.deepEqual(await drainChecked(data, encoded, decoded, { fetchOffset, readCommitted: true, aborted }), expected, 'read_committed')
      const all = decoded.flatMap((d) => expectedRecords(d, fetchOffset))
      assert.deepEqual(await drainChecked(data, encoded, decoded, { fetchOffset, aborted }), all, 'read_uncommitted hands out aborted data too')
    }),
    { numRuns: 150 },
  )
})
