/**
 * SASL_PLAINTEXT with OAUTHBEARER (unsecured JWS validator) against the real broker process,
 * through kcat (librdkafka's built-in unsecured token, `principal=...`): a token with the
 * required scope produces and consumes; one without it is refused with the validator's reason.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'

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
