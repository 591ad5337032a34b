/**
 * SASL SCRAM-SHA-256 and SCRAM-SHA-512 with real clients: kcat (librdkafka) over SASL_SSL and
 * SASL_PLAINTEXT, kafkajs over TLS, kafka-python and confluent-kafka. Credentials are made as an
 * operator would (AlterUserScramCredentials through the admin client, or `samsa configs`) on the
 * broker's PLAINTEXT listener. A wrong password and an unknown user are refused with Kafka's
 * message while the broker keeps serving the others; a credential added by `samsa configs` logs
 * in at once and a deleted one is refused at once.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { Kafka, logLevel } from 'kafkajs'
import { makeCerts, type TestCerts } from '../helpers/certs.js'
import { hasCommand, hasPythonModule, requireTool, runTool } from '../helpers/tools.js'
import { runPythonJson } from '../helpers/python.js'
import { CONFLUENT_KAFKA_SASL, KAFKA_PYTHON_SASL } from '../helpers/sasl-python.js'
import { deferrer } from '../helpers/groups.js'
import { runCli } from '../helpers/broker-process.js'
import { embeddedBroker, type TestBroker } from '../broker/helpers.js'
import { Admin } from '../../src/client/admin/admin.js'
import { createLogger } from '../../src/util/logger.js'

interface ScramBroker extends TestBroker {
  certs: TestCerts
  port(listener: string): number
  admin: Admin
}

const invalid = (m: string) => new RegExp(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${m}`)

async function scramBroker(t: TestContext): Promise<ScramBroker> {
  const certs = makeCerts()
  t.after(() => certs.cleanup())
  const tb = await embeddedBroker(t, {
    listeners: 'SASL_SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,PLAINTEXT://127.0.0.1:0',
    'ssl.keystore.location': certs.serverKeystore,
    'ssl.truststore.location': certs.caFile,
    'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512',
    'connection.failed.authentication.delay.ms': '50',
  })
  const port = (l: string) => tb.b.broker.listeners.find((x) => x.name === l)!.port
  const admin = new Admin({ bootstrapServers: `127.0.0.1:${port('PLAINTEXT')}`, logger: createLogger({ level: 'error' }) })
  t.after(() => admin.close())
  await admin.alterUserScramCredentials([
    { user: 'alice', mechanism: 'SCRAM-SHA-256', password: 'alice-secret', iterations: 8192 },
    { user: 'alice', mechanism: 'SCRAM-SHA-512', password: 'alice-secret' },
    { user: 'bob', mechanism: 'SCRAM-SHA-512', password: 'bob-secret', iterations: 16384 },
  ])
  return { ...tb, certs, port, admin }
}

const kcat = (args: string[], input?: string) => runTool('kcat', args, { timeoutMs: 30_000, ...(input !== undefined ? { input } : {}) })
/** kcat expected to be refused: stopped once it prints the refusal (it would retry until its -m timeout). */
const kcatRefused = (args: string[], refusal: RegExp) => runTool('kcat', args, { timeoutMs: 30_000, until: refusal })
const kcatScram = (protocol: string, mechanism: string, user: string, password: string, ca?: string) => [
  '-X', `security.protocol=${protocol}`, '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`,
  ...(ca ? ['-X', `ssl.ca.location=${ca}`] : []),
]

test('kcat SASL_SSL SCRAM-SHA-512: produce and consume; a wrong password and an unknown user are refused while others are served', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const b = await scramBroker(t)
  const bootstrap = `localhost:${b.port('SASL_SSL')}`
  const as = (user: string, password: string) => kcatScram('SASL_SSL', 'SCRAM-SHA-512', user, password, b.certs.caFile)
  const p = await kcat(['-P', '-b', bootstrap, '-t', 'scram-kcat', ...as('alice', 'alice-secret')], 'one\ntwo\n')
  assert.equal(p.code, 0, p.stderr)
  for (const [user, password] of [['alice', 'wrong'], ['mallory', 'alice-secret'], ['bob', 'alice-secret']] as const) {
    const bad = await kcatRefused(['-L', '-b', bootstrap, '-m', '3', ...as(user, password)], invalid('SCRAM-SHA-512'))
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, invalid('SCRAM-SHA-512'))
  }
  const c = await kcat(['-C', '-b', bootstrap, '-t', 'scram-kcat', '-o', 'beginning', '-e', ...as('bob', 'bob-secret')])
  assert.equal(c.code, 0, c.stderr)
  assert.deepEqual(c.stdout.trim().split('\n'), ['one', 'two'])
  const logs = b.logs().filter((l) => l.msg === 'authentication failed')
  // kcat retries a refused login, so each refusal may be logged more than once.
  assert.deepEqual([...new Set(logs.map((l) => `${String(l['user'])}: ${String(l['error'])}`))], [
    'alice: Invalid client credentials',
    'mallory: no SCRAM credential for this user and mechanism',
    'bob: Invalid client credentials',
  ])
  assert.ok(logs.every((l) => typeof l['client'] === 'string' && l['mechanism'] === 'SCRAM-SHA-512'))
  assert.doesNotMatch(JSON.stringify(b.logs()), /alice-secret|bob-secret/)
})

