/**
 * The producer against a real Samsa broker and against librdkafka's mock cluster (an
 * independent broker implementation), read back by librdkafka's consumer.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { startBroker } from '../../../src/index.js'
import { Producer, partitionForKey, type CompressionType, type RecordMetadata } from '../../../src/client/producer/index.js'
import { ClientError, KafkaError } from '../../../src/client/base/errors.js'
import { Consumer } from '../../../src/client/consumer/index.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { checkRoundTrip, runPythonJson, sampleRecords, type PyConsumed, type PyRecord } from '../../helpers/python.js'
import { hasPythonModule, requireTool } from '../../helpers/tools.js'
import { mockClusterFor } from '../../helpers/mock-cluster.js'

const READ_BACK = `
import json, sys, time
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
spec = json.load(sys.stdin)
tohex = lambda b: None if b is None else b.hex()
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'unused', 'enable.auto.commit': False, 'fetch.wait.max.ms': 100})
c.assign([TopicPartition(spec['topic'], p, OFFSET_BEGINNING) for p in range(spec['partitions'])])
out = []
errors = []
deadline = time.time() + 30
while len(out) < spec['count'] and time.time() < deadline:
    for m in c.consume(num_messages=1000, timeout=0.3):
        if m.error():
            errors.append(str(m.error()))
            continue
        ts_type, ts = m.timestamp()
        out.append({'partition': m.partition(), 'offset': m.offset(), 'timestamp': ts, 'timestamp_type': ts_type - 1,
                    'key': tohex(m.key()), 'value': tohex(m.value()), 'headers': [[k, tohex(v)] for k, v in (m.headers() or [])]})
c.close()
print(json.dumps({'consumed': out, 'errors': errors}))
`

async function readBack(bootstrap: string, topic: string, partitions: number, count: number): Promise<PyConsumed[]> {
  const r = await runPythonJson<{ consumed: PyConsumed[]; errors: string[] }>(READ_BACK, bootstrap, { topic, partitions, count })
  assert.deepEqual(r.errors, [])
  return r.consumed
}

const unhex = (h: string | null) => (h === null ? null : Buffer.from(h, 'hex'))

/** Sends the sample records with explicit partitions; returns their delivery reports in order. */
async function sendAll(p: Producer, topic: string, records: PyRecord[]): Promise<RecordMetadata[]> {
  return Promise.all(
    records.map((r) =>
      p.send({ topic, partition: r.partition, key: unhex(r.key), value: unhex(r.value), timestamp: r.timestamp, headers: r.headers.map(([k, v]) => [k, unhex(v)] as [string, Buffer | null]) }),
    ),
  )
}

const CODECS: CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

async function roundTrips(t: TestContext, bootstrap: string, createTopic: (name: string, n: number) => Promise<void>) {
  for (const compression of CODECS) {
    const topic = `rt-${compression}`
    await createTopic(topic, 2)
    const p = new Producer({ bootstrapServers: bootstrap, compression, lingerMs: 5, acks: 'all' })
    t.after(() => p.close())
    const records = sampleRecords(60, 2, Date.now() - 3_600_000)
    const delivered = await sendAll(p, topic, records)
    for (const d of delivered) assert.equal(d.topic, topic)
    const consumed = await readBack(bootstrap, topic, 2, records.length)
    checkRoundTrip(records, delivered.map((d) => ({ partition: d.partition, offset: Number(d.offset) })), consumed)
    await p.close()
  }
}

test('producer → Samsa: every codec round-trips keys, values, null values, duplicate and null headers, timestamps', async (t) => {
  if (!requireTool(t, 'python3-confluent-kafka', () => hasPythonModule('confluent_kafka'))) return
  const b = await startBroker()
  t.after(() => b.close())
  await roundTrips(t, b.bootstrap, (n, c) => b.broker.createTopic(n, c).then(() => {}))
})

test('producer → librdkafka mock cluster: every codec round-trips across 3 brokers', async (t) => {
  const mock = await mockClusterFor(t, { brokers: 3 })
  if (!mock) return
  await roundTrips(t, mock.bootstrap, (n, c) => mock.createTopic(n, c))
})

