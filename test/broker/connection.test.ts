/**
 * Connection-level behaviour of the embedded broker, over raw sockets: pipelining and
 * response order, KIP-511, closing a connection on bad input without disturbing others, and
 * backpressure (DESIGN.md §4); time limits on a ManualClock (idle connections, requests that
 * arrive too slowly) and the decoder's array cap.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Broker } from '../../src/broker/broker.js'
import { loadBrokerConfig } from '../../src/broker/config.js'
import { ManualClock } from '../../src/storage/clock.js'
import { createLogger } from '../../src/util/logger.js'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { ApiVersionsResponse, type ApiVersionsRequest } from '../../src/protocol/generated/api-versions.js'
import { RequestHeader } from '../../src/protocol/generated/headers.js'
import { MetadataRequest, type MetadataResponse } from '../../src/protocol/generated/metadata.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { Writer } from '../../src/protocol/primitives/writer.js'
import { apiVersionsHandler } from '../../src/broker/handlers/18-api-versions.js'
import { fetchHandler } from '../../src/broker/handlers/01-fetch.js'
import type { FetchResponse } from '../../src/protocol/generated/fetch.js'
import type { Handler } from '../../src/broker/handler.js'
import { decodeResponse, encodeRequest, encodeRequestPayload, frame, RawClient } from '../helpers/raw-client.js'
import { deferred, embeddedBroker, produceValues, until, type TestBroker } from './helpers.js'
import { createBatch, encodeBatchSync } from '../../src/protocol/records/batch.js'
import type { ProduceResponse } from '../../src/protocol/generated/produce.js'
import { fetchAll } from '../helpers/wire.js'

function apiVersionsBody(version: number): ApiVersionsRequest {
  return version >= 3 ? { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' } : {}
}

/** A frame whose header says (apiKey, apiVersion) with a hand-made header version and body. */
function rawFrame(apiKey: number, apiVersion: number, correlationId: number, headerVersion: number, body: Buffer): Buffer {
  const w = new Writer()
  RequestHeader.write(w, { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId: 'raw' }, headerVersion)
  w.writeRaw(body)
  return frame(w.toBuffer())
}

async function assertServes(c: RawClient): Promise<void> {
  const r = await c.request(ApiKey.ApiVersions, 2, {})
  assert.equal(r.errorCode, ErrorCode.NONE)
}

test('50 pipelined ApiVersions/Metadata requests in one write are answered in request order', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('pipelined', 2)
  const c = await tb.client()
  const sent: Array<{ apiKey: number; version: number; correlationId: number }> = []
  const frames: Buffer[] = []
  for (let i = 0; i < 50; i++) {
    // Correlation ids are deliberately not sequential: the broker must echo, not count.
    const correlationId = (i * 7919 + 13) % 100_003
    if (i % 2 === 0) {
      const version = (i / 2) % 5
      sent.push({ apiKey: ApiKey.ApiVersions, version, correlationId })
      frames.push(encodeRequest(ApiKey.ApiVersions, version, correlationId, apiVersionsBody(version)))
    } else {
      const version = i % 13
      sent.push({ apiKey: ApiKey.Metadata, version, correlationId })
      frames.push(encodeRequest(ApiKey.Metadata, version, correlationId, { topics: version === 0 ? [] : null }))
    }
  }
  await c.write(Buffer.concat(frames))
  for (const s of sent) {
    const resp = decodeResponse(await c.nextFrame(), s.apiKey, s.version)
    assert.equal(resp.correlationId, s.correlationId, `response for ${s.apiKey} v${s.version}`)
    if (s.apiKey === ApiKey.ApiVersions) {
      assert.equal(resp.body.errorCode, ErrorCode.NONE)
    } else {
      const md = resp.body as MetadataResponse
      assert.deepEqual(md.topics.map((x) => x.name), ['pipelined'])
    }
  }
  assert.equal(c.pending, 0, 'no extra responses')
  assert.ok(c.isOpen)
})

