/**
 * Samsa's producer and consumer together, for every codec, against Samsa and against
 * librdkafka's mock cluster: what one writes the other reads back exactly.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { Producer, type CompressionType } from '../../src/client/producer/index.js'
import type { ConsumerRecord } from '../../src/client/consumer/index.js'
import { closeAtEnd, consumerFor, mockFor, testBroker } from './consumer/helpers.js'

const CODECS: CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

async function roundTrip(t: TestContext, bootstrap: string, createTopic: (name: string, n: number) => Promise<unknown>): Promise<void> {
  for (const compression of CODECS) {
    const topic = `codec-${compression}`
    await createTopic(topic, 3)
    const p = new Producer({ bootstrapServers: bootstrap, compression, lingerMs: 2 })
    closeAtEnd(t, () => p.close())
    const sent = Array.from({ length: 90 }, (_, i) => ({
      topic,
      key: i % 7 === 0 ? null : `key-${i % 5}`,
      value: i % 11 === 0 ? null : Buffer.concat([Buffer.from(`value-${i}-`), Buffer.alloc(i * 13, i)]),
      headers: i % 3 === 0 ? [] : ([['n', String(i)], ['n', null]] as Array<[string, string | null]>),
      timestamp: 1_700_000_000_000 + i,
    }))
    const meta = await p.sendBatch(sent)
    const c = consumerFor(t, bootstrap, { autoOffsetReset: 'earliest' })
    c.assign([0, 1, 2].map((partition) => ({ topic, partition })))
    const got = new Map<string, ConsumerRecord>()
    for (const end = Date.now() + 15_000; got.size < sent.length && Date.now() < end; ) {
      for (const r of await c.poll({ timeoutMs: 500 })) got.set(`${r.partition}/${r.offset}`, r)
    }
    assert.equal(got.size, sent.length, `${compression}: every record read back`)
    sent.forEach((s, i) => {
      const r = got.get(`${meta[i]!.partition}/${meta[i]!.offset}`)!
      assert.ok(r, `${compression}: record ${i}`)
      assert.deepEqual(r.key, s.key === null ? null : Buffer.from(s.key), `${compression}: key ${i}`)
      assert.deepEqual(r.value, s.value, `${compression}: value ${i}`)
      assert.deepEqual(r.headers.map((h) => [h.key, h.value === null ? null : h.value.toString()]), s.headers, `${compression}: headers ${i}`)
      assert.equal(r.timestamp, s.timestamp, `${compression}: timestamp ${i}`)
    })
    await c.close()
    await p.close()
  }
}

test('producer → consumer, every codec, against Samsa', async (t) => {
  const b = await testBroker(t)
  await roundTrip(t, b.bootstrap, (n, c) => b.broker.createTopic(n, c))
})

test('producer → consumer, every codec, against the librdkafka mock cluster', async (t) => {
  const mc = await mockFor(t, { brokers: 3 })
  if (!mc) return
  await roundTrip(t, mc.bootstrap, (n, c) => mc.createTopic(n, c))
})

test('producer → consumer: batch buffers reused many times over carry every record intact', async (t) => {
  // Small batches and a bufferMemory of eight of them: each buffer is written, sent,
  // acknowledged and reused dozens of times while other batches are in flight.
  const b = await testBroker(t)
  const cases = [
    { compression: 'none', batchSize: 2048, count: 3000, size: 50 },
    { compression: 'zstd', batchSize: 2048, count: 3000, size: 50 },
  ] as const
  for (const { compression, batchSize, count, size } of cases) {
    const topic = `reuse-${compression}-${batchSize}`
    await b.broker.createTopic(topic, 3)
    const p = new Producer({ bootstrapServers: b.bootstrap, compression, batchSize, bufferMemory: 8 * batchSize, lingerMs: 0 })
    closeAtEnd(t, () => p.close())
    const values = Array.from({ length: count }, (_, i) => Buffer.concat([Buffer.from(`${compression}-${i}-`), Buffer.alloc(size + (i % 200), i % 251)]))
    const meta = await Promise.all(values.map((value) => p.send({ topic, value })))
    const c = consumerFor(t, b.bootstrap, { autoOffsetReset: 'earliest' })
    c.assign([0, 1, 2].map((partition) => ({ topic, partition })))
    const got = new Map<string, Buffer | null>()
    for (const end = Date.now() + 30_000; got.size < values.length && Date.now() < end; ) {
      for (const r of await c.poll({ timeoutMs: 500 })) got.set(`${r.partition}/${r.offset}`, r.value)
    }
    assert.equal(got.size, values.length, `${compression}: every record read back`)
    values.forEach((v, i) => assert.deepEqual(got.get(`${meta[i]!.partition}/${meta[i]!.offset}`), v, `${compression}: record ${i}`))
    await c.close()
    await p.close()
  }
})
