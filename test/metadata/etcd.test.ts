/** EtcdMetadataStore (src/metadata/etcd.ts) against a real etcd (test/cluster/etcd-harness.ts). */
import { after, before, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { Etcd3 } from 'etcd3'
import { EtcdMetadataStore, type EtcdStoreOptions, type SessionEvent } from '../../src/metadata/etcd.js'
import type { MetadataChange } from '../../src/metadata/store.js'
import type { BrokerInfo } from '../../src/metadata/types.js'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { EtcdServer, requireEtcd, uniquePrefix } from '../cluster/etcd-harness.js'
import { kafkaError, runStoreContract, scramChange, SELF_ID } from './store-contract.js'

/** One etcd for the whole file (each test has its own prefix); cases that stop or freeze etcd start their own. */
let shared: EtcdServer | undefined
let sharedFailed: Error | undefined
const cleanups: Array<() => Promise<void>> = []
before(async () => {
  try {
    const fake = { after: (fn: () => Promise<void>) => cleanups.push(fn) } as unknown as TestContext
    shared = await EtcdServer.start(fake)
  } catch (err) {
    // Missing etcd: each test reports it (skip, or fail under CI) through requireEtcd.
    sharedFailed = err as Error
  }
})
after(async () => {
  for (const c of cleanups.reverse()) await c()
})

function broker(nodeId: number): BrokerInfo {
  return { nodeId, host: `b${nodeId}`, port: 9090 + nodeId, rack: null }
}

async function etcdFor(t: TestContext): Promise<EtcdServer | undefined> {
  if (!requireEtcd(t)) return undefined
  if (!shared) throw sharedFailed ?? new Error('etcd did not start')
  return shared
}

async function openStore(t: TestContext, etcd: EtcdServer, opts: Partial<EtcdStoreOptions> & { prefix: string }): Promise<EtcdMetadataStore> {
  const store = await EtcdMetadataStore.open({ endpoints: [etcd.endpoint], self: () => broker(SELF_ID), leaseTtlSeconds: 2, requestTimeoutMs: 2000, ...opts })
  t.after(() => store.close())
  return store
}

runStoreContract('etcd', async (t) => {
  const etcd = await etcdFor(t)
  if (!etcd) return undefined
  const store = await openStore(t, etcd, { prefix: uniquePrefix() })
  await store.registerBroker(broker(SELF_ID))
  return store
}, async (t, store) => openStore(t, shared!, { prefix: (store as EtcdMetadataStore).layout.prefix }))

/** Collects every change a store announces, as short strings. */
function recorder(store: EtcdMetadataStore): string[] {
  const seen: string[] = []
  store.subscribe((c: MetadataChange) => {
    switch (c.type) {
      case 'brokerRegistered':
      case 'brokerUnregistered':
        seen.push(`${c.type}:${c.broker.nodeId}`)
        break
      case 'brokerConfigChanged':
        seen.push(`${c.type}:${c.nodeId}`)
        break
      case 'clientQuotasChanged':
        seen.push(`${c.type}:${JSON.stringify(c.entity)}`)
        break
      case 'controllerChanged':
        seen.push(`${c.type}:${c.previous}->${c.controllerId}`)
        break
      case 'partitionChanged':
        seen.push(`${c.type}:${c.topic.name}-${c.partition.partition}@${c.partition.partitionEpoch}`)
        break
      case 'aclsChanged':
        seen.push(`${c.type}:+${c.added.length}-${c.removed.length}`)
        break
      case 'scramCredentialChanged':
        seen.push(`${c.type}:${c.user}:${c.mechanism}`)
        break
      default:
        seen.push(`${c.type}:${c.topic.name}:${c.topic.partitions.length}`)
    }
  })
  return seen
}

async function eventually(what: string, check: () => boolean, timeoutMs = 5000): Promise<number> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
  return Date.now() - start
}

