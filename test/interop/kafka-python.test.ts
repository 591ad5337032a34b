/** kafka-python (Debian python3-kafka) against the real broker process. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { checkRoundTrip, runPythonJson, sampleRecords, type PyConsumed } from '../helpers/python.js'
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

// Produces the records from stdin (half plain, half gzip: kafka-python on Debian has no
// snappy/lz4/zstd modules), then reads every partition back with manual assignment from the
// beginning.
const PRODUCE_CONSUME = `
import json, sys, time
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
bootstrap = sys.argv[1]
spec = json.load(sys.stdin)
topic = spec['topic']
unhex = lambda h: None if h is None else bytes.fromhex(h)
tohex = lambda b: None if b is None else b.hex()
recs = spec['records']
delivered = []
half = len(recs) // 2
for compression, chunk in ((None, recs[:half]), ('gzip', recs[half:])):
    producer = KafkaProducer(bootstrap_servers=bootstrap, client_id='samsa-interop', acks=1, linger_ms=5,
                             compression_type=compression, request_timeout_ms=15000, max_block_ms=20000)
    futures = [producer.send(topic, key=unhex(r['key']), value=unhex(r['value']), partition=r['partition'],
                             timestamp_ms=r['timestamp'], headers=[(k, unhex(v)) for k, v in r['headers']]) for r in chunk]
    producer.flush(timeout=30)
    for f in futures:
        md = f.get(timeout=30)
        delivered.append({'partition': md.partition, 'offset': md.offset})
    producer.close(timeout=10)

consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id='samsa-interop', group_id=None,
                         enable_auto_commit=False, auto_offset_reset='none', request_timeout_ms=15000,
                         fetch_max_wait_ms=200)
tps = [TopicPartition(topic, p) for p in range(spec['partitions'])]
consumer.assign(tps)
consumer.seek_to_beginning(*tps)
consumed = []
deadline = time.time() + 30
while len(consumed) < len(recs) and time.time() < deadline:
    for tp, batch in consumer.poll(timeout_ms=500).items():
        for m in batch:
            consumed.append({'partition': m.partition, 'offset': m.offset, 'timestamp': m.timestamp,
                             'timestamp_type': m.timestamp_type, 'key': tohex(m.key), 'value': tohex(m.value),
                             'headers': [[k, tohex(v)] for k, v in m.headers]})
end = consumer.end_offsets(tps)
begin = consumer.beginning_offsets(tps)
consumer.close()
print(json.dumps({'delivered': delivered, 'consumed': consumed,
                  'end': {str(tp.partition): o for tp, o in end.items()},
                  'begin': {str(tp.partition): o for tp, o in begin.items()}}))
`

test('kafka-python produces (plain and gzip) and reads every record back by manual assignment from the beginning', async (t) => {
  if (!requireTool(t, 'python3-kafka', () => hasPythonModule('kafka'))) return
  const b = await startBrokerProcess({ overrides: { 'num.partitions': '3' } })
  t.after(() => b.stop())
  const topic = 'kafka-python-records'
  const records = sampleRecords(120, 3, Date.now() - 3_600_000)
  const out = await runPythonJson<{ delivered: Array<{ partition: number; offset: number }>; consumed: PyConsumed[]; end: Record<string, number>; begin: Record<string, number> }>(
    PRODUCE_CONSUME,
    b.bootstrap,
    { topic, partitions: 3, records },
  )
  checkRoundTrip(records, out.delivered, out.consumed)
  assert.deepEqual(out.begin, { 0: 0, 1: 0, 2: 0 })
  assert.deepEqual(out.end, { 0: 40, 1: 40, 2: 40 })
  assert.equal(b.proc.exitCode, null, 'broker still running')
})
