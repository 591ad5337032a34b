/**
 * SASL_PLAINTEXT listeners beside PLAINTEXT ones, driven byte by byte: what is served before
 * authentication, SaslHandshake v0 (raw tokens) and v1 (SaslAuthenticate), refusals, and the
 * addresses Metadata gives per listener.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { metadataHandler } from '../../src/broker/handlers/03-metadata.js'
import { principalToString } from '../../src/security/principal.js'
import { frame, RawClient } from '../helpers/raw-client.js'
import { embeddedBroker, type TestBroker } from './helpers.js'

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_bob="bob \\"secret\\"";'

async function saslBroker(t: TestContext, extra: Record<string, string> = {}): Promise<TestBroker & { saslPort: number; plainPort: number; seen: string[] }> {
  const tb = await embeddedBroker(t, {
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    'advertised.listeners': 'PLAINTEXT://plain.example:1111,SASL_PLAINTEXT://sasl.example:2222',
    'sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
    ...extra,
  })
  const port = (name: string) => tb.b.broker.listeners.find((l) => l.name === name)!.port
  // Who each Metadata request was made as.
  const seen: string[] = []
  tb.b.broker.context.handlers.register({ ...metadataHandler, handle: (req, ctx) => (seen.push(principalToString(ctx.principal)), metadataHandler.handle(req, ctx)) })
  return { ...tb, saslPort: port('SASL_PLAINTEXT'), plainPort: port('PLAINTEXT'), seen }
}

const metadata = (c: RawClient) => c.request(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
const plainToken = (user: string, password: string) => Buffer.from(`\u0000${user}\u0000${password}`)

test('Metadata answers with the advertised address of the listener the client connected to', async (t) => {
  const b = await saslBroker(t)
  const plain = await RawClient.connect(b.plainPort)
  t.after(() => plain.close())
  const md = await metadata(plain)
  assert.deepEqual(md.brokers.map((x) => [x.host, x.port]), [['plain.example', 1111]])

  const sasl = await RawClient.connect(b.saslPort)
  t.after(() => sasl.close())
  assert.equal((await sasl.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode, ErrorCode.NONE)
  const auth = await sasl.request(ApiKey.SaslAuthenticate, 2, { authBytes: plainToken('alice', 'alice-secret') })
  assert.equal(auth.errorCode, ErrorCode.NONE, auth.errorMessage ?? '')
  const md2 = await metadata(sasl)
  assert.deepEqual(md2.brokers.map((x) => [x.host, x.port]), [['sasl.example', 2222]])
  const dc = await sasl.request(ApiKey.DescribeCluster, 0, { includeClusterAuthorizedOperations: false })
  assert.deepEqual(dc.brokers.map((x) => [x.host, x.port]), [['sasl.example', 2222]])
  assert.deepEqual(b.seen, ['User:ANONYMOUS', 'User:alice'])
})

test('before authentication only ApiVersions and SaslHandshake are served; anything else closes the connection', async (t) => {
  const b = await saslBroker(t)
  const c = await RawClient.connect(b.saslPort)
  t.after(() => c.close())
  const v = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })
  assert.equal(v.errorCode, ErrorCode.NONE)
  assert.ok(v.apiKeys.some((k) => k.apiKey === ApiKey.SaslAuthenticate && k.maxVersion === 2))
  await assert.rejects(metadata(c), /closed/)
  assert.deepEqual(b.seen, [], 'the Metadata handler never ran')
  assert.ok(b.logs().some((l) => /not authenticated/.test(l.msg)))

  // SaslAuthenticate without a handshake, and Produce between handshake and authenticate.
  const d = await RawClient.connect(b.saslPort)
  t.after(() => d.close())
  // As Kafka's SaslServerAuthenticator: an illegal SASL state, the connection closes.
  await assert.rejects(d.request(ApiKey.SaslAuthenticate, 1, { authBytes: plainToken('alice', 'alice-secret') }), /closed/)
  const e = await RawClient.connect(b.saslPort)
  t.after(() => e.close())
  await e.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })
  await assert.rejects(metadata(e), /closed/)
})

test('an unknown mechanism gets UNSUPPORTED_SASL_MECHANISM with the enabled list, then the close', async (t) => {
  const b = await saslBroker(t)
  const c = await RawClient.connect(b.saslPort)
  t.after(() => c.close())
  const r = await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-256' })
  assert.equal(r.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM)
  assert.deepEqual(r.mechanisms, ['PLAIN'])
  await c.waitClosed()
})

test('a wrong password or unknown user is refused after the delay, logged without the password; others keep working', async (t) => {
  const b = await saslBroker(t, { 'connection.failed.authentication.delay.ms': '300' })
  for (const [user, password] of [['alice', 'not-alice-secret'], ['mallory', 'alice-secret']] as const) {
    const c = await RawClient.connect(b.saslPort)
    t.after(() => c.close())
    await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })
    const started = Date.now()
    const r = await c.request(ApiKey.SaslAuthenticate, 1, { authBytes: plainToken(user, password) })
    assert.ok(Date.now() - started >= 290, `answered after ${Date.now() - started} ms, before the 300 ms delay`)
    assert.equal(r.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED)
    assert.equal(r.errorMessage, 'Authentication failed: Invalid username or password')
    await c.waitClosed()
  }
  const failures = b.logs().filter((l) => l.msg === 'authentication failed')
  assert.equal(failures.length, 2)
  for (const f of failures) {
    assert.match(f.client!, /^127\.0\.0\.1:\d+$/)
    assert.doesNotMatch(JSON.stringify(f), /secret/)
  }
  // The escaped quote in bob's password came through the JAAS parser.
  const ok = await RawClient.connect(b.saslPort)
  t.after(() => ok.close())
  await ok.request(ApiKey.SaslHandshake, 0, { mechanism: 'PLAIN' })
  await ok.write(frame(plainToken('bob', 'bob "secret"')))
  assert.equal((await ok.nextFrame()).length, 0, 'an empty raw token answers a v0 PLAIN success')
  await metadata(ok)
  assert.deepEqual(b.seen, ['User:bob'])
})

test('after a v0 handshake a wrong raw token closes the connection without an answer', async (t) => {
  const b = await saslBroker(t, { 'connection.failed.authentication.delay.ms': '0' })
  const c = await RawClient.connect(b.saslPort)
  t.after(() => c.close())
  await c.request(ApiKey.SaslHandshake, 0, { mechanism: 'PLAIN' })
  await c.write(frame(plainToken('alice', 'wrong')))
  await c.waitClosed()
  assert.equal(c.pending, 0)
})

test('SASL listeners without users or with mechanisms Samsa lacks stop start-up, naming the key', async (t) => {
  const base = { listeners: 'SASL_PLAINTEXT://127.0.0.1:0' }
  await assert.rejects(embeddedBroker(t, base), /GSSAPI.*sasl\.enabled\.mechanisms/)
  await assert.rejects(embeddedBroker(t, { ...base, 'sasl.enabled.mechanisms': 'PLAIN' }), /listener\.name\.sasl_plaintext\.plain\.sasl\.jaas\.config/)
  await assert.rejects(
    embeddedBroker(t, { ...base, 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_a="pw-xyz"' }),
    (e: Error) => /sasl\.jaas\.config.*must end with ';'/.test(e.message) && !e.message.includes('pw-xyz'),
  )
  await assert.rejects(embeddedBroker(t, { ...base, 'inter.broker.listener.name': 'NOPE' }), /inter\.broker\.listener\.name/)
})

test('sasl.jaas.config is sensitive: DescribeConfigs answers null for it', async (t) => {
  const b = await saslBroker(t, { 'sasl.jaas.config': JAAS })
  const c = await RawClient.connect(b.plainPort)
  t.after(() => c.close())
  const r = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 4, resourceName: '0', configurationKeys: ['sasl.jaas.config'] }], includeSynonyms: true, includeDocumentation: false })
  const entry = r.results[0]!.configs.find((x) => x.name === 'sasl.jaas.config')!
  assert.equal(entry.isSensitive, true)
  assert.equal(entry.value, null)
  assert.ok((entry.synonyms ?? []).every((s) => s.value === null))
})
