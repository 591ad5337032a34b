/** kafkajs (npm dev dependency) against the real broker process. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { startBrokerProcess } from '../helpers/broker-process.js'

test('kafkajs admin.describeCluster returns broker 0 as controller, and listTopics works', async (t) => {
  const b = await startBrokerProcess()
  t.after(() => b.stop())
  const kafka = new Kafka({ clientId: 'samsa-interop', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } })
  const admin = kafka.admin()
  await admin.connect()
  t.after(() => admin.disconnect())

  const cluster = await admin.describeCluster()
  assert.deepEqual(cluster.brokers, [{ nodeId: 0, host: b.host, port: b.port }])
  assert.equal(cluster.controller, 0)
  assert.equal(typeof cluster.clusterId, 'string')
  assert.ok(cluster.clusterId.length > 0)

  assert.deepEqual(await admin.listTopics(), [])
  assert.equal(b.proc.exitCode, null, 'broker still running')
})
