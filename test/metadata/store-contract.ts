/**
 * The MetadataStore contract (src/metadata/store.ts), one suite run against each store:
 * test/metadata/local.test.ts and test/metadata/etcd.test.ts call runStoreContract. Each case
 * gets a fresh, empty store whose broker (node 7) is registered.
 */
import { entityKey } from '../../src/broker/quotas/entity.js'
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { MetadataChange, MetadataStore } from '../../src/metadata/store.js'
import { KafkaError } from '../../src/protocol/errors.js'
import type { AclBinding } from '../../src/security/authorizer/acl.js'
import { credentialFromPassword, scramMechanism, type ScramCredential, type ScramMechanismName } from '../../src/security/sasl/scram-credential.js'

/** One mechanism's change, as alterScramCredentials takes them. */
export function scramChange(m: ScramMechanismName, c: ScramCredential | null): Map<ScramMechanismName, ScramCredential | null> {
  return new Map([[m, c]])
}

export const SELF_ID = 7

/** Opens a fresh store for one case (cleaned up by `t.after`); undefined skips the case. */
export type OpenStore = (t: TestContext) => Promise<MetadataStore | undefined>

/** A predicate for assert.rejects: a KafkaError with this name whose message contains `text`. */
export function kafkaError(name: string, text?: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof KafkaError, `expected KafkaError ${name}, got ${String(e)}`)
    assert.equal(e.errorName, name, e.message)
    if (text !== undefined) assert.ok(e.message.includes(text), `message ${JSON.stringify(e.message)} contains ${JSON.stringify(text)}`)
    return true
  }
}

function on7(partitions: number): number[][] {
  return Array.from({ length: partitions }, () => [SELF_ID])
}

function names(store: MetadataStore): string[] {
  return [...store.topics()].map((t) => t.name).sort()
}

/** A second store over what `store` keeps (its file, its etcd prefix): what a restart would read. */
export type ReopenStore = (t: TestContext, store: MetadataStore) => Promise<MetadataStore>

