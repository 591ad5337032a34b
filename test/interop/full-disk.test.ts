/**
 * A full disk: every write of a segment fails with ENOSPC (a fault hook on the embedded
 * broker's storage). Producers get KAFKA_STORAGE_ERROR (it was UNKNOWN_SERVER_ERROR), reads
 * keep working, nothing of the failed produce is ever visible, and once space returns writes
 * resume at the next offset.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { errnoError } from '../../src/util/faults.js'
import { embeddedBroker } from '../broker/helpers.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'
import { deferrer } from '../helpers/groups.js'

async function consume(bootstrap: string, topic: string): Promise<string> {
  const r = await runTool('kcat', ['-C', '-b', bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %s\n', '-m', '10'], { timeoutMs: 30_000 })
  assert.equal(r.code, 0, r.stderr)
  return r.stdout
}

test('kafkajs on a full disk gets KAFKA_STORAGE_ERROR; kcat still reads; writes resume with dense offsets once space returns', async (t) => {
  const defer = deferrer(t)
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const tb = await embeddedBroker(t)
  const broker = tb.b.broker
  await broker.createTopic('disk', 1)
  const kafka = new Kafka({ clientId: 'full-disk', brokers: [tb.b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } })
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  defer(() => producer.disconnect())

  await producer.send({ topic: 'disk', messages: [{ value: 'a' }, { value: 'b' }] })

  broker.faults.failNext('segment.write', { error: errnoError('ENOSPC', 'no space left on device (injected)'), times: Number.POSITIVE_INFINITY })
  for (const value of ['lost 1', 'lost 2']) {
    await assert.rejects(producer.send({ topic: 'disk', messages: [{ value }] }), (e: Error & { cause?: { type?: string } }) => {
      assert.equal(e.cause?.type, 'KAFKA_STORAGE_ERROR', `${e.name}: ${e.message}`)
      return true
    })
  }
  assert.equal(await consume(tb.b.bootstrap, 'disk'), '0 a\n1 b\n', 'reads work while writes fail')
  assert.ok(tb.logs().some((l) => l.msg === 'produce failed' && /ENOSPC.*free disk space/.test(String(l.error))), 'the broker says what failed and what to do')

  broker.faults.clear('segment.write')
  const [sent] = await producer.send({ topic: 'disk', messages: [{ value: 'c' }] })
  assert.equal(sent!.baseOffset, '2', 'offsets continue where the log ended')
  const kcat = await runTool('kcat', ['-P', '-b', tb.b.bootstrap, '-t', 'disk', '-p', '0', '-m', '10'], { input: 'd\n', timeoutMs: 30_000 })
  assert.equal(kcat.code, 0, kcat.stderr)
  assert.equal(await consume(tb.b.bootstrap, 'disk'), '0 a\n1 b\n2 c\n3 d\n')
})
