/** LocalMetadataStore: the single-node, file-backed metadata store (src/metadata/local.ts). */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalMetadataStore, METADATA_FILE } from '../../src/metadata/local.js'
import type { MetadataChange } from '../../src/metadata/store.js'
import type { BrokerInfo } from '../../src/metadata/types.js'
import { KafkaError } from '../../src/protocol/errors.js'
import { runStoreContract, scramChange } from './store-contract.js'
import { FaultHooks } from '../../src/util/faults.js'

const SELF: BrokerInfo = { nodeId: 7, host: 'h', port: 9092, rack: null }

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(process.env['SAMSA_TEST_TMP'] ?? tmpdir(), 'samsa-metadata-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function openStore(t: TestContext, dir: string, extra: { clusterId?: string; self?: () => BrokerInfo } = {}): Promise<LocalMetadataStore> {
  const store = await LocalMetadataStore.open({ dir, self: extra.self ?? (() => SELF), ...(extra.clusterId !== undefined ? { clusterId: extra.clusterId } : {}) })
  t.after(() => store.close())
  return store
}

/** A topic placed on this broker (node 7) alone: placement is the caller's (metadata/placement.ts). */
function newTopic(name: string, partitions = 1, configs: Record<string, string> = {}) {
  return { name, assignments: on7(partitions), configs }
}

function on7(partitions: number): number[][] {
  return Array.from({ length: partitions }, () => [7])
}

/** A predicate for assert.rejects: a KafkaError with this name whose message contains `text`. */
function kafkaError(name: string, text?: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof KafkaError, `expected KafkaError ${name}, got ${String(e)}`)
    assert.equal(e.errorName, name)
    if (text !== undefined) assert.ok(e.message.includes(text), `message ${JSON.stringify(e.message)} contains ${JSON.stringify(text)}`)
    return true
  }
}

async function storedJson(dir: string): Promise<{ version: number; clusterId: string; topics: Array<{ name: string; topicId: string; partitions: Array<{ replicas: number[]; leader: number; leaderEpoch: number; partitionEpoch: number; isr: number[] }>; configs: Record<string, string> }>; brokerConfigs: Record<string, Record<string, string>> }> {
  return JSON.parse(await readFile(join(dir, METADATA_FILE), 'utf8'))
}

function names(store: LocalMetadataStore): string[] {
  return [...store.topics()].map((t) => t.name).sort()
}

/** Makes the next write of the metadata file fail: the file's path becomes a non-empty directory (works as root too). */
async function breakMetadataFile(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, METADATA_FILE)
  const saved = await readFile(path)
  await rm(path)
  await mkdir(join(path, 'blocker'), { recursive: true })
  return async () => {
    await rm(path, { recursive: true, force: true })
    await writeFile(path, saved)
  }
}

test('a fresh dir gets a metadata file, a generated cluster id, and existed=false; reopening keeps the id', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  assert.equal(store.existed, false)
  assert.match(store.clusterId, /^[A-Za-z0-9_-]{22}$/)
  const file = await storedJson(dir)
  assert.deepEqual(file, { version: 2, clusterId: store.clusterId, topics: [], brokerConfigs: {} })
  await store.close()

  const again = await openStore(t, dir)
  assert.equal(again.existed, true)
  assert.equal(again.clusterId, store.clusterId)
  // Two fresh dirs get different ids.
  const other = await openStore(t, await tempDir(t))
  assert.notEqual(other.clusterId, store.clusterId)
})

test('cluster.id from the config is used on a fresh dir, accepted when it matches, refused when it does not', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir, { clusterId: 'my-cluster' })
  assert.equal(store.clusterId, 'my-cluster')
  await store.createTopic(newTopic('kept'))
  await store.close()

  const same = await openStore(t, dir, { clusterId: 'my-cluster' })
  assert.deepEqual(names(same), ['kept'])
  await same.close()
  // Empty means: keep the stored one.
  const empty = await openStore(t, dir, { clusterId: '' })
  assert.equal(empty.clusterId, 'my-cluster')
  await empty.close()

  await assert.rejects(LocalMetadataStore.open({ dir, clusterId: 'other-cluster', self: () => SELF }), (e: Error) => {
    assert.ok(!(e instanceof KafkaError))
    assert.match(e.message, /my-cluster/)
    assert.match(e.message, /other-cluster/)
    assert.ok(e.message.includes(join(dir, METADATA_FILE)), e.message)
    return true
  })
  // The refusal did not touch the file.
  assert.equal((await storedJson(dir)).clusterId, 'my-cluster')
})

