/**
 * The sender's handling of MESSAGE_TOO_LARGE, step by step: a fake cluster answers each Produce
 * request when the test says so, which a real broker cannot be made to do deterministically
 * (the end-to-end behaviour against real brokers is in producer.test.ts and
 * test/interop/producer-split.test.ts).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RecordAccumulator } from '../../../src/client/producer/accumulator.js'
import { resolveProducerOptions } from '../../../src/client/producer/options.js'
import { Sender } from '../../../src/client/producer/sender.js'
import type { Cluster } from '../../../src/client/base/cluster.js'
import { KafkaError } from '../../../src/client/base/errors.js'
import type { ProduceResponse } from '../../../src/protocol/generated/produce.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { decodeBatch } from '../../../src/protocol/records/batch.js'
import { createLogger } from '../../../src/util/logger.js'

interface Request {
  values: string[]
  bytes: number
  answer(errorCode: number, baseOffset?: bigint, errorMessage?: string): void
}

/** A one-broker cluster whose Produce requests wait for the test to answer them. */
function fakeCluster(): { cluster: Cluster; requests: Request[] } {
  const requests: Request[] = []
  const conn = {
    version: () => 9,
    request(_api: number, body: { topicData: Array<{ name: string; partitionData: Array<{ index: number; records: Buffer }> }> }) {
      const pd = body.topicData[0]!.partitionData[0]!
      return new Promise<ProduceResponse>((resolve) => {
        const req: Request = { values: [], bytes: pd.records.length, answer: () => {} }
        void decodeBatch(pd.records).then((b) => req.values.push(...b.records.map((r) => r.value!.toString())))
        req.answer = (errorCode, baseOffset = 0n, errorMessage) =>
          resolve({
            throttleTimeMs: 0,
            responses: [
              {
                name: body.topicData[0]!.name,
                partitionResponses: [{ index: pd.index, errorCode, baseOffset, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: errorMessage ?? null }],
              },
            ],
          } as unknown as ProduceResponse)
        requests.push(req)
      })
    },
  }
  const cluster = {
    leaderOf: () => 1,
    connection: async () => conn,
    isStale: false,
    refresh: async () => {},
  } as unknown as Cluster
  return { cluster, requests }
}

const turn = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r))
}

function setup(batchSize = 1024, lingerMs = 0) {
  const opts = resolveProducerOptions({ bootstrapServers: 'fake:9092', batchSize, lingerMs, retries: 0, logger: createLogger({ level: 'error' }) })
  const acc = new RecordAccumulator({ batchSize, bufferMemory: 1 << 20, lingerMs, reuseBuffers: true })
  const { cluster, requests } = fakeCluster()
  const sender = new Sender(cluster, acc, opts)
  const q = acc.queue('t', 0)
  let n = 0
  const append = (count: number) => {
    const out = []
    for (let i = 0; i < count; i++) {
      const v = `r${String(n++).padStart(3, '0')}-${'x'.repeat(90)}`
      const r = acc.tryAppend(q, 200, 1000, null, v, null, Date.now())!
      out.push(r.batch.done.then(() => r))
      sender.wake()
    }
    return out
  }
  return { acc, sender, requests, append, q }
}

test('sender: a batch refused as too large is split and its parts are sent before the partition’s later batches, none of which overtakes it', async (t) => {
  const { sender, requests, append, acc } = setup()
  t.after(() => sender.stop())
  append(9) // one batch of ~9 records, then the next ones
  await turn()
  assert.equal(requests.length, 1, 'the first batch goes')
  append(30)
  await turn()
  assert.equal(requests.length, 1, 'nothing follows a probe (a batch larger than any accepted) until it is answered')
  const first = requests[0]!
  await turn()
  first.answer(ErrorCode.MESSAGE_TOO_LARGE, -1n, 'batch 0 at byte 0: 1000 bytes exceeds max.message.bytes 600')
  await turn()
  // Half the refused size: the parts are probes too, one at a time.
  assert.equal(requests.length, 2)
  assert.ok(requests[1]!.bytes <= Math.ceil(first.bytes / 2), `${requests[1]!.bytes} bytes`)
  assert.deepEqual(requests[1]!.values, first.values.slice(0, requests[1]!.values.length))
  let offset = 0n
  const ack = (r: Request) => {
    r.answer(0, offset)
    offset += BigInt(r.values.length)
  }
  ack(requests[1]!)
  await turn()
  // Accepted: batches no larger pipeline now; larger ones still go one at a time.
  for (let i = 2; i < 50 && requests.length > i; i++) {
    ack(requests[i]!)
    await turn()
  }
  await turn()
  const values = requests.flatMap((r) => r.values)
  const acked = requests.filter((_, i) => i !== 0).flatMap((r) => r.values)
  assert.equal(acked.length, 39, `every record acknowledged once: ${values.length} sent`)
  assert.deepEqual(acked, [...acked].sort(), 'in the order sent')
  assert.equal(acc.incomplete.size, 0)
  assert.equal(acc.bytesInUse, 0)
})