test('requests split across many small writes are reassembled', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const bytes = Buffer.concat([
    encodeRequest(ApiKey.ApiVersions, 3, 101, apiVersionsBody(3)),
    encodeRequest(ApiKey.Metadata, 12, 102, { topics: null }),
    encodeRequest(ApiKey.Metadata, 1, 103, { topics: [] }),
  ])
  for (let at = 0; at < bytes.length; at += 3) {
    await c.write(bytes.subarray(at, at + 3))
    await new Promise((r) => setImmediate(r))
  }
  assert.equal(decodeResponse(await c.nextFrame(), ApiKey.ApiVersions, 3).correlationId, 101)
  assert.equal(decodeResponse(await c.nextFrame(), ApiKey.Metadata, 12).correlationId, 102)
  assert.equal(decodeResponse(await c.nextFrame(), ApiKey.Metadata, 1).correlationId, 103)
})

test('a large Produce request is read in place (its body is not copied between read buffers) and arrives intact, with a request pipelined behind it', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('in-place', 1)
  const c = await tb.client()
  const values = Array.from({ length: 1000 }, (_, i) => Buffer.alloc(1000, i % 256))
  const batch = encodeBatchSync(createBatch({ baseTimestamp: BigInt(Date.now()), records: values.map((value, i) => ({ timestampDelta: 0, offsetDelta: i, key: null, value, headers: [] })) }))
  const produce = encodeRequest(ApiKey.Produce, 9, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'in-place', partitionData: [{ index: 0, records: batch }] }] })
  const bytes = Buffer.concat([produce, encodeRequest(ApiKey.ApiVersions, 3, 8, apiVersionsBody(3))])
  // In pieces, so the broker reads the frame in many reads (and once with the next frame's bytes).
  for (let at = 0; at < bytes.length; at += 100_000) {
    await c.write(bytes.subarray(at, at + 100_000))
    await new Promise((r) => setImmediate(r))
  }
  const p = decodeResponse(await c.nextFrame(), ApiKey.Produce, 9)
  assert.equal(p.correlationId, 7)
  assert.equal((p.body as ProduceResponse).responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE)
  assert.equal(decodeResponse(await c.nextFrame(), ApiKey.ApiVersions, 3).correlationId, 8)
  const copied = tb.b.broker.requestBytesCopied
  assert.ok(copied < 128 * 1024, `copied ${copied} bytes of a ${produce.length}-byte request (a copy of the whole frame is the old path)`)
  // Two more back to back: after a frame read in place the next read is a short one, so only
  // a few KiB of the second one's start are copied (a full 64 KiB read copies that twice).
  await c.write(Buffer.concat([encodeRequest(ApiKey.Produce, 9, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'in-place', partitionData: [{ index: 0, records: batch }] }] }), encodeRequest(ApiKey.Produce, 9, 10, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'in-place', partitionData: [{ index: 0, records: batch }] }] })]))
  for (const id of [9, 10]) assert.equal(decodeResponse(await c.nextFrame(), ApiKey.Produce, 9).correlationId, id)
  const more = tb.b.broker.requestBytesCopied - copied
  assert.ok(more < 100 * 1024, `copied ${more} bytes of two requests back to back`)
  const back = await fetchAll(c, 'in-place', 0)
  assert.equal(back.records.length, 3 * values.length)
  back.records.forEach((r, i) => assert.ok(r.value!.equals(values[i % values.length]!), `record ${i}`))
})