test('without a metadata file, the cluster id of the log dir (meta.properties) is kept unless cluster.id is configured', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'meta.properties'), '#\n#Sun Nov 22\nversion=1\nnode.id=7\ncluster.id=from-log-dir\ndirectory.id=x\n')
  const store = await openStore(t, dir)
  assert.equal(store.existed, false)
  assert.equal(store.clusterId, 'from-log-dir')
  assert.equal((await storedJson(dir)).clusterId, 'from-log-dir')

  const other = await tempDir(t)
  await writeFile(join(other, 'meta.properties'), 'version=1\ncluster.id=from-log-dir\n')
  const configured = await openStore(t, other, { clusterId: 'configured' })
  assert.equal(configured.clusterId, 'configured', 'the log dir then refuses to open, naming both')

  const noId = await tempDir(t)
  await writeFile(join(noId, 'meta.properties'), 'version=1\nnode.id=7\n')
  assert.match((await openStore(t, noId)).clusterId, /^[A-Za-z0-9_-]{22}$/)
})

test('createTopic assigns ids and partitions led by this broker, honours explicit ids and assignments', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  const a = await store.createTopic(newTopic('a', 3, { 'retention.ms': '1000' }))
  assert.equal(a.name, 'a')
  assert.match(a.topicId, /^[A-Za-z0-9_-]{22}$/)
  assert.equal(a.internal, false)
  assert.deepEqual(a.configs, { 'retention.ms': '1000' })
  assert.deepEqual(
    a.partitions.map((p) => [p.partition, p.leader, p.leaderEpoch, p.partitionEpoch, p.replicas, p.isr, p.offlineReplicas]),
    [0, 1, 2].map((i) => [i, 7, 0, 0, [7], [7], []]),
  )
  assert.equal(store.topic('a'), a)
  assert.equal(store.topicById(a.topicId), a)

  // Broker 3 is not registered: the first live replica leads, and only live ones are in sync (KRaft's rule).
  const b = await store.createTopic({ ...newTopic('b', 2), topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', assignments: [[3, 7], [7, 3]] })
  assert.equal(b.topicId, 'AAAAAAAAAAAAAAAAAAAAAQ')
  assert.deepEqual(b.partitions.map((p) => [p.leader, p.replicas, p.isr]), [[7, [3, 7], [7]], [7, [7, 3], [7]]])
  assert.equal(store.topicById('AAAAAAAAAAAAAAAAAAAAAQ')?.name, 'b')
  const internal = await store.createTopic(newTopic('__consumer_offsets', 1))
  assert.equal(internal.internal, true)
  assert.deepEqual(names(store), ['__consumer_offsets', 'a', 'b'])
  assert.notEqual(a.topicId, internal.topicId)

  // The caller's configs object is copied, not kept.
  const cfg = { 'cleanup.policy': 'compact' }
  const c = await store.createTopic(newTopic('c', 1, cfg))
  cfg['cleanup.policy'] = 'delete'
  assert.deepEqual(store.topic('c')!.configs, { 'cleanup.policy': 'compact' })
  assert.equal(c.configs['cleanup.policy'], 'compact')
})

test('TOPIC_ALREADY_EXISTS for a taken name or topic id; INVALID_TOPIC_EXCEPTION for a "."/"_" collision', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  const first = await store.createTopic({ ...newTopic('my.topic', 1), topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' })
  await assert.rejects(store.createTopic(newTopic('my.topic', 5)), kafkaError('TOPIC_ALREADY_EXISTS', 'my.topic'))
  await assert.rejects(store.createTopic(newTopic('my_topic')), kafkaError('INVALID_TOPIC_EXCEPTION', 'my.topic'))
  await assert.rejects(store.createTopic(newTopic('my_topic')), kafkaError('INVALID_TOPIC_EXCEPTION', 'my_topic'))
  await assert.rejects(store.createTopic({ ...newTopic('other'), topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }), kafkaError('TOPIC_ALREADY_EXISTS', 'AAAAAAAAAAAAAAAAAAAAAQ'))
  // Nothing changed, in memory or on disk.
  assert.deepEqual(names(store), ['my.topic'])
  assert.equal(store.topic('my.topic'), first)
  assert.equal(store.topicById('AAAAAAAAAAAAAAAAAAAAAQ'), first)
  assert.deepEqual((await storedJson(dir)).topics.map((x) => x.name), ['my.topic'])
  // '-' is not folded: 'my-topic' is a different name.
  await store.createTopic(newTopic('my-topic'))

  // Collisions are checked the other way round, and after reopen.
  await store.createTopic(newTopic('x_y'))
  await assert.rejects(store.createTopic(newTopic('x.y')), kafkaError('INVALID_TOPIC_EXCEPTION'))
  await store.close()
  const again = await openStore(t, dir)
  await assert.rejects(again.createTopic(newTopic('x.y')), kafkaError('INVALID_TOPIC_EXCEPTION'))
  await assert.rejects(again.createTopic(newTopic('my_topic')), kafkaError('INVALID_TOPIC_EXCEPTION'))
  await assert.rejects(again.createTopic(newTopic('my.topic')), kafkaError('TOPIC_ALREADY_EXISTS'))

  // Once the topic is gone its colliding twin may be created.
  await again.deleteTopic('my.topic')
  const twin = await again.createTopic(newTopic('my_topic'))
  assert.equal(again.topic('my_topic'), twin)
  assert.equal(again.topicById('AAAAAAAAAAAAAAAAAAAAAQ'), undefined)
})

test('deleteTopic removes the name, the id and the collision key; a re-created topic gets a new id', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  const a = await store.createTopic(newTopic('a.b', 2))
  await store.createTopic(newTopic('keep'))
  const deleted = await store.deleteTopic('a.b')
  assert.equal(deleted, a)
  assert.equal(store.topic('a.b'), undefined)
  assert.equal(store.topicById(a.topicId), undefined)
  assert.deepEqual(names(store), ['keep'])
  assert.deepEqual((await storedJson(dir)).topics.map((x) => x.name), ['keep'])
  await assert.rejects(store.deleteTopic('a.b'), kafkaError('UNKNOWN_TOPIC_OR_PARTITION', 'a.b'))

  const again = await store.createTopic(newTopic('a.b', 1))
  assert.notEqual(again.topicId, a.topicId)
  assert.equal(again.partitions.length, 1)
})

test('createPartitions grows a topic; INVALID_PARTITIONS when not larger; unknown topic refused', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  const before = await store.createTopic(newTopic('grow', 2, { 'segment.ms': '5000' }))
  const grown = await store.createPartitions('grow', 5, on7(3))
  assert.equal(grown.topicId, before.topicId)
  assert.deepEqual(grown.configs, { 'segment.ms': '5000' })
  assert.deepEqual(grown.partitions.map((p) => [p.partition, p.leader, p.replicas]), [0, 1, 2, 3, 4].map((i) => [i, 7, [7]]))
  assert.equal(store.topic('grow'), grown)
  assert.equal(store.topicById(before.topicId), grown)
  // The old object is not mutated (handlers may hold it).
  assert.equal(before.partitions.length, 2)

  await store.registerBroker({ nodeId: 1, host: 'b1', port: 9, rack: null })
  const explicit = await store.createPartitions('grow', 7, [[1, 7], [2]])
  assert.deepEqual(explicit.partitions.slice(5).map((p) => [p.partition, p.leader, p.replicas, p.isr]), [[5, 1, [1, 7], [1, 7]], [6, -1, [2], []]])

  await assert.rejects(store.createPartitions('grow', 7, []), kafkaError('INVALID_PARTITIONS', '7'))
  await assert.rejects(store.createPartitions('grow', 3, []), kafkaError('INVALID_PARTITIONS'))
  await assert.rejects(store.createPartitions('grow', 9, on7(1)), kafkaError('INVALID_REPLICA_ASSIGNMENT'))
  await assert.rejects(store.createPartitions('nope', 9, on7(2)), kafkaError('UNKNOWN_TOPIC_OR_PARTITION', 'nope'))
  assert.equal(store.topic('grow')!.partitions.length, 7)
  assert.deepEqual((await storedJson(dir)).topics[0]!.partitions.map((p) => p.replicas), [[7], [7], [7], [7], [7], [1, 7], [2]])
})

