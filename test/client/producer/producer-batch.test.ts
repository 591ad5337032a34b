/**
 * Splitting a batch the broker refused as too large: the parts hold the same records in the
 * same order (decoded back as Kafka record batches), each part fits the target, and the big
 * batch settles from its parts so every record's promise gets its own offset or error.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProducerBatch, recordResult, type BatchResult, type WireHeader } from '../../../src/client/producer/producer-batch.js'
import { decodeBatch } from '../../../src/protocol/records/batch.js'
import { CompressionCodec } from '../../../src/protocol/records/batch-header.js'

interface Sent {
  ts: number
  key: Buffer | null
  value: string | Buffer | null
  headers: WireHeader[] | null
}

/** A batch of `n` records with keys, headers, null values and timestamps that go back and forth. */
function filled(n: number, capacity = 64 * 1024): { batch: ProducerBatch; sent: Sent[] } {
  const batch = new ProducerBatch('t', 0, capacity, 1000)
  batch.order = [4]
  const sent: Sent[] = []
  for (let i = 0; i < n; i++) {
    const r: Sent = {
      ts: 1_700_000_000_000 + ((i * 7919) % 500) - 250,
      key: i % 5 === 0 ? null : Buffer.from(`key-${i}`),
      value: i % 11 === 3 ? null : `value-${i}-${'v'.repeat(i % 40)}`,
      headers: i % 3 === 0 ? null : [['h', String(i)], ['empty', null]],
    }
    assert.equal(batch.tryAppend(r.ts, r.key, r.value, r.headers), i)
    sent.push(r)
  }
  return { batch, sent }
}

/** The records of a batch as decoded by the codec the broker and consumers use. */
async function decoded(b: ProducerBatch): Promise<Sent[]> {
  const d = await decodeBatch(await b.wireBytes(CompressionCodec.None))
  assert.equal(d.records.length, b.count)
  return d.records.map((r, i) => {
    assert.equal(r.offsetDelta, i)
    return {
      ts: Number(d.baseTimestamp) + r.timestampDelta,
      key: r.key,
      value: r.value === null ? null : r.value.toString(),
      headers: r.headers.length === 0 ? null : r.headers.map((h): WireHeader => [h.key, h.value === null ? null : h.value.toString()]),
    }
  })
}

const normal = (s: Sent[]) => s.map((r) => ({ ...r, value: r.value === null ? null : r.value.toString() }))

test('producer batch: split keeps every record in order with its timestamp, key, value and headers, in parts no larger than the target', async () => {
  const { batch, sent } = filled(300)
  const target = Math.ceil(batch.sizeInBytes / 5)
  const parts = batch.split(target)
  assert.ok(parts.length >= 5, `${parts.length} parts`)
  const all: Sent[] = []
  for (const [k, p] of parts.entries()) {
    assert.ok(p.sizeInBytes <= target, `part ${k}: ${p.sizeInBytes} > ${target}`)
    assert.equal(p.allocated, p.sizeInBytes, 'a part is allocated to its exact size')
    assert.equal(p.createdMs, batch.createdMs, 'deliveryTimeoutMs counts from the original send')
    assert.equal(p.attempts, 0)
    assert.deepEqual(p.order, [4, k])
    const records = await decoded(p)
    const maxTs = Math.max(...records.map((r) => r.ts))
    const d = await decodeBatch(await p.wireBytes(CompressionCodec.None))
    assert.equal(Number(d.maxTimestamp), maxTs)
    all.push(...records)
  }
  assert.deepEqual(all, normal(sent))
  assert.equal(batch.isSplit, true)
  assert.equal(batch.settled, false, 'the big batch settles once its parts have')
})

test('producer batch: each record of a split batch resolves from its own part; a failed part fails only its records', async () => {
  const { batch } = filled(40)
  const parts = batch.split(Math.ceil(batch.sizeInBytes / 3))
  assert.ok(parts.length >= 3)
  // The second part is split again, as a part still too large would be.
  const nested = parts[1]!.split(Math.ceil(parts[1]!.sizeInBytes / 2))
  const firsts: number[] = []
  let delta = 0
  for (const p of parts) {
    firsts.push(delta)
    delta += p.count
  }
  let settled = false
  batch.done.then(() => (settled = true))
  // Parts land at offsets far apart (another producer wrote in between), in any order.
  parts[2]!.complete({ baseOffset: 5000n, logAppendTime: -1 })
  // The rest of the second part lands in one run from 3000 on.
  let at = nested[0]!.count
  for (const p of nested.slice(1)) {
    p.complete({ baseOffset: 3000n + BigInt(at), logAppendTime: 77 })
    at += p.count
  }
  parts[0]!.complete({ baseOffset: 100n, logAppendTime: -1 })
  const refused = new Error('refused')
  nested[0]!.fail(refused)
  for (const p of parts.slice(3)) p.complete({ baseOffset: 9000n, logAppendTime: -1 })
  const r: BatchResult = await batch.done
  assert.ok(settled)
  assert.equal(parts[1]!.settled, true, 'a part split again settles from its own parts')
  for (let i = 0; i < firsts[1]!; i++) assert.deepEqual(recordResult(r, i), { offset: 100n + BigInt(i), logAppendTime: -1 })
  for (let i = firsts[1]!; i < firsts[1]! + nested[0]!.count; i++) assert.throws(() => recordResult(r, i), refused)
  const n1 = firsts[1]! + nested[0]!.count
  for (let i = n1; i < firsts[2]!; i++) assert.deepEqual(recordResult(r, i), { offset: 3000n + BigInt(i - firsts[1]!), logAppendTime: 77 })
  assert.deepEqual(recordResult(r, firsts[2]!), { offset: 5000n, logAppendTime: -1 })
  assert.deepEqual(recordResult(r, firsts[2]! + 1), { offset: 5001n, logAppendTime: -1 })
})

test('producer batch: a split makes at least two parts; a record over the target gets a part of its own; one record cannot be split', async () => {
  const b = new ProducerBatch('t', 0, 16 * 1024, 0)
  b.tryAppend(1, null, 'a', null)
  b.tryAppend(2, null, Buffer.alloc(3000, 1), null)
  b.tryAppend(3, null, 'c', null)
  const parts = b.split(200)
  assert.deepEqual(parts.map((p) => p.count), [1, 1, 1])
  assert.equal((await decoded(parts[1]!))[0]!.value!.length, 3000)

  // A target the whole batch fits: the last record still goes on its own, so splitting ends.
  const two = new ProducerBatch('t', 0, 1024, 0)
  two.tryAppend(1, null, 'x', null)
  two.tryAppend(2, null, 'y', null)
  assert.deepEqual(two.split(1 << 20).map((p) => p.count), [1, 1])

  const one = new ProducerBatch('t', 0, 1024, 0)
  one.tryAppend(1, null, 'x', null)
  assert.throws(() => one.split(10), /cannot split a batch of 1 record/)
})

test('producer batch: a split batch gives up its buffer at once; its parts own copies of the records', async () => {
  const { batch, sent } = filled(20, 4096)
  assert.equal(batch.releaseBuffer(), undefined, 'not before it settled or was split')
  const parts = batch.split(1000)
  const buf = batch.releaseBuffer()
  assert.equal(buf?.length, 4096)
  assert.equal(batch.releaseBuffer(), undefined)
  // The next batch writes over the old buffer: the parts' records stay as they were.
  buf!.fill(0)
  const all: Sent[] = []
  for (const p of parts) all.push(...(await decoded(p)))
  assert.deepEqual(all, normal(sent))
})
