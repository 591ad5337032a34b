/** The broker as an operating-system process: signals, and bad input never killing it. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { encodeRequest, frame, RawClient } from '../helpers/raw-client.js'

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} stops the broker with exit code 0, even with clients connected`, async (t) => {
    const b = await startBrokerProcess()
    t.after(() => b.stop('SIGKILL'))
    const c = await RawClient.connect(b.port, b.host)
    t.after(() => c.close())
    const r = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' })
    assert.equal(r.errorCode, ErrorCode.NONE)

    const exit = await b.stop(signal)
    assert.deepEqual(exit, { code: 0, signal: null }, b.stderr())
    await c.waitClosed()
  })
}

test('bad input on many connections leaves the process running and serving', async (t) => {
  const b = await startBrokerProcess({ overrides: { 'socket.request.max.bytes': '4096' } })
  t.after(() => b.stop())
  const tooBig = Buffer.alloc(8)
  tooBig.writeInt32BE(4097)
  const negative = Buffer.alloc(8)
  negative.writeInt32BE(-7)
  const unknownKey = Buffer.alloc(10)
  unknownKey.writeInt16BE(9999, 0)
  const truncated = encodeRequest(ApiKey.Metadata, 1, 3, { topics: [{ name: 'some-topic' }] })
  truncated.writeInt32BE(truncated.length - 4 - 3) // claim a shorter frame: the body is cut
  const inputs = [
    Buffer.from('GET / HTTP/1.1\r\n\r\n'),
    tooBig,
    negative,
    frame(unknownKey),
    frame(Buffer.alloc(2, 0xff)),
    truncated.subarray(0, truncated.length - 3),
  ]
  const victims = await Promise.all(inputs.map(() => RawClient.connect(b.port, b.host)))
  t.after(() => victims.forEach((v) => v.close()))
  await Promise.all(victims.map((v, i) => v.write(inputs[i]!)))
  await Promise.all(victims.map((v) => v.waitClosed()))

  assert.equal(b.proc.exitCode, null, `still running; stderr: ${b.stderr()}`)
  const c = await RawClient.connect(b.port, b.host)
  t.after(() => c.close())
  const r = await c.request(ApiKey.ApiVersions, 0, {})
  assert.equal(r.errorCode, ErrorCode.NONE)
  for (const v of victims) {
    await b.waitForStderr(v.localAddress)
    const lines = b.stderr().split('\n').filter((l) => l.includes(v.localAddress))
    assert.equal(lines.length, 1, `one log line for ${v.localAddress}: ${b.stderr()}`)
    assert.match(lines[0]!, /closing connection/)
  }
})