test('the first store of a prefix creates the cluster id; later ones read it; a configured cluster.id must match', async (t) => {
  const etcd = await etcdFor(t)
  if (!etcd) return
  const prefix = uniquePrefix()
  const first = await openStore(t, etcd, { prefix, clusterId: 'my-cluster' })
  assert.equal(first.clusterId, 'my-cluster')
  assert.equal(first.existed, false)
  const second = await openStore(t, etcd, { prefix })
  assert.equal(second.clusterId, 'my-cluster')
  assert.equal(second.existed, true)
  await assert.rejects(EtcdMetadataStore.open({ endpoints: [etcd.endpoint], prefix, clusterId: 'other', self: () => broker(1), leaseTtlSeconds: 1 }), (e: Error) => {
    assert.match(e.message, /cluster id my-cluster, but cluster\.id is other/)
    assert.ok(e.message.includes(prefix), e.message)
    return true
  })
  // Another prefix is another cluster, with a generated id.
  const other = await openStore(t, etcd, { prefix: uniquePrefix() })
  assert.match(other.clusterId, /^[A-Za-z0-9_-]{22}$/)
  assert.equal(other.topic('anything'), undefined)
})

test('open fails with a clear error, within the request timeout, when etcd is not there', async (t) => {
  if (!requireEtcd(t)) return
  const start = Date.now()
  await assert.rejects(EtcdMetadataStore.open({ endpoints: ['http://127.0.0.1:1'], prefix: '/x', self: () => broker(1), leaseTtlSeconds: 1, requestTimeoutMs: 1000 }), (e: Error) => {
    assert.match(e.message, /cannot open the metadata in etcd at http:\/\/127\.0\.0\.1:1 \(prefix \/x\).*check that etcd is running/)
    return true
  })
  assert.ok(Date.now() - start < 5000, `took ${Date.now() - start} ms`)
})

test('two stores on one prefix see each other\'s changes, in the same order', async (t) => {
  const etcd = await etcdFor(t)
  if (!etcd) return
  const prefix = uniquePrefix()
  const a = await openStore(t, etcd, { prefix, self: () => broker(1) })
  const b = await openStore(t, etcd, { prefix, self: () => broker(2) })
  const seenA = recorder(a)
  const seenB = recorder(b)
  await a.registerBroker(broker(1))
  await b.registerBroker(broker(2))
  // A new partition's ISR is the replicas the creating store has seen registered.
  await eventually('both stores to see both brokers', () => a.brokers().length === 2 && b.brokers().length === 2)
  const ops = [
    a.createTopic({ name: 'from-a', assignments: [[1, 2], [2, 1]], configs: {} }),
    b.createTopic({ name: 'from-b', assignments: [[2, 1]], configs: { 'retention.ms': '5' } }),
  ]
  await Promise.all(ops)
  // Each store knows the other's topic once its watch brings it (a broker only changes what it
  // has seen): under load, `a` was asked to alter from-b before it had.
  await eventually('both stores to see both topics', () => [a, b].every((s) => s.topic('from-a') !== undefined && s.topic('from-b') !== undefined))
  await a.alterPartition({ topic: 'from-b', partition: 0, partitionEpoch: 0, isr: [2] })
  await b.createPartitions('from-a', 3, [[1]])
  await a.setTopicConfigs('from-b', {})
  await b.setBrokerConfigs(1, { 'log.retention.ms': '1' })
  await a.deleteTopic('from-a')
  await eventually('b to catch up', () => seenB.length === seenA.length && b.topic('from-a') === undefined)
  assert.deepEqual(seenB, seenA)
  assert.equal(seenA.length, 9, seenA.join(' '))
  assert.deepEqual(seenA.slice(0, 2), ['brokerRegistered:1', 'brokerRegistered:2'])
  assert.deepEqual(seenA.slice(4), ['partitionChanged:from-b-0@1', 'partitionsCreated:from-a:3', 'topicConfigChanged:from-b:1', 'brokerConfigChanged:1', 'topicDeleted:from-a:3'])
  // Reads agree.
  assert.deepEqual(b.topic('from-b'), a.topic('from-b'))
  assert.deepEqual(b.brokerConfigs(1), { 'log.retention.ms': '1' })
  assert.deepEqual(b.brokers(), a.brokers())
  // A change decided on the state before another store's change loses the compare-and-swap.
  await assert.rejects(b.alterPartition({ topic: 'from-b', partition: 0, partitionEpoch: 0, isr: [2, 1] }), kafkaError('INVALID_UPDATE_VERSION'))
  // Racing stores: one create of a name wins, the other sees it.
  const race = await Promise.allSettled([a.createTopic({ name: 'x.y', assignments: [[1]], configs: {} }), b.createTopic({ name: 'x_y', assignments: [[2]], configs: {} })])
  assert.equal(race.filter((r) => r.status === 'fulfilled').length, 1)
  const lost = race.find((r) => r.status === 'rejected') as PromiseRejectedResult
  assert.equal(lost.reason.errorName, 'INVALID_TOPIC_EXCEPTION')
})