test('a frame whose start arrived while reading was paused (queued.max.requests) is read in place once reading resumes', async (t) => {
  const tb = await embeddedBroker(t, { 'queued.max.requests': '1' })
  await tb.b.broker.createTopic('paused', 1)
  const c = await tb.client()
  const batchOf = (n: number) => encodeBatchSync(createBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: n }, (_, i) => ({ timestampDelta: 0, offsetDelta: i, key: null, value: Buffer.alloc(1000, i % 256), headers: [] })) }))
  const produce = (id: number, records: Buffer) => encodeRequest(ApiKey.Produce, 9, id, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'paused', partitionData: [{ index: 0, records }] }] })
  // The small request and the start of the large one arrive in one read; reading then pauses
  // (one request at a time) before the large one's memory is reserved, and resumes once the
  // small one is answered: from then on the large one is read into its body.
  await c.write(Buffer.concat([produce(1, batchOf(1)), produce(2, batchOf(1000))]))
  for (const id of [1, 2]) assert.equal(decodeResponse(await c.nextFrame(), ApiKey.Produce, 9).correlationId, id)
  const copied = tb.b.broker.requestBytesCopied
  assert.ok(copied < 96 * 1024, `copied ${copied} bytes (a read of 64 KiB into the scratch buffer after the pause is copied again)`)
  assert.equal((await fetchAll(c, 'paused', 0)).records.length, 1001)
})

test('Produce bodies read in place are reused once answered, and each request arrives intact; other large requests do not take pooled buffers', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('reuse', 1)
  const c = await tb.client()
  const pool = tb.b.broker.bufferPool
  const before = { allocated: pool.allocated, reused: pool.reused }
  const sent: Buffer[][] = []
  for (let n = 0; n < 4; n++) {
    const values = Array.from({ length: 500 }, (_, i) => Buffer.alloc(1000, (n * 31 + i) % 256))
    sent.push(values)
    const batch = encodeBatchSync(createBatch({ baseTimestamp: BigInt(Date.now()), records: values.map((value, i) => ({ timestampDelta: 0, offsetDelta: i, key: null, value, headers: [] })) }))
    const resp = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'reuse', partitionData: [{ index: 0, records: batch }] }] })
    assert.equal(resp.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE)
  }
  assert.deepEqual({ allocated: pool.allocated - before.allocated, reused: pool.reused - before.reused }, { allocated: 1, reused: 3 }, 'one buffer served the four requests in turn')
  // A Metadata request of 200 KiB (topic names) is read in place too, into a buffer of its own.
  const md = await c.request(ApiKey.Metadata, 12, { topics: Array.from({ length: 2000 }, (_, i) => ({ name: `t-${String(i).padStart(96, '0')}` })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  assert.equal(md.topics.length, 2000)
  assert.equal(pool.allocated - before.allocated, 1)
  const back = await fetchAll(c, 'reuse', 0)
  assert.deepEqual(back.records.map((r) => r.value!), sent.flat())
})

test('fetched records are read into pooled buffers that are reused once the response is written', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('fetch-reuse', 1)
  const c = await tb.client()
  const pool = tb.b.broker.bufferPool
  const values = Array.from({ length: 300 }, (_, i) => Buffer.alloc(1000, i % 256))
  const before = { allocated: pool.allocated, reused: pool.reused }
  await produceValues(c, 'fetch-reuse', 0, values)
  // The produce body (about 300 KB) went back to the pool; each fetch of the same batch reads into it.
  for (let n = 0; n < 3; n++) {
    const back = await fetchAll(c, 'fetch-reuse', 0)
    assert.deepEqual(back.records.map((r) => r.value!), values, `fetch ${n}`)
  }
  assert.equal(pool.allocated - before.allocated, 1, 'one buffer for the produce and every fetch')
  assert.ok(pool.reused - before.reused >= 3, `reused ${pool.reused - before.reused} times`)
})

