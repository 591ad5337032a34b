/**
 * Issue 13: with message.max.bytes=2000 on the broker, the Samsa producer lost every record
 * (each batch was far over the limit and failed whole). Now refused batches are split: against
 * a real broker process, 2,000 small records over three partitions all arrive, in order, once
 * each, read back by kcat (librdkafka); a record over the limit fails with an error naming the
 * limit while its neighbours land.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Admin } from '../../src/client/admin/admin.js'
import { KafkaError } from '../../src/client/base/errors.js'
import { Producer, type RecordMetadata } from '../../src/client/producer/index.js'
import { createLogger } from '../../src/util/logger.js'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'
import { deferrer } from '../helpers/groups.js'

interface KcatMessage {
  partition: number
  offset: number
  payload: string
}

test('message.max.bytes=2000: 2,000 small records in batches far over it all arrive in order, once; one record over it fails naming the limit', async (t) => {
  const defer = deferrer(t)
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const b = await startBrokerProcess({ overrides: { 'message.max.bytes': '2000', 'auto.create.topics.enable': 'false' } })
  defer(() => b.stop())
  const logger = createLogger({ level: 'error' })
  const admin = new Admin({ bootstrapServers: b.bootstrap, logger })
  defer(() => admin.close())
  await admin.createTopics([{ topic: 'capped', numPartitions: 3, replicationFactor: 1 }])

  const producer = new Producer({ bootstrapServers: b.bootstrap, logger })
  defer(() => producer.close())
  const value = (i: number) => `rec-${String(i).padStart(4, '0')}-${'.'.repeat(50)}`
  const sends: Array<Promise<RecordMetadata>> = []
  let tooLarge: Promise<unknown> | undefined
  for (let i = 0; i < 2000; i++) {
    // Over many turns of the event loop, as an application sends: batches pipeline.
    if (i % 40 === 0) await new Promise((r) => setImmediate(r))
    if (i === 700) tooLarge = producer.send({ topic: 'capped', partition: 1, value: 'L'.repeat(3000) }).then((m) => m, (e: unknown) => e)
    sends.push(producer.send({ topic: 'capped', partition: i % 3, value: value(i) }))
  }
  const delivered = await Promise.all(sends)
  const e = await tooLarge
  assert.ok(e instanceof KafkaError, String(e))
  assert.equal(e.errorName, 'MESSAGE_TOO_LARGE')
  assert.match(e.message, /^producing to capped-1: MESSAGE_TOO_LARGE: a record of \d+ bytes \(as a batch of one\) is larger than the broker's message\.max\.bytes \/ the topic's max\.message\.bytes \(2000\)/)

  // Each partition's offsets count up in the order its records were sent.
  for (let p = 0; p < 3; p++) {
    const offsets = delivered.filter((_, i) => i % 3 === p).map((m) => Number(m.offset))
    assert.deepEqual(offsets, Array.from({ length: offsets.length }, (_, i) => i), `partition ${p}`)
  }

  const r = await runTool('kcat', ['-C', '-b', b.bootstrap, '-t', 'capped', '-o', 'beginning', '-e', '-J', '-m', '10'], { timeoutMs: 30_000 })
  assert.equal(r.code, 0, r.stderr)
  const consumed = r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as KcatMessage)
  assert.equal(consumed.length, 2000)
  for (let p = 0; p < 3; p++) {
    const got = consumed.filter((m) => m.partition === p)
    assert.deepEqual(
      got.map((m) => m.payload),
      Array.from({ length: 2000 }, (_, i) => i)
        .filter((i) => i % 3 === p)
        .map(value),
      `partition ${p} holds its records once each, in the order sent`,
    )
    assert.deepEqual(
      got.map((m) => m.offset),
      got.map((_, i) => i),
    )
  }
})