test('kcat SASL_PLAINTEXT SCRAM-SHA-256 produces and consumes; a user with only a SHA-512 credential is refused on SHA-256', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const b = await scramBroker(t)
  const bootstrap = `127.0.0.1:${b.port('SASL_PLAINTEXT')}`
  const p = await kcat(['-P', '-b', bootstrap, '-t', 'scram-256', ...kcatScram('SASL_PLAINTEXT', 'SCRAM-SHA-256', 'alice', 'alice-secret')], 'plain-256\n')
  assert.equal(p.code, 0, p.stderr)
  const c = await kcat(['-C', '-b', bootstrap, '-t', 'scram-256', '-o', 'beginning', '-e', ...kcatScram('SASL_PLAINTEXT', 'SCRAM-SHA-256', 'alice', 'alice-secret')])
  assert.equal(c.code, 0, c.stderr)
  assert.equal(c.stdout.trim(), 'plain-256')
  const bad = await kcatRefused(['-L', '-b', bootstrap, '-m', '3', ...kcatScram('SASL_PLAINTEXT', 'SCRAM-SHA-256', 'bob', 'bob-secret')], invalid('SCRAM-SHA-256'))
  assert.notEqual(bad.code, 0)
  assert.match(bad.stderr, invalid('SCRAM-SHA-256'))
})

