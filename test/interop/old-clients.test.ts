/**
 * Clients forced to the protocol versions of Kafka 0.8.2, 0.9 and 0.10 (message formats v0/v1,
 * Produce v0-2, Fetch v0-3, ListOffsets v0, OffsetCommit v1-2, JoinGroup v0) against one
 * embedded broker, and mixed with current clients on the same topic.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startBroker, type StartedBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'
import { decodeBatches } from '../../src/protocol/records/index.js'
import { runPythonJson } from '../helpers/python.js'
import { RawClient } from '../helpers/raw-client.js'
import { hasCommand, hasPythonModule, requireTool, runTool } from '../helpers/tools.js'
import { fetchOnce } from '../helpers/wire.js'

async function broker(t: import('node:test').TestContext): Promise<StartedBroker> {
  const b = await startBroker({ logger: createLogger({ level: 'silent' }) })
  t.after(() => b.close())
  return b
}

// Produces plain and gzip with the old api_version, reads back by assignment, commits through a
// group and reads the commit back from a second consumer; then the same topic is read by a
// current kafka-python (record batches v2) and a current producer's records by the old consumer.
const KAFKA_PYTHON = `
import json, sys
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata
bootstrap = sys.argv[1]
spec = json.load(sys.stdin)
ver = tuple(spec['version'])
topic = spec['topic']
tp = TopicPartition(topic, 0)
out = {'delivered': []}
for comp in (None, 'gzip'):
    p = KafkaProducer(bootstrap_servers=bootstrap, api_version=ver, compression_type=comp, linger_ms=5)
    fs = [p.send(topic, key=b'k%d' % i, value=('%s-%d' % (comp, i)).encode(), partition=0) for i in range(5)]
    p.flush(10)
    out['delivered'] += [f.get(10).offset for f in fs]
    p.close()
def read(consumer, n):
    got = []
    for _ in range(40):
        for _, ms in consumer.poll(timeout_ms=250).items():
            got += [[m.offset, m.value.decode(), m.timestamp] for m in ms]
        if len(got) >= n:
            break
    return got
c = KafkaConsumer(bootstrap_servers=bootstrap, api_version=ver, group_id='old-%s' % topic, enable_auto_commit=False, auto_offset_reset='earliest')
c.assign([tp])
out['consumed'] = read(c, 10)
c.commit({tp: OffsetAndMetadata(7, '')})
out['end'] = c.end_offsets([tp])[tp]
c.close()
c2 = KafkaConsumer(bootstrap_servers=bootstrap, api_version=ver, group_id='old-%s' % topic, enable_auto_commit=False)
out['committed'] = c2.committed(tp)
c2.close()
# Mixed: a current producer (record batches v2, headers) read by the old consumer, and the reverse.
p = KafkaProducer(bootstrap_servers=bootstrap)
p.send(topic, value=b'new', partition=0, headers=[('h', b'x')]).get(10)
p.close()
old = KafkaConsumer(bootstrap_servers=bootstrap, api_version=ver, auto_offset_reset='earliest')
old.assign([tp]); old.seek(tp, 10)
out['old_reads_new'] = read(old, 1)
old.close()
new = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset='earliest')
new.assign([tp]); new.seek(tp, 0)
out['new_reads_old'] = read(new, 11)
new.close()
print(json.dumps(out))
`

interface PyOut {
  delivered: number[]
  consumed: Array<[number, string, number | null]>
  end: number
  committed: number | null
  old_reads_new: Array<[number, string, number | null]>
  new_reads_old: Array<[number, string, number | null]>
}

for (const version of [[0, 8, 2], [0, 9], [0, 10]]) {
  const name = version.join('.')
  test(`kafka-python api_version=(${version.join(', ')}): produce plain and gzip, fetch, commit, and share a topic with a current client`, async (t) => {
    if (!requireTool(t, 'python3-kafka', () => hasPythonModule('kafka'))) return
    const b = await broker(t)
    const topic = `old-${name.replace(/\./g, '')}`
    await b.broker.createTopic(topic, 1)
    const out = await runPythonJson<PyOut>(KAFKA_PYTHON, b.bootstrap, { version, topic })
    assert.deepEqual(out.delivered, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const values = [0, 1, 2, 3, 4].map((i) => `None-${i}`).concat([0, 1, 2, 3, 4].map((i) => `gzip-${i}`))
    assert.deepEqual(out.consumed.map(([o, v]) => [o, v]), values.map((v, i) => [i, v]))
    const v1 = version[1]! >= 10
    assert.ok(out.consumed.every(([, , ts]) => (v1 ? typeof ts === 'number' && ts > 0 : ts === null || ts === -1)), `timestamps ${JSON.stringify(out.consumed)}`)
    assert.equal(out.end, 10, 'ListOffsets (v0 below 0.10.1) gives the log end')
    assert.equal(out.committed, 7, 'the group commit is read back')
    assert.deepEqual(out.old_reads_new.map(([o, v]) => [o, v]), [[10, 'new']])
    assert.deepEqual(out.new_reads_old.map(([o, v]) => [o, v]), values.map((v, i) => [i, v]).concat([[10, 'new']]))
    // Stored as v2 batches with the producer's codec.
    const c = await RawClient.connect(b.port, b.host)
    t.after(() => c.close())
    const batches = await decodeBatches((await fetchOnce(c, topic, 0, 0n)).records!)
    assert.ok(batches.some((x) => x.compression === 1), 'the gzip messages stayed gzip')
  })
}

for (const fallback of ['0.9.0', '0.10.0']) {
  test(`kcat (librdkafka) with api.version.request=false broker.version.fallback=${fallback}: snappy and gzip in old formats both ways`, async (t) => {
    if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
    const b = await broker(t)
    const old = ['-X', 'api.version.request=false', '-X', `broker.version.fallback=${fallback}`]
    for (const codec of ['snappy', 'gzip']) {
      const topic = `kcat-${fallback.replace(/\./g, '')}-${codec}`
      await b.broker.createTopic(topic, 1)
      const p = await runTool('kcat', ['-b', b.bootstrap, '-P', '-t', topic, '-z', codec, '-K', ':', ...old], { input: ['a', 'b', 'c'].map((k, i) => `${k}:${String(i + 1).repeat(300)}\n`).join(''), timeoutMs: 30_000 })
      assert.equal(p.code, 0, p.stderr)
      const r = await runTool('kcat', ['-b', b.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%o %k %s %T\\n', ...old], { timeoutMs: 30_000 })
      assert.equal(r.code, 0, r.stderr)
      const lines = r.stdout.trim().split('\n').map((l) => l.split(' '))
      assert.deepEqual(lines.map(([o, k, v]) => [o, k, v]), [['0', 'a', '1'.repeat(300)], ['1', 'b', '2'.repeat(300)], ['2', 'c', '3'.repeat(300)]], codec)
      // 0.9 has no timestamps (format v0); 0.10 carries them (v1).
      assert.ok(lines.every((l) => (fallback === '0.9.0' ? Number(l[3]) <= 0 : Number(l[3]) > 0)), `${fallback} timestamps ${r.stdout}`)
      const c = await RawClient.connect(b.port, b.host)
      const [batch] = await decodeBatches((await fetchOnce(c, topic, 0, 0n)).records!)
      c.close()
      assert.equal(batch!.compression, codec === 'snappy' ? 2 : 1, 'stored with the producer codec')
      // A current kcat reads what the old one wrote.
      const now = await runTool('kcat', ['-b', b.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%k\\n'], { timeoutMs: 30_000 })
      assert.deepEqual(now.stdout.trim().split('\n'), ['a', 'b', 'c'])
    }
  })
}

const CONFLUENT = `
import json, sys
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap = sys.argv[1]
spec = json.load(sys.stdin)
old = {'bootstrap.servers': bootstrap, 'api.version.request': False, 'broker.version.fallback': spec['fallback']}
p = Producer({**old, 'compression.codec': 'snappy', 'linger.ms': 5})
for i in range(6):
    p.produce(spec['topic'], value=b'm%d' % i, partition=0)
p.flush(20)
c = Consumer({**old, 'group.id': 'cg-' + spec['topic'], 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe([spec['topic']])
got = []
for _ in range(60):
    m = c.poll(0.5)
    if m is not None and not m.error():
        got.append(m.value().decode())
    if len(got) >= 6:
        break
c.commit(asynchronous=False)
committed = [tp.offset for tp in c.committed([TopicPartition(spec['topic'], 0)], timeout=10)]
c.close()
print(json.dumps({'got': got, 'committed': committed}))
`

test('confluent-kafka with api.version.request=false broker.version.fallback=0.10.0: snappy produce, a group consumer (JoinGroup v0) commits', async (t) => {
  if (!requireTool(t, 'python3-confluent-kafka', () => hasPythonModule('confluent_kafka'))) return
  const b = await broker(t)
  await b.broker.createTopic('ck-old', 1)
  const out = await runPythonJson<{ got: string[]; committed: number[] }>(CONFLUENT, b.bootstrap, { topic: 'ck-old', fallback: '0.10.0' })
  assert.deepEqual(out.got, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'])
  assert.deepEqual(out.committed, [6])
})