test('a SCRAM credential set through one store is seen by another at once, and one etcd key per user and mechanism', async (t) => {
  const etcd = await etcdFor(t)
  if (!etcd) return
  const prefix = uniquePrefix()
  const a = await openStore(t, etcd, { prefix, self: () => broker(1) })
  const b = await openStore(t, etcd, { prefix, self: () => broker(2) })
  const { credentialFromPassword, scramMechanism } = await import('../../src/security/sasl/scram-credential.js')
  const c = credentialFromPassword(scramMechanism('SCRAM-SHA-256')!, 'alice-secret', 4096)
  await a.alterScramCredentials('alice', scramChange('SCRAM-SHA-256', c))
  await eventually('b to see the credential', () => b.scramCredential('alice', 'SCRAM-SHA-256') !== undefined)
  assert.deepEqual(b.scramCredential('alice', 'SCRAM-SHA-256'), c)
  const client = new Etcd3({ hosts: etcd.endpoint })
  t.after(() => client.close())
  const keys = await client.getAll().prefix(`${prefix}/scram-credentials/`).strings()
  assert.deepEqual(Object.keys(keys), [`${prefix}/scram-credentials/SCRAM-SHA-256/alice`])
  assert.ok(!Object.values(keys)[0]!.includes('alice-secret'))
  // A malformed value written by something else is ignored (logged), not a crash, and not a credential.
  await client.put(`${prefix}/scram-credentials/SCRAM-SHA-512/mallory`).value('{"salt":1}')
  await b.alterScramCredentials('alice', scramChange('SCRAM-SHA-256', null))
  await eventually('a to see the delete', () => a.scramCredential('alice', 'SCRAM-SHA-256') === undefined)
  assert.equal(a.scramCredential('mallory', 'SCRAM-SHA-512'), undefined)
  assert.equal(a.scramCredentials().size, 0)
})

test('concurrent alterPartition from two stores: exactly one wins, the other gets INVALID_UPDATE_VERSION', async (t) => {
  const etcd = await etcdFor(t)
  if (!etcd) return
  const prefix = uniquePrefix()
  const a = await openStore(t, etcd, { prefix, self: () => broker(1) })
  const b = await openStore(t, etcd, { prefix, self: () => broker(2) })
  await a.registerBroker(broker(1))
  await b.registerBroker(broker(2))
  await eventually('both stores to see both brokers', () => a.brokers().length === 2 && b.brokers().length === 2)
  await a.createTopic({ name: 'race', assignments: Array.from({ length: 20 }, () => [1, 2]), configs: {} })
  await eventually('b sees the topic', () => b.topic('race') !== undefined)
  const outcomes = await Promise.allSettled(
    Array.from({ length: 20 }, (_, p) => [a.alterPartition({ topic: 'race', partition: p, partitionEpoch: 0, isr: [1] }), b.alterPartition({ topic: 'race', partition: p, partitionEpoch: 0, leader: 2, isr: [2] })]).flat(),
  )
  for (let p = 0; p < 20; p++) {
    const pair = outcomes.slice(2 * p, 2 * p + 2)
    assert.equal(pair.filter((o) => o.status === 'fulfilled').length, 1, `partition ${p}`)
    const loser = pair.find((o) => o.status === 'rejected') as PromiseRejectedResult
    assert.equal(loser.reason.errorName, 'INVALID_UPDATE_VERSION')
    const winner = (pair.find((o) => o.status === 'fulfilled') as PromiseFulfilledResult<{ leader: number }>).value
    await eventually('both agree', () => a.topic('race')!.partitions[p]!.partitionEpoch === 1 && b.topic('race')!.partitions[p]!.partitionEpoch === 1)
    assert.equal(a.topic('race')!.partitions[p]!.leader, winner.leader)
    assert.equal(b.topic('race')!.partitions[p]!.leader, winner.leader)
  }
})

