/**
 * KIP-368 on the broker, driven byte by byte with an injected clock: SaslAuthenticate v1+
 * answers the session lifetime (connections.max.reauth.ms, or sooner an OAUTHBEARER token's
 * exp); a v1+ client re-authenticates with a new SaslHandshake on the same connection, keeping
 * its mechanism and principal; any other request after the session ended closes the connection.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { startBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'
import { ManualTime } from '../../src/util/time.js'
import { RawClient } from '../helpers/raw-client.js'

const plain = (user: string, password: string) => Buffer.from(`\u0000${user}\u0000${password}`)
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
const bearer = (claims: unknown) => Buffer.from(`n,,\u0001auth=Bearer ${b64({ alg: 'none' })}.${b64(claims)}.\u0001\u0001`)
const metadata = (c: RawClient) => c.request(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })

async function broker(t: import('node:test').TestContext, time: ManualTime, extra: Record<string, string> = {}) {
  const lines: string[] = []
  const b = await startBroker({
    time,
    logger: createLogger({ level: 'warn', write: (l) => lines.push(l) }),
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN,OAUTHBEARER',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="a-secret" user_bob="b-secret";',
      'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
      'connection.failed.authentication.delay.ms': '0',
      'connections.max.reauth.ms': '60000',
      ...extra,
    },
  })
  t.after(() => b.close())
  const clients: RawClient[] = []
  t.after(() => clients.forEach((c) => c.close()))
  return {
    lines,
    async login(mechanism: string, token: Buffer, version = 2) {
      const c = await RawClient.connect(b.port, b.host)
      clients.push(c)
      assert.equal((await c.request(ApiKey.SaslHandshake, 1, { mechanism })).errorCode, ErrorCode.NONE)
      const r = await c.request(ApiKey.SaslAuthenticate, version, { authBytes: token })
      assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '')
      return { c, lifetime: r.sessionLifetimeMs }
    },
  }
}

test('the session lasts connections.max.reauth.ms; re-authenticating renews it; past it, a request closes the connection', async (t) => {
  const time = new ManualTime()
  const b = await broker(t, time)
  const { c, lifetime } = await b.login('PLAIN', plain('alice', 'a-secret'))
  assert.equal(lifetime, 60_000n)
  time.advance(50_000)
  assert.equal((await metadata(c)).brokers.length, 1)
  // Re-authentication on the same connection, between requests.
  assert.equal((await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode, ErrorCode.NONE)
  const again = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: plain('alice', 'a-secret') })
  assert.equal(again.errorCode, ErrorCode.NONE)
  assert.equal(again.sessionLifetimeMs, 60_000n)
  time.advance(50_000) // 100 s after the first login, 50 s after the second: still valid
  assert.equal((await metadata(c)).brokers.length, 1)
  time.advance(10_000)
  await assert.rejects(metadata(c), /closed/)
  assert.ok(b.lines.some((l) => l.includes('SASL session expired')), b.lines.join('\n'))
})

test('re-authentication keeps the principal and the mechanism', async (t) => {
  const time = new ManualTime()
  const b = await broker(t, time)
  const one = await b.login('PLAIN', plain('alice', 'a-secret'))
  assert.equal((await one.c.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode, ErrorCode.NONE)
  const other = await one.c.request(ApiKey.SaslAuthenticate, 2, { authBytes: plain('bob', 'b-secret') })
  assert.equal(other.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED)
  assert.match(other.errorMessage ?? '', /Cannot change principals during re-authentication from User\.alice: User\.bob/)
  await one.c.waitClosed()

  const two = await b.login('PLAIN', plain('alice', 'a-secret'))
  assert.equal((await two.c.request(ApiKey.SaslHandshake, 1, { mechanism: 'OAUTHBEARER' })).errorCode, ErrorCode.NONE)
  const switched = await two.c.request(ApiKey.SaslAuthenticate, 2, { authBytes: bearer({ sub: 'alice', exp: time.now() / 1000 + 600 }) })
  assert.equal(switched.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED)
  assert.match(switched.errorMessage ?? '', /SASL mechanism 'OAUTHBEARER' requested by client is not supported for re-authentication of mechanism 'PLAIN'/)
  await two.c.waitClosed()
})

test('an OAUTHBEARER token ending sooner bounds the session; without connections.max.reauth.ms only the token does', async (t) => {
  const time = new ManualTime()
  const b = await broker(t, time)
  const { lifetime } = await b.login('OAUTHBEARER', bearer({ sub: 'carol', exp: time.now() / 1000 + 10 }))
  assert.equal(lifetime, 10_000n)
  const unlimited = await broker(t, time, { 'connections.max.reauth.ms': '0' })
  const p = await unlimited.login('PLAIN', plain('alice', 'a-secret'))
  assert.equal(p.lifetime, 0n, 'no limit: 0, as Kafka')
  time.advance(365 * 24 * 3600_000)
  assert.equal((await metadata(p.c)).brokers.length, 1)
  const o = await unlimited.login('OAUTHBEARER', bearer({ sub: 'carol', exp: time.now() / 1000 + 30 }))
  assert.equal(o.lifetime, 30_000n)
})

test('a SaslAuthenticate v0 client cannot re-authenticate, and its session still ends', async (t) => {
  const time = new ManualTime()
  const b = await broker(t, time)
  const { c } = await b.login('PLAIN', plain('alice', 'a-secret'), 0)
  const hs = await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })
  assert.equal(hs.errorCode, ErrorCode.ILLEGAL_SASL_STATE)
  await c.waitClosed()
  const d = (await b.login('PLAIN', plain('alice', 'a-secret'), 0)).c
  time.advance(60_000)
  await assert.rejects(metadata(d), /closed/)
})
