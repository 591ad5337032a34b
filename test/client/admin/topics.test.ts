/** Admin topics: create / delete / list / describe / createPartitions against the embedded broker. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AdminError } from '../../../src/client/admin/index.js'
import { KafkaError } from '../../../src/client/base/errors.js'
import { adminBroker } from './helpers.js'

/** The AdminError's failures as "resource ERROR_NAME". */
function failuresOf(e: unknown): string[] {
  assert.ok(e instanceof AdminError, `expected an AdminError, got ${String(e)}`)
  return e.failures.map((f) => `${f.resource} ${f.error instanceof KafkaError ? f.error.errorName : f.error.name}`)
}

test('createTopics creates with partitions and configs; describeTopics and listTopics show them', async (t) => {
  const { admin, b } = await adminBroker(t)
  const created = await admin.createTopics([
    { topic: 'orders', numPartitions: 3, configs: { 'retention.ms': '3600000' } },
    { topic: 'plain' },
  ])
  assert.equal(created.length, 2)
  const [orders, plain] = created
  assert.equal(orders!.topic, 'orders')
  assert.equal(orders!.numPartitions, 3)
  assert.equal(orders!.replicationFactor, 1)
  assert.match(orders!.topicId!, /^[A-Za-z0-9_-]{22}$/)
  assert.equal(orders!.configs!['retention.ms'], '3600000')
  assert.equal(plain!.numPartitions, 1, 'broker default num.partitions')

  const [d] = await admin.describeTopics(['orders'])
  assert.equal(d!.name, 'orders')
  assert.equal(d!.topicId, orders!.topicId)
  assert.equal(d!.isInternal, false)
  assert.deepEqual(
    d!.partitions.map((p) => p.partition),
    [0, 1, 2],
  )
  const id = b.broker.nodeId
  for (const p of d!.partitions) {
    assert.equal(p.leader, id)
    assert.ok(p.leaderEpoch !== null && p.leaderEpoch >= 0)
    assert.deepEqual(p.replicas, [id])
    assert.deepEqual(p.isr, [id])
    assert.deepEqual(p.offlineReplicas, [])
  }

  const names = await admin.listTopics()
  assert.deepEqual(names, ['orders', 'plain'])
})

test('listTopics leaves internal topics out unless asked', async (t) => {
  const { admin } = await adminBroker(t)
  await admin.createTopics([{ topic: 'a', numPartitions: 1 }])
  // A commit makes the coordinator create __consumer_offsets.
  await admin.alterGroupOffsets('g', [{ topic: 'a', partition: 0, offset: 0 }])
  assert.deepEqual(await admin.listTopics(), ['a'])
  const all = await admin.listTopics({ includeInternal: true })
  assert.ok(all.includes('__consumer_offsets'), all.join(','))
  const [internal] = await admin.describeTopics(['__consumer_offsets'])
  assert.equal(internal!.isInternal, true)
})

test('createTopics: an existing topic fails with TOPIC_ALREADY_EXISTS, the rest of the batch is created', async (t) => {
  const { admin } = await adminBroker(t)
  await admin.createTopics([{ topic: 'dup', numPartitions: 1 }])
  const e = await admin.createTopics([{ topic: 'dup', numPartitions: 2 }, { topic: 'fresh', numPartitions: 2 }]).catch((x: unknown) => x)
  assert.deepEqual(failuresOf(e), ['topic dup TOPIC_ALREADY_EXISTS'])
  const err = e as AdminError
  assert.equal(err.code, 'ADMIN_FAILURES')
  assert.equal(err.operation, 'createTopics')
  assert.equal(err.retriable, false)
  const ke = err.failures[0]!.error as KafkaError
  assert.equal(ke.code, 36)
  assert.match(ke.message, /^topic dup: TOPIC_ALREADY_EXISTS \(36\): /)
  assert.match(err.message, /createTopics: 1 of 2 failed: topic dup: TOPIC_ALREADY_EXISTS/)
  assert.deepEqual(
    (err.results as Array<{ topic: string }>).map((r) => r.topic),
    ['fresh'],
  )
  assert.deepEqual(await admin.listTopics(), ['dup', 'fresh'])
})

