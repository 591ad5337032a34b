/**
 * Trace mode end to end: with SAMSA_TRACE set before the modules load, a broker in this
 * process and Samsa's producer and consumer write every hop of a sampled record, and the hops
 * join on (topic, partition, offset) in the order the record travelled.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'samsa-trace-'))
const file = join(dir, 'trace.jsonl')
process.env['SAMSA_TRACE'] = file
process.env['SAMSA_TRACE_SAMPLE'] = '10'

test('every hop of a sampled record, in order', async () => {
  // Loaded after the environment is set: `trace` is decided when src/util/trace.js loads.
  const { startBroker, Producer } = await import('../../src/index.js')
  const { Consumer } = await import('../../src/client/consumer/index.js')
  const { joinTrace } = await import('../../bench/latency/trace-report.js')
  const b = await startBroker()
  try {
    const producer = new Producer({ bootstrapServers: [b.bootstrap], acks: 1, lingerMs: 1, idempotent: false })
    const consumer = new Consumer({ bootstrapServers: [b.bootstrap], autoOffsetReset: 'earliest' })
    try {
      await producer.send({ topic: 'traced', partition: 0, value: 'first' }) // creates the topic
      consumer.assign([{ topic: 'traced', partition: 0 }])
      const it = consumer.records()
      assert.equal((await it.next()).value!.offset, 0n)
      for (let i = 1; i < 25; i++) await producer.send({ topic: 'traced', partition: 0, value: `v${i}` })
      for (let i = 1; i < 25; i++) assert.equal((await it.next()).value!.offset, BigInt(i))
    } finally {
      await producer.close()
      await consumer.close()
    }
    await new Promise((r) => setTimeout(r, 600)) // the trace writes every 500 ms
    process.emit('exit', 0)
    const records = joinTrace(readFileSync(file, 'utf8'), 'traced/')
    assert.deepEqual([...records.keys()].sort(), ['traced/0@0', 'traced/0@10', 'traced/0@20'])
    const order = ['producer.enqueue', 'producer.drained', 'producer.written', 'broker.read.0', 'broker.appended', 'broker.fetchReturned', 'broker.responseWritten', 'consumer.received', 'consumer.delivered']
    for (const [key, hops] of records) {
      for (const h of [...order, 'producer.acked', 'broker.read.1']) assert.ok(hops[h] !== undefined, `${key}: ${h} missing (${Object.keys(hops).join(', ')})`)
      for (let i = 1; i < order.length; i++) assert.ok(hops[order[i]!]! >= hops[order[i - 1]!]!, `${key}: ${order[i]} before ${order[i - 1]}`)
    }
  } finally {
    await b.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
