/**
 * ACLs over real SASL principals: one broker with a SASL_PLAINTEXT PLAIN listener (alice, bob
 * and admin, admin a super user) and a PLAINTEXT listener whose User:ANONYMOUS is a super user
 * too, for `samsa acls` (the CLI does not speak SASL yet). `samsa acls --producer` / `--consumer`
 * grant alice produce-only and bob consume-only on a topic; then kcat (librdkafka) and kafkajs,
 * as alice and as bob, each do their part and are refused what they lack, with the error the
 * client surfaces (TOPIC_ / GROUP_AUTHORIZATION_FAILED). The admin, over SASL, creates the topic
 * and one more ACL through kafkajs: the SASL super user is honoured for CreateTopics and CreateAcls.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import kafkajs from 'kafkajs'
import { startBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'
import { runCli } from '../helpers/broker-process.js'
import { deferrer } from '../helpers/groups.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'

const { Kafka, logLevel } = kafkajs

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_bob="bob-secret" user_admin="admin-secret";'
const kcatSasl = (user: string) => ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', `sasl.username=${user}`, '-X', `sasl.password=${user}-secret`]

/** The error kafkajs surfaced, or one it wraps: its Kafka error name. */
function kafkajsType(e: unknown): string | undefined {
  for (let x = e as { type?: string; cause?: unknown; originalError?: unknown } | undefined; x; x = (x.cause ?? x.originalError) as typeof x) if (x.type) return x.type
  return undefined
}

test('samsa acls grants alice produce-only and bob consume-only; kcat and kafkajs as each do their part and are refused the rest', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const defer = deferrer(t)
  const b = await startBroker({
    logger: createLogger({ level: 'error' }),
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:admin;User:ANONYMOUS',
      'auto.create.topics.enable': 'false',
    },
  })
  defer(() => b.close())
  const sasl = b.broker.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!
  const saslBootstrap = `${sasl.advertisedHost}:${sasl.advertisedPort}`
  const kafka = (user: string) => new Kafka({ clientId: `acls-${user}`, brokers: [saslBootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: 'plain', username: user, password: `${user}-secret` } })

  // The admin (a super user over SASL) makes the topic; nobody else could.
  const admin = kafka('admin').admin()
  await admin.connect()
  defer(() => admin.disconnect())
  assert.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }] }), true)

  for (const args of [
    ['--allow-principal', 'User:alice', '--producer', '--topic', 'orders'],
    ['--allow-principal', 'User:bob', '--consumer', '--topic', 'orders', '--group', 'billing'],
  ]) {
    const r = await runCli(['acls', '--bootstrap-server', b.bootstrap, '--add', ...args], { timeoutMs: 30_000 })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^Adding ACLs for resource `ResourcePattern\(resourceType=TOPIC, name=orders, patternType=LITERAL\)`: /)
  }
  assert.equal(b.broker.metadata.acls().length, 6)

  // kcat: alice writes, and may not read; bob reads, and may not write.
  const produced = await runTool('kcat', ['-P', '-b', saslBootstrap, '-t', 'orders', ...kcatSasl('alice')], { input: 'one\ntwo\n', timeoutMs: 30_000 })
  assert.equal(produced.code, 0, produced.stderr)
  const aliceReads = await runTool('kcat', ['-C', '-b', saslBootstrap, '-t', 'orders', '-o', 'beginning', '-e', ...kcatSasl('alice')], { timeoutMs: 30_000 })
  assert.notEqual(aliceReads.code, 0)
  assert.match(aliceReads.stderr, /Topic authorization failed/)
  assert.equal(aliceReads.stdout, '')
  const bobWrites = await runTool('kcat', ['-P', '-b', saslBootstrap, '-t', 'orders', ...kcatSasl('bob')], { input: 'forged\n', timeoutMs: 30_000 })
  assert.notEqual(bobWrites.code, 0)
  assert.match(bobWrites.stderr, /Topic authorization failed/)
  const bobReads = await runTool('kcat', ['-C', '-b', saslBootstrap, '-t', 'orders', '-o', 'beginning', '-e', ...kcatSasl('bob')], { timeoutMs: 30_000 })
  assert.equal(bobReads.code, 0, bobReads.stderr)
  assert.deepEqual(bobReads.stdout.trim().split('\n'), ['one', 'two'])

  // kafkajs: bob consumes in his group and commits; another group is refused; bob's producer is refused.
  const consumer = kafka('bob').consumer({ groupId: 'billing', maxWaitTimeInMs: 100 })
  await consumer.connect()
  defer(() => consumer.disconnect())
  await consumer.subscribe({ topic: 'orders', fromBeginning: true })
  const got: string[] = []
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value!.toString())
        if (got.length === 2) resolve()
      },
    })
  })
  await done
  assert.deepEqual(got, ['one', 'two'])

  // A group bob may only DESCRIBE: FindCoordinator answers, JoinGroup is refused. (With no ACL on the
  // group at all, kafkajs hides FindCoordinator's GROUP_AUTHORIZATION_FAILED behind "Failed to find
  // group coordinator", with Kafka's brokers too.) The SASL super user grants it through CreateAcls.
  const describeOnly = { resourceType: kafkajs.AclResourceTypes.GROUP, resourceName: 'audit', resourcePatternType: kafkajs.ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '*', operation: kafkajs.AclOperationTypes.DESCRIBE, permissionType: kafkajs.AclPermissionTypes.ALLOW }
  await admin.createAcls({ acl: [describeOnly] })
  const other = kafka('bob').consumer({ groupId: 'audit', maxWaitTimeInMs: 100 })
  defer(() => other.disconnect())
  await other.connect()
  await other.subscribe({ topic: 'orders', fromBeginning: true })
  const crashed = new Promise<unknown>((resolve) => other.on(other.events.CRASH, (e) => resolve(e.payload.error)))
  void other.run({ eachMessage: async () => assert.fail('a group bob may not read delivered a message') }).catch(() => {})
  const crash = await crashed
  assert.equal(kafkajsType(crash), 'GROUP_AUTHORIZATION_FAILED', `${String(crash)} ${JSON.stringify(crash)}`)

  const bobProducer = kafka('bob').producer({ allowAutoTopicCreation: false })
  await bobProducer.connect()
  defer(() => bobProducer.disconnect())
  const refused = await bobProducer.send({ topic: 'orders', messages: [{ value: 'forged' }] }).then(
    () => assert.fail('bob may not write'),
    (e: unknown) => e,
  )
  assert.equal(kafkajsType(refused), 'TOPIC_AUTHORIZATION_FAILED', String(refused))
  const aliceProducer = kafka('alice').producer({ allowAutoTopicCreation: false })
  await aliceProducer.connect()
  defer(() => aliceProducer.disconnect())
  assert.equal((await aliceProducer.send({ topic: 'orders', messages: [{ value: 'three' }] }))[0]!.errorCode, 0)
  const [offsets] = await admin.fetchTopicOffsets('orders')
  assert.equal(offsets!.high, '3', 'only alice’s records are in the log')
})