test('createTopics: a bad config is INVALID_CONFIG; validateOnly creates nothing; manual assignments', async (t) => {
  const { admin, b } = await adminBroker(t)
  const bad = await admin.createTopics([{ topic: 'bad', configs: { 'retention.ms': 'soon' } }]).catch((x: unknown) => x)
  assert.deepEqual(failuresOf(bad), ['topic bad INVALID_CONFIG'])
  assert.match((bad as AdminError).failures[0]!.error.message, /retention\.ms/)

  const [v] = await admin.createTopics([{ topic: 'checked', numPartitions: 4 }], { validateOnly: true })
  assert.equal(v!.topicId, null, 'no id after validateOnly')
  assert.equal(v!.numPartitions, 4)
  assert.deepEqual(await admin.listTopics(), [])

  const id = b.broker.nodeId
  await admin.createTopics([{ topic: 'placed', assignments: [[id], [id]] }])
  const [d] = await admin.describeTopics(['placed'])
  assert.equal(d!.partitions.length, 2)

  await assert.rejects(admin.createTopics([{ topic: '' }]), (e: unknown) => (e as { code?: string }).code === 'INVALID_OPTION')
})

test('describeTopics: an unknown topic fails at once with UNKNOWN_TOPIC_OR_PARTITION, known ones are kept', async (t) => {
  const { admin } = await adminBroker(t, { 'auto.create.topics.enable': 'false' })
  await admin.createTopics([{ topic: 'here', numPartitions: 1 }])
  const started = Date.now()
  const e = await admin.describeTopics(['here', 'nowhere']).catch((x: unknown) => x)
  assert.ok(Date.now() - started < 2000, 'not retried until the deadline')
  assert.deepEqual(failuresOf(e), ['topic nowhere UNKNOWN_TOPIC_OR_PARTITION'])
  assert.deepEqual(
    ((e as AdminError).results as Array<{ name: string }>).map((r) => r.name),
    ['here'],
  )
})

test('createPartitions grows a topic; not growing is INVALID_PARTITIONS; validateOnly changes nothing', async (t) => {
  const { admin } = await adminBroker(t)
  await admin.createTopics([{ topic: 'grow', numPartitions: 2 }])
  await admin.createPartitions([{ topic: 'grow', count: 5 }], { validateOnly: true })
  assert.equal((await admin.describeTopics(['grow']))[0]!.partitions.length, 2)
  await admin.createPartitions([{ topic: 'grow', count: 5 }])
  assert.equal((await admin.describeTopics(['grow']))[0]!.partitions.length, 5)
  const e = await admin.createPartitions([{ topic: 'grow', count: 3 }, { topic: 'missing', count: 3 }]).catch((x: unknown) => x)
  assert.deepEqual(failuresOf(e), ['topic grow INVALID_PARTITIONS', 'topic missing UNKNOWN_TOPIC_OR_PARTITION'])
})

test('deleteTopics deletes; an unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION', async (t) => {
  const { admin } = await adminBroker(t, { 'auto.create.topics.enable': 'false' })
  await admin.createTopics([{ topic: 'x', numPartitions: 1 }, { topic: 'y', numPartitions: 1 }])
  await admin.deleteTopics(['x'])
  assert.deepEqual(await admin.listTopics(), ['y'])
  const e = await admin.deleteTopics(['x', 'y']).catch((x: unknown) => x)
  assert.deepEqual(failuresOf(e), ['topic x UNKNOWN_TOPIC_OR_PARTITION'])
  assert.deepEqual(await admin.listTopics(), [])
  // The name is free again.
  await admin.createTopics([{ topic: 'x', numPartitions: 2 }])
  assert.equal((await admin.describeTopics(['x']))[0]!.partitions.length, 2)
})