test('sender: pipelines batches no larger than one the partition accepted; a split is not a retry (retries 0)', async (t) => {
  const { sender, requests, append } = setup()
  t.after(() => sender.stop())
  append(9)
  await turn()
  requests[0]!.answer(0, 0n)
  await turn()
  // Three more batches of the same size, appended over three turns as a busy application would.
  for (let i = 0; i < 3; i++) {
    append(9)
    await turn()
  }
  assert.equal(requests.length, 4, 'three requests in flight at once')
  // The second is refused (the topic's limit went down): split and resent although retries is 0.
  requests[1]!.answer(ErrorCode.MESSAGE_TOO_LARGE)
  await turn()
  assert.equal(requests.length, 4, 'a refused batch no larger than an accepted one: the limit went down, its parts probe again')
  requests[2]!.answer(0, 100n)
  requests[3]!.answer(0, 200n)
  await turn()
  // Those two were as large as the refused one and landed: the parts, smaller, pipeline.
  assert.ok(requests.length >= 6, `${requests.length - 4} part(s) sent`)
  assert.deepEqual(
    requests.slice(4).flatMap((r) => r.values),
    requests[1]!.values,
    'the parts carry the refused batch’s records, in order',
  )
})

test('sender: one record over the limit fails with MESSAGE_TOO_LARGE naming the limit, with the broker’s words', async (t) => {
  const { sender, requests, acc, q } = setup()
  t.after(() => sender.stop())
  const big = acc.tryAppend(q, 2000, 1000, null, Buffer.alloc(1500, 65), null, Date.now())!
  sender.wake()
  await turn()
  requests[0]!.answer(ErrorCode.MESSAGE_TOO_LARGE, -1n, 'batch 0 at byte 0: 1578 bytes exceeds max.message.bytes 1000')
  await assert.rejects(big.batch.done, (e: unknown) => {
    assert.ok(e instanceof KafkaError)
    assert.equal(e.errorName, 'MESSAGE_TOO_LARGE')
    assert.match(e.message, /^producing to t-0: MESSAGE_TOO_LARGE: a record of \d+ bytes \(as a batch of one\) is larger than the broker's message\.max\.bytes \/ the topic's max\.message\.bytes \(1000\)/)
    assert.match(e.message, /exceeds max\.message\.bytes 1000/)
    assert.match(e.message, /; send smaller records or raise max\.message\.bytes on the topic$/)
    return true
  })
  assert.equal(acc.bytesInUse, 0)
})

test('sender: full batches queued behind each other in one partition go at once, one request each up to maxInFlight, without waiting for a response', async (t) => {
  // A linger nothing waits out: only being full makes these batches ready.
  const { sender, requests, append, q } = setup(1024, 60_000)
  t.after(() => sender.stop())
  append(9)
  await turn()
  assert.equal(requests.length, 0, 'a batch not full waits for its linger')
  // Fill it and three more (the first accepted batch makes later ones of its size no probes).
  append(1)
  await turn()
  assert.equal(requests.length, 1, 'the full batch goes')
  requests[0]!.answer(0, 0n)
  await turn()
  const before = requests.length
  append(3 * 10)
  await turn()
  const full = requests.length - before
  assert.equal(full, 3, `each full batch in its own request at once (${full} sent, queue ${q.batches.map((b) => b.count).join(',')})`)
  assert.ok(q.batches.length <= 1 && q.batches.every((b) => !b.closed), 'only the batch being filled is left')
  const sent = requests.slice(before).flatMap((r) => r.values)
  assert.deepEqual(sent, [...sent].sort(), 'in order')
})

test('sender: at most maxInFlightRequestsPerConnection requests per broker; the rest go as responses come back', async (t) => {
  const { sender, requests, append, q } = setup(1024, 60_000)
  t.after(() => sender.stop())
  append(10)
  await turn()
  requests[0]!.answer(0, 0n)
  await turn()
  append(8 * 10)
  await turn()
  assert.equal(requests.length, 1 + 5, 'five in flight (the default maximum)')
  requests[1]!.answer(0, 10n)
  await turn()
  assert.equal(requests.length, 1 + 6, 'one more once one came back')
  assert.ok(q.batches.length >= 2)
})

test('sender: a batch behind one just sent gets its linger timer (it is not left for the response to find)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 })
  const { sender, requests, append, q } = setup(1024, 50)
  t.after(() => sender.stop())
  // A first batch sent by its linger (no timer is left set) and accepted.
  append(9)
  await turn()
  t.mock.timers.tick(50)
  await turn()
  assert.equal(requests.length, 1)
  requests[0]!.answer(0, 0n)
  await turn()
  // One full batch and the start of the next, in one turn: the drain takes the full one.
  append(13)
  await turn()
  assert.equal(requests.length, 2)
  assert.equal(q.batches.length, 1)
  t.mock.timers.tick(50)
  await turn()
  assert.equal(requests.length, 3, 'the second batch went after its linger, the first still unanswered')
  assert.equal(q.batches.length, 0)
})
