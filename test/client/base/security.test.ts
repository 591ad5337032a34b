/**
 * Samsa's own client over TLS and SASL against a real embedded broker with certificates made
 * at test time: producer, consumer and admin over SASL_SSL with PLAIN, mutual TLS on an SSL
 * listener, OAUTHBEARER with an unsecured token; refusals (wrong password, an untrusted broker,
 * a mechanism the listener does not enable, a token without the required scope) are
 * AuthenticationErrors carrying the broker's message, thrown at once rather than retried.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { Admin } from '../../../src/client/admin/admin.js'
import { Producer } from '../../../src/client/producer/index.js'
import { AuthenticationError } from '../../../src/client/base/errors.js'
import type { BaseOptions } from '../../../src/client/base/options.js'
import { createLogger } from '../../../src/util/logger.js'
import { startBroker } from '../../../src/index.js'
import { makeCerts, type TestCerts } from '../../helpers/certs.js'
import { embeddedBroker, type TestBroker } from '../../broker/helpers.js'
import { closeAtEnd, consumerFor } from '../consumer/helpers.js'

const quiet = createLogger({ level: 'error', write: () => {} })
const PLAIN_JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";'
const OAUTH_JAAS = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredValidatorRequiredScope="kafka";'

interface SecureBroker extends TestBroker {
  certs: TestCerts
  bootstrap(listener: string): string
}

async function secureBroker(t: TestContext): Promise<SecureBroker> {
  const certs = makeCerts()
  t.after(() => certs.cleanup())
  const tb = await embeddedBroker(t, {
    listeners: 'SASL_SSL://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    'ssl.keystore.location': certs.serverKeystore,
    'ssl.truststore.location': certs.caFile,
    'listener.name.ssl.ssl.client.auth': 'required',
    'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': PLAIN_JAAS,
    'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'OAUTHBEARER',
    'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': OAUTH_JAAS,
    'connection.failed.authentication.delay.ms': '10',
  })
  const port = (l: string) => tb.b.broker.listeners.find((x) => x.name === l)!.port
  return { ...tb, certs, bootstrap: (l) => `localhost:${port(l)}` }
}

function admin(t: TestContext, o: Omit<BaseOptions, 'logger'>): Admin {
  const a = new Admin({ logger: quiet, retryBackoffMs: 10, ...o })
  closeAtEnd(t, () => a.close())
  return a
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
const unsecuredToken = (sub: string, scope: string) => `${b64({ alg: 'none' })}.${b64({ sub, exp: Math.floor(Date.now() / 1000) + 3600, scope })}.`

test('producer, consumer and admin over SASL_SSL with PLAIN', async (t) => {
  const b = await secureBroker(t)
  const security = { ssl: { ca: readFileSync(b.certs.caFile) }, sasl: { mechanism: 'plain' as const, username: 'alice', password: 'alice-secret' } }
  const bootstrapServers = b.bootstrap('SASL_SSL')
  await admin(t, { bootstrapServers, ...security }).createTopics([{ topic: 'secure', numPartitions: 1, replicationFactor: 1 }])
  const p = new Producer({ bootstrapServers, logger: quiet, ...security })
  closeAtEnd(t, () => p.close())
  await p.sendBatch([{ topic: 'secure', value: 'one' }, { topic: 'secure', value: 'two' }])
  const c = consumerFor(t, bootstrapServers, { ...security, autoOffsetReset: 'earliest' })
  c.assign([{ topic: 'secure', partition: 0 }])
  const got: string[] = []
  for (const end = Date.now() + 15_000; got.length < 2 && Date.now() < end; ) for (const r of await c.poll({ timeoutMs: 300 })) got.push(r.value!.toString())
  assert.deepEqual(got, ['one', 'two'])
})

test('SASL refusals are AuthenticationErrors with the broker\'s message, not retried until a timeout', async (t) => {
  const b = await secureBroker(t)
  const ssl = { ca: readFileSync(b.certs.caFile) }
  const started = Date.now()
  const wrong = admin(t, { bootstrapServers: b.bootstrap('SASL_SSL'), ssl, sasl: { mechanism: 'plain', username: 'alice', password: 'nope' } })
  const e = await wrong.listTopics({ timeoutMs: 20_000 }).then(() => assert.fail('a wrong password was accepted'), (x: unknown) => x)
  assert.ok(e instanceof AuthenticationError, String(e))
  assert.equal(e.code, 'SASL_AUTHENTICATION_FAILED')
  assert.equal(e.retriable, false)
  assert.match(e.message, /SASL PLAIN authentication failed: Authentication failed: Invalid username or password/)
  assert.ok(Date.now() - started < 10_000, 'refused at once, not after the call\'s whole timeout')
  const scram = admin(t, { bootstrapServers: b.bootstrap('SASL_SSL'), ssl, sasl: { mechanism: 'scram-sha-256', username: 'alice', password: 'alice-secret' } })
  await assert.rejects(scram.listTopics({ timeoutMs: 20_000 }), (x: unknown) => x instanceof AuthenticationError && x.code === 'UNSUPPORTED_SASL_MECHANISM' && /offers PLAIN/.test(x.message))
})

test('TLS: an untrusted broker certificate is refused; mutual TLS with a client certificate works, without one it is refused', async (t) => {
  const b = await secureBroker(t)
  const cert = b.certs.client('/CN=app')
  const mtls = { ca: readFileSync(b.certs.caFile), cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) }
  const a = admin(t, { bootstrapServers: b.bootstrap('SSL'), ssl: mtls })
  await a.createTopics([{ topic: 'mtls', numPartitions: 1, replicationFactor: 1 }])
  assert.ok((await a.listTopics()).includes('mtls'))
  const untrusted = admin(t, { bootstrapServers: b.bootstrap('SSL'), ssl: true })
  await assert.rejects(untrusted.listTopics({ timeoutMs: 20_000 }), (x: unknown) => x instanceof AuthenticationError && x.code === 'SSL_AUTHENTICATION_FAILED' && /not trusted/.test(x.message))
  const noCert = admin(t, { bootstrapServers: b.bootstrap('SSL'), ssl: { ca: mtls.ca } })
  await assert.rejects(noCert.listTopics({ timeoutMs: 20_000 }), (x: unknown) => x instanceof AuthenticationError && /client certificate/.test(x.message))
})

test('OAUTHBEARER with an unsecured token from oauthBearerProvider; a token without the required scope is refused with the reason', async (t) => {
  const b = await secureBroker(t)
  const bootstrapServers = b.bootstrap('SASL_PLAINTEXT')
  const ok = admin(t, { bootstrapServers, sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: unsecuredToken('bob', 'kafka') }) } })
  await ok.createTopics([{ topic: 'oauth', numPartitions: 1, replicationFactor: 1 }])
  const p = new Producer({ bootstrapServers, logger: quiet, sasl: { mechanism: 'oauthbearer', oauthBearerProvider: () => ({ value: unsecuredToken('bob', 'kafka') }) } })
  closeAtEnd(t, () => p.close())
  await p.send({ topic: 'oauth', value: 'x' })
  const bad = admin(t, { bootstrapServers, sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: unsecuredToken('bob', 'other') }) } })
  await assert.rejects(bad.listTopics({ timeoutMs: 20_000 }), (x: unknown) => x instanceof AuthenticationError && /SASL OAUTHBEARER authentication failed: .*missing a required scope \(kafka\)/.test(x.message))
})

test('SCRAM-SHA-256 and SCRAM-SHA-512 against the broker: credentials set through the admin client, a wrong password refused', async (t) => {
  const certs = makeCerts()
  t.after(() => certs.cleanup())
  const tb = await embeddedBroker(t, {
    listeners: 'SASL_SSL://127.0.0.1:0,PLAINTEXT://127.0.0.1:0',
    'ssl.keystore.location': certs.serverKeystore,
    'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512',
    'connection.failed.authentication.delay.ms': '10',
  })
  const port = (l: string) => tb.b.broker.listeners.find((x) => x.name === l)!.port
  await admin(t, { bootstrapServers: `127.0.0.1:${port('PLAINTEXT')}` }).alterUserScramCredentials([
    { user: 'alice', mechanism: 'SCRAM-SHA-256', password: 'alice-256', iterations: 8192 },
    { user: 'alice', mechanism: 'SCRAM-SHA-512', password: 'alice-512' },
  ])
  const bootstrapServers = `localhost:${port('SASL_SSL')}`
  const ssl = { ca: readFileSync(certs.caFile) }
  for (const [mechanism, password] of [['scram-sha-256', 'alice-256'], ['scram-sha-512', 'alice-512']] as const) {
    const a = admin(t, { bootstrapServers, ssl, sasl: { mechanism, username: 'alice', password } })
    await a.createTopics([{ topic: `scram-${mechanism}`, numPartitions: 1, replicationFactor: 1 }])
    const p = new Producer({ bootstrapServers, logger: quiet, ssl, sasl: { mechanism, username: 'alice', password } })
    closeAtEnd(t, () => p.close())
    await p.send({ topic: `scram-${mechanism}`, value: mechanism })
    const wrong = admin(t, { bootstrapServers, ssl, sasl: { mechanism, username: 'alice', password: 'nope' } })
    const e = await wrong.listTopics({ timeoutMs: 20_000 }).then(() => assert.fail(`${mechanism}: a wrong password was accepted`), (x: unknown) => x)
    assert.ok(e instanceof AuthenticationError, String(e))
    assert.match(e.message, /invalid credentials with SASL mechanism SCRAM-SHA-(256|512)/)
  }
})

test('KIP-368 end to end: with connections.max.reauth.ms the client re-authenticates on its connection and keeps producing', async (t) => {
  const lines: string[] = []
  const b = await startBroker({
    logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': PLAIN_JAAS,
      'connections.max.reauth.ms': '1500',
    },
  })
  t.after(() => b.close())
  const bootstrapServers = `127.0.0.1:${b.port}`
  const sasl = { mechanism: 'plain' as const, username: 'alice', password: 'alice-secret' }
  await admin(t, { bootstrapServers, sasl }).createTopics([{ topic: 'reauth', numPartitions: 1, replicationFactor: 1 }])
  const p = new Producer({ bootstrapServers, logger: quiet, sasl })
  closeAtEnd(t, () => p.close())
  // Over about three session lifetimes, one record every 100 ms (real time: the client's and
  // the broker's clocks are the system's here; ManualTime covers both sides in their own tests).
  let sent = 0
  for (const end = Date.now() + 4_000; Date.now() < end; sent++) {
    await p.send({ topic: 'reauth', value: 'x' })
    await new Promise((r) => setTimeout(r, 100))
  }
  const msgs = lines.map((l) => (JSON.parse(l) as { msg: string }).msg)
  const reauths = msgs.filter((m) => m === 're-authenticated').length
  const expired = msgs.filter((m) => /SASL session expired/.test(m)).length
  t.diagnostic(`${sent} records, ${reauths} re-authentications, ${expired} sessions that expired first`)
  assert.ok(reauths >= 2, `the broker saw ${reauths} re-authentications`)
})