test('kafkajs SCRAM-SHA-256 and SCRAM-SHA-512 over TLS produce and read back; a wrong password fails to connect', async (t) => {
  const defer = deferrer(t)
  const b = await scramBroker(t)
  const ca = [readFileSync(b.certs.caFile, 'utf8')]
  // The two branches of `sasl` look alike: kafkajs types each mechanism's options apart.
  const kafka = (mechanism: 'scram-sha-256' | 'scram-sha-512', password: string) =>
    new Kafka({ clientId: 'samsa-scram', brokers: [`localhost:${b.port('SASL_SSL')}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, ssl: { ca }, sasl: mechanism === 'scram-sha-256' ? { mechanism, username: 'alice', password } : { mechanism, username: 'alice', password } })
  for (const mechanism of ['scram-sha-256', 'scram-sha-512'] as const) {
    const producer = kafka(mechanism, 'alice-secret').producer()
    await producer.connect()
    defer(() => producer.disconnect())
    await producer.send({ topic: 'scram-kjs', messages: [{ value: mechanism }] })
    const admin = kafka(mechanism, 'alice-secret').admin()
    await admin.connect()
    defer(() => admin.disconnect())
    assert.ok(Number((await admin.fetchTopicOffsets('scram-kjs'))[0]!.high) >= 1)
    await assert.rejects(kafka(mechanism, 'nope').admin().connect(), invalid(mechanism.toUpperCase()))
  }
})


test('kafka-python SCRAM-SHA-256 and SCRAM-SHA-512 produce and consume; a wrong password is refused', async (t) => {
  if (!requireTool(t, 'python3-kafka', () => hasPythonModule('kafka'))) return
  const b = await scramBroker(t)
  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
    const r = await runPythonJson<{ got: string[]; refused: string | null }>(KAFKA_PYTHON_SASL, `127.0.0.1:${b.port('SASL_PLAINTEXT')}`, { topic: `scram-py-${mechanism}`, mechanism })
    assert.deepEqual(r.got, ['py'])
    assert.ok(r.refused !== null, 'a wrong password is refused')
  }
  assert.equal(b.logs().filter((l) => l.msg === 'authentication failed' && l['user'] === 'alice').length >= 2, true)
})


test('confluent-kafka SCRAM-SHA-512 produces and consumes in a group; a wrong password is refused', async (t) => {
  if (!requireTool(t, 'confluent-kafka', () => hasPythonModule('confluent_kafka'))) return
  const b = await scramBroker(t)
  const r = await runPythonJson<{ left: number; got: string[]; errors: string[] }>(CONFLUENT_KAFKA_SASL, `127.0.0.1:${b.port('SASL_PLAINTEXT')}`, { mechanism: 'SCRAM-SHA-512', topic: 'scram-ck' })
  assert.equal(r.left, 0)
  assert.deepEqual(r.got, ['ck'])
  assert.ok(r.errors.length > 0, 'a wrong password is refused')
  assert.ok(b.logs().some((l) => l.msg === 'authentication failed' && l['user'] === 'alice' && l['mechanism'] === 'SCRAM-SHA-512' && l['error'] === 'Invalid client credentials'))
})

test('samsa configs: a credential it adds logs in at once, --describe shows it as kafka-configs.sh, a deleted one is refused at once', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const b = await scramBroker(t)
  const plain = `127.0.0.1:${b.port('PLAINTEXT')}`
  const cli = async (...args: string[]) => {
    const r = await runCli(['configs', '--bootstrap-server', plain, ...args], { timeoutMs: 30_000 })
    assert.equal(r.code, 0, `samsa configs ${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }
  const loginArgs = (password: string) => ['-L', '-b', `localhost:${b.port('SASL_SSL')}`, '-m', '5', ...kcatScram('SASL_SSL', 'SCRAM-SHA-256', 'carol', password, b.certs.caFile)]
  const login = (password: string) => kcat(loginArgs(password))
  const refusedLogin = (password: string) => kcatRefused(loginArgs(password), invalid('SCRAM-SHA-256'))
  assert.match((await refusedLogin('carol-secret')).stderr, invalid('SCRAM-SHA-256'))
  assert.equal(await cli('--alter', '--entity-type', 'users', '--entity-name', 'carol', '--add-config', 'SCRAM-SHA-256=[iterations=8192,password=carol-secret],SCRAM-SHA-512=[password=carol-secret]'), "Completed updating config for user-principal 'carol'.\n")
  const ok = await login('carol-secret')
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal(await cli('--describe', '--entity-type', 'users', '--entity-name', 'carol'), "Quota configs for user-principal 'carol' are \nSCRAM credential configs for user-principal 'carol' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096\n")
  assert.match(await cli('--describe', '--entity-type', 'users'), /SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096\nSCRAM credential configs for user-principal 'bob' are SCRAM-SHA-512=iterations=16384\nSCRAM credential configs for user-principal 'carol' are/)
  await cli('--alter', '--entity-type', 'users', '--entity-name', 'carol', '--delete-config', 'SCRAM-SHA-256')
  const refused = await refusedLogin('carol-secret')
  assert.notEqual(refused.code, 0)
  assert.match(refused.stderr, invalid('SCRAM-SHA-256'))
  assert.equal(await cli('--describe', '--entity-type', 'users', '--entity-name', 'carol'), "Quota configs for user-principal 'carol' are \nSCRAM credential configs for user-principal 'carol' are SCRAM-SHA-512=iterations=4096\n")
  // Refusals with Kafka's wording, before anything is sent.
  const bad = async (args: string[], message: RegExp) => {
    const r = await runCli(['configs', '--bootstrap-server', plain, '--alter', '--entity-type', 'users', ...args], { timeoutMs: 30_000 })
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, message)
  }
  await bad(['--entity-default', '--add-config', 'SCRAM-SHA-256=[password=x]'], /--entity-default or --user-defaults is not allowed with User SCRAM Credentials/)
  await bad(['--entity-name', 'dave', '--add-config', 'SCRAM-SHA-256=[iterations=8192]'], /SCRAM-SHA-256 needs a password/)
  await bad(['--entity-name', 'dave', '--add-config', 'SCRAM-SHA-256=[iterations=100,password=x]'], /UNACCEPTABLE_CREDENTIAL.*Too few iterations/)
  await bad(['--entity-name', 'dave', '--delete-config', 'SCRAM-SHA-512'], /RESOURCE_NOT_FOUND/)
})
