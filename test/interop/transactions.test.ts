/**
 * Transactions with real clients against a real broker: kafkajs and librdkafka (confluent-kafka)
 * commit and abort interleaved across several partitions; a read_committed consumer sees exactly
 * the committed records, a read_uncommitted one every record, neither a control record; a
 * zombie producer with the same transactional id is fenced; a transaction left open is aborted
 * by the coordinator after its timeout (on the broker's injected clock) and the last stable
 * offset moves on; offsets sent to a transaction are visible only once it commits; a broker
 * restarted mid-transaction reloads it, and initializing the id again aborts it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel, type Producer as KafkaJsProducer } from 'kafkajs'
import { startBroker } from '../../src/index.js'
import { Consumer } from '../../src/client/consumer/index.js'
import { ManualTime } from '../../src/util/time.js'
import { createLogger } from '../../src/util/logger.js'
import { deferrer } from '../helpers/groups.js'
import { runPythonJson } from '../helpers/python.js'
import { hasPythonModule, requireTool } from '../helpers/tools.js'

const quiet = createLogger({ level: 'error' })

/** Every record of `topic` (all partitions, from the start) through Samsa's consumer, as "partition:value", sorted. */
async function readAll(bootstrap: string, topic: string, partitions: number, isolationLevel: 'read_committed' | 'read_uncommitted', count: number): Promise<string[]> {
  const c = new Consumer({ bootstrapServers: bootstrap, isolationLevel, logger: quiet })
  try {
    c.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })))
    c.seekToBeginning()
    const out: string[] = []
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline) {
      for (const r of await c.poll({ timeoutMs: 300 })) out.push(`${r.partition}:${r.value!.toString()}`)
      if (out.length >= count) {
        // One more poll: anything beyond `count` would show here.
        for (const r of await c.poll({ timeoutMs: 300 })) out.push(`${r.partition}:${r.value!.toString()}`)
        break
      }
    }
    return out.sort()
  } finally {
    await c.close()
  }
}

test('kafkajs: commits and aborts interleaved across partitions; read_committed sees exactly the committed records, read_uncommitted all, neither a marker', async (t) => {
  const defer = deferrer(t)
  const b = await startBroker({ logger: quiet })
  defer(() => b.close())
  await b.broker.createTopic('kj-txn', 3)
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING })
  const p = kafka.producer({ transactionalId: 'kj-1', idempotent: true, maxInFlightRequests: 1 })
  defer(() => p.disconnect())
  await p.connect()
  const committed: string[] = []
  const all: string[] = []
  for (let i = 0; i < 6; i++) {
    const tx = await p.transaction()
    const messages = [0, 1, 2].map((partition) => ({ partition, value: `t${i}-p${partition}` }))
    await tx.send({ topic: 'kj-txn', messages })
    const names = messages.map((m) => `${m.partition}:${m.value}`)
    all.push(...names)
    if (i % 2 === 0) {
      await tx.commit()
      committed.push(...names)
    } else {
      await tx.abort()
    }
  }
  assert.deepEqual(await readAll(b.bootstrap, 'kj-txn', 3, 'read_committed', committed.length), committed.sort())
  assert.deepEqual(await readAll(b.bootstrap, 'kj-txn', 3, 'read_uncommitted', all.length), all.sort())
})

test('kafkajs: a zombie producer with the same transactional id is fenced; its open transaction is aborted', async (t) => {
  const defer = deferrer(t)
  const b = await startBroker({ logger: quiet })
  defer(() => b.close())
  await b.broker.createTopic('zombie', 1)
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } })
  const producer = (): KafkaJsProducer => kafka.producer({ transactionalId: 'zombie-id', idempotent: true, maxInFlightRequests: 1 })
  const zombie = producer()
  defer(() => zombie.disconnect())
  await zombie.connect()
  const ztx = await zombie.transaction()
  await ztx.send({ topic: 'zombie', messages: [{ value: 'from-zombie' }] })
  const fresh = producer()
  defer(() => fresh.disconnect())
  // Its InitProducerId bumps the epoch and aborts the zombie's open transaction.
  await fresh.connect()
  const ftx = await fresh.transaction()
  await ftx.send({ topic: 'zombie', messages: [{ value: 'from-fresh' }] })
  await ftx.commit()
  const err = await ztx.commit().then(() => undefined, (e: Error & { type?: string }) => e)
  assert.ok(err, 'the zombie cannot commit')
  assert.match(`${err.type ?? ''} ${err.message}`, /PRODUCER_FENCED|INVALID_PRODUCER_EPOCH|fenced|epoch/i)
  assert.deepEqual(await readAll(b.bootstrap, 'zombie', 1, 'read_committed', 1), ['0:from-fresh'])
})

