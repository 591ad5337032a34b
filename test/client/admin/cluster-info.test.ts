/** Admin describeCluster and describeLogDirs against the embedded broker. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { realpathSync } from 'node:fs'
import { AdminError } from '../../../src/client/admin/index.js'
import { adminBroker } from './helpers.js'

test('describeCluster: cluster id, controller and brokers (DescribeCluster)', async (t) => {
  const { admin, b } = await adminBroker(t, { 'broker.rack': 'r1' })
  const d = await admin.describeCluster()
  assert.equal(d.clusterId, b.broker.context.metadata.clusterId)
  assert.equal(d.controllerId, b.broker.nodeId)
  assert.deepEqual(d.brokers, [{ nodeId: b.broker.nodeId, host: b.host, port: b.port, rack: 'r1' }])
})

test('describeLogDirs: every broker by default, with partitions and sizes; an unknown broker fails', async (t) => {
  const { admin, b, produce } = await adminBroker(t)
  await admin.createTopics([{ topic: 'ld', numPartitions: 2 }])
  await produce('ld', 1, ['some', 'bytes'])
  const [broker] = await admin.describeLogDirs()
  assert.equal(broker!.broker, b.broker.nodeId)
  assert.equal(broker!.logDirs.length, 1)
  const dir = broker!.logDirs[0]!
  const configured = b.broker.config.get('log.dirs')[0]!
  assert.equal(realpathSync(dir.path), realpathSync(configured))
  assert.equal(dir.errorName, null)
  assert.ok(dir.totalBytes !== null && dir.totalBytes > 0n)
  assert.ok(dir.usableBytes !== null && dir.usableBytes >= 0n)
  const ld = dir.partitions.filter((p) => p.topic === 'ld')
  assert.deepEqual(
    ld.map((p) => [p.partition, p.size > 0n, p.offsetLag, p.isFuture]),
    [
      [0, false, 0n, false],
      [1, true, 0n, false],
    ],
  )
  const e = await admin.describeLogDirs([b.broker.nodeId, 4242]).catch((x: unknown) => x)
  assert.ok(e instanceof AdminError)
  assert.deepEqual(
    e.failures.map((f) => f.resource),
    ['broker 4242'],
  )
  assert.match(e.failures[0]!.error.message, /broker 4242 is not in the cluster/)
  assert.equal(e.results.length, 1)
})
