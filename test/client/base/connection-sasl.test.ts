/**
 * The connection's SASL exchange against a fake broker speaking the wire protocol directly
 * (the real broker does not give session lifetimes, and only old brokers lack
 * SaslAuthenticate): KIP-368 re-authentication before the session expires, held back until
 * the requests in flight are answered, and the v0 handshake with raw tokens. The clock of the
 * re-authentication is a ManualTime, so the test moves time instead of sleeping.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Socket } from 'node:net'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { apiByKey } from '../../../src/protocol/generated/api-codecs.js'
import { RequestHeader, ResponseHeader } from '../../../src/protocol/generated/headers.js'
import { requestHeaderVersion, responseHeaderVersion } from '../../../src/protocol/header.js'
import { Reader } from '../../../src/protocol/primitives/reader.js'
import { Writer } from '../../../src/protocol/primitives/writer.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { BrokerConnection } from '../../../src/client/base/connection.js'
import { AuthenticationError } from '../../../src/client/base/errors.js'
import { plainClient } from '../../../src/client/base/sasl/plain.js'
import { ManualTime } from '../../../src/util/time.js'
import { waitFor } from '../../helpers/wire.js'

interface FakeOptions {
  /** SaslHandshake's highest version and whether SaslAuthenticate is offered (false: v0 raw tokens). */
  saslAuthenticate: boolean
  sessionLifetimeMs?: bigint
  password: string
}

interface Fake {
  port: number
  /** API keys of the requests received, in order ('raw' for a raw SASL token). */
  seen: Array<number | 'raw'>
  /** Metadata requests are held until released. */
  releaseMetadata(): void
  heldMetadata(): number
}

async function fakeBroker(t: TestContext, o: FakeOptions): Promise<Fake> {
  const seen: Fake['seen'] = []
  const held: Array<() => void> = []
  const sockets: Socket[] = []
  const apiKeys = [
    { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
    { apiKey: ApiKey.Metadata, minVersion: 1, maxVersion: 1 },
    { apiKey: ApiKey.SaslHandshake, minVersion: 0, maxVersion: o.saslAuthenticate ? 1 : 0 },
    ...(o.saslAuthenticate ? [{ apiKey: ApiKey.SaslAuthenticate, minVersion: 0, maxVersion: 2 }] : []),
  ]
  const server = createServer((s) => {
    sockets.push(s)
    let buf = Buffer.alloc(0)
    let raw = false
    const send = (payload: Buffer) => {
      const size = Buffer.alloc(4)
      size.writeInt32BE(payload.length)
      s.write(Buffer.concat([size, payload]))
    }
    const checkPlain = (token: Buffer) => token.toString('utf8') === `\u0000alice\u0000${o.password}`
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d])
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const payload = buf.subarray(4, 4 + buf.readInt32BE(0))
        buf = buf.subarray(4 + payload.length)
        if (raw) {
          seen.push('raw')
          raw = false
          if (checkPlain(payload)) send(Buffer.alloc(0))
          else s.destroy()
          continue
        }
        const key = payload.readInt16BE(0)
        const version = payload.readInt16BE(2)
        const r = new Reader(payload)
        const header = RequestHeader.read(r, requestHeaderVersion(key, version))
        const api = apiByKey(key)!
        const body = api.request.read(r, version) as never
        seen.push(key)
        const respond = (resp: unknown) => {
          const w = new Writer()
          ResponseHeader.write(w, { correlationId: header.correlationId }, responseHeaderVersion(key, version))
          api.response.write(w, resp as never, version)
          send(w.toBuffer())
        }
        if (key === ApiKey.ApiVersions) respond({ errorCode: 0, apiKeys, throttleTimeMs: 0 })
        else if (key === ApiKey.SaslHandshake) {
          raw = version === 0
          respond({ errorCode: 0, mechanisms: ['PLAIN'] })
        } else if (key === ApiKey.SaslAuthenticate) {
          const ok = checkPlain((body as { authBytes: Buffer }).authBytes)
          respond({
            errorCode: ok ? 0 : ErrorCode.SASL_AUTHENTICATION_FAILED,
            errorMessage: ok ? null : 'Authentication failed: Invalid username or password',
            authBytes: Buffer.alloc(0),
            sessionLifetimeMs: ok ? (o.sessionLifetimeMs ?? 0n) : 0n,
          })
        } else if (key === ApiKey.Metadata) held.push(() => respond({ brokers: [], controllerId: 1, topics: [] }))
        else s.destroy()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })
  return {
    port: (server.address() as { port: number }).port,
    seen,
    releaseMetadata: () => held.shift()!(),
    heldMetadata: () => held.length,
  }
}