test('producer: keyed records land where the Java client puts them; keyless records stick to a partition per batch', async (t) => {
  const b = await startBroker()
  t.after(() => b.close())
  await b.broker.createTopic('keys', 6)
  const p = new Producer({ bootstrapServers: b.bootstrap, lingerMs: 0, batchSize: 1000 })
  t.after(() => p.close())
  for (const key of ['a', 'user-42', 'héllo', '']) {
    const m = await p.send({ topic: 'keys', key, value: 'v' })
    assert.equal(m.partition, partitionForKey(Buffer.from(key), 6), `key ${JSON.stringify(key)}`)
  }
  // Keyless: all records of one synchronous burst share the sticky partition until a batch fills.
  const burst = await Promise.all(Array.from({ length: 5 }, () => p.send({ topic: 'keys', value: 'x' })))
  assert.equal(new Set(burst.map((m) => m.partition)).size, 1)
  const many = await Promise.all(Array.from({ length: 600 }, () => p.send({ topic: 'keys', value: Buffer.alloc(100) })))
  assert.ok(new Set(many.map((m) => m.partition)).size > 1, 'new batches move the sticky partition')
  // A custom partitioner decides, and may defer to the default with undefined.
  const custom = new Producer({ bootstrapServers: b.bootstrap, partitioner: ({ key }) => (key?.toString() === 'five' ? 5 : undefined) })
  t.after(() => custom.close())
  assert.equal((await custom.send({ topic: 'keys', key: 'five', value: 'v' })).partition, 5)
  assert.equal((await custom.send({ topic: 'keys', key: 'a', value: 'v' })).partition, partitionForKey(Buffer.from('a'), 6))
})

test('producer: acks 0, 1 and all; offsets count up per partition; flush waits for everything', async (t) => {
  const b = await startBroker()
  t.after(() => b.close())
  await b.broker.createTopic('acks', 1)
  for (const acks of [1, 'all'] as const) {
    const p = new Producer({ bootstrapServers: b.bootstrap, acks })
    const ms = await Promise.all(Array.from({ length: 10 }, (_, i) => p.send({ topic: 'acks', value: `v${i}` })))
    const base = ms[0]!.offset
    ms.forEach((m, i) => assert.equal(m.offset, base + BigInt(i)))
    await p.close()
  }
  const p0 = new Producer({ bootstrapServers: b.bootstrap, acks: 0 })
  const pending = Array.from({ length: 10 }, () => p0.send({ topic: 'acks', value: 'zero' }))
  await p0.flush()
  for (const m of await Promise.all(pending)) assert.equal(m.offset, -1n)
  await p0.close()
  const fresh = new Producer({ bootstrapServers: b.bootstrap })
  t.after(() => fresh.close())
  // acks=0 records were written: the next offset is 30.
  assert.equal((await fresh.send({ topic: 'acks', value: 'last' })).offset, 30n)
  // sendBatch: metadata per record, in order, including a topic not seen yet (slow path).
  await b.broker.createTopic('acks2', 1)
  const batch = await fresh.sendBatch([
    { topic: 'acks', value: 'b0' },
    { topic: 'acks2', value: 'c0' },
    { topic: 'acks', value: 'b1' },
  ])
  assert.deepEqual(batch.map((m) => [m.topic, m.offset]), [['acks', 31n], ['acks2', 0n], ['acks', 32n]])
})

test('producer: retriable errors are retried and a moved leader is followed (mock cluster)', async (t) => {
  const mock = await mockClusterFor(t, { brokers: 3, topics: { moving: 1 } })
  if (!mock) return
  await mock.setPartitionLeader('moving', 0, 1)
  const p = new Producer({ bootstrapServers: mock.bootstrap, retryBackoffMs: 20 })
  t.after(() => p.close())
  assert.equal((await p.send({ topic: 'moving', value: 'a' })).offset, 0n)
  await mock.pushRequestErrors(ApiKey.Produce, [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.REQUEST_TIMED_OUT])
  await mock.setPartitionLeader('moving', 0, 2)
  assert.equal((await p.send({ topic: 'moving', value: 'b' })).offset, 1n)
  // A leader that goes away for a while: records wait and are delivered once it is back.
  await mock.brokerDown(2)
  const late = p.send({ topic: 'moving', value: 'c' })
  await new Promise((r) => setTimeout(r, 300))
  await mock.brokerUp(2)
  assert.equal((await late).offset, 2n)
  const consumed = await readBack(mock.bootstrap, 'moving', 1, 3)
  assert.deepEqual(consumed.map((c) => Buffer.from(c.value!, 'hex').toString()), ['a', 'b', 'c'])
})