test('setTopicConfigs replaces the overrides; unknown topic refused', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  const created = await store.createTopic(newTopic('c', 1, { 'retention.ms': '1', 'segment.ms': '2' }))
  const updated = await store.setTopicConfigs('c', { 'cleanup.policy': 'compact' })
  assert.deepEqual(updated.configs, { 'cleanup.policy': 'compact' }, 'replaced, not merged')
  assert.equal(updated.topicId, created.topicId)
  assert.equal(store.topicById(created.topicId), updated)
  assert.deepEqual(created.configs, { 'retention.ms': '1', 'segment.ms': '2' }, 'the old object is not mutated')
  const cleared = await store.setTopicConfigs('c', {})
  assert.deepEqual(cleared.configs, {})
  await assert.rejects(store.setTopicConfigs('missing', { a: 'b' }), kafkaError('UNKNOWN_TOPIC_OR_PARTITION', 'missing'))
})

test('setBrokerConfigs keeps per-broker and cluster-default overrides apart; {} removes them', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  assert.deepEqual(store.brokerConfigs(7), {})
  assert.deepEqual(store.brokerConfigs(null), {})
  await store.setBrokerConfigs(7, { 'log.retention.ms': '100' })
  await store.setBrokerConfigs(null, { 'log.retention.ms': '200', 'log.segment.bytes': '1024' })
  await store.setBrokerConfigs(8, { 'log.roll.ms': '5' })
  assert.deepEqual(store.brokerConfigs(7), { 'log.retention.ms': '100' })
  assert.deepEqual(store.brokerConfigs(8), { 'log.roll.ms': '5' })
  assert.deepEqual(store.brokerConfigs(null), { 'log.retention.ms': '200', 'log.segment.bytes': '1024' })
  assert.deepEqual(store.brokerConfigs(0), {}, 'node 0 is not the default')
  assert.deepEqual((await storedJson(dir)).brokerConfigs, { '7': { 'log.retention.ms': '100' }, '': { 'log.retention.ms': '200', 'log.segment.bytes': '1024' }, '8': { 'log.roll.ms': '5' } })

  // The stored map is a copy of what the caller passed.
  const mine = { 'log.retention.ms': '300' }
  await store.setBrokerConfigs(7, mine)
  mine['log.retention.ms'] = '999'
  assert.deepEqual(store.brokerConfigs(7), { 'log.retention.ms': '300' })

  await store.setBrokerConfigs(8, {})
  assert.deepEqual(store.brokerConfigs(8), {})
  assert.equal('8' in (await storedJson(dir)).brokerConfigs, false)
})

