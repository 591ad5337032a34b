/** Admin configs: DescribeConfigs and IncrementalAlterConfigs for topics, brokers and the broker logger. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AdminError } from '../../../src/client/admin/index.js'
import { ClientError, KafkaError } from '../../../src/client/base/errors.js'
import { adminBroker } from './helpers.js'

test('describeConfigs of a topic: overrides are DYNAMIC_TOPIC_CONFIG, the rest defaults, with synonyms and docs', async (t) => {
  const { admin } = await adminBroker(t)
  await admin.createTopics([{ topic: 'c', numPartitions: 1, configs: { 'retention.ms': '1000' } }])
  const [r] = await admin.describeConfigs([{ type: 'topic', name: 'c' }], { includeSynonyms: true, includeDocumentation: true })
  assert.equal(r!.type, 'topic')
  assert.equal(r!.name, 'c')
  const byName = new Map(r!.entries.map((e) => [e.name, e]))
  const retention = byName.get('retention.ms')!
  assert.equal(retention.value, '1000')
  assert.equal(retention.source, 'DYNAMIC_TOPIC_CONFIG')
  assert.equal(retention.isDefault, false)
  assert.equal(retention.isReadOnly, false)
  assert.equal(retention.isSensitive, false)
  assert.equal(retention.type, 'LONG')
  assert.equal(retention.synonyms[0]!.source, 'DYNAMIC_TOPIC_CONFIG')
  assert.ok(retention.synonyms.some((s) => s.name === 'log.retention.ms' || s.name === 'log.retention.hours'), JSON.stringify(retention.synonyms))
  assert.ok(retention.documentation && retention.documentation.length > 0)
  const policy = byName.get('cleanup.policy')!
  assert.equal(policy.value, 'delete')
  assert.equal(policy.isDefault, true)
  assert.equal(policy.source, 'DEFAULT_CONFIG')
  assert.equal(policy.type, 'LIST')

  // Only the keys asked for; no synonyms or docs unless asked.
  const [only] = await admin.describeConfigs([{ type: 'topic', name: 'c', keys: ['retention.ms'] }])
  assert.deepEqual(
    only!.entries.map((e) => [e.name, e.synonyms.length, e.documentation]),
    [['retention.ms', 0, null]],
  )
})

test('describeConfigs of the broker and its logger go to that broker', async (t) => {
  const { admin, b } = await adminBroker(t, { 'log.retention.hours': '100' })
  const id = String(b.broker.nodeId)
  const [broker, logger] = await admin.describeConfigs([
    { type: 'broker', name: id },
    { type: 'broker-logger', name: id },
  ])
  const hours = broker!.entries.find((e) => e.name === 'log.retention.hours')!
  assert.equal(hours.value, '100')
  assert.equal(hours.source, 'STATIC_BROKER_CONFIG')
  assert.ok(logger!.entries.length >= 1)
  assert.equal(logger!.type, 'broker-logger')
})

test('describeConfigs errors: unknown topic per resource, unknown broker id, names that are not ids', async (t) => {
  const { admin, b } = await adminBroker(t, { 'auto.create.topics.enable': 'false' })
  await admin.createTopics([{ topic: 'known', numPartitions: 1 }])
  const e = await admin.describeConfigs([
    { type: 'topic', name: 'known' },
    { type: 'topic', name: 'unknown' },
    { type: 'broker', name: String(b.broker.nodeId + 41) },
  ]).catch((x: unknown) => x)
  assert.ok(e instanceof AdminError)
  assert.deepEqual(
    e.failures.map((f) => f.resource),
    ['topic unknown', `broker ${b.broker.nodeId + 41}`],
  )
  assert.equal((e.failures[0]!.error as KafkaError).errorName, 'UNKNOWN_TOPIC_OR_PARTITION')
  assert.match(e.failures[1]!.error.message, /broker \d+ is not in the cluster \(brokers: \d+\)/)
  assert.equal(e.results.length, 1)
  await assert.rejects(admin.describeConfigs([{ type: 'broker', name: 'one' }]), (x: unknown) => x instanceof ClientError && x.code === 'INVALID_OPTION' && /broker id/.test(x.message))
})

test('alterConfigs: set, append, subtract, delete on a topic; validateOnly; INVALID_CONFIG', async (t) => {
  const { admin } = await adminBroker(t)
  await admin.createTopics([{ topic: 'alt', numPartitions: 1 }])
  const value = async (key: string) => (await admin.describeConfigs([{ type: 'topic', name: 'alt', keys: [key] }]))[0]!.entries[0]!

  await admin.alterConfigs([{ type: 'topic', name: 'alt', ops: [{ name: 'retention.ms', op: 'set', value: '5000' }] }], { validateOnly: true })
  assert.equal((await value('retention.ms')).isDefault, true, 'validateOnly changed nothing')

  await admin.alterConfigs([
    {
      type: 'topic',
      name: 'alt',
      ops: [
        { name: 'retention.ms', op: 'set', value: '5000' },
        { name: 'cleanup.policy', op: 'append', value: 'compact' },
      ],
    },
  ])
  assert.equal((await value('retention.ms')).value, '5000')
  assert.equal((await value('cleanup.policy')).value, 'delete,compact')

  await admin.alterConfigs([
    {
      type: 'topic',
      name: 'alt',
      ops: [
        { name: 'cleanup.policy', op: 'subtract', value: 'delete' },
        { name: 'retention.ms', op: 'delete' },
      ],
    },
  ])
  assert.equal((await value('cleanup.policy')).value, 'compact')
  const retention = await value('retention.ms')
  assert.equal(retention.isDefault, true)
  assert.equal(retention.source, 'DEFAULT_CONFIG')

  const e = await admin.alterConfigs([{ type: 'topic', name: 'alt', ops: [{ name: 'retention.ms', op: 'set', value: 'forever' }] }]).catch((x: unknown) => x)
  assert.ok(e instanceof AdminError)
  const err = e.failures[0]!.error as KafkaError
  assert.equal(err.errorName, 'INVALID_CONFIG')
  assert.match(err.message, /^topic alt: INVALID_CONFIG \(40\): /)

  await assert.rejects(
    admin.alterConfigs([{ type: 'topic', name: 'alt', ops: [{ name: 'retention.ms', op: 'set' }] }]),
    (x: unknown) => x instanceof ClientError && /needs a string value/.test(x.message),
  )
})

test('alterConfigs of a broker goes to that broker', async (t) => {
  const { admin, b } = await adminBroker(t)
  const id = String(b.broker.nodeId)
  await admin.alterConfigs([{ type: 'broker', name: id, ops: [{ name: 'log.retention.ms', op: 'set', value: '7200000' }] }])
  const [r] = await admin.describeConfigs([{ type: 'broker', name: id, keys: ['log.retention.ms'] }])
  assert.equal(r!.entries[0]!.value, '7200000')
  assert.equal(r!.entries[0]!.source, 'DYNAMIC_BROKER_CONFIG')
})
