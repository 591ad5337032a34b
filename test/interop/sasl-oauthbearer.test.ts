/**
 * SASL_PLAINTEXT with OAUTHBEARER (unsecured JWS validator) against the real broker process,
 * through kcat (librdkafka's built-in unsecured token, `principal=...`): a token with the
 * required scope produces and consumes; one without it is refused with the validator's reason.
 * And the JWKS validator: kafkajs with tokens signed by an identity provider's key.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'
import { signer, token } from '../helpers/jwt.js'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const kcatOauth = (config: string) => ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=OAUTHBEARER', '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true', '-X', `sasl.oauthbearer.config=${config}`]

async function oauthBroker(): Promise<BrokerProcess> {
  return startBrokerProcess({
    overrides: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'OAUTHBEARER',
      'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredValidatorRequiredScope="kafka";',
      'connection.failed.authentication.delay.ms': '50',
    },
  })
}

test('kcat OAUTHBEARER unsecured: produce and consume with the required scope; without it refused', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const b = await oauthBroker()
  t.after(() => b.stop())
  const p = await runTool('kcat', ['-P', '-b', b.bootstrap, '-t', 'oauth-kcat', ...kcatOauth('principal=alice scope=kafka')], { input: 'one\ntwo\n', timeoutMs: 30_000 })
  assert.equal(p.code, 0, p.stderr)
  const c = await runTool('kcat', ['-C', '-b', b.bootstrap, '-t', 'oauth-kcat', '-o', 'beginning', '-e', ...kcatOauth('principal=alice scope=kafka')], { timeoutMs: 30_000 })
  assert.equal(c.code, 0, c.stderr)
  assert.deepEqual(c.stdout.trim().split('\n'), ['one', 'two'])
  const bad = await runTool('kcat', ['-L', '-b', b.bootstrap, '-m', '3', ...kcatOauth('principal=alice scope=other')], { timeoutMs: 30_000 })
  assert.notEqual(bad.code, 0)
  assert.match(bad.stderr, /missing a required scope \(kafka\)/)
  assert.equal(b.proc.exitCode, null)
})

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')

test('kafkajs OAUTHBEARER (oauthBearerProvider) with an unsecured token produces', async (t) => {
  const b = await oauthBroker()
  t.after(() => b.stop())
  const value = `${b64({ alg: 'none' })}.${b64({ sub: 'bob', exp: Math.floor(Date.now() / 1000) + 3600, scope: 'kafka' })}.`
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value }) } })
  const admin = kafka.admin()
  await admin.connect()
  t.after(() => admin.disconnect())
  const md = await admin.fetchTopicMetadata({ topics: [] })
  assert.ok(Array.isArray(md.topics))
})

test('kafkajs OAUTHBEARER with JWTs signed by an identity provider key (JWKS file): valid produces, expired and forged refused', async (t) => {
  const idp = signer('idp-1', 'RS256')
  const forger = signer('idp-1', 'RS256')
  const dir = await mkdtemp(join(tmpdir(), 'samsa-jwks-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const jwks = join(dir, 'jwks.json')
  await writeFile(jwks, JSON.stringify({ keys: [idp.jwk] }))
  const b = await startBrokerProcess({
    overrides: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'OAUTHBEARER',
      'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
      'listener.name.sasl_plaintext.oauthbearer.sasl.oauthbearer.jwks.endpoint.url': pathToFileURL(jwks).href,
      'sasl.oauthbearer.expected.audience': 'kafka',
      'connection.failed.authentication.delay.ms': '50',
    },
  })
  t.after(() => b.stop())
  const now = Math.floor(Date.now() / 1000)
  const client = (value: string) => new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value }) } })
  const good = client(token(idp, { sub: 'carol', aud: 'kafka', exp: now + 3600, iat: now }))
  const producer = good.producer()
  await producer.connect()
  t.after(() => producer.disconnect())
  const [r] = await producer.send({ topic: 'oauth-jwks', messages: [{ value: 'signed' }] })
  assert.equal(r!.errorCode, 0)
  for (const [why, value, reason] of [
    ['expired', token(idp, { sub: 'carol', aud: 'kafka', exp: now - 3600, iat: now - 7200 }), /expired/],
    ['forged', token(forger, { sub: 'mallory', aud: 'kafka', exp: now + 3600 }), /signature does not verify/],
    ['wrong audience', token(idp, { sub: 'carol', aud: 'web', exp: now + 3600 }), /audience/],
  ] as const) {
    // The broker answers a refused token with RFC 7628's error challenge, as Kafka does;
    // kafkajs takes that for success and sends its next request, which closes the connection.
    // The validator's reason is in the broker's log line.
    const admin = client(value).admin()
    await admin.connect().catch(() => undefined)
    await assert.rejects(admin.listTopics(), why)
    await admin.disconnect()
    await b.waitForStderr(reason)
  }
  // The broker kept serving: the good client still produces.
  const [again] = await producer.send({ topic: 'oauth-jwks', messages: [{ value: 'still' }] })
  assert.equal(again!.errorCode, 0)
  assert.equal(b.proc.exitCode, null)
})