test('everything survives a reopen of the same dir', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir, { clusterId: 'c1' })
  const a = await store.createTopic(newTopic('a', 2, { 'retention.ms': '60000' }))
  const b = await store.createTopic({ ...newTopic('b', 1), assignments: [[7, 9]] })
  await store.createTopic(newTopic('gone', 1))
  await store.deleteTopic('gone')
  await store.createPartitions('a', 4, on7(2))
  await store.setTopicConfigs('b', { 'cleanup.policy': 'compact' })
  await store.setBrokerConfigs(7, { 'log.retention.hours': '1' })
  await store.setBrokerConfigs(null, { 'log.roll.ms': '1000' })
  await store.close()

  const again = await openStore(t, dir)
  assert.equal(again.existed, true)
  assert.equal(again.clusterId, 'c1')
  assert.deepEqual(names(again), ['a', 'b'])
  const a2 = again.topic('a')!
  assert.equal(a2.topicId, a.topicId)
  assert.equal(a2.partitions.length, 4)
  assert.deepEqual(a2.configs, { 'retention.ms': '60000' })
  const b2 = again.topic('b')!
  assert.equal(b2.topicId, b.topicId)
  assert.deepEqual(b2.partitions.map((p) => [p.leader, p.replicas, p.isr]), [[7, [7, 9], [7]]], 'broker 9 never registered, so it is not in sync')
  assert.deepEqual(b2.configs, { 'cleanup.policy': 'compact' })
  assert.equal(again.topicById(a.topicId)?.name, 'a')
  assert.equal(again.topic('gone'), undefined)
  assert.deepEqual(again.brokerConfigs(7), { 'log.retention.hours': '1' })
  assert.deepEqual(again.brokerConfigs(null), { 'log.roll.ms': '1000' })
})

test('the view reads this broker on every call (ports are known only after listen)', async (t) => {
  let self: BrokerInfo = { nodeId: 3, host: 'localhost', port: 0, rack: null }
  const store = await openStore(t, await tempDir(t), { self: () => self })
  assert.equal(store.controllerId(), 3)
  assert.deepEqual(store.brokers(), [self])
  self = { nodeId: 3, host: 'broker.example', port: 19092, rack: 'r1' }
  assert.deepEqual(store.brokers(), [{ nodeId: 3, host: 'broker.example', port: 19092, rack: 'r1' }])
  const t1 = await store.createTopic({ name: 't', assignments: [[3]], configs: {} })
  assert.equal(t1.partitions[0]!.leader, 3)
})

test('listeners get every change after it is durable, in order; failed changes are not announced; unsubscribe works', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  const seen: Array<{ change: MetadataChange; onDisk: string[] }> = []
  const unsubscribe = store.subscribe((change) => {
    // The file already holds the change when the listener runs (read now, before the next write).
    const file = JSON.parse(readFileSync(join(dir, METADATA_FILE), 'utf8')) as { topics: Array<{ name: string; partitions: unknown[] }> }
    seen.push({ change, onDisk: file.topics.map((x) => `${x.name}/${x.partitions.length}`) })
  })
  const a = await store.createTopic(newTopic('a', 1))
  await assert.rejects(store.createTopic(newTopic('a', 1)))
  const grown = await store.createPartitions('a', 3, on7(2))
  const configured = await store.setTopicConfigs('a', { 'retention.ms': '5' })
  await store.setBrokerConfigs(null, { x: 'y' })
  await store.setBrokerConfigs(7, { x: 'z' })
  const deleted = await store.deleteTopic('a')

  assert.deepEqual(
    seen.map((s) => s.change),
    [
      { type: 'topicCreated', topic: a },
      { type: 'partitionsCreated', topic: grown, from: 1 },
      { type: 'topicConfigChanged', topic: configured },
      { type: 'brokerConfigChanged', nodeId: null },
      { type: 'brokerConfigChanged', nodeId: 7 },
      { type: 'topicDeleted', topic: deleted },
    ],
  )
  assert.deepEqual(
    seen.map((x) => x.onDisk),
    [['a/1'], ['a/3'], ['a/3'], ['a/3'], ['a/3'], []],
  )

  unsubscribe()
  await store.createTopic(newTopic('b', 1))
  assert.equal(seen.length, 6)
})

