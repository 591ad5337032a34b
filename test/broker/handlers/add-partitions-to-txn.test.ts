/**
 * AddPartitionsToTxn authorization over a raw socket against an embedded broker with Samsa's
 * authorizer: v0-3 (producers) need WRITE on the transactional id and the topics; v4+ (KIP-890's
 * batched form, sent by brokers) also CLUSTER_ACTION on the cluster, refused as a whole at the
 * top level as Kafka does, verify-only or not.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import type { AclBinding } from '../../../src/security/authorizer/acl.js'
import { embeddedBroker } from '../helpers.js'

const allow = (resourceType: AclBinding['pattern']['resourceType'], name: string, operation: AclBinding['entry']['operation']): AclBinding => ({
  pattern: { resourceType, name, patternType: 'LITERAL' },
  entry: { principal: 'User:ANONYMOUS', host: '*', operation, permission: 'ALLOW' },
})

test('AddPartitionsToTxn v4+ needs CLUSTER_ACTION (top-level CLUSTER_AUTHORIZATION_FAILED, no results); v3 from a producer does not', async (t) => {
  const tb = await embeddedBroker(t, { 'authorizer.class.name': 'samsa' })
  await tb.b.broker.createTopic('t', 1)
  await tb.b.broker.metadata.createAcls([allow('TRANSACTIONAL_ID', 'tx', 'WRITE'), allow('TOPIC', 't', 'WRITE')])
  const c = await tb.client()
  assert.equal((await c.request(ApiKey.FindCoordinator, 3, { key: 'tx', keyType: 1 })).errorCode, ErrorCode.NONE)
  const init = await c.request(ApiKey.InitProducerId, 4, { transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })
  assert.equal(init.errorCode, ErrorCode.NONE)
  const { producerId, producerEpoch } = init

  const v3 = await c.request(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: 'tx', v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: 't', partitions: [0] }] })
  assert.equal(v3.resultsByTopicV3AndBelow![0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE, 'a producer needs no cluster permission')

  const v4 = (verifyOnly: boolean) => c.request(ApiKey.AddPartitionsToTxn, 4, { transactions: [{ transactionalId: 'tx', producerId, producerEpoch, verifyOnly, topics: [{ name: 't', partitions: [0] }] }] })
  for (const verifyOnly of [true, false]) {
    const r = await v4(verifyOnly)
    assert.equal(r.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `verifyOnly ${verifyOnly}`)
    assert.deepEqual(r.resultsByTransaction, [])
  }
  await tb.b.broker.metadata.createAcls([allow('CLUSTER', 'kafka-cluster', 'CLUSTER_ACTION')])
  const verified = await v4(true)
  assert.equal(verified.errorCode, ErrorCode.NONE)
  assert.equal(verified.resultsByTransaction![0]!.topicResults[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE, 'the partition is in the ongoing transaction')
})
