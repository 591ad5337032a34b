/**
 * Request and response types follow the API key (the generated ApiTypes map): a body of the
 * wrong shape for a key does not compile. The `@ts-expect-error` lines are the test — the build
 * (tsc) fails if any of them stops being an error — and the runtime part checks the map's keys
 * against the registry so that a new API cannot be left out.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey, type ApiKeyNumber, type RequestOf, type ResponseOf } from '../../../src/protocol/generated/api-keys.js'
import { APIS } from '../../../src/protocol/generated/api-codecs.js'
import type { BrokerConnection } from '../../../src/client/base/connection.js'
import type { Handler } from '../../../src/broker/handler.js'
import type { RawClient } from '../../helpers/raw-client.js'

// Never called: only compiled.
export async function typeChecks(conn: BrokerConnection, raw: RawClient): Promise<void> {
  const md = await conn.request(ApiKey.Metadata, { topics: null })
  const brokers: number = md.brokers.length
  // @ts-expect-error MetadataResponse has no `responses` (that is ProduceResponse's)
  void md.responses
  // @ts-expect-error a field MetadataRequest does not have
  await conn.request(ApiKey.Metadata, { topics: null, acks: 1 })
  // @ts-expect-error a ProduceRequest body sent as Fetch
  await conn.request(ApiKey.Fetch, { acks: 1, timeoutMs: 100, topicData: [] })
  // @ts-expect-error the raw test client is typed by key as well
  await raw.request(ApiKey.ListOffsets, 1, { replicaId: -1, topics: [], groupId: 'g' })
  const ok: Handler<typeof ApiKey.Heartbeat>['handle'] = () => ({ throttleTimeMs: 0, errorCode: 0 })
  // @ts-expect-error a Heartbeat handler must answer a HeartbeatResponse (it has an errorCode)
  const wrong: Handler<typeof ApiKey.Heartbeat>['handle'] = () => ({ throttleTimeMs: 0, assignment: Buffer.alloc(0) })
  const r: RequestOf<typeof ApiKey.Produce>['acks'] = -1
  const p: ResponseOf<typeof ApiKey.Produce>['responses'] = []
  void [brokers, ok, wrong, r, p]
}

test('the ApiTypes map covers every API in the registry', () => {
  const keys: ApiKeyNumber[] = APIS.map((a) => a.apiKey as ApiKeyNumber)
  assert.equal(new Set(keys).size, APIS.length)
  assert.deepEqual(Object.values(ApiKey).sort((a, b) => a - b), keys.sort((a, b) => a - b))
})
