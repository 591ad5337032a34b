/**
 * Produce with a transactional id (KIP-890 part 1) over a raw socket against an embedded broker:
 * a transactional batch to a partition never added to the producer's transaction is refused
 * with INVALID_TXN_STATE and nothing is appended; a stale epoch is INVALID_PRODUCER_EPOCH; once
 * AddPartitionsToTxn added the partition the batch is written, and later batches of the open
 * transaction are not asked about again. With transaction.partition.verification.enable=false
 * the old behaviour (written unverified) comes back.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { createBatch, encodeBatchSync } from '../../../src/protocol/records/batch.js'
import type { RawClient } from '../../helpers/raw-client.js'
import { embeddedBroker } from '../helpers.js'

async function produceTxn(c: RawClient, transactionalId: string, topic: string, partition: number, producerId: bigint, producerEpoch: number, baseSequence: number) {
  const records = encodeBatchSync(
    createBatch({ baseTimestamp: BigInt(Date.now()), producerId, producerEpoch, baseSequence, isTransactional: true, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('v'), headers: [] }] }),
  )
  const r = await c.request(ApiKey.Produce, 9, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] })
  return r.responses[0]!.partitionResponses[0]!
}

async function initTxn(c: RawClient, id: string) {
  assert.equal((await c.request(ApiKey.FindCoordinator, 3, { key: id, keyType: 1 })).errorCode, ErrorCode.NONE)
  const init = await c.request(ApiKey.InitProducerId, 4, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })
  assert.equal(init.errorCode, ErrorCode.NONE)
  return init
}

test('a transactional produce to a partition never added: INVALID_TXN_STATE, nothing appended; a stale epoch INVALID_PRODUCER_EPOCH; added, it is written', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('v', 2)
  const c = await tb.client()
  const { producerId, producerEpoch } = await initTxn(c, 'ver')
  const end = async (p: number) => (await tb.b.broker.replicas.leaderLog('v', p)).log.logEndOffset

  const notAdded = await produceTxn(c, 'ver', 'v', 0, producerId, producerEpoch, 0)
  assert.equal(notAdded.errorCode, ErrorCode.INVALID_TXN_STATE)
  assert.match(notAdded.errorMessage ?? '', /v-0 is not in the ongoing transaction of transactional id ver/)
  assert.equal(await end(0), 0, 'nothing appended')

  const add = await c.request(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: 'ver', v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: 'v', partitions: [0] }] })
  assert.equal(add.resultsByTopicV3AndBelow![0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE)
  assert.equal((await produceTxn(c, 'ver', 'v', 1, producerId, producerEpoch, 0)).errorCode, ErrorCode.INVALID_TXN_STATE, 'partition 1 still not added')
  assert.equal((await produceTxn(c, 'ver', 'v', 0, producerId, producerEpoch + 1, 0)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'an epoch the coordinator does not have')
  assert.equal(await end(0), 0)
  assert.equal((await produceTxn(c, 'ver', 'v', 0, producerId, producerEpoch, 0)).errorCode, ErrorCode.NONE)
  assert.equal(await end(0), 1)
  // The transaction is open on the partition now: the next batch is not verified again (the
  // coordinator would say the same), and goes through.
  assert.equal((await produceTxn(c, 'ver', 'v', 0, producerId, producerEpoch, 1)).errorCode, ErrorCode.NONE)
  assert.equal(await end(0), 2)
  assert.equal(await end(1), 0)
})

test('transaction.partition.verification.enable=false: a transactional produce is written unverified', async (t) => {
  const tb = await embeddedBroker(t, { 'transaction.partition.verification.enable': 'false' })
  await tb.b.broker.createTopic('nv', 1)
  const c = await tb.client()
  const { producerId, producerEpoch } = await initTxn(c, 'nover')
  assert.equal((await produceTxn(c, 'nover', 'nv', 0, producerId, producerEpoch, 0)).errorCode, ErrorCode.NONE)
})
