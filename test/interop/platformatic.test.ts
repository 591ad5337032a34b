/** @platformatic/kafka (npm dev dependency; needs ApiVersions v3+) against the real broker process. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Admin, Connection, Consumer, Producer, metadataV12 } from '@platformatic/kafka'
import { startBrokerProcess } from '../helpers/broker-process.js'

test('@platformatic/kafka admin.metadata returns broker 0 as controller', async (t) => {
  const b = await startBrokerProcess()
  t.after(() => b.stop())
  const admin = new Admin({ clientId: 'samsa-interop', bootstrapBrokers: [b.bootstrap], timeout: 10_000, retries: 1 })
  t.after(() => admin.close())

  const md = await admin.metadata({ topics: [] })
  assert.deepEqual([...md.brokers.keys()], [0])
  const broker = md.brokers.get(0)!
  assert.equal(broker.host, b.host)
  assert.equal(broker.port, b.port)
  // 1.22's ClusterMetadata drops the controller id; its Metadata v12 call still decodes it.
  const conn = new Connection('samsa-interop')
  t.after(() => conn.close())
  await conn.connect(b.host, b.port)
  assert.equal((await metadataV12.api.async(conn, [], false, false)).controllerId, 0)
  assert.ok(md.id.length > 0, 'cluster id')
  assert.equal(md.topics.size, 0)
  assert.equal(b.proc.exitCode, null, 'broker still running')
})

interface Sent {
  partition: number
  key: Buffer
  value: Buffer
  headers: Map<Buffer, Buffer>
  timestamp: bigint
}

test('@platformatic/kafka produces to chosen partitions and fetches each assigned partition back (Fetch v17, topic ids)', async (t) => {
  const b = await startBrokerProcess()
  t.after(() => b.stop())
  const opts = { clientId: 'samsa-interop', bootstrapBrokers: [b.bootstrap], timeout: 10_000, retries: 2 }
  const admin = new Admin(opts)
  t.after(() => admin.close())
  const topic = 'plt-assign'
  await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 })

  const producer = new Producer({ ...opts, acks: 1 })
  t.after(() => producer.close())
  const base = BigInt(Date.now() - 5_000)
  const sent: Sent[] = Array.from({ length: 60 }, (_, i) => ({
    partition: i % 3,
    key: Buffer.from(`key-${i}`),
    value: Buffer.concat([Buffer.from(`value ${i} `), Buffer.alloc(i * 13, i)]),
    headers: new Map([
      [Buffer.from('n'), Buffer.from(String(i))],
      [Buffer.from('bin'), Buffer.from([0, 255, i])],
    ]),
    timestamp: base + BigInt(i),
  }))
  // Three sends, the last compressed, each to all three partitions.
  const results = []
  for (const [n, compression] of (['none', 'none', 'gzip'] as const).entries()) {
    const chunk = sent.slice(n * 20, n * 20 + 20)
    results.push(await producer.send({ messages: chunk.map((s) => ({ topic, ...s })), compression }))
  }
  for (const [n, r] of results.entries()) {
    const offsets = (r.offsets ?? []).filter((o) => o.topic === topic).sort((x, y) => x.partition - y.partition)
    // Earlier sends put 20/3 records into each partition: 7, 7, 6 (send 0), and so on.
    const before = [0, 1, 2].map((p) => sent.slice(0, n * 20).filter((s) => s.partition === p).length)
    assert.deepEqual(
      offsets.map((o) => [o.partition, o.offset]),
      [0, 1, 2].map((p) => [p, BigInt(before[p]!)]),
      `send ${n} base offsets`,
    )
  }

  const consumer = new Consumer({ ...opts, groupId: 'plt-assign-unused' })
  t.after(() => consumer.close(true))
  const md = await consumer.metadata({ topics: [topic] })
  const topicId = md.topics.get(topic)!.id
  assert.ok(topicId && !/^0+(-0+)*$/.test(topicId), `topic id ${topicId}`)

  for (const partition of [0, 1, 2]) {
    const want = sent.filter((s) => s.partition === partition)
    const got: Array<{ offset: bigint; timestamp: bigint; key: Buffer | null; value: Buffer | null; headers: Array<[Buffer | null, Buffer | null]> }> = []
    let offset = 0n
    for (let round = 0; round < 20 && got.length < want.length; round++) {
      const resp = await consumer.fetch({
        node: 0,
        maxWaitTime: 200,
        topics: [{ topicId, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
      })
      const p = resp.responses[0]!.partitions.find((x) => x.partitionIndex === partition)!
      assert.equal(p.errorCode, 0)
      assert.equal(p.highWatermark, BigInt(want.length))
      for (const batch of p.records ?? []) {
        for (const r of batch.records) {
          const o = batch.firstOffset + BigInt(r.offsetDelta)
          if (o < offset) continue
          got.push({ offset: o, timestamp: batch.firstTimestamp + r.timestampDelta, key: r.key, value: r.value, headers: r.headers })
        }
        offset = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n
      }
    }
    assert.equal(got.length, want.length, `partition ${partition} record count`)
    got.forEach((r, i) => {
      const s = want[i]!
      assert.equal(r.offset, BigInt(i), `partition ${partition} offset`)
      assert.deepEqual(r.key, s.key)
      assert.deepEqual(r.value, s.value)
      assert.equal(r.timestamp, s.timestamp)
      assert.deepEqual(r.headers, [...s.headers.entries()])
    })
  }

  const latest = await consumer.listOffsets({ topics: [topic] })
  assert.deepEqual(latest.get(topic), [0, 1, 2].map((p) => BigInt(sent.filter((s) => s.partition === p).length)))
  assert.equal(b.proc.exitCode, null, 'broker still running')
})
