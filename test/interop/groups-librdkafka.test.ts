/**
 * librdkafka group consumers against the real broker process: confluent-kafka (Debian
 * python3-confluent-kafka) commits, closes and resumes after its last commit; kcat -G members
 * balance a topic and resume from their commits; a static member (group.instance.id) restarts
 * within its session timeout and gets its partitions back without the others rebalancing.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import type { Producer } from 'kafkajs'
import { describeGroup, groupTopicBroker, servedVersions } from '../helpers/groups.js'
import { PYTHON, runPythonJson } from '../helpers/python.js'
import { RawClient } from '../helpers/raw-client.js'
import { hasCommand, hasPythonModule, requireTool, runTool } from '../helpers/tools.js'
import { waitFor } from '../helpers/wire.js'


/** `perPartition` records "<tag>-<p>-<i>" into every partition. */
async function produceEach(producer: Producer, topic: string, partitions: number, perPartition: number, tag: string): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: perPartition }, (_, i) => ({ partition: p, key: `k${i}`, value: `${tag}-${p}-${i}` })) })
  }
}

// ---- confluent-kafka: commit, close, restart --------------------------------------------------

// One run of a group consumer: reports what was committed before it started, consumes `take`
// records (or up to the end of every partition), optionally commits synchronously, reports
// what is committed after, and closes. auto commit is off: only commit() commits.
const CK_RUN = `
import json, sys, time
from confluent_kafka import Consumer, TopicPartition
bootstrap = sys.argv[1]
spec = json.load(sys.stdin)
topic, n = spec['topic'], spec['partitions']
tps = lambda: [TopicPartition(topic, p) for p in range(n)]
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': spec['group'], 'client.id': spec['client'],
              'enable.auto.commit': False, 'auto.offset.reset': 'earliest', 'session.timeout.ms': 10000,
              'heartbeat.interval.ms': 500, 'fetch.wait.max.ms': 100})
before = {str(tp.partition): tp.offset for tp in c.committed(tps(), timeout=20)}
assigned = []
c.subscribe([topic], on_assign=lambda cons, ps: assigned.append(sorted(p.partition for p in ps)))
ends = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(n)}
nxt = {p: max(before[str(p)], 0) for p in range(n)}
consumed, errors = [], []
take = spec.get('take')
deadline = time.time() + 45
while time.time() < deadline:
    if take is not None and len(consumed) >= take:
        break
    if take is None and all(nxt[p] >= ends[p] for p in range(n)):
        break
    m = c.poll(0.2)
    if m is None:
        continue
    if m.error():
        errors.append(str(m.error()))
        continue
    consumed.append({'p': m.partition(), 'o': m.offset(), 'v': m.value().decode()})
    nxt[m.partition()] = max(nxt[m.partition()], m.offset() + 1)
commit_result = None
if spec.get('commit'):
    commit_result = {str(tp.partition): tp.offset for tp in (c.commit(asynchronous=False) or [])}
after = {str(tp.partition): tp.offset for tp in c.committed(tps(), timeout=20)}
c.close()
print(json.dumps({'before': before, 'after': after, 'commit': commit_result, 'assigned': assigned, 'consumed': consumed, 'errors': errors}))
`

interface CkRun {
  before: Record<string, number>
  after: Record<string, number>
  commit: Record<string, number> | null
  assigned: number[][]
  consumed: Array<{ p: number; o: number; v: string }>
  errors: string[]
}

const OFFSET_INVALID = -1001

