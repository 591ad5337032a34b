/** The Admin class itself: options, close, timeouts, aborts, unreachable and restarting brokers. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker } from '../../../src/index.js'
import { Admin } from '../../../src/client/admin/index.js'
import { ClientError, ConnectionError } from '../../../src/client/base/errors.js'
import { createLogger } from '../../../src/util/logger.js'
import { adminBroker } from './helpers.js'

async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

test('options: bad values are refused with the option named', () => {
  assert.throws(() => new Admin({ bootstrapServers: 'h:1', defaultApiTimeoutMs: 0 }), (e: unknown) => e instanceof ClientError && e.code === 'INVALID_OPTION' && /defaultApiTimeoutMs/.test(e.message))
  assert.throws(() => new Admin({} as never), /bootstrapServers is required/)
})

test('an unreachable broker: retried until the call timeout, then the address and a hint', async () => {
  const port = await freePort()
  // A fixed 50 ms backoff: the call gives up when the next wait would pass its 400 ms.
  const admin = new Admin({ bootstrapServers: `127.0.0.1:${port}`, defaultApiTimeoutMs: 400, retryBackoffMs: 50, retryBackoffMaxMs: 50 })
  try {
    const started = Date.now()
    await assert.rejects(admin.listTopics(), (e: unknown) => {
      assert.ok(e instanceof ConnectionError, String(e))
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`))
      assert.match(e.message, /ECONNREFUSED/)
      assert.match(e.message, /check bootstrapServers/)
      return true
    })
    const took = Date.now() - started
    assert.ok(took >= 300 && took < 2000, `took ${took} ms for a 400 ms budget`)
    // A call's own timeoutMs beats the default.
    const quick = Date.now()
    await assert.rejects(admin.describeCluster({ timeoutMs: 50 }), ConnectionError)
    assert.ok(Date.now() - quick < 400)
    await assert.rejects(admin.describeCluster({ timeoutMs: 0 }), (e: unknown) => e instanceof ClientError && e.code === 'INVALID_OPTION')
  } finally {
    await admin.close()
  }
})

test('an abort signal ends a call that is waiting to retry', async () => {
  const port = await freePort()
  const admin = new Admin({ bootstrapServers: `127.0.0.1:${port}`, retryBackoffMs: 200, retryBackoffMaxMs: 200 })
  try {
    const ac = new AbortController()
    const started = Date.now()
    setTimeout(() => ac.abort(new Error('user gave up')), 100)
    await assert.rejects(admin.describeTopics(['t'], { signal: ac.signal }), /user gave up/)
    assert.ok(Date.now() - started < 1000)
    await assert.rejects(admin.listTopics({ signal: AbortSignal.abort() }), (e: unknown) => (e as Error).name === 'AbortError')
  } finally {
    await admin.close()
  }
})

test('close(): later calls fail with CLIENT_CLOSED', async (t) => {
  const { admin } = await adminBroker(t)
  assert.deepEqual(await admin.listTopics(), [])
  await admin.close()
  await assert.rejects(admin.listTopics(), (e: unknown) => e instanceof ClientError && e.code === 'CLIENT_CLOSED' && /listTopics/.test(e.message))
  await assert.rejects(admin.createTopics([{ topic: 'x' }]), (e: unknown) => e instanceof ClientError && e.code === 'CLIENT_CLOSED')
  await admin.close()
})

test('a broker that restarts mid-call: the dropped connection is retried and the call succeeds', async () => {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'samsa-admin-'))
  const quiet = createLogger({ level: 'error', write: () => {} })
  let b = await startBroker({ port, logDirs: [dir], logger: quiet })
  const admin = new Admin({ bootstrapServers: `127.0.0.1:${port}`, retryBackoffMs: 50, retryBackoffMaxMs: 200 })
  try {
    await admin.createTopics([{ topic: 'survivor', numPartitions: 2 }])
    await b.close()
    // The call starts while nothing listens and finishes once the broker is back.
    const pending = admin.describeTopics(['survivor'], { timeoutMs: 20_000 })
    await new Promise((r) => setTimeout(r, 500))
    b = await startBroker({ port, logDirs: [dir], logger: quiet })
    const [d] = await pending
    assert.equal(d!.partitions.length, 2)
  } finally {
    await admin.close()
    await b.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
