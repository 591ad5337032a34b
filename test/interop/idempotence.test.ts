/**
 * Idempotent producers of real clients against the real broker process: librdkafka (kcat with
 * enable.idempotence, confluent-kafka) and kafkajs get producer ids and write every record
 * once, in order; confluent-kafka's idempotent producer keeps producing through a kill -9 of
 * the broker and its restart on the same data (the restarted broker rebuilds each partition's
 * producer state from the log past its last snapshot, so retries of batches written before the
 * kill are answered as duplicates and the sequences continue).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { PYTHON } from '../helpers/python.js'
import { RawClient } from '../helpers/raw-client.js'
import { hasCommand, hasPythonModule, requireTool, runTool } from '../helpers/tools.js'
import { createTopic, fetchAll, LATEST, listOffset } from '../helpers/wire.js'

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

/** Every record of `topic`-0 from a raw fetch: values, and the producer ids of the batches. */
async function readBack(b: BrokerProcess, topic: string): Promise<{ values: string[]; producerIds: Set<bigint> }> {
  const c = await RawClient.connect(b.port, b.host)
  try {
    const { records, batches } = await fetchAll(c, topic, 0)
    return { values: records.map((r) => r.value!.toString()), producerIds: new Set(batches.map((x) => x.producerId)) }
  } finally {
    c.close()
  }
}

test('kcat with enable.idempotence=true: one producer id, every record once and in order', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const b = await startBrokerProcess()
  t.after(() => b.stop())
  const lines = Array.from({ length: 500 }, (_, i) => `m${i}`)
  const r = await runTool('kcat', ['-P', '-b', b.bootstrap, '-t', 'kcat-idem', '-p', '0', '-X', 'enable.idempotence=true', '-X', 'linger.ms=5'], { input: lines.join('\n') + '\n', timeoutMs: 30_000 })
  assert.equal(r.code, 0, r.stderr)
  const { values, producerIds } = await readBack(b, 'kcat-idem')
  assert.deepEqual(values, lines)
  assert.equal(producerIds.size, 1)
  assert.ok([...producerIds][0]! >= 0n, 'batches carry the producer id InitProducerId gave')
})

test('kafkajs idempotent producer: producer id in every batch, records once and in order', async (t) => {
  const b = await startBrokerProcess()
  t.after(() => b.stop())
  const kafka = new Kafka({ clientId: 'samsa-idem', brokers: [b.bootstrap], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'kjs-idem', numPartitions: 1 }] })
  await admin.disconnect()
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  t.after(() => producer.disconnect())
  const sent: string[] = []
  for (let i = 0; i < 20; i++) {
    const batch = Array.from({ length: 10 }, (_, j) => `v${i * 10 + j}`)
    sent.push(...batch)
    await producer.send({ topic: 'kjs-idem', acks: -1, messages: batch.map((value) => ({ value })) })
  }
  const { values, producerIds } = await readBack(b, 'kjs-idem')
  assert.deepEqual(values, sent)
  assert.equal(producerIds.size, 1)
  assert.ok([...producerIds][0]! >= 0n)
})

// Produces argv[2] records "0".."n-1" to partition 0 with idempotence, retrying through broker
// outages (message.timeout.ms covers the restart); prints the delivery outcome.
const PRODUCE_THROUGH_CRASH = `
import json, sys
from confluent_kafka import Producer
n = int(sys.argv[2])
p = Producer({'bootstrap.servers': sys.argv[1], 'enable.idempotence': True, 'linger.ms': 2,
              'message.timeout.ms': 90000, 'retry.backoff.ms': 100, 'reconnect.backoff.max.ms': 500,
              'batch.num.messages': 50})
errors = []
delivered = [0]
def cb(err, msg):
    if err is not None: errors.append(str(err))
    else: delivered[0] += 1
for i in range(n):
    while True:
        try:
            p.produce('crash-idem', value=str(i).encode(), partition=0, on_delivery=cb)
            break
        except BufferError:
            p.poll(0.05)
    p.poll(0)
left = p.flush(120)
print(json.dumps({'delivered': delivered[0], 'errors': errors[:5], 'left': left}))
`

test('confluent-kafka idempotent producer through a broker kill -9 and restart: every record exactly once, in order', async (t) => {
  if (!requireTool(t, 'python3-confluent-kafka', () => hasPythonModule('confluent_kafka'))) return
  const logDir = mkdtempSync(join(tmpdir(), 'samsa-idem-crash-'))
  const port = await freePort()
  const overrides = { listeners: `PLAINTEXT://127.0.0.1:${port}` }
  const brokers: BrokerProcess[] = []
  t.after(async () => {
    for (const b of brokers) await b.stop('SIGKILL')
    rmSync(logDir, { recursive: true, force: true })
  })
  const first = await startBrokerProcess({ logDir, overrides })
  brokers.push(first)
  const admin = await RawClient.connect(first.port, first.host)
  assert.equal((await createTopic(admin, 'crash-idem', 1)).errorCode, 0)

  const N = 20_000
  const producing = runTool(PYTHON, ['-c', PRODUCE_THROUGH_CRASH, `127.0.0.1:${port}`, String(N)], { timeoutMs: 150_000 })
  // Kill the broker while the producer is in full flow, a third of the way in.
  for (;;) {
    const leo = (await listOffset(admin, 'crash-idem', 0, LATEST)).offset ?? -1n
    if (leo >= BigInt(Math.floor(N / 3))) break
    await new Promise((r) => setTimeout(r, 20))
  }
  admin.close()
  const exit = await first.stop('SIGKILL')
  assert.equal(exit.signal, 'SIGKILL')
  await new Promise((r) => setTimeout(r, 500))
  const second = await startBrokerProcess({ logDir, overrides })
  brokers.push(second)

  const r = await producing
  assert.equal(r.code, 0, r.stderr.slice(-3000))
  const outcome = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { delivered: number; errors: string[]; left: number }
  assert.deepEqual(outcome, { delivered: N, errors: [], left: 0 })
  const { values, producerIds } = await readBack(second, 'crash-idem')
  const expected = Array.from({ length: N }, (_, i) => String(i))
  if (values.length !== N) {
    const seen = new Map<string, number>()
    for (const v of values) seen.set(v, (seen.get(v) ?? 0) + 1)
    const dups = [...seen].filter(([, n]) => n > 1).slice(0, 5)
    assert.fail(`${values.length} records for ${N} sent; duplicates: ${JSON.stringify(dups)}`)
  }
  assert.deepEqual(values, expected, 'every record once, in order')
  assert.equal(producerIds.size, 1, 'one producer id throughout (librdkafka keeps its id and epoch across the outage)')
})
