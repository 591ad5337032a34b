/**
 * `samsa transactions` against a real broker: a kafkajs transaction left open is listed
 * (with state and duration filters), described and its producer shown on the partition; a
 * hanging transaction (a transactional batch whose producer no coordinator knows, last written
 * 20 minutes ago by its record timestamps) is found by find-hanging and aborted by --start-offset
 * and by --producer-id/--producer-epoch/--coordinator-epoch, after which the last stable offset
 * moves on. Output columns are Kafka's (tab-separated, padded).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { createBatch, encodeBatchSync } from '../../src/protocol/records/batch.js'
import { prettyTable } from '../../src/cli/transactions.js'
import { runCli } from '../helpers/broker-process.js'
import { deferrer } from '../helpers/groups.js'
import type { RawClient } from '../helpers/raw-client.js'
import { embeddedBroker } from '../broker/helpers.js'

const TWENTY_MINUTES = 20 * 60_000

/** A transactional batch from an idempotent producer id (no transactional id: no coordinator will ever end it). */
async function hangingBatch(c: RawClient, topic: string, partition: number, producerId: bigint, producerEpoch: number, baseSequence: number): Promise<bigint> {
  const records = encodeBatchSync(
    createBatch({ baseTimestamp: BigInt(Date.now() - TWENTY_MINUTES), producerId, producerEpoch, baseSequence, isTransactional: true, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('h'), headers: [] }] }),
  )
  const r = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] })
  const p = r.responses[0]!.partitionResponses[0]!
  assert.equal(p.errorCode, ErrorCode.NONE)
  return p.baseOffset
}

/** The rows of a Kafka-style table: cells split on tabs, trimmed. */
function rows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t').map((c) => c.trim()).filter((c, i, all) => i < all.length - 1 || c !== ''))
}

test('prettyTable lays out as Kafka’s ToolsUtils: every cell padded to its column and followed by a tab', () => {
  assert.equal(prettyTable(['A', 'Longer'], [['xyz', '1']]), 'A  \tLonger\t\nxyz\t1     \t\n')
})

test('samsa transactions: list, describe and describe-producers of an open kafkajs transaction; find-hanging and abort of a hanging one', async (t) => {
  const defer = deferrer(t)
  const tb = await embeddedBroker(t)
  const bootstrap = tb.b.bootstrap
  await tb.b.broker.createTopic('tx-cli', 2)
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } })
  const p = kafka.producer({ transactionalId: 'cli-open', idempotent: true, maxInFlightRequests: 1 })
  defer(() => p.disconnect())
  await p.connect()
  const tx = await p.transaction()
  await tx.send({ topic: 'tx-cli', messages: [{ partition: 0, value: 'open' }] })
  const open = await tb.b.broker.context.txns.describe('cli-open')
  const pid = String(open!.producerId)
  const cli = (...args: string[]) => runCli(['transactions', '--bootstrap-server', bootstrap, ...args], { timeoutMs: 30_000 })

  const list = await cli('list')
  assert.equal(list.code, 0, list.stderr)
  assert.deepEqual(rows(list.stdout), [['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'], ['cli-open', '0', pid, 'Ongoing']])
  const longer = await cli('list', '--duration-filter', '3600000')
  assert.equal(longer.code, 0, longer.stderr)
  assert.deepEqual(rows(longer.stdout), [['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState']], 'not open for an hour')

  const described = await cli('describe', '--transactional-id', 'cli-open')
  assert.equal(described.code, 0, described.stderr)
  const [head, row] = rows(described.stdout)
  assert.deepEqual(head, ['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions'])
  assert.deepEqual([row![0], row![1], row![2], row![4], row![8]], ['0', 'cli-open', pid, 'Ongoing', 'tx-cli-0'])
  assert.ok(Number(row![7]) >= 0, 'a duration in ms')
  const missing = await cli('describe', '--transactional-id', 'never-seen')
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /Failed to describe transaction state of transactional-id `never-seen`: TRANSACTIONAL_ID_NOT_FOUND/)

  const producers = await cli('describe-producers', '--topic', 'tx-cli', '--partition', '0')
  assert.equal(producers.code, 0, producers.stderr)
  const pr = rows(producers.stdout)
  assert.deepEqual(pr[0], ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'])
  assert.deepEqual([pr[1]![0], pr[1]![2], pr[1]![3], pr[1]![5]], [pid, '-1', '0', '0'])

  // A hanging transaction on partition 1: nobody will write its marker.
  const c = await tb.client()
  const init = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })
  const start = await hangingBatch(c, 'tx-cli', 1, init.producerId, init.producerEpoch, 0)
  const log1 = async () => (await tb.b.broker.replicas.leaderLog('tx-cli', 1)).log
  assert.equal((await log1()).lastStableOffset, Number(start), 'held by the hanging transaction')

  const found = await cli('find-hanging', '--broker-id', '0')
  assert.equal(found.code, 0, found.stderr)
  const fr = rows(found.stdout)
  assert.deepEqual(fr[0], ['Topic', 'Partition', 'ProducerId', 'ProducerEpoch', 'CoordinatorEpoch', 'StartOffset', 'LastTimestamp', 'Duration(min)'])
  assert.equal(fr.length, 2, `only the hanging one (the open kafkajs transaction is young and known to its coordinator): ${found.stdout}`)
  assert.deepEqual(fr[1]!.slice(0, 6), ['tx-cli', '1', String(init.producerId), String(init.producerEpoch), '-1', String(start)])
  assert.ok(Number(fr[1]![7]) >= 19, 'open about 20 minutes')
  const wider = await cli('find-hanging', '--broker-id', '0', '--max-transaction-timeout', '30')
  assert.deepEqual(rows(wider.stdout).length, 1, 'not older than 30 minutes')

  const noOffset = await cli('abort', '--topic', 'tx-cli', '--partition', '1', '--start-offset', '99')
  assert.equal(noOffset.code, 1)
  assert.match(noOffset.stderr, /Could not find any open transactions starting at offset 99 on partition tx-cli-1/)
  const aborted = await cli('abort', '--topic', 'tx-cli', '--partition', '1', '--start-offset', String(start))
  assert.equal(aborted.code, 0, aborted.stderr)
  const log = await log1()
  assert.equal(log.lastStableOffset, log.highWatermark, 'the abort marker ended it')
  assert.deepEqual(rows((await cli('find-hanging', '--broker-id', '0')).stdout).length, 1, 'nothing hanging any more')

  // The pre-3.0 way: producer id, epoch and coordinator epoch (-1 is sent as 0).
  const again = await hangingBatch(c, 'tx-cli', 1, init.producerId, init.producerEpoch, 1)
  assert.equal((await log1()).lastStableOffset, Number(again))
  const usage = await cli('abort', '--topic', 'tx-cli', '--partition', '1', '--producer-id', String(init.producerId))
  assert.equal(usage.code, 2)
  assert.match(usage.stderr, /Missing required argument --producer-epoch/)
  const byId = await cli('abort', '--topic', 'tx-cli', '--partition', '1', '--producer-id', String(init.producerId), '--producer-epoch', String(init.producerEpoch), '--coordinator-epoch', '-1')
  assert.equal(byId.code, 0, byId.stderr)
  const after = await log1()
  assert.equal(after.lastStableOffset, after.highWatermark)
  await tx.abort()
})