test('ApiVersions v0-4 list exactly the registered handlers, including Metadata 0-12 and ApiVersions 0-4', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const registered = tb.b.broker.context.handlers.versions().map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion }))
  for (let v = 0; v <= 4; v++) {
    const r = await c.request(ApiKey.ApiVersions, v, apiVersionsBody(v))
    assert.equal(r.errorCode, ErrorCode.NONE, `v${v}`)
    assert.deepEqual(
      r.apiKeys.map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion })),
      registered,
      `v${v}`,
    )
    assert.deepEqual(r.apiKeys.find((k) => k.apiKey === ApiKey.Metadata), { apiKey: 3, minVersion: 0, maxVersion: 12 })
    assert.deepEqual(r.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions), { apiKey: 18, minVersion: 0, maxVersion: 4 })
    // Listed from 0 like Kafka 4 (librdkafka compresses only then), served from 3.
    assert.deepEqual(r.apiKeys.find((k) => k.apiKey === ApiKey.Produce), { apiKey: 0, minVersion: 0, maxVersion: 11 })
    if (v >= 1) assert.equal(r.throttleTimeMs, 0)
  }
})

test('KIP-511: ApiVersions newer than supported gets a v0 UNSUPPORTED_VERSION answer with the ranges, same correlation id', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const registered = tb.b.broker.context.handlers.versions().map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion }))
  for (const [i, version] of [5, 99, 32767].entries()) {
    const correlationId = 0x7eadbe00 + i
    // A future client's request: flexible header (v2) and a v3-shaped body the broker cannot know.
    const body = Buffer.from([0x06, ...Buffer.from('java!'), 0x04, ...Buffer.from('9.9'), 0x00])
    await c.write(rawFrame(ApiKey.ApiVersions, version, correlationId, 2, body))
    // Response header v0 and body v0, whatever the request version was.
    const resp = decodeResponse<ApiVersionsResponse>(await c.nextFrame(), ApiKey.ApiVersions, 0)
    assert.equal(resp.correlationId, correlationId, `v${version}`)
    assert.equal(resp.body.errorCode, ErrorCode.UNSUPPORTED_VERSION)
    assert.equal(resp.body.errorCode, 35)
    assert.deepEqual(
      resp.body.apiKeys.map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion })),
      registered,
    )
    assert.ok(resp.body.apiKeys.some((k) => k.apiKey === ApiKey.ApiVersions && k.maxVersion === 4))
  }
  // The client then retries with a version from the list, on the same connection.
  assert.ok(c.isOpen)
  await assertServes(c)
})

test('ApiVersions v3+ with an invalid client software name or version answers INVALID_REQUEST', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const bad: Array<[string, string]> = [
    ['', '1.0'],
    ['bad name', '1.0'],
    ['-leading', '1.0'],
    ['trailing-', '1.0'],
    ['emoji\u{1F600}', '1.0'],
    ['kafkajs', ''],
    ['kafkajs', '1.0 beta'],
    ['kafkajs', '1.0!'],
  ]
  for (const version of [3, 4]) {
    for (const [name, ver] of bad) {
      const r = await c.request(ApiKey.ApiVersions, version, { clientSoftwareName: name, clientSoftwareVersion: ver })
      assert.equal(r.errorCode, ErrorCode.INVALID_REQUEST, `v${version} ${JSON.stringify(name)} ${JSON.stringify(ver)}`)
      assert.equal(r.errorCode, 42)
    }
    for (const [name, ver] of [['apache-kafka-java', '3.7.0'], ['librdkafka', '2.0.2'], ['a', '1'], ['kafka.python', '2.0.2-dev']]) {
      const r = await c.request(ApiKey.ApiVersions, version, { clientSoftwareName: name, clientSoftwareVersion: ver })
      assert.equal(r.errorCode, ErrorCode.NONE, `v${version} ${name} ${ver}`)
    }
  }
  assert.ok(c.isOpen, 'INVALID_REQUEST is an answer, not a disconnect')
})

interface BadInput {
  name: string
  config?: Record<string, string>
  bytes: () => Buffer
}

const metadataV1 = () => encodeRequestPayload(ApiKey.Metadata, 1, 9, { topics: [{ name: 'abc' }, { name: 'def' }] })
const metadataV12 = () => encodeRequestPayload(ApiKey.Metadata, 12, 9, { topics: [{ name: 'abc' }], allowAutoTopicCreation: false })

