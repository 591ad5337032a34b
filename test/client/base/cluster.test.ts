import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { startBroker } from '../../../src/index.js'
import { Cluster, CoordinatorType } from '../../../src/client/base/cluster.js'
import { resolveBaseOptions } from '../../../src/client/base/options.js'
import { ConnectionError, ClientError, KafkaError } from '../../../src/client/base/errors.js'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'

test('cluster: bootstrap, metadata with leaders, coordinator lookup, pipelined requests', async () => {
  const b = await startBroker()
  const cluster = new Cluster(resolveBaseOptions({ bootstrapServers: [b.bootstrap] }))
  try {
    await b.broker.createTopic('cl', 3)
    const t = await cluster.topic('cl', { deadline: Date.now() + 5000 })
    assert.equal(t.partitions.length, 3)
    for (const p of t.partitions) assert.equal(p.leader, b.broker.nodeId ?? 0)
    assert.equal(cluster.brokers.size, 1)
    assert.ok(cluster.clusterId)
    const coord = await cluster.coordinator(CoordinatorType.Group, 'g1')
    assert.equal(coord.port, b.port)
    // Twenty requests at once on one connection (in-flight limit 5) all come back, in any order.
    const c = await cluster.connection(t.partitions[0]!.leader)
    const all = await Promise.all(Array.from({ length: 20 }, () => c.request(ApiKey.Metadata, { topics: null }, { version: 1 })))
    assert.equal(all.length, 20)
    for (const r of all) assert.ok(r.topics.some((x) => x.name === 'cl'))
    await assert.rejects(cluster.topic('missing', { deadline: Date.now() + 300, allowAutoCreate: false }), (e: unknown) => e instanceof KafkaError && e.errorName === 'UNKNOWN_TOPIC_OR_PARTITION')
  } finally {
    cluster.close()
    await b.close()
  }
})

test('cluster: an unreachable bootstrap server fails with the address and a hint', async () => {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  const cluster = new Cluster(resolveBaseOptions({ bootstrapServers: `127.0.0.1:${port}` }))
  await assert.rejects(cluster.fetchMetadata(null), (e: unknown) => {
    assert.ok(e instanceof ConnectionError)
    assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`))
    assert.match(e.message, /ECONNREFUSED/)
    assert.match(e.message, /check bootstrapServers/)
    return true
  })
  cluster.close()
})

test('cluster: bad bootstrap options are refused with what to write instead', () => {
  assert.throws(() => resolveBaseOptions({ bootstrapServers: 'localhost' }), (e: unknown) => e instanceof ClientError && /host:port/.test(e.message))
  assert.throws(() => resolveBaseOptions({ bootstrapServers: [] }), /empty/)
  assert.throws(() => resolveBaseOptions({ bootstrapServers: 'h:1', requestTimeoutMs: -1 }), /requestTimeoutMs/)
})

test('connection: a request that outlives its timeout fails naming the broker, and the connection is replaced', async () => {
  // A server that accepts and answers ApiVersions but then never answers anything.
  const b = await startBroker()
  const cluster = new Cluster(resolveBaseOptions({ bootstrapServers: [b.bootstrap], requestTimeoutMs: 200 }))
  try {
    await cluster.fetchMetadata(null)
    const c = await cluster.connection([...cluster.brokers.keys()][0]!)
    // Fetch with a 2 s long poll and a 200 ms request timeout.
    await b.broker.createTopic('slow', 1)
    const t = await cluster.topic('slow', { deadline: Date.now() + 2000 })
    const started = Date.now()
    await assert.rejects(
      c.request(ApiKey.Fetch, { replicaId: -1, maxWaitMs: 2000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'slow', topicId: t.topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' }, { version: 12 }),
      (e: unknown) => (e as Error).name === 'RequestTimeoutError' && /broker \d+ \(127\.0\.0\.1:\d+\): no Fetch response within 200 ms/.test((e as Error).message),
    )
    assert.ok(Date.now() - started < 1500)
    assert.equal(c.isOpen, false)
    const c2 = await cluster.connection([...cluster.brokers.keys()][0]!)
    assert.notEqual(c2, c)
    assert.equal(c2.isOpen, true)
  } finally {
    cluster.close()
    await b.close()
  }
})
