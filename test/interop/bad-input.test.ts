/**
 * Bad produce input gets the error code Kafka defines, on a connection that stays usable, and
 * never disturbs other clients: oversize batches (MESSAGE_TOO_LARGE), unknown topics and
 * partitions with auto-creation off (UNKNOWN_TOPIC_OR_PARTITION), corrupted batches
 * (CORRUPT_MESSAGE).
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { ErrorCode } from '../../src/protocol/errors.js'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { CRC_OFFSET, createBatch, encodeBatchSync } from '../../src/protocol/records/index.js'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { RawClient } from '../helpers/raw-client.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'
import { createTopic, fetchAll, LATEST, listOffset, produceRaw, topicMetadata } from '../helpers/wire.js'

const MAX_BYTES = 65536
const TOPIC = 'bad-input'

function batchOf(value: Buffer, key = 'raw'): Buffer {
  return encodeBatchSync(createBatch({ baseTimestamp: BigInt(Date.now()), records: [{ timestampDelta: 0, offsetDelta: 0, key: Buffer.from(key), value, headers: [] }] }))
}

async function brokerWithTopic(t: TestContext) {
  const b = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': 'false', 'message.max.bytes': String(MAX_BYTES) } })
  t.after(() => b.stop())
  const raw = await RawClient.connect(b.port, b.host)
  t.after(() => raw.close())
  const created = await createTopic(raw, TOPIC, 2)
  assert.equal(created.errorCode, ErrorCode.NONE, created.errorMessage ?? '')
  return { b, raw }
}

test('bad produce requests get MESSAGE_TOO_LARGE, UNKNOWN_TOPIC_OR_PARTITION, CORRUPT_MESSAGE; the connection and a busy kafkajs producer carry on', async (t) => {
  const { b, raw } = await brokerWithTopic(t)
  const kafka = new Kafka({ clientId: 'samsa-good', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50 } })
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  t.after(() => producer.disconnect())

  // The well-behaved client keeps producing to partition 1 the whole time.
  let stop = false
  const goodValues: string[] = []
  const good = (async () => {
    for (let i = 0; !stop || i < 20; i++) {
      const value = `good ${i}`
      const [md] = await producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 1, key: 'k', value }] })
      assert.equal(md!.errorCode, 0)
      assert.equal(md!.baseOffset, String(goodValues.length), 'kafkajs offsets stay dense')
      goodValues.push(value)
    }
  })()

  // The misbehaving connection, on partition 0; each bad request is followed by a good one on
  // the same connection, whose offset proves the bad one appended nothing.
  let expectedOffset = 0n
  const okAfter = async (what: string) => {
    const r = await produceRaw(raw, TOPIC, 0, batchOf(Buffer.from(`ok after ${what}`)))
    assert.equal(r.errorCode, ErrorCode.NONE, `good batch after ${what}`)
    assert.equal(r.baseOffset, expectedOffset, `nothing appended by ${what}`)
    expectedOffset++
  }
  await okAfter('nothing')

  const oversize = batchOf(Buffer.alloc(MAX_BYTES + 100, 1))
  const tooLarge = await produceRaw(raw, TOPIC, 0, oversize)
  assert.equal(tooLarge.errorCode, ErrorCode.MESSAGE_TOO_LARGE, 'batch over message.max.bytes')
  assert.equal(tooLarge.baseOffset, -1n)
  await okAfter('an oversize batch')

  const missing = await produceRaw(raw, 'no-such-topic', 0, batchOf(Buffer.from('x')))
  assert.equal(missing.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'unknown topic')
  const [md] = await topicMetadata(raw, ['no-such-topic'], true)
  assert.equal(md!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'auto-creation is off: Metadata does not create it either')
  const noPartition = await produceRaw(raw, TOPIC, 7, batchOf(Buffer.from('x')))
  assert.equal(noPartition.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'unknown partition')
  await okAfter('unknown topic and partition')

  const flippedValue = batchOf(Buffer.from('a value that will be corrupted in flight'))
  flippedValue[flippedValue.length - 10]! ^= 0x40
  assert.equal((await produceRaw(raw, TOPIC, 0, flippedValue)).errorCode, ErrorCode.CORRUPT_MESSAGE, 'a flipped bit in a record')
  const flippedCrc = batchOf(Buffer.from('a batch whose CRC is wrong'))
  flippedCrc[CRC_OFFSET]! ^= 0x01
  assert.equal((await produceRaw(raw, TOPIC, 0, flippedCrc)).errorCode, ErrorCode.CORRUPT_MESSAGE, 'a flipped bit in the CRC')
  await okAfter('corrupted batches')

  // Several bad partitions in one request do not spoil the good one beside them.
  const mixed = await raw.request(ApiKey.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 10_000,
    topicData: [
      { name: TOPIC, partitionData: [{ index: 0, records: batchOf(Buffer.from('fine beside bad ones')) }, { index: 5, records: batchOf(Buffer.from('x')) }] },
      { name: 'no-such-topic', partitionData: [{ index: 0, records: batchOf(Buffer.from('x')) }] },
    ],
  })
  const codes = mixed.responses.flatMap((tr) => tr.partitionResponses.map((p) => [tr.name, p.index, p.errorCode, p.baseOffset]))
  assert.deepEqual(codes.sort(), [
    ['bad-input', 0, ErrorCode.NONE, expectedOffset],
    ['bad-input', 5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
    ['no-such-topic', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
  ].sort())
  expectedOffset++
  assert.ok(raw.isOpen, 'the misbehaving connection is still open')

  stop = true
  await good
  const p0 = await fetchAll(raw, TOPIC, 0)
  assert.deepEqual(
    p0.records.map((r) => r.value!.toString()),
    ['ok after nothing', 'ok after an oversize batch', 'ok after unknown topic and partition', 'ok after corrupted batches', 'fine beside bad ones'],
  )
  const p1 = await fetchAll(raw, TOPIC, 1)
  assert.deepEqual(p1.records.map((r) => r.value!.toString()), goodValues, 'every kafkajs message, in order')
  assert.equal(b.proc.exitCode, null, 'broker still running')
})

test('real clients see the errors: kafkajs gets MESSAGE_TOO_LARGE and UNKNOWN_TOPIC_OR_PARTITION', async (t) => {
  const { b, raw } = await brokerWithTopic(t)
  const kafka = new Kafka({ clientId: 'samsa-bad', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 200 } })
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  t.after(() => producer.disconnect())

  await assert.rejects(producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 0, value: Buffer.alloc(MAX_BYTES + 100, 7) }] }), (err: Error & { type?: string; name: string }) => {
    assert.equal(err.type, 'MESSAGE_TOO_LARGE', `${err.name}: ${err.message}`)
    return true
  })
  await assert.rejects(producer.send({ topic: 'no-such-topic', acks: 1, messages: [{ value: 'x' }] }), (err: Error & { type?: string; cause?: Error & { type?: string } }) => {
    const type = err.type ?? err.cause?.type
    assert.equal(type, 'UNKNOWN_TOPIC_OR_PARTITION', `${err.name}: ${err.message}`)
    return true
  })
  // The same producer still works, and the broker holds only the good message.
  const [md] = await producer.send({ topic: TOPIC, acks: 1, messages: [{ partition: 0, value: 'after the errors' }] })
  assert.equal(md!.baseOffset, '0')
  assert.equal((await listOffset(raw, TOPIC, 0, LATEST)).offset, 1n)
  assert.deepEqual((await topicMetadata(raw, ['no-such-topic']))[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
})

test('real clients see the errors: kcat (librdkafka) reports an oversize message as too large', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const { b, raw } = await brokerWithTopic(t)
  // librdkafka's own limit is raised so the broker, not the client, refuses the message.
  const r = await runTool('kcat', ['-P', '-b', b.bootstrap, '-t', TOPIC, '-p', '0', '-X', 'message.max.bytes=1000000', '-m', '10'], { input: 'x'.repeat(MAX_BYTES + 100) + '\n' })
  assert.match(r.stderr, /Message size too large|MSG_SIZE_TOO_LARGE/i, `kcat exit ${r.code}; stderr: ${r.stderr}`)
  assert.equal((await listOffset(raw, TOPIC, 0, LATEST)).offset, 0n, 'nothing appended')
  const ok = await runTool('kcat', ['-P', '-b', b.bootstrap, '-t', TOPIC, '-p', '0', '-m', '10'], { input: 'small\n' })
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal((await listOffset(raw, TOPIC, 0, LATEST)).offset, 1n)
  assert.equal(b.proc.exitCode, null, 'broker still running')
})
