/** Fetch (key 1) against the embedded broker over a raw socket: reads, limits, long poll, sessions. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import type { FetchRequest, FetchResponse, FetchResponsePartitionData } from '../../../src/protocol/generated/fetch.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { randomUuid } from '../../../src/protocol/primitives/uuid.js'
import { decodeBatches } from '../../../src/protocol/records/record-set.js'
import type { RawClient } from '../../helpers/raw-client.js'
import { embeddedBroker, produceValues } from '../helpers.js'

interface Part {
  topic: string
  topicId?: string
  partition: number
  offset: bigint
  maxBytes?: number
  leaderEpoch?: number
}

function fetchRequest(parts: Part[], opts: Partial<FetchRequest> = {}): FetchRequest {
  const topics = new Map<string, FetchRequest['topics'][number]>()
  for (const p of parts) {
    const t = topics.get(p.topic) ?? { topic: p.topic, topicId: p.topicId ?? 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [] }
    t.partitions.push({ partition: p.partition, currentLeaderEpoch: p.leaderEpoch ?? -1, fetchOffset: p.offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: p.maxBytes ?? 1 << 20 })
    topics.set(p.topic, t)
  }
  return {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 24, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [...topics.values()], forgottenTopicsData: [], rackId: '', ...opts,
  }
}

function partitions(resp: FetchResponse): FetchResponsePartitionData[] {
  return resp.responses.flatMap((t) => t.partitions)
}

async function values(p: FetchResponsePartitionData): Promise<string[]> {
  return (await decodeBatches(p.records!)).flatMap((b) => b.records.map((r) => r.value!.toString()))
}

async function fetch(c: RawClient, version: number, parts: Part[], opts: Partial<FetchRequest> = {}): Promise<FetchResponse> {
  return c.request(ApiKey.Fetch, version, fetchRequest(parts, opts))
}

test('reads records with high watermark, last stable and log start offsets, by name and by topic id', async (t) => {
  const tb = await embeddedBroker(t)
  const topic = await tb.b.broker.createTopic('f', 1)
  const c = await tb.client()
  await produceValues(c, 'f', 0, ['a', 'b'])
  await produceValues(c, 'f', 0, ['c'])
  for (const v of [4, 7, 11, 12, 13, 15, 17]) {
    const resp = await fetch(c, v, [{ topic: 'f', topicId: topic.topicId, partition: 0, offset: 1n }])
    const [p] = partitions(resp)
    assert.equal(p!.errorCode, ErrorCode.NONE, `v${v}`)
    assert.equal(p!.highWatermark, 3n)
    assert.equal(p!.lastStableOffset, 3n)
    if (v >= 5) assert.equal(p!.logStartOffset, 0n)
    // The batch holding offset 1 comes whole; the client skips offset 0.
    assert.deepEqual(await values(p!), ['a', 'b', 'c'], `v${v}`)
    if (v >= 13) assert.equal(resp.responses[0]!.topicId, topic.topicId)
    else assert.equal(resp.responses[0]!.topic, 'f')
  }
  const [atEnd] = partitions(await fetch(c, 12, [{ topic: 'f', partition: 0, offset: 3n }]))
  assert.equal(atEnd!.errorCode, ErrorCode.NONE)
  assert.equal(atEnd!.records!.length, 0)
})

test('errors per partition: out of range, unknown topic, unknown topic id, fenced epoch', async (t) => {
  const tb = await embeddedBroker(t, { 'auto.create.topics.enable': 'false' })
  const topic = await tb.b.broker.createTopic('e', 1)
  const c = await tb.client()
  await produceValues(c, 'e', 0, ['a'])
  const resp = await fetch(c, 12, [
    { topic: 'e', partition: 0, offset: 5n },
    { topic: 'nope', partition: 0, offset: 0n },
    { topic: 'e', partition: 3, offset: 0n },
  ])
  assert.deepEqual(partitions(resp).map((p) => p.errorCode), [ErrorCode.OFFSET_OUT_OF_RANGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])
  const [byId] = partitions(await fetch(c, 13, [{ topic: '', topicId: randomUuid(), partition: 0, offset: 0n }]))
  assert.equal(byId!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID)
  const [fenced] = partitions(await fetch(c, 13, [{ topic: 'e', topicId: topic.topicId, partition: 0, offset: 0n, leaderEpoch: 5 }]))
  assert.equal(fenced!.errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH)
  const [current] = partitions(await fetch(c, 13, [{ topic: 'e', topicId: topic.topicId, partition: 0, offset: 0n, leaderEpoch: 0 }]))
  assert.equal(current!.errorCode, ErrorCode.NONE)
})

test('the response budget: the first batch comes whole, later partitions stop at max_bytes', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('m', 2)
  const c = await tb.client()
  await produceValues(c, 'm', 0, ['x'.repeat(5000)])
  await produceValues(c, 'm', 1, ['y'.repeat(5000)])
  const resp = await fetch(c, 12, [{ topic: 'm', partition: 0, offset: 0n }, { topic: 'm', partition: 1, offset: 0n }], { maxBytes: 1000 })
  const [p0, p1] = partitions(resp)
  assert.deepEqual(await values(p0!), ['x'.repeat(5000)])
  assert.equal(p1!.records!.length, 0)
  assert.equal(p1!.highWatermark, 1n, 'a partition cut by the budget still reports its offsets')
  const perPartition = await fetch(c, 12, [{ topic: 'm', partition: 0, offset: 0n, maxBytes: 100 }, { topic: 'm', partition: 1, offset: 0n, maxBytes: 100 }])
  // KIP-74: only the first partition may exceed its limit to return one whole batch.
  const sizes = partitions(perPartition).map((p) => p.records!.length)
  assert.ok(sizes[0]! > 5000, `first partition got ${sizes[0]} bytes`)
  assert.ok(sizes[1]! <= 100, `second partition got ${sizes[1]} bytes`)
})

test('long poll: waits for min_bytes, is woken by an append, and gives up after max_wait_ms', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('lp', 1)
  const c = await tb.client()
  const producer = await tb.client()
  const started = Date.now()
  const empty = await fetch(c, 12, [{ topic: 'lp', partition: 0, offset: 0n }], { maxWaitMs: 300, minBytes: 1 })
  assert.equal(partitions(empty)[0]!.records!.length, 0)
  assert.ok(Date.now() - started >= 250, `returned after ${Date.now() - started} ms, before max_wait_ms`)

  const waiting = fetch(c, 12, [{ topic: 'lp', partition: 0, offset: 0n }], { maxWaitMs: 30_000, minBytes: 1 })
  await new Promise((r) => setTimeout(r, 50))
  await produceValues(producer, 'lp', 0, ['wake'])
  const woken = await waiting
  assert.deepEqual(await values(partitions(woken)[0]!), ['wake'])
  assert.ok(Date.now() - started < 20_000, 'woken by the append, not the timeout')
})

test('a long poll ends when the broker shuts down', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('sd', 1)
  const c = await tb.client()
  const started = Date.now()
  const waiting = fetch(c, 12, [{ topic: 'sd', partition: 0, offset: 0n }], { maxWaitMs: 60_000, minBytes: 1 }).catch((e: Error) => e)
  await new Promise((r) => setTimeout(r, 50))
  await tb.b.close()
  await waiting
  assert.ok(Date.now() - started < 30_000, 'close did not wait for max_wait_ms')
})

test('read_committed answers an empty aborted-transactions list; read_uncommitted null', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('iso', 1)
  const c = await tb.client()
  await produceValues(c, 'iso', 0, ['a'])
  const [committed] = partitions(await fetch(c, 12, [{ topic: 'iso', partition: 0, offset: 0n }], { isolationLevel: 1 }))
  assert.deepEqual(committed!.abortedTransactions, [])
  const [uncommitted] = partitions(await fetch(c, 12, [{ topic: 'iso', partition: 0, offset: 0n }], { isolationLevel: 0 }))
  assert.equal(uncommitted!.abortedTransactions, null)
})

test('fetch sessions (KIP-227): incremental requests carry and return only changes', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('s', 3)
  const c = await tb.client()
  const producer = await tb.client()
  for (const p of [0, 1, 2]) await produceValues(producer, 's', p, [`p${p}`])
  const all: Part[] = [0, 1, 2].map((p) => ({ topic: 's', partition: p, offset: 0n }))

  const full = await fetch(c, 12, all, { sessionId: 0, sessionEpoch: 0 })
  assert.equal(full.errorCode, ErrorCode.NONE)
  assert.ok(full.sessionId! > 0, 'a session was created')
  assert.equal(partitions(full).length, 3)
  const id = full.sessionId!

  // Nothing changed and the client sends only its new offsets: nothing to return.
  const moved = all.map((p) => ({ ...p, offset: 1n }))
  const quiet = await fetch(c, 12, moved, { sessionId: id, sessionEpoch: 1 })
  assert.equal(quiet.sessionId, id)
  assert.deepEqual(partitions(quiet), [])

  // An append to partition 2 shows up without the client listing any partition.
  await produceValues(producer, 's', 2, ['more'])
  const inc = await fetch(c, 12, [], { sessionId: id, sessionEpoch: 2 })
  assert.deepEqual(partitions(inc).map((p) => p.partitionIndex), [2])
  assert.deepEqual(await values(partitions(inc)[0]!), ['more'])

  // Forgotten partitions are no longer read.
  await produceValues(producer, 's', 0, ['gone'])
  const forgot = await fetch(c, 12, [{ topic: 's', partition: 2, offset: 2n }], { sessionId: id, sessionEpoch: 3, forgottenTopicsData: [{ topic: 's', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [0] }] })
  assert.deepEqual(partitions(forgot), [])

  // Wrong epoch, unknown session.
  const stale = await fetch(c, 12, [], { sessionId: id, sessionEpoch: 3 })
  assert.equal(stale.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH)
  const unknown = await fetch(c, 12, [], { sessionId: id + 1, sessionEpoch: 1 })
  assert.equal(unknown.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND)

  // Epoch -1 closes the session; the request is answered as a full fetch.
  const closing = await fetch(c, 12, [{ topic: 's', partition: 0, offset: 0n }], { sessionId: id, sessionEpoch: -1 })
  assert.equal(closing.sessionId, 0)
  assert.deepEqual(await values(partitions(closing)[0]!), ['p0', 'gone'])
  const after = await fetch(c, 12, [], { sessionId: id, sessionEpoch: 4 })
  assert.equal(after.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
})

test('Fetch v0-3 answers stored batches in format v0 (v0-1) or v1 (v2-3); message.downconversion.enable=false answers UNSUPPORTED_VERSION', async (t) => {
  const { decodeLegacyMessages } = await import('../../../src/protocol/records/legacy.js')
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('d', 1)
  await tb.b.broker.createTopic('off', 1, { 'message.downconversion.enable': 'false' })
  const c = await tb.client()
  await produceValues(c, 'd', 0, ['a', 'b', 'c'], 7000n)
  await produceValues(c, 'off', 0, ['a'])
  for (const version of [0, 1, 2, 3]) {
    const [p] = partitions(await fetch(c, version, [{ topic: 'd', partition: 0, offset: 1n }]))
    assert.equal(p!.errorCode, ErrorCode.NONE, `v${version}`)
    const msgs = decodeLegacyMessages(p!.records!)
    assert.deepEqual(msgs.map((m) => [m.offset, m.value!.toString()]), [[1n, 'b'], [2n, 'c']], `v${version}: from the fetch offset`)
    assert.ok(msgs.every((m) => m.magic === (version <= 1 ? 0 : 1)), `v${version} magic`)
    assert.deepEqual(msgs.map((m) => m.timestamp), version <= 1 ? [-1n, -1n] : [7000n, 7000n])
    assert.equal(p!.highWatermark, 3n)
    const [off] = partitions(await fetch(c, version, [{ topic: 'off', partition: 0, offset: 0n }]))
    assert.equal(off!.errorCode, ErrorCode.UNSUPPORTED_VERSION, `v${version} with down-conversion disabled`)
  }
  // v4+ reads the stored batch whatever the setting.
  const [v4] = partitions(await fetch(c, 4, [{ topic: 'off', partition: 0, offset: 0n }]))
  assert.deepEqual(await values(v4!), ['a'])
})

test('Fetch v0-2 hold the partition limit even for the first batch (an overflow entry tells the client to raise it); v3 returns it whole', async (t) => {
  const { decodeLegacyMessages } = await import('../../../src/protocol/records/legacy.js')
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('big', 1)
  const c = await tb.client()
  await produceValues(c, 'big', 0, ['x'.repeat(500), 'y'.repeat(500)])
  for (const version of [0, 2]) {
    const [p] = partitions(await fetch(c, version, [{ topic: 'big', partition: 0, offset: 0n, maxBytes: 100 }]))
    assert.equal(p!.errorCode, ErrorCode.NONE)
    assert.equal(p!.records!.length, 12, `v${version}: the overflow entry only`)
    assert.equal(p!.records!.readBigInt64BE(0), -1n)
    assert.deepEqual(decodeLegacyMessages(p!.records!), [])
  }
  const [v3] = partitions(await fetch(c, 3, [{ topic: 'big', partition: 0, offset: 0n, maxBytes: 100 }]))
  assert.equal(decodeLegacyMessages(v3!.records!).length, 2, 'v3 (KIP-74): the first batch whole')
})

test('read_committed stops at the last stable offset while a transaction is open (Fetch and ListOffsets); read_uncommitted reads to the high watermark; the marker moves it on', async (t) => {
  const { createBatch, encodeBatchSync } = await import('../../../src/protocol/records/batch.js')
  const { createEndTxnBatch } = await import('../../../src/protocol/records/control.js')
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('lso', 1)
  const c = await tb.client()
  await produceValues(c, 'lso', 0, ['before'])
  const init = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })
  const txn = encodeBatchSync(
    createBatch({ baseTimestamp: BigInt(Date.now()), producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 0, isTransactional: true, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('in-txn'), headers: [] }] }),
  )
  const produced = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'lso', partitionData: [{ index: 0, records: txn }] }] })
  assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE)
  await produceValues(c, 'lso', 0, ['after'])
  const read = async (isolationLevel: number) => partitions(await fetch(c, 12, [{ topic: 'lso', partition: 0, offset: 0n }], { isolationLevel }))[0]!
  const latest = async (isolationLevel: number) =>
    (await c.request(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel, topics: [{ name: 'lso', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] })).topics[0]!.partitions[0]!.offset
  const committed = await read(1)
  assert.deepEqual([committed.highWatermark, committed.lastStableOffset], [3n, 1n])
  assert.deepEqual(await values(committed), ['before'], 'nothing at or past the open transaction')
  const uncommitted = await read(0)
  assert.equal(uncommitted.lastStableOffset, 1n, 'every answer reports the last stable offset')
  assert.deepEqual(await values(uncommitted), ['before', 'in-txn', 'after'])
  assert.deepEqual([await latest(1), await latest(0)], [1n, 3n])
  // The coordinator's commit marker (as WriteTxnMarkers writes it) decides the transaction.
  const marker = encodeBatchSync(createEndTxnBatch({ commit: true, producerId: init.producerId, producerEpoch: init.producerEpoch, coordinatorEpoch: 0, timestamp: BigInt(Date.now()) }))
  const [m] = await tb.b.broker.replicas.appendRecords({ entries: [{ topic: 'lso', partition: 0, records: marker }], acks: -1, timeoutMs: 5000, origin: { kind: 'coordinator' }, internalTopicsAllowed: false })
  assert.equal(m!.errorCode, ErrorCode.NONE)
  const after = await read(1)
  assert.deepEqual([after.highWatermark, after.lastStableOffset], [4n, 4n])
  assert.deepEqual(after.abortedTransactions, [])
  assert.deepEqual(await latest(1), 4n)
  // A second transaction, aborted: read_committed answers list it, for the consumer to drop.
  const txn2 = encodeBatchSync(
    createBatch({ baseTimestamp: BigInt(Date.now()), producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 1, isTransactional: true, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('aborted'), headers: [] }] }),
  )
  await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'lso', partitionData: [{ index: 0, records: txn2 }] }] })
  const abort = encodeBatchSync(createEndTxnBatch({ commit: false, producerId: init.producerId, producerEpoch: init.producerEpoch, coordinatorEpoch: 0, timestamp: BigInt(Date.now()) }))
  await tb.b.broker.replicas.appendRecords({ entries: [{ topic: 'lso', partition: 0, records: abort }], acks: -1, timeoutMs: 5000, origin: { kind: 'coordinator' }, internalTopicsAllowed: false })
  const withAbort = await read(1)
  assert.equal(withAbort.lastStableOffset, 6n)
  assert.deepEqual(withAbort.abortedTransactions, [{ producerId: init.producerId, firstOffset: 4n }])
  assert.equal((await read(0)).abortedTransactions, null, 'read_uncommitted: none')
})
