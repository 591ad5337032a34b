/**
 * Transactions across a cluster: three brokers on a real etcd, a topic whose three partitions
 * are led by the three brokers, and kafkajs' transactional producer. The coordinator (the leader
 * of the id's `__transaction_state` partition) sends WriteTxnMarkers to the other leaders, so
 * commits and aborts complete and a read_committed consumer sees exactly the committed records.
 * Then the coordinator stops half way through a commit (fault point `txn.markers.send`: its own
 * partition gets its marker, the other leaders none) and is shut down without handing over its
 * leaderships, as a crash would leave them; the new coordinator finds PrepareCommit in the log
 * and finishes the commit.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { startBroker, type StartedBroker } from '../../src/index.js'
import { Consumer } from '../../src/client/consumer/index.js'
import { Admin } from '../../src/client/admin/index.js'
import { TRANSACTION_STATE_TOPIC } from '../../src/coordinator/txn/coordinator.js'
import { TxnState } from '../../src/coordinator/txn/txn-metadata.js'
import { createLogger } from '../../src/util/logger.js'
import { deferrer } from '../helpers/groups.js'
import { EtcdServer, requireEtcd, uniquePrefix } from './etcd-harness.js'

const quiet = createLogger({ level: process.env.TXN_DEBUG ? 'debug' : 'silent' })
const TOPIC = 'spread'

async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const begin = Date.now()
  for (;;) {
    try {
      if (await check()) return
    } catch {
      // not yet: a partition without a leader, a coordinator still loading
    }
    if (Date.now() - begin > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function threeBrokers(t: TestContext, extra: Record<string, string> = {}): Promise<StartedBroker[]> {
  const etcd = await EtcdServer.start(t)
  const prefix = uniquePrefix()
  const brokers: StartedBroker[] = []
  const defer = deferrer(t)
  for (let id = 0; id < 3; id++) {
    const b = await startBroker({
      logger: quiet,
      config: {
        'broker.id': String(id),
        'metadata.store': 'etcd',
        'etcd.endpoints': etcd.endpoint,
        'etcd.prefix': prefix,
        'broker.session.timeout.ms': '2000',
        'transaction.state.log.num.partitions': '3',
        'default.replication.factor': '3',
        'replica.fetch.backoff.ms': '100',
        ...extra,
      },
    })
    brokers.push(b)
    defer(() => b.close())
  }
  const md = brokers[0]!.broker.metadata
  await eventually('every broker registered', () => md.brokers().length === 3)
  await brokers[0]!.broker.createTopic(TOPIC, 3, {})
  await eventually('every broker to lead one partition of the topic', () => {
    const leaders = md.topic(TOPIC)?.partitions.map((p) => p.leader) ?? []
    return new Set(leaders).size === 3 && leaders.every((l) => l >= 0) && brokers.every((b) => b.broker.metadata.topic(TOPIC)?.partitions.every((p) => p.isr.length === 3))
  })
  return brokers
}

/**
 * Every record of the topic through Samsa's consumer, as "partition:value", sorted; waits until
 * `count` arrived. Each delivery's offset goes to `seen` ("partition@offset:value"), for the
 * message of a failed comparison: a value twice at one offset is the consumer's, at two the log's.
 */
async function readAll(bootstrap: string, isolationLevel: 'read_committed' | 'read_uncommitted', count: number, seen: string[] = [], timeoutMs = 15_000): Promise<string[]> {
  const c = new Consumer({ bootstrapServers: bootstrap, isolationLevel, logger: quiet })
  try {
    c.assign([0, 1, 2].map((partition) => ({ topic: TOPIC, partition })))
    c.seekToBeginning()
    const out: string[] = []
    const take = (records: Awaited<ReturnType<Consumer['poll']>>) => {
      for (const r of records) {
        out.push(`${r.partition}:${r.value!.toString()}`)
        seen.push(`${r.partition}@${r.offset}:${r.value!.toString()}`)
      }
    }
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      take(await c.poll({ timeoutMs: 300 }))
      if (out.length >= count) {
        take(await c.poll({ timeoutMs: 300 }))
        break
      }
    }
    return out.sort()
  } finally {
    await c.close()
  }
}

