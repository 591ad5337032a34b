/**
 * A real cluster (an etcd and three broker processes) whose inter-broker listener is SASL_SSL
 * with mutual TLS (ssl.client.auth=required) and PLAIN: clients use a PLAINTEXT listener,
 * brokers reach each other only through INTERNAL, so replica fetchers must do TLS with the
 * broker's own keystore and truststore and authenticate with the listener's login module
 * credentials. With acks=all every in-sync follower has each record; killing the leader elects a
 * follower that has them all, producing goes on, and the killed broker comes back, fetches (a
 * new connection, authenticated again) and rejoins the ISR. A transaction over three
 * partitions then commits: its markers go from the coordinator to the leaders over INTERNAL.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { requireEtcd } from './etcd-harness.js'
import { processCluster } from '../helpers/process-cluster.js'
import { makeCerts } from '../helpers/certs.js'
import { Producer } from '../../src/client/producer/index.js'
import { Consumer } from '../../src/client/consumer/index.js'
import { createLogger } from '../../src/util/logger.js'

const quiet = createLogger({ level: 'silent' })
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" user_broker="broker-secret";'

async function readAll(bootstrap: string, topic: string, expected: number): Promise<string[]> {
  const c = new Consumer({ bootstrapServers: bootstrap, logger: quiet, autoOffsetReset: 'earliest' })
  try {
    c.assign([{ topic, partition: 0 }])
    const got: string[] = []
    for (const end = Date.now() + 30_000; got.length < expected && Date.now() < end; ) for (const r of await c.poll({ timeoutMs: 500 })) got.push(r.value!.toString())
    return got
  } finally {
    await c.close()
  }
}

test('SASL_SSL inter-broker listener with mutual TLS: replicas fetch, a killed leader fails over without losing acknowledged records, and the broker rejoins', async (t) => {
  if (!requireEtcd(t)) return
  const certs = makeCerts()
  t.after(() => certs.cleanup())
  const c = await processCluster(t, 3, {
    listeners: 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:SASL_SSL',
    'inter.broker.listener.name': 'INTERNAL',
    'listener.name.internal.ssl.keystore.location': certs.serverKeystore,
    'listener.name.internal.ssl.truststore.location': certs.caFile,
    'listener.name.internal.ssl.client.auth': 'required',
    'listener.name.internal.sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.internal.plain.sasl.jaas.config': JAAS,
    'min.insync.replicas': '2',
  })
  const admin = c.admin()
  await admin.createTopics([{ topic: 'ib', numPartitions: 1, replicationFactor: 3 }])
  const produce = async (from: number, n: number) => {
    const p = new Producer({ bootstrapServers: c.bootstrap(), logger: quiet, acks: 'all', requestTimeoutMs: 15_000, deliveryTimeoutMs: 20_000 })
    try {
      await p.sendBatch(Array.from({ length: n }, (_, i) => ({ topic: 'ib', partition: 0, value: `r${from + i}` })))
    } finally {
      await p.close()
    }
  }
  try {
    await produce(0, 100)
  } catch (e) {
    for (const id of [0, 1, 2]) process.stderr.write(`--- broker ${id}\n${c.running(id)?.stderr().slice(0, 4000)}\n`)
    throw e
  }
  const [d] = await admin.describeTopics(['ib'])
  assert.equal(d!.partitions[0]!.isr.length, 3, 'both followers replicate over SASL_SSL')

  const victim = await c.leaderOf('ib', 0)
  await c.kill(victim)
  await c.waitFor('a new leader of ib-0', async () => {
    const l = await c.leaderOf('ib', 0)
    return l >= 0 && l !== victim
  })
  await produce(100, 50)
  const expected = Array.from({ length: 150 }, (_, i) => `r${i}`)
  assert.deepEqual(await readAll(c.bootstrap(), 'ib', 150), expected)

  await c.start(victim)
  await c.waitFor(`broker ${victim} back in the ISR`, async () => {
    const [x] = await admin.describeTopics(['ib'])
    return x!.partitions[0]!.isr.includes(victim)
  }, 60_000)

  // Transaction markers travel from the coordinator to each partition's leader over INTERNAL too.
  await admin.createTopics([{ topic: 'ib-txn', numPartitions: 3, replicationFactor: 3 }])
  const tp = new Producer({ bootstrapServers: c.bootstrap(), logger: quiet, transactionalId: 'ib-tx', requestTimeoutMs: 15_000 })
  try {
    await tp.beginTransaction()
    await tp.sendBatch([0, 1, 2].map((partition) => ({ topic: 'ib-txn', partition, value: `t${partition}` })))
    await tp.commitTransaction()
  } finally {
    await tp.close()
  }
  const rc = new Consumer({ bootstrapServers: c.bootstrap(), logger: quiet, autoOffsetReset: 'earliest', isolationLevel: 'read_committed' })
  try {
    rc.assign([0, 1, 2].map((partition) => ({ topic: 'ib-txn', partition })))
    const got: string[] = []
    for (const end = Date.now() + 30_000; got.length < 3 && Date.now() < end; ) for (const r of await rc.poll({ timeoutMs: 500 })) got.push(r.value!.toString())
    assert.deepEqual(got.sort(), ['t0', 't1', 't2'], 'the commit markers reached every leader')
  } finally {
    await rc.close()
  }
  for (const id of [0, 1, 2]) assert.doesNotMatch(c.running(id)?.stderr() ?? '', /authentication failed|TLS handshake failed|broker-secret/)
})
