/**
 * A compacted topic through a real broker: kcat writes keyed records and a tombstone over many
 * small segments, the broker's log cleaner runs, and kcat and kafkajs consumers read from offset 0
 * the compacted history — each key's latest value at its ORIGINAL offset, with gaps; `samsa
 * dump-log` prints the same offsets. `__consumer_offsets` is cleaned by the same cleaner, and the
 * committed offsets survive a restart that replays the cleaned (gapped) partition.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import kafkajs from 'kafkajs'
import { startBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'
import { runCli } from '../helpers/broker-process.js'
import { commitRaw, deferrer, fetchCommittedRaw, servedVersions } from '../helpers/groups.js'
import { RawClient } from '../helpers/raw-client.js'
import { waitFor } from '../helpers/wire.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'

const quiet = createLogger({ level: 'error' })
const step = (s: string): void => {
  if (process.env['COMPACT_DEBUG']) console.error(`step: ${s}`)
}
const CONFIG = { 'log.cleaner.backoff.ms': '3600000', 'offsets.topic.segment.bytes': '2048', 'offsets.topic.num.partitions': '1' }

test('kcat and kafkajs read a cleaned compacted topic: latest value per key at its original offset, gaps between', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const defer = deferrer(t)
  const logDir = mkdtempSync(join(tmpdir(), 'samsa-compacted-'))
  defer(() => rmSync(logDir, { recursive: true, force: true }))
  let b = await startBroker({ logger: quiet, logDirs: [logDir], config: CONFIG })
  defer(() => b.close())
  const topic = 'compacted'
  await b.broker.createTopic(topic, 1, { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.01', 'delete.retention.ms': '3600000' })

  // 200 keyed records over 5 keys, then a tombstone for k4 (kcat -Z: an empty value is null).
  const lines = Array.from({ length: 200 }, (_, i) => `k${i % 5}:v${i}`)
  for (const input of [lines.join('\n') + '\n', 'k4:\n']) {
    const produced = await runTool('kcat', ['-P', '-b', b.bootstrap, '-t', topic, '-p', '0', '-K', ':', '-Z', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10'], { input, timeoutMs: 30_000 })
    assert.equal(produced.code, 0, produced.stderr)
  }
  step('const log = b.broker.replicas.')
  const log = b.broker.replicas.logs.getLog({ topic, partition: 0 })!
  await log.roll()
  await log.flush()
  const cleaned = await b.broker.replicas.logs.runCleaner()
  assert.deepEqual(cleaned.map((c) => [c.topic, c.result.recordsRemoved]), [[topic, 196]], 'the compacted topic was cleaned')

  // Expected: offsets 195..198 for k0..k3 (their latest), the tombstone of k4 at 200.
  const expected = ['195 k0 v195', '196 k1 v196', '197 k2 v197', '198 k3 v198', '200 k4 NULL']
  step('const kc = await runTool')
  const kc = await runTool('kcat', ['-C', '-b', b.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-Z', '-f', '%o %k %s\n'], { timeoutMs: 30_000 })
  assert.equal(kc.code, 0, kc.stderr)
  assert.deepEqual(kc.stdout.split('\n').filter((l) => l !== ''), expected)

  step('const kafka = new kafkajs.Kafk')
  const kafka = new kafkajs.Kafka({ clientId: 'compacted', brokers: [b.bootstrap], logLevel: kafkajs.logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: 'compacted-readers' })
  await consumer.connect()
  defer(() => consumer.disconnect())
  await consumer.subscribe({ topic, fromBeginning: true })
  const got: string[] = []
  await new Promise<void>((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => {
      got.push(`${message.offset} ${message.key!.toString()} ${message.value === null ? 'NULL' : message.value.toString()}`)
      if (got.length === expected.length) resolve()
    } }).catch(reject)
  })
  assert.deepEqual(got, expected)
  await consumer.disconnect()

  step('const files = (await readdir')
  const files = (await readdir(join(logDir, `${topic}-0`))).filter((f) => f.endsWith('.log')).map((f) => join(logDir, `${topic}-0`, f))
  const dumped = await runCli(['dump-log', '--files', files.join(','), '--print-data-log'], { timeoutMs: 60_000 })
  assert.equal(dumped.code, 0, dumped.stderr)
  // Record lines (`| offset: N`) show the gaps: only the kept records, at their offsets.
  const offsets = [...dumped.stdout.matchAll(/\| offset: (\d+)/g)].map((m) => Number(m[1]))
  assert.deepEqual(offsets, [195, 196, 197, 198, 200])

  // A delete-policy topic switched to compact with `samsa configs` is cleaned at the next round.
  await b.broker.createTopic('switched', 1, { 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.01' })
  const sw = await runTool('kcat', ['-P', '-b', b.bootstrap, '-t', 'switched', '-p', '0', '-K', ':', '-X', 'batch.num.messages=10'], { input: lines.join('\n') + '\n', timeoutMs: 30_000 })
  assert.equal(sw.code, 0, sw.stderr)
  const switched = b.broker.replicas.logs.getLog({ topic: 'switched', partition: 0 })!
  await switched.roll()
  await switched.flush()
  assert.deepEqual((await b.broker.replicas.logs.runCleaner()).map((c) => c.topic), [], 'cleanup.policy=delete: not cleaned')
  const altered = await runCli(['configs', '--bootstrap-server', b.bootstrap, '--alter', '--topic', 'switched', '--add-config', 'cleanup.policy=compact'], { timeoutMs: 30_000 })
  assert.equal(altered.code, 0, altered.stderr)
  await waitFor(() => switched.config.compact, 'the policy change applied to the log')
  assert.deepEqual((await b.broker.replicas.logs.runCleaner()).map((c) => [c.topic, c.result.recordsRemoved]), [['switched', 195]])

  // __consumer_offsets: many commits of one group, cleaned by the same cleaner, replayed after a restart.
  // The coordinator may still be loading its partition right after start: retry until a commit lands.
  const c = await RawClient.connect(b.port, b.host)
  defer(() => c.close())
  const served = await servedVersions(b.port, b.host)
  await waitFor(async () => (await commitRaw(c, served, { groupId: 'g-cleaned', generationId: -1, memberId: '', topic, offsets: { 0: 0n } })).get(0) === 0, 'a first commit')
  for (let i = 1; i <= 60; i++) assert.equal((await commitRaw(c, served, { groupId: 'g-cleaned', generationId: -1, memberId: '', topic, offsets: { 0: BigInt(i) } })).get(0), 0)
  step('const offsetsLog =')
  const offsetsLog = b.broker.replicas.logs.getLog({ topic: '__consumer_offsets', partition: 0 })!
  await offsetsLog.roll()
  await offsetsLog.flush()
  const cleanedOffsets = await b.broker.replicas.logs.runCleaner()
  assert.ok(cleanedOffsets.some((c) => c.topic === '__consumer_offsets' && c.result.recordsRemoved > 0), JSON.stringify(cleanedOffsets.map((c) => [c.topic, c.result.recordsRemoved])))
  step('await b.close()')
  await b.close()
  b = await startBroker({ logger: quiet, logDirs: [logDir], config: CONFIG })
  const c2 = await RawClient.connect(b.port, b.host)
  defer(() => c2.close())
  const fetched = await waitFor(async () => {
    const r = await fetchCommittedRaw(c2, served, 'g-cleaned', topic, [0])
    return r.errorCode === 0 && r.partitions.get(0)?.errorCode === 0 ? r : undefined
  }, 'the offsets after the restart')
  assert.equal(fetched.partitions.get(0)!.offset, 60n)
})