const BAD_INPUTS: BadInput[] = [
  // "GET " read as a size is 1195725856, far above socket.request.max.bytes.
  { name: 'garbage bytes (an HTTP request)', bytes: () => Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n') },
  { name: 'garbage frame shorter than a request header', bytes: () => frame(Buffer.from([1, 2, 3])) },
  { name: 'garbage frame of 0xff bytes', bytes: () => frame(Buffer.alloc(32, 0xff)) },
  {
    name: 'header whose client id runs past the frame',
    bytes: () => {
      const b = Buffer.alloc(10)
      b.writeInt16BE(ApiKey.ApiVersions, 0)
      b.writeInt16BE(0, 2)
      b.writeInt32BE(7, 4)
      b.writeInt16BE(500, 8) // client id length 500, no bytes follow
      return frame(b)
    },
  },
  { name: 'unknown API key 9999', bytes: () => rawFrame(9999, 0, 5, 1, Buffer.alloc(0)) },
  { name: 'negative API key', bytes: () => rawFrame(-2, 0, 5, 1, Buffer.alloc(8)) },
  { name: 'unsupported Metadata version 99', bytes: () => rawFrame(ApiKey.Metadata, 99, 6, 2, MetadataRequest.encode({ topics: null }, 12)) },
  { name: 'unsupported Metadata version -1', bytes: () => rawFrame(ApiKey.Metadata, -1, 6, 1, MetadataRequest.encode({ topics: [] }, 0)) },
  { name: 'truncated Metadata v1 body', bytes: () => frame(metadataV1().subarray(0, metadataV1().length - 2)) },
  { name: 'truncated Metadata v12 (flexible) body', bytes: () => frame(metadataV12().subarray(0, metadataV12().length - 3)) },
  {
    name: 'Metadata v1 with an absurd topic count',
    bytes: () => {
      const p = encodeRequestPayload(ApiKey.Metadata, 1, 9, { topics: [] })
      p.writeInt32BE(0x7fffffff, p.length - 4)
      return frame(p)
    },
  },
  {
    name: 'frame size above socket.request.max.bytes',
    config: { 'socket.request.max.bytes': '1024' },
    // Only the size and a little of the body: the broker must not wait for the rest.
    bytes: () => {
      const b = Buffer.alloc(104)
      b.writeInt32BE(1025, 0)
      return b
    },
  },
  {
    name: 'frame size far above socket.request.max.bytes',
    bytes: () => {
      const b = Buffer.alloc(8)
      b.writeInt32BE(0x7fffffff, 0)
      return b
    },
  },
  {
    name: 'zero frame size',
    bytes: () => Buffer.alloc(4),
  },
  {
    name: 'negative frame size',
    bytes: () => {
      const b = Buffer.alloc(16)
      b.writeInt32BE(-1, 0)
      return b
    },
  },
  {
    name: 'negative frame size (INT32_MIN)',
    bytes: () => {
      const b = Buffer.alloc(4)
      b.writeInt32BE(-2147483648, 0)
      return b
    },
  },
]

for (const bad of BAD_INPUTS) {
  test(`bad input closes only that connection, logged once with the client address: ${bad.name}`, async (t) => {
    const tb = await embeddedBroker(t, bad.config)
    const victim = await tb.client()
    const bystander = await tb.client()
    // Both connections are known to the broker before the bad input arrives.
    await assertServes(victim)
    await assertServes(bystander)

    await victim.write(bad.bytes())
    await victim.waitClosed()
    assert.equal(victim.pending, 0, 'no response to bad input')

    await assertServes(bystander)
    const fresh = await tb.client()
    await assertServes(fresh)

    const about = tb.logs().filter((l) => l.client === victim.localAddress)
    assert.equal(about.length, 1, `one log line for ${victim.localAddress}: ${JSON.stringify(tb.logs())}`)
    assert.match(about[0]!.msg, /closing connection/)
    assert.ok(about[0]!.level === 'warn' || about[0]!.level === 'error')
    assert.equal(tb.logs().filter((l) => l.client === bystander.localAddress).length, 0)
  })
}

test('a frame of exactly socket.request.max.bytes is served; one byte more closes the connection', async (t) => {
  const payload = encodeRequestPayload(ApiKey.Metadata, 1, 42, { topics: [{ name: 'boundary' }] })
  const exact = await embeddedBroker(t, { 'socket.request.max.bytes': String(payload.length) })
  const c = await exact.client()
  await c.write(frame(payload))
  assert.equal(decodeResponse(await c.nextFrame(), ApiKey.Metadata, 1).correlationId, 42)

  const smaller = await embeddedBroker(t, { 'socket.request.max.bytes': String(payload.length - 1) })
  const d = await smaller.client()
  await d.write(frame(payload))
  await d.waitClosed()
  assert.equal(d.pending, 0)
})

test('a good request pipelined before bad input is still answered, then the connection closes', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  await c.write(Buffer.concat([encodeRequest(ApiKey.ApiVersions, 1, 77, {}), rawFrame(9999, 0, 78, 1, Buffer.alloc(0))]))
  await c.waitClosed()
  assert.equal(c.pending, 1)
  assert.equal(decodeResponse(await c.nextFrame(), ApiKey.ApiVersions, 1).correlationId, 77)
})

