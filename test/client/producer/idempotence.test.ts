/**
 * The idempotent producer (the default): options as the Java client resolves them; sequence
 * numbers, retries and epoch bumps step by step against a fake cluster that answers each Produce
 * request when the test says so (no real broker can be made to answer OUT_OF_ORDER for a chosen
 * batch); and end to end against a Samsa broker that loses a Produce response after writing it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startBroker } from '../../../src/index.js'
import { RecordAccumulator } from '../../../src/client/producer/accumulator.js'
import { IdempotentState } from '../../../src/client/producer/idempotence.js'
import { resolveProducerOptions } from '../../../src/client/producer/options.js'
import { Producer } from '../../../src/client/producer/producer.js'
import { Sender } from '../../../src/client/producer/sender.js'
import type { Cluster } from '../../../src/client/base/cluster.js'
import { ClientError, KafkaError } from '../../../src/client/base/errors.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import type { ProduceResponse } from '../../../src/protocol/generated/produce.js'
import { decodeBatch } from '../../../src/protocol/records/batch.js'
import { readBatchHeader } from '../../../src/protocol/records/batch-header.js'
import { createLogger } from '../../../src/util/logger.js'
import { readTopic } from '../../helpers/topic-records.js'

const quiet = createLogger({ level: 'error' })

test('options: idempotence is on by default; acks, retries or in-flight settings that rule it out turn it off, or are refused when it is asked for', () => {
  const o = (x: object) => resolveProducerOptions({ bootstrapServers: 'h:1', ...x })
  assert.equal(o({}).idempotent, true)
  assert.equal(o({ acks: 1 }).idempotent, false)
  assert.equal(o({ acks: 0 }).idempotent, false)
  assert.equal(o({ retries: 0 }).idempotent, false)
  assert.equal(o({ maxInFlightRequestsPerConnection: 6 }).idempotent, false)
  assert.equal(o({ idempotent: false }).idempotent, false)
  assert.equal(o({ enableIdempotence: true }).idempotent, true)
  assert.throws(() => o({ idempotent: true, acks: 1 }), (e: ClientError) => e.code === 'INVALID_OPTION' && /acks must be 'all'.*idempotent: false/.test(e.message))
  assert.throws(() => o({ idempotent: true, maxInFlightRequestsPerConnection: 10 }), /at most 5/)
  assert.throws(() => o({ idempotent: true, enableIdempotence: false }), /disagree/)
})

interface Sent {
  producerId: bigint
  epoch: number
  sequence: number
  values: string[]
  answer(errorCode: number, baseOffset?: bigint): void
}

/** A one-broker cluster: InitProducerId answers id 7 (then 8, ...) at once; Produce waits for the test. */
function fakeCluster() {
  const sent: Sent[] = []
  let nextId = 7n
  const inits: Array<{ producerId: bigint; producerEpoch: number }> = []
  const conn = {
    version: () => 9,
    async request(api: number, body: any) {
      if (api === ApiKey.InitProducerId) {
        inits.push({ producerId: body.producerId, producerEpoch: body.producerEpoch })
        return { throttleTimeMs: 0, errorCode: 0, producerId: nextId++, producerEpoch: 0 }
      }
      const pd = body.topicData[0]!.partitionData[0]!
      const h = readBatchHeader(pd.records)
      const batch = await decodeBatch(pd.records)
      return new Promise<ProduceResponse>((resolve) => {
        sent.push({
          producerId: h.producerId,
          epoch: h.producerEpoch,
          sequence: h.baseSequence,
          values: batch.records.map((r) => r.value!.toString()),
          answer: (errorCode, baseOffset = 0n) =>
            resolve({
              throttleTimeMs: 0,
              responses: [{ name: 't', partitionResponses: [{ index: pd.index, errorCode, baseOffset, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null }] }],
            } as unknown as ProduceResponse),
        })
      })
    },
  }
  const cluster = {
    leaderOf: () => 1,
    connection: async () => conn,
    anyConnection: async () => conn,
    isStale: false,
    isClosed: false,
    refresh: async () => {},
  } as unknown as Cluster
  return { cluster, sent, inits }
}

const turn = async (n = 8) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r))
}

/**
 * Acknowledges the resent batches one by one until `total` requests were sent: the sender sends
 * a partition's next batch as the previous request is answered.
 */
async function resent(sent: Sent[], total: number): Promise<void> {
  let offset = 0n
  for (let i = 3; i < total; i++) {
    const deadline = Date.now() + 2000
    while (sent.length <= i && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2))
    assert.ok(sent.length > i, `request ${i + 1} of ${total} sent`)
    sent[i]!.answer(0, offset++)
  }
  await turn()
}

function setup(options: object = {}) {
  const opts = resolveProducerOptions({ bootstrapServers: 'fake:9092', batchSize: 200, lingerMs: 0, retryBackoffMs: 1, retryBackoffMaxMs: 1, logger: quiet, ...options })
  const acc = new RecordAccumulator({ batchSize: 200, bufferMemory: 1 << 20, lingerMs: 0 })
  const { cluster, sent, inits } = fakeCluster()
  const idem = new IdempotentState(async () => {
    const c = await cluster.anyConnection()
    const r = (await c.request(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000 })) as { producerId: bigint; producerEpoch: number }
    return { producerId: r.producerId, epoch: r.producerEpoch }
  })
  const sender = new Sender(cluster, acc, opts, idem)
  const q = acc.queue('t', 0)
  let n = 0
  const outcomes: Array<Promise<string>> = []
  /** One batch of `count` records (each record ~100 bytes: two per batch of 200). */
  const append = (count = 1) => {
    for (let i = 0; i < count; i++) {
      const r = acc.tryAppend(q, 120, 1000, null, `r${n++}`.padEnd(90, '.'), null, Date.now())!
      outcomes.push(r.batch.done.then(() => 'ok', (e: Error) => `${(e as KafkaError).errorName ?? (e as ClientError).code}`))
      r.batch.closed = true
    }
    sender.wake()
  }
  return { sender, sent, inits, append, idem, outcomes, acc }
}

