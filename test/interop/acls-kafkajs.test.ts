/**
 * ACLs enforced on real clients over PLAINTEXT, where every connection is User:ANONYMOUS (as in
 * Kafka): kafkajs produces and reads metadata, the raw client fetches and commits, so each
 * refusal is seen exactly as the broker answers it. ACLs are created through the broker's own
 * metadata store, the way CreateAcls stores them.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import kafkajs from 'kafkajs'
import { startBroker, type StartedBroker } from '../../src/index.js'
import { createLogger } from '../../src/util/logger.js'
import type { AclBinding } from '../../src/security/authorizer/acl.js'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { RawClient } from '../helpers/raw-client.js'
import { fetchOnce, topicMetadata } from '../helpers/wire.js'

const { Kafka, logLevel } = kafkajs

const allow = (resourceType: AclBinding['pattern']['resourceType'], name: string, operation: AclBinding['entry']['operation'], patternType: 'LITERAL' | 'PREFIXED' = 'LITERAL', principal = 'User:ANONYMOUS'): AclBinding => ({
  pattern: { resourceType, name, patternType },
  entry: { principal, host: '*', operation, permission: 'ALLOW' },
})

async function setup(t: TestContext, config: Record<string, string> = {}): Promise<{ b: StartedBroker; raw: RawClient }> {
  const b = await startBroker({ logger: createLogger({ level: 'error' }), config: { 'authorizer.class.name': 'samsa', 'auto.create.topics.enable': 'false', ...config } })
  t.after(() => b.close())
  for (const name of ['orders', 'team-a.events', 'secret']) await b.broker.createTopic(name, 1)
  const raw = await RawClient.connect(b.port, b.host)
  t.after(() => raw.close())
  return { b, raw }
}

function kafka(b: StartedBroker) {
  return new Kafka({ clientId: 'samsa-acls', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } })
}

test('a principal allowed to produce but not consume: kafkajs writes, Fetch is TOPIC_AUTHORIZATION_FAILED; other topics refuse the write', async (t) => {
  const { b, raw } = await setup(t)
  await b.broker.metadata.createAcls([allow('TOPIC', 'orders', 'WRITE')])
  const producer = kafka(b).producer({ allowAutoTopicCreation: false })
  await producer.connect()
  t.after(() => producer.disconnect())
  const [sent] = await producer.send({ topic: 'orders', messages: [{ value: 'one' }] })
  assert.equal(sent!.errorCode, 0)
  await assert.rejects(producer.send({ topic: 'secret', messages: [{ value: 'x' }] }), /not authorized|authorization/i)
  assert.equal((await fetchOnce(raw, 'orders', 0, 0n)).errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  await b.broker.metadata.createAcls([allow('TOPIC', 'orders', 'READ')])
  const p = await fetchOnce(raw, 'orders', 0, 0n)
  assert.equal(p.errorCode, ErrorCode.NONE, 'READ granted: the same fetch now reads')
  assert.ok((p.records?.length ?? 0) > 0)
})

test('Metadata hides topics the principal may not DESCRIBE, and refuses one named explicitly', async (t) => {
  const { b, raw } = await setup(t)
  await b.broker.metadata.createAcls([allow('TOPIC', 'team-a.', 'READ', 'PREFIXED'), allow('TOPIC', 'orders', 'WRITE')])
  const admin = kafka(b).admin()
  await admin.connect()
  t.after(() => admin.disconnect())
  assert.deepEqual((await admin.listTopics()).sort(), ['orders', 'team-a.events'])
  const [secret, missing] = await topicMetadata(raw, ['secret', 'no-such-topic'])
  assert.equal(secret!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  assert.equal(missing!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'a missing topic looks the same: its existence is not revealed')
})

test('auto-creation through Metadata needs CREATE on the cluster or the topic', async (t) => {
  const { b, raw } = await setup(t, { 'auto.create.topics.enable': 'true' })
  await b.broker.metadata.createAcls([allow('TOPIC', 'auto-', 'DESCRIBE', 'PREFIXED')])
  assert.equal((await topicMetadata(raw, ['auto-1'], true))[0]!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  assert.equal(b.broker.metadata.topic('auto-1'), undefined)
  await b.broker.metadata.createAcls([allow('TOPIC', 'auto-', 'CREATE', 'PREFIXED')])
  assert.equal((await topicMetadata(raw, ['auto-1'], true))[0]!.errorCode, ErrorCode.NONE)
  assert.ok(b.broker.metadata.topic('auto-1'))
})

test('one group only: OffsetCommit needs READ on the group and the topic; FindCoordinator DESCRIBE on the group', async (t) => {
  const { b, raw } = await setup(t)
  await b.broker.metadata.createAcls([allow('GROUP', 'g1', 'READ'), allow('TOPIC', 'team-a.', 'READ', 'PREFIXED')])
  const commit = (groupId: string, topic: string) =>
    raw.request(ApiKey.OffsetCommit, 8, { groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null }] }] })
  assert.equal((await commit('g1', 'team-a.events')).topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE)
  assert.equal((await commit('g2', 'team-a.events')).topics[0]!.partitions[0]!.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED)
  assert.equal((await commit('g1', 'secret')).topics[0]!.partitions[0]!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
  const find = (key: string) => raw.request(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: [key] })
  assert.equal((await find('g1')).coordinators![0]!.errorCode, ErrorCode.NONE)
  assert.equal((await find('g2')).coordinators![0]!.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED)
})

test('super users pass every check; DENY beats ALLOW for everyone else', async (t) => {
  const { b, raw } = await setup(t, { 'super.users': 'User:admin;User:ANONYMOUS' })
  await b.broker.metadata.createAcls([{ pattern: { resourceType: 'TOPIC', name: '*', patternType: 'LITERAL' }, entry: { principal: 'User:*', host: '*', operation: 'ALL', permission: 'DENY' } }])
  assert.equal((await fetchOnce(raw, 'secret', 0, 0n)).errorCode, ErrorCode.NONE)
  assert.equal((await topicMetadata(raw, ['secret']))[0]!.errorCode, ErrorCode.NONE)
})

test('without an authorizer nothing is checked, whatever ACLs are stored', async (t) => {
  const b = await startBroker({ logger: createLogger({ level: 'error' }) })
  t.after(() => b.close())
  await b.broker.createTopic('secret', 1)
  await b.broker.metadata.createAcls([allow('TOPIC', 'secret', 'READ', 'LITERAL', 'User:someone-else')])
  const raw = await RawClient.connect(b.port, b.host)
  t.after(() => raw.close())
  assert.equal((await fetchOnce(raw, 'secret', 0, 0n)).errorCode, ErrorCode.NONE)
})
