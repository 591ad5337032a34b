/**
 * ReplicaManager against the embedded broker: start-up reconciliation of logs and metadata,
 * metadata changes reaching storage (logs created, deleted, reconfigured).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker, type StartedBroker } from '../../src/index.js'
import { METADATA_FILE } from '../../src/metadata/local.js'
import { KafkaError } from '../../src/protocol/errors.js'
import { createBatch, encodeBatchSync } from '../../src/protocol/records/batch.js'
import { createLogger } from '../../src/util/logger.js'

const HOUR = 3_600_000
const WEEK = 168 * HOUR

const exists = (p: string) => access(p).then(() => true, () => false)

/** Clean-up steps per test, run last-registered first (brokers close before their dir goes). */
const cleanups = new WeakMap<TestContext, Array<() => Promise<void>>>()

function onCleanup(t: TestContext, fn: () => Promise<void>): void {
  let list = cleanups.get(t)
  if (!list) {
    const steps: Array<() => Promise<void>> = []
    list = steps
    cleanups.set(t, steps)
    t.after(async () => {
      for (const step of steps.reverse()) await step()
    })
  }
  list.push(fn)
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(process.env['SAMSA_TEST_TMP'] ?? tmpdir(), 'samsa-replicas-'))
  onCleanup(t, () => rm(dir, { recursive: true, force: true }))
  return dir
}

interface Started {
  b: StartedBroker
  warnings(): Array<{ msg: string; [k: string]: unknown }>
}

/** Starts a broker on `dir`, closed when the test ends (close() may also be called earlier). */
async function start(t: TestContext, dir: string, config: Record<string, string> = {}): Promise<Started> {
  const lines: string[] = []
  const logger = createLogger({ level: 'warn', write: (l) => lines.push(l) })
  const b = await startBroker({ logDirs: [dir], logger, config })
  let closed: Promise<void> | undefined
  const close = b.close.bind(b)
  b.close = () => (closed ??= close())
  onCleanup(t, () => b.close())
  return { b, warnings: () => lines.map((l) => JSON.parse(l)).filter((r) => r.level === 'warn') }
}

async function append(b: StartedBroker, topic: string, partition: number, records: number): Promise<void> {
  const { log, partition: hosted } = await b.broker.replicas.leaderLog(topic, partition)
  const batch = encodeBatchSync(
    createBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: records }, (_, i) => ({ timestampDelta: 0, offsetDelta: i, key: null, value: Buffer.from(`v${i}`), headers: [] })) }),
  )
  await log.appendAsLeader(batch, { leaderEpoch: hosted.leaderEpoch })
  hosted.maybeIncrementHighWatermark()
}

async function partitionDirs(dir: string, topic: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith(`${topic}-`) || n.startsWith(`${topic}.`)).sort()
}

interface StoredFile {
  version: number
  clusterId: string
  topics: Array<{ name: string; topicId: string; partitions: unknown[]; configs: Record<string, string> }>
  brokerConfigs: Record<string, Record<string, string>>
}

async function editMetadata(dir: string, edit: (s: StoredFile) => void): Promise<void> {
  const path = join(dir, METADATA_FILE)
  const s = JSON.parse(await readFile(path, 'utf8')) as StoredFile
  edit(s)
  await writeFile(path, JSON.stringify(s))
}

function unknownTopic(e: unknown): boolean {
  assert.ok(e instanceof KafkaError, String(e))
  assert.equal(e.errorName, 'UNKNOWN_TOPIC_OR_PARTITION')
  return true
}

test('start-up deletes logs whose topic metadata does not know (the file exists), and keeps the rest', async (t) => {
  const dir = await tempDir(t)
  const first = await start(t, dir)
  await first.b.broker.createTopic('keep', 1)
  await first.b.broker.createTopic('gone', 2)
  await append(first.b, 'keep', 0, 3)
  await append(first.b, 'gone', 1, 2)
  await first.b.close()
  assert.deepEqual(await partitionDirs(dir, 'gone'), ['gone-0', 'gone-1'])

  // The topic was deleted from metadata, but the broker stopped before its logs went.
  await editMetadata(dir, (s) => (s.topics = s.topics.filter((x) => x.name !== 'gone')))
  const second = await start(t, dir)
  assert.deepEqual(await partitionDirs(dir, 'gone'), [])
  assert.equal(second.b.broker.replicas.logs.getLog({ topic: 'gone', partition: 0 }), undefined)
  assert.equal(second.b.broker.metadata.topic('gone'), undefined, 'not adopted')
  assert.deepEqual(
    second.warnings().filter((w) => w.msg === 'deleting log of a deleted topic').map((w) => `${String(w['topic'])}-${String(w['partition'])}`).sort(),
    ['gone-0', 'gone-1'],
  )
  // The known topic is untouched, its high watermark at the log end.
  assert.deepEqual(await partitionDirs(dir, 'keep'), ['keep-0'])
  const keep = second.b.broker.replicas.logs.getLog({ topic: 'keep', partition: 0 })!
  assert.equal(keep.logEndOffset, 3)
  assert.equal(keep.highWatermark, 3)
  await assert.rejects(second.b.broker.replicas.leaderLog('gone', 0), unknownTopic)
})