test('every bad input at once, on many connections, leaves the broker serving', async (t) => {
  const tb = await embeddedBroker(t, { 'socket.request.max.bytes': '1024' })
  const victims = await Promise.all(BAD_INPUTS.map(() => tb.client()))
  await Promise.all(victims.map((v, i) => v.write(BAD_INPUTS[i]!.bytes())))
  await Promise.all(victims.map((v) => v.waitClosed()))
  const c = await tb.client()
  await assertServes(c)
  const md = await c.request(ApiKey.Metadata, 12, { topics: null })
  assert.equal(md.brokers.length, 1)
})

/** Replaces a handler on a running broker with one that defers its answer until released. */
function deferringHandler(tb: TestBroker, base: Handler): { calls: Array<() => void>; outstanding: () => number } {
  const calls: Array<() => void> = []
  let outstanding = 0
  tb.b.broker.context.handlers.register({
    ...base,
    handle(req, ctx) {
      outstanding++
      const d = deferred<void>()
      calls.push(() => {
        outstanding--
        d.resolve()
      })
      return d.promise.then(() => base.handle(req, ctx))
    },
  })
  return { calls, outstanding: () => outstanding }
}

test('queued.max.requests bounds in-flight requests per connection; responses keep request order when handlers finish out of order', async (t) => {
  const tb = await embeddedBroker(t, { 'queued.max.requests': '4' })
  const slow = deferringHandler(tb, apiVersionsHandler)
  const c = await tb.client()
  const other = await tb.client()
  const n = 20
  await c.write(Buffer.concat(Array.from({ length: n }, (_, i) => encodeRequest(ApiKey.ApiVersions, 2, 500 + i, {}))))
  await until(() => slow.calls.length === 4, 'the first 4 requests to reach the handler')

  // Give the broker every chance to read more: a full round trip on another connection,
  // plus a few turns of the event loop. It must not start a fifth request on `c`.
  await other.request(ApiKey.Metadata, 1, { topics: [] })
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
  assert.equal(slow.calls.length, 4, 'reading paused at queued.max.requests')
  assert.equal(c.pending, 0)

  // Release in reverse order, batch by batch; the broker resumes when the queue drains.
  let released = 0
  let maxOutstanding = 0
  while (released < n) {
    await until(() => slow.calls.length > released, 'the next batch to reach the handler')
    await new Promise((r) => setImmediate(r))
    maxOutstanding = Math.max(maxOutstanding, slow.outstanding())
    const batch = slow.calls.slice(released)
    for (const release of batch.reverse()) release()
    released += batch.length
  }
  assert.ok(maxOutstanding <= 4, `at most 4 in flight, saw ${maxOutstanding}`)
  for (let i = 0; i < n; i++) {
    const resp = decodeResponse(await c.nextFrame(), ApiKey.ApiVersions, 2)
    assert.equal(resp.correlationId, 500 + i)
  }
  assert.equal(slow.calls.length, n)
})