test('a broker id registered by another live store is refused (DUPLICATE_BROKER_REGISTRATION); free again once that store closes', async (t) => {
  const etcd = await etcdFor(t)
  if (!etcd) return
  const prefix = uniquePrefix()
  const a = await openStore(t, etcd, { prefix })
  const b = await openStore(t, etcd, { prefix })
  await a.registerBroker(broker(5))
  await assert.rejects(b.registerBroker({ ...broker(5), host: 'elsewhere' }), kafkaError('DUPLICATE_BROKER_REGISTRATION', 'another live broker'))
  await assert.rejects(b.unregisterBroker(5), kafkaError('BROKER_ID_NOT_REGISTERED', "another broker's session"))
  assert.deepEqual(b.brokers(), [broker(5)])
  await a.close()
  await eventually('b sees 5 gone', () => b.brokers().length === 0)
  await b.registerBroker({ ...broker(5), host: 'elsewhere' })
  assert.equal(b.brokers()[0]!.host, 'elsewhere')
})

test('a revoked lease unregisters the broker everywhere; its store notices, registers again and campaigns again', async (t) => {
  const etcd = await etcdFor(t)
  if (!etcd) return
  const prefix = uniquePrefix()
  const sessions: SessionEvent[] = []
  const a = await openStore(t, etcd, { prefix, self: () => broker(1), onSession: (e) => sessions.push(e) })
  const b = await openStore(t, etcd, { prefix, self: () => broker(2) })
  await a.registerBroker(broker(1))
  await a.campaign()
  await b.registerBroker(broker(2))
  await b.campaign()
  assert.equal(b.controllerId(), 1)
  const seenB = recorder(b)
  const lease = a.leaseId!
  const admin = new Etcd3({ hosts: etcd.endpoint })
  t.after(() => admin.close())
  await admin.leaseClient.leaseRevoke({ ID: lease })
  await eventually('a to register again', () => sessions.length === 2)
  assert.equal(sessions[0]!.state, 'lost')
  assert.match((sessions[0] as { reason: string }).reason, /registration of broker 1 was removed/)
  assert.equal(sessions[1]!.state, 'restored')
  assert.notEqual(a.leaseId, lease)
  await eventually('b to see broker 1 back', () => b.brokers().length === 2)
  // Both keys went in one revision: the broker first, then the controller it held.
  assert.deepEqual(seenB.slice(0, 2), ['brokerUnregistered:1', 'controllerChanged:1->-1'])
  // Broker 2 took the controller when broker 1's lease went; broker 1 came back as a plain broker.
  await eventually('b to be controller', () => b.controllerId() === 2 && a.controllerId() === 2)
  assert.deepEqual(seenB.slice(2).sort(), ['brokerRegistered:1', 'controllerChanged:-1->2'])
})

test('etcd unreachable for longer than the lease TTL: the store counts its session lost, then registers again', async (t) => {
  if (!requireEtcd(t)) return
  const etcd = await EtcdServer.start(t)
  const prefix = uniquePrefix()
  const sessions: SessionEvent[] = []
  const a = await openStore(t, etcd, { prefix, self: () => broker(1), leaseTtlSeconds: 1, requestTimeoutMs: 500, onSession: (e) => sessions.push(e) })
  await a.registerBroker(broker(1))
  await a.campaign()
  const lease = a.leaseId
  etcd.freeze()
  try {
    await eventually('the session to count as lost', () => sessions.length === 1, 5000)
  } finally {
    etcd.thaw()
  }
  assert.equal(sessions[0]!.state, 'lost')
  assert.match((sessions[0] as { reason: string }).reason, /no keepalive answered|lease lost/)
  await eventually('registered again', () => sessions.length === 2, 10_000)
  assert.equal(sessions[1]!.state, 'restored')
  assert.notEqual(a.leaseId, lease)
  const b = await openStore(t, etcd, { prefix, self: () => broker(2) })
  assert.deepEqual(b.brokers(), [broker(1)], 'one registration, under the new lease')
  await eventually('controller again', () => b.controllerId() === 1 && a.controllerId() === 1)
})

