/** Admin ListOffsets and DeleteRecords against the embedded broker. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AdminError } from '../../../src/client/admin/index.js'
import { ClientError, KafkaError } from '../../../src/client/base/errors.js'
import { adminBroker } from './helpers.js'

test('listOffsets: earliest, latest, max-timestamp and by timestamp, in the order asked', async (t) => {
  const { admin, produce } = await adminBroker(t)
  await admin.createTopics([{ topic: 'lo', numPartitions: 2 }])
  const t0 = Date.now() - 60_000
  await produce('lo', 0, ['a', 'b'], t0)
  await produce('lo', 0, ['c'], t0 + 10_000)
  await produce('lo', 0, ['d'], t0 + 5_000)
  const r = await admin.listOffsets([
    { topic: 'lo', partition: 0, at: 'earliest' },
    { topic: 'lo', partition: 0, at: 'latest' },
    { topic: 'lo', partition: 1, at: 'latest' },
    { topic: 'lo', partition: 0, at: 'max-timestamp' },
    { topic: 'lo', partition: 0, at: t0 + 1 },
    { topic: 'lo', partition: 0, at: t0 + 60_000 },
  ])
  assert.deepEqual(
    r.map((x) => [x.partition, x.offset]),
    [
      [0, 0n],
      [0, 4n],
      [1, 0n],
      [0, 2n],
      [0, 2n],
      [0, -1n],
    ],
  )
  assert.equal(r[0]!.timestamp, null)
  assert.equal(r[3]!.timestamp, BigInt(t0 + 10_000))
  assert.equal(r[4]!.timestamp, BigInt(t0 + 10_000))
  assert.ok(r[1]!.leaderEpoch !== null && r[1]!.leaderEpoch >= 0)

  const committed = await admin.listOffsets([{ topic: 'lo', partition: 0, at: 'latest' }], { isolationLevel: 'read_committed' })
  assert.equal(committed[0]!.offset, 4n)
})

test('listOffsets: an unknown topic or partition fails at once; a bad `at` is refused', async (t) => {
  const { admin } = await adminBroker(t, { 'auto.create.topics.enable': 'false' })
  await admin.createTopics([{ topic: 'lo', numPartitions: 1 }])
  const started = Date.now()
  const e = await admin
    .listOffsets([
      { topic: 'lo', partition: 0, at: 'latest' },
      { topic: 'lo', partition: 7, at: 'latest' },
      { topic: 'gone', partition: 0, at: 'latest' },
    ])
    .catch((x: unknown) => x)
  assert.ok(Date.now() - started < 2000)
  assert.ok(e instanceof AdminError)
  assert.deepEqual(
    e.failures.map((f) => [f.resource, (f.error as KafkaError).errorName]),
    [
      ['partition lo-7', 'UNKNOWN_TOPIC_OR_PARTITION'],
      ['partition gone-0', 'UNKNOWN_TOPIC_OR_PARTITION'],
    ],
  )
  assert.match(e.failures[0]!.error.message, /topic lo has 1 partitions/)
  assert.equal(e.results.length, 1)
  await assert.rejects(admin.listOffsets([{ topic: 'lo', partition: 0, at: 'soon' as never }]), (x: unknown) => x instanceof ClientError && x.code === 'INVALID_OPTION')
})

test('deleteRecords moves the low watermark; -1 means the high watermark; past the end is OFFSET_OUT_OF_RANGE', async (t) => {
  const { admin, produce } = await adminBroker(t)
  await admin.createTopics([{ topic: 'dr', numPartitions: 2 }])
  await produce('dr', 0, ['a', 'b', 'c', 'd'])
  await produce('dr', 1, ['x', 'y'])
  const r = await admin.deleteRecords([
    { topic: 'dr', partition: 0, offset: 3 },
    { topic: 'dr', partition: 1, offset: -1 },
  ])
  assert.deepEqual(
    r.map((x) => [x.partition, x.lowWatermark]),
    [
      [0, 3n],
      [1, 2n],
    ],
  )
  const earliest = await admin.listOffsets([
    { topic: 'dr', partition: 0, at: 'earliest' },
    { topic: 'dr', partition: 1, at: 'earliest' },
  ])
  assert.deepEqual(
    earliest.map((x) => x.offset),
    [3n, 2n],
  )
  const e = await admin.deleteRecords([{ topic: 'dr', partition: 0, offset: 99n }]).catch((x: unknown) => x)
  assert.ok(e instanceof AdminError)
  assert.equal((e.failures[0]!.error as KafkaError).errorName, 'OFFSET_OUT_OF_RANGE')
  assert.match(e.message, /partition dr-0: OFFSET_OUT_OF_RANGE \(1\)/)
  await assert.rejects(admin.deleteRecords([{ topic: 'dr', partition: 0, offset: -2 }]), (x: unknown) => x instanceof ClientError && x.code === 'INVALID_OPTION')
})
