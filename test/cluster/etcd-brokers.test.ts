/**
 * Brokers with metadata.store=etcd sharing one prefix of a real etcd, driven by real clients
 * (kafkajs admin, kcat): they see each other, agree on a controller, see each other's topics,
 * the controller moves leaderships off a broker that leaves, and a SCRAM credential made through
 * one broker logs in on the other.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { startBroker, type StartedBroker } from '../../src/index.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'
import { EtcdServer, requireEtcd, uniquePrefix } from './etcd-harness.js'

function clusterConfig(etcd: EtcdServer, prefix: string, id: number, extra: Record<string, string> = {}): Record<string, string> {
  return { 'broker.id': String(id), 'metadata.store': 'etcd', 'etcd.endpoints': etcd.endpoint, 'etcd.prefix': prefix, 'broker.session.timeout.ms': '2000', ...extra }
}

async function start(t: TestContext, etcd: EtcdServer, prefix: string, id: number): Promise<StartedBroker> {
  const b = await startBroker({ config: clusterConfig(etcd, prefix, id) })
  t.after(() => b.close())
  return b
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const begin = Date.now()
  while (!(await check())) {
    if (Date.now() - begin > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
  return Date.now() - begin
}

test('two brokers on one etcd prefix: both listed, one controller, topics created on one appear on the other', async (t) => {
  if (!requireEtcd(t)) return
  const etcd = await EtcdServer.start(t)
  const prefix = uniquePrefix()
  const b1 = await start(t, etcd, prefix, 1)
  const b2 = await start(t, etcd, prefix, 2)
  assert.equal(b1.broker.metadata.clusterId, b2.broker.metadata.clusterId)

  const kafka = new Kafka({ clientId: 'samsa-etcd-cluster', brokers: [b2.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } })
  const admin = kafka.admin()
  await admin.connect()
  t.after(() => admin.disconnect())
  const cluster = await admin.describeCluster()
  assert.deepEqual(cluster.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]).sort(), [[1, b1.bootstrap], [2, b2.bootstrap]])
  assert.equal(cluster.controller, 1, 'the first broker to campaign won')
  assert.equal(cluster.clusterId, b1.broker.metadata.clusterId)

  // Created through broker 2, placed on both brokers, visible from broker 1.
  await admin.createTopics({ topics: [{ topic: 'shared', numPartitions: 4, replicationFactor: 2 }], waitForLeaders: true })
  await eventually('broker 1 to know the topic', () => b1.broker.metadata.topic('shared') !== undefined)
  const viaB1 = new Kafka({ clientId: 'samsa-etcd-cluster-b1', brokers: [b1.bootstrap], logLevel: logLevel.NOTHING }).admin()
  await viaB1.connect()
  t.after(() => viaB1.disconnect())
  const md = await viaB1.fetchTopicMetadata({ topics: ['shared'] })
  const parts = md.topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId)
  assert.equal(parts.length, 4)
  for (const p of parts) {
    assert.deepEqual([...p.replicas].sort(), [1, 2])
    assert.equal(p.leader, p.replicas[0])
  }
  assert.deepEqual(new Set(parts.map((p) => p.leader)), new Set([1, 2]), 'leaders balanced over both brokers')
  // Each broker made logs for its own replicas (broker 1 from the watch, not from the request).
  await eventually('broker 1 to host its replicas', () => b1.broker.replicas.logs.allLogs().filter((l) => l.topic === 'shared').length === 4)

  if (requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) {
    const r = await runTool('kcat', ['-L', '-J', '-b', b1.bootstrap, '-m', '10'], { timeoutMs: 20_000 })
    assert.equal(r.code, 0, r.stderr)
    const kmd = JSON.parse(r.stdout) as { controllerid: number; brokers: Array<{ id: number; name: string }>; topics: Array<{ topic: string; partitions: unknown[] }> }
    assert.equal(kmd.controllerid, 1)
    assert.deepEqual(kmd.brokers.map((b) => b.id).sort(), [1, 2])
    assert.equal(kmd.topics.find((x) => x.topic === 'shared')?.partitions.length, 4)
  }
})

test('the controller broker stops: the other becomes controller, leads every partition, and can still create topics', async (t) => {
  if (!requireEtcd(t)) return
  const etcd = await EtcdServer.start(t)
  const prefix = uniquePrefix()
  const b1 = await start(t, etcd, prefix, 1)
  const b2 = await start(t, etcd, prefix, 2)
  assert.equal(b2.broker.metadata.controllerId(), 1)
  const admin = new Kafka({ clientId: 'samsa-etcd-failover', brokers: [b2.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } }).admin()
  await admin.connect()
  t.after(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: 'rf2', numPartitions: 4, replicationFactor: 2 }] })
  await eventually('broker 2 to see rf2', () => b2.broker.metadata.topic('rf2') !== undefined)
  const stopped = Date.now()
  await b1.close()
  const took = await eventually('broker 2 to be controller and lead all of rf2', () => {
    const md = b2.broker.metadata
    return md.controllerId() === 2 && md.topic('rf2')!.partitions.every((p) => p.leader === 2 && p.isr.join() === '2')
  })
  console.log(`controller failover after a clean shutdown: ${Date.now() - stopped} ms (${took} ms after close returned)`)
  assert.deepEqual(b2.broker.metadata.brokers().map((b) => b.nodeId), [2])
  const cluster = await admin.describeCluster()
  assert.equal(cluster.controller, 2)
  await admin.createTopics({ topics: [{ topic: 'after-failover', numPartitions: 2, replicationFactor: 1 }] })
  assert.ok(b2.broker.metadata.topic('after-failover'))
})

test('a second broker with the same broker.id is refused with DUPLICATE_BROKER_REGISTRATION after a session timeout', async (t) => {
  if (!requireEtcd(t)) return
  const etcd = await EtcdServer.start(t)
  const prefix = uniquePrefix()
  await startBroker({ config: clusterConfig(etcd, prefix, 4, { 'broker.session.timeout.ms': '1000' }) }).then((b) => t.after(() => b.close()))
  const begin = Date.now()
  await assert.rejects(startBroker({ config: clusterConfig(etcd, prefix, 4, { 'broker.session.timeout.ms': '1000' }) }), (e: Error) => {
    assert.equal((e as { errorName?: string }).errorName, 'DUPLICATE_BROKER_REGISTRATION')
    assert.match(e.message, /another broker is running with broker\.id 4: give this one another broker\.id/)
    return true
  })
  const took = Date.now() - begin
  assert.ok(took >= 2500 && took < 8000, `refused after ${took} ms (2 x TTL + 1 s)`)
})

test('metadata.store=etcd with etcd unreachable: start fails with a clear error naming the endpoint', async (t) => {
  if (!requireEtcd(t)) return
  await assert.rejects(startBroker({ config: { 'metadata.store': 'etcd', 'etcd.endpoints': 'http://127.0.0.1:1', 'broker.session.timeout.ms': '1000' } }), /cannot open the metadata in etcd at http:\/\/127\.0\.0\.1:1/)
})

test('a SCRAM credential set through one broker logs in on the other at once (kcat), and its deletion is refused there at once', async (t) => {
  if (!requireEtcd(t)) return
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const etcd = await EtcdServer.start(t)
  const prefix = uniquePrefix()
  const sasl = { listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0', 'inter.broker.listener.name': 'PLAINTEXT', 'sasl.enabled.mechanisms': 'SCRAM-SHA-512', 'connection.failed.authentication.delay.ms': '0' }
  const brokers: StartedBroker[] = []
  for (const id of [1, 2]) {
    const b = await startBroker({ config: clusterConfig(etcd, prefix, id, sasl) })
    t.after(() => b.close())
    brokers.push(b)
  }
  const [b1, b2] = brokers as [StartedBroker, StartedBroker]
  const port = (b: StartedBroker, l: string) => b.broker.listeners.find((x) => x.name === l)!.port
  const { Admin } = await import('../../src/client/admin/admin.js')
  const admin = new Admin({ bootstrapServers: `127.0.0.1:${port(b1, 'PLAINTEXT')}` })
  t.after(() => admin.close())
  const login = () => runTool('kcat', ['-L', '-b', `127.0.0.1:${port(b2, 'SASL_PLAINTEXT')}`, '-m', '5', '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-secret'], { timeoutMs: 20_000 })
  await admin.alterUserScramCredentials([{ user: 'alice', mechanism: 'SCRAM-SHA-512', password: 'alice-secret', iterations: 8192 }])
  // The admin call resolved once broker 1's cache had the change; broker 2 follows the same watch.
  await eventually('broker 2 to see the credential', () => b2.broker.metadata.scramCredential('alice', 'SCRAM-SHA-512') !== undefined)
  const ok = await login()
  assert.equal(ok.code, 0, ok.stderr)
  await admin.alterUserScramCredentials([{ user: 'alice', mechanism: 'SCRAM-SHA-512', delete: true }])
  await eventually('broker 2 to see the deletion', () => b2.broker.metadata.scramCredential('alice', 'SCRAM-SHA-512') === undefined)
  const refused = await login()
  assert.notEqual(refused.code, 0)
  assert.match(refused.stderr, /invalid credentials with SASL mechanism SCRAM-SHA-512/)
})
