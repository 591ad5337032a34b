/** kafka-python (Debian python3-kafka) against the real broker process. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { hasPythonModule, requireTool } from '../helpers/tools.js'

const run = promisify(execFile)

const SCRIPT = `
import json, sys
from kafka import KafkaAdminClient, KafkaConsumer
bootstrap = sys.argv[1]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id='samsa-interop', request_timeout_ms=10000)
cluster = admin.describe_cluster()
admin.close()
consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id='samsa-interop', request_timeout_ms=11000)
topics = consumer.topics()
consumer.close()
print(json.dumps({'cluster': cluster, 'topics': sorted(topics)}))
`

test('kafka-python KafkaAdminClient.describe_cluster and KafkaConsumer.topics connect', async (t) => {
  if (!requireTool(t, 'python3-kafka', () => hasPythonModule('kafka'))) return
  const b = await startBrokerProcess()
  t.after(() => b.stop())
  const r = await run('/usr/bin/python3', ['-c', SCRIPT, b.bootstrap], { timeout: 30_000 })
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
    cluster: { brokers: Array<{ node_id: number; host: string; port: number }>; controller_id: number; cluster_id: string }
    topics: string[]
  }
  assert.deepEqual(
    out.cluster.brokers.map((x) => ({ node_id: x.node_id, host: x.host, port: x.port })),
    [{ node_id: 0, host: b.host, port: b.port }],
  )
  assert.equal(out.cluster.controller_id, 0)
  assert.ok(out.cluster.cluster_id.length > 0)
  assert.deepEqual(out.topics, [])
  assert.equal(b.proc.exitCode, null, 'broker still running')
})
