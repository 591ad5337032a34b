/** kafkajs (npm dev dependency) against the real broker process. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel, Partitioners, type Message, type RecordMetadata } from 'kafkajs'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { requireGroupApis, deferrer } from '../helpers/groups.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'

function client(bootstrap: string): Kafka {
  return new Kafka({ clientId: 'samsa-interop', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } })
}

test('kafkajs admin.describeCluster returns broker 0 as controller, and listTopics works', async (t) => {
  const defer = deferrer(t)
  const b = await startBrokerProcess()
  defer(() => b.stop())
  const kafka = client(b.bootstrap)
  const admin = kafka.admin()
  await admin.connect()
  defer(() => admin.disconnect())

  const cluster = await admin.describeCluster()
  assert.deepEqual(cluster.brokers, [{ nodeId: 0, host: b.host, port: b.port }])
  assert.equal(cluster.controller, 0)
  assert.equal(typeof cluster.clusterId, 'string')
  assert.ok(cluster.clusterId.length > 0)

  assert.deepEqual(await admin.listTopics(), [])
  assert.equal(b.proc.exitCode, null, 'broker still running')
})

test('kafkajs admin creates, lists and deletes topics', async (t) => {
  const defer = deferrer(t)
  const b = await startBrokerProcess()
  defer(() => b.stop())
  const admin = client(b.bootstrap).admin()
  await admin.connect()
  defer(() => admin.disconnect())

  const created = await admin.createTopics({
    topics: [
      { topic: 'kjs-a', numPartitions: 3 },
      { topic: 'kjs-b', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
    ],
    waitForLeaders: true,
  })
  assert.equal(created, true)
  assert.deepEqual((await admin.listTopics()).sort(), ['kjs-a', 'kjs-b'])
  const md = await admin.fetchTopicMetadata({ topics: ['kjs-a'] })
  assert.equal(md.topics.length, 1)
  assert.deepEqual(
    md.topics[0]!.partitions.map((p) => ({ id: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr })).sort((x, y) => x.id - y.id),
    [0, 1, 2].map((id) => ({ id, leader: 0, replicas: [0], isr: [0] })),
  )
  assert.equal(await admin.createTopics({ topics: [{ topic: 'kjs-a', numPartitions: 5 }] }), false, 'an existing topic is not created again')
  assert.equal((await admin.fetchTopicMetadata({ topics: ['kjs-a'] })).topics[0]!.partitions.length, 3, 'and keeps its partitions')

  await admin.deleteTopics({ topics: ['kjs-a'] })
  assert.deepEqual(await admin.listTopics(), ['kjs-b'])
  assert.equal(b.proc.exitCode, null, 'broker still running')
})

interface KcatMessage {
  partition: number
  offset: number
  tstype: string
  ts: number
  headers?: string[]
  key: string | null
  payload: string | null
}

test('kafkajs producer sends keyed messages with headers and timestamps; kcat reads every one back where the partitioner put it', async (t) => {
  const defer = deferrer(t)
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const b = await startBrokerProcess()
  defer(() => b.stop())
  const kafka = client(b.bootstrap)
  const admin = kafka.admin()
  await admin.connect()
  defer(() => admin.disconnect())
  const topic = 'kjs-keys'
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true }), true)

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
  await producer.connect()
  defer(() => producer.disconnect())

  const base = Date.now() - 60_000
  const messages: Message[] = Array.from({ length: 90 }, (_, i) => ({
    key: i % 30 === 29 ? null : `user-${i % 7}`,
    value: `event ${i} for user-${i % 7} ✓ ${'p'.repeat(i)}`,
    headers: { 'trace-id': `t-${i}`, source: 'kafkajs' },
    timestamp: String(base + i * 10),
  }))
  const sends: RecordMetadata[][] = []
  for (let i = 0; i < messages.length; i += 30) sends.push(await producer.send({ topic, messages: messages.slice(i, i + 30) }))

  const r = await runTool('kcat', ['-C', '-b', b.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-J', '-m', '10'])
  assert.equal(r.code, 0, r.stderr)
  const got = r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as KcatMessage)
  assert.equal(got.length, messages.length, 'every message read back once')

  const partitionMetadata = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions
  const partitionOf = Partitioners.DefaultPartitioner()
  const byValue = new Map(got.map((m) => [m.payload, m]))
  const perPartition = new Map<number, number>()
  const keyPartition = new Map<string, number>()
  for (const [i, sent] of messages.entries()) {
    const m = byValue.get(String(sent.value))
    assert.ok(m, `message ${i} read back`)
    assert.equal(m.key, sent.key)
    assert.deepEqual(m.headers, ['trace-id', `t-${i}`, 'source', 'kafkajs'])
    assert.equal(m.tstype, 'create')
    assert.equal(m.ts, base + i * 10)
    // Within a partition, offsets follow send order without gaps.
    const next = perPartition.get(m.partition) ?? 0
    assert.equal(m.offset, next, `message ${i} offset in partition ${m.partition}`)
    perPartition.set(m.partition, next + 1)
    if (sent.key !== null) {
      assert.equal(m.partition, partitionOf({ topic, partitionMetadata, message: sent }), `message ${i} in the partition murmur2 picks for ${String(sent.key)}`)
      assert.equal(keyPartition.get(String(sent.key)) ?? m.partition, m.partition, `key ${String(sent.key)} stays in one partition`)
      keyPartition.set(String(sent.key), m.partition)
    }
  }
  assert.ok(perPartition.size >= 3, `messages spread over partitions: ${[...perPartition.keys()]}`)

  // The offsets each send reported are where kcat found that send's first message per partition.
  for (const [s, metadata] of sends.entries()) {
    for (const md of metadata) {
      assert.equal(md.errorCode, 0)
      const first = messages.slice(s * 30, s * 30 + 30).map((x) => byValue.get(String(x.value))!).filter((m) => m.partition === md.partition)
      assert.ok(first.length > 0)
      assert.equal(md.baseOffset, String(Math.min(...first.map((m) => m.offset))), `send ${s} partition ${md.partition} baseOffset`)
    }
  }

  const offsets = await admin.fetchTopicOffsets(topic)
  assert.deepEqual(
    offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high })).sort((x, y) => x.partition - y.partition),
    [0, 1, 2, 3].map((p) => ({ partition: p, low: '0', high: String(perPartition.get(p) ?? 0) })),
  )
  const at = base + 455
  const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, at)
  for (const o of byTime) {
    const inPartition = got.filter((m) => m.partition === o.partition)
    const want = inPartition.find((m) => m.ts >= at)?.offset ?? inPartition.length
    assert.equal(o.offset, String(want), `partition ${o.partition}: first offset at or after ${at}`)
  }
  assert.equal(b.proc.exitCode, null, 'broker still running')
})

test('kafkajs consumer.run in a group reads back every message the producer sent', async (t) => {
  const defer = deferrer(t)
  const b = await startBrokerProcess()
  defer(() => b.stop())
  // The group coordinator is served now: a missing API fails here by name instead of skipping.
  await requireGroupApis(b.port, b.host, ['FindCoordinator', 'JoinGroup', 'SyncGroup', 'Heartbeat', 'OffsetFetch', 'OffsetCommit'])
  const kafka = client(b.bootstrap)
  const admin = kafka.admin()
  await admin.connect()
  defer(() => admin.disconnect())
  const topic = 'kjs-group'
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  defer(() => producer.disconnect())
  const base = Date.now() - 1000
  const sent = Array.from({ length: 40 }, (_, i) => ({ partition: i % 2, key: `k${i}`, value: `v${i}`, headers: { n: String(i) }, timestamp: String(base + i) }))
  await producer.send({ topic, messages: sent })

  const consumer = kafka.consumer({ groupId: 'kjs-group-readers', sessionTimeout: 10_000, heartbeatInterval: 1000 })
  await consumer.connect()
  defer(() => consumer.disconnect())
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const got: Array<{ partition: number; offset: string; key: string; value: string; n: string; timestamp: string }> = []
  let resolve!: () => void
  const all = new Promise<void>((r) => (resolve = r))
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      got.push({ partition, offset: message.offset, key: message.key!.toString(), value: message.value!.toString(), n: message.headers!.n!.toString(), timestamp: message.timestamp })
      if (got.length === sent.length) resolve()
    },
  })
  // The timer is cleared: a pending one kept the file's process alive a minute after its tests.
  let timer: NodeJS.Timeout | undefined
  await Promise.race([all, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`consumed ${got.length} of ${sent.length}`)), 60_000)))]).finally(() => clearTimeout(timer))
  for (const p of [0, 1]) {
    const want = sent.filter((s) => s.partition === p)
    assert.deepEqual(
      got.filter((g) => g.partition === p),
      want.map((s, i) => ({ partition: p, offset: String(i), key: s.key, value: s.value, n: s.headers.n, timestamp: s.timestamp })),
    )
  }
})