test('kafkajs transactions over partitions led by three brokers: commits and aborts complete, read_committed sees exactly the committed', async (t) => {
  if (!requireEtcd(t)) return
  const defer = deferrer(t)
  const brokers = await threeBrokers(t)
  const bootstrap = brokers.map((b) => b.bootstrap).join(',')
  const kafka = new Kafka({ brokers: [bootstrap.split(',')[0]!], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } })
  const p = kafka.producer({ transactionalId: 'spread-1', idempotent: true, maxInFlightRequests: 1 })
  defer(() => p.disconnect())
  await p.connect()
  const committed: string[] = []
  const all: string[] = []
  const began = Date.now()
  for (let i = 0; i < 6; i++) {
    const tx = await p.transaction()
    const messages = [0, 1, 2].map((partition) => ({ partition, value: `t${i}-p${partition}` }))
    await tx.send({ topic: TOPIC, messages })
    const names = messages.map((m) => `${m.partition}:${m.value}`)
    all.push(...names)
    if (i % 2 === 0) {
      await tx.commit()
      committed.push(...names)
    } else {
      await tx.abort()
    }
  }
  t.diagnostic(`6 transactions over 3 leaders (3 commits, 3 aborts) in ${Date.now() - began} ms`)
  const seen: string[] = []
  assert.deepEqual(await readAll(bootstrap, 'read_committed', committed.length, seen), committed.sort(), `delivered: ${seen.join(' ')}`)
  seen.length = 0
  assert.deepEqual(await readAll(bootstrap, 'read_uncommitted', all.length, seen), all.sort(), `delivered: ${seen.join(' ')}`)
  // The admin APIs find the id at its coordinator, wherever that is.
  const admin = new Admin({ bootstrapServers: bootstrap, logger: quiet })
  defer(() => admin.close())
  const coordinatorId = brokers[0]!.broker.metadata.topic(TRANSACTION_STATE_TOPIC)!.partitions[brokers[0]!.broker.context.txns.partitionFor('spread-1')]!.leader
  await eventually('the last abort to complete', async () => (await admin.describeTransactions(['spread-1']))[0]!.state === 'CompleteAbort')
  const listed = await admin.listTransactions()
  assert.deepEqual(listed.map((l) => [l.transactionalId, l.coordinator, l.state]), [['spread-1', coordinatorId, 'CompleteAbort']])
  const [described] = await admin.describeTransactions(['spread-1'])
  assert.equal(described!.coordinator, coordinatorId)
  // Every partition's last stable offset moved past the last transaction: its markers were written.
  for (const b of brokers) {
    for (const part of b.broker.metadata.topic(TOPIC)!.partitions.filter((x) => x.leader === b.broker.nodeId)) {
      const { log } = await b.broker.replicas.leaderLog(TOPIC, part.partition)
      assert.equal(log.lastStableOffset, log.highWatermark, `partition ${part.partition} on broker ${b.broker.nodeId} has no open transaction`)
    }
  }
})

test('the coordinator stops after PrepareCommit with markers only on its own partition: the new coordinator finishes the commit', async (t) => {
  if (!requireEtcd(t)) return
  const defer = deferrer(t)
  // No handover at close: the leaderships move only once the broker's session is gone, as after a crash.
  const brokers = await threeBrokers(t, { 'controlled.shutdown.enable': 'false' })
  const bootstrap = brokers.map((b) => b.bootstrap).join(',')
  const id = 'spread-crash'
  const kafka = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } })
  const p = kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 })
  defer(() => p.disconnect())
  await p.connect()
  // The first transaction initializes the id (and creates __transaction_state).
  const tx = await p.transaction()
  const md = brokers[0]!.broker.metadata
  await eventually('__transaction_state', () => md.topic(TRANSACTION_STATE_TOPIC) !== undefined)
  const txnPartition = brokers[0]!.broker.context.txns.partitionFor(id)
  const coordinatorId = md.topic(TRANSACTION_STATE_TOPIC)!.partitions[txnPartition]!.leader
  const coordinator = brokers.find((b) => b.broker.nodeId === coordinatorId)!
  const own = md.topic(TOPIC)!.partitions.find((x) => x.leader === coordinatorId)!.partition

  coordinator.broker.faults.failNext('txn.markers.send', { times: Infinity, when: (leader) => leader !== String(coordinatorId) })
  const messages = [0, 1, 2].map((partition) => ({ partition, value: `crash-p${partition}` }))
  await tx.send({ topic: TOPIC, messages })
  await tx.commit()
  // EndTxn answered once PrepareCommit was written; the coordinator's own partition got its
  // marker, the other two are held by the open transaction.
  assert.equal((await coordinator.broker.context.txns.describe(id))?.state, TxnState.PrepareCommit)
  await eventually('the marker on the coordinator’s own partition', async () => {
    const { log } = await coordinator.broker.replicas.leaderLog(TOPIC, own)
    return log.lastStableOffset === log.highWatermark
  })
  for (const b of brokers.filter((x) => x !== coordinator)) {
    for (const part of md.topic(TOPIC)!.partitions.filter((x) => x.leader === b.broker.nodeId)) {
      const { log } = await b.broker.replicas.leaderLog(TOPIC, part.partition)
      assert.ok(log.lastStableOffset < log.highWatermark, `partition ${part.partition} still has the transaction open`)
    }
  }

  await coordinator.close()
  const rest = brokers.filter((b) => b !== coordinator)
  const restBootstrap = rest.map((b) => b.bootstrap).join(',')
  let newCoordinator: StartedBroker | undefined
  await eventually('a new coordinator to complete the commit', async () => {
    const leader = rest[0]!.broker.metadata.topic(TRANSACTION_STATE_TOPIC)!.partitions[txnPartition]!.leader
    newCoordinator = rest.find((b) => b.broker.nodeId === leader)
    return (await newCoordinator?.broker.context.txns.describe(id))?.state === TxnState.CompleteCommit
  }, 30_000)
  assert.notEqual(newCoordinator!.broker.nodeId, coordinatorId)
  assert.deepEqual(await readAll(restBootstrap, 'read_committed', 3), messages.map((m) => `${m.partition}:${m.value}`).sort())
})
