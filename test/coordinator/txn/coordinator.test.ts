/**
 * The transaction coordinator's state machine over an in-memory `__transaction_state`
 * (test/coordinator/memory-topic.ts) and a marker writer the test controls (the broker's side,
 * exercised end to end in test/interop/transactions.test.ts): epochs and fencing, Kafka's error
 * codes for bad input, markers retried until written, a new coordinator completing what the old
 * one decided, timeouts and expiry on a ManualTime.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TransactionCoordinator, type TxnMarkerWriter } from '../../../src/coordinator/txn/coordinator.js'
import { TxnState } from '../../../src/coordinator/txn/txn-metadata.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { createLogger } from '../../../src/util/logger.js'
import { ManualTime } from '../../../src/util/time.js'
import { MemoryTopic } from '../memory-topic.js'

const FENCED = { fencedCode: ErrorCode.PRODUCER_FENCED }
const config = { maxTimeoutMs: 60_000, abortCheckIntervalMs: 1000, idExpirationMs: 100_000, topicPartitions: 1, topicReplicationFactor: 1, topicSegmentBytes: 1 << 20, topicMinInsyncReplicas: 1 }

interface Marker {
  producerId: bigint
  producerEpoch: number
  coordinatorEpoch: number
  commit: boolean
  partitions: string[]
}

function setup(topic = new MemoryTopic(1), time = new ManualTime(1_000_000)) {
  const markers: Marker[] = []
  let failNext = 0
  const writer: TxnMarkerWriter = {
    async write(m) {
      markers.push({ ...m, partitions: m.partitions.map((p) => `${p.topic}-${p.partition}`) })
      const code = failNext > 0 ? (failNext--, ErrorCode.NOT_LEADER_OR_FOLLOWER) : ErrorCode.NONE
      return m.partitions.map((p) => ({ ...p, errorCode: code }))
    },
  }
  let nextId = 100n
  const c = new TransactionCoordinator({ topic, config, markers: writer, newProducerId: async () => nextId++, logger: createLogger({ level: 'error' }), time })
  return { c, topic, time, markers, failMarkers: (n: number) => (failNext = n) }
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
}

async function stateOf(c: TransactionCoordinator, id: string) {
  return (await c.describe(id))!.state
}

test('InitProducerId: epoch 0, then bumped each time (fencing the older producer); bad timeouts and foreign ids or epochs refused with Kafka’s codes', async () => {
  const { c } = setup()
  await c.onElection(0, 5)
  const init = (o: Partial<{ producerId: bigint; producerEpoch: number; timeoutMs: number }> = {}) =>
    c.initProducerId({ transactionalId: 'a', timeoutMs: 10_000, producerId: -1n, producerEpoch: -1, ...FENCED, ...o })
  assert.deepEqual(await init(), { errorCode: 0, producerId: 100n, producerEpoch: 0 })
  assert.deepEqual(await init(), { errorCode: 0, producerId: 100n, producerEpoch: 1 })
  assert.equal((await init({ timeoutMs: 60_001 })).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT)
  assert.equal((await init({ timeoutMs: 0 })).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT)
  // KIP-360: only the holder of the current id and epoch may bump.
  assert.equal((await init({ producerId: 999n, producerEpoch: 1 })).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING)
  assert.equal((await init({ producerId: 100n, producerEpoch: 7 })).errorCode, ErrorCode.PRODUCER_FENCED)
  assert.deepEqual(await init({ producerId: 100n, producerEpoch: 1 }), { errorCode: 0, producerId: 100n, producerEpoch: 2 })
  assert.deepEqual(await init({ producerId: 100n, producerEpoch: 1 }), { errorCode: 0, producerId: 100n, producerEpoch: 2 }, 'a retry of that bump is answered again')
})

test('a transaction: partitions added (Ongoing), EndTxn answers at Prepare*, markers carry the coordinator epoch, then Complete*; stale producers and wrong states get Kafka’s codes', async () => {
  const { c, markers } = setup()
  await c.onElection(0, 5)
  const { producerId, producerEpoch } = await c.initProducerId({ transactionalId: 't', timeoutMs: 10_000, producerId: -1n, producerEpoch: -1, ...FENCED })
  const add = (parts: Array<[string, number]>, o: Partial<{ producerId: bigint; producerEpoch: number }> = {}) =>
    c.addPartitions({ transactionalId: 't', producerId, producerEpoch, partitions: parts.map(([topic, partition]) => ({ topic, partition })), ...FENCED, ...o })
  const end = (commit: boolean, o: Partial<{ producerId: bigint; producerEpoch: number }> = {}) => c.endTxn({ transactionalId: 't', producerId, producerEpoch, commit, ...FENCED, ...o })
  assert.equal(await end(true), ErrorCode.INVALID_TXN_STATE, 'nothing to commit (Empty)')
  assert.equal(await add([['x', 0]], { producerId: producerId + 1n }), ErrorCode.INVALID_PRODUCER_ID_MAPPING)
  assert.equal(await add([['x', 0]], { producerEpoch: producerEpoch - 1 }), ErrorCode.PRODUCER_FENCED)
  assert.equal(await add([['x', 0], ['x', 1]]), ErrorCode.NONE)
  assert.equal(await add([['y', 0]]), ErrorCode.NONE)
  assert.equal(await stateOf(c, 't'), TxnState.Ongoing)
  assert.deepEqual(await c.verifyPartitions({ transactionalId: 't', producerId, producerEpoch, partitions: [{ topic: 'x', partition: 1 }, { topic: 'z', partition: 0 }] }), [ErrorCode.NONE, ErrorCode.TRANSACTION_ABORTABLE])
  assert.equal(await end(true), ErrorCode.NONE)
  await settle()
  assert.deepEqual(markers, [{ producerId, producerEpoch, coordinatorEpoch: 5, commit: true, partitions: ['x-0', 'x-1', 'y-0'] }])
  assert.equal(await stateOf(c, 't'), TxnState.CompleteCommit)
  assert.equal(await end(true), ErrorCode.NONE, 'a retried commit')
  assert.equal(await end(false), ErrorCode.INVALID_TXN_STATE, 'the other outcome')
  assert.equal((await c.describe('t'))!.partitions.size, 0)
})

test('markers that fail are retried until written; the id answers CONCURRENT_TRANSACTIONS meanwhile', async () => {
  const { c, markers, failMarkers, time } = setup()
  await c.onElection(0, 1)
  const { producerId, producerEpoch } = await c.initProducerId({ transactionalId: 't', timeoutMs: 10_000, producerId: -1n, producerEpoch: -1, ...FENCED })
  await c.addPartitions({ transactionalId: 't', producerId, producerEpoch, partitions: [{ topic: 'x', partition: 0 }], ...FENCED })
  failMarkers(2)
  assert.equal(await c.endTxn({ transactionalId: 't', producerId, producerEpoch, commit: false, ...FENCED }), ErrorCode.NONE)
  await settle()
  assert.equal(markers.length, 1)
  assert.equal(await c.addPartitions({ transactionalId: 't', producerId, producerEpoch, partitions: [{ topic: 'x', partition: 0 }], ...FENCED }), ErrorCode.CONCURRENT_TRANSACTIONS)
  assert.equal((await c.initProducerId({ transactionalId: 't', timeoutMs: 10_000, producerId: -1n, producerEpoch: -1, ...FENCED })).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS)
  assert.equal(await c.endTxn({ transactionalId: 't', producerId, producerEpoch: producerEpoch - 1, commit: true, ...FENCED }), ErrorCode.PRODUCER_FENCED, 'fencing is answered before busy, as Kafka')
  time.advance(200)
  await settle()
  time.advance(200)
  await settle()
  assert.equal(markers.length, 3)
  assert.equal(await stateOf(c, 't'), TxnState.CompleteAbort)
})

test('a new coordinator (another broker, or a restart) loads the log and completes a commit the old one decided; a stale election is ignored', async () => {
  const topic = new MemoryTopic(1)
  const first = setup(topic)
  await first.c.onElection(0, 1)
  const { producerId, producerEpoch } = await first.c.initProducerId({ transactionalId: 't', timeoutMs: 10_000, producerId: -1n, producerEpoch: -1, ...FENCED })
  await first.c.addPartitions({ transactionalId: 't', producerId, producerEpoch, partitions: [{ topic: 'x', partition: 0 }], ...FENCED })
  // The old coordinator's markers never land (it loses the partition as it decides).
  topic.appendGate.close()
  const ended = first.c.endTxn({ transactionalId: 't', producerId, producerEpoch, commit: true, ...FENCED })
  await settle()
  topic.appendGate.open()
  assert.equal(await ended, ErrorCode.NONE)
  await first.c.onResignation(0, 2)
  await first.c.close()
  const second = setup(topic)
  assert.equal((await second.c.addPartitions({ transactionalId: 't', producerId, producerEpoch, partitions: [], ...FENCED }).catch((e) => e.code)), ErrorCode.NOT_COORDINATOR, 'not led yet')
  await second.c.onElection(0, 2)
  await settle()
  const committed = second.markers.filter((m) => m.commit)
  assert.ok(committed.length >= 1, 'the commit is completed by the new coordinator')
  assert.equal(committed.at(-1)!.coordinatorEpoch, 2, 'with its own coordinator epoch')
  assert.equal(await stateOf(second.c, 't'), TxnState.CompleteCommit)
  await second.c.onElection(0, 1)
  assert.equal(second.c.partitionStatus(0), 'loaded', 'a stale election changes nothing')
})

test('a transaction open past its timeout is aborted with the epoch bumped: its producer is fenced; an idle id expires after transactional.id.expiration.ms', async () => {
  const { c, markers, time } = setup()
  await c.onElection(0, 1)
  const { producerId, producerEpoch } = await c.initProducerId({ transactionalId: 'slow', timeoutMs: 5000, producerId: -1n, producerEpoch: -1, ...FENCED })
  await c.addPartitions({ transactionalId: 'slow', producerId, producerEpoch, partitions: [{ topic: 'x', partition: 0 }], ...FENCED })
  for (let i = 0; i < 4; i++) {
    time.advance(1000)
    await settle()
  }
  assert.equal(await stateOf(c, 'slow'), TxnState.Ongoing)
  for (let i = 0; i < 3; i++) {
    time.advance(1000)
    await settle()
  }
  assert.equal(await stateOf(c, 'slow'), TxnState.CompleteAbort)
  assert.deepEqual(markers.map((m) => [m.commit, m.producerEpoch]), [[false, producerEpoch + 1]])
  assert.equal(await c.endTxn({ transactionalId: 'slow', producerId, producerEpoch, commit: true, ...FENCED }), ErrorCode.PRODUCER_FENCED)
  time.advance(100_001)
  await settle()
  time.advance(1000)
  await settle()
  assert.equal(await c.describe('slow'), undefined, 'expired')
})