test('start-up deletes logs of partitions the topic does not have, and of an older topic with the same name', async (t) => {
  const dir = await tempDir(t)
  const first = await start(t, dir)
  const wide = await first.b.broker.createTopic('wide', 4)
  const old = await first.b.broker.createTopic('reborn', 1)
  await append(first.b, 'reborn', 0, 5)
  await append(first.b, 'wide', 0, 1)
  await first.b.close()

  // Metadata says: wide has 2 partitions; reborn was deleted and created again (new id) while logs stayed.
  const newId = 'AAAAAAAAAAAAAAAAAAAAAQ'
  await editMetadata(dir, (s) => {
    for (const x of s.topics) {
      if (x.name === 'wide') x.partitions = x.partitions.slice(0, 2)
      if (x.name === 'reborn') x.topicId = newId
    }
  })
  const second = await start(t, dir)
  assert.deepEqual(await partitionDirs(dir, 'wide'), ['wide-0', 'wide-1'])
  assert.equal(second.b.broker.metadata.topic('wide')!.topicId, wide.topicId)
  assert.equal(second.b.broker.replicas.logs.getLog({ topic: 'wide', partition: 0 })!.logEndOffset, 1)
  assert.equal(second.b.broker.replicas.logs.getLog({ topic: 'reborn', partition: 0 }), undefined, 'the old incarnation is gone')
  assert.notEqual(old.topicId, newId)
  // The new incarnation gets a fresh, empty log with its own id.
  const { log } = await second.b.broker.replicas.leaderLog('reborn', 0)
  assert.equal(log.topicId, newId)
  assert.equal(log.logEndOffset, 0)
})

test('without a metadata file (and no meta.properties), logs are adopted: partition count and topic id from disk', async (t) => {
  const dir = await tempDir(t)
  const first = await start(t, dir)
  const adopt = await first.b.broker.createTopic('adopt', 3)
  await first.b.broker.createTopic('solo', 1)
  await append(first.b, 'adopt', 2, 4)
  await first.b.close()
  // Data from before the store: no metadata file, and a log dir without meta.properties.
  await rm(join(dir, METADATA_FILE))
  await rm(join(dir, 'meta.properties'))
  // A missing middle partition does not lower the count.
  await rm(join(dir, 'adopt-1'), { recursive: true })

  const second = await start(t, dir)
  const md = second.b.broker.metadata
  assert.equal(md.existed, false)
  assert.deepEqual([...md.topics()].map((x) => x.name).sort(), ['adopt', 'solo'])
  const t2 = md.topic('adopt')!
  assert.equal(t2.partitions.length, 3)
  assert.equal(t2.topicId, adopt.topicId, 'topic id from partition.metadata')
  assert.deepEqual(t2.configs, {})
  const log = second.b.broker.replicas.logs.getLog({ topic: 'adopt', partition: 2 })!
  assert.equal(log.logEndOffset, 4)
  assert.equal(log.highWatermark, 4)
  assert.ok(second.warnings().some((w) => w.msg === 'adopting logs found without metadata' && w['topic'] === 'adopt' && w['partitions'] === 3))
  await second.b.broker.replicas.settled()
  assert.deepEqual(await partitionDirs(dir, 'adopt'), ['adopt-0', 'adopt-1', 'adopt-2'], 'the missing partition gets a log')
  // The adopted topics are now in the file.
  const stored = JSON.parse(await readFile(join(dir, METADATA_FILE), 'utf8')) as StoredFile
  assert.deepEqual(stored.topics.map((x) => [x.name, x.partitions.length]).sort(), [['adopt', 3], ['solo', 1]])
  await second.b.close()

  // A third start finds the file: nothing adopted or deleted.
  const third = await start(t, dir)
  assert.equal(third.b.broker.metadata.existed, true)
  assert.equal(third.b.broker.metadata.topic('adopt')!.topicId, adopt.topicId)
  assert.equal(third.b.broker.replicas.logs.getLog({ topic: 'adopt', partition: 2 })!.logEndOffset, 4)
  assert.deepEqual(third.warnings(), [])
})

