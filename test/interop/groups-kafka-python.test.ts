/**
 * kafka-python (Debian python3-kafka 2.0.2) group consumers against the real broker process:
 * commit, close, restart with the same group id and resume after the last commit; two
 * consumers in one group split the partitions. kafka-python speaks old group API versions
 * (JoinGroup v2, OffsetCommit v2, OffsetFetch v1-v3...), which the broker must still serve.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Admin } from 'kafkajs'
import { groupTopicBroker } from '../helpers/groups.js'
import { runPythonJson } from '../helpers/python.js'
import { hasPythonModule, requireTool } from '../helpers/tools.js'


// One run of a kafka-python group consumer: what the broker has committed for the group before
// it starts (committed() of unassigned partitions asks the coordinator), then `take` records
// (or everything up to the end of each partition), then commit() (synchronous, the positions
// reached), then close without auto commit.
const RUN = `
import json, sys, time
from kafka import KafkaConsumer, TopicPartition
bootstrap = sys.argv[1]
spec = json.load(sys.stdin)
topic, n = spec['topic'], spec['partitions']
tps = [TopicPartition(topic, p) for p in range(n)]
c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=spec['group'], client_id=spec['client'],
                  enable_auto_commit=False, auto_offset_reset='earliest', session_timeout_ms=10000,
                  heartbeat_interval_ms=500, request_timeout_ms=15000, fetch_max_wait_ms=100)
before = {str(tp.partition): c.committed(tp) for tp in tps}
ends = c.end_offsets(tps)
c.subscribe([topic])
nxt = {p: before[str(p)] or 0 for p in range(n)}
consumed = []
take = spec.get('take')
deadline = time.time() + 45
while time.time() < deadline:
    if take is not None and len(consumed) >= take:
        break
    if take is None and all(nxt[tp.partition] >= ends[tp] for tp in tps):
        break
    want = 500 if take is None else take - len(consumed)
    for tp, batch in c.poll(timeout_ms=200, max_records=want).items():
        for m in batch:
            consumed.append({'p': m.partition, 'o': m.offset, 'v': m.value.decode()})
            nxt[m.partition] = max(nxt[m.partition], m.offset + 1)
assigned = sorted(tp.partition for tp in c.assignment())
positions = {str(tp.partition): c.position(tp) for tp in c.assignment()}
c.commit()
c.close(autocommit=False)
print(json.dumps({'before': before, 'assigned': assigned, 'positions': positions, 'consumed': consumed}))
`

interface PyRun {
  before: Record<string, number | null>
  assigned: number[]
  positions: Record<string, number>
  consumed: Array<{ p: number; o: number; v: string }>
}

async function committed(admin: Admin, groupId: string, topic: string): Promise<Record<string, number>> {
  const r = await admin.fetchOffsets({ groupId, topics: [topic] })
  return Object.fromEntries(r[0]!.partitions.map((p) => [p.partition, Number(p.offset)]))
}

test('kafka-python: a group consumer commits, closes and a restart with the same group id resumes after the last commit; no record is read twice', async (t) => {
  if (!requireTool(t, 'python3-kafka', () => hasPythonModule('kafka'))) return
  const topic = 'kp-resume'
  const group = 'kp-resume-group'
  const { b, admin, producer } = await groupTopicBroker(t, topic, 3)
  for (let p = 0; p < 3; p++) {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 40 }, (_, i) => ({ partition: p, key: `k${i}`, value: `r-${p}-${i}` })) })
  }
  const spec = { topic, partitions: 3, group, client: 'samsa-kp' }

  const first = await runPythonJson<PyRun>(RUN, b.bootstrap, { ...spec, take: 50 })
  assert.deepEqual(first.before, { 0: null, 1: null, 2: null }, 'nothing committed before the first run')
  assert.deepEqual(first.assigned, [0, 1, 2], 'the only member gets every partition')
  assert.equal(first.consumed.length, 50)
  const reached: Record<string, number> = { 0: -1, 1: -1, 2: -1 }
  for (const m of first.consumed) reached[m.p] = Math.max(reached[m.p]!, m.o + 1)
  for (const [p, o] of Object.entries(first.positions)) if (reached[p] !== -1) assert.equal(o, reached[p], `partition ${p}: position is after the last record read`)
  const afterFirst = await committed(admin, group, topic)
  for (let p = 0; p < 3; p++) {
    // kafka-python commits the position of every assigned partition (it may have fetched a
    // partition it returned nothing from: then the position is where it would start).
    assert.equal(afterFirst[p], first.positions[p] ?? -1, `partition ${p}: the broker holds the committed position`)
    if (reached[p] !== -1) assert.equal(afterFirst[p], reached[p])
  }

  const second = await runPythonJson<PyRun>(RUN, b.bootstrap, { ...spec, take: null })
  assert.deepEqual(
    second.before,
    Object.fromEntries(Object.entries(afterFirst).map(([p, o]) => [p, o === -1 ? null : o])),
    'the restarted consumer finds the committed offsets',
  )
  for (let p = 0; p < 3; p++) {
    const from = Math.max(afterFirst[p]!, 0)
    assert.deepEqual(
      second.consumed.filter((m) => m.p === p).map((m) => m.o),
      Array.from({ length: 40 - from }, (_, i) => from + i),
      `partition ${p}: resumes at ${from} and reads to the end once`,
    )
  }
  const seen = [...first.consumed, ...second.consumed].map((m) => m.v)
  assert.equal(new Set(seen).size, seen.length, 'no record read twice across the restart')
  assert.equal(seen.length, 120, 'and every record read')
  assert.deepEqual(await committed(admin, group, topic), { 0: 40, 1: 40, 2: 40 })
})

// Two consumers of one group, each in its own thread (kafka-python blocks in JoinGroup until the
// rebalance completes, so one thread cannot drive both). Once they split the partitions, a
// producer sends the records; each consumer reports what it read.
const PAIR = `
import json, sys, threading, time
from kafka import KafkaConsumer, KafkaProducer
bootstrap = sys.argv[1]
spec = json.load(sys.stdin)
topic, n, total = spec['topic'], spec['partitions'], spec['total']
stop = threading.Event()
held = [[], []]
got = [[], []]
errors = []
def run(i):
    try:
        c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=spec['group'], client_id='kp-%d' % i,
                          enable_auto_commit=False, auto_offset_reset='earliest', session_timeout_ms=10000,
                          heartbeat_interval_ms=300, request_timeout_ms=15000, fetch_max_wait_ms=100)
        while not stop.is_set():
            records = c.poll(timeout_ms=100)
            for tp, batch in records.items():
                for m in batch:
                    got[i].append({'p': m.partition, 'o': m.offset, 'v': m.value.decode()})
            if records:
                c.commit()
            held[i] = sorted(tp.partition for tp in c.assignment())
        c.close(autocommit=False)
    except Exception as e:
        errors.append('consumer %d: %r' % (i, e))
threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
for t in threads:
    t.start()
deadline = time.time() + 45
split = lambda: held[0] and held[1] and len(held[0]) + len(held[1]) == n and not set(held[0]) & set(held[1])
while time.time() < deadline and not split() and not errors:
    time.sleep(0.05)
at_split = [list(h) for h in held]
if split():
    p = KafkaProducer(bootstrap_servers=bootstrap, acks='all')
    for i in range(total):
        p.send(topic, key=b'k%d' % i, value=('v-%d' % i).encode(), partition=i % n)
    p.flush()
    p.close()
    while time.time() < deadline and len({m['v'] for g in got for m in g}) < total and not errors:
        time.sleep(0.05)
stop.set()
for t in threads:
    t.join(30)
print(json.dumps({'split': at_split, 'held': held, 'got': got, 'errors': errors}))
`

test('kafka-python: two consumers in one group split the partitions and read every record once', async (t) => {
  if (!requireTool(t, 'python3-kafka', () => hasPythonModule('kafka'))) return
  const topic = 'kp-pair'
  const group = 'kp-pair-group'
  const { b, admin } = await groupTopicBroker(t, topic, 4)
  const out = await runPythonJson<{ split: number[][]; held: number[][]; got: Array<Array<{ p: number; o: number; v: string }>>; errors: string[] }>(PAIR, b.bootstrap, {
    topic,
    partitions: 4,
    group,
    total: 400,
  })
  assert.deepEqual(out.errors, [])
  const [h0, h1] = out.split as [number[], number[]]
  assert.ok(h0.length > 0 && h1.length > 0, `both consumers hold partitions: ${JSON.stringify(out.split)}`)
  assert.deepEqual([...h0, ...h1].sort(), [0, 1, 2, 3], 'between them, every partition once')
  assert.deepEqual(out.held, out.split, 'no rebalance after the split')
  out.got.forEach((g, i) => {
    assert.deepEqual([...new Set(g.map((m) => m.p))].sort(), out.split[i], `consumer ${i} reads only its partitions`)
  })
  const all = out.got.flat().map((m) => m.v)
  assert.equal(new Set(all).size, all.length, 'no record read twice')
  assert.deepEqual(all.sort(), Array.from({ length: 400 }, (_, i) => `v-${i}`).sort(), 'every record read')
  assert.deepEqual(await committed(admin, group, topic), { 0: 100, 1: 100, 2: 100, 3: 100 }, 'each committed what it read')
})
