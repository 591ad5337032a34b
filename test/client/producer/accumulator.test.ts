import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RecordAccumulator } from '../../../src/client/producer/accumulator.js'
import { decodeBatch } from '../../../src/protocol/records/batch.js'
import { CompressionCodec } from '../../../src/protocol/records/batch-header.js'
import { ClientError } from '../../../src/client/base/errors.js'
import type { ProducerBatch } from '../../../src/client/producer/producer-batch.js'

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

/** Completes a batch as a broker acknowledgement would, and gives it back to the accumulator. */
function acknowledge(acc: RecordAccumulator, b: ProducerBatch): void {
  b.complete({ baseOffset: 0n, logAppendTime: -1 })
  acc.release(b)
}

/** The memory a batch writes into. */
const memoryOf = (b: ProducerBatch) => (b as unknown as { buf: Buffer }).buf
/** Small buffers share Node's allocation pool: the same memory is the same ArrayBuffer at the same offset. */
const sameMemory = (x: Buffer, y: Buffer) => x.buffer === y.buffer && x.byteOffset === y.byteOffset

test('accumulator: an acknowledged batch lends its buffer to the next batch, which writes its own records over it', async () => {
  const acc = new RecordAccumulator({ batchSize: 1024, bufferMemory: 1 << 20, lingerMs: 0, reuseBuffers: true })
  const q = acc.queue('t', 0)
  const first = acc.tryAppend(q, 200, 1, null, Buffer.from('first'), null, 0)!.batch
  const firstMemory = memoryOf(first)
  await first.wireBytes(CompressionCodec.None)
  q.batches.shift()
  acknowledge(acc, first)
  assert.equal(memoryOf(first).length, 0, 'the settled batch keeps no view of the reused memory')

  const second = acc.tryAppend(q, 200, 2, null, Buffer.from('second'), null, 0)!.batch
  assert.ok(sameMemory(memoryOf(second), firstMemory), 'same memory')
  const decoded = await decodeBatch(await second.wireBytes(CompressionCodec.None))
  assert.deepEqual(
    decoded.records.map((r) => r.value!.toString()),
    ['second'],
  )
  // A batch that has not settled keeps its buffer.
  assert.equal(second.releaseBuffer(), undefined)
})

test('accumulator: no buffer reuse under acks=0, for batches of another size, or beyond bufferMemory', () => {
  const noReuse = new RecordAccumulator({ batchSize: 1024, bufferMemory: 1 << 20, lingerMs: 0 })
  const q0 = noReuse.queue('t', 0)
  const a = noReuse.tryAppend(q0, 200, 1, null, value, null, 0)!.batch
  const aMemory = memoryOf(a)
  q0.batches.shift()
  acknowledge(noReuse, a)
  assert.ok(!sameMemory(memoryOf(noReuse.tryAppend(q0, 200, 1, null, value, null, 0)!.batch), aMemory))

  // bufferMemory 2,500 with batches of 1,000: two pooled buffers at most, a third is dropped.
  const acc = new RecordAccumulator({ batchSize: 1000, bufferMemory: 2500, lingerMs: 0, reuseBuffers: true })
  const batches = [0, 1].map((p) => acc.tryAppend(acc.queue('t', p), 200, 1, null, value, null, 0)!.batch)
  for (const b of batches) {
    acc.queue('t', b.partition).batches.shift()
    acknowledge(acc, b)
  }
  const pool = () => (acc as unknown as { freeBuffers: Buffer[] }).freeBuffers
  assert.equal(pool().length, 2)
  // A record larger than batchSize gets a fresh buffer of its size; pooled ones make room for it.
  const big = acc.tryAppend(acc.queue('t', 2), 1500, 1, null, Buffer.alloc(1400, 1), null, 0)!.batch
  assert.ok(big.allocated > 1000)
  assert.ok(acc.bytesInUse + pool().length * 1000 <= 2500, `${acc.bytesInUse} in use, ${pool().length} pooled`)
  acc.queue('t', 2).batches.shift()
  acknowledge(acc, big)
  assert.ok(pool().every((b) => b.length === 1000), 'only batchSize buffers are pooled')
})

