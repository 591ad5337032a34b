/**
 * Exactly once through crashes: a consume-transform-produce worker (test/helpers/ctp-worker.ts,
 * the Samsa client in its own process) copies an input topic to an output topic in
 * transactions that carry the consumed offsets, and is killed with SIGKILL at random moments
 * and restarted, SAMSA_TXN_KILLS times (default 20). Afterwards a read_committed consumer of the
 * output must find every input record exactly once, in its partition's order: the history
 * checker looks for lost, duplicated, reordered and phantom records (Jepsen's lost writes,
 * duplicates, aborted reads) and must find none. The read_uncommitted view shows what the kills
 * left behind (records of aborted transactions), which read_committed must not see.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { startBroker } from '../../src/index.js'
import { Consumer } from '../../src/client/consumer/index.js'
import { Producer } from '../../src/client/producer/index.js'
import { createLogger } from '../../src/util/logger.js'
import { deferrer } from '../helpers/groups.js'
import { anomalyCount, checkHistory, describeReport, type Attempt } from '../helpers/history-checker.js'

const quiet = createLogger({ level: 'error' })
const KILLS = Number(process.env.SAMSA_TXN_KILLS ?? 20)
const RECORDS = 3000
const PARTITIONS = 2

function startWorker(cfg: object): { child: ChildProcess; committed: () => number; ready: Promise<void> } {
  const child = spawn(process.execPath, [new URL('../helpers/ctp-worker.js', import.meta.url).pathname, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let committed = 0
  let onReady!: () => void
  const ready = new Promise<void>((r) => (onReady = r))
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const m = JSON.parse(line) as { e: string }
    if (m.e === 'ready') onReady()
    if (m.e === 'committed') committed++
  })
  child.on('exit', () => onReady())
  return { child, committed: () => committed, ready }
}

async function readOutput(bootstrap: string, topic: string, isolationLevel: 'read_committed' | 'read_uncommitted', atLeast: number, timeoutMs: number) {
  const c = new Consumer({ bootstrapServers: bootstrap, isolationLevel, logger: quiet })
  try {
    c.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })))
    c.seekToBeginning()
    const out: Array<{ partition: number; offset: number; id: string | null }> = []
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline && out.length < atLeast) for (const r of await c.poll({ timeoutMs: 300 })) out.push({ partition: r.partition, offset: Number(r.offset), id: r.value?.toString() ?? null })
    for (const r of await c.poll({ timeoutMs: 300 })) out.push({ partition: r.partition, offset: Number(r.offset), id: r.value?.toString() ?? null })
    return out
  } finally {
    await c.close()
  }
}

test(`consume-transform-produce killed -9 ${KILLS} times and restarted: the output holds every input record exactly once, in order`, { timeout: 170_000 }, async (t) => {
  const defer = deferrer(t)
  const b = await startBroker({ logger: quiet, config: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '1000' } })
  defer(() => b.close())
  await b.broker.createTopic('ctp-in', PARTITIONS)
  await b.broker.createTopic('ctp-out', PARTITIONS)
  const input = new Producer({ bootstrapServers: b.bootstrap, logger: quiet })
  const attempts: Attempt[] = []
  const sent = await input.sendBatch(
    Array.from({ length: RECORDS }, (_, i) => {
      const partition = i % PARTITIONS
      return { topic: 'ctp-in', partition, value: `r${i}` }
    }),
  )
  await input.close()
  sent.forEach((m, i) => attempts.push({ id: `r${i}`, partition: m.partition, seq: Number(m.offset), status: 'acked' }))
  const cfg = { bootstrap: b.bootstrap, input: 'ctp-in', output: 'ctp-out', partitions: PARTITIONS, groupId: 'ctp-kill', transactionalId: 'ctp-kill-tx' }
  let kills = 0
  let progressed = 0
  for (let i = 0; i < KILLS; i++) {
    const w = startWorker(cfg)
    defer(() => w.child.kill('SIGKILL'))
    await w.ready
    // A random moment: some transactions in, often one half done.
    await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 400)))
    progressed += w.committed()
    w.child.kill('SIGKILL')
    await new Promise((r) => w.child.once('exit', r))
    kills++
  }
  const last = startWorker(cfg)
  defer(() => last.child.kill('SIGKILL'))
  const committed = await readOutput(b.bootstrap, 'ctp-out', 'read_committed', RECORDS, 90_000)
  last.child.kill('SIGKILL')
  const report = checkHistory(attempts, committed)
  const uncommitted = await readOutput(b.bootstrap, 'ctp-out', 'read_uncommitted', committed.length, 5000)
  const info = `${kills} kills, ${progressed} transactions committed before kills, ${committed.length} committed records read, ${uncommitted.length - committed.length} records of aborted transactions in the log; ${describeReport(report)}`
  t.diagnostic(info)
  assert.equal(anomalyCount(report), 0, info)
  assert.equal(committed.length, RECORDS, info)
  assert.equal(kills, KILLS)
})
