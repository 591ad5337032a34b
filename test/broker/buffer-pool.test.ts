import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BufferPool, sizeClass } from '../../src/broker/buffer-pool.js'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import type { ProduceResponse } from '../../src/protocol/generated/produce.js'
import { createBatch, encodeBatchSync } from '../../src/protocol/records/batch.js'
import { decodeResponse, encodeRequest } from '../helpers/raw-client.js'
import { fetchAll } from '../helpers/wire.js'
import { embeddedBroker } from './helpers.js'

test('size classes round up to an eighth of the next power of two, at least 4 KiB', () => {
  assert.equal(sizeClass(1), 4096)
  assert.equal(sizeClass(4096), 4096)
  assert.equal(sizeClass(20_000), 20_480)
  assert.equal(sizeClass(1_000_050), 1_048_576)
  assert.equal(sizeClass(600_000), 655_360)
  for (const n of [5000, 70_000, 1_000_000, 3_000_000]) {
    const c = sizeClass(n)
    assert.ok(c >= n && c <= n * 1.25 + 4096, `${n} -> ${c}`)
    assert.equal(sizeClass(c), c, 'a class is its own class')
  }
})

test('a body given back is handed out again for a request of a similar size; each only once', () => {
  const pool = new BufferPool(1 << 20)
  const a = pool.take(100_000)
  assert.equal(a.length, 100_000)
  pool.give(a)
  pool.give(a)
  assert.equal(pool.idleBytes, sizeClass(100_000), 'given back once, however often give() is called')
  const b = pool.take(99_000)
  assert.equal(b.buffer, a.buffer)
  assert.equal(b.length, 99_000)
  const c = pool.take(99_000)
  assert.notEqual(c.buffer, a.buffer, 'a lent buffer is not lent twice')
  assert.deepEqual({ allocated: pool.allocated, reused: pool.reused }, { allocated: 2, reused: 1 })
})

test('buffers it did not lend are ignored, and idle buffers stay within the bound', () => {
  const pool = new BufferPool(300_000)
  pool.give(Buffer.allocUnsafeSlow(131_072))
  assert.equal(pool.idleBytes, 0)
  const bodies = [pool.take(131_072), pool.take(131_072), pool.take(131_072)]
  for (const b of bodies) pool.give(b)
  assert.equal(pool.idleBytes, 262_144, 'the third did not fit the bound')
})

test('past the bound, idle buffers of other sizes make room for the one given back', () => {
  const pool = new BufferPool(4 << 20)
  const small = [pool.take(1 << 20), pool.take(1 << 20), pool.take(1 << 20), pool.take(1 << 20)]
  for (const b of small) pool.give(b)
  assert.equal(pool.idleBytes, 4 << 20)
  const big = pool.take(3 << 20)
  pool.give(big)
  assert.equal(pool.idleBytes, (3 << 20) + (1 << 20), 'three 1 MiB buffers went, the 3 MiB one stayed')
  assert.equal(pool.take(3 << 20).buffer, big.buffer)
})

/** A record value that says who sent it: `c<conn> r<request> i<index>`, then a fill byte derived from those. */
function stamped(conn: number, req: number, i: number): Buffer {
  const v = Buffer.alloc(1000, (conn * 73 + req * 31 + i) % 251)
  v.write(`c${conn} r${req} i${i};`, 'latin1')
  return v
}

function checkStamp(v: Buffer): string {
  const head = v.toString('latin1', 0, v.indexOf(0x3b) + 1)
  const m = /^c(\d+) r(\d+) i(\d+);$/.exec(head)
  if (!m) throw new Error(`a record that nobody sent: ${v.subarray(0, 24).toString('hex')}`)
  const fill = (Number(m[1]) * 73 + Number(m[2]) * 31 + Number(m[3])) % 251
  for (let k = head.length; k < v.length; k++) if (v[k] !== fill) throw new Error(`record ${head} damaged at byte ${k}: ${v[k]} instead of ${fill}`)
  return head
}

test('poisoned on give-back, pooled buffers never reach a log or a response while still in use: pipelined large produces on three connections and fetches at once arrive intact', async (t) => {
  const tb = await embeddedBroker(t)
  const pool = tb.b.broker.bufferPool
  pool.poison = true
  await tb.b.broker.createTopic('poison', 3)
  const producers = await Promise.all([0, 1, 2].map(() => tb.client()))
  const readers = await Promise.all([0, 1].map(() => tb.client()))
  const before = pool.reused
  const ROUNDS = 4
  const PIPELINED = 4
  let producing = true
  const sent = new Set<string>()
  const produce = producers.map(async (c, conn) => {
    // Rounds of requests written back to back, so bodies are read in place while earlier ones
    // are being appended, and later rounds reuse the bodies of earlier ones.
    for (let round = 0; round < ROUNDS; round++) {
      const frames: Buffer[] = []
      for (let k = 0; k < PIPELINED; k++) {
        const req = round * PIPELINED + k
        const values = Array.from({ length: 300 }, (_, i) => stamped(conn, req, i))
        for (let i = 0; i < values.length; i++) sent.add(`c${conn} r${req} i${i};`)
        const batch = encodeBatchSync(createBatch({ baseTimestamp: BigInt(Date.now()), records: values.map((value, i) => ({ timestampDelta: 0, offsetDelta: i, key: null, value, headers: [] })) }))
        frames.push(encodeRequest(ApiKey.Produce, 9, req, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'poison', partitionData: [{ index: (conn + req) % 3, records: batch }] }] }))
      }
      await c.write(Buffer.concat(frames))
      for (let k = 0; k < PIPELINED; k++) {
        const r = decodeResponse(await c.nextFrame(10_000), ApiKey.Produce, 9)
        const p = (r.body as ProduceResponse).responses[0]!.partitionResponses[0]!
        assert.equal(p.errorCode, ErrorCode.NONE, `produce ${conn}/${r.correlationId}: ${p.errorMessage}`)
      }
    }
  })
  // Fetches meanwhile: their records are read into pooled buffers that produce bodies used before.
  let fetched = 0
  const read = readers.map(async (c) => {
    while (producing) {
      for (let partition = 0; partition < 3; partition++) {
        for (const r of (await fetchAll(c, 'poison', partition)).records) checkStamp(r.value!)
        fetched++
      }
    }
  })
  await Promise.all(produce)
  producing = false
  await Promise.all(read)
  const found: string[] = []
  for (let partition = 0; partition < 3; partition++) for (const r of (await fetchAll(readers[0]!, 'poison', partition)).records) found.push(checkStamp(r.value!))
  assert.equal(found.length, sent.size, 'every record once')
  assert.deepEqual(new Set(found), sent)
  // The pool was in play: without reuse the poison would prove nothing.
  assert.ok(pool.reused - before >= (ROUNDS - 1) * PIPELINED, `buffers reused ${pool.reused - before} times, ${fetched} fetches`)
})