/** Takes the head batch of `q` as the sender does when it sends it. */
function drainHead(acc: RecordAccumulator, topic: string, partition: number): ProducerBatch {
  const b = acc.queue(topic, partition).batches.shift()!
  b.closed = true
  return b
}

const valuesOf = async (b: ProducerBatch) => (await decodeBatch(await b.wireBytes(CompressionCodec.None))).records.map((r) => r.value!.toString())

test('accumulator: split parts take the refused batch’s place in its queue, ahead of later batches; retried batches keep their order', async () => {
  const acc = new RecordAccumulator({ batchSize: 1024, bufferMemory: 1 << 20, lingerMs: 0 })
  const q = acc.queue('t', 0)
  for (let i = 0; i < 40; i++) acc.tryAppend(q, 200, 1, null, `r${String(i).padStart(2, '0')}-${'x'.repeat(80)}`, null, 0)
  assert.ok(q.batches.length >= 4)
  // Three batches in flight; the first and second are refused as too large, in that order.
  const [b0, b1, b2] = [drainHead(acc, 't', 0), drainHead(acc, 't', 0), drainHead(acc, 't', 0)]
  const later = q.batches[0]!
  const p0 = acc.splitAndReenqueue(b0, 400)
  const p1 = acc.splitAndReenqueue(b1, 400)
  assert.deepEqual(q.batches.slice(0, p0.length + p1.length), [...p0, ...p1])
  assert.equal(q.batches[p0.length + p1.length], later)
  // The third failed retriably; a part of the first, sent meanwhile, too: each goes back in its place.
  const sentPart = drainHead(acc, 't', 0)
  acc.requeue(b2)
  acc.requeue(sentPart)
  assert.deepEqual(q.batches.slice(0, p0.length + p1.length + 1), [...p0, ...p1, b2])
  const sent: string[] = []
  for (const b of q.batches) sent.push(...(await valuesOf(b)))
  assert.deepEqual(sent, Array.from({ length: 40 }, (_, i) => `r${String(i).padStart(2, '0')}-${'x'.repeat(80)}`))
})

test('accumulator: a split gives the refused batch’s memory and buffer back; the parts count with their exact sizes until acknowledged', async () => {
  const acc = new RecordAccumulator({ batchSize: 1024, bufferMemory: 1 << 20, lingerMs: 0, reuseBuffers: true })
  const q = acc.queue('t', 0)
  for (let i = 0; i < 8; i++) acc.tryAppend(q, 200, 1, null, value, null, 0)
  const big = drainHead(acc, 't', 0)
  assert.equal(q.batches.length, 0)
  assert.equal(acc.bytesInUse, 1024)
  const parts = acc.splitAndReenqueue(big, 400)
  const sizes = parts.reduce((n, p) => n + p.allocated, 0)
  assert.equal(acc.bytesInUse, sizes)
  assert.ok(!acc.incomplete.has(big), 'flush waits on the parts, and through them on the big batch')
  for (const p of parts) assert.ok(acc.incomplete.has(p))
  assert.equal((acc as unknown as { freeBuffers: Buffer[] }).freeBuffers.length, 1, 'the big batch’s buffer is pooled')
  let done = false
  void big.done.then(() => (done = true))
  for (const p of parts) {
    acc.queue('t', 0).batches.shift()
    acknowledge(acc, p)
  }
  assert.equal(acc.bytesInUse, 0)
  await new Promise((r) => setImmediate(r))
  assert.ok(done)
})

test('accumulator: memory a split frees (a partly filled batch) wakes sends waiting for bufferMemory', async () => {
  const acc = new RecordAccumulator({ batchSize: 1000, bufferMemory: 1000, lingerMs: 0 })
  const q = acc.queue('t', 0)
  for (let i = 0; i < 3; i++) acc.tryAppend(q, 200, 1, null, value, null, 0)
  const big = drainHead(acc, 't', 0)
  const waiting = acc.reserve(500, 60_000)
  assert.equal(acc.memoryWanted, true)
  const parts = acc.splitAndReenqueue(big, 300)
  assert.ok(acc.bytesInUse + 500 <= 1000, `${acc.bytesInUse} in use by ${parts.length} parts`)
  assert.equal(acc.memoryWanted, false, 'the waiter was woken')
  await waiting
})