test('a failed write rolls memory back, throws KAFKA_STORAGE_ERROR, announces nothing; the store keeps working', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  const a = await store.createTopic(newTopic('a', 2, { 'retention.ms': '1' }))
  await store.setBrokerConfigs(null, { 'log.roll.ms': '10' })
  const changes: MetadataChange[] = []
  store.subscribe((c) => changes.push(c))
  const repair = await breakMetadataFile(dir)

  const storageError = kafkaError('KAFKA_STORAGE_ERROR', join(dir, METADATA_FILE))
  await assert.rejects(store.createTopic(newTopic('b.c', 1)), storageError)
  await assert.rejects(store.deleteTopic('a'), storageError)
  await assert.rejects(store.createPartitions('a', 10, on7(8)), storageError)
  await assert.rejects(store.setTopicConfigs('a', { 'retention.ms': '2' }), storageError)
  await assert.rejects(store.setBrokerConfigs(null, { 'log.roll.ms': '20' }), storageError)
  await assert.rejects(store.setBrokerConfigs(7, { 'log.roll.ms': '30' }), storageError)
  await assert.rejects(store.setBrokerConfigs(null, {}), storageError)
  assert.equal(changes.length, 0)

  // Memory is as it was before each failed change.
  assert.deepEqual(names(store), ['a'])
  assert.equal(store.topic('b.c'), undefined)
  assert.equal(store.topic('a'), a)
  assert.equal(store.topicById(a.topicId), a)
  assert.equal(store.topic('a')!.partitions.length, 2)
  assert.deepEqual(store.topic('a')!.configs, { 'retention.ms': '1' })
  assert.deepEqual(store.brokerConfigs(null), { 'log.roll.ms': '10' })
  assert.deepEqual(store.brokerConfigs(7), {})

  // After the disk is fixed, the store carries on; the rolled-back names and keys are free.
  await repair()
  await store.createTopic(newTopic('b_c', 1))
  await assert.rejects(store.createTopic(newTopic('a', 1)), kafkaError('TOPIC_ALREADY_EXISTS'))
  assert.deepEqual(changes.map((c) => c.type), ['topicCreated'])
  await store.close()
  const again = await openStore(t, dir)
  assert.deepEqual(names(again), ['a', 'b_c'])
  assert.equal(again.topic('a')!.partitions.length, 2)
  assert.deepEqual(again.brokerConfigs(null), { 'log.roll.ms': '10' })
})

test('a metadata path that cannot be read (a directory) makes open() fail', async (t) => {
  const dir = await tempDir(t)
  await mkdir(join(dir, METADATA_FILE, 'x'), { recursive: true })
  await assert.rejects(LocalMetadataStore.open({ dir, self: () => SELF }), { code: 'EISDIR' })
})

