/**
 * kafkajs consumer groups against the real broker process: three consumers (each in its own
 * Node process) share a 6-partition topic, one leaves cleanly, one is SIGKILLed and the survivor
 * takes over after the session timeout; two groups on one topic each get every record. The
 * time a rebalance takes is printed as a diagnostic, never asserted.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type Producer } from 'kafkajs'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { deferrer, KafkajsMemberProcess, requireGroupApis, type MemberLine } from '../helpers/groups.js'
import { waitFor } from '../helpers/wire.js'

const SESSION_TIMEOUT_MS = 6000
const HEARTBEAT_MS = 500

function client(bootstrap: string, clientId = 'samsa-groups'): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } })
}

async function setup(t: TestContext, topic: string, partitions: number): Promise<{ b: BrokerProcess; kafka: Kafka; admin: Admin; producer: Producer; defer: (fn: () => unknown) => void }> {
  const defer = deferrer(t)
  // A short initial delay keeps the first rebalance quick (Kafka's default is 3 s).
  const b = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': '100' } })
  defer(() => b.stop())
  t.diagnostic(`group APIs advertised: ${(await requireGroupApis(b.port, b.host)).join(', ')}`)
  const kafka = client(b.bootstrap)
  const admin = kafka.admin()
  await admin.connect()
  defer(() => admin.disconnect())
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true }), true)
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
  await producer.connect()
  defer(() => producer.disconnect())
  return { b, kafka, admin, producer, defer }
}

/** Sends `count` keyed records "<phase>-<i>" in batches; returns their values. */
async function produce(producer: Producer, topic: string, phase: string, count: number, batch = 500): Promise<string[]> {
  const values = Array.from({ length: count }, (_, i) => `${phase}-${i}`)
  for (let i = 0; i < count; i += batch) {
    await producer.send({ topic, acks: -1, messages: values.slice(i, i + batch).map((v, j) => ({ key: `key-${(i + j) % 997}`, value: v })) })
  }
  return values
}

/** The latest assignments of `members` are disjoint and cover partitions 0..n-1, all made at or after `since`. */
function settled(members: KafkajsMemberProcess[], n: number, since = 0): boolean {
  const seen: number[] = []
  for (const m of members) {
    const j = m.lastJoin()
    if (!j || j.at < since) return false
    seen.push(...m.partitions())
  }
  return seen.length === n && new Set(seen).size === n && seen.every((p) => p >= 0 && p < n)
}

function describeMembers(members: KafkajsMemberProcess[]): string {
  return members.map((m) => m.diagnostics()).join('\n')
}

/** Committed offsets of the group equal the log end of every partition. */
async function committedToEnd(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })])
  const c = new Map(committed[0]!.partitions.map((p) => [p.partition, p.offset]))
  return ends.every((e) => c.get(e.partition) === e.high)
}

