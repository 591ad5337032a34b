/**
 * The Samsa producer's transactions against a real Samsa broker: commit and abort interleaved
 * across partitions (read_committed sees the committed records only), a zombie fenced with a
 * typed error, misuse refused, and a consume-transform-produce step whose consumed offsets
 * commit with its output.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startBroker } from '../../../src/index.js'
import { Producer } from '../../../src/client/producer/index.js'
import { Consumer } from '../../../src/client/consumer/index.js'
import { Admin } from '../../../src/client/admin/admin.js'
import { ClientError, KafkaError } from '../../../src/client/base/errors.js'
import { createLogger } from '../../../src/util/logger.js'
import { deferrer } from '../../helpers/groups.js'

const quiet = createLogger({ level: 'error' })

async function readAll(bootstrap: string, topic: string, partitions: number, isolationLevel: 'read_committed' | 'read_uncommitted', count: number): Promise<string[]> {
  const c = new Consumer({ bootstrapServers: bootstrap, isolationLevel, logger: quiet })
  try {
    c.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })))
    c.seekToBeginning()
    const out: string[] = []
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline && out.length < count) for (const r of await c.poll({ timeoutMs: 300 })) out.push(`${r.partition}:${r.value!.toString()}`)
    for (const r of await c.poll({ timeoutMs: 300 })) out.push(`${r.partition}:${r.value!.toString()}`)
    return out.sort()
  } finally {
    await c.close()
  }
}

test('Samsa producer transactions: commit and abort interleaved across partitions; read_committed sees exactly the committed records', async (t) => {
  const defer = deferrer(t)
  const b = await startBroker({ logger: quiet })
  defer(() => b.close())
  await b.broker.createTopic('st', 3)
  const p = new Producer({ bootstrapServers: b.bootstrap, transactionalId: 'samsa-tx', logger: quiet })
  defer(() => p.close())
  await assert.rejects(p.send({ topic: 'st', value: 'x' }), (e: ClientError) => e.code === 'ILLEGAL_STATE' && /beginTransaction/.test(e.message))
  const committed: string[] = []
  const all: string[] = []
  for (let i = 0; i < 6; i++) {
    await p.beginTransaction()
    const sent = await Promise.all([0, 1, 2].map((partition) => p.send({ topic: 'st', partition, value: `t${i}-p${partition}` })))
    assert.equal(sent.length, 3)
    const names = [0, 1, 2].map((partition) => `${partition}:t${i}-p${partition}`)
    all.push(...names)
    if (i % 2 === 0) {
      await p.commitTransaction()
      committed.push(...names)
    } else {
      await p.abortTransaction()
    }
  }
  await assert.rejects(p.commitTransaction(), (e: ClientError) => e.code === 'ILLEGAL_STATE')
  assert.deepEqual(await readAll(b.bootstrap, 'st', 3, 'read_committed', committed.length), committed.sort())
  assert.deepEqual(await readAll(b.bootstrap, 'st', 3, 'read_uncommitted', all.length), all.sort())
})

test('Samsa producer transactions: a newer producer with the same transactional id fences the older one (KafkaError PRODUCER_FENCED), which stays fenced', async (t) => {
  const defer = deferrer(t)
  const b = await startBroker({ logger: quiet })
  defer(() => b.close())
  await b.broker.createTopic('fence', 1)
  const old = new Producer({ bootstrapServers: b.bootstrap, transactionalId: 'fence-id', logger: quiet, maxBlockMs: 5000 })
  defer(() => old.close())
  await old.beginTransaction()
  await old.send({ topic: 'fence', value: 'zombie' })
  const fresh = new Producer({ bootstrapServers: b.bootstrap, transactionalId: 'fence-id', logger: quiet })
  defer(() => fresh.close())
  await fresh.beginTransaction()
  await fresh.send({ topic: 'fence', value: 'fresh' })
  await fresh.commitTransaction()
  const err = await old.commitTransaction().then(() => undefined, (e: unknown) => e)
  assert.ok(err instanceof KafkaError, `a KafkaError: ${String(err)}`)
  assert.ok(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'].includes((err as KafkaError).errorName), (err as KafkaError).errorName)
  await assert.rejects(old.beginTransaction(), (e: KafkaError) => e === err, 'fenced for good')
  assert.deepEqual(await readAll(b.bootstrap, 'fence', 1, 'read_committed', 1), ['0:fresh'])
})

test('consume-transform-produce: output and consumed offsets commit together (sendOffsetsToTransaction with the consumer’s group metadata); an aborted step leaves both as they were', async (t) => {
  const defer = deferrer(t)
  const b = await startBroker({ logger: quiet })
  defer(() => b.close())
  await b.broker.createTopic('in', 1)
  await b.broker.createTopic('out', 1)
  const plain = new Producer({ bootstrapServers: b.bootstrap, logger: quiet })
  defer(() => plain.close())
  await plain.sendBatch(Array.from({ length: 10 }, (_, i) => ({ topic: 'in', value: `r${i}` })))
  const consumer = new Consumer({ bootstrapServers: b.bootstrap, groupId: 'ctp', enableAutoCommit: false, autoOffsetReset: 'earliest', isolationLevel: 'read_committed', logger: quiet })
  defer(() => consumer.close())
  await consumer.subscribe(['in'])
  const p = new Producer({ bootstrapServers: b.bootstrap, transactionalId: 'ctp-tx', logger: quiet })
  defer(() => p.close())
  const admin = new Admin({ bootstrapServers: b.bootstrap, logger: quiet })
  defer(() => admin.close())
  let records = await consumer.poll({ timeoutMs: 10_000 })
  while (records.length === 0) records = await consumer.poll({ timeoutMs: 10_000 })
  const step = async (commit: boolean) => {
    await p.beginTransaction()
    for (const r of records) await p.send({ topic: 'out', value: `${r.value!.toString()}-out` })
    const last = records.at(-1)!
    await p.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: last.offset + 1n }], consumer.groupMetadata())
    if (commit) await p.commitTransaction()
    else await p.abortTransaction()
  }
  await step(false)
  await step(true)
  const out = await readAll(b.bootstrap, 'out', 1, 'read_committed', records.length)
  assert.deepEqual(out, records.map((r) => `0:${r.value!.toString()}-out`).sort(), 'the aborted step’s output is not seen')
  const deadline = Date.now() + 5000
  let offsets = await admin.listGroupOffsets('ctp')
  while (Date.now() < deadline && !offsets.some((o) => o.offset === records.at(-1)!.offset + 1n)) {
    await new Promise((r) => setTimeout(r, 20))
    offsets = await admin.listGroupOffsets('ctp')
  }
  assert.equal(offsets.find((o) => o.topic === 'in' && o.partition === 0)?.offset, records.at(-1)!.offset + 1n)
})