test('a corrupt or unknown-format file gives a clear error naming the file', async (t) => {
  const dir = await tempDir(t)
  const path = join(dir, METADATA_FILE)
  const cases: Array<[string, RegExp]> = [
    ['{"version": 1, "clusterId": "x", "topics": [', /not valid JSON/],
    ['', /not valid JSON/],
    ['null', /unknown format/],
    ['42', /unknown format/],
    ['[]', /unknown format/],
    ['{"version": 3, "clusterId": "x", "topics": []}', /unknown format \(version 3\).*versions 1 and 2/],
    ['{"clusterId": "x", "topics": []}', /unknown format/],
    ['{"version": 1, "topics": []}', /unknown format/],
    ['{"version": 1, "clusterId": "x", "topics": {}}', /unknown format/],
  ]
  for (const [text, expected] of cases) {
    await writeFile(path, text)
    await assert.rejects(LocalMetadataStore.open({ dir, self: () => SELF }), (e: Error) => {
      assert.match(e.message, expected, `for ${JSON.stringify(text)}: ${e.message}`)
      assert.ok(e.message.includes(path), `names the file for ${JSON.stringify(text)}: ${e.message}`)
      return true
    })
    // The bad file is left alone for the operator.
    assert.equal(await readFile(path, 'utf8'), text)
  }
  // A file without brokerConfigs (optional) is fine.
  await writeFile(path, JSON.stringify({ version: 1, clusterId: 'x', topics: [{ name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', replicas: [[1]], configs: {} }] }))
  const store = await openStore(t, dir)
  assert.equal(store.clusterId, 'x')
  assert.equal(store.topic('t')?.partitions[0]?.leader, 1)
  assert.deepEqual(store.brokerConfigs(null), {})
})

test('concurrent mutations are serialised: applied, written and announced in call order', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  const order: string[] = []
  store.subscribe((c) => order.push(c.type === 'brokerConfigChanged' ? `${c.type}:${String(c.nodeId)}` : !('topic' in c) ? c.type : `${c.type}:${c.topic.name}:${c.topic.partitions.length}:${JSON.stringify(c.topic.configs)}`))

  const ops: Array<Promise<unknown>> = []
  for (let i = 0; i < 10; i++) ops.push(store.createTopic(newTopic(`t${i}`, 1)))
  ops.push(store.createTopic(newTopic('t3', 1))) // fails: exists by now
  for (let i = 0; i < 10; i++) ops.push(store.setTopicConfigs('t0', { 'retention.ms': String(i) }))
  ops.push(store.createPartitions('t1', 2, on7(1)), store.createPartitions('t1', 3, on7(1)), store.createPartitions('t1', 3, on7(0)))
  ops.push(store.deleteTopic('t2'), store.deleteTopic('t2'))
  ops.push(store.setBrokerConfigs(null, { a: '1' }), store.setBrokerConfigs(null, { a: '2' }))
  const results = await Promise.allSettled(ops)

  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [[i, (r.reason as KafkaError).errorName]] : []))
  assert.deepEqual(failed, [
    [10, 'TOPIC_ALREADY_EXISTS'],
    [23, 'INVALID_PARTITIONS'],
    [25, 'UNKNOWN_TOPIC_OR_PARTITION'],
  ])
  assert.deepEqual(order, [
    ...Array.from({ length: 10 }, (_, i) => `topicCreated:t${i}:1:{}`),
    ...Array.from({ length: 10 }, (_, i) => `topicConfigChanged:t0:1:{"retention.ms":"${i}"}`),
    'partitionsCreated:t1:2:{}',
    'partitionsCreated:t1:3:{}',
    'topicDeleted:t2:1:{}',
    'brokerConfigChanged:null',
    'brokerConfigChanged:null',
  ])
  // The file holds the last state, which a reopen sees.
  const file = await storedJson(dir)
  assert.deepEqual(file.topics.find((x) => x.name === 't0')?.configs, { 'retention.ms': '9' })
  assert.equal(file.topics.find((x) => x.name === 't1')?.partitions.length, 3)
  assert.deepEqual(file.brokerConfigs, { '': { a: '2' } })
  await store.close()
  const again = await openStore(t, dir)
  assert.deepEqual(names(again), ['t0', 't1', 't3', 't4', 't5', 't6', 't7', 't8', 't9'])
  assert.deepEqual(again.topic('t0')!.configs, { 'retention.ms': '9' })
})

test('close() waits for mutations in flight', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  let done = false
  const created = store.createTopic(newTopic('late', 1)).then(() => (done = true))
  await store.close()
  assert.equal(done, true)
  await created
  const again = await openStore(t, dir)
  assert.deepEqual(names(again), ['late'])
})

test('alterPartition: a compare-and-swap on the partition epoch; the change is stored, bumps the epoch and is announced', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  await store.registerBroker({ nodeId: 1, host: 'b1', port: 9, rack: 'r1' })
  await store.createTopic({ name: 'p', assignments: [[7, 1]], configs: {} })
  const seen: string[] = []
  store.subscribe((c) => {
    if (c.type === 'partitionChanged') seen.push(`${c.previous.partitionEpoch}->${c.partition.partitionEpoch} leader ${c.partition.leader}@${c.partition.leaderEpoch} isr ${c.partition.isr}`)
  })
  const start = store.topic('p')!.partitions[0]!
  assert.deepEqual([start.leader, start.leaderEpoch, start.partitionEpoch, start.isr], [7, 0, 0, [7, 1]])
  // The leader shrinks the ISR (Kafka's AlterPartition): same leader epoch, partition epoch + 1.
  const shrunk = await store.alterPartition({ topic: 'p', partition: 0, partitionEpoch: 0, isr: [7] })
  assert.deepEqual([shrunk.leader, shrunk.leaderEpoch, shrunk.partitionEpoch, shrunk.isr], [7, 0, 1, [7]])
  // A change decided on the old state is refused.
  await assert.rejects(store.alterPartition({ topic: 'p', partition: 0, partitionEpoch: 0, isr: [7, 1] }), kafkaError('INVALID_UPDATE_VERSION', 'partition epoch 0'))
  // A new leader needs a newer leader epoch (bumped when not given), a replica, and itself in the ISR.
  await assert.rejects(store.alterPartition({ topic: 'p', partition: 0, partitionEpoch: 1, leader: 1, leaderEpoch: 0, isr: [1] }), kafkaError('FENCED_LEADER_EPOCH'))
  await assert.rejects(store.alterPartition({ topic: 'p', partition: 0, partitionEpoch: 1, leader: 5, isr: [5] }), kafkaError('INELIGIBLE_REPLICA', 'Broker 5'))
  await assert.rejects(store.alterPartition({ topic: 'p', partition: 0, partitionEpoch: 1, leader: 1, isr: [7] }), kafkaError('INVALID_REQUEST', 'leader 1'))
  await assert.rejects(store.alterPartition({ topic: 'p', partition: 3, partitionEpoch: 0 }), kafkaError('UNKNOWN_TOPIC_OR_PARTITION'))
  const moved = await store.alterPartition({ topic: 'p', partition: 0, partitionEpoch: 1, leader: 1, isr: [1] })
  assert.deepEqual([moved.leader, moved.leaderEpoch, moved.partitionEpoch, moved.isr], [1, 1, 2, [1]])
  assert.deepEqual(seen, ['0->1 leader 7@0 isr 7', '1->2 leader 1@1 isr 1'])
  // Stored: a reopened store has the state, not one derived from the replica lists.
  await store.close()
  const again = await openStore(t, dir)
  const p = again.topic('p')!.partitions[0]!
  assert.deepEqual([p.leader, p.leaderEpoch, p.partitionEpoch, p.isr, p.replicas], [1, 1, 2, [1], [7, 1]])
})