test('a broker process killed with SIGKILL is unregistered once its lease expires (broker.session.timeout.ms)', async (t) => {
  const etcd = await etcdFor(t)
  if (!etcd) return
  const prefix = uniquePrefix()
  const watcher = await openStore(t, etcd, { prefix, self: () => broker(9) })
  const seen = recorder(watcher)
  const proc = await startBrokerProcess({ overrides: { 'broker.id': '3', 'metadata.store': 'etcd', 'etcd.endpoints': etcd.endpoint, 'etcd.prefix': prefix, 'broker.session.timeout.ms': '1000' } })
  t.after(() => proc.stop('SIGKILL'))
  await eventually('the broker to register and win the election', () => watcher.controllerId() === 3)
  assert.deepEqual(watcher.brokers().map((b) => [b.nodeId, b.port]), [[3, proc.port]], 'registered with its bound port')
  const killed = Date.now()
  proc.proc.kill('SIGKILL')
  await eventually('broker 3 to vanish', () => watcher.brokers().length === 0, 5000)
  const gone = Date.now() - killed
  assert.ok(gone >= 500 && gone < 4000, `unregistered ${gone} ms after the kill (lease TTL 1 s)`)
  assert.deepEqual(seen, ['brokerRegistered:3', 'controllerChanged:-1->3', 'brokerUnregistered:3', 'controllerChanged:3->-1'])
})

test('controller election: one holder, a registered broker; closing it hands over at once to another', async (t) => {
  const etcd = await etcdFor(t)
  if (!etcd) return
  const prefix = uniquePrefix()
  const stores = await Promise.all([1, 2, 3].map((id) => openStore(t, etcd, { prefix, self: () => broker(id) })))
  assert.equal(stores[0]!.controllerId(), -1, 'none before anyone campaigns')
  // Campaigning before registering claims nothing: a controller must be a listed broker.
  await stores[0]!.campaign()
  assert.equal(stores[0]!.controllerId(), -1)
  for (const [i, s] of stores.entries()) await s.registerBroker(broker(i + 1))
  await Promise.all(stores.map((s) => s.campaign()))
  await eventually('all agree on a controller', () => stores.every((s) => s.controllerId() !== -1 && s.controllerId() === stores[0]!.controllerId()))
  const first = stores[0]!.controllerId()
  const holder = stores[first - 1]!
  const rest = stores.filter((s) => s !== holder)
  const start = Date.now()
  await holder.close()
  const took = await eventually('a new controller', () => rest.every((s) => s.controllerId() !== -1 && s.controllerId() !== first && s.controllerId() === rest[0]!.controllerId()))
  console.log(`controller failover after a clean close: ${Date.now() - start} ms (waited ${took} ms after close returned)`)
  // resign() hands the role on without closing.
  const second = rest[0]!.controllerId()
  const secondStore = stores[second - 1]!
  await secondStore.resign()
  const third = rest.find((s) => s !== secondStore)!
  await eventually('the last one takes it', () => third.controllerId() === stores.indexOf(third) + 1)
})

