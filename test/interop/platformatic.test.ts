/** @platformatic/kafka (npm dev dependency; needs ApiVersions v3+) against the real broker process. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Admin } from '@platformatic/kafka'
import { startBrokerProcess } from '../helpers/broker-process.js'

test('@platformatic/kafka admin.metadata returns broker 0 as controller', async (t) => {
  const b = await startBrokerProcess()
  t.after(() => b.stop())
  const admin = new Admin({ clientId: 'samsa-interop', bootstrapBrokers: [b.bootstrap], timeout: 10_000, retries: 1 })
  t.after(() => admin.close())

  const md = await admin.metadata({ topics: [] })
  assert.deepEqual([...md.brokers.keys()], [0])
  const broker = md.brokers.get(0)!
  assert.equal(broker.host, b.host)
  assert.equal(broker.port, b.port)
  assert.equal(md.controllerId, 0)
  assert.ok(md.id.length > 0, 'cluster id')
  assert.equal(md.topics.size, 0)
  assert.equal(b.proc.exitCode, null, 'broker still running')
})
