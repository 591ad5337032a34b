/**
 * ReplicaManager.fetchMessages on a consumer keeping up: its reads are answered from the
 * active segments' newest batches without a turn of the event loop, and a long poll at the log
 * end, whose watch is set up only after that synchronous read, still wakes on the next append.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Broker } from '../../src/broker/broker.js'
import { loadBrokerConfig } from '../../src/broker/config.js'
import type { FetchParams } from '../../src/broker/replica-fetch.js'
import { createTopic } from '../../src/broker/topic-admin.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { createBatch, encodeBatchSync } from '../../src/protocol/records/index.js'
import { createLogger } from '../../src/util/logger.js'

const PARTITIONS = 3

async function broker(t: TestContext): Promise<{ b: Broker; topic: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-replica-fetch-'))
  const b = new Broker({ config: loadBrokerConfig({ overrides: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir } }), logger: createLogger({ level: 'error' }) })
  await b.start()
  t.after(async () => {
    await b.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const topic = 'tail'
  await createTopic(b.context, { name: topic, assignments: Array.from({ length: PARTITIONS }, () => [0]), configs: {} })
  return { b, topic }
}

async function produce(b: Broker, topic: string, partition: number, n: number): Promise<void> {
  const records = encodeBatchSync(createBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: n }, (_, i) => ({ timestampDelta: 0, offsetDelta: i, key: null, value: Buffer.from(`v${i}`), headers: [] })) }))
  const [r] = await b.replicas.appendRecords({ entries: [{ topic, partition, records }], acks: 1, timeoutMs: 1000, origin: { kind: 'client', checks: { singleBatch: true, allowZstd: true } }, internalTopicsAllowed: false })
  assert.equal(r!.errorCode, ErrorCode.NONE)
}

function params(topic: string, offsets: number[], wait: { minBytes: number; maxWaitMs: number }): FetchParams {
  return {
    replicaId: -1,
    ...wait,
    maxBytes: 1 << 20,
    isolation: 'read_uncommitted',
    partitions: offsets.map((fetchOffset, partition) => ({ topic, partition, fetchOffset, maxBytes: 1 << 20, currentLeaderEpoch: -1 })),
    signal: new AbortController().signal,
  }
}

/** How many microtask turns `p` takes to settle, up to `max` (then max + 1): no I/O, no timer, no turn of the loop. */
async function microtasksToSettle(p: Promise<unknown>, max: number): Promise<number> {
  let done = false
  void p.then(() => (done = true))
  for (let i = 0; i <= max; i++) {
    if (done) return i
    await Promise.resolve()
  }
  return max + 1
}

test('a fetch of the newest batches of every partition is answered at once: no I/O, no timer, no chain of promises', async (t) => {
  const { b, topic } = await broker(t)
  for (let p = 0; p < PARTITIONS; p++) await produce(b, topic, p, 3)
  const f = b.replicas.fetchMessages(params(topic, [1, 0, 2], { minBytes: 1, maxWaitMs: 0 }))
  // One turn now; 25 when every step of the read was its own promise.
  const turns = await microtasksToSettle(f, 100)
  assert.ok(turns <= 3, `the tail fetch took ${turns} microtask turns`)
  const got = await f
  assert.deepEqual(got.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.NONE])
  for (const r of got) {
    assert.ok(r.records.length > 0)
    assert.equal(r.highWatermark, 3)
  }
})

test('a long poll at the log end wakes on the next append to any partition it reads', async (t) => {
  const { b, topic } = await broker(t)
  for (let p = 0; p < PARTITIONS; p++) await produce(b, topic, p, 2)
  const started = Date.now()
  const f = b.replicas.fetchMessages(params(topic, [2, 2, 2], { minBytes: 1, maxWaitMs: 30_000 }))
  assert.equal(await microtasksToSettle(f, 100), 101, 'nothing to return yet: the fetch waits')
  await produce(b, topic, 1, 4)
  const got = await f
  // Woken by the append, not by the 30 s timeout.
  assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`)
  assert.deepEqual(got.map((r) => r.records.length > 0), [false, true, false])
  assert.equal(got[1]!.highWatermark, 6)
})
