/**
 * BrokerConnection loads an API's codecs on its first use: a `samsa` tool or a client then
 * parses the few codec modules it needs, not all ninety (about 0.1 s of CPU per process).
 * Requests must still reach the socket in call order while a codec loads.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { register } from 'node:module'
import { createServer, type Socket } from 'node:net'
import { MessageChannel } from 'node:worker_threads'
import type { AddressInfo } from 'node:net'

const generated = new URL('../../../src/protocol/generated/', import.meta.url).href

// Registered before anything imports the client, so every module the client pulls in is seen.
const loadedUrls: string[] = []
const { port1, port2 } = new MessageChannel()
port1.on('message', (url: string) => loadedUrls.push(url))
port1.unref()
const hook = `let port
export function initialize(d) { port = d.port }
export async function load(url, context, next) { port.postMessage(url); return next(url, context) }`
register(`data:text/javascript,${encodeURIComponent(hook)}`, { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] })

async function settle(): Promise<void> {
  // The hook thread posts asynchronously.
  await new Promise((r) => setTimeout(r, 100))
}

const loadedCodecs = () => loadedUrls.filter((u) => u.startsWith(generated) && !u.includes('/data/') && !u.includes('/coordinator/')).map((u) => u.slice(generated.length))

test('importing the admin client loads no request codec; a request loads its own', async (t) => {
  await import('../../../src/client/admin/admin.js')
  await settle()
  const atImport = loadedCodecs()
  assert.ok(!atImport.includes('produce.js') && !atImport.includes('fetch.js') && !atImport.includes('metadata.js'), `loaded at import: ${atImport.join(', ')}`)
  // api-keys.js, headers.js and api-versions.js (the handshake) at most.
  assert.ok(atImport.length <= 3, `loaded at import: ${atImport.join(', ')}`)

  const { srv, seen } = await fakeBroker()
  t.after(() => srv.close())
  const { BrokerConnection } = await import('../../../src/client/base/connection.js')
  const { ApiKey, loadApi } = await import('../../../src/protocol/generated/api-keys.js')
  const conn = await BrokerConnection.open({ host: '127.0.0.1', port: (srv.address() as AddressInfo).port, nodeId: -1, clientId: 't', connectTimeoutMs: 5000, requestTimeoutMs: 5000 })
  t.after(() => conn.close())
  // Requests issued back to back, the first two before their codecs have loaded: the third,
  // whose codec is loaded already, must not overtake them.
  await loadApi(ApiKey.DescribeCluster)
  const sent = [
    conn.request(ApiKey.Metadata, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }),
    conn.request(ApiKey.ListGroups, { statesFilter: [], typesFilter: [] }),
    conn.request(ApiKey.DescribeCluster, { includeClusterAuthorizedOperations: false, endpointType: 1 }),
    conn.request(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }),
  ]
  for (const p of sent) p.catch(() => {})
  await waitFor(() => seen.length >= 5)
  assert.deepEqual(seen, [ApiKey.ApiVersions, ApiKey.Metadata, ApiKey.ListGroups, ApiKey.DescribeCluster, ApiKey.Metadata])
  await settle()
  const after = loadedCodecs()
  for (const f of ['metadata.js', 'list-groups.js', 'describe-cluster.js']) assert.ok(after.includes(f), `${f} not loaded: ${after.join(', ')}`)
  assert.ok(!after.includes('produce.js'), 'produce.js loaded without a Produce request')
})

/** Answers ApiVersions with every API at v0-v20 and records the API key of each request. */
async function fakeBroker(): Promise<{ srv: ReturnType<typeof createServer>; seen: number[] }> {
  const { ApiVersionsResponse } = await import('../../../src/protocol/generated/api-versions.js')
  const { API_INFO } = await import('../../../src/protocol/generated/api-keys.js')
  const seen: number[] = []
  const srv = createServer((s: Socket) => {
    let buf = Buffer.alloc(0)
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0))
        buf = buf.subarray(4 + frame.length)
        const apiKey = frame.readInt16BE(0)
        const version = frame.readInt16BE(2)
        const correlationId = frame.readInt32BE(4)
        seen.push(apiKey)
        if (apiKey !== 18) continue
        const body = ApiVersionsResponse.encode(
          { errorCode: 0, apiKeys: API_INFO.map((a) => ({ apiKey: a.apiKey, minVersion: 0, maxVersion: Math.min(a.request.maxVersion, 20) })), throttleTimeMs: 0 },
          version,
        )
        const head = Buffer.alloc(8)
        head.writeInt32BE(4 + body.length, 0)
        head.writeInt32BE(correlationId, 4)
        s.write(Buffer.concat([head, body]))
      }
    })
    s.on('error', () => {})
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  return { srv, seen }
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}