test('a lost metadata file: the broker starts again and adopts its logs under the same cluster id', async (t) => {
  const dir = await tempDir(t)
  const first = await start(t, dir)
  const clusterId = first.b.broker.metadata.clusterId
  const lost = await first.b.broker.createTopic('lost', 2)
  await append(first.b, 'lost', 1, 2)
  await first.b.close()
  await rm(join(dir, METADATA_FILE))

  const second = await start(t, dir)
  assert.equal(second.b.broker.metadata.clusterId, clusterId, 'the cluster id in meta.properties is kept')
  const t2 = second.b.broker.metadata.topic('lost')!
  assert.equal(t2.topicId, lost.topicId)
  assert.equal(t2.partitions.length, 2)
  assert.equal(second.b.broker.replicas.logs.getLog({ topic: 'lost', partition: 1 })!.highWatermark, 2)
})

test('topic config changes reach the logs: overrides, removal, new partitions, restart', async (t) => {
  const dir = await tempDir(t)
  const s = await start(t, dir)
  const { broker } = s.b
  await broker.createTopic('cfg', 2, { 'retention.ms': '1000', 'segment.bytes': '100000' })
  const log0 = broker.replicas.logs.getLog({ topic: 'cfg', partition: 0 })!
  const log1 = broker.replicas.logs.getLog({ topic: 'cfg', partition: 1 })!
  assert.equal(log0.config.retentionMs, 1000)
  assert.equal(log0.config.segmentBytes, 100000)

  await broker.metadata.setTopicConfigs('cfg', { 'retention.ms': '5000', 'max.message.bytes': '2048', 'flush.messages': '9223372036854775807' })
  await broker.replicas.settled()
  for (const log of [log0, log1]) {
    assert.equal(log.config.retentionMs, 5000)
    assert.equal(log.config.maxMessageBytes, 2048)
    assert.equal(log.config.segmentBytes, 1073741824, 'a removed override falls back to the default')
    assert.equal(log.config.flushMessages, Number.POSITIVE_INFINITY)
  }
  assert.deepEqual(broker.replicas.logConfig(broker.metadata.topic('cfg')!), log0.config)

  // New partitions get the topic's config.
  await broker.metadata.createPartitions('cfg', 3, [[0]])
  await broker.replicas.settled()
  const log2 = broker.replicas.logs.getLog({ topic: 'cfg', partition: 2 })
  assert.ok(log2, 'the new partition has a log')
  assert.equal(log2.config.retentionMs, 5000)

  await broker.metadata.setTopicConfigs('cfg', {})
  await broker.replicas.settled()
  assert.equal(log0.config.retentionMs, WEEK)
  assert.equal(log0.config.maxMessageBytes, 1048588)

  // Overrides apply to logs loaded at start-up too.
  await broker.metadata.setTopicConfigs('cfg', { 'retention.ms': '7000', 'message.timestamp.type': 'LogAppendTime' })
  await s.b.close()
  const again = await start(t, dir)
  const reloaded = again.b.broker.replicas.logs.getLog({ topic: 'cfg', partition: 1 })!
  assert.equal(reloaded.config.retentionMs, 7000)
  assert.equal(reloaded.config.messageTimestampType, 'LogAppendTime')
})