test('kafkajs: three consumers share 6 partitions and read 10,000 keyed records once; a clean leave and a SIGKILL hand partitions over; nothing is lost', async (t) => {
  const topic = 'kjs-three'
  const groupId = 'kjs-three-group'
  const { b, admin, producer, defer } = await setup(t, topic, 6)
  const members: KafkajsMemberProcess[] = []
  defer(async () => {
    for (const m of members) await m.kill()
  })
  const start = (name: string) => {
    const m = new KafkajsMemberProcess({
      bootstrap: b.bootstrap,
      groupId,
      topic,
      clientId: name,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_MS,
      rebalanceTimeout: 20_000,
    })
    members.push(m)
    return m
  }

  // Two members settle first, then the third joins: that rebalance is the one timed.
  const a = start('member-a')
  const bee = start('member-b')
  await waitFor(() => settled([a, bee], 6), 'two kafkajs members sharing 6 partitions', 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${describeMembers([a, bee])}`)
  })
  const thirdStarted = Date.now()
  const c = start('member-c')
  await waitFor(() => settled([a, bee, c], 6, thirdStarted) && c.partitions().length > 0, 'three kafkajs members sharing 6 partitions', 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${describeMembers([a, bee, c])}`)
  })
  // kafkajs reports a request when its answer arrives, with the time it was sent.
  const sentAt = c.lines.filter((l): l is Extract<MemberLine, { e: 'req' }> => l.e === 'req' && l.api === 'JoinGroup').map((l) => l.sentAt)
  const joinSent = sentAt.length > 0 ? Math.min(...sentAt) : thirdStarted
  const allJoined = Math.max(...[a, bee, c].map((m) => m.lastJoin()!.at))
  t.diagnostic(
    `rebalance of 3 kafkajs members (a third joins a stable group of 2, heartbeat ${HEARTBEAT_MS} ms): ${allJoined - joinSent} ms from the third member's first JoinGroup to GROUP_JOIN on all three; assignments ${[a, bee, c].map((m) => `${m.name}=[${m.partitions()}]`).join(' ')}`,
  )
  for (const m of [a, bee, c]) assert.equal(m.partitions().length, 2, `${m.name} gets 2 of the 6 partitions`)

  // ---- 10,000 keyed records, each consumed exactly once across the group.
  const phase1 = await produce(producer, topic, 'p1', 10_000)
  const all = () => members.flatMap((m) => m.messages().map((x) => ({ ...x, by: m.name })))
  const distinct = (phase: string, from = all()) => new Set(from.filter((x) => x.v.startsWith(`${phase}-`)).map((x) => x.v)).size
  await waitFor(() => distinct('p1') === phase1.length, '10,000 records consumed', 90_000).catch((e: Error) => {
    throw new Error(`${e.message}: ${distinct('p1')} distinct\n${describeMembers(members)}`)
  })
  await waitFor(() => committedToEnd(admin, groupId, topic), 'the group to commit every partition to its end', 30_000)
  const ownerOf = new Map<number, string>()
  for (const m of [a, bee, c]) for (const p of m.partitions()) ownerOf.set(p, m.name)
  const got1 = all().filter((x) => x.v.startsWith('p1-'))
  assert.equal(got1.length, phase1.length, `no record consumed twice (${got1.length} deliveries of ${phase1.length} records)`)
  for (let p = 0; p < 6; p++) {
    const inP = got1.filter((x) => x.p === p)
    assert.ok(inP.length > 0, `partition ${p} got records`)
    assert.deepEqual(new Set(inP.map((x) => x.by)), new Set([ownerOf.get(p)]), `partition ${p} read only by its owner`)
    assert.deepEqual(inP.map((x) => Number(x.o)), inP.map((_, i) => i), `partition ${p} read in offset order without gaps`)
  }
  const keyPartition = new Map<string, number>()
  for (const x of got1) {
    assert.equal(keyPartition.get(x.k) ?? x.p, x.p, `key ${x.k} stays in one partition`)
    keyPartition.set(x.k, x.p)
  }

  // ---- member-c leaves cleanly (final commit + LeaveGroup): a and b take its partitions at once.
  const cPartitions = c.partitions()
  const leaveAt = Date.now()
  assert.deepEqual(await c.stop(), { code: 0, signal: null }, c.diagnostics())
  await waitFor(() => settled([a, bee], 6, leaveAt), 'a and b to take over member-c partitions', 30_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${describeMembers([a, bee])}`)
  })
  t.diagnostic(`clean leave: a and b own all 6 partitions ${Math.max(a.lastJoin()!.at, bee.lastJoin()!.at) - leaveAt} ms after member-c was told to stop`)
  const phase2 = await produce(producer, topic, 'p2', 2000)
  await waitFor(() => distinct('p2') === phase2.length, '2,000 more records consumed by a and b', 60_000)
  await waitFor(() => committedToEnd(admin, groupId, topic), 'the group to commit every partition to its end', 30_000)
  assert.equal(all().filter((x) => x.v.startsWith('p2-')).length, phase2.length, 'after the clean leave no phase-2 record is read twice')
  assert.equal(all().filter((x) => x.v.startsWith('p1-')).length, phase1.length, 'nothing member-c committed is read again by its successors')
  assert.ok(
    all().some((x) => x.v.startsWith('p2-') && cPartitions.includes(x.p)),
    `member-c's partitions ${cPartitions} are read by the others`,
  )

  // ---- member-b is SIGKILLed while records keep coming: no LeaveGroup, so its partitions wait
  // for the session timeout, then member-a takes them over from b's last commit.
  const bPartitions = bee.partitions()
  const phase3 = Array.from({ length: 3000 }, (_, i) => `p3-${i}`)
  let killedAt = 0
  const producing = (async () => {
    for (let i = 0; i < phase3.length; i += 100) {
      await producer.send({ topic, acks: -1, messages: phase3.slice(i, i + 100).map((v, j) => ({ key: `key-${(i + j) % 997}`, value: v })) })
      if (killedAt === 0 && bee.messages().filter((x) => x.v.startsWith('p3-')).length >= 200) {
        killedAt = Date.now()
        await bee.kill()
      }
      await new Promise((r) => setTimeout(r, 20))
    }
  })()
  await producing
  if (killedAt === 0) {
    // b had not read 200 phase-3 records while they were produced (slow machine): kill it now.
    await waitFor(() => bee.messages().some((x) => x.v.startsWith('p3-')), 'member-b to read phase-3 records', 30_000)
    killedAt = Date.now()
    await bee.kill()
  }
  await waitFor(() => settled([a], 6, killedAt), 'member-a to own all 6 partitions after member-b dies', SESSION_TIMEOUT_MS + 30_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${describeMembers([a, bee])}`)
  })
  t.diagnostic(`SIGKILL: member-a owns all 6 partitions ${a.lastJoin()!.at - killedAt} ms after member-b was killed (session timeout ${SESSION_TIMEOUT_MS} ms)`)
  // A lower bound only, with a wide margin (a slow machine makes it later, never earlier): Kafka
  // does not drop a member when its connection closes, it waits for the session timeout counted
  // from the member's last heartbeat or commit, a fraction of a second before the kill.
  assert.ok(
    a.lastJoin()!.at - killedAt >= SESSION_TIMEOUT_MS / 2,
    `member-b's partitions moved ${a.lastJoin()!.at - killedAt} ms after the kill, before its ${SESSION_TIMEOUT_MS} ms session timeout could expire`,
  )
  await waitFor(() => distinct('p3') === phase3.length, 'every phase-3 record consumed', 60_000).catch((e: Error) => {
    throw new Error(`${e.message}: ${distinct('p3')} distinct\n${describeMembers([a, bee])}`)
  })
  await waitFor(() => committedToEnd(admin, groupId, topic), 'the group to commit every partition to its end', 30_000)

  // Nothing lost: per partition, the offsets read form 0..end. Re-reads are allowed only for
  // records member-b had processed without committing (at-least-once); member-a never reads a record twice.
  const ends = await admin.fetchTopicOffsets(topic)
  const everything = all()
  for (const e of ends) {
    const offsets = new Set(everything.filter((x) => x.p === e.partition).map((x) => Number(x.o)))
    assert.equal(offsets.size, Number(e.high), `partition ${e.partition}: every offset up to ${e.high} read`)
  }
  const byA = a.messages().map((x) => x.v)
  assert.equal(new Set(byA).size, byA.length, 'member-a never reads a record twice')
  const counts = new Map<string, string[]>()
  for (const x of everything) counts.set(x.v, [...(counts.get(x.v) ?? []), x.by])
  const twice = [...counts].filter(([, by]) => by.length > 1)
  for (const [v, by] of twice) assert.ok(by.includes('member-b') && by.length === 2, `${v} read by ${by}: only member-b's uncommitted records may be read again`)
  for (const [v] of twice) assert.ok(bPartitions.includes(everything.find((x) => x.v === v)!.p), `${v} re-read is in one of member-b's partitions ${bPartitions}`)
  t.diagnostic(`${twice.length} record(s) member-b processed but had not committed were read again by member-a`)
  assert.deepEqual(
    members.map((m) => m.crashes().filter((x) => !x.restart)),
    members.map(() => []),
    'no consumer crashed for good',
  )
  assert.equal(b.proc.exitCode, null, 'broker still running')
})

