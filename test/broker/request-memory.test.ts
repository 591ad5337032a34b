/**
 * queued.max.request.bytes: a broker-wide budget of request bytes read and not yet answered.
 * Used up, the broker stops reading sockets; answers (or closed connections) free it again.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import type { ApiVersionsResponse } from '../../src/protocol/generated/api-versions.js'
import type { MetadataResponse } from '../../src/protocol/generated/metadata.js'
import { decodeResponse, encodeRequest, encodeRequestPayload, frame } from '../helpers/raw-client.js'
import { embeddedBroker, until } from './helpers.js'

/** A Metadata v1 request of about `bytes` bytes (long, invalid topic names: answered with errors). */
function bigMetadata(correlationId: number, bytes: number): Buffer {
  const names = Array.from({ length: Math.ceil(bytes / 30_000) }, (_, i) => ({ name: String(i).padEnd(30_000, 'x') }))
  return frame(encodeRequestPayload(ApiKey.Metadata, 1, correlationId, { topics: names }))
}

test('a used-up budget stops reading every socket until an answer frees it; the waiting requests are then served in full', async (t) => {
  const big = bigMetadata(1, 100_000)
  const size = big.length - 4
  // The budget is exactly one such request: while it is being read, nothing else is.
  const tb = await embeddedBroker(t, { 'socket.request.max.bytes': String(size), 'queued.max.request.bytes': String(size), 'auto.create.topics.enable': 'false' })
  const memory = tb.b.broker.requestMemory
  const slow = await tb.client()
  await slow.write(big.subarray(0, 1000))
  await until(() => memory.inUse === size, 'the big frame to reserve the budget')

  const others = await Promise.all([tb.client(), tb.client()])
  for (const [i, c] of others.entries()) await c.write(encodeRequest(ApiKey.ApiVersions, 2, 10 + i, {}))
  await until(() => memory.waiting === 2, 'both other connections to wait for memory')
  assert.deepEqual(others.map((c) => c.pending), [0, 0], 'not read, so not answered')

  await slow.write(big.subarray(1000))
  const md = decodeResponse<MetadataResponse>(await slow.nextFrame(), ApiKey.Metadata, 1)
  assert.equal(md.correlationId, 1)
  assert.equal(md.body.topics.length, Math.ceil(100_000 / 30_000))
  for (const [i, c] of others.entries()) {
    const r = decodeResponse<ApiVersionsResponse>(await c.nextFrame(), ApiKey.ApiVersions, 2)
    assert.equal(r.correlationId, 10 + i)
    assert.equal(r.body.errorCode, 0)
  }
  await until(() => memory.inUse === 0 && memory.waiting === 0, 'the budget to be free')
})

test('a connection that dies holding budget gives it back, and waiting connections go on', async (t) => {
  const big = bigMetadata(1, 100_000)
  const size = big.length - 4
  const tb = await embeddedBroker(t, { 'socket.request.max.bytes': String(size), 'queued.max.request.bytes': String(size) })
  const memory = tb.b.broker.requestMemory
  const hog = await tb.client()
  await hog.write(big.subarray(0, 10))
  await until(() => memory.inUse === size, 'the hog to reserve the budget')
  const c = await tb.client()
  await c.write(encodeRequest(ApiKey.ApiVersions, 2, 7, {}))
  await until(() => memory.waiting === 1, 'the other connection to wait')
  hog.close()
  assert.equal(decodeResponse(await c.nextFrame(), ApiKey.ApiVersions, 2).correlationId, 7)
  await until(() => memory.inUse === 0, 'the budget to be free')
})

test('by default (-1) the budget is still bounded: twice socket.request.max.bytes, at least 256 MiB', async (t) => {
  const defaults = await embeddedBroker(t)
  assert.equal(defaults.b.broker.requestMemory.budget, 256 * 1024 * 1024)
  const large = await embeddedBroker(t, { 'socket.request.max.bytes': String(200 * 1024 * 1024) })
  assert.equal(large.b.broker.requestMemory.budget, 400 * 1024 * 1024)
})
