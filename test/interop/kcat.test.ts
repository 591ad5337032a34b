/** kcat (librdkafka) against the real broker process. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { hasCommand, requireTool } from '../helpers/tools.js'

const run = promisify(execFile)

test('kcat -L lists broker 0 as controller and no topics', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const b = await startBrokerProcess()
  t.after(() => b.stop())

  const plain = await run('kcat', ['-L', '-b', b.bootstrap, '-m', '10'], { timeout: 20_000 })
  assert.match(plain.stdout, new RegExp(`broker 0 at ${b.host.replace(/\./g, '\\.')}:${b.port} \\(controller\\)`), plain.stdout + plain.stderr)
  assert.match(plain.stdout, /\b1 brokers:/)
  assert.match(plain.stdout, /\b0 topics:/)

  const json = await run('kcat', ['-L', '-J', '-b', b.bootstrap, '-m', '10'], { timeout: 20_000 })
  const md = JSON.parse(json.stdout) as { controllerid: number; brokers: Array<{ id: number; name: string }>; topics: unknown[] }
  assert.equal(md.controllerid, 0)
  assert.deepEqual(md.brokers, [{ id: 0, name: b.bootstrap }])
  assert.deepEqual(md.topics, [])
  assert.equal(b.proc.exitCode, null, 'broker still running')
})
