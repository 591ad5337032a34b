/**
 * Leader failover in a real cluster (an etcd and three broker processes): 6 partitions,
 * replication factor 3, min.insync.replicas=2; librdkafka produces numbered records with
 * acks=all (idempotence off, no retries) while the leader of partition 0 is killed with
 * SIGKILL. The controller elects a new leader from the ISR, the producer goes on, and the
 * history checker finds every acknowledged record exactly once, in order, at the offset it
 * was acknowledged at. The killed broker then returns, truncates what it must, catches up and
 * rejoins the ISR. Also: with one replica left of three, acks=all is refused and acks=1 works.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { requireEtcd } from './etcd-harness.js'
import { processCluster } from '../helpers/process-cluster.js'
import { attemptsOf, readBackAcked, startAckedProducer } from '../helpers/acked-producer.js'
import { anomalyCount, checkHistory, describeReport } from '../helpers/history-checker.js'
import { hasCommand, hasPythonModule, requireTool, runTool } from '../helpers/tools.js'

const PARTITIONS = 6

test('SIGKILL of a partition leader under acks=all load: a new leader from the ISR, the producer goes on, no acknowledged record lost, duplicated or moved', async (t) => {
  if (!requireEtcd(t)) return
  if (!requireTool(t, 'python3-confluent-kafka', () => hasPythonModule('confluent_kafka'))) return
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const c = await processCluster(t, 3, { 'min.insync.replicas': '2' })
  const admin = c.admin()
  await admin.createTopics([{ topic: 'acked', numPartitions: PARTITIONS, replicationFactor: 3 }])
  const count = 6000
  const run = startAckedProducer(c.bootstrap(), { topic: 'acked', partitions: PARTITIONS, count, rate: 1000 })
  t.after(() => run.kill())
  await c.waitFor('1000 acknowledged records', async () => run.acked() >= 1000)
  const victim = await c.leaderOf('acked', 0)
  assert.ok(victim >= 0)
  const killedAt = run.deliveries.length
  const t0 = Date.now()
  await c.kill(victim)
  await c.waitFor('a new leader of partition 0', async () => {
    const l = await c.leaderOf('acked', 0)
    return l >= 0 && l !== victim
  })
  const failoverMs = Date.now() - t0
  await run.done
  const after = run.deliveries.slice(killedAt).filter((d) => d.e === null && d.p === 0).length
  assert.ok(after > 0, 'the producer wrote to partition 0 again after the failover')

  const attempts = attemptsOf(run, count, PARTITIONS)
  const report = checkHistory(attempts, await readBackAcked(c.bootstrap(), admin, 'acked', attempts, (m) => t.diagnostic(m)))
  t.diagnostic(`failover of partition 0 seen by a client after ${failoverMs} ms; ${describeReport(report)}`)
  assert.equal(anomalyCount(report), 0, describeReport(report))
  assert.ok(report.acked > count / 2, `most records acknowledged: ${report.acked}`)

  // The old leader returns as a follower: it catches up and rejoins every ISR.
  await c.start(victim)
  await c.waitFor(`broker ${victim} back in every ISR`, async () => {
    const [d] = await admin.describeTopics(['acked'])
    return d!.partitions.every((p) => p.isr.includes(victim))
  }, 60_000)
  const again = checkHistory(attempts, await readBackAcked(c.bootstrap(), admin, 'acked', attempts, (m) => t.diagnostic(m)))
  assert.equal(anomalyCount(again), 0, describeReport(again))
})

test('one replica of three left with min.insync.replicas=2: acks=all gets NOT_ENOUGH_REPLICAS, acks=1 works', async (t) => {
  if (!requireEtcd(t)) return
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const c = await processCluster(t, 3, { 'min.insync.replicas': '2', 'replica.lag.time.max.ms': '2000' })
  const admin = c.admin()
  await admin.createTopics([{ topic: 'few', numPartitions: 1, replicationFactor: 3 }])
  const leader = await c.leaderOf('few', 0)
  const others = [0, 1, 2].filter((b) => b !== leader)
  for (const b of others) await c.kill(b)
  await c.waitFor('the ISR to shrink to the leader', async () => {
    const [d] = await admin.describeTopics(['few'])
    return d!.partitions[0]!.isr.length === 1
  })
  const all = await runTool('kcat', ['-P', '-b', c.bootstrap(), '-t', 'few', '-p', '0', '-X', 'acks=all', '-X', 'message.send.max.retries=0'], { input: 'x\n', timeoutMs: 30_000 })
  assert.match(all.stderr, /Broker: Not enough in-sync replicas/, all.stderr)
  const one = await runTool('kcat', ['-P', '-b', c.bootstrap(), '-t', 'few', '-p', '0', '-X', 'acks=1'], { input: 'y\n', timeoutMs: 30_000 })
  assert.equal(one.code, 0, one.stderr)
  const read = await runTool('kcat', ['-C', '-b', c.bootstrap(), '-t', 'few', '-e', '-q'], { timeoutMs: 30_000 })
  assert.deepEqual(read.stdout.trim().split('\n'), ['y'], 'the refused record was not written')
})
