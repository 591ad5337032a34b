/**
 * The controller and etcd itself, in a real cluster (an etcd and three broker processes):
 * - the controller killed with SIGKILL: another broker is controller once the dead one's
 *   lease expires (broker.session.timeout.ms 2000 here), and topics can still be created;
 * - etcd frozen (SIGSTOP) for a while under acks=all load: brokers keep serving the partitions
 *   they lead (the ISR is unchanged, so no metadata change is needed), nothing is lost, and
 *   metadata changes work again once etcd answers;
 * - etcd restarted: every topic and partition state is still there.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { requireEtcd } from './etcd-harness.js'
import { processCluster } from '../helpers/process-cluster.js'
import { attemptsOf, readBack, readBackAcked, startAckedProducer } from '../helpers/acked-producer.js'
import { anomalyCount, checkHistory, describeReport } from '../helpers/history-checker.js'
import { hasCommand, hasPythonModule, requireTool } from '../helpers/tools.js'

test('SIGKILL of the controller: a new one within the session timeout, and it can still create topics', async (t) => {
  if (!requireEtcd(t)) return
  const c = await processCluster(t, 3)
  const admin = c.admin()
  const controller = (await admin.describeCluster()).controllerId
  assert.ok(controller !== null && controller >= 0)
  const t0 = Date.now()
  await c.kill(controller)
  await c.waitFor('a new controller', async () => {
    const id = (await admin.describeCluster()).controllerId
    return id !== null && id !== controller
  })
  const elapsed = Date.now() - t0
  t.diagnostic(`new controller after ${elapsed} ms (session timeout 2000 ms)`)
  assert.ok(elapsed < 10_000, `within a few session timeouts: ${elapsed} ms`)
  await admin.createTopics([{ topic: 'after-controller', numPartitions: 4, replicationFactor: 2 }])
  const [d] = await admin.describeTopics(['after-controller'])
  assert.equal(d!.partitions.length, 4)
  assert.ok(d!.partitions.every((p) => p.leader !== null && p.leader !== controller && p.replicas.every((r) => r !== controller)), 'placed on live brokers only')
})

test('etcd frozen under acks=all load: leaders keep serving, nothing is lost; after an etcd restart every topic is still there', { timeout: 120_000 }, async (t) => {
  if (!requireEtcd(t)) return
  if (!requireTool(t, 'python3-confluent-kafka', () => hasPythonModule('confluent_kafka'))) return
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  // A session outlives the freeze, so no broker counts as gone meanwhile.
  const c = await processCluster(t, 3, { 'min.insync.replicas': '2', 'broker.session.timeout.ms': '15000' })
  const admin = c.admin()
  await admin.createTopics([{ topic: 'frozen', numPartitions: 3, replicationFactor: 3 }])
  const count = 6000
  const run = startAckedProducer(c.bootstrap(), { topic: 'frozen', partitions: 3, count, rate: 1000, idempotent: true, timeoutMs: 60_000 })
  t.after(() => run.kill())
  await c.waitFor('records flowing', async () => run.acked() >= 500)
  c.etcd.freeze()
  const before = run.acked()
  await new Promise((r) => setTimeout(r, 4000))
  const during = run.acked() - before
  c.etcd.thaw()
  assert.ok(during > 1000, `acks=all went on while etcd was frozen: ${during} records in 4 s`)
  await run.done
  const attempts = attemptsOf(run, count, 3)
  const report = checkHistory(attempts, await readBackAcked(c.bootstrap(), admin, 'frozen', attempts))
  assert.equal(anomalyCount(report), 0, describeReport(report))
  assert.equal(report.acked, count)
  // Metadata changes work again, and an etcd restart keeps them all.
  await admin.createTopics([{ topic: 'after-thaw', numPartitions: 2, replicationFactor: 3 }])
  const described = async () => (await admin.describeTopics(['frozen', 'after-thaw'])).map((d) => d.partitions.map((p) => [p.replicas.join(','), p.isr.length]))
  const was = await described()
  await c.etcd.stop()
  await c.etcd.restart()
  await c.waitFor('brokers to answer metadata again', async () => (await admin.describeCluster()).brokers.length === 3, 60_000)
  assert.deepEqual(await described(), was)
  const more = await readBack(c.bootstrap(), 'frozen')
  assert.equal(more.length, count)
})
