/**
 * A forged request whose array claims (and carries) 2,000,000 elements closes only its own
 * connection, before the broker builds the request; a kafkajs producer and consumer on the
 * same broker carry on.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { encodeRequestPayload, frame, RawClient } from '../helpers/raw-client.js'
import { deferrer } from '../helpers/groups.js'

const TOPIC = 'decoder-caps'

/** Metadata v0 with 2,000,000 empty topic names: 4 MB of well-formed bytes over the 1,000,000 cap. */
function forgedMetadata(): Buffer {
  const header = encodeRequestPayload(ApiKey.Metadata, 0, 1, { topics: [] })
  const count = Buffer.alloc(4)
  count.writeInt32BE(2_000_000)
  return frame(Buffer.concat([header.subarray(0, header.length - 4), count, Buffer.alloc(2 * 2_000_000)]))
}

test('a 2,000,000-element array closes only that connection; kafkajs keeps producing and consuming', async (t) => {
  const defer = deferrer(t)
  const b = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': '0' } })
  defer(() => b.stop())
  const kafka = new Kafka({ clientId: 'samsa-good', brokers: [b.bootstrap], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  defer(() => admin.disconnect())
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] })
  const producer = kafka.producer()
  await producer.connect()
  defer(() => producer.disconnect())
  await producer.send({ topic: TOPIC, messages: [{ value: 'before' }] })

  const raw = await RawClient.connect(b.port, b.host)
  defer(() => raw.close())
  await raw.write(forgedMetadata())
  await raw.waitClosed(20_000)
  assert.equal(raw.pending, 0, 'no answer to the forged request')
  await b.waitForStderr(/array of 2000000 elements exceeds the maximum of 1000000/)
  assert.equal(b.stderr().match(/closing connection: malformed request body/g)?.length, 1, 'one warn line')

  await producer.send({ topic: TOPIC, messages: [{ value: 'after' }] })
  const consumer = kafka.consumer({ groupId: 'decoder-caps' })
  await consumer.connect()
  defer(() => consumer.disconnect())
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
  const seen: string[] = []
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString())
          if (seen.length === 2) resolve()
        },
      })
      .catch(reject)
  })
  assert.deepEqual(seen, ['before', 'after'])
})
