/** confluent-kafka (Debian python3-confluent-kafka, librdkafka) against the real broker process. */
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

// Produces the records from stdin (half plain, half zstd), then reads every partition back with
// manual assignment from OFFSET_BEGINNING. No group.id: assign() needs no coordinator.
const PRODUCE_CONSUME = `
import json, sys, time
from confluent_kafka import Producer, Consumer, TopicPartition, OFFSET_BEGINNING
bootstrap = sys.argv[1]
spec = json.load(sys.stdin)
topic = spec['topic']
unhex = lambda h: None if h is None else bytes.fromhex(h)
tohex = lambda b: None if b is None else b.hex()
recs = spec['records']
delivered = [None] * len(recs)
errors = []
def report(i):
    def cb(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered[i] = {'partition': msg.partition(), 'offset': msg.offset()}
    return cb
half = len(recs) // 2
for compression, lo, hi in (('none', 0, half), ('zstd', half, len(recs))):
    p = Producer({'bootstrap.servers': bootstrap, 'client.id': 'samsa-interop', 'acks': '1', 'linger.ms': 5,
                  'compression.type': compression, 'enable.idempotence': False})
    for i in range(lo, hi):
        r = recs[i]
        p.produce(topic, value=unhex(r['value']), key=unhex(r['key']), partition=r['partition'],
                  timestamp=r['timestamp'], headers=[(k, unhex(v)) for k, v in r['headers']], on_delivery=report(i))
        p.poll(0)
    left = p.flush(30)
    if left:
        errors.append('%d undelivered' % left)

c = Consumer({'bootstrap.servers': bootstrap, 'client.id': 'samsa-interop', 'group.id': 'samsa-interop-unused',
              'enable.auto.commit': False, 'enable.auto.offset.store': False, 'fetch.wait.max.ms': 200})
c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(spec['partitions'])])
consumed = []
deadline = time.time() + 30
while len(consumed) < len(recs) and time.time() < deadline:
    for m in c.consume(num_messages=1000, timeout=0.5):
        if m.error():
            errors.append(str(m.error()))
            continue
        ts_type, ts = m.timestamp()
        consumed.append({'partition': m.partition(), 'offset': m.offset(), 'timestamp': ts, 'timestamp_type': ts_type - 1,
                         'key': tohex(m.key()), 'value': tohex(m.value()),
                         'headers': [[k, tohex(v)] for k, v in (m.headers() or [])]})
marks = {str(p): c.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in range(spec['partitions'])}
c.close()
print(json.dumps({'delivered': delivered, 'consumed': consumed, 'errors': errors, 'watermarks': marks}))
`

test('confluent-kafka produces (plain and zstd) and reads every record back by manual assignment from the beginning', async (t) => {
  if (!requireTool(t, 'python3-confluent-kafka', () => hasPythonModule('confluent_kafka'))) return
  const b = await startBrokerProcess({ overrides: { 'num.partitions': '2' } })
  t.after(() => b.stop())
  const topic = 'confluent-records'
  const records = sampleRecords(100, 2, Date.now() - 7_200_000)
  // librdkafka also carries null header values.
  records[5]!.headers.push(['nullable', null])
  const out = await runPythonJson<{ delivered: Array<{ partition: number; offset: number }>; consumed: PyConsumed[]; errors: string[]; watermarks: Record<string, [number, number]> }>(
    PRODUCE_CONSUME,
    b.bootstrap,
    { topic, partitions: 2, records },
  )
  assert.deepEqual(out.errors, [])
  checkRoundTrip(records, out.delivered, out.consumed)
  assert.deepEqual(out.watermarks, { 0: [0, 50], 1: [0, 50] })
  assert.equal(b.proc.exitCode, null, 'broker still running')
})