test('confluent-kafka: a group consumer commits, closes and a restart with the same group id resumes after the last commit; no record is read twice', async (t) => {
  if (!requireTool(t, 'python3-confluent-kafka', () => hasPythonModule('confluent_kafka'))) return
  const topic = 'ck-resume'
  const { b, admin, producer } = await groupTopicBroker(t, topic, 3)
  await produceEach(producer, topic, 3, 50, 'r')
  const spec = { topic, partitions: 3, group: 'ck-resume-group', client: 'samsa-ck' }

  const first = await runPythonJson<CkRun>(CK_RUN, b.bootstrap, { ...spec, take: 70, commit: true })
  assert.deepEqual(first.errors, [])
  assert.deepEqual(first.before, { 0: OFFSET_INVALID, 1: OFFSET_INVALID, 2: OFFSET_INVALID }, 'nothing committed before the first run')
  assert.deepEqual(first.assigned.at(-1), [0, 1, 2], 'the only member gets every partition')
  assert.equal(first.consumed.length, 70)
  // What it committed: the position after the last record it read in each partition.
  const positions: Record<string, number> = { 0: OFFSET_INVALID, 1: OFFSET_INVALID, 2: OFFSET_INVALID }
  for (const m of first.consumed) positions[m.p] = Math.max(positions[m.p]!, m.o + 1)
  const committedPositions = Object.fromEntries(Object.entries(positions).filter(([, o]) => o !== OFFSET_INVALID))
  // (librdkafka may list a partition it read nothing from with OFFSET_INVALID: not a commit.)
  assert.deepEqual(Object.fromEntries(Object.entries(first.commit ?? {}).filter(([, o]) => o >= 0)), committedPositions, 'commit() reports the positions it committed')
  assert.deepEqual(first.after, positions, 'committed() reads them back')
  const fetched = await admin.fetchOffsets({ groupId: spec.group, topics: [topic] })
  assert.deepEqual(
    Object.fromEntries(fetched[0]!.partitions.map((p) => [p.partition, Number(p.offset)])),
    Object.fromEntries(Object.entries(positions).map(([p, o]) => [p, o === OFFSET_INVALID ? -1 : o])),
    'kafkajs admin sees the same committed offsets',
  )

  const second = await runPythonJson<CkRun>(CK_RUN, b.bootstrap, { ...spec, take: null, commit: true })
  assert.deepEqual(second.errors, [])
  assert.deepEqual(second.before, positions, 'the restarted consumer finds the committed offsets')
  for (let p = 0; p < 3; p++) {
    const mine = second.consumed.filter((m) => m.p === p).map((m) => m.o)
    const from = Math.max(positions[p]!, 0)
    assert.deepEqual(mine, Array.from({ length: 50 - from }, (_, i) => from + i), `partition ${p}: resumes at ${from} and reads to the end once`)
  }
  const seen = [...first.consumed, ...second.consumed].map((m) => m.v)
  assert.equal(new Set(seen).size, seen.length, 'no record read twice across the restart')
  assert.equal(seen.length, 150, 'and every record read')
  assert.deepEqual(second.after, { 0: 50, 1: 50, 2: 50 })
})

// ---- kcat -G ------------------------------------------------------------------------------------

interface KcatMessage {
  partition: number
  offset: number
  payload: string | null
}

/** A kcat -G member running until stopped; stdout is JSON envelopes, stderr its rebalance lines. */
class KcatMember {
  readonly proc: ChildProcess
  stdout = ''
  stderr = ''
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>

  constructor(bootstrap: string, group: string, topic: string) {
    this.proc = spawn(
      'kcat',
      ['-G', group, '-b', bootstrap, '-J', '-u', '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=10000', '-X', 'heartbeat.interval.ms=500', '-X', 'fetch.wait.max.ms=100', topic],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    this.proc.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdout += s))
    this.proc.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s))
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })))
  }

  messages(): KcatMessage[] {
    return this.stdout
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as KcatMessage)
  }

  /** Partitions held now, replaying "% Group ... rebalanced ...: assigned: t [0], t [2]" / "revoked: ..." lines. */
  partitions(): number[] {
    let held: number[] = []
    for (const line of this.stderr.split('\n')) {
      const m = /rebalanced \(memberid [^)]*\): (assigned|revoked): (.*)$/.exec(line)
      if (!m) continue
      held = m[1] === 'assigned' ? [...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])) : []
    }
    return held.sort((x, y) => x - y)
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM')
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 20_000)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }
}

