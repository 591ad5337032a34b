/**
 * Transactional data on a compacted topic through a real broker: a kafkajs transactional producer
 * commits and aborts (interleaved with a plain producer's writes), the broker's cleaner runs
 * (forced through its hook), and kcat consumers — read_committed and read_uncommitted — see
 * exactly each key's latest committed value: the aborted records are gone from the log, not just
 * hidden. With delete.retention.ms=0, `samsa dump-log` shows the markers get a delete horizon on
 * the pass after their data went, and go on the next. `__transaction_state`, where every state
 * change of the transactional id supersedes the last, is cleaned by the same cleaner, and a
 * restart over both cleaned logs goes on: the id initializes again and commits.
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
import { deferrer } from '../helpers/groups.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'

const quiet = createLogger({ level: 'error' })

test('kafkajs transactions on a compacted topic, cleaned: kcat read_committed and read_uncommitted see exactly the latest committed values; markers get a horizon, then go', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const defer = deferrer(t)
  const logDir = mkdtempSync(join(tmpdir(), 'samsa-compacted-txn-'))
  defer(() => rmSync(logDir, { recursive: true, force: true }))
  const CONFIG = { 'log.cleaner.backoff.ms': '3600000', 'transaction.state.log.num.partitions': '1' }
  let b = await startBroker({ logger: quiet, logDirs: [logDir], config: CONFIG })
  defer(() => b.close())
  const topic = 'compacted-txn'
  await b.broker.createTopic(topic, 1, { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.01', 'delete.retention.ms': '0' })

  const kafka = new kafkajs.Kafka({ clientId: 'compacted-txn', brokers: [b.bootstrap], logLevel: kafkajs.logLevel.NOTHING })
  const txp = kafka.producer({ transactionalId: 'compacted-txn-1', idempotent: true, maxInFlightRequests: 1 })
  const plain = kafka.producer()
  await txp.connect()
  defer(() => txp.disconnect())
  await plain.connect()
  defer(() => plain.disconnect())
  const latest = new Map<string, string>()
  for (let i = 0; i < 12; i++) {
    const commit = await txp.transaction()
    await commit.send({ topic, messages: [{ key: `k${i % 3}`, value: `c${i}`, partition: 0 }] })
    await commit.commit()
    latest.set(`k${i % 3}`, `c${i}`)
    // An abort over a committed key, and over a key only aborted writes ever had.
    const abort = await txp.transaction()
    await abort.send({ topic, messages: [{ key: `k${i % 3}`, value: `a${i}`, partition: 0 }, { key: 'only-aborted', value: `a${i}`, partition: 0 }] })
    await abort.abort()
    if (i % 4 === 0) {
      await plain.send({ topic, messages: [{ key: 'p', value: `p${i}`, partition: 0 }] })
      latest.set('p', `p${i}`)
    }
  }
  const log = b.broker.replicas.logs.getLog({ topic, partition: 0 })!
  const pass = async () => {
    await log.roll()
    await log.flush()
    const cleaned = await b.broker.replicas.logs.runCleaner()
    return cleaned.find((c) => c.topic === topic)?.result
  }
  const first = await pass()
  assert.ok(first && first.abortedRemoved === 24, `the aborted records were removed: ${JSON.stringify(first)}`)

  const expected = [...latest].map(([k, v]) => `${k}=${v}`).sort()
  const kcat = async (isolation: string) => {
    const r = await runTool('kcat', ['-C', '-b', b.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-X', `isolation.level=${isolation}`, '-f', '%k=%s\n'], { timeoutMs: 30_000 })
    assert.equal(r.code, 0, r.stderr)
    return r.stdout.split('\n').filter((l) => l !== '').sort()
  }
  assert.deepEqual(await kcat('read_committed'), expected)
  assert.deepEqual(await kcat('read_uncommitted'), expected, 'aborted records are gone from the log, not only hidden')

  const markers = async () => {
    const files = (await readdir(join(logDir, `${topic}-0`))).filter((f) => f.endsWith('.log')).map((f) => join(logDir, `${topic}-0`, f))
    const dumped = await runCli(['dump-log', '--files', files.join(',')], { timeoutMs: 60_000 })
    assert.equal(dumped.code, 0, dumped.stderr)
    const control = dumped.stdout.split('\n').filter((l) => l.includes('isControl: true'))
    return { all: control.length, horizoned: control.filter((l) => l.includes('deleteHorizonMs: OptionalLong[')).length }
  }
  const before = await markers()
  assert.equal(before.horizoned, 0, 'markers whose data the first pass removed stay, without a horizon')
  assert.ok(before.all >= 20, `${before.all} markers`)

  // Each pass needs dirty data: one plain write before it.
  await plain.send({ topic, messages: [{ key: 'p', value: 'second', partition: 0 }] })
  latest.set('p', 'second')
  const second = await pass()
  assert.ok(second && second.markersHorizoned > 0, JSON.stringify(second))
  const mid = await markers()
  assert.ok(mid.horizoned > 0 && mid.all === before.all, JSON.stringify(mid))

  await plain.send({ topic, messages: [{ key: 'p', value: 'third', partition: 0 }] })
  latest.set('p', 'third')
  const third = await pass()
  assert.ok(third && third.markersRemoved > 0, JSON.stringify(third))
  const after = await markers()
  assert.ok(after.all < before.all, JSON.stringify({ before, after }))
  const final = [...latest].map(([k, v]) => `${k}=${v}`).sort()
  assert.deepEqual(await kcat('read_committed'), final)
  assert.deepEqual(await kcat('read_uncommitted'), final)

  // __transaction_state: dozens of state records of one transactional id, one left per key.
  const state = b.broker.replicas.logs.getLog({ topic: '__transaction_state', partition: 0 })!
  await state.roll()
  await state.flush()
  const cleanedState = (await b.broker.replicas.logs.runCleaner()).find((c) => c.topic === '__transaction_state')?.result
  assert.ok(cleanedState && cleanedState.recordsRemoved >= 40, JSON.stringify(cleanedState))
  // The coordinator still knows the id: the producer goes on with a new transaction.
  const more = await txp.transaction()
  await more.send({ topic, messages: [{ key: 'k0', value: 'after', partition: 0 }] })
  await more.commit()
  await txp.disconnect()
  await plain.disconnect()

  // Restarted over the cleaned logs: the id's state and the topic's history load back.
  await b.close()
  b = await startBroker({ logger: quiet, logDirs: [logDir], config: CONFIG })
  const again = new kafkajs.Kafka({ clientId: 'compacted-txn-2', brokers: [b.bootstrap], logLevel: kafkajs.logLevel.NOTHING })
  const txp2 = again.producer({ transactionalId: 'compacted-txn-1', idempotent: true, maxInFlightRequests: 1 })
  await txp2.connect()
  defer(() => txp2.disconnect())
  const last = await txp2.transaction()
  await last.send({ topic, messages: [{ key: 'k1', value: 'restarted', partition: 0 }] })
  await last.commit()
  // The cleaned history, then what was written since (not cleaned yet).
  assert.deepEqual(await kcat('read_committed'), [...final, 'k0=after', 'k1=restarted'].sort())
})
