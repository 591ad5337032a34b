/**
 * The group coordinator moves away and comes back under a consuming kafkajs group, through
 * metadata alone: the group's `__consumer_offsets` partition loses its leader (alterPartition,
 * as a controller does when the leader's broker dies), so the replica manager makes this broker
 * a follower and the coordinator resigns; the client is answered NOT_COORDINATOR and keeps
 * retrying; then this broker is elected again with a newer leader epoch, the coordinator loads
 * the partition, and the client carries on from its committed offsets: nothing committed is
 * lost or re-read, and only records after the last successful commit may be delivered twice
 * (Kafka's at-least-once).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel, Partitioners, type LogEntry } from 'kafkajs'
import { startBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'
import { deferrer } from '../helpers/groups.js'
import { waitFor } from '../helpers/wire.js'

const TOPIC = 'moving-coordinator'
const GROUP = 'moving-coordinator-group'
const PARTITIONS = 2

test('kafkajs: the coordinator resigns and is elected again; the client retries through NOT_COORDINATOR and resumes from its committed offsets', async (t) => {
  const defer = deferrer(t)
  const b = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '5' }, logger: createLogger({ level: 'silent' }) })
  defer(() => b.close())
  const groups = b.broker.context.groups
  // kafkajs logs every error response it gets; that is how the test sees what the client saw.
  const clientErrors: string[] = []
  const kafka = new Kafka({
    clientId: 'resignation',
    brokers: [b.bootstrap],
    logLevel: logLevel.ERROR,
    logCreator: () => (entry: LogEntry) => {
      const error = (entry.log as { error?: string }).error
      if (error) clientErrors.push(`${entry.log.message}: ${error}`)
    },
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 },
  })
  const admin = kafka.admin()
  await admin.connect()
  defer(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true })
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
  await producer.connect()
  defer(() => producer.disconnect())
  const send = async (phase: string, count: number) => {
    const values = Array.from({ length: count }, (_, i) => `${phase}-${i}`)
    await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value, i) => ({ key: `k${i}`, value })) })
    return values
  }
  const endOffsets = async () => (await admin.fetchTopicOffsets(TOPIC)).map((o) => [o.partition, BigInt(o.high)] as const).sort((x, y) => x[0] - y[0])
  const committed = () => Array.from({ length: PARTITIONS }, (_, p) => [p, groups.committed(GROUP, TOPIC, p)?.offset ?? -1n] as const)
  const allCommitted = async () => JSON.stringify(committed(), (_, v) => (typeof v === 'bigint' ? String(v) : v)) === JSON.stringify(await endOffsets(), (_, v) => (typeof v === 'bigint' ? String(v) : v))

  const first = await send('before', 100)
  const seen: string[] = []
  const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 6000, heartbeatInterval: 200, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 } })
  await consumer.connect()
  defer(() => consumer.disconnect())
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) })
  await waitFor(allCommitted, 'the first 100 records consumed and committed')

  const partition = groups.partitionFor(GROUP)
  const md = b.broker.metadata
  const state = () => md.topic('__consumer_offsets')!.partitions[partition]!
  const epoch = state().leaderEpoch
  const before = committed()
  await md.alterPartition({ topic: '__consumer_offsets', partition, partitionEpoch: state().partitionEpoch, leader: -1, isr: [] })
  assert.equal(b.broker.replicas.getPartition('__consumer_offsets', partition)!.role, 'follower')
  await waitFor(() => groups.partitionStatus(partition).status === 'not-led', 'the coordinator to resign the partition')
  const second = await send('while-away', 100)
  await waitFor(() => clientErrors.some((e) => /not the correct coordinator/.test(e)), 'kafkajs to be answered NOT_COORDINATOR')
  t.diagnostic(`client saw: ${[...new Set(clientErrors)].slice(0, 3).join(' | ')}`)

  await md.alterPartition({ topic: '__consumer_offsets', partition, partitionEpoch: state().partitionEpoch, leader: 0, isr: [0] })
  assert.equal(state().leaderEpoch, epoch + 2)
  await waitFor(() => groups.partitionStatus(partition).status === 'loaded', 'the coordinator to load the partition again')
  // Intact: loaded from the log, not lost or reset (the client may already have committed more
  // once the coordinator answered again, so at least what was committed before).
  const loaded = committed()
  assert.equal(loaded.length, before.length, 'every partition still has its committed offset')
  for (const [i, [p, offset]] of before.entries()) {
    assert.equal(loaded[i]![0], p)
    assert.ok(loaded[i]![1] >= offset, `partition ${p}: committed ${loaded[i]![1]}, at least the ${offset} committed before the resignation`)
  }
  await waitFor(allCommitted, 'the records produced while the coordinator was away consumed and committed once it came back')
  const third = await send('after', 100)
  await waitFor(allCommitted, 'the group to go on consuming and committing')

  const counts = new Map<string, number>()
  for (const v of seen) counts.set(v, (counts.get(v) ?? 0) + 1)
  for (const v of [...first, ...second, ...third]) assert.ok(counts.has(v), `record ${v} was delivered`)
  assert.equal(counts.size, 300, 'nothing but what was produced')
  // Committed before the coordinator left: never delivered again.
  for (const v of first) assert.equal(counts.get(v), 1, `${v} was committed before the resignation and is not re-read`)
  const twice = [...counts].filter(([, n]) => n > 1).map(([v]) => v)
  assert.ok(twice.every((v) => !v.startsWith('before-')), `only records after the last successful commit may come twice: ${twice.slice(0, 5).join(', ')}`)
  t.diagnostic(`records delivered twice (at-least-once): ${twice.length}`)
})