test('a 10,000-partition topic is created in one transaction: other brokers see it whole, in one event', async (t) => {
  const etcd = await etcdFor(t)
  if (!etcd) return
  const prefix = uniquePrefix()
  const a = await openStore(t, etcd, { prefix, self: () => broker(1) })
  const b = await openStore(t, etcd, { prefix, self: () => broker(2) })
  for (const id of [1, 2, 3]) await a.registerBroker(broker(id))
  const created: number[] = []
  b.subscribe((c) => {
    if (c.type === 'topicCreated') created.push(c.topic.partitions.length)
  })
  const assignments = Array.from({ length: 10_000 }, (_, p) => [1 + (p % 3), 1 + ((p + 1) % 3), 1 + ((p + 2) % 3)])
  const started = Date.now()
  const topic = await a.createTopic({ name: 'big', assignments, configs: {} })
  console.log(`10,000 partitions created in ${Date.now() - started} ms`)
  assert.equal(topic.partitions.length, 10_000)
  await eventually('b sees it', () => created.length === 1)
  assert.deepEqual(created, [10_000])
  assert.deepEqual(b.topic('big')!.partitions[9_999], { partition: 9_999, leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: [1, 2, 3], isr: [1, 2, 3], addingReplicas: [], removingReplicas: [], offlineReplicas: [] })
  // A partition key appears only when its state changes; the rest stay implied by the topic key.
  await a.alterPartition({ topic: 'big', partition: 5000, partitionEpoch: 0, isr: [3, 1] })
  const admin = new Etcd3({ hosts: etcd.endpoint })
  t.after(() => admin.close())
  assert.equal(await admin.getAll().prefix(`${prefix}/partitions/`).count(), 1)
  // Growing it by another 10,000 is one transaction too.
  await a.createPartitions('big', 20_000, assignments)
  await eventually('b sees it grow', () => b.topic('big')?.partitions.length === 20_000)
  assert.deepEqual(b.topic('big')!.partitions[5000]!.isr, [3, 1])
  // Too big for one etcd value: refused with a clear error, nothing written.
  const huge = Array.from({ length: 200_000 }, () => [1, 2, 3])
  await assert.rejects(a.createTopic({ name: 'huge', assignments: huge, configs: {} }), kafkaError('POLICY_VIOLATION', 'max-request-bytes'))
  assert.equal(b.topic('huge'), undefined)
})

test('etcd frozen (SIGSTOP): reads keep answering, mutations fail with REQUEST_TIMED_OUT in time; after SIGCONT they work', async (t) => {
  if (!requireEtcd(t)) return
  const etcd = await EtcdServer.start(t)
  const prefix = uniquePrefix()
  // A lease longer than the freeze: the session survives it.
  const a = await openStore(t, etcd, { prefix, self: () => broker(1), leaseTtlSeconds: 10, requestTimeoutMs: 800 })
  await a.registerBroker(broker(1))
  await a.createTopic({ name: 'kept', assignments: [[1]], configs: {} })
  etcd.freeze()
  try {
    assert.equal(a.topic('kept')?.partitions.length, 1)
    assert.deepEqual(a.brokers(), [broker(1)])
    const start = Date.now()
    await assert.rejects(a.createTopic({ name: 'late', assignments: [[1]], configs: {} }), kafkaError('REQUEST_TIMED_OUT', 'may still have been applied'))
    await assert.rejects(a.alterPartition({ topic: 'kept', partition: 0, partitionEpoch: 0, leaderEpoch: 1 }), kafkaError('REQUEST_TIMED_OUT'))
    const took = Date.now() - start
    assert.ok(took < 4000, `two failed mutations took ${took} ms`)
    // Nothing is in the cache that etcd has not confirmed.
    assert.equal(a.topic('late'), undefined)
    assert.equal(a.topic('kept')!.partitions[0]!.partitionEpoch, 0)
  } finally {
    etcd.thaw()
  }
  await a.createTopic({ name: 'after', assignments: [[1]], configs: {} })
  assert.ok(a.topic('after'))
  assert.deepEqual(a.brokers(), [broker(1)], 'still registered: the lease outlived the freeze')
  // A timed-out request may still have been applied by etcd when it resumed (as with any
  // distributed write whose answer was lost); the store then shows it, as every other broker does.
  const fresh = await openStore(t, etcd, { prefix, self: () => broker(2) })
  assert.deepEqual([...a.topics()].map((x) => x.name).sort(), [...fresh.topics()].map((x) => x.name).sort())
  assert.deepEqual(a.topic('kept'), fresh.topic('kept'))
})