test('kafkajs: two groups on one topic each receive every record (pub/sub); admin lists, describes and deletes the groups', async (t) => {
  const topic = 'kjs-pubsub'
  const { kafka, admin, producer, b, defer } = await setup(t, topic, 3)
  const consumers: Consumer[] = []
  defer(async () => {
    for (const c of consumers) await c.disconnect()
  })
  const got = new Map<string, Array<{ v: string; p: number; o: string; member: number }>>([
    ['pubsub-a', []],
    ['pubsub-b', []],
  ])
  const joined = new Map<Consumer, number[]>()
  const startConsumer = async (groupId: string, member: number) => {
    const c = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: HEARTBEAT_MS, maxWaitTimeInMs: 200 })
    consumers.push(c)
    c.on(c.events.GROUP_JOIN, (e) => joined.set(c, e.payload.memberAssignment[topic] ?? []))
    await c.connect()
    await c.subscribe({ topics: [topic], fromBeginning: true })
    await c.run({ eachMessage: async ({ partition, message }) => void got.get(groupId)!.push({ v: message.value!.toString(), p: partition, o: message.offset, member }) })
    return c
  }
  const a1 = await startConsumer('pubsub-a', 1)
  const a2 = await startConsumer('pubsub-a', 2)
  const b1 = await startConsumer('pubsub-b', 1)
  // Both members of pubsub-a settle before anything is produced, so a rebalance cannot re-deliver.
  await waitFor(() => {
    const pa = [...(joined.get(a1) ?? []), ...(joined.get(a2) ?? [])]
    return (joined.get(a1)?.length ?? 0) > 0 && (joined.get(a2)?.length ?? 0) > 0 && new Set(pa).size === 3 && pa.length === 3 && joined.get(b1)?.length === 3
  }, 'pubsub-a split over two members and pubsub-b on one', 60_000)

  const values = await produce(producer, topic, 'ps', 600, 100)
  for (const g of ['pubsub-a', 'pubsub-b']) {
    await waitFor(() => new Set(got.get(g)!.map((x) => x.v)).size === values.length, `${g} to read all 600 records`, 60_000)
    await waitFor(() => committedToEnd(admin, g, topic), `${g} to commit to the end`, 30_000)
  }
  for (const g of ['pubsub-a', 'pubsub-b']) {
    const list = got.get(g)!
    assert.deepEqual(list.map((x) => x.v).sort(), [...values].sort(), `${g} read every record exactly once`)
  }
  assert.deepEqual(new Set(got.get('pubsub-a')!.map((x) => x.member)), new Set([1, 2]), 'both members of pubsub-a read records')

  // Admin views of the two live groups.
  const listed = await admin.listGroups()
  assert.deepEqual(
    listed.groups.filter((g) => g.groupId.startsWith('pubsub-')).sort((x, y) => x.groupId.localeCompare(y.groupId)),
    [
      { groupId: 'pubsub-a', protocolType: 'consumer' },
      { groupId: 'pubsub-b', protocolType: 'consumer' },
    ],
  )
  const described = await admin.describeGroups(['pubsub-a', 'pubsub-b'])
  const byId = new Map(described.groups.map((g) => [g.groupId, g]))
  assert.equal(byId.get('pubsub-a')?.state, 'Stable')
  assert.equal(byId.get('pubsub-a')?.protocolType, 'consumer')
  assert.equal(byId.get('pubsub-a')?.members.length, 2)
  assert.equal(byId.get('pubsub-b')?.state, 'Stable')
  assert.equal(byId.get('pubsub-b')?.members.length, 1)

  // A group with members cannot be deleted (NON_EMPTY_GROUP); once they leave it can.
  await assert.rejects(admin.deleteGroups(['pubsub-b']), (err: Error & { groups?: Array<{ groupId: string; error?: { type?: string } }> }) => {
    assert.deepEqual(err.groups?.map((g) => [g.groupId, g.error?.type]), [['pubsub-b', 'NON_EMPTY_GROUP']], `${err.name}: ${err.message}`)
    return true
  })
  await b1.disconnect()
  consumers.splice(consumers.indexOf(b1), 1)
  await waitFor(async () => (await admin.describeGroups(['pubsub-b'])).groups[0]?.state === 'Empty', 'pubsub-b to be Empty after its member leaves', 20_000)
  assert.deepEqual(await admin.deleteGroups(['pubsub-b']), [{ groupId: 'pubsub-b', errorCode: 0 }])
  assert.deepEqual(
    (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith('pubsub-')),
    ['pubsub-a'],
    'the deleted group is gone',
  )
  const gone = await admin.fetchOffsets({ groupId: 'pubsub-b', topics: [topic] })
  assert.deepEqual(gone[0]!.partitions.map((p) => p.offset), ['-1', '-1', '-1'], 'and so are its committed offsets')
  assert.equal(b.proc.exitCode, null, 'broker still running')
})
