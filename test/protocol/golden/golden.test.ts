/**
 * Golden frames: requests real clients sent to Samsa and the responses they got, captured by
 * scripts/capture-frames.mjs. Every frame must decode with the generated codecs (header and
 * body, nothing left over) and re-encode to the very same bytes.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { apiByKey } from '../../../src/protocol/generated/api-codecs.js'
import { RequestHeader, ResponseHeader } from '../../../src/protocol/generated/headers.js'
import { requestHeaderVersion, responseHeaderVersion } from '../../../src/protocol/header.js'
import { Reader } from '../../../src/protocol/primitives/reader.js'
import { Writer } from '../../../src/protocol/primitives/writer.js'

/** The fixtures live next to this file's source (compiled to dist/test/protocol/golden/). */
const DIR = fileURLToPath(new URL('../../../../test/protocol/golden/', import.meta.url))

interface Exchange {
  connection: number
  apiKey: number
  apiName: string
  apiVersion: number
  correlationId: number
  request: string
  response: string | null
}

interface Fixture {
  client: string
  clientVersion: string
  exchanges: Exchange[]
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()

test('fixtures exist for every client the interop tests use', () => {
  for (const client of ['kcat', 'kafkajs', 'kafka-python', 'confluent-kafka', 'platformatic']) {
    assert.ok(files.includes(`${client}.json`), `${client}.json in ${DIR}`)
  }
})

function roundTripRequest(ex: Exchange): void {
  const bytes = Buffer.from(ex.request, 'hex')
  const api = apiByKey(ex.apiKey)
  assert.ok(api, `codec for API key ${ex.apiKey}`)
  const hv = requestHeaderVersion(ex.apiKey, ex.apiVersion)
  const r = new Reader(bytes)
  const header = RequestHeader.read(r, hv)
  assert.equal(header.requestApiKey, ex.apiKey)
  assert.equal(header.requestApiVersion, ex.apiVersion)
  assert.equal(header.correlationId, ex.correlationId)
  const body = api.request.read(r, ex.apiVersion)
  r.finish(`${api.request.name} v${ex.apiVersion}`)
  assert.equal(r.remaining, 0, 'request fully consumed')

  const w = new Writer()
  RequestHeader.write(w, header, hv)
  api.request.write(w, body, ex.apiVersion)
  assert.equal(w.toBuffer().toString('hex'), ex.request)
}

function roundTripResponse(ex: Exchange): void {
  const bytes = Buffer.from(ex.response!, 'hex')
  const api = apiByKey(ex.apiKey)!
  // KIP-511: an ApiVersions request newer than the broker knows is answered in v0.
  const bodyVersion = ex.apiKey === ApiKey.ApiVersions && ex.apiVersion > api.response.maxVersion ? 0 : ex.apiVersion
  const hv = responseHeaderVersion(ex.apiKey, bodyVersion)
  const r = new Reader(bytes)
  const header = ResponseHeader.read(r, hv)
  assert.equal(header.correlationId, ex.correlationId, 'response correlation id matches its request')
  const body = api.response.read(r, bodyVersion)
  r.finish(`${api.response.name} v${bodyVersion}`)
  assert.equal(r.remaining, 0, 'response fully consumed')

  const w = new Writer()
  ResponseHeader.write(w, header, hv)
  api.response.write(w, body, bodyVersion)
  assert.equal(w.toBuffer().toString('hex'), ex.response)
}

for (const file of files) {
  const fixture = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Fixture

  test(`${file}: captured a handshake and metadata`, () => {
    assert.ok(fixture.exchanges.some((e) => e.apiKey === ApiKey.ApiVersions), 'an ApiVersions exchange')
    assert.ok(fixture.exchanges.some((e) => e.apiKey === ApiKey.Metadata), 'a Metadata exchange')
    for (const e of fixture.exchanges) assert.ok(e.response !== null, `${e.apiName} v${e.apiVersion} (correlation id ${e.correlationId}) was answered`)
  })

  for (const [i, ex] of fixture.exchanges.entries()) {
    const label = `${file} #${i} ${ex.apiName} v${ex.apiVersion}`
    test(`${label}: request decodes and re-encodes to identical bytes`, () => roundTripRequest(ex))
    if (ex.response !== null) {
      test(`${label}: response decodes and re-encodes to identical bytes`, () => roundTripResponse(ex))
    }
  }
}
