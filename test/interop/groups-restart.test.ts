/**
 * Committed offsets and group metadata live in `__consumer_offsets`: they survive a broker
 * restart (SIGTERM or SIGKILL) between the commit and the fetch. A consumer that stays
 * connected across a restart on the same port loses nothing, and reads again only records it
 * had not committed.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs'
import { ErrorCode } from '../../src/protocol/errors.js'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import type { ListGroupsResponseListedGroup } from '../../src/protocol/generated/list-groups.js'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { commitRaw, deferrer, describeGroup, fetchCommittedRaw, pickVersion, requireGroupApis, servedVersions, type ServedVersions } from '../helpers/groups.js'
import { RawClient } from '../helpers/raw-client.js'
import { createTopic, waitFor } from '../helpers/wire.js'

const TOPIC = 'restart-groups'
const OVERRIDES = { 'group.initial.rebalance.delay.ms': '100' }

function kafkaFor(bootstrap: string): Kafka {
  return new Kafka({ clientId: 'samsa-restart', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } })
}

function tempLogDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-groups-restart-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function offsetsOf(admin: Admin, groupId: string): Promise<string[]> {
  const r = await admin.fetchOffsets({ groupId, topics: [TOPIC] })
  return r[0]!.partitions.sort((x, y) => x.partition - y.partition).map((p) => p.offset)
}

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`committed offsets and group metadata survive a broker ${signal} between commit and fetch`, async (t) => {
    const defer = deferrer(t)
    const logDir = tempLogDir(t)
    const first = await startBrokerProcess({ logDir, overrides: OVERRIDES })
    defer(() => first.stop('SIGKILL'))
    t.diagnostic(`group APIs advertised: ${(await requireGroupApis(first.port, first.host)).join(', ')}`)
    const kafka = kafkaFor(first.bootstrap)
    const admin = kafka.admin()
    await admin.connect()
    assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }], waitForLeaders: true }), true)
    const producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    for (let p = 0; p < 3; p++) {
      await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ partition: p, value: `r-${p}-${i}` })) })
    }

    // A member of 'restart-members' reads everything, then commits 10 / 20 / 30 by hand and leaves.
    const member = kafka.consumer({ groupId: 'restart-members', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 })
    await member.connect()
    await member.subscribe({ topics: [TOPIC], fromBeginning: true })
    let read = 0
    await member.run({ autoCommit: false, eachMessage: async () => void read++ })
    await waitFor(() => read === 90, 'the member to read 90 records', 30_000)
    await member.commitOffsets([
      { topic: TOPIC, partition: 0, offset: '10' },
      { topic: TOPIC, partition: 1, offset: '20' },
      { topic: TOPIC, partition: 2, offset: '30' },
    ])
    await member.disconnect()

    // 'restart-admin': kafkajs admin.setOffsets (it joins the group to commit) for two partitions.
    await admin.setOffsets({ groupId: 'restart-admin', topic: TOPIC, partitions: [{ partition: 0, offset: '5' }, { partition: 2, offset: '25' }] })
    // 'restart-simple': a commit with no membership (generation -1), with metadata.
    const served = await servedVersions(first.port, first.host)
    const raw1 = await RawClient.connect(first.port, first.host)
    const simple = await commitRaw(raw1, served, { groupId: 'restart-simple', generationId: -1, memberId: '', topic: TOPIC, offsets: { 1: 17n }, metadata: 'simple metadata ü' })
    assert.deepEqual([...simple], [[1, ErrorCode.NONE]])
    raw1.close()

    const before = {
      members: await offsetsOf(admin, 'restart-members'),
      admin: await offsetsOf(admin, 'restart-admin'),
      simple: await offsetsOf(admin, 'restart-simple'),
    }
    assert.deepEqual(before, { members: ['10', '20', '30'], admin: ['5', '-1', '25'], simple: ['-1', '17', '-1'] }, 'committed before the restart')
    await producer.disconnect()
    await admin.disconnect()

    const exit = await first.stop(signal)
    assert.deepEqual(exit, signal === 'SIGTERM' ? { code: 0, signal: null } : { code: null, signal: 'SIGKILL' }, first.stderr())

    const second = await startBrokerProcess({ logDir, overrides: OVERRIDES })
    defer(async () => {
      assert.equal(second.proc.exitCode, null, 'restarted broker still running at the end')
      await second.stop()
    })
    const kafka2 = kafkaFor(second.bootstrap)
    const admin2 = kafka2.admin()
    await admin2.connect()
    defer(() => admin2.disconnect())
    const after = {
      members: await offsetsOf(admin2, 'restart-members'),
      admin: await offsetsOf(admin2, 'restart-admin'),
      simple: await offsetsOf(admin2, 'restart-simple'),
    }
    assert.deepEqual(after, before, 'every committed offset survives the restart')

    // Metadata too, at an old (v1) and the newest OffsetFetch version.
    const served2 = await servedVersions(second.port, second.host)
    const raw = await RawClient.connect(second.port, second.host)
    defer(() => raw.close())
    for (const version of [1, pickVersion(served2, ApiKey.OffsetFetch)]) {
      const c = await fetchCommittedRaw(raw, served2, 'restart-simple', TOPIC, [0, 1, 2], version)
      assert.equal(c.errorCode, ErrorCode.NONE)
      assert.deepEqual(
        [0, 1, 2].map((p) => [c.partitions.get(p)?.offset, c.partitions.get(p)?.metadata]),
        [
          [-1n, ''],
          [17n, 'simple metadata ü'],
          [-1n, ''],
        ],
        `OffsetFetch v${version} after the restart`,
      )
    }
    // (Groups with only simple commits are listed too: see the next test.)
    const groups = await listGroups(raw, served2)
    for (const g of ['restart-members', 'restart-admin']) assert.ok(groups.has(g), `ListGroups after the restart has ${g}: ${[...groups.keys()]}`)
    assert.equal(groups.get('restart-members')!.protocolType, 'consumer')
    assert.equal(groups.get('restart-members')!.groupState, 'Empty')
    const described = await describeGroup(raw, served2, 'restart-members')
    assert.equal(described.errorCode, ErrorCode.NONE)
    assert.equal(described.groupState, 'Empty')
    assert.equal(described.protocolType, 'consumer')
    assert.deepEqual(described.members, [])

    // A consumer of 'restart-members' resumes at 10 / 20 / 30. One more record per partition
    // marks the end: once each is read, anything read twice or skipped would be in `got`.
    const producer2 = kafka2.producer({ allowAutoTopicCreation: false })
    await producer2.connect()
    defer(() => producer2.disconnect())
    for (let p = 0; p < 3; p++) await producer2.send({ topic: TOPIC, acks: -1, messages: [{ partition: p, value: `end-${p}` }] })
    const resumed = kafka2.consumer({ groupId: 'restart-members', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 })
    const got: Array<{ p: number; o: number; v: string }> = []
    await resumed.connect()
    defer(() => resumed.disconnect())
    await resumed.subscribe({ topics: [TOPIC], fromBeginning: true })
    await resumed.run({ eachMessage: async ({ partition, message }) => void got.push({ p: partition, o: Number(message.offset), v: message.value!.toString() }) })
    await waitFor(() => [0, 1, 2].every((p) => got.some((g) => g.v === `end-${p}`)), 'the end markers of all partitions', 30_000)
    for (const [p, from] of [
      [0, 10],
      [1, 20],
      [2, 30],
    ] as const) {
      assert.deepEqual(
        got.filter((g) => g.p === p).map((g) => g.v),
        [...Array.from({ length: 30 - from }, (_, i) => `r-${p}-${from + i}`), `end-${p}`],
        `partition ${p} resumes at the offset committed before the restart`,
      )
    }
  })
}

test('a group that only has simple commits (no members, generation -1) is listed and described as Empty, before and after a restart', async (t) => {
  const defer = deferrer(t)
  const logDir = tempLogDir(t)
  const brokers: BrokerProcess[] = []
  defer(async () => {
    for (const b of brokers) await b.stop('SIGKILL')
  })
  const check = async (b: BrokerProcess, when: string) => {
    const served = await servedVersions(b.port, b.host)
    const raw = await RawClient.connect(b.port, b.host)
    try {
      if (when === 'before the restart') {
        assert.equal((await createTopic(raw, TOPIC, 1)).errorCode, ErrorCode.NONE)
        const r = await commitRaw(raw, served, { groupId: 'simple-only', generationId: -1, memberId: '', topic: TOPIC, offsets: { 0: 3n } })
        assert.deepEqual([...r], [[0, ErrorCode.NONE]])
      }
      const c = await fetchCommittedRaw(raw, served, 'simple-only', TOPIC, [0])
      assert.equal(c.partitions.get(0)?.offset, 3n, `the commit is there ${when}`)
      // Kafka creates an empty classic group without protocol type for a simple commit
      // (OffsetMetadataManager.validateOffsetCommit, and replay() on load): tools list it, lag exporters show its lag.
      const groups = await listGroups(raw, served)
      assert.deepEqual(
        groups.get('simple-only') && { protocolType: groups.get('simple-only')!.protocolType, state: groups.get('simple-only')!.groupState ?? 'Empty' },
        { protocolType: '', state: 'Empty' },
        `ListGroups ${when} lists the simple group: ${JSON.stringify([...groups.values()])}`,
      )
      const d = await describeGroup(raw, served, 'simple-only')
      assert.deepEqual([d.errorCode, d.groupState, d.protocolType, d.members], [ErrorCode.NONE, 'Empty', '', []], `DescribeGroups ${when}`)
    } finally {
      raw.close()
    }
  }
  const first = await startBrokerProcess({ logDir, overrides: OVERRIDES })
  brokers.push(first)
  await requireGroupApis(first.port, first.host)
  await check(first, 'before the restart')
  await first.stop()
  const second = await startBrokerProcess({ logDir, overrides: OVERRIDES })
  brokers.push(second)
  await check(second, 'after the restart')
})

async function listGroups(raw: RawClient, served: ServedVersions): Promise<Map<string, ListGroupsResponseListedGroup>> {
  const listed = await raw.request(ApiKey.ListGroups, pickVersion(served, ApiKey.ListGroups), { statesFilter: [], typesFilter: [] })
  assert.equal(listed.errorCode, ErrorCode.NONE)
  return new Map(listed.groups.map((g) => [g.groupId, g]))
}

test('a kafkajs consumer connected across a broker SIGKILL and restart on the same port loses nothing and re-reads only what it had not committed', async (t) => {
  const defer = deferrer(t)
  const logDir = tempLogDir(t)
  const brokers: BrokerProcess[] = []
  defer(async () => {
    for (const b of brokers) await b.stop('SIGKILL')
  })
  const first = await startBrokerProcess({ logDir, overrides: OVERRIDES })
  brokers.push(first)
  t.diagnostic(`group APIs advertised: ${(await requireGroupApis(first.port, first.host)).join(', ')}`)
  const kafka = kafkaFor(first.bootstrap)
  const admin = kafka.admin()
  await admin.connect()
  defer(() => admin.disconnect())
  assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }], waitForLeaders: true }), true)
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  defer(() => producer.disconnect())

  const consumer: Consumer = kafka.consumer({ groupId: 'restart-live', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 })
  const got: Array<{ p: number; o: number; at: number }> = []
  // The last offset per partition kafkajs saw committed (COMMIT_OFFSETS fires after a successful commit).
  const committed = new Map<number, number>()
  consumer.on(consumer.events.COMMIT_OFFSETS, (e) => {
    for (const tp of e.payload.topics) for (const p of tp.partitions) committed.set(Number(p.partition), Number(p.offset))
  })
  await consumer.connect()
  defer(() => consumer.disconnect())
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
  await consumer.run({ eachMessage: async ({ partition, message }) => void got.push({ p: partition, o: Number(message.offset), at: Date.now() }) })

  let sent = 0
  const send = async (n: number) => {
    for (let i = 0; i < n; i++, sent++) await producer.send({ topic: TOPIC, acks: -1, messages: [{ partition: sent % 2, value: `live-${sent}` }] })
  }
  await send(100)
  await waitFor(() => got.length >= 100, 'the consumer to read the first 100 records', 30_000)
  await waitFor(() => committed.get(0) === 50 && committed.get(1) === 50, 'the consumer to commit them', 30_000)
  await send(20) // in flight around the crash
  const committedAtCrash = new Map(committed)
  const exit = await first.stop('SIGKILL')
  assert.deepEqual(exit, { code: null, signal: 'SIGKILL' })

  // Same port, same data: the clients reconnect on their own.
  const second = await startBrokerProcess({ logDir, overrides: { ...OVERRIDES, listeners: `PLAINTEXT://${first.host}:${first.port}` } })
  brokers.push(second)
  assert.equal(second.port, first.port)
  await send(100)
  await waitFor(() => new Set(got.map((g) => `${g.p}/${g.o}`)).size === sent, `all ${sent} records read`, 60_000).catch((e: Error) => {
    throw new Error(`${e.message}: ${new Set(got.map((g) => `${g.p}/${g.o}`)).size} distinct`)
  })
  for (const p of [0, 1]) {
    const offsets = got.filter((g) => g.p === p).map((g) => g.o)
    assert.deepEqual([...new Set(offsets)].sort((x, y) => x - y), Array.from({ length: sent / 2 }, (_, i) => i), `partition ${p}: every offset read`)
    const twice = offsets.filter((o, i) => offsets.indexOf(o) !== i)
    for (const o of twice) assert.ok(o >= committedAtCrash.get(p)!, `partition ${p}: offset ${o} read twice although committed (${committedAtCrash.get(p)}) before the crash`)
    t.diagnostic(`partition ${p}: ${twice.length} record(s) read again after the restart (committed ${committedAtCrash.get(p)} at the crash)`)
  }
})
