/**
 * Rolling restart and group coordinator failover in a real cluster (an etcd and three broker
 * processes):
 * - every broker in turn stopped cleanly (SIGTERM: it hands its leaderships on) and started
 *   again while an idempotent librdkafka producer writes with acks=all and a consumer group
 *   (Samsa's consumer) reads: every record is acknowledged (the client only retried), none is
 *   lost, duplicated or moved, and the group reads them all;
 * - the broker coordinating a group killed with SIGKILL while Samsa's consumer reads: the
 *   group moves with the leadership of its __consumer_offsets partition (replication factor
 *   3), its committed offsets are still there, and the consumer goes on from them.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { requireEtcd } from './etcd-harness.js'
import { processCluster, trace } from '../helpers/process-cluster.js'
import { attemptsOf, readBackAcked, startAckedProducer } from '../helpers/acked-producer.js'
import { anomalyCount, checkHistory, describeReport } from '../helpers/history-checker.js'
import { hasCommand, hasPythonModule, requireTool } from '../helpers/tools.js'
import { Consumer } from '../../src/client/consumer/consumer.js'
import { createLogger } from '../../src/util/logger.js'

const PARTITIONS = 6

// The group's reader is Samsa's consumer, not kafkajs: kafkajs 2.2.4's fetch loop can spin
// without yielding once its broker pool changes under it (tulios/kafkajs#1384, #1387), which
// starved this test's event loop until the file timed out: when the cluster's teardown stopped
// the brokers before the consumer was disconnected, a CPU profile of the hung process showed
// kafkajs's FetchManager and Runner.fetch only. kafkajs's group failover is tested on
// one broker in test/interop/groups-kafkajs.test.ts.
test('a rolling restart of all three brokers under idempotent acks=all load: every record acknowledged, none lost or duplicated; a consumer group reads them all', { timeout: 240_000 }, async (t) => {
  if (!requireEtcd(t)) return
  if (!requireTool(t, 'python3-confluent-kafka', () => hasPythonModule('confluent_kafka'))) return
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const c = await processCluster(t, 3, { 'min.insync.replicas': '2' })
  const admin = c.admin()
  await admin.createTopics([{ topic: 'rolling', numPartitions: PARTITIONS, replicationFactor: 3 }])
  trace('topic created')
  const consumer = new Consumer({ bootstrapServers: c.bootstrap(), groupId: 'rolling-group', autoOffsetReset: 'earliest', sessionTimeoutMs: 10_000, logger: createLogger({ level: 'silent' }) })
  const seen = new Set<string>()
  let reading = true
  let readError: unknown
  await consumer.subscribe('rolling')
  const reader = (async () => {
    while (reading) for (const r of await consumer.poll({ timeoutMs: 200 })) seen.add(r.value!.toString())
  })().catch((err) => (readError = err))
  t.after(async () => {
    reading = false
    await reader
    await consumer.close().catch(() => undefined)
  })
  trace('consumer running')

  const count = 8000
  const run = startAckedProducer(c.bootstrap(), { topic: 'rolling', partitions: PARTITIONS, count, rate: 500, idempotent: true, timeoutMs: 60_000 })
  t.after(() => run.kill())
  await c.waitFor('records flowing', async () => run.acked() >= 500)
  for (const id of [0, 1, 2]) {
    await c.stop(id)
    await c.start(id)
    await c.waitFor(`broker ${id} back in every ISR`, async () => {
      const [d] = await admin.describeTopics(['rolling'])
      return d!.partitions.every((p) => p.isr.length === 3)
    }, 60_000)
  }
  trace(`restarts done; waiting for the producer (${run.acked()} of ${count} acknowledged)`)
  await run.done
  trace('producer done')
  const failed = run.deliveries.filter((d) => d.e !== null)
  assert.deepEqual(failed.slice(0, 5), [], `every record acknowledged (${failed.length} failed)`)
  const attempts = attemptsOf(run, count, PARTITIONS)
  const report = checkHistory(attempts, await readBackAcked(c.bootstrap(), admin, 'rolling', attempts))
  t.diagnostic(describeReport(report))
  assert.equal(anomalyCount(report), 0, describeReport(report))
  assert.equal(report.acked, count)
  trace(`history checked; the group has read ${seen.size}`)
  await c.waitFor('the group to read every record', async () => {
    if (readError) throw readError
    return seen.size === count
  }, 60_000)
  // Closed here, while the brokers run (the cluster's teardown stops them first).
  reading = false
  await reader
  await consumer.close()
})

test('SIGKILL of the group coordinator: the group moves with its __consumer_offsets partition, committed offsets survive, Samsa\'s consumer goes on', { timeout: 180_000 }, async (t) => {
  if (!requireEtcd(t)) return
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const c = await processCluster(t, 3, { 'min.insync.replicas': '2' })
  const admin = c.admin()
  await admin.createTopics([{ topic: 'grouped', numPartitions: 3, replicationFactor: 3 }])
  const produce = async (from: number, n: number) => {
    const lines = Array.from({ length: n }, (_, i) => `v-${from + i}`).join('\n') + '\n'
    const { runTool } = await import('../helpers/tools.js')
    const r = await runTool('kcat', ['-P', '-b', c.bootstrap(), '-t', 'grouped', '-X', 'acks=all'], { input: lines, timeoutMs: 60_000 })
    assert.equal(r.code, 0, r.stderr)
  }
  await produce(0, 300)
  const consumer = new Consumer({ bootstrapServers: c.bootstrap(), groupId: 'moving', autoOffsetReset: 'earliest', sessionTimeoutMs: 10_000, logger: createLogger({ level: 'silent' }) })
  t.after(() => consumer.close().catch(() => undefined))
  await consumer.subscribe('grouped')
  const seen = new Set<string>()
  const drain = async (target: number, what: string) => {
    const deadline = Date.now() + 60_000
    while (seen.size < target) {
      if (Date.now() > deadline) throw new Error(`timed out reading ${what}: ${seen.size} of ${target}`)
      for (const r of await consumer.poll({ timeoutMs: 500 })) seen.add(r.value!.toString())
    }
    await consumer.commit()
  }
  await drain(300, 'the first 300')
  trace('read and committed the first 300')
  const before = await admin.listGroupOffsets('moving')
  assert.equal(before.reduce((n, o) => n + Number(o.offset), 0), 300, 'committed to the end')
  const [group] = await admin.describeGroups(['moving'])
  const coordinator = group!.coordinator
  await c.kill(coordinator)
  await produce(300, 300)
  trace('produced 300 more after the kill')
  await drain(600, 'the next 300 after the coordinator died')
  trace('read and committed them')
  const [moved] = await admin.describeGroups(['moving'])
  assert.notEqual(moved!.coordinator, coordinator, 'another broker coordinates the group')
  const after = await admin.listGroupOffsets('moving')
  assert.equal(after.reduce((n, o) => n + Number(o.offset), 0), 600, 'commits after the failover land, on top of those before it')
  // A fresh member of the group starts from the committed offsets: nothing is read twice.
  await consumer.close()
  const fresh = new Consumer({ bootstrapServers: c.bootstrap(), groupId: 'moving', autoOffsetReset: 'earliest', logger: createLogger({ level: 'silent' }) })
  t.after(() => fresh.close().catch(() => undefined))
  await fresh.subscribe('grouped')
  await produce(600, 30)
  trace('a fresh member subscribed; 30 more produced')
  const again: string[] = []
  const deadline = Date.now() + 60_000
  while (again.length < 30 && Date.now() < deadline) for (const r of await fresh.poll({ timeoutMs: 500 })) again.push(r.value!.toString())
  trace(`the fresh member read ${again.length}`)
  assert.deepEqual(again.sort(), Array.from({ length: 30 }, (_, i) => `v-${600 + i}`).sort(), 'only the records after the committed offsets')
  // Closed while the brokers run: t.after hooks run in the order registered, so the cluster's
  // teardown (registered first) would stop them first and leave the close waiting out its
  // request timeout (30 s) on a dead coordinator.
  await fresh.close()
})