export function runStoreContract(label: string, open: OpenStore, reopen: ReopenStore): void {
  const contract = (name: string, fn: (store: MetadataStore, reopen: () => Promise<MetadataStore>) => Promise<void>): void => {
    test(`${label} contract: ${name}`, async (t) => {
      const store = await open(t)
      if (store) await fn(store, () => reopen(t, store))
    })
  }

  contract('createTopic: ids, the first live replica leads, only live replicas in sync', async (store) => {
    const a = await store.createTopic({ name: 'a', assignments: on7(3), configs: { 'retention.ms': '1000' } })
    assert.match(a.topicId, /^[A-Za-z0-9_-]{22}$/)
    assert.deepEqual(a.configs, { 'retention.ms': '1000' })
    assert.deepEqual(a.partitions.map((p) => [p.partition, p.leader, p.leaderEpoch, p.partitionEpoch, p.replicas, p.isr]), [0, 1, 2].map((i) => [i, 7, 0, 0, [7], [7]]))
    assert.deepEqual(store.topic('a'), a)
    assert.deepEqual(store.topicById(a.topicId), a)
    const b = await store.createTopic({ name: 'b', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', assignments: [[3, 7], [7, 3]], configs: {} })
    assert.deepEqual(b.partitions.map((p) => [p.leader, p.replicas, p.isr]), [[7, [3, 7], [7]], [7, [7, 3], [7]]])
    assert.equal(store.topicById('AAAAAAAAAAAAAAAAAAAAAQ')?.name, 'b')
    assert.equal((await store.createTopic({ name: '__consumer_offsets', assignments: on7(1), configs: {} })).internal, true)
    assert.deepEqual(names(store), ['__consumer_offsets', 'a', 'b'])
  })

  contract('TOPIC_ALREADY_EXISTS for a taken name or id, INVALID_TOPIC_EXCEPTION for a "."/"_" collision; nothing changes', async (store) => {
    const first = await store.createTopic({ name: 'my.topic', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', assignments: on7(1), configs: {} })
    await assert.rejects(store.createTopic({ name: 'my.topic', assignments: on7(5), configs: {} }), kafkaError('TOPIC_ALREADY_EXISTS', 'my.topic'))
    await assert.rejects(store.createTopic({ name: 'my_topic', assignments: on7(1), configs: {} }), kafkaError('INVALID_TOPIC_EXCEPTION', 'my.topic'))
    await assert.rejects(store.createTopic({ name: 'other', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', assignments: on7(1), configs: {} }), kafkaError('TOPIC_ALREADY_EXISTS', 'AAAAAAAAAAAAAAAAAAAAAQ'))
    assert.deepEqual(names(store), ['my.topic'])
    assert.deepEqual(store.topic('my.topic'), first)
    await store.deleteTopic('my.topic')
    const twin = await store.createTopic({ name: 'my_topic', assignments: on7(1), configs: {} })
    assert.deepEqual(store.topic('my_topic'), twin)
    assert.equal(store.topicById('AAAAAAAAAAAAAAAAAAAAAQ'), undefined)
  })

  contract('deleteTopic removes name and id; a re-created topic gets a new id; unknown refused', async (store) => {
    const a = await store.createTopic({ name: 'a.b', assignments: on7(2), configs: {} })
    await store.createTopic({ name: 'keep', assignments: on7(1), configs: {} })
    assert.deepEqual(await store.deleteTopic('a.b'), a)
    assert.equal(store.topic('a.b'), undefined)
    assert.equal(store.topicById(a.topicId), undefined)
    await assert.rejects(store.deleteTopic('a.b'), kafkaError('UNKNOWN_TOPIC_OR_PARTITION', 'a.b'))
    const again = await store.createTopic({ name: 'a.b', assignments: on7(1), configs: {} })
    assert.notEqual(again.topicId, a.topicId)
    assert.equal(again.partitions[0]!.partitionEpoch, 0, 'no state left over from the deleted topic')
    assert.deepEqual(names(store), ['a.b', 'keep'])
  })

  contract('createPartitions grows a topic; INVALID_PARTITIONS / INVALID_REPLICA_ASSIGNMENT / unknown refused', async (store) => {
    const before = await store.createTopic({ name: 'grow', assignments: on7(2), configs: { 'segment.ms': '5000' } })
    const grown = await store.createPartitions('grow', 5, on7(3))
    assert.equal(grown.topicId, before.topicId)
    assert.deepEqual(grown.configs, { 'segment.ms': '5000' })
    assert.deepEqual(grown.partitions.map((p) => [p.partition, p.leader, p.replicas]), [0, 1, 2, 3, 4].map((i) => [i, 7, [7]]))
    assert.equal(before.partitions.length, 2, 'the old object is not mutated')
    await store.registerBroker({ nodeId: 1, host: 'b1', port: 9, rack: null })
    const explicit = await store.createPartitions('grow', 7, [[1, 7], [2]])
    assert.deepEqual(explicit.partitions.slice(5).map((p) => [p.partition, p.leader, p.replicas, p.isr]), [[5, 1, [1, 7], [1, 7]], [6, -1, [2], []]])
    await assert.rejects(store.createPartitions('grow', 7, []), kafkaError('INVALID_PARTITIONS', '7'))
    await assert.rejects(store.createPartitions('grow', 9, on7(1)), kafkaError('INVALID_REPLICA_ASSIGNMENT'))
    await assert.rejects(store.createPartitions('nope', 9, on7(2)), kafkaError('UNKNOWN_TOPIC_OR_PARTITION', 'nope'))
    assert.equal(store.topic('grow')!.partitions.length, 7)
  })

  contract('setTopicConfigs replaces the overrides; setBrokerConfigs keeps per-broker and default apart', async (store) => {
    const created = await store.createTopic({ name: 'c', assignments: on7(1), configs: { 'retention.ms': '1', 'segment.ms': '2' } })
    const updated = await store.setTopicConfigs('c', { 'cleanup.policy': 'compact' })
    assert.deepEqual(updated.configs, { 'cleanup.policy': 'compact' })
    assert.deepEqual(created.configs, { 'retention.ms': '1', 'segment.ms': '2' })
    await assert.rejects(store.setTopicConfigs('missing', { a: 'b' }), kafkaError('UNKNOWN_TOPIC_OR_PARTITION', 'missing'))
    await store.setBrokerConfigs(7, { 'log.retention.ms': '100' })
    await store.setBrokerConfigs(null, { 'log.retention.ms': '200' })
    assert.deepEqual(store.brokerConfigs(7), { 'log.retention.ms': '100' })
    assert.deepEqual(store.brokerConfigs(null), { 'log.retention.ms': '200' })
    assert.deepEqual(store.brokerConfigs(0), {})
    await store.setBrokerConfigs(7, {})
    assert.deepEqual(store.brokerConfigs(7), {})
  })

  contract('alterClientQuotas sets and removes keys of one entity, announces it, and keeps it across a reopen', async (store, reopen) => {
    const seen: MetadataChange[] = []
    store.subscribe((c) => seen.push(c))
    const alice = { user: 'alice', 'client-id': null }
    await store.alterClientQuotas(alice, { producer_byte_rate: 1000, request_percentage: 50 })
    await store.alterClientQuotas({ 'client-id': 'a/b,c' }, { consumer_byte_rate: 7 })
    await store.alterClientQuotas({ 'client-id': null, user: 'alice' }, { request_percentage: null })
    assert.deepEqual(store.clientQuotas().get(entityKey(alice)), { entity: alice, values: { producer_byte_rate: 1000 } })
    assert.equal(store.clientQuotas().size, 2)
    assert.deepEqual(seen.filter((c) => c.type === 'clientQuotasChanged').length, 3)
    const again = await reopen()
    assert.deepEqual([...again.clientQuotas().values()].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))), [
      { entity: { 'client-id': 'a/b,c' }, values: { consumer_byte_rate: 7 } },
      { entity: alice, values: { producer_byte_rate: 1000 } },
    ])
    await again.alterClientQuotas(alice, { producer_byte_rate: null })
    assert.equal(again.clientQuotas().has(entityKey(alice)), false)
  })

  contract('alterScramCredential stores salted credentials per user and mechanism, deletes them, and keeps them across a reopen', async (store, reopen) => {
    const seen: MetadataChange[] = []
    store.subscribe((c) => seen.push(c))
    const c256 = credentialFromPassword(scramMechanism('SCRAM-SHA-256')!, 'alice-secret', 8192)
    const c512 = credentialFromPassword(scramMechanism('SCRAM-SHA-512')!, 'alice-secret', 4096)
    await store.alterScramCredentials('alice', scramChange('SCRAM-SHA-256', c256))
    await store.alterScramCredentials('alice', scramChange('SCRAM-SHA-512', c512))
    await store.alterScramCredentials('b/c,d=e f', scramChange('SCRAM-SHA-256', c256))
    assert.deepEqual(store.scramCredential('alice', 'SCRAM-SHA-256'), c256)
    assert.deepEqual(store.scramCredential('alice', 'SCRAM-SHA-512'), c512)
    assert.equal(store.scramCredential('bob', 'SCRAM-SHA-256'), undefined)
    assert.deepEqual([...store.scramCredentials().keys()].sort(), ['alice', 'b/c,d=e f'])
    assert.deepEqual(seen.filter((c) => c.type === 'scramCredentialChanged').map((c) => c.type === 'scramCredentialChanged' && `${c.user}:${c.mechanism}`), ['alice:SCRAM-SHA-256', 'alice:SCRAM-SHA-512', 'b/c,d=e f:SCRAM-SHA-256'])
    // Deleting what is not there changes nothing and says so.
    await assert.rejects(store.alterScramCredentials('bob', scramChange('SCRAM-SHA-256', null)), kafkaError('RESOURCE_NOT_FOUND', 'does not exist'))
    const again = await reopen()
    assert.deepEqual(again.scramCredential('alice', 'SCRAM-SHA-256'), c256)
    assert.deepEqual(again.scramCredential('b/c,d=e f', 'SCRAM-SHA-256'), c256)
    await again.alterScramCredentials('alice', scramChange('SCRAM-SHA-256', null))
    assert.equal(again.scramCredential('alice', 'SCRAM-SHA-256'), undefined)
    assert.deepEqual(again.scramCredential('alice', 'SCRAM-SHA-512'), c512)
    await again.alterScramCredentials('alice', scramChange('SCRAM-SHA-512', null))
    assert.equal(again.scramCredentials().has('alice'), false)
    // All or none: a delete of a missing one leaves the set beside it undone.
    const both = new Map<ScramMechanismName, ScramCredential | null>([['SCRAM-SHA-512', c512], ['SCRAM-SHA-256', null]])
    await assert.rejects(again.alterScramCredentials('carol', both), kafkaError('RESOURCE_NOT_FOUND'))
    assert.equal(again.scramCredentials().has('carol'), false)
    // An update replaces the credential (new salt, new iterations).
    const newer = credentialFromPassword(scramMechanism('SCRAM-SHA-256')!, 'other', 4096)
    await again.alterScramCredentials('b/c,d=e f', scramChange('SCRAM-SHA-256', newer))
    assert.deepEqual(again.scramCredential('b/c,d=e f', 'SCRAM-SHA-256'), newer)
  })

  contract('listeners get every change in order; failed changes are not announced; unsubscribe works', async (store) => {
    const seen: MetadataChange[] = []
    const unsubscribe = store.subscribe((c) => seen.push(c))
    const a = await store.createTopic({ name: 'a', assignments: on7(1), configs: {} })
    await assert.rejects(store.createTopic({ name: 'a', assignments: on7(1), configs: {} }))
    const grown = await store.createPartitions('a', 3, on7(2))
    const configured = await store.setTopicConfigs('a', { 'retention.ms': '5' })
    await store.setBrokerConfigs(null, { x: 'y' })
    const deleted = await store.deleteTopic('a')
    assert.deepEqual(seen, [
      { type: 'topicCreated', topic: a },
      { type: 'partitionsCreated', topic: grown, from: 1 },
      { type: 'topicConfigChanged', topic: configured },
      { type: 'brokerConfigChanged', nodeId: null },
      { type: 'topicDeleted', topic: deleted },
    ])
    unsubscribe()
    await store.createTopic({ name: 'b', assignments: on7(1), configs: {} })
    assert.equal(seen.length, 5)
  })

  contract('concurrent mutations are applied and announced in call order', async (store) => {
    const order: string[] = []
    store.subscribe((c) => order.push(c.type === 'topicCreated' || c.type === 'topicConfigChanged' || c.type === 'topicDeleted' ? `${c.type}:${c.topic.name}:${JSON.stringify(c.topic.configs)}` : c.type))
    const ops: Array<Promise<unknown>> = []
    for (let i = 0; i < 5; i++) ops.push(store.createTopic({ name: `t${i}`, assignments: on7(1), configs: {} }))
    ops.push(store.createTopic({ name: 't3', assignments: on7(1), configs: {} }))
    for (let i = 0; i < 5; i++) ops.push(store.setTopicConfigs('t0', { 'retention.ms': String(i) }))
    ops.push(store.deleteTopic('t2'), store.deleteTopic('t2'))
    const results = await Promise.allSettled(ops)
    assert.deepEqual(results.flatMap((r, i) => (r.status === 'rejected' ? [[i, (r.reason as KafkaError).errorName]] : [])), [[5, 'TOPIC_ALREADY_EXISTS'], [12, 'UNKNOWN_TOPIC_OR_PARTITION']])
    assert.deepEqual(order, [
      ...Array.from({ length: 5 }, (_, i) => `topicCreated:t${i}:{}`),
      ...Array.from({ length: 5 }, (_, i) => `topicConfigChanged:t0:{"retention.ms":"${i}"}`),
      'topicDeleted:t2:{}',
    ])
  })

  contract('alterPartition: compare-and-swap on the partition epoch, with the checks and error codes of AlterPartition', async (store) => {
    await store.registerBroker({ nodeId: 1, host: 'b1', port: 9, rack: 'r1' })
    await store.createTopic({ name: 'p', assignments: [[7, 1]], configs: {} })
    const seen: string[] = []
    store.subscribe((c) => {
      if (c.type === 'partitionChanged') seen.push(`${c.previous.partitionEpoch}->${c.partition.partitionEpoch} leader ${c.partition.leader}@${c.partition.leaderEpoch} isr ${c.partition.isr}`)
    })
    const shrunk = await store.alterPartition({ topic: 'p', partition: 0, partitionEpoch: 0, isr: [7] })
    assert.deepEqual([shrunk.leader, shrunk.leaderEpoch, shrunk.partitionEpoch, shrunk.isr], [7, 0, 1, [7]])
    assert.deepEqual(store.topic('p')!.partitions[0], shrunk, 'read your writes')
    await assert.rejects(store.alterPartition({ topic: 'p', partition: 0, partitionEpoch: 0, isr: [7, 1] }), kafkaError('INVALID_UPDATE_VERSION', 'partition epoch 0'))
    await assert.rejects(store.alterPartition({ topic: 'p', partition: 0, partitionEpoch: 1, leader: 1, leaderEpoch: 0, isr: [1] }), kafkaError('FENCED_LEADER_EPOCH'))
    await assert.rejects(store.alterPartition({ topic: 'p', partition: 0, partitionEpoch: 1, leader: 5, isr: [5] }), kafkaError('INELIGIBLE_REPLICA', 'Broker 5'))
    await assert.rejects(store.alterPartition({ topic: 'p', partition: 0, partitionEpoch: 1, leader: 1, isr: [7] }), kafkaError('INVALID_REQUEST', 'leader 1'))
    await assert.rejects(store.alterPartition({ topic: 'p', partition: 0, partitionEpoch: 1, isr: [7, 7] }), kafkaError('INVALID_REQUEST', 'twice'))
    await assert.rejects(store.alterPartition({ topic: 'p', partition: 3, partitionEpoch: 0 }), kafkaError('UNKNOWN_TOPIC_OR_PARTITION'))
    const moved = await store.alterPartition({ topic: 'p', partition: 0, partitionEpoch: 1, leader: 1, isr: [1] })
    assert.deepEqual([moved.leader, moved.leaderEpoch, moved.partitionEpoch, moved.isr], [1, 1, 2, [1]])
    const offline = await store.alterPartition({ topic: 'p', partition: 0, partitionEpoch: 2, leader: -1 })
    assert.deepEqual([offline.leader, offline.leaderEpoch, offline.isr], [-1, 2, [1]], 'no leader, the ISR kept')
    assert.deepEqual(seen, ['0->1 leader 7@0 isr 7', '1->2 leader 1@1 isr 1', '2->3 leader -1@2 isr 1'])
  })

  contract('alterPartition with replicas: a reassignment starts (adding, removing), is checked, completes with a new leader epoch, and is kept', async (store, reopenStore) => {
    for (const id of [1, 2]) await store.registerBroker({ nodeId: id, host: `b${id}`, port: 9, rack: null })
    await store.createTopic({ name: 'r', assignments: [[7, 1], [7, 3]], configs: {} })
    const changed: string[] = []
    store.subscribe((c) => {
      if (c.type === 'partitionChanged') changed.push(`${c.partition.replicas}|${c.partition.addingReplicas}|${c.partition.removingReplicas}`)
    })
    // [7, 1] -> [7, 2], as Kafka's controller starts it: replicas target + removing, adding and removing apart.
    const started = await store.alterPartition({ topic: 'r', partition: 0, partitionEpoch: 0, replicas: [7, 2, 1], addingReplicas: [2], removingReplicas: [1] })
    assert.deepEqual([started.replicas, started.addingReplicas, started.removingReplicas, started.leaderEpoch, started.partitionEpoch, started.isr], [[7, 2, 1], [2], [1], 0, 1, [7, 1]])
    assert.deepEqual(store.topic('r')!.partitions[0], started, 'read your writes')
    const bad: Array<[object, string, string]> = [
      [{ replicas: [7, 7] }, 'INVALID_REPLICA_ASSIGNMENT', 'twice'],
      [{ replicas: [] }, 'INVALID_REPLICA_ASSIGNMENT', 'empty'],
      [{ addingReplicas: [5] }, 'INVALID_REPLICA_ASSIGNMENT', 'Broker 5'],
      [{ addingReplicas: [2, 2] }, 'INVALID_REPLICA_ASSIGNMENT', 'twice'],
      [{ addingReplicas: [1], removingReplicas: [1] }, 'INVALID_REPLICA_ASSIGNMENT', 'both'],
      [{ replicas: [1, 2] }, 'INELIGIBLE_REPLICA', 'Broker 7'],
      [{ replicas: [7, 2] }, 'INELIGIBLE_REPLICA', 'Broker 1'],
    ]
    for (const [change, name, text] of bad) await assert.rejects(store.alterPartition({ topic: 'r', partition: 0, partitionEpoch: 1, ...change }), kafkaError(name, text), JSON.stringify(change))
    assert.deepEqual(store.topic('r')!.partitions[0], started, 'refused changes leave no trace')
    const caughtUp = await store.alterPartition({ topic: 'r', partition: 0, partitionEpoch: 1, isr: [7, 1, 2] })
    assert.deepEqual([caughtUp.replicas, caughtUp.addingReplicas, caughtUp.removingReplicas], [[7, 2, 1], [2], [1]], 'an ISR change keeps the reassignment')
    // Completing: replica 1 leaves, so the leader epoch grows (its fetches are fenced) though 7 still leads.
    const done = await store.alterPartition({ topic: 'r', partition: 0, partitionEpoch: 2, replicas: [7, 2], isr: [7, 2] })
    assert.deepEqual([done.replicas, done.addingReplicas, done.removingReplicas, done.leader, done.leaderEpoch, done.partitionEpoch, done.isr], [[7, 2], [], [], 7, 1, 3, [7, 2]])
    const grown = await store.alterPartition({ topic: 'r', partition: 1, partitionEpoch: 0, replicas: [7, 3, 1], addingReplicas: [1] })
    assert.deepEqual([grown.leaderEpoch, grown.offlineReplicas], [0, [3]], 'adding keeps the epoch; broker 3 is not registered')
    assert.deepEqual(changed, ['7,2,1|2|1', '7,2,1|2|1', '7,2||', '7,3,1|1|'])
    const again = await reopenStore()
    assert.deepEqual(again.topic('r')!.partitions.map((p) => [p.replicas, p.addingReplicas, p.removingReplicas, p.leader, p.leaderEpoch, p.partitionEpoch, p.isr]), [
      [[7, 2], [], [], 7, 1, 3, [7, 2]],
      [[7, 3, 1], [1], [], 7, 0, 1, [7]],
    ])
  })

  contract('offlineReplicas: the replicas that are not registered brokers, kept up to date as brokers come and go', async (store) => {
    await store.createTopic({ name: 'o', assignments: [[7, 4], [7]], configs: {} })
    assert.deepEqual(store.topic('o')!.partitions.map((p) => p.offlineReplicas), [[4], []])
    await store.registerBroker({ nodeId: 4, host: 'b4', port: 9, rack: null })
    assert.deepEqual(store.topic('o')!.partitions.map((p) => p.offlineReplicas), [[], []])
    await store.unregisterBroker(4)
    assert.deepEqual(store.topic('o')!.partitions.map((p) => p.offlineReplicas), [[4], []])
  })

  contract('alterPartition: of concurrent changes based on the same partition epoch, exactly one wins', async (store) => {
    await store.registerBroker({ nodeId: 1, host: 'b1', port: 9, rack: null })
    await store.registerBroker({ nodeId: 2, host: 'b2', port: 9, rack: null })
    await store.createTopic({ name: 'race', assignments: [[7, 1, 2]], configs: {} })
    const outcomes = await Promise.allSettled([
      store.alterPartition({ topic: 'race', partition: 0, partitionEpoch: 0, isr: [7, 1] }),
      store.alterPartition({ topic: 'race', partition: 0, partitionEpoch: 0, isr: [7, 2] }),
      store.alterPartition({ topic: 'race', partition: 0, partitionEpoch: 0, leader: 1, isr: [1, 2] }),
      store.alterPartition({ topic: 'race', partition: 0, partitionEpoch: 0, isr: [7] }),
    ])
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1)
    for (const o of outcomes) if (o.status === 'rejected') assert.equal((o.reason as KafkaError).errorName, 'INVALID_UPDATE_VERSION')
    assert.equal(store.topic('race')!.partitions[0]!.partitionEpoch, 1)
  })

  contract('broker registration: brokers() lists registered ones; a taken id is refused; events for both', async (store) => {
    const events: string[] = []
    store.subscribe((c) => {
      if (c.type === 'brokerRegistered' || c.type === 'brokerUnregistered') events.push(`${c.type}:${c.broker.nodeId}`)
    })
    await store.registerBroker({ nodeId: 3, host: 'b3', port: 9093, rack: 'r' })
    assert.deepEqual(store.brokers().map((b) => b.nodeId), [3, 7])
    assert.deepEqual(store.brokers()[0], { nodeId: 3, host: 'b3', port: 9093, rack: 'r' })
    await assert.rejects(store.registerBroker({ nodeId: 3, host: 'x', port: 1, rack: null }), kafkaError('DUPLICATE_BROKER_REGISTRATION', 'Broker 3'))
    await assert.rejects(store.registerBroker({ nodeId: SELF_ID, host: 'x', port: 1, rack: null }), kafkaError('DUPLICATE_BROKER_REGISTRATION', 'Broker 7'))
    await store.unregisterBroker(3)
    await assert.rejects(store.unregisterBroker(3), kafkaError('BROKER_ID_NOT_REGISTERED'))
    assert.deepEqual(store.brokers().map((b) => b.nodeId), [7])
    assert.deepEqual(events, ['brokerRegistered:3', 'brokerUnregistered:3'])
  })

  contract('producer id blocks never overlap, also when allocated concurrently', async (store) => {
    const blocks = await Promise.all([store.allocateProducerIds(1000), store.allocateProducerIds(10), store.allocateProducerIds(1)])
    const ranges = blocks.map((b) => [Number(b.firstProducerId), Number(b.firstProducerId) + b.count] as const).sort((a, b) => a[0] - b[0])
    assert.deepEqual(blocks.map((b) => b.count).sort((a, b) => a - b), [1, 10, 1000])
    for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i]![0] >= ranges[i - 1]![1], `disjoint: ${JSON.stringify(ranges)}`)
    const next = await store.allocateProducerIds(5)
    assert.ok(Number(next.firstProducerId) >= ranges.at(-1)![1], 'a later block comes after every earlier one')
    await assert.rejects(store.allocateProducerIds(0), kafkaError('INVALID_REQUEST'))
  })
  contract('ACLs: created all at once, kept across a reopen, a duplicate kept once, deleted by binding, with events', async (store, reopenStore) => {
    const acl = (name: string, op: AclBinding['entry']['operation'], patternType: 'LITERAL' | 'PREFIXED' = 'LITERAL'): AclBinding => ({
      pattern: { resourceType: 'TOPIC', name, patternType },
      entry: { principal: 'User:alice', host: '*', operation: op, permission: 'ALLOW' },
    })
    const key = (b: AclBinding): string => `${b.pattern.patternType}:${b.pattern.name}:${b.entry.operation}`
    const listed = (s: MetadataStore): string[] => s.acls().map(key).sort()
    const events: string[] = []
    store.subscribe((c) => {
      if (c.type === 'aclsChanged') events.push(`+${c.added.map(key).sort().join(',')} -${c.removed.map(key).sort().join(',')}`)
    })
    await store.createAcls([acl('a', 'READ'), acl('b', 'WRITE', 'PREFIXED')])
    await store.createAcls([acl('a', 'READ'), acl('c', 'DESCRIBE')])
    assert.deepEqual(listed(store), ['LITERAL:a:READ', 'LITERAL:c:DESCRIBE', 'PREFIXED:b:WRITE'])
    const again = await reopenStore()
    assert.deepEqual(listed(again), listed(store), 'ACLs are durable')
    const removed = await store.deleteAcls([acl('a', 'READ'), acl('zzz', 'READ')])
    assert.deepEqual(removed.map(key), ['LITERAL:a:READ'], 'only what existed is reported removed')
    assert.deepEqual(listed(store), ['LITERAL:c:DESCRIBE', 'PREFIXED:b:WRITE'])
    assert.deepEqual(events, ['+LITERAL:a:READ,PREFIXED:b:WRITE -', '+LITERAL:c:DESCRIBE -', '+ -LITERAL:a:READ'])
    const tooMany = Array.from({ length: 129 }, (_, i) => acl(`t${i}`, 'READ'))
    await assert.rejects(store.createAcls(tooMany), kafkaError('INVALID_REQUEST', 'at most 128'))
    assert.equal(store.acls().length, 2, 'a refused create adds nothing')
  })
}
