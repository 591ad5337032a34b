import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RecordAccumulator } from '../../../src/client/producer/accumulator.js'
import { decodeBatch } from '../../../src/protocol/records/batch.js'
import { CompressionCodec } from '../../../src/protocol/records/batch-header.js'
import { ClientError } from '../../../src/client/base/errors.js'

const value = Buffer.alloc(100, 7)

test('accumulator: a batch waits for linger, then is ready', () => {
  const acc = new RecordAccumulator({ batchSize: 16384, bufferMemory: 1 << 20, lingerMs: 50 })
  const q = acc.queue('t', 0)
  const r = acc.tryAppend(q, 200, 1000, null, value, null, 10_000)!
  assert.equal(r.newBatch, true)
  assert.equal(r.offsetDelta, 0)
  assert.equal(acc.isReady(q, 10_049), false)
  assert.equal(acc.readyAt(q), 10_050)
  assert.equal(acc.isReady(q, 10_050), true)
  // A flush makes it ready at once.
  acc.flushing++
  assert.equal(acc.isReady(q, 10_001), true)
})

test('accumulator: records fill a batch up to batchSize, then a new batch opens and the full one is ready', () => {
  const acc = new RecordAccumulator({ batchSize: 1024, bufferMemory: 1 << 20, lingerMs: 60_000 })
  let readyCalls = 0
  acc.onReady = () => readyCalls++
  const q = acc.queue('t', 0)
  const results = []
  for (let i = 0; i < 20; i++) results.push(acc.tryAppend(q, 200, 1000 + i, Buffer.from(`k${i}`), value, [['h', String(i)]], 0)!)
  const firstBatch = results[0]!.batch
  const inFirst = results.filter((r) => r.batch === firstBatch).length
  assert.ok(inFirst > 1 && inFirst < 20, `first batch holds ${inFirst}`)
  assert.ok(firstBatch.sizeInBytes <= 1024)
  assert.equal(results[inFirst]!.newBatch, true)
  assert.equal(results[inFirst]!.offsetDelta, 0)
  assert.ok(readyCalls >= 1)
  assert.equal(q.batches.length, Math.ceil(20 / inFirst))
  assert.equal(acc.isReady(q, 0), true, 'a full head batch is ready despite linger')
})

test('accumulator: batch bytes decode as Kafka record batches with every field', async () => {
  const acc = new RecordAccumulator({ batchSize: 16384, bufferMemory: 1 << 20, lingerMs: 0 })
  const q = acc.queue('t', 0)
  acc.tryAppend(q, 200, 5000, Buffer.from('k'), 'héllo', [['a', 'x'], ['a', null], ['b', Buffer.from([0, 255])]], 0)
  acc.tryAppend(q, 200, 4990, null, null, null, 0)
  acc.tryAppend(q, 200, 5020, Buffer.alloc(0), Buffer.alloc(0), null, 0)
  for (const codec of [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd]) {
    const b = q.batches[0]!
    ;(b as unknown as { wire: undefined }).wire = undefined
    const bytes = await b.wireBytes(codec)
    const batch = await decodeBatch(bytes)
    assert.equal(batch.compression, codec)
    assert.equal(batch.records.length, 3)
    assert.equal(batch.baseTimestamp, 5000n)
    assert.equal(batch.maxTimestamp, 5020n)
    assert.equal(batch.lastOffsetDelta, 2)
    assert.equal(batch.producerId, -1n)
    const [r0, r1, r2] = batch.records
    assert.equal(r0!.key!.toString(), 'k')
    assert.equal(r0!.value!.toString(), 'héllo')
    assert.deepEqual(r0!.headers.map((h) => [h.key, h.value && [...h.value]]), [['a', [...Buffer.from('x')]], ['a', null], ['b', [0, 255]]])
    assert.equal(r1!.key, null)
    assert.equal(r1!.value, null)
    assert.equal(r1!.timestampDelta, -10)
    assert.equal(r2!.key!.length, 0)
    assert.equal(r2!.value!.length, 0)
  }
})

test('accumulator: when bufferMemory is spent, appends need a reservation, which waits for a release or times out', async () => {
  const acc = new RecordAccumulator({ batchSize: 1000, bufferMemory: 2500, lingerMs: 0 })
  const q0 = acc.queue('t', 0)
  const q1 = acc.queue('t', 1)
  const q2 = acc.queue('t', 2)
  const a = acc.tryAppend(q0, 200, 1, null, value, null, 0)!
  acc.tryAppend(q1, 200, 1, null, value, null, 0)
  assert.equal(acc.bytesInUse, 2000)
  assert.equal(acc.tryAppend(q2, 200, 1, null, value, null, 0), undefined, 'third batch does not fit')
  // Appending to an open batch needs no new memory.
  assert.ok(acc.tryAppend(q0, 200, 1, null, value, null, 0))

  await assert.rejects(acc.reserve(1000, 30), (e: unknown) => e instanceof ClientError && e.code === 'BUFFER_EXHAUSTED' && /maxBlockMs 30/.test(e.message))

  const waiting = acc.reserve(1000, 5000)
  let resolved = false
  void waiting.then(() => (resolved = true))
  await new Promise((r) => setTimeout(r, 20))
  assert.equal(resolved, false)
  a.batch.complete({ baseOffset: 0n, logAppendTime: -1 })
  acc.release(a.batch)
  await waiting
  assert.equal(acc.bytesInUse, 1000)
  assert.ok(acc.tryAppend(q2, 200, 1, null, value, null, 0))
})

test('accumulator: a record larger than batchSize gets a batch of its own size', () => {
  const acc = new RecordAccumulator({ batchSize: 100, bufferMemory: 1 << 20, lingerMs: 0 })
  const q = acc.queue('t', 0)
  const big = Buffer.alloc(5000, 1)
  const r = acc.tryAppend(q, 5100, 1, null, big, null, 0)!
  assert.equal(r.newBatch, true)
  assert.ok(r.batch.allocated >= 5061)
  assert.equal(acc.tryAppend(q, 200, 1, null, value, null, 0)!.newBatch, true)
})
