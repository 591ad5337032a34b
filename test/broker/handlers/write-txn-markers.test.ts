/**
 * WriteTxnMarkers and AddPartitionsToTxn against the embedded broker over a raw socket: Kafka's
 * codes for markers from a fenced coordinator or for a stale producer epoch (nothing appended),
 * unknown partitions; AddPartitionsToTxn with an unknown topic adds nothing.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { createBatch, encodeBatchSync } from '../../../src/protocol/records/batch.js'
import type { RawClient } from '../../helpers/raw-client.js'
import { embeddedBroker } from '../helpers.js'

async function produceTxn(c: RawClient, topic: string, producerId: bigint, producerEpoch: number, baseSequence: number): Promise<void> {
  const records = encodeBatchSync(
    createBatch({ baseTimestamp: BigInt(Date.now()), producerId, producerEpoch, baseSequence, isTransactional: true, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('v'), headers: [] }] }),
  )
  const r = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] })
  assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE)
}

test('WriteTxnMarkers: written as the leader; an older coordinator epoch is TRANSACTION_COORDINATOR_FENCED, an older producer epoch INVALID_PRODUCER_EPOCH, an unknown partition UNKNOWN_TOPIC_OR_PARTITION; nothing appended on a refusal', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('m', 1)
  const c = await tb.client()
  const { producerId } = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })
  const marker = (coordinatorEpoch: number, producerEpoch: number, topic = 'm') =>
    c.request(ApiKey.WriteTxnMarkers, 1, { markers: [{ producerId, producerEpoch, transactionResult: true, coordinatorEpoch, topics: [{ name: topic, partitionIndexes: [0] }] }] })
  const code = (r: Awaited<ReturnType<typeof marker>>) => r.markers[0]!.topics[0]!.partitions[0]!.errorCode
  const end = async () => (await tb.b.broker.replicas.leaderLog('m', 0)).log.logEndOffset
  await produceTxn(c, 'm', producerId, 1, 0)
  assert.equal(code(await marker(5, 1)), ErrorCode.NONE)
  assert.equal(await end(), 2)
  await produceTxn(c, 'm', producerId, 1, 1)
  assert.equal(code(await marker(4, 1)), ErrorCode.TRANSACTION_COORDINATOR_FENCED)
  assert.equal(code(await marker(5, 0)), ErrorCode.INVALID_PRODUCER_EPOCH)
  assert.equal(await end(), 3, 'nothing appended')
  assert.equal(code(await marker(5, 1, 'missing')), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.equal(code(await marker(6, 1)), ErrorCode.NONE, 'a newer coordinator may')
})

test('AddPartitionsToTxn: a partition of an unknown topic is UNKNOWN_TOPIC_OR_PARTITION, the others OPERATION_NOT_ATTEMPTED, and nothing is added; an unknown transactional id is INVALID_PRODUCER_ID_MAPPING', async (t) => {
  const tb = await embeddedBroker(t, { 'auto.create.topics.enable': 'false' })
  await tb.b.broker.createTopic('known', 1)
  const c = await tb.client()
  const find = await c.request(ApiKey.FindCoordinator, 3, { key: 'tx-bad', keyType: 1 })
  assert.equal(find.errorCode, ErrorCode.NONE)
  const init = await c.request(ApiKey.InitProducerId, 4, { transactionalId: 'tx-bad', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })
  assert.equal(init.errorCode, ErrorCode.NONE)
  const add = (transactionalId: string, topics: Array<{ name: string; partitions: number[] }>) =>
    c.request(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: init.producerId, v3AndBelowProducerEpoch: init.producerEpoch, v3AndBelowTopics: topics })
  const r = await add('tx-bad', [{ name: 'known', partitions: [0] }, { name: 'nope', partitions: [0] }])
  assert.deepEqual(r.resultsByTopicV3AndBelow!.map((x) => [x.name, x.resultsByPartition[0]!.partitionErrorCode]), [['known', ErrorCode.OPERATION_NOT_ATTEMPTED], ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]])
  assert.equal((await tb.b.broker.context.txns.describe('tx-bad'))!.state, 0, 'still Empty')
  const other = await add('never-initialized', [{ name: 'known', partitions: [0] }])
  assert.equal(other.resultsByTopicV3AndBelow![0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING)
})