test('producer: errors are typed — non-retriable broker errors, delivery timeout, full buffer, bad records, closed producer', async (t) => {
  const b = await startBroker({ config: { 'auto.create.topics.enable': 'false' } })
  t.after(() => b.close())
  await b.broker.createTopic('small', 1, { 'max.message.bytes': '200' })
  const p = new Producer({ bootstrapServers: b.bootstrap, maxBlockMs: 300 })
  t.after(() => p.close())
  await assert.rejects(p.send({ topic: 'small', value: Buffer.alloc(500) }), (e: unknown) => {
    assert.ok(e instanceof KafkaError)
    assert.equal(e.errorName, 'MESSAGE_TOO_LARGE')
    assert.equal(e.retriable, false)
    assert.match(e.message, /small-0/)
    return true
  })
  await assert.rejects(p.send({ topic: 'nope', value: 'x' }), (e: unknown) => e instanceof KafkaError && e.errorName === 'UNKNOWN_TOPIC_OR_PARTITION' && /nope/.test(e.message))
  await assert.rejects(p.send({ topic: 'small', partition: 3, value: 'x' }), (e: unknown) => e instanceof ClientError && /partitions 0-0/.test(e.message))
  await assert.rejects(p.send({ topic: 'small', value: Buffer.alloc(2 << 20) }), (e: unknown) => e instanceof ClientError && e.code === 'RECORD_TOO_LARGE')
  await assert.rejects(p.send({ topic: 'small', value: 42 as unknown as string }), (e: unknown) => e instanceof ClientError && /value must be/.test(e.message))
  await p.close()
  await assert.rejects(p.send({ topic: 'small', value: 'x' }), (e: unknown) => e instanceof ClientError && e.code === 'CLIENT_CLOSED')
})

test('producer: a down leader expires records after deliveryTimeoutMs, and a full buffer fails sends after maxBlockMs (mock cluster)', async (t) => {
  const mock = await mockClusterFor(t, { brokers: 1, topics: { stuck: 1 } })
  if (!mock) return
  const p = new Producer({ bootstrapServers: mock.bootstrap, deliveryTimeoutMs: 700, requestTimeoutMs: 400, lingerMs: 0, bufferMemory: 50_000, batchSize: 16_384, maxBlockMs: 200, retryBackoffMs: 50 })
  t.after(() => p.close({ timeoutMs: 0 }))
  await p.send({ topic: 'stuck', value: 'warm-up' })
  await mock.brokerDown(1)
  const started = Date.now()
  const first = p.send({ topic: 'stuck', value: Buffer.alloc(20_000) })
  const second = p.send({ topic: 'stuck', partition: 0, value: Buffer.alloc(20_000) })
  await assert.rejects(p.send({ topic: 'stuck', partition: 0, value: Buffer.alloc(20_000) }), (e: unknown) => e instanceof ClientError && e.code === 'BUFFER_EXHAUSTED')
  for (const r of [first, second]) {
    await assert.rejects(r, (e: unknown) => e instanceof ClientError && e.code === 'DELIVERY_TIMEOUT' && /stuck-0/.test(e.message))
  }
  assert.ok(Date.now() - started < 5000)
})

test('producer: records sent while the topic is still being looked up keep their order (auto-created topic)', async (t) => {
  const b = await startBroker()
  t.after(() => b.close())
  const p = new Producer({ bootstrapServers: b.bootstrap, lingerMs: 0 })
  t.after(() => p.close())
  // The first sends wait for the topic's metadata (created on first use, possibly after a
  // retry); sends made meanwhile, once the metadata is cached, must not overtake them.
  const sent: Array<Promise<RecordMetadata>> = []
  for (let i = 0; i < 300; i++) {
    sent.push(p.send({ topic: 'created-on-use', value: `v${i}` }))
    if (i % 3 === 0) await new Promise((r) => setTimeout(r, 1))
  }
  const ms = await Promise.all(sent)
  assert.deepEqual(ms.map((m) => m.offset), ms.map((_, i) => BigInt(i)))
})

test('producer: flush covers sends still waiting for the topic metadata', async (t) => {
  const b = await startBroker()
  t.after(() => b.close())
  const p = new Producer({ bootstrapServers: b.bootstrap, lingerMs: 60_000 })
  t.after(() => p.close())
  let acked = false
  const sent = p.send({ topic: 'new-topic', value: 'v' }).then((m) => ((acked = true), m))
  await p.flush()
  assert.ok(acked, 'the record was acknowledged when flush resolved, not after lingerMs')
  assert.equal((await sent).offset, 0n)
})