test('static and dynamic broker configs reach the logs of topics without overrides', async (t) => {
  const dir = await tempDir(t)
  const s = await start(t, dir, { 'log.retention.hours': '2', 'log.segment.bytes': '500000' })
  const { broker } = s.b
  await broker.createTopic('plain', 1)
  await broker.createTopic('own', 1, { 'retention.ms': '1234' })
  const plain = broker.replicas.logs.getLog({ topic: 'plain', partition: 0 })!
  const own = broker.replicas.logs.getLog({ topic: 'own', partition: 0 })!
  assert.equal(plain.config.retentionMs, 2 * HOUR, 'static log.retention.hours')
  assert.equal(plain.config.segmentBytes, 500000)
  assert.equal(own.config.retentionMs, 1234)
  assert.equal(own.config.segmentBytes, 500000)

  // The cluster-wide dynamic default beats the static config.
  await broker.metadata.setBrokerConfigs(null, { 'log.retention.minutes': '30', 'log.segment.bytes': '400000' })
  await broker.replicas.settled()
  assert.equal(plain.config.retentionMs, 30 * 60_000)
  assert.equal(plain.config.segmentBytes, 400000)
  assert.equal(own.config.retentionMs, 1234, 'a topic override beats broker configs')
  assert.equal(own.config.segmentBytes, 400000)

  // This broker's dynamic config beats the default.
  await broker.metadata.setBrokerConfigs(broker.nodeId, { 'log.segment.bytes': '300000', 'log.flush.interval.messages': '10' })
  await broker.replicas.settled()
  assert.equal(plain.config.segmentBytes, 300000)
  assert.equal(plain.config.flushMessages, 10)
  assert.equal(plain.config.retentionMs, 30 * 60_000)

  // Another broker's dynamic config does not apply here.
  await broker.metadata.setBrokerConfigs(broker.nodeId + 1, { 'log.segment.bytes': '200000' })
  await broker.replicas.settled()
  assert.equal(plain.config.segmentBytes, 300000)

  // Removing the dynamic configs falls back to the static ones.
  await broker.metadata.setBrokerConfigs(broker.nodeId, {})
  await broker.metadata.setBrokerConfigs(null, {})
  await broker.replicas.settled()
  assert.equal(plain.config.segmentBytes, 500000)
  assert.equal(plain.config.retentionMs, 2 * HOUR)
  assert.equal(plain.config.flushMessages, Number.POSITIVE_INFINITY)

  // Dynamic configs are stored, and apply at the next start.
  await broker.metadata.setBrokerConfigs(null, { 'log.retention.ms': '60000' })
  await s.b.close()
  const again = await start(t, dir, { 'log.retention.hours': '2', 'log.segment.bytes': '500000' })
  assert.equal(again.b.broker.replicas.logs.getLog({ topic: 'plain', partition: 0 })!.config.retentionMs, 60000)
  assert.equal(again.b.broker.replicas.logs.getLog({ topic: 'own', partition: 0 })!.config.retentionMs, 1234)
  // And to topics created later.
  await again.b.broker.createTopic('later', 1)
  assert.equal(again.b.broker.replicas.logs.getLog({ topic: 'later', partition: 0 })!.config.retentionMs, 60000)
})

test('deleting a topic through metadata removes its log dirs once settled', async (t) => {
  const dir = await tempDir(t)
  const s = await start(t, dir)
  const { broker } = s.b
  await broker.createTopic('del', 3)
  await broker.createTopic('stay', 1)
  await append(s.b, 'del', 0, 2)
  await append(s.b, 'stay', 0, 1)
  assert.deepEqual(await partitionDirs(dir, 'del'), ['del-0', 'del-1', 'del-2'])
  const old = broker.replicas.logs.getLog({ topic: 'del', partition: 0 })!

  await broker.metadata.deleteTopic('del')
  await broker.replicas.settled()
  assert.deepEqual(await partitionDirs(dir, 'del'), [])
  assert.equal(broker.replicas.logs.getLog({ topic: 'del', partition: 0 }), undefined)
  assert.equal(old.isClosed, true)
  await assert.rejects(broker.replicas.leaderLog('del', 0), unknownTopic)
  assert.equal(broker.replicas.logs.getLog({ topic: 'stay', partition: 0 })!.logEndOffset, 1)
  assert.ok(await exists(join(dir, 'stay-0')))

  // The name can be used again: a new, empty log with the new id.
  const reborn = await broker.createTopic('del', 1)
  const { log } = await broker.replicas.leaderLog('del', 0)
  assert.equal(log.topicId, reborn.topicId)
  assert.equal(log.logEndOffset, 0)
})

test('metadata changes are applied in order: a topic deleted right after creation leaves no logs', async (t) => {
  const dir = await tempDir(t)
  const s = await start(t, dir)
  const md = s.b.broker.metadata
  // Both changes are queued before either is applied; the logs of the first must not outlive the second.
  const created = md.createTopic({ name: 'brief', assignments: Array.from({ length: 32 }, () => [0]), configs: {} })
  const deleted = md.deleteTopic('brief')
  await created
  await deleted
  await s.b.broker.replicas.settled()
  assert.deepEqual(await partitionDirs(dir, 'brief'), [])
  assert.deepEqual(s.b.broker.replicas.logs.allLogs().filter((l) => l.topic === 'brief').length, 0)
  // And the name can be created again without a topic id clash.
  const again = await s.b.broker.createTopic('brief', 2)
  const { log } = await s.b.broker.replicas.leaderLog('brief', 1)
  assert.equal(log.topicId, again.topicId)
})
