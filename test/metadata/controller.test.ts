/**
 * The controller (src/metadata/controller.ts): its election rule, then its duties on the local
 * store (brokers 1-3 registered beside node 7, which never dies there), then on etcd with real
 * failover between stores.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Controller, decide } from '../../src/metadata/controller.js'
import { EtcdMetadataStore } from '../../src/metadata/etcd.js'
import { LocalMetadataStore } from '../../src/metadata/local.js'
import type { MetadataStore } from '../../src/metadata/store.js'
import type { BrokerInfo, PartitionInfo } from '../../src/metadata/types.js'
import { ManualTime } from '../../src/util/time.js'
import { EtcdServer, requireEtcd, uniquePrefix } from '../cluster/etcd-harness.js'
import { waitFor } from '../helpers/wire.js'

function broker(nodeId: number): BrokerInfo {
  return { nodeId, host: `b${nodeId}`, port: 9090 + nodeId, rack: null }
}

function partition(p: Partial<PartitionInfo>): PartitionInfo {
  return { partition: 0, leader: 1, leaderEpoch: 5, partitionEpoch: 9, replicas: [1, 2, 3], isr: [1, 2, 3], addingReplicas: [], removingReplicas: [], offlineReplicas: [], ...p }
}

test('decide: keep a live leader and drop dead ISR members; else the first live ISR member in replica order; else -1 with the ISR kept', () => {
  const live = (...ids: number[]) => new Set(ids)
  assert.equal(decide(partition({}), live(1, 2, 3), false), undefined, 'all well')
  assert.deepEqual(decide(partition({}), live(1, 3), false), { change: { isr: [1, 3] }, unclean: false }, 'a follower died')
  // Replica order, not ISR order: replicas [3, 1, 2] prefer 3 over 2.
  assert.deepEqual(decide(partition({ replicas: [3, 1, 2], isr: [1, 2, 3] }), live(2, 3), false), { change: { leader: 3, leaderEpoch: 6, isr: [2, 3] }, unclean: false })
  assert.deepEqual(decide(partition({ isr: [1, 3] }), live(2, 3), false), { change: { leader: 3, leaderEpoch: 6, isr: [3] }, unclean: false }, '2 is alive but out of sync')
  assert.deepEqual(decide(partition({ isr: [1] }), live(2, 3), false), { change: { leader: -1, leaderEpoch: 6 }, unclean: false }, 'no ISR member alive: leader -1, ISR untouched')
  assert.equal(decide(partition({ leader: -1, isr: [1] }), live(2, 3), false), undefined, 'already offline: nothing to do')
  assert.deepEqual(decide(partition({ leader: -1, isr: [1, 3] }), live(3), false), { change: { leader: 3, leaderEpoch: 6, isr: [3] }, unclean: false }, 'an ISR member came back')
  assert.deepEqual(decide(partition({ isr: [1] }), live(3, 2), true), { change: { leader: 2, leaderEpoch: 6, isr: [2] }, unclean: true }, 'unclean: first live replica')
  assert.deepEqual(decide(partition({ isr: [1] }), live(), true), { change: { leader: -1, leaderEpoch: 6 }, unclean: false }, 'unclean, nobody alive')
  assert.deepEqual(decide(partition({ leader: -1, isr: [] }), live(3), false), { change: { leader: 3, leaderEpoch: 6, isr: [3] }, unclean: false }, 'created with no live replica: the first to come leads')
})

interface Logged {
  level: string
  msg: string
  fields: Record<string, unknown> | undefined
}

function logger(into: Logged[]) {
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => into.push({ level, msg, fields })
  return { info: at('info'), warn: at('warn'), error: at('error') }
}

async function localStore(t: TestContext): Promise<LocalMetadataStore> {
  const dir = await mkdtemp(join(process.env['SAMSA_TEST_TMP'] ?? tmpdir(), 'samsa-controller-'))
  const store = await LocalMetadataStore.open({ dir, self: () => broker(7) })
  t.after(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  for (const id of [1, 2, 3]) await store.registerBroker(broker(id))
  return store
}

function startController(t: TestContext, store: MetadataStore, logs: Logged[], extra: Partial<ConstructorParameters<typeof Controller>[0]> = {}): Controller {
  const c = new Controller({ store, nodeId: 7, logger: logger(logs), retryMs: 10, ...extra })
  c.start()
  t.after(() => c.close())
  return c
}

function state(store: MetadataStore, topic: string): Array<[number, number, number[]]> {
  return store.topic(topic)!.partitions.map((p) => [p.leader, p.leaderEpoch, p.isr])
}

test('a leader\'s broker unregisters: the next live ISR member leads at a new epoch, the dead broker leaves every ISR', async (t) => {
  const store = await localStore(t)
  const logs: Logged[] = []
  const c = startController(t, store, logs)
  await store.createTopic({ name: 't', assignments: [[1, 2, 3], [2, 1, 3], [3, 2]], configs: {} })
  await store.unregisterBroker(1)
  await c.settled()
  assert.deepEqual(state(store, 't'), [
    [2, 1, [2, 3]],
    [2, 0, [2, 3]],
    [3, 0, [3, 2]],
  ])
  assert.ok(logs.some((l) => l.msg === 'partition leader elected' && l.fields?.['leader'] === 2 && l.fields['previous'] === 1))
  // The leader of partition 0 dies next: 3 takes over.
  await store.unregisterBroker(2)
  await c.settled()
  assert.deepEqual(state(store, 't'), [
    [3, 2, [3]],
    [3, 1, [3]],
    [3, 0, [3]],
  ])
})

test('no ISR member alive: leader -1 and the ISR kept (the last replica standing); it leads again when it returns, an out-of-sync replica never does', async (t) => {
  const store = await localStore(t)
  const c = startController(t, store, [])
  await store.createTopic({ name: 't', assignments: [[1, 2]], configs: {} })
  // 2 fell behind (the leader shrank the ISR), then the leader died.
  await store.alterPartition({ topic: 't', partition: 0, partitionEpoch: 0, isr: [1] })
  await store.unregisterBroker(1)
  await c.settled()
  assert.deepEqual(state(store, 't'), [[-1, 1, [1]]])
  // 2 re-registering changes nothing: it may lack acknowledged records.
  await store.unregisterBroker(2)
  await store.registerBroker(broker(2))
  await c.settled()
  assert.deepEqual(state(store, 't'), [[-1, 1, [1]]])
  await store.registerBroker(broker(1))
  await c.settled()
  assert.deepEqual(state(store, 't'), [[1, 2, [1]]])
})

test('unclean.leader.election.enable: with no ISR member alive the first live replica leads, with a loud warning', async (t) => {
  const store = await localStore(t)
  const logs: Logged[] = []
  const c = startController(t, store, logs)
  await store.createTopic({ name: 'risky', assignments: [[1, 3, 2]], configs: { 'unclean.leader.election.enable': 'true' } })
  await store.createTopic({ name: 'safe', assignments: [[1, 3, 2]], configs: {} })
  for (const name of ['risky', 'safe']) await store.alterPartition({ topic: name, partition: 0, partitionEpoch: 0, isr: [1] })
  await store.unregisterBroker(1)
  await c.settled()
  assert.deepEqual(state(store, 'risky'), [[3, 1, [3]]])
  assert.deepEqual(state(store, 'safe'), [[-1, 1, [1]]])
  const warn = logs.find((l) => l.level === 'warn' && l.msg.startsWith('UNCLEAN LEADER ELECTION'))
  assert.ok(warn, JSON.stringify(logs))
  assert.deepEqual(warn.fields, { topic: 'risky', partition: 0, leader: 3, leaderEpoch: 1, lostIsr: [1] })
  // The broker's setting (here through the callback the broker passes) applies too.
  const c2 = startController(t, store, logs, { uncleanLeaderElection: () => true })
  await c2.settled()
  assert.deepEqual(state(store, 'safe'), [[3, 2, [3]]], 'the pass on becoming controller applied it')
})

test('on becoming controller, one pass repairs what happened before (a previous controller died half way)', async (t) => {
  const store = await localStore(t)
  await store.createTopic({ name: 't', assignments: [[1, 2], [2, 1], [3, 1]], configs: {} })
  await store.unregisterBroker(1)
  assert.deepEqual(state(store, 't'), [[1, 0, [1, 2]], [2, 0, [2, 1]], [3, 0, [3, 1]]], 'no controller yet: nothing moved')
  const c = startController(t, store, [])
  await c.settled()
  assert.deepEqual(state(store, 't'), [[2, 1, [2]], [2, 0, [2]], [3, 0, [3]]])
})

test('a change that loses its compare-and-swap is decided again on the new state', async (t) => {
  const store = await localStore(t)
  await store.createTopic({ name: 't', assignments: [[1, 2, 3]], configs: {} })
  // A store whose first alterPartition races a leader's ISR shrink that lands first.
  let raced = false
  const racing = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'alterPartition') {
        return async (change: Parameters<MetadataStore['alterPartition']>[0]) => {
          if (!raced) {
            raced = true
            await target.alterPartition({ topic: 't', partition: 0, partitionEpoch: change.partitionEpoch, isr: [1, 2] })
          }
          return target.alterPartition(change)
        }
      }
      const v = Reflect.get(target, prop, receiver) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  }) as MetadataStore
  const c = startController(t, racing, [])
  await store.unregisterBroker(1)
  await c.settled()
  assert.ok(raced)
  // Decided again on isr [1,2]: 2 leads, 3 is not brought back into the ISR.
  assert.deepEqual(state(store, 't'), [[2, 1, [2]]])
})

test('a reassigning partition is completed by the controller once its ISR holds the target; one started on a dead leader gets a new leader too', async (t) => {
  const store = await localStore(t)
  const logs: Logged[] = []
  const c = startController(t, store, logs)
  await store.createTopic({ name: 'r', assignments: [[1, 2]], configs: {} })
  // The reassignment [1, 2] -> [3, 2], as AlterPartitionReassignments starts it.
  await store.alterPartition({ topic: 'r', partition: 0, partitionEpoch: 0, replicas: [3, 2, 1], addingReplicas: [3], removingReplicas: [1] })
  await c.settled()
  assert.deepEqual(store.topic('r')!.partitions[0]!.addingReplicas, [3], '3 is not in sync yet: nothing to complete')
  // The leader takes 3 into the ISR: the controller completes, and 1 leaving bumps the epoch.
  await store.alterPartition({ topic: 'r', partition: 0, partitionEpoch: 1, isr: [1, 2, 3] })
  await c.settled()
  const done = store.topic('r')!.partitions[0]!
  assert.deepEqual([done.replicas, done.addingReplicas, done.removingReplicas, done.isr, done.leader, done.leaderEpoch], [[3, 2], [], [], [2, 3], 3, 1])
  assert.ok(logs.some((l) => l.msg === 'partition reassignment completed'))
})

test('the automatic rebalance runs only when enabled and only while this broker is the controller', async (t) => {
  const store = await localStore(t)
  await store.createTopic({ name: 'b', assignments: [[1, 2]], configs: {} })
  await store.alterPartition({ topic: 'b', partition: 0, partitionEpoch: 0, leader: 2 })
  const time = new ManualTime()
  const off = startController(t, store, [], { time, rebalance: { enabled: false, intervalMs: 1000, percentage: 10 } })
  time.advance(5000)
  await off.settled()
  assert.equal(store.topic('b')!.partitions[0]!.leader, 2, 'disabled: nothing moves')
  await off.close()
  const notElected = new Controller({ store, nodeId: 99, logger: logger([]), time, rebalance: { enabled: true, intervalMs: 1000, percentage: 10 } })
  notElected.start()
  t.after(() => notElected.close())
  time.advance(5000)
  await notElected.settled()
  assert.equal(store.topic('b')!.partitions[0]!.leader, 2, 'not the controller: nothing moves')
  const on = startController(t, store, [], { time, rebalance: { enabled: true, intervalMs: 1000, percentage: 10 } })
  time.advance(1000)
  await on.settled()
  assert.deepEqual([store.topic('b')!.partitions[0]!.leader, store.topic('b')!.partitions[0]!.leaderEpoch], [1, 2])
})

test('a controller that is not elected does nothing', async (t) => {
  const store = await localStore(t)
  await store.createTopic({ name: 't', assignments: [[1, 2]], configs: {} })
  const c = new Controller({ store, nodeId: 99, logger: logger([]) })
  c.start()
  t.after(() => c.close())
  await store.unregisterBroker(1)
  await c.settled()
  assert.equal(c.isActive, false)
  assert.deepEqual(state(store, 't'), [[1, 0, [1, 2]]])
})

test('on etcd: the controller broker dies, another takes over and moves the dead broker\'s leaderships', async (t) => {
  if (!requireEtcd(t)) return
  const etcd = await EtcdServer.start(t)
  const prefix = uniquePrefix()
  const stores: EtcdMetadataStore[] = []
  const controllers: Controller[] = []
  // Session losses, for the failure message.
  const sessions: string[] = []
  for (const id of [1, 2, 3]) {
    // A 10 s lease: with 1 s a loaded machine let a live broker's lease lapse. The length costs
    // nothing here: the dead broker's lease goes at once (close revokes it).
    const s = await EtcdMetadataStore.open({
      endpoints: [etcd.endpoint],
      prefix,
      self: () => broker(id),
      leaseTtlSeconds: 10,
      requestTimeoutMs: 2000,
      onSession: (e) => sessions.push(`broker ${id} at ${Date.now() % 100_000}: ${JSON.stringify(e)}`),
    })
    t.after(() => s.close())
    await s.registerBroker(broker(id))
    const c = new Controller({ store: s, nodeId: id, logger: logger([]) })
    c.start()
    t.after(() => c.close())
    await s.campaign()
    stores.push(s)
    controllers.push(c)
  }
  assert.equal(stores[2]!.controllerId(), 1)
  assert.deepEqual(controllers.map((c) => c.isActive), [true, false, false])
  const [, s2, s3] = stores
  // Each store learns of the others' registrations through its own watch. A new partition's
  // ISR is the replicas registered in the creating store's view, so creating the topic before
  // s2 had seen broker 3 left 3 out of every ISR (the rare failure of this test on a loaded
  // machine): wait until every view has all three.
  await waitFor(() => stores.every((s) => s.brokers().length === 3), 'every store to see the three brokers', 5000, 5)
  await s2!.createTopic({ name: 't', assignments: [[1, 2, 3], [2, 3, 1], [3, 1, 2]], configs: {} })
  await stores[0]!.close()
  const start = Date.now()
  for (;;) {
    const p = s3!.topic('t')!.partitions
    if (p[0]!.leader === 2 && p.every((x) => !x.isr.includes(1))) break
    if (Date.now() - start > 5000) assert.fail(`no re-election: ${JSON.stringify(p)}`)
    await new Promise((r) => setTimeout(r, 10))
  }
  assert.ok(controllers[1]!.isActive || controllers[2]!.isActive)
  assert.deepEqual(s3!.topic('t')!.partitions.map((p) => [p.leader, p.leaderEpoch, p.isr]), [[2, 1, [2, 3]], [2, 0, [2, 3]], [3, 0, [3, 2]]], `sessions: ${sessions.join('; ')}`)
  assert.deepEqual(s2!.topic('t'), s3!.topic('t'))
})