test('producer: batches over max.message.bytes are split; every record lands once, in order, with its offset; a record over the limit fails alone, naming it', async (t) => {
  const b = await startBroker()
  t.after(() => b.close())
  await b.broker.createTopic('capped', 1, { 'max.message.bytes': '2000' })
  // retries 0: splitting is not retrying.
  const p = new Producer({ bootstrapServers: b.bootstrap, retries: 0, lingerMs: 5 })
  t.after(() => p.close())
  const value = (i: number) => `record-${String(i).padStart(4, '0')}-${'x'.repeat(40)}`
  const sends: Array<Promise<RecordMetadata | Error>> = []
  // Sent over many event-loop turns, as an application does, so batches pipeline.
  for (let i = 0; i < 2000; i++) {
    if (i % 50 === 0) await new Promise((r) => setImmediate(r))
    if (i === 1000) sends.push(p.send({ topic: 'capped', value: 'y'.repeat(2500) }).catch((e: Error) => e))
    sends.push(p.send({ topic: 'capped', value: value(i) }))
  }
  const settled = await p.sendBatchSettled(Array.from({ length: 100 }, (_, i) => ({ topic: 'capped', value: i === 50 ? 'z'.repeat(2500) : value(2000 + i) })))
  const results = await Promise.all(sends)
  const tooLarge = results.splice(1000, 1)[0]
  assert.ok(tooLarge instanceof KafkaError, String(tooLarge))
  assert.equal(tooLarge.errorName, 'MESSAGE_TOO_LARGE')
  assert.match(tooLarge.message, /capped-0: MESSAGE_TOO_LARGE: a record of \d+ bytes \(as a batch of one\) is larger than the broker's message\.max\.bytes \/ the topic's max\.message\.bytes \(2000\)/)
  assert.equal(settled[50]!.status, 'rejected')
  assert.match(String((settled[50] as PromiseRejectedResult).reason), /MESSAGE_TOO_LARGE.*\(2000\)/)
  settled.splice(50, 1)
  const offsets = [...(results as RecordMetadata[]), ...settled.map((s) => (s as PromiseFulfilledResult<RecordMetadata>).value)].map((m) => Number(m.offset))
  assert.deepEqual(offsets, Array.from({ length: 2099 }, (_, i) => i), 'offsets in the order sent, none twice')
  const acc = (p as unknown as { acc: { bytesInUse: number; incomplete: Set<unknown> } }).acc
  assert.equal(acc.incomplete.size, 0)
  assert.equal(acc.bytesInUse, 0)
  // What the log holds: the same records, in the same order.
  const consumer = new Consumer({ bootstrapServers: b.bootstrap, autoOffsetReset: 'earliest' })
  t.after(() => consumer.close())
  consumer.assign([{ topic: 'capped', partition: 0 }])
  const got: string[] = []
  const deadline = Date.now() + 20_000
  while (got.length < 2099 && Date.now() < deadline) for (const r of await consumer.poll({ timeoutMs: 500 })) got.push(r.value!.toString())
  const expected = [...Array.from({ length: 2000 }, (_, i) => value(i)), ...Array.from({ length: 100 }, (_, i) => value(2000 + i)).filter((_, i) => i !== 50)]
  assert.deepEqual(got, expected)
})

test('producer: a sendBatch waiting for its topic is not overtaken by a later sendBatch that finds the metadata cached', async (t) => {
  const b = await startBroker({ config: { 'auto.create.topics.enable': 'false' } })
  t.after(() => b.close())
  const p = new Producer({ bootstrapServers: b.bootstrap, lingerMs: 0, retryBackoffMs: 2000, retryBackoffMaxMs: 2000 })
  t.after(() => p.close())
  const first = p.sendBatch([{ topic: 'late', value: 'first' }])
  // The lookup `first` started is shared: once it answered (no such topic yet), `first` waits
  // out its retry backoff.
  await (p as unknown as { cluster: { refresh(o: object): Promise<void> } }).cluster.refresh({})
  await b.broker.createTopic('late', 1)
  // A send looks the topic up again and caches it; a sendBatch made then has it at hand.
  const second = await p.send({ topic: 'late', value: 'second' })
  const third = await p.sendBatch([{ topic: 'late', value: 'third' }])
  assert.deepEqual([(await first)[0]!.offset, second.offset, third[0]!.offset], [0n, 1n, 2n])
})

test('producer: a burst of sends to many topics it does not know yet shares its metadata lookups, and every record lands in call order', async (t) => {
  const b = await startBroker({ config: { 'auto.create.topics.enable': 'false' } })
  t.after(() => b.close())
  const TOPICS = 40
  const names = Array.from({ length: TOPICS }, (_, i) => `burst-${i}`)
  for (const n of names) await b.broker.createTopic(n, 2)
  // Count the Metadata requests the broker answers.
  const handlers = b.broker.context.handlers
  const metadata = handlers.get(ApiKey.Metadata)!
  let metadataRequests = 0
  handlers.register({ ...metadata, handle: (req, ctx) => (metadataRequests++, metadata.handle(req, ctx)) } as typeof metadata)
  const p = new Producer({ bootstrapServers: b.bootstrap, lingerMs: 5 })
  t.after(() => p.close())
  const sent = await Promise.all(names.flatMap((topic) => [0, 1].map((i) => p.send({ topic, partition: 0, value: `${topic}-${i}` }))))
  // Sends look their topic up as they wait in line: one after another, that was a request per topic.
  assert.ok(metadataRequests <= 4, `${metadataRequests} Metadata requests for ${TOPICS} new topics`)
  for (let k = 0; k < TOPICS; k++) assert.ok(sent[2 * k]!.offset < sent[2 * k + 1]!.offset, `${names[k]}: the first send is first`)
})
