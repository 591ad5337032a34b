/**
 * Kafka's client security properties in every networked `samsa` tool: each tool runs as a user
 * runs it, one process per command, against a real broker process whose only listener is
 * SASL_SSL (PLAIN), with the properties file of a Kafka user (security.protocol, PEM
 * truststore, sasl.mechanism, sasl.jaas.config). A tool that dropped the options would fail to
 * connect. Then the conversion itself: JKS refused with the hint, OAUTHBEARER's unsecured
 * login options, host-name checks off, bad combinations as usage errors.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { makeCerts, type TestCerts } from '../helpers/certs.js'
import { securityOptions, unsecuredTokenProvider } from '../../src/cli/client-security.js'
import { CliError } from '../../src/cli/common.js'
import { startBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'

let b: BrokerProcess
let certs: TestCerts
let dir: string
let props: string

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";'

before(async () => {
  certs = makeCerts()
  dir = mkdtempSync(join(tmpdir(), 'samsa-cli-sec-'))
  b = await startBrokerProcess({
    overrides: {
      listeners: 'SASL_SSL://127.0.0.1:0',
      'ssl.keystore.location': certs.serverKeystore,
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_ssl.plain.sasl.jaas.config': JAAS,
      'connection.failed.authentication.delay.ms': '10',
      'group.initial.rebalance.delay.ms': '0',
      'offsets.topic.replication.factor': '1',
    },
    startTimeoutMs: 30_000,
  })
  props = join(dir, 'client.properties')
  writeFileSync(
    props,
    [
      'security.protocol=SASL_SSL',
      `ssl.truststore.location=${certs.caFile}`,
      'ssl.truststore.type=PEM',
      'sasl.mechanism=PLAIN',
      'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";',
      '',
    ].join('\n'),
  )
})

after(async () => {
  await b?.stop()
  certs?.cleanup()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function ok(args: string[], input?: string): Promise<string> {
  const r = await runCli(args, { timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) })
  assert.equal(r.code, 0, `samsa ${args.join(' ')}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  assert.doesNotMatch(r.stderr, /isn't a known config|not supported/, 'no security property is left unread')
  return r.stdout
}

test('every networked tool connects over SASL_SSL with --command-config / --producer.config / --consumer.config', async () => {
  const bs = ['--bootstrap-server', b.bootstrap]
  await ok(['topics', ...bs, '--create', '--topic', 'sec', '--partitions', '1', '--replication-factor', '1', '--command-config', props])
  assert.match(await ok(['topics', ...bs, '--list', '--command-config', props]), /^sec$/m)
  await ok(['console-producer', ...bs, '--topic', 'sec', '--producer.config', props], 'one\ntwo\n')
  await ok(['console-producer', ...bs, '--topic', 'sec', '--command-config', props], 'three\n')
  const consumed = await ok(['console-consumer', ...bs, '--topic', 'sec', '--from-beginning', '--max-messages', '3', '--group', 'g1', '--consumer.config', props])
  assert.deepEqual(consumed.trim().split('\n'), ['one', 'two', 'three'])
  assert.match(await ok(['console-consumer', ...bs, '--topic', 'sec', '--partition', '0', '--offset', '0', '--max-messages', '1', '--command-config', props]), /^one$/m)
  await ok(['producer-perf-test', '--topic', 'sec', '--num-records', '20', '--record-size', '10', '--throughput', '-1', '--producer.config', props, '--producer-props', `bootstrap.servers=${b.bootstrap}`])
  await ok(['consumer-perf-test', ...bs, '--topic', 'sec', '--messages', '5', '--consumer.config', props])
  assert.match(await ok(['consumer-groups', ...bs, '--list', '--command-config', props]), /^g1$/m)
  assert.match(await ok(['configs', ...bs, '--describe', '--entity-type', 'topics', '--entity-name', 'sec', '--command-config', props]), /sec/)
  await ok(['client-quotas', ...bs, '--describe', '--command-config', props])
  assert.match(await ok(['get-offsets', ...bs, '--topic', 'sec', '--command-config', props]), /^sec:0:23$/m)
  const offsets = join(dir, 'offsets.json')
  writeFileSync(offsets, JSON.stringify({ version: 1, partitions: [{ topic: 'sec', partition: 0, offset: 1 }] }))
  await ok(['delete-records', ...bs, '--offset-json-file', offsets, '--command-config', props])
  await ok(['leader-election', ...bs, '--election-type', 'preferred', '--all-topic-partitions', '--admin.config', props])
  await ok(['reassign-partitions', ...bs, '--list', '--command-config', props])
  await ok(['transactions', ...bs, 'list', '--command-config', props])
})

test('a wrong password fails at once with the broker\'s message; without the properties the tool cannot connect', async () => {
  const bad = join(dir, 'bad.properties')
  writeFileSync(bad, readFileSync(props, 'utf8').replace('alice-secret', 'wrong'))
  const r = await runCli(['topics', '--bootstrap-server', b.bootstrap, '--list', '--command-config', bad], { timeoutMs: 30_000 })
  assert.equal(r.code, 1)
  assert.match(r.stderr, /SASL PLAIN authentication failed: Authentication failed: Invalid username or password/)
  const plain = await runCli(['topics', '--bootstrap-server', b.bootstrap, '--list'], { timeoutMs: 30_000, env: { SAMSA_CLI_CONNECT_TIMEOUT_MS: '2000' } })
  assert.equal(plain.code, 1)
})

const noWarn = () => assert.fail('unexpected warning')
const parse = (entries: Record<string, string>, warn: (m: string) => void = noWarn) => securityOptions(new Map(Object.entries(entries)), warn)
const usageError = (re: RegExp) => (e: unknown) => e instanceof CliError && e.exitCode === 2 && re.test(e.message)

test('PEM stores are read; JKS stores and types are refused with the conversion hint', () => {
  const jks = join(dir, 'store.jks')
  writeFileSync(jks, Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]))
  const s = parse({ 'security.protocol': 'SSL', 'ssl.truststore.location': certs.caFile, 'ssl.keystore.location': certs.serverKeystore, 'ssl.key.password': 'pw' })
  assert.match(String(s.ssl!.ca), /BEGIN CERTIFICATE/)
  assert.match(String(s.ssl!.key), /BEGIN PRIVATE KEY/)
  assert.equal(s.ssl!.passphrase, 'pw')
  assert.equal(s.sasl, undefined)
  assert.throws(() => parse({ 'security.protocol': 'SSL', 'ssl.truststore.location': jks }), usageError(/is a JKS keystore; .*keytool -importkeystore.*openssl pkcs12 -nodes/))
  assert.throws(() => parse({ 'security.protocol': 'SSL', 'ssl.keystore.type': 'JKS' }), usageError(/ssl.keystore.type=JKS is not supported; .*JKS is Java-only/))
  assert.equal(parse({ 'security.protocol': 'SSL', 'ssl.endpoint.identification.algorithm': '' }).ssl!.checkServerIdentity!('x', {} as never), undefined)
  assert.throws(() => parse({ 'security.protocol': 'SSL', 'ssl.endpoint.identification.algorithm': 'ldap' }), usageError(/https/))
  // Plaintext ignores the ssl keys, as Kafka does.
  assert.deepEqual(parse({ 'ssl.truststore.location': jks }), {})
})

test('SASL properties: mechanisms and login modules, missing pieces as usage errors, the token endpoint refused', () => {
  const scram = parse({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'SCRAM-SHA-512', 'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="p\\"w";' })
  assert.deepEqual(scram.sasl, { mechanism: 'scram-sha-512', username: 'bob', password: 'p"w' })
  assert.throws(() => parse({ 'security.protocol': 'SASL_SSL', 'sasl.jaas.config': 'x required;' }), usageError(/sasl.mechanism=GSSAPI is not supported \(Kafka's default\)/))
  assert.throws(() => parse({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN' }), usageError(/sasl.jaas.config is required/))
  assert.throws(
    () => parse({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="a" password="b";' }),
    usageError(/needs PlainLoginModule/),
  )
  assert.throws(() => parse({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required username="a";' }), usageError(/username="\.\.\." password="\.\.\."/))
  assert.throws(
    () => parse({ 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'OAUTHBEARER', 'sasl.oauthbearer.token.endpoint.url': 'https://idp/token', 'sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;' }),
    usageError(/token.endpoint.url is not supported/),
  )
  const warnings: string[] = []
  parse({ 'security.protocol': 'PLAINTEXT', 'sasl.login.refresh.window.factor': '0.8' }, (m) => warnings.push(m))
  assert.match(warnings.join(), /sasl.login.refresh.window.factor/)
})

test('OAUTHBEARER with OAuthBearerLoginModule makes Kafka\'s unsecured token from the login options', () => {
  const s = parse({
    'security.protocol': 'SASL_PLAINTEXT',
    'sasl.mechanism': 'OAUTHBEARER',
    'sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice" unsecuredLoginListClaim_scope=",kafka,admin" unsecuredLoginLifetimeSeconds="60";',
  })
  assert.equal(s.sasl!.mechanism, 'oauthbearer')
  const token = unsecuredTokenProvider(new Map([['unsecuredLoginStringClaim_sub', 'alice'], ['unsecuredLoginListClaim_scope', ',kafka,admin'], ['unsecuredLoginLifetimeSeconds', '60']]), () => 1_700_000_000_000)()
  const [header, payload, sig] = token.value.split('.')
  assert.deepEqual(JSON.parse(Buffer.from(header!, 'base64url').toString()), { alg: 'none' })
  assert.deepEqual(JSON.parse(Buffer.from(payload!, 'base64url').toString()), { iat: 1_700_000_000, exp: 1_700_000_060, sub: 'alice', scope: ['kafka', 'admin'] })
  assert.equal(sig, '')
  assert.throws(() => unsecuredTokenProvider(new Map()), usageError(/unsecuredLoginStringClaim_sub/))
})

test('OAUTHBEARER from the tools: the unsecured token the login options make is accepted by the broker, and refused without the required scope', async (t) => {
  const broker = await startBroker({
    logger: createLogger({ level: 'silent' }),
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'OAUTHBEARER',
      'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredValidatorRequiredScope="kafka";',
      'connection.failed.authentication.delay.ms': '10',
    },
  })
  t.after(() => broker.close())
  const file = (scope: string) => {
    const f = join(dir, `oauth-${scope}.properties`)
    writeFileSync(f, `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=OAUTHBEARER\nsasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice" unsecuredLoginListClaim_scope=",${scope}";\n`)
    return f
  }
  const bs = `${broker.host}:${broker.port}`
  await ok(['topics', '--bootstrap-server', bs, '--create', '--topic', 'oauth-cli', '--partitions', '1', '--replication-factor', '1', '--command-config', file('kafka')])
  const r = await runCli(['topics', '--bootstrap-server', bs, '--list', '--command-config', file('other')], { timeoutMs: 30_000 })
  assert.equal(r.code, 1)
  assert.match(r.stderr, /SASL OAUTHBEARER authentication failed: .*missing a required scope \(kafka\)/)
})

test('SCRAM from the tools: a user added with samsa configs logs in with ScramLoginModule properties', async (t) => {
  const broker = await startBroker({
    logger: createLogger({ level: 'silent' }),
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0,PLAINTEXT://127.0.0.1:0',
      'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'connection.failed.authentication.delay.ms': '10',
    },
  })
  t.after(() => broker.close())
  const port = (l: string) => broker.broker.listeners.find((x) => x.name === l)!.port
  await ok(['configs', '--bootstrap-server', `127.0.0.1:${port('PLAINTEXT')}`, '--alter', '--entity-type', 'users', '--entity-name', 'carol', '--add-config', 'SCRAM-SHA-512=[password=carol-secret]'])
  const f = join(dir, 'scram.properties')
  writeFileSync(f, 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="carol" password="carol-secret";\n')
  await ok(['topics', '--bootstrap-server', `127.0.0.1:${port('SASL_PLAINTEXT')}`, '--create', '--topic', 'scram-cli', '--partitions', '1', '--replication-factor', '1', '--command-config', f])
})