test('idempotent sender: a producer id first, then each batch of a partition takes the next sequence range; a retry resends its own', async (t) => {
  const { sender, sent, inits, append } = setup()
  t.after(() => sender.stop())
  for (let i = 0; i < 3; i++) {
    append()
    await turn()
  }
  assert.equal(inits.length, 1)
  assert.deepEqual(sent.map((s) => [s.producerId, s.epoch, s.sequence]), [[7n, 0, 0], [7n, 0, 1], [7n, 0, 2]])
  // The first is refused retriably: the two behind it are out of order at the broker and wait.
  sent[0]!.answer(ErrorCode.NOT_LEADER_OR_FOLLOWER)
  sent[1]!.answer(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  sent[2]!.answer(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  await resent(sent, 6)
  assert.deepEqual(sent.slice(3).map((s) => [s.epoch, s.sequence]), [[0, 0], [0, 1], [0, 2]], 'resent with the same stamp, in order, no epoch bump')
  assert.equal(inits.length, 1)
})

test('idempotent sender: OUT_OF_ORDER for the batch the partition expects next bumps the epoch once nothing is in flight; the batches start again at sequence 0', async (t) => {
  const { sender, sent, append, idem, outcomes } = setup()
  t.after(() => sender.stop())
  append()
  await turn()
  sent[0]!.answer(0, 0n)
  append()
  await turn()
  append()
  await turn()
  assert.deepEqual(sent.map((s) => s.sequence), [0, 1, 2])
  // The broker lost sequence 0 (say an unclean election): 1 cannot follow anything it has.
  sent[1]!.answer(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  await turn()
  await new Promise((r) => setTimeout(r, 10))
  append()
  await turn()
  assert.equal(sent.length, 3, 'nothing new goes while a request of the old epoch is in flight')
  assert.equal(idem.epoch, 0)
  sent[2]!.answer(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  await resent(sent, 6)
  assert.equal(idem.epoch, 1)
  assert.deepEqual(sent.slice(3).map((s) => [s.producerId, s.epoch, s.sequence]), [[7n, 1, 0], [7n, 1, 1], [7n, 1, 2]], 'a local bump (KIP-360): same id, epoch 1, from 0, in order')
  assert.deepEqual(await Promise.all(outcomes), ['ok', 'ok', 'ok', 'ok'])
})

test('idempotent sender: a batch with a sequence that fails for good leaves a gap: the epoch is bumped before the next batch', async (t) => {
  const { sender, sent, append, outcomes } = setup()
  t.after(() => sender.stop())
  append()
  await turn()
  sent[0]!.answer(ErrorCode.INVALID_RECORD)
  await turn()
  append()
  await turn()
  assert.deepEqual([sent[1]!.epoch, sent[1]!.sequence], [1, 0])
  sent[1]!.answer(0, 0n)
  assert.deepEqual(await Promise.all(outcomes), ['INVALID_RECORD', 'ok'])
})

test('idempotent sender: DUPLICATE_SEQUENCE_NUMBER is a success; INVALID_PRODUCER_EPOCH fails the batch and a new producer id is fetched', async (t) => {
  const { sender, sent, append, inits, outcomes } = setup()
  t.after(() => sender.stop())
  append()
  await turn()
  sent[0]!.answer(ErrorCode.DUPLICATE_SEQUENCE_NUMBER, 5n)
  await turn()
  append()
  await turn()
  sent[1]!.answer(ErrorCode.INVALID_PRODUCER_EPOCH)
  await turn()
  append()
  await turn()
  assert.equal(inits.length, 2)
  assert.deepEqual([sent[2]!.producerId, sent[2]!.epoch, sent[2]!.sequence], [8n, 0, 0])
  sent[2]!.answer(0, 6n)
  assert.deepEqual(await Promise.all(outcomes), ['ok', 'INVALID_PRODUCER_EPOCH', 'ok'])
})

test('producer → Samsa: a Produce response lost after the write is retried and answered as a duplicate: each record once, in order (without idempotence it is written twice)', async (t) => {
  const b = await startBroker({ logger: quiet })
  t.after(() => b.close())
  for (const idempotent of [true, false]) {
    const topic = `lost-response-${idempotent}`
    await b.broker.createTopic(topic, 1)
    const p = new Producer({ bootstrapServers: b.bootstrap, idempotent, acks: 'all', lingerMs: 20, retryBackoffMs: 10, logger: quiet })
    t.after(() => p.close())
    await p.send({ topic, value: 'warm-up' })
    b.broker.faults.failNext('response.send', { when: (name) => name === 'ProduceResponse' })
    const values = Array.from({ length: 50 }, (_, i) => `v${i}`)
    const ms = await Promise.all(values.map((value) => p.send({ topic, value })))
    await p.close()
    const got = (await readTopic(b.bootstrap, topic, idempotent ? 51 : 101, 10_000)).map((r) => r.value)
    if (idempotent) {
      assert.deepEqual(got, ['warm-up', ...values])
      assert.deepEqual(ms.map((m) => m.offset), values.map((_, i) => BigInt(i + 1)), 'the retry is answered with the original offsets')
    } else {
      assert.equal(got.length, 101, 'the test can fail: without idempotence the retry writes the batch again')
    }
  }
})