test('a client that writes many requests without reading does not make the broker buffer their responses', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('wide', 1)
  const producer = await tb.client()
  // ~160 KB per Fetch response: one batch of 160 records of 1000 bytes.
  await produceValues(producer, 'wide', 0, Array.from({ length: 160 }, () => Buffer.alloc(1000, 7)))
  let handled = 0
  tb.b.broker.context.handlers.register({
    ...fetchHandler,
    handle(req, ctx) {
      handled++
      return fetchHandler.handle(req, ctx)
    },
  })
  const c = await tb.client()
  const other = await tb.client()
  const n = 300 // ~48 MB of responses for ~30 KB of requests
  const fetch = {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0,
    topics: [{ topic: 'wide', partitions: [{ partition: 0, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
  }
  c.socket.pause() // never read until the end
  await c.write(Buffer.concat(Array.from({ length: n }, (_, i) => encodeRequest(ApiKey.Fetch, 4, i, fetch))))
  await until(() => handled > 0, 'the first request to be handled')
  // Let the broker run: a few round trips on another connection (ApiVersions: not counted).
  for (let i = 0; i < 5; i++) await assertServes(other)
  const responseSize = 160 * 1000
  t.diagnostic(`handled ${handled} of ${n} before the client read`)
  // Whatever the kernel buffers hold (a few MB on loopback), the broker must stop reading
  // once its own write buffer is full instead of computing all 300 responses (~48 MB).
  assert.ok(
    handled * responseSize < (n / 2) * responseSize,
    `broker handled ${handled} of ${n} requests (${Math.round((handled * responseSize) / 1e6)} MB of responses) while the client read nothing`,
  )

  // Once the client reads, everything arrives, in order.
  c.socket.resume()
  for (let i = 0; i < n; i++) {
    const resp = decodeResponse<FetchResponse>(await c.nextFrame(10_000), ApiKey.Fetch, 4)
    assert.equal(resp.correlationId, i)
    assert.ok(resp.body.responses[0]!.partitions[0]!.records!.length > responseSize)
  }
  assert.equal(handled, n)
})

/** An embedded broker whose connection limits run on a clock the test moves. */
async function clockedBroker(t: TestContext, config: Record<string, string>) {
  const lines: string[] = []
  const logger = createLogger({ level: 'warn', write: (l) => lines.push(l) })
  const dir = mkdtempSync(join(tmpdir(), 'samsa-clocked-'))
  const clock = new ManualClock(1_000_000)
  const broker = new Broker({ config: loadBrokerConfig({ overrides: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir, ...config } }), logger, clock })
  await broker.start()
  const clients: RawClient[] = []
  t.after(async () => {
    for (const c of clients) c.close()
    await broker.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    broker,
    clock,
    logs: () => lines.map((l) => JSON.parse(l) as { msg: string; [k: string]: unknown }),
    async client() {
      const c = await RawClient.connect(broker.listeners[0]!.port, '127.0.0.1')
      clients.push(c)
      return c
    },
  }
}

test('connections.max.idle.ms closes a connection with no bytes moved for that long; any request restarts the count', async (t) => {
  const cb = await clockedBroker(t, { 'connections.max.idle.ms': '60000' })
  const c = await cb.client()
  await assertServes(c)
  cb.clock.advance(59_999)
  cb.broker.checkConnectionTimeouts()
  // Still open: it is served, and that request is activity.
  await assertServes(c)
  cb.clock.advance(59_999)
  cb.broker.checkConnectionTimeouts()
  await assertServes(c)
  cb.clock.advance(60_000)
  cb.broker.checkConnectionTimeouts()
  await c.waitClosed()
  // A new connection is welcome; a quiet close is not a warning.
  await assertServes(await cb.client())
  assert.deepEqual(cb.logs().filter((l) => /idle/.test(l.msg)), [])
})

test('a request being handled is not idleness: a long poll outlives connections.max.idle.ms', async (t) => {
  const cb = await clockedBroker(t, { 'connections.max.idle.ms': '1000' })
  await cb.broker.createTopic('idle-poll', 1)
  const c = await cb.client()
  const fetch = encodeRequest(ApiKey.Fetch, 12, 5, {
    replicaId: -1, maxWaitMs: 30_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'idle-poll', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  })
  await c.write(fetch)
  // The poll holds its request's memory until it is answered.
  await until(() => cb.broker.requestMemory.inUse > 0, 'the fetch to be read')
  cb.clock.advance(5_000)
  cb.broker.checkConnectionTimeouts()
  // Wake the poll with data from another connection; the waiting client gets its answer.
  await produceValues(await cb.client(), 'idle-poll', 0, ['wake'])
  const resp = decodeResponse<FetchResponse>(await c.nextFrame(), ApiKey.Fetch, 12)
  assert.equal(resp.correlationId, 5)
  assert.ok(c.isOpen)
})

test('samsa.request.read.timeout.ms closes a connection whose request does not arrive whole in time (slow senders)', async (t) => {
  const cb = await clockedBroker(t, { 'samsa.request.read.timeout.ms': '5000' })
  const c = await cb.client()
  const req = encodeRequest(ApiKey.ApiVersions, 3, 9, apiVersionsBody(3))
  // The size and a few bytes: the broker reserves the frame's memory when it reads the size.
  await c.write(req.subarray(0, 10))
  await until(() => cb.broker.requestMemory.inUse > 0, 'the frame size to be read')
  cb.clock.advance(4_999)
  cb.broker.checkConnectionTimeouts()
  await c.write(req.subarray(10))
  assert.equal(decodeResponse(await c.nextFrame(), ApiKey.ApiVersions, 3).correlationId, 9, 'in time: served')

  // A frame that trickles in: bytes arriving do not restart its clock.
  await c.write(req.subarray(0, 10))
  await until(() => cb.broker.requestMemory.inUse > 0, 'the second frame size to be read')
  cb.clock.advance(3_000)
  cb.broker.checkConnectionTimeouts()
  await c.write(req.subarray(10, 12))
  cb.clock.advance(2_000)
  cb.broker.checkConnectionTimeouts()
  await c.waitClosed()
  const warned = cb.logs().filter((l) => l.msg.startsWith('closing connection: request not received in full within samsa.request.read.timeout.ms (5000 ms)'))
  assert.equal(warned.length, 1, JSON.stringify(cb.logs()))
  assert.equal(warned[0]!.expected, req.length)
  await until(() => cb.broker.requestMemory.inUse === 0, 'its reservation to be given back')
  await assertServes(await cb.client())
})

test('an array of 2,000,000 elements closes that connection with one warn line, before the broker builds the request', async (t) => {
  const tb = await embeddedBroker(t)
  const bystander = await tb.client()
  const c = await tb.client()
  // Metadata v0 whose topic array holds 2,000,000 empty names: every byte present.
  const header = encodeRequestPayload(ApiKey.Metadata, 0, 1, { topics: [] })
  const body = Buffer.alloc(2 * 2_000_000)
  const count = Buffer.alloc(4)
  count.writeInt32BE(2_000_000)
  await c.write(frame(Buffer.concat([header.subarray(0, header.length - 4), count, body])))
  await c.waitClosed()
  assert.equal(c.pending, 0)
  const warned = tb.logs().filter((l) => l.msg === 'closing connection: malformed request body')
  assert.equal(warned.length, 1)
  assert.match(String(warned[0]!.error), /array of 2000000 elements exceeds the maximum of 1000000/)
  await assertServes(bystander)
})