const open = (port: number, password: string, time?: ManualTime) =>
  BrokerConnection.open({ host: '127.0.0.1', port, nodeId: 1, clientId: 't', connectTimeoutMs: 5000, requestTimeoutMs: 5000, sasl: () => plainClient('alice', password), ...(time ? { time } : {}) })

const metadata = (c: BrokerConnection) => c.request(ApiKey.Metadata, { topics: [] }, { version: 1 })

test('KIP-368: with a session lifetime the connection re-authenticates before it ends, between requests', async (t) => {
  const fake = await fakeBroker(t, { saslAuthenticate: true, sessionLifetimeMs: 10_000n, password: 'pw' })
  const time = new ManualTime()
  const c = await open(fake.port, 'pw', time)
  t.after(() => c.close())
  assert.deepEqual(fake.seen, [ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate])
  assert.equal(c.authentications, 1)
  const first = metadata(c)
  await waitFor(() => fake.heldMetadata() === 1, 'the first Metadata request at the fake broker')
  // Past 95% of the lifetime: re-authentication is due, but a request is in flight.
  time.advance(9_500)
  // Held, not written: it arrives after the re-authentication below (the order proves it).
  const second = metadata(c)
  fake.releaseMetadata()
  await first
  await waitFor(() => fake.heldMetadata() === 1, 'the second Metadata request, after re-authenticating')
  assert.deepEqual(fake.seen.slice(3), [ApiKey.Metadata, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate, ApiKey.Metadata], 'the second request waited for the first answer and the re-authentication')
  assert.equal(c.authentications, 2)
  fake.releaseMetadata()
  await second
  // The new session is re-authenticated again in its turn.
  time.advance(9_500)
  await waitFor(() => c.authentications === 3, 'a third authentication')
})

test('a refused re-authentication fails the connection and the held requests with an AuthenticationError', async (t) => {
  const opts: FakeOptions = { saslAuthenticate: true, sessionLifetimeMs: 10_000n, password: 'pw' }
  const fake = await fakeBroker(t, opts)
  const time = new ManualTime()
  const c = await open(fake.port, 'pw', time)
  t.after(() => c.close())
  // The password changed on the broker side since the connection authenticated.
  opts.password = 'rotated'
  time.advance(9_500)
  await assert.rejects(metadata(c), (e: unknown) => e instanceof AuthenticationError && /Invalid username or password/.test(e.message))
  assert.equal(c.isClosed, true)
  assert.deepEqual(fake.seen, [ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate])
})

test('without a session lifetime there is no re-authentication', async (t) => {
  const fake = await fakeBroker(t, { saslAuthenticate: true, password: 'pw' })
  const time = new ManualTime()
  const c = await open(fake.port, 'pw', time)
  t.after(() => c.close())
  time.advance(365 * 24 * 3600_000)
  const m = metadata(c)
  await waitFor(() => fake.heldMetadata() === 1, 'the Metadata request')
  fake.releaseMetadata()
  await m
  assert.deepEqual(fake.seen, [ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate, ApiKey.Metadata])
})

test('a broker without SaslAuthenticate gets a v0 handshake and the raw token; a refusal (the broker closes) is an AuthenticationError', async (t) => {
  const fake = await fakeBroker(t, { saslAuthenticate: false, password: 'pw' })
  const c = await open(fake.port, 'pw')
  t.after(() => c.close())
  const m = metadata(c)
  await waitFor(() => fake.heldMetadata() === 1, 'the Metadata request')
  fake.releaseMetadata()
  await m
  assert.deepEqual(fake.seen, [ApiKey.ApiVersions, ApiKey.SaslHandshake, 'raw', ApiKey.Metadata])
  await assert.rejects(open(fake.port, 'wrong'), (e: unknown) => e instanceof AuthenticationError && /SASL PLAIN authentication failed: the broker closed the connection/.test(e.message))
})

test('a refused SaslAuthenticate is an AuthenticationError with the broker\'s message', async (t) => {
  const fake = await fakeBroker(t, { saslAuthenticate: true, password: 'pw' })
  await assert.rejects(open(fake.port, 'wrong'), (e: unknown) => e instanceof AuthenticationError && e.code === 'SASL_AUTHENTICATION_FAILED' && e.retriable === false && /Invalid username or password/.test(e.message))
})
