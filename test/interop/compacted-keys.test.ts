/**
 * Regression: a record without a key on a `cleanup.policy=compact` topic was stored. Kafka
 * refuses the batch with INVALID_RECORD and a record error ("Compacted topic cannot accept
 * message without key ..."), which librdkafka reports as a failed delivery.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode } from '../../src/protocol/errors.js'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { RawClient } from '../helpers/raw-client.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'
import { createTopic, LATEST, listOffset } from '../helpers/wire.js'

test('kcat: a keyless record on a compacted topic is reported as failed and not stored; a keyed one is delivered', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const b = await startBrokerProcess()
  t.after(() => b.stop())
  const c = await RawClient.connect(b.port, b.host)
  t.after(() => c.close())
  assert.equal((await createTopic(c, 'T', 1, { 'cleanup.policy': 'compact' })).errorCode, ErrorCode.NONE)

  const keyless = await runTool('kcat', ['-P', '-b', b.bootstrap, '-t', 'T', '-p', '0', '-m', '10'], { input: 'v\n', timeoutMs: 30_000 })
  assert.notEqual(keyless.code, 0, 'kcat reports the failed delivery in its exit code')
  assert.match(keyless.stderr, /Delivery failed for message: Broker: Broker failed to validate record/)
  assert.equal((await listOffset(c, 'T', 0, LATEST)).offset, 0n, 'nothing was stored')

  const keyed = await runTool('kcat', ['-P', '-b', b.bootstrap, '-t', 'T', '-p', '0', '-K', ':', '-m', '10'], { input: 'k:v\n', timeoutMs: 30_000 })
  assert.equal(keyed.code, 0, keyed.stderr)
  const consumed = await runTool('kcat', ['-C', '-b', b.bootstrap, '-t', 'T', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %k %s\n', '-m', '10'], { timeoutMs: 30_000 })
  assert.equal(consumed.code, 0, consumed.stderr)
  assert.equal(consumed.stdout, '0 k v\n')
})
