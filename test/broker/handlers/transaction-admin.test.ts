/**
 * DescribeProducers (61), DescribeTransactions (65) and ListTransactions (66) over a raw socket
 * against an embedded broker with kafkajs transactions: state and producer filters, unknown
 * state names returned apart, the v1 duration filter, unknown ids and partitions.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { TxnState } from '../../../src/coordinator/txn/txn-metadata.js'
import { deferrer } from '../../helpers/groups.js'
import { embeddedBroker } from '../helpers.js'

test('ListTransactions, DescribeTransactions and DescribeProducers: state and producer filters, unknown state names returned apart; DescribeProducers of unknown partitions', async (t) => {
  const defer = deferrer(t)
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('tx-raw', 1)
  const kafka = new Kafka({ brokers: [tb.b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } })
  const a = kafka.producer({ transactionalId: 'raw-a', idempotent: true, maxInFlightRequests: 1 })
  const b = kafka.producer({ transactionalId: 'raw-b', idempotent: true, maxInFlightRequests: 1 })
  defer(() => a.disconnect())
  defer(() => b.disconnect())
  await a.connect()
  await b.connect()
  const ta = await a.transaction()
  await ta.send({ topic: 'tx-raw', messages: [{ value: 'a' }] })
  const tbx = await b.transaction()
  await tbx.send({ topic: 'tx-raw', messages: [{ value: 'b' }] })
  await tbx.commit()
  // EndTxn answers at PrepareCommit; the markers and CompleteCommit follow.
  for (let i = 0; i < 200 && (await tb.b.broker.context.txns.describe('raw-b'))!.state !== TxnState.CompleteCommit; i++) await new Promise((r) => setTimeout(r, 20))
  const c = await tb.client()
  const list = (stateFilters: string[], producerIdFilters: bigint[] = [], durationFilter = -1n) => c.request(ApiKey.ListTransactions, 1, { stateFilters, producerIdFilters, durationFilter })
  const names = (r: Awaited<ReturnType<typeof list>>) => r.transactionStates.map((s) => `${s.transactionalId}:${s.transactionState}`)
  assert.deepEqual(names(await list([])), ['raw-a:Ongoing', 'raw-b:CompleteCommit'])
  assert.deepEqual(names(await list(['Ongoing'])), ['raw-a:Ongoing'])
  const odd = await list(['Ongoing', 'Bogus'])
  assert.deepEqual(odd.unknownStateFilters, ['Bogus'])
  assert.deepEqual(names(odd), ['raw-a:Ongoing'])
  const pidB = (await tb.b.broker.context.txns.describe('raw-b'))!.producerId
  assert.deepEqual(names(await list([], [pidB])), ['raw-b:CompleteCommit'])
  assert.deepEqual(names(await list([], [], 0n)), ['raw-a:Ongoing'], 'v1 duration filter: only open transactions have a duration')
  const v0 = await c.request(ApiKey.ListTransactions, 0, { stateFilters: [], producerIdFilters: [] })
  assert.equal(v0.transactionStates.length, 2)

  const d = await c.request(ApiKey.DescribeTransactions, 0, { transactionalIds: ['raw-a', 'nope'] })
  assert.equal(d.transactionStates[0]!.errorCode, ErrorCode.NONE)
  assert.deepEqual(d.transactionStates[0]!.topics, [{ topic: 'tx-raw', partitions: [0] }])
  assert.ok(d.transactionStates[0]!.transactionStartTimeMs > 0n)
  assert.equal(d.transactionStates[1]!.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)

  const dp = await c.request(ApiKey.DescribeProducers, 0, { topics: [{ name: 'tx-raw', partitionIndexes: [0, 7] }, { name: 'absent', partitionIndexes: [0] }] })
  assert.equal(dp.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE)
  assert.equal(dp.topics[0]!.partitions[0]!.activeProducers.length, 2)
  assert.equal(dp.topics[0]!.partitions[1]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  assert.equal(dp.topics[1]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  await ta.abort()
})

test('DescribeTransactions before any transaction: NOT_COORDINATOR, and __transaction_state is not created by looking', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const d = await c.request(ApiKey.DescribeTransactions, 0, { transactionalIds: ['nobody'] })
  assert.equal(d.transactionStates[0]!.errorCode, ErrorCode.NOT_COORDINATOR)
  assert.equal(tb.b.broker.metadata.topic('__transaction_state'), undefined)
  const l = await c.request(ApiKey.ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1n })
  assert.deepEqual([l.errorCode, l.transactionStates.length], [ErrorCode.NONE, 0])
})