test('alterPartition: of concurrent changes based on the same partition epoch, exactly one wins', async (t) => {
  const store = await openStore(t, await tempDir(t))
  await store.registerBroker({ nodeId: 1, host: 'b1', port: 9, rack: null })
  await store.registerBroker({ nodeId: 2, host: 'b2', port: 9, rack: null })
  await store.createTopic({ name: 'race', assignments: [[7, 1, 2]], configs: {} })
  const outcomes = await Promise.allSettled([
    store.alterPartition({ topic: 'race', partition: 0, partitionEpoch: 0, isr: [7, 1] }),
    store.alterPartition({ topic: 'race', partition: 0, partitionEpoch: 0, isr: [7, 2] }),
    store.alterPartition({ topic: 'race', partition: 0, partitionEpoch: 0, leader: 1, isr: [1, 2] }),
    store.alterPartition({ topic: 'race', partition: 0, partitionEpoch: 0, isr: [7] }),
  ])
  const won = outcomes.filter((o) => o.status === 'fulfilled')
  assert.equal(won.length, 1)
  for (const o of outcomes) if (o.status === 'rejected') assert.equal((o.reason as KafkaError).errorName, 'INVALID_UPDATE_VERSION')
  assert.equal(store.topic('race')!.partitions[0]!.partitionEpoch, 1)
})

test('broker registration: brokers() lists registered ones; a taken id is refused; events for both', async (t) => {
  const store = await openStore(t, await tempDir(t))
  const events: string[] = []
  store.subscribe((c) => {
    if (c.type === 'brokerRegistered' || c.type === 'brokerUnregistered') events.push(`${c.type}:${c.broker.nodeId}`)
  })
  await store.registerBroker({ nodeId: 3, host: 'b3', port: 9093, rack: 'r' })
  assert.deepEqual(store.brokers().map((b) => b.nodeId), [3, 7])
  await assert.rejects(store.registerBroker({ nodeId: 3, host: 'x', port: 1, rack: null }), kafkaError('DUPLICATE_BROKER_REGISTRATION', 'Broker 3'))
  await assert.rejects(store.registerBroker({ ...SELF }), kafkaError('DUPLICATE_BROKER_REGISTRATION', 'Broker 7'))
  await store.unregisterBroker(3)
  await assert.rejects(store.unregisterBroker(3), kafkaError('BROKER_ID_NOT_REGISTERED'))
  assert.deepEqual(store.brokers().map((b) => b.nodeId), [7])
  assert.deepEqual(events, ['brokerRegistered:3', 'brokerUnregistered:3'])
})

