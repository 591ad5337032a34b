import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { runTool } from '../../helpers/tools.js'

const main = fileURLToPath(new URL('../../../tools/codegen/main.js', import.meta.url))

test('check-generated without the protocol specs says where it looked, with no stack trace', async () => {
  const r = await runTool(process.execPath, [main, '--check', '--specs', '/nonexistent/kafka-protocol'])
  assert.equal(r.code, 2)
  assert.equal(
    r.stderr.trim(),
    "codegen: Kafka's protocol specs are not at /nonexistent/kafka-protocol (expected /nonexistent/kafka-protocol/messages); put the shared folder beside the repository or pass --specs DIR",
  )
})
