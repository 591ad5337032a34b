/**
 * kafkajs's admin client (npm dev dependency) against the real broker process: topic and
 * config administration as an application would do it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import kafkajs, { type Admin, type Kafka as KafkaClient } from 'kafkajs'
import type { TestContext } from 'node:test'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'

// kafkajs is CommonJS and Node's ESM loader sees only some of its named exports.
const { ConfigResourceTypes, ConfigSource, Kafka, logLevel } = kafkajs

async function setup(t: TestContext): Promise<{ b: BrokerProcess; kafka: KafkaClient; admin: Admin }> {
  // No auto-creation: a topic that appears must have come from an admin call.
  const b = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': 'false' } })
  t.after(() => b.stop())
  const kafka = new Kafka({ clientId: 'samsa-admin-interop', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } })
  const admin = kafka.admin()
  await admin.connect()
  t.after(() => admin.disconnect())
  return { b, kafka, admin }
}

async function topicConfigs(admin: Admin, topic: string, names: string[]): Promise<Map<string, { value: string; source: number }>> {
  const r = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: names }], includeSynonyms: false })
  assert.equal(r.resources.length, 1)
  assert.equal(r.resources[0]!.errorCode, 0)
  return new Map(r.resources[0]!.configEntries.map((e) => [e.configName, { value: e.configValue, source: e.configSource }]))
}

test('kafkajs admin: createTopics (configs, validateOnly), listTopics, fetchTopicMetadata, createPartitions, describeConfigs, alterConfigs, deleteTopics', async (t) => {
  const { b, admin } = await setup(t)

  const created = await admin.createTopics({
    topics: [
      { topic: 'orders', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }, { name: 'cleanup.policy', value: 'compact,delete' }] },
      { topic: 'audit' },
    ],
  })
  assert.equal(created, true)
  assert.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 9 }] }), false, 'an existing topic is reported, not recreated')

  // validateOnly: checked, not created (no waiting for leaders of a topic that will not exist).
  assert.equal(await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'dry-run', numPartitions: 3 }] }), true)
  await assert.rejects(
    admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'dry-bad', configEntries: [{ name: 'retention.ms', value: 'never' }] }] }),
    (e: Error & { errors?: Array<{ type: string }> }) => (e.errors ?? [e as Error & { type: string }]).some((x) => (x as { type?: string }).type === 'INVALID_CONFIG'),
  )
  await assert.rejects(admin.createTopics({ topics: [{ topic: 'bad-config', configEntries: [{ name: 'no.such.config', value: '1' }] }] }))

  assert.deepEqual((await admin.listTopics()).sort(), ['audit', 'orders'])

  const md = await admin.fetchTopicMetadata({ topics: ['orders', 'audit'] })
  const partitions = new Map(md.topics.map((x) => [x.name, x.partitions.map((p) => ({ id: p.partitionId, leader: p.leader, replicas: p.replicas })).sort((a, c) => a.id - c.id)]))
  assert.deepEqual(partitions.get('orders'), [0, 1].map((id) => ({ id, leader: 0, replicas: [0] })))
  assert.equal(partitions.get('audit')!.length, 1, 'num.partitions when none is given')

  await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 5 }] })
  assert.equal((await admin.fetchTopicMetadata({ topics: ['orders'] })).topics[0]!.partitions.length, 5)
  await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 3 }] }), /partition/i)
  await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic: 'audit', count: 4 }] })
  assert.equal((await admin.fetchTopicMetadata({ topics: ['audit'] })).topics[0]!.partitions.length, 1, 'validateOnly grows nothing')

  let configs = await topicConfigs(admin, 'orders', ['retention.ms', 'cleanup.policy', 'segment.bytes'])
  assert.deepEqual(configs.get('retention.ms'), { value: '3600000', source: ConfigSource.TOPIC_CONFIG })
  assert.deepEqual(configs.get('cleanup.policy'), { value: 'compact,delete', source: ConfigSource.TOPIC_CONFIG })
  assert.deepEqual(configs.get('segment.bytes'), { value: '1073741824', source: ConfigSource.DEFAULT_CONFIG })

  const broker = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: String(b.nodeId), configNames: ['auto.create.topics.enable', 'log.retention.hours'] }], includeSynonyms: true })
  const brokerEntries = new Map(broker.resources[0]!.configEntries.map((e) => [e.configName, e]))
  assert.equal(brokerEntries.get('auto.create.topics.enable')!.configValue, 'false')
  assert.equal(brokerEntries.get('auto.create.topics.enable')!.configSource, ConfigSource.STATIC_BROKER_CONFIG)
  assert.equal(brokerEntries.get('auto.create.topics.enable')!.readOnly, true)
  assert.equal(brokerEntries.get('log.retention.hours')!.configSource, ConfigSource.DEFAULT_CONFIG)
  assert.equal(brokerEntries.get('log.retention.hours')!.readOnly, false)

  // Legacy AlterConfigs replaces the whole set: retention.ms goes back to the default.
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] })
  configs = await topicConfigs(admin, 'orders', ['retention.ms', 'cleanup.policy'])
  assert.deepEqual(configs.get('cleanup.policy'), { value: 'compact', source: ConfigSource.TOPIC_CONFIG })
  assert.deepEqual(configs.get('retention.ms'), { value: '604800000', source: ConfigSource.DEFAULT_CONFIG })
  await admin.alterConfigs({ validateOnly: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'retention.ms', value: '1' }] }] })
  assert.equal((await topicConfigs(admin, 'orders', ['retention.ms'])).get('retention.ms')!.value, '604800000', 'validateOnly changes nothing')
  await assert.rejects(
    admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'retention.ms', value: 'never' }] }] }),
  )
  // A dynamic broker config (kafkajs cannot name the cluster default: it refuses an empty name), seen through the topic.
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: String(b.nodeId), configEntries: [{ name: 'log.retention.ms', value: '7200000' }] }] })
  assert.deepEqual((await topicConfigs(admin, 'audit', ['retention.ms'])).get('retention.ms'), { value: '7200000', source: ConfigSource.DYNAMIC_BROKER_CONFIG })
  await assert.rejects(
    admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: String(b.nodeId), configEntries: [{ name: 'num.partitions', value: '4' }] }] }),
    (e: Error & { type?: string }) => e.type === 'INVALID_REQUEST',
  )

  await admin.deleteTopics({ topics: ['orders'] })
  assert.deepEqual(await admin.listTopics(), ['audit'])
  await assert.rejects(admin.deleteTopics({ topics: ['never-existed'] }))
  assert.equal(b.proc.exitCode, null, 'broker still running')
})

// Needs Produce (00-produce.ts, written alongside these handlers) to put records in the topic.
test('kafkajs admin: deleteTopicRecords moves the low watermark', async (t) => {
  const { b, kafka, admin } = await setup(t)
  assert.equal(await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 2 }] }), true)
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  t.after(() => producer.disconnect())
  await producer.send({ topic: 'events', messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, partition: 0 })) })
  await producer.send({ topic: 'events', messages: Array.from({ length: 4 }, (_, i) => ({ value: `n${i}`, partition: 1 })) })

  // kafkajs finds partition leaders in its metadata cache, which learns the topic here (as an
  // application would, looking at the offsets before choosing where to cut).
  const before = (await admin.fetchTopicOffsets('events')).sort((x, y) => x.partition - y.partition)
  assert.deepEqual(before.map((o) => [o.low, o.high]), [['0', '10'], ['0', '4']])
  await admin.deleteTopicRecords({ topic: 'events', partitions: [{ partition: 0, offset: '6' }, { partition: 1, offset: '-1' }] })
  const offsets = (await admin.fetchTopicOffsets('events')).sort((x, y) => x.partition - y.partition)
  assert.deepEqual(
    offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high })),
    [
      { partition: 0, low: '6', high: '10' },
      { partition: 1, low: '4', high: '4' },
    ],
  )
  await assert.rejects(admin.deleteTopicRecords({ topic: 'events', partitions: [{ partition: 0, offset: '50' }] }))
  assert.equal(b.proc.exitCode, null, 'broker still running')
})