test('a transaction left open is aborted after its timeout (the broker’s clock), its producer fenced, and the last stable offset moves on', async (t) => {
  const defer = deferrer(t)
  const time = new ManualTime(Date.now())
  const b = await startBroker({ logger: createLogger({ level: process.env.TXN_DEBUG ? 'debug' : 'error' }), time, config: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '1000' } })
  defer(() => b.close())
  await b.broker.createTopic('hanging', 1)
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } })
  const p = kafka.producer({ transactionalId: 'hanging-id', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 5000 })
  defer(() => p.disconnect())
  await p.connect()
  const tx = await p.transaction()
  await tx.send({ topic: 'hanging', messages: [{ value: 'never-committed' }] })
  const plain = kafka.producer()
  defer(() => plain.disconnect())
  await plain.connect()
  await plain.send({ topic: 'hanging', messages: [{ value: 'after' }] })
  const log = async () => (await b.broker.replicas.leaderLog('hanging', 0)).log
  assert.equal((await log()).lastStableOffset, 0, 'held by the open transaction')
  // The abort check runs every second of the broker's clock.
  const tick = async (seconds: number) => {
    for (let i = 0; i < seconds; i++) {
      time.advance(1000)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  await tick(4)
  assert.equal((await log()).lastStableOffset, 0, 'not yet past its 5 s timeout')
  await tick(3)
  const deadline = Date.now() + 10_000
  while ((await log()).lastStableOffset === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  const l = await log()
  assert.equal(l.lastStableOffset, l.highWatermark, 'the abort marker released it')
  assert.deepEqual(await readAll(b.bootstrap, 'hanging', 1, 'read_committed', 1), ['0:after'])
  const err = await tx.commit().then(() => undefined, (e: Error) => e)
  assert.ok(err, 'the timed-out producer is fenced')
})

test('kafkajs: offsets sent to a transaction are visible only once it commits; an aborted transaction’s offsets are dropped', async (t) => {
  const defer = deferrer(t)
  const b = await startBroker({ logger: quiet })
  defer(() => b.close())
  await b.broker.createTopic('offsets-in', 1)
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  defer(() => admin.disconnect())
  await admin.connect()
  const p = kafka.producer({ transactionalId: 'offsets-id', idempotent: true, maxInFlightRequests: 1 })
  defer(() => p.disconnect())
  await p.connect()
  const committedOffset = async () => (await admin.fetchOffsets({ groupId: 'ctp', topics: ['offsets-in'] }))[0]!.partitions[0]!.offset
  // EndTxn answers once the outcome is decided; the markers (and so the offsets) follow.
  const completed = async (state: number) => {
    const deadline = Date.now() + 5000
    while ((await b.broker.context.txns.describe('offsets-id'))?.state !== state) {
      if (Date.now() > deadline) throw new Error(`transaction not completed (state ${state}) within 5 s`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  const tx = await p.transaction()
  await tx.sendOffsets({ consumerGroupId: 'ctp', topics: [{ topic: 'offsets-in', partitions: [{ partition: 0, offset: '7' }] }] })
  assert.equal(await committedOffset(), '-1', 'not visible while the transaction is open')
  await tx.commit()
  await completed(4) // CompleteCommit
  assert.equal(await committedOffset(), '7')
  const tx2 = await p.transaction()
  await tx2.sendOffsets({ consumerGroupId: 'ctp', topics: [{ topic: 'offsets-in', partitions: [{ partition: 0, offset: '9' }] }] })
  await tx2.abort()
  await completed(5) // CompleteAbort
  assert.equal(await committedOffset(), '7', 'the aborted commit is dropped')
})

const CONFLUENT_TXN = `
import json, sys
from confluent_kafka import Producer, KafkaException
spec = json.load(sys.stdin)
p = Producer({'bootstrap.servers': sys.argv[1], 'transactional.id': spec['id'], 'transaction.timeout.ms': 60000})
p.init_transactions(20)
for i in range(spec['transactions']):
    p.begin_transaction()
    for part in range(spec['partitions']):
        p.produce(spec['topic'], value=f't{i}-p{part}'.encode(), partition=part)
    if i % 2 == 0:
        p.commit_transaction(20)
    else:
        # Delivered first, so the aborted records are in the log (librdkafka drops unsent ones).
        p.flush(20)
        p.abort_transaction(20)
print(json.dumps({'ok': True}))
`

test('confluent-kafka (librdkafka): commits and aborts interleaved; read_committed sees the committed records only', async (t) => {
  if (!requireTool(t, 'python3-confluent-kafka', () => hasPythonModule('confluent_kafka'))) return
  const defer = deferrer(t)
  const b = await startBroker({ logger: createLogger({ level: process.env.TXN_DEBUG ? 'info' : 'error' }) })
  defer(() => b.close())
  await b.broker.createTopic('ck-txn', 2)
  const r = await runPythonJson<{ ok: boolean }>(CONFLUENT_TXN, b.bootstrap, { id: 'ck-1', topic: 'ck-txn', partitions: 2, transactions: 5 })
  assert.equal(r.ok, true)
  const committed = [0, 2, 4].flatMap((i) => [0, 1].map((p) => `${p}:t${i}-p${p}`)).sort()
  const all = [0, 1, 2, 3, 4].flatMap((i) => [0, 1].map((p) => `${p}:t${i}-p${p}`)).sort()
  assert.deepEqual(await readAll(b.bootstrap, 'ck-txn', 2, 'read_committed', committed.length), committed)
  assert.deepEqual(await readAll(b.bootstrap, 'ck-txn', 2, 'read_uncommitted', all.length), all)
})

test('broker restart mid-transaction: the coordinator reloads __transaction_state; the open transaction is aborted when its id is initialized again, and the last stable offset moves on', async (t) => {
  const defer = deferrer(t)
  const dir = mkdtempSync(join(tmpdir(), 'samsa-txn-restart-'))
  defer(() => rmSync(dir, { recursive: true, force: true }))
  const first = await startBroker({ logger: quiet, logDirs: [dir] })
  let firstOpen = true
  defer(() => (firstOpen ? first.close() : undefined))
  await first.broker.createTopic('restart-txn', 1)
  const k1 = new Kafka({ brokers: [first.bootstrap], logLevel: logLevel.NOTHING })
  const p1 = k1.producer({ transactionalId: 'restart-id', idempotent: true, maxInFlightRequests: 1 })
  await p1.connect()
  const tx = await p1.transaction()
  await tx.send({ topic: 'restart-txn', messages: [{ value: 'open-at-restart' }] })
  await p1.disconnect()
  await first.close()
  firstOpen = false
  const second = await startBroker({ logger: quiet, logDirs: [dir] })
  defer(() => second.close())
  const log = async () => (await second.broker.replicas.leaderLog('restart-txn', 0)).log
  assert.equal((await log()).lastStableOffset, 0, 'the open transaction survived the restart')
  assert.equal((await second.broker.context.txns.describe('restart-id'))?.state, 1, 'Ongoing, reloaded')
  const k2 = new Kafka({ brokers: [second.bootstrap], logLevel: logLevel.NOTHING })
  const p2 = k2.producer({ transactionalId: 'restart-id', idempotent: true, maxInFlightRequests: 1 })
  defer(() => p2.disconnect())
  await p2.connect()
  const tx2 = await p2.transaction()
  await tx2.send({ topic: 'restart-txn', messages: [{ value: 'after-restart' }] })
  await tx2.commit()
  assert.deepEqual(await readAll(second.bootstrap, 'restart-txn', 1, 'read_committed', 1), ['0:after-restart'])
  assert.deepEqual(await readAll(second.bootstrap, 'restart-txn', 1, 'read_uncommitted', 2), ['0:after-restart', '0:open-at-restart'])
})

test('offsets sent to a transaction before a broker restart commit with it afterwards: the reloaded group partition keeps them pending until the marker', async (t) => {
  const defer = deferrer(t)
  const dir = mkdtempSync(join(tmpdir(), 'samsa-txn-offsets-'))
  defer(() => rmSync(dir, { recursive: true, force: true }))
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => resolve(p))
    })
  })
  const first = await startBroker({ logger: quiet, logDirs: [dir], port })
  let firstOpen = true
  defer(() => (firstOpen ? first.close() : undefined))
  await first.broker.createTopic('restart-offsets', 1)
  const kafka = new Kafka({ brokers: [first.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } })
  const p = kafka.producer({ transactionalId: 'restart-offsets-id', idempotent: true, maxInFlightRequests: 1 })
  defer(() => p.disconnect())
  await p.connect()
  const tx = await p.transaction()
  await tx.send({ topic: 'restart-offsets', messages: [{ value: 'v' }] })
  await tx.sendOffsets({ consumerGroupId: 'restart-group', topics: [{ topic: 'restart-offsets', partitions: [{ partition: 0, offset: '5' }] }] })
  await first.close()
  firstOpen = false
  const second = await startBroker({ logger: quiet, logDirs: [dir], port })
  defer(() => second.close())
  await tx.commit()
  const deadline = Date.now() + 10_000
  let committed = second.broker.context.groups.committed('restart-group', 'restart-offsets', 0)
  while (!committed && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20))
    committed = second.broker.context.groups.committed('restart-group', 'restart-offsets', 0)
  }
  assert.equal(committed?.offset, 5n, 'the pending commit became visible at the marker')
})