test('kcat -G: two balanced consumers split a topic and read each record once; their commits let a third run read only what is new', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const topic = 'kcat-balanced'
  const group = 'kcat-balanced-group'
  const { b, admin, producer, defer } = await groupTopicBroker(t, topic, 3)
  const k1 = new KcatMember(b.bootstrap, group, topic)
  const k2 = new KcatMember(b.bootstrap, group, topic)
  defer(() => Promise.all([k1.stop(), k2.stop()]))
  const explain = () => `k1 stderr: ${k1.stderr.slice(-2000)}\nk2 stderr: ${k2.stderr.slice(-2000)}`
  await waitFor(() => {
    const [p1, p2] = [k1.partitions(), k2.partitions()]
    return p1.length > 0 && p2.length > 0 && new Set([...p1, ...p2]).size === 3 && p1.length + p2.length === 3
  }, 'two kcat members to split 3 partitions', 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${explain()}`)
  })

  await produceEach(producer, topic, 3, 100, 'k')
  await waitFor(() => k1.messages().length + k2.messages().length >= 300, '300 records read by the two kcat members', 60_000).catch((e: Error) => {
    throw new Error(`${e.message}: ${k1.messages().length} + ${k2.messages().length}\n${explain()}`)
  })
  // Committed to the end (kcat auto-commits) before they stop, so no late duplicate escapes the count below.
  await waitFor(async () => (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.every((p) => p.offset === '100'), 'kcat to commit every partition to 100', 30_000)
  for (const [k, held] of [
    [k1, k1.partitions()],
    [k2, k2.partitions()],
  ] as const) {
    const got = k.messages()
    assert.deepEqual([...new Set(got.map((m) => m.partition))].sort(), held, 'each member reads only its own partitions')
    for (const p of held) {
      assert.deepEqual(
        got.filter((m) => m.partition === p).map((m) => m.payload),
        Array.from({ length: 100 }, (_, i) => `k-${p}-${i}`),
        `partition ${p} read once, in order`,
      )
    }
  }
  assert.deepEqual(await k1.stop(), { code: 0, signal: null }, k1.stderr)
  assert.deepEqual(await k2.stop(), { code: 0, signal: null }, k2.stderr)

  // A new run in the same group (-e: exit at the end of every partition) sees only new records.
  await produceEach(producer, topic, 3, 10, 'n')
  const r = await runTool('kcat', ['-G', group, '-b', b.bootstrap, '-J', '-e', '-X', 'auto.offset.reset=earliest', topic], { timeoutMs: 60_000 })
  assert.equal(r.code, 0, r.stderr)
  const third = r.stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as KcatMessage)
  assert.deepEqual(
    third.map((m) => `${m.partition}/${m.offset}/${m.payload}`).sort(),
    [0, 1, 2].flatMap((p) => Array.from({ length: 10 }, (_, i) => `${p}/${100 + i}/n-${p}-${i}`)).sort(),
    'the third run resumes at offset 100 of every partition',
  )
})

// ---- static membership --------------------------------------------------------------------------

// Consumers in one process (names from the spec; a group.instance.id when given), polling until
// SIGTERM, then close() (a static member sends no LeaveGroup on close: KIP-345). Prints a JSON
// line per assignment, revocation and error.
const CK_MEMBERS = `
import json, signal, sys, time
from confluent_kafka import Consumer
bootstrap = sys.argv[1]
spec = json.loads(sys.argv[2])
running = True
def stop(*_):
    global running
    running = False
signal.signal(signal.SIGTERM, stop)
def out(**kw):
    kw['at'] = int(time.time() * 1000)
    print(json.dumps(kw), flush=True)
consumers = []
for name in spec['names']:
    conf = {'bootstrap.servers': bootstrap, 'group.id': spec['group'], 'client.id': name,
            'session.timeout.ms': spec['session'], 'heartbeat.interval.ms': 500,
            'auto.offset.reset': 'earliest', 'enable.auto.commit': False}
    if spec.get('instance'):
        conf['group.instance.id'] = spec['instance']
    c = Consumer(conf)
    c.subscribe([spec['topic']],
                on_assign=lambda cons, ps, name=name: out(e='assign', name=name, parts=sorted(p.partition for p in ps)),
                on_revoke=lambda cons, ps, name=name: out(e='revoke', name=name, parts=sorted(p.partition for p in ps)))
    consumers.append(c)
out(e='ready')
while running:
    for c in consumers:
        m = c.poll(0.05)
        if m is not None and m.error():
            out(e='error', error=str(m.error()))
for c in consumers:
    c.close()
out(e='closed')
`

interface CkLine {
  e: 'ready' | 'assign' | 'revoke' | 'error' | 'closed'
  at: number
  name?: string
  parts?: number[]
  error?: string
}

class PythonMembers {
  readonly proc: ChildProcess
  readonly lines: CkLine[] = []
  stderr = ''
  private pending = ''
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>

  constructor(bootstrap: string, spec: { group: string; topic: string; names: string[]; instance?: string; session: number }) {
    this.proc = spawn(PYTHON, ['-c', CK_MEMBERS, bootstrap, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
      this.pending += s
      const parts = this.pending.split('\n')
      this.pending = parts.pop()!
      for (const l of parts) if (l.trim()) this.lines.push(JSON.parse(l) as CkLine)
    })
    this.proc.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s))
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })))
  }

  /** Partitions `name` holds now (last assign, unless revoked since). */
  held(name: string): number[] {
    let held: number[] = []
    for (const l of this.lines) if (l.name === name && (l.e === 'assign' || l.e === 'revoke')) held = l.e === 'assign' ? l.parts! : []
    return held
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM')
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 20_000)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }
}

test('static membership: a librdkafka consumer with group.instance.id restarts within its session timeout and gets its partitions back without the others rebalancing', async (t) => {
  if (!requireTool(t, 'python3-confluent-kafka', () => hasPythonModule('confluent_kafka'))) return
  const topic = 'static-topic'
  const group = 'static-group'
  const { b, defer } = await groupTopicBroker(t, topic, 6)
  const served = await servedVersions(b.port, b.host)
  const raw = await RawClient.connect(b.port, b.host)
  defer(() => raw.close())
  const others = new PythonMembers(b.bootstrap, { group, topic, names: ['other-1', 'other-2'], session: 10_000 })
  defer(() => others.stop())
  const explain = (...ps: PythonMembers[]) => ps.map((p) => `${p.lines.map((l) => JSON.stringify(l)).join('\n')}\n${p.stderr.slice(-2000)}`).join('\n---\n')
  await waitFor(() => others.held('other-1').length + others.held('other-2').length === 6 && others.held('other-1').length > 0 && others.held('other-2').length > 0, 'two dynamic members to split 6 partitions', 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${explain(others)}`)
  })

  const staticSpec = { group, topic, names: ['static'], instance: 'static-1', session: 30_000 }
  const first = new PythonMembers(b.bootstrap, staticSpec)
  defer(() => first.stop())
  await waitFor(() => {
    const all = [...others.held('other-1'), ...others.held('other-2'), ...first.held('static')]
    return first.held('static').length > 0 && others.held('other-1').length > 0 && others.held('other-2').length > 0 && all.length === 6 && new Set(all).size === 6
  }, 'the static member to join and the three to split 6 partitions', 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${explain(others, first)}`)
  })
  const staticParts = first.held('static')
  const described = await describeGroup(raw, served, group)
  assert.equal(described.groupState, 'Stable')
  const staticBefore = described.members.find((m) => m.groupInstanceId === 'static-1')
  assert.ok(staticBefore, `DescribeGroups lists the static member: ${JSON.stringify(described.members.map((m) => [m.memberId, m.groupInstanceId]))}`)
  const othersIds = described.members.filter((m) => m !== staticBefore).map((m) => m.memberId).sort()
  assert.equal(othersIds.length, 2)

  // The static member closes: no LeaveGroup, so the group keeps it and nobody rebalances.
  const mark = others.lines.length
  assert.deepEqual(await first.stop(), { code: 0, signal: null }, explain(first))
  const meanwhile = await describeGroup(raw, served, group)
  assert.equal(meanwhile.groupState, 'Stable', 'the group stays Stable while the static member is away')
  assert.deepEqual(meanwhile.members.map((m) => m.memberId).sort(), described.members.map((m) => m.memberId).sort(), 'and keeps it as a member')

  // It comes back under the same group.instance.id well within its 30 s session timeout.
  const second = new PythonMembers(b.bootstrap, staticSpec)
  defer(() => second.stop())
  const back = await waitFor(() => second.lines.find((l) => l.e === 'assign'), 'the restarted static member to be assigned', 30_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${explain(others, second)}`)
  })
  assert.deepEqual(back.parts, staticParts, 'the same partitions as before the restart')
  // Rebalances reach the others through their heartbeats (every 500 ms): give them 3 s to show one.
  await new Promise((r) => setTimeout(r, 3000))
  assert.deepEqual(
    others.lines.slice(mark).filter((l) => l.e !== 'error'),
    [],
    `the other members saw no revocation or assignment\n${explain(others)}`,
  )
  assert.deepEqual(others.lines.slice(mark).filter((l) => l.e === 'error'), [], 'nor any error')
  const after = await describeGroup(raw, served, group)
  assert.equal(after.groupState, 'Stable')
  const staticAfter = after.members.find((m) => m.groupInstanceId === 'static-1')
  assert.ok(staticAfter, 'the static member is in the group')
  assert.notEqual(staticAfter.memberId, staticBefore.memberId, 'under a new member id (Kafka replaces it on rejoin)')
  assert.deepEqual(after.members.filter((m) => m !== staticAfter).map((m) => m.memberId).sort(), othersIds, 'the other members are the same')
  assert.deepEqual(staticAfter.memberAssignment, staticBefore.memberAssignment, 'and its assignment is unchanged')
  assert.deepEqual(second.held('static'), staticParts)
})
