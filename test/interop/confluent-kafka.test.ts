/** confluent-kafka (Debian python3-confluent-kafka, librdkafka) against the real broker process. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { hasPythonModule, requireTool } from '../helpers/tools.js'

const run = promisify(execFile)

const SCRIPT = `
import json, sys
from confluent_kafka.admin import AdminClient
admin = AdminClient({'bootstrap.servers': sys.argv[1], 'client.id': 'samsa-interop'})
md = admin.list_topics(timeout=10)
print(json.dumps({
  'cluster_id': md.cluster_id,
  'controller_id': md.controller_id,
  'orig_broker_id': md.orig_broker_id,
  'brokers': sorted([[b.id, b.host, b.port] for b in md.brokers.values()]),
  'topics': sorted(md.topics.keys()),
}))
`

test('confluent-kafka AdminClient.list_topics returns broker 0', async (t) => {
  if (!requireTool(t, 'python3-confluent-kafka', () => hasPythonModule('confluent_kafka'))) return
  const b = await startBrokerProcess()
  t.after(() => b.stop())
  const r = await run('/usr/bin/python3', ['-c', SCRIPT, b.bootstrap], { timeout: 30_000 })
  const md = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
    cluster_id: string | null
    controller_id: number
    orig_broker_id: number
    brokers: Array<[number, string, number]>
    topics: string[]
  }
  assert.deepEqual(md.brokers, [[0, b.host, b.port]])
  assert.equal(md.controller_id, 0)
  assert.equal(md.orig_broker_id, 0)
  assert.ok(md.cluster_id && md.cluster_id.length > 0)
  assert.deepEqual(md.topics, [])
  assert.equal(b.proc.exitCode, null, 'broker still running')
})