test('a version 1 metadata file (replica lists only) is read with the state it implied and written back as version 2', async (t) => {
  const dir = await tempDir(t)
  const v1 = { version: 1, clusterId: 'c1', topics: [{ name: 'old', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', replicas: [[7], [7]], configs: { 'retention.ms': '5' } }], brokerConfigs: {} }
  await writeFile(join(dir, METADATA_FILE), JSON.stringify(v1))
  const store = await openStore(t, dir)
  assert.equal(store.existed, true)
  assert.deepEqual(store.topic('old')!.partitions.map((p) => [p.leader, p.leaderEpoch, p.partitionEpoch, p.isr]), [[7, 0, 0, [7]], [7, 0, 0, [7]]])
  await store.alterPartition({ topic: 'old', partition: 1, partitionEpoch: 0, leaderEpoch: 3 })
  const file = await storedJson(dir)
  assert.equal(file.version, 2)
  assert.deepEqual(file.topics[0]!.partitions[1], { replicas: [7], leader: 7, leaderEpoch: 3, partitionEpoch: 1, isr: [7] })
})

const contractDirs = new WeakMap<object, string>()
runStoreContract(
  'local',
  async (t) => {
    const dir = await tempDir(t)
    const store = await openStore(t, dir)
    contractDirs.set(store, dir)
    return store
  },
  async (t, store) => openStore(t, contractDirs.get(store)!),
)
test('allocateProducerIds: disjoint blocks, recorded before they are returned; a failed write allocates nothing; a bad stored value stops the open', async (t) => {
  const dir = await tempDir(t)
  const faults = new FaultHooks()
  const store = await LocalMetadataStore.open({ dir, self: () => SELF, faults })
  const a = await store.allocateProducerIds(1000)
  const b = await store.allocateProducerIds(10)
  assert.deepEqual([a, b], [{ firstProducerId: 0n, count: 1000 }, { firstProducerId: 1000n, count: 10 }])
  faults.failNext('metadata.write')
  await assert.rejects(store.allocateProducerIds(5), kafkaError('KAFKA_STORAGE_ERROR', 'no producer ids were allocated'))
  assert.deepEqual(await store.allocateProducerIds(5), { firstProducerId: 1010n, count: 5 })
  await assert.rejects(store.allocateProducerIds(0), kafkaError('INVALID_REQUEST'))
  await store.close()
  const reopened = await openStore(t, dir)
  assert.deepEqual(await reopened.allocateProducerIds(1), { firstProducerId: 1015n, count: 1 }, 'a restart continues after the last block')
  await reopened.close()
  const state = JSON.parse(await readFile(join(dir, METADATA_FILE), 'utf8'))
  await writeFile(join(dir, METADATA_FILE), JSON.stringify({ ...state, nextProducerId: 'lots' }))
  await assert.rejects(LocalMetadataStore.open({ dir, self: () => SELF }), /invalid nextProducerId/)
})

test('a change is not visible until its file write is done; a failed write was never visible', async (t) => {
  const dir = await tempDir(t)
  const faults = new FaultHooks()
  const store = await LocalMetadataStore.open({ dir, self: () => SELF, faults })
  t.after(() => store.close())
  const pending = store.createTopic({ name: 'slow', assignments: [[SELF.nodeId]], configs: {} })
  let done = false
  void pending.then(() => (done = true))
  let turns = 0
  while (!done) {
    assert.equal(store.topic('slow'), undefined, 'not visible while the file is being written')
    turns++
    await new Promise((r) => setImmediate(r))
  }
  assert.ok(turns > 1, 'the write took more than one turn of the event loop')
  assert.ok(store.topic('slow'))
  faults.failNext('metadata.write')
  const failing = store.createTopic({ name: 'never', assignments: [[SELF.nodeId]], configs: {} })
  assert.equal(store.topic('never'), undefined)
  await assert.rejects(failing, kafkaError('KAFKA_STORAGE_ERROR'))
  assert.equal(store.topic('never'), undefined)
})

test('createAcls whose write fails adds no ACL, not even in memory, and announces nothing', async (t) => {
  const dir = await tempDir(t)
  const faults = new FaultHooks()
  const store = await LocalMetadataStore.open({ dir, self: () => SELF, faults })
  t.after(() => store.close())
  let events = 0
  store.subscribe((c) => {
    if (c.type === 'aclsChanged') events++
  })
  const binding = { pattern: { resourceType: 'TOPIC', name: 't', patternType: 'LITERAL' }, entry: { principal: 'User:a', host: '*', operation: 'READ', permission: 'ALLOW' } } as const
  faults.failNext('metadata.write')
  const failing = store.createAcls([binding, { ...binding, pattern: { ...binding.pattern, name: 'u' } }])
  assert.equal(store.acls().length, 0)
  await assert.rejects(failing, kafkaError('KAFKA_STORAGE_ERROR'))
  assert.equal(store.acls().length, 0)
  assert.equal(events, 0)
  await store.createAcls([binding])
  assert.equal(store.acls().length, 1)
})

test('SCRAM credentials are written salted (never the password), and a damaged one refuses the file', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  const { credentialFromPassword, scramMechanism } = await import('../../src/security/sasl/scram-credential.js')
  await store.alterScramCredentials('alice', scramChange('SCRAM-SHA-512', credentialFromPassword(scramMechanism('SCRAM-SHA-512')!, 'alice-secret', 4096)))
  const text = await readFile(join(dir, METADATA_FILE), 'utf8')
  assert.ok(!text.includes('alice-secret'))
  const stored = JSON.parse(text).scramCredentials.alice['SCRAM-SHA-512']
  assert.deepEqual(Object.keys(stored).sort(), ['iterations', 'salt', 'serverKey', 'storedKey'])
  assert.equal(Buffer.from(stored.storedKey, 'base64').length, 64)
  await store.close()
  const damaged = JSON.parse(text)
  damaged.scramCredentials.alice['SCRAM-SHA-512'].storedKey = 'AAAA'
  await writeFile(join(dir, METADATA_FILE), JSON.stringify(damaged))
  await assert.rejects(LocalMetadataStore.open({ dir, self: () => SELF }), /holds a SCRAM credential this Samsa cannot read \(user "alice", "SCRAM-SHA-512"\); restore the file from a backup/)
})