test('etcd restarted: nothing is lost, and open stores carry on through the same watch', async (t) => {
  if (!requireEtcd(t)) return
  const etcd = await EtcdServer.start(t)
  const prefix = uniquePrefix()
  const a = await openStore(t, etcd, { prefix, self: () => broker(1), leaseTtlSeconds: 10 })
  const b = await openStore(t, etcd, { prefix, self: () => broker(2), leaseTtlSeconds: 10 })
  await a.registerBroker(broker(1))
  const topic = await a.createTopic({ name: 'durable', assignments: [[1], [1]], configs: { 'retention.ms': '9' } })
  await a.alterPartition({ topic: 'durable', partition: 1, partitionEpoch: 0, leaderEpoch: 4 })
  await a.setBrokerConfigs(null, { 'log.roll.ms': '7' })
  await etcd.kill()
  // Reads answer while etcd is down.
  assert.equal(b.topic('durable')?.partitions[1]!.leaderEpoch, 4)
  await etcd.restart()
  const fresh = await openStore(t, etcd, { prefix, self: () => broker(3) })
  assert.deepEqual(fresh.topic('durable'), a.topic('durable'))
  assert.equal(fresh.topic('durable')!.topicId, topic.topicId)
  assert.deepEqual(fresh.brokerConfigs(null), { 'log.roll.ms': '7' })
  assert.deepEqual(fresh.brokers(), [broker(1)], 'the lease survived a restart shorter than its TTL')
  // The old stores' watches resume: a change made now reaches both.
  let created = false
  for (let i = 0; i < 50 && !created; i++) {
    try {
      await fresh.createTopic({ name: 'after-restart', assignments: [[1]], configs: {} })
      created = true
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  await eventually('a and b see the new topic', () => a.topic('after-restart') !== undefined && b.topic('after-restart') !== undefined)
  await a.createTopic({ name: 'from-a-again', assignments: [[1]], configs: {} })
  await eventually('b sees it', () => b.topic('from-a-again') !== undefined)
})

test('a compacted watch is reloaded: the store reads the prefix again and announces what it missed', async (t) => {
  const etcd = await etcdFor(t)
  if (!etcd) return
  const prefix = uniquePrefix()
  const a = await openStore(t, etcd, { prefix, self: () => broker(1) })
  const seen = recorder(a)
  await a.createTopic({ name: 'before', assignments: [[1]], configs: {} })
  // Changes the store's watch cannot replay: make them with another client while the watch is
  // cut off by the test, then compact the history away and restart the watch from the old revision.
  const internals = a as unknown as { watcher: { cancel(): Promise<void> } | undefined; watch(from: number): void; revision: number }
  const from = internals.revision + 1
  const w = internals.watcher!
  internals.watcher = undefined
  await w.cancel()
  const b = await openStore(t, etcd, { prefix, self: () => broker(2) })
  await b.deleteTopic('before')
  await b.createTopic({ name: 'missed', assignments: [[2]], configs: {} })
  const admin = new Etcd3({ hosts: etcd.endpoint })
  t.after(() => admin.close())
  const rev = Number((await admin.kv.range({ key: Buffer.from(`${prefix}/`) })).header.revision)
  await admin.kv.compact({ revision: rev, physical: true })
  internals.watch(from)
  await eventually('a reloads', () => a.topic('missed') !== undefined && a.topic('before') === undefined)
  assert.deepEqual(seen, ['topicCreated:before:1', 'topicCreated:missed:1', 'topicDeleted:before:1'])
  // And it follows changes again.
  await b.createTopic({ name: 'after', assignments: [[2]], configs: {} })
  await eventually('a follows', () => a.topic('after') !== undefined)
})

test('an ACL created through one store reaches another on the same prefix through the watch, and so does its deletion', async (t) => {
  const etcd = await etcdFor(t)
  if (!etcd) return
  const prefix = uniquePrefix()
  const a = await openStore(t, etcd, { prefix })
  const b = await openStore(t, etcd, { prefix })
  const binding = { pattern: { resourceType: 'GROUP', name: 'g', patternType: 'PREFIXED' }, entry: { principal: 'User:a', host: '10.0.0.1', operation: 'READ', permission: 'DENY' } } as const
  const seen = new Promise<void>((resolve) => b.subscribe((c) => { if (c.type === 'aclsChanged' && c.added.length === 1) resolve() }))
  await a.createAcls([binding])
  await seen
  assert.deepEqual(b.acls(), [binding])
  const gone = new Promise<void>((resolve) => b.subscribe((c) => { if (c.type === 'aclsChanged' && c.removed.length === 1) resolve() }))
  assert.deepEqual(await a.deleteAcls([binding]), [binding])
  await gone
  assert.deepEqual(b.acls(), [])
})
