/**
 * SASL_PLAINTEXT with PLAIN against the real broker process, through kcat (librdkafka),
 * kafkajs, kafka-python (SaslHandshake v1, and v0 with raw tokens) and confluent-kafka: the
 * right password produces and consumes; a wrong password and an unknown user are refused with
 * Kafka's message while the broker keeps serving the others.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { hasCommand, hasPythonModule, requireTool, runTool } from '../helpers/tools.js'
import { runPythonJson } from '../helpers/python.js'
import { CONFLUENT_KAFKA_SASL, KAFKA_PYTHON_SASL } from '../helpers/sasl-python.js'
import { deferrer } from '../helpers/groups.js'

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_bob="bob-secret";'

async function saslBroker(t: TestContext): Promise<BrokerProcess> {
  const b = await startBrokerProcess({
    overrides: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
      'connection.failed.authentication.delay.ms': '50',
    },
  })
  t.after(() => b.stop())
  return b
}

const kcatSasl = (user: string, password: string) => ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`]

test('kcat SASL_PLAINTEXT PLAIN: produce and consume as alice; a wrong password and an unknown user are refused', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const b = await saslBroker(t)
  const p = await runTool('kcat', ['-P', '-b', b.bootstrap, '-t', 'sasl-kcat', ...kcatSasl('alice', 'alice-secret')], { input: 'one\ntwo\n', timeoutMs: 30_000 })
  assert.equal(p.code, 0, p.stderr)
  for (const [user, password] of [['alice', 'wrong'], ['mallory', 'alice-secret']] as const) {
    const refusal = /SASL authentication error: Authentication failed: Invalid username or password/
    // Stopped once refused: kcat would retry until -m's 3 s are up.
    const bad = await runTool('kcat', ['-L', '-b', b.bootstrap, '-m', '3', ...kcatSasl(user, password)], { timeoutMs: 30_000, until: refusal })
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, refusal)
  }
  const c = await runTool('kcat', ['-C', '-b', b.bootstrap, '-t', 'sasl-kcat', '-o', 'beginning', '-e', ...kcatSasl('bob', 'bob-secret')], { timeoutMs: 30_000 })
  assert.equal(c.code, 0, c.stderr)
  assert.deepEqual(c.stdout.trim().split('\n'), ['one', 'two'])
  await b.waitForStderr(/"msg":"authentication failed".*"user":"mallory"/)
  assert.doesNotMatch(b.stderr(), /alice-secret|bob-secret/)
  assert.equal(b.proc.exitCode, null)
})

test('kafkajs SASL PLAIN produces and consumes; a wrong password fails to connect', async (t) => {
  const defer = deferrer(t)
  const b = await saslBroker(t)
  const kafka = (password: string) => new Kafka({ clientId: 'samsa-sasl', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: 'plain', username: 'alice', password } })
  const producer = kafka('alice-secret').producer()
  await producer.connect()
  defer(() => producer.disconnect())
  await producer.send({ topic: 'sasl-kjs', messages: [{ value: 'hello' }] })
  const admin = kafka('alice-secret').admin()
  await admin.connect()
  defer(() => admin.disconnect())
  const offsets = await admin.fetchTopicOffsets('sasl-kjs')
  assert.equal(offsets[0]!.high, '1')
  const bad = kafka('nope').admin()
  await assert.rejects(bad.connect(), /SASL PLAIN authentication failed: Authentication failed: Invalid username or password/)
})


for (const [label, apiVersion] of [['SaslHandshake v1 + SaslAuthenticate', null], ['SaslHandshake v0 + raw tokens (api_version 0.10.1)', [0, 10, 1]]] as const) {
  test(`kafka-python SASL PLAIN with ${label}`, async (t) => {
    if (!requireTool(t, 'python3-kafka', () => hasPythonModule('kafka'))) return
    const b = await saslBroker(t)
    const r = await runPythonJson<{ got: string[]; refused: string | null }>(KAFKA_PYTHON_SASL, b.bootstrap, { mechanism: 'PLAIN', topic: 'sasl-py', api_version: apiVersion })
    assert.deepEqual(r.got, ['py'])
    assert.ok(r.refused !== null, 'a wrong password is refused')
    await b.waitForStderr(/"msg":"authentication failed".*"user":"alice".*Invalid username or password/)
    assert.equal(b.proc.exitCode, null)
  })
}


test('confluent-kafka SASL PLAIN produces and consumes in a group; a wrong password is refused', async (t) => {
  if (!requireTool(t, 'confluent-kafka', () => hasPythonModule('confluent_kafka'))) return
  const b = await saslBroker(t)
  const r = await runPythonJson<{ left: number; got: string[]; errors: string[] }>(CONFLUENT_KAFKA_SASL, b.bootstrap, { mechanism: 'PLAIN', topic: 'sasl-ck' })
  assert.equal(r.left, 0)
  assert.deepEqual(r.got, ['ck'])
  assert.ok(r.errors.length > 0, 'a wrong password is refused')
  await b.waitForStderr(/"msg":"authentication failed".*"user":"alice".*Invalid username or password/)
  assert.equal(b.proc.exitCode, null)
})
