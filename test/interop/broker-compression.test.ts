/**
 * compression.type other than producer, with real clients against the broker process: confluent-kafka's
 * admin sets it, kcat produces uncompressed (idempotently) into a zstd topic, `samsa dump-log`
 * shows zstd batches on disk, and kcat, kafkajs and confluent-kafka read the records back.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import * as zstd from '@mongodb-js/zstd'
import kafkajs from 'kafkajs'
import { ErrorCode } from '../../src/protocol/errors.js'
import { runCli, startBrokerProcess } from '../helpers/broker-process.js'
import { runPythonJson } from '../helpers/python.js'
import { RawClient } from '../helpers/raw-client.js'
import { hasCommand, hasPythonModule, requireTool, runTool } from '../helpers/tools.js'
import { createTopic, fetchAll } from '../helpers/wire.js'

const ADMIN_AND_CONSUME = `
import json, sys, time
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource
args = json.load(sys.stdin)
admin = AdminClient({'bootstrap.servers': sys.argv[1], 'client.id': 'samsa-interop'})
res = ConfigResource('topic', args['topic'], set_config={'compression.type': 'zstd', 'compression.zstd.level': '5'})
for f in admin.alter_configs([res]).values():
    f.result(timeout=30)
described = admin.describe_configs([ConfigResource('topic', args['topic'])])
cfg = list(described.values())[0].result(timeout=30)
bad = None
try:
    for f in admin.alter_configs([ConfigResource('topic', args['topic'], set_config={'compression.type': 'brotli'})]).values():
        f.result(timeout=30)
except Exception as e:
    bad = str(e)
values = []
if args.get('consume'):
    c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'samsa-interop-unused', 'enable.auto.commit': False})
    c.assign([TopicPartition(args['topic'], 0, 0)])
    deadline = time.time() + 30
    while time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            values.append(m.value().decode())
        if len(values) >= args['consume']:
            break
    c.close()
print(json.dumps({'type': cfg['compression.type'].value, 'level': cfg['compression.zstd.level'].value, 'bad': bad, 'values': values}))
`

test('uncompressed kcat records into a zstd topic are stored zstd, deduplicated, and every client reads them', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  if (!requireTool(t, 'python3-confluent-kafka', () => hasPythonModule('confluent_kafka'))) return
  // after() hooks run in registration order; clients must close before the broker stops (a
  // kafkajs consumer whose broker is gone spins its fetch loop, kafkajs#1384), so one hook
  // undoes everything in reverse.
  const cleanups: Array<() => unknown> = []
  t.after(async () => {
    for (const undo of cleanups.reverse()) await undo()
  })
  const b = await startBrokerProcess()
  cleanups.push(() => b.stop())
  const c = await RawClient.connect(b.port, b.host)
  cleanups.push(() => c.close())
  const topic = 'zstd-topic'
  assert.equal((await createTopic(c, topic, 1)).errorCode, ErrorCode.NONE)

  // confluent-kafka's admin sets compression.type (refused with INVALID_CONFIG before this change) and reads it back.
  const admin = await runPythonJson<{ type: string; level: string; bad: string | null }>(ADMIN_AND_CONSUME, b.bootstrap, { topic })
  assert.deepEqual([admin.type, admin.level], ['zstd', '5'])
  assert.match(admin.bad ?? '', /compression.type/, 'an unknown codec is refused naming the key')

  const lines = Array.from({ length: 300 }, (_, i) => `k${i % 7}:value-${i}`)
  const produced = await runTool(
    'kcat',
    ['-P', '-b', b.bootstrap, '-t', topic, '-p', '0', '-K', ':', '-z', 'none', '-X', 'enable.idempotence=true', '-X', 'linger.ms=5', '-X', 'batch.num.messages=50'],
    { input: lines.join('\n') + '\n', timeoutMs: 30_000 },
  )
  assert.equal(produced.code, 0, produced.stderr)
  const expected = lines.map((l) => l.split(':')[1]!)

  // Stored batches are zstd, with the idempotent producer's id (the sequence fields survive recompression).
  const { records, batches } = await fetchAll(c, topic, 0)
  assert.deepEqual(records.map((r) => r.value!.toString()), expected)
  assert.ok(batches.length >= 2, `${batches.length} batches`)
  assert.ok(batches.every((x) => x.compression === 4), `codecs ${batches.map((x) => x.compression).join()}`)
  assert.equal(new Set(batches.map((x) => x.producerId)).size, 1)
  assert.ok(batches[0]!.producerId >= 0n)
  const dumped = await runCli(['dump-log', '--files', join(b.logDir, `${topic}-0`, '00000000000000000000.log')], { timeoutMs: 60_000 })
  assert.equal(dumped.code, 0, dumped.stderr)
  const codecs = [...dumped.stdout.matchAll(/compresscodec: (\w+)/g)].map((m) => m[1])
  assert.equal(codecs.length, batches.length)
  assert.ok(codecs.every((x) => x === 'zstd'), codecs.join())

  const kc = await runTool('kcat', ['-C', '-b', b.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeoutMs: 30_000 })
  assert.equal(kc.code, 0, kc.stderr)
  assert.deepEqual(kc.stdout.trim().split('\n'), expected)

  const kafka = new kafkajs.Kafka({ clientId: 'samsa-zstd', brokers: [b.bootstrap], logLevel: kafkajs.logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: 'zstd-readers' })
  await consumer.connect()
  cleanups.push(() => consumer.disconnect())
  await consumer.subscribe({ topic, fromBeginning: true })
  const got: string[] = []
  // kafkajs ships no zstd codec; applications register one, as here.
  kafkajs.CompressionCodecs[kafkajs.CompressionTypes.ZSTD] = () => ({ compress: async (e: { buffer: Buffer }) => zstd.compress(e.buffer), decompress: async (buf: Buffer) => zstd.decompress(buf) })
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          got.push(message.value!.toString())
          if (got.length === expected.length) resolve()
        },
      })
      .catch(reject)
  })
  assert.deepEqual(got, expected)

  const py = await runPythonJson<{ values: string[] }>(ADMIN_AND_CONSUME, b.bootstrap, { topic, consume: expected.length })
  assert.deepEqual(py.values, expected)
})
