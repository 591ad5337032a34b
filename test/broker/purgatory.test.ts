/** LogWatch: what wakes a delayed fetch, against real partition logs. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LogWatch } from '../../src/broker/purgatory.js'
import { LogManager, silentLogger, type UnifiedLog } from '../../src/storage/index.js'
import { createBatch, encodeBatchSync } from '../../src/protocol/records/batch.js'

/** Opens a log manager on a temp dir and creates `n` partitions of topic "w". */
async function logs(t: TestContext, n: number): Promise<UnifiedLog[]> {
  const dir = await mkdtemp(join(process.env['SAMSA_TEST_TMP'] ?? tmpdir(), 'samsa-purgatory-'))
  const lm = await LogManager.open({ logDirs: [dir], clusterId: 'c', nodeId: 0, logger: silentLogger, schedule: false })
  t.after(async () => {
    await lm.close()
    await rm(dir, { recursive: true, force: true })
  })
  const out: UnifiedLog[] = []
  for (let p = 0; p < n; p++) out.push(await lm.getOrCreateLog({ topic: 'w', partition: p }))
  return out
}

async function append(log: UnifiedLog, values: string[] = ['v']): Promise<void> {
  const records = values.map((v, i) => ({ timestampDelta: 0, offsetDelta: i, key: null, value: Buffer.from(v), headers: [] }))
  await log.appendAsLeader(encodeBatchSync(createBatch({ baseTimestamp: BigInt(Date.now()), records })), { leaderEpoch: 0 })
}

/** Resolves to 'pending' if `p` has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))])
}

const never = new AbortController().signal

test('wakes when the high watermark moves, not on a bare append', async (t) => {
  const [log] = await logs(t, 1)
  const watch = new LogWatch([log!])
  t.after(() => watch.close())
  const started = Date.now()
  const woken = watch.wait(10_000, never)
  await append(log!, ['a', 'b'])
  assert.equal(log!.logEndOffset, 2)
  assert.equal(await within(woken, 50), 'pending', 'an append alone does not satisfy a consumer (it reads up to the high watermark)')
  log!.updateHighWatermark(log!.logEndOffset)
  assert.equal(await within(woken, 1000), true)
  assert.ok(Date.now() - started < 5000)
})

test('an unchanged high watermark does not wake', async (t) => {
  const [log] = await logs(t, 1)
  await append(log!)
  log!.updateHighWatermark(1)
  const watch = new LogWatch([log!])
  t.after(() => watch.close())
  const woken = watch.wait(10_000, never)
  log!.updateHighWatermark(1) // same value: no event
  assert.equal(await within(woken, 50), 'pending')
  log!.updateHighWatermark(0) // moved (down): an event
  assert.equal(await within(woken, 1000), true)
})

test('a change before wait() is not missed, and is reported once', async (t) => {
  const [log] = await logs(t, 1)
  const watch = new LogWatch([log!])
  t.after(() => watch.close())
  await append(log!)
  // The high watermark moves between the fetch's read and its wait.
  log!.updateHighWatermark(1)
  const started = Date.now()
  assert.equal(await watch.wait(10_000, never), true)
  assert.ok(Date.now() - started < 1000, 'returned at once')
  // Consumed: the next wait has nothing new and times out.
  assert.equal(await watch.wait(30, never), false)
  // Several changes before a wait count as one.
  await append(log!)
  log!.updateHighWatermark(2)
  await append(log!)
  log!.updateHighWatermark(3)
  assert.equal(await watch.wait(10_000, never), true)
  assert.equal(await watch.wait(20, never), false)
})

test('times out with false after about ms', async (t) => {
  const [log] = await logs(t, 1)
  const watch = new LogWatch([log!])
  t.after(() => watch.close())
  const started = Date.now()
  assert.equal(await watch.wait(80, never), false)
  const took = Date.now() - started
  assert.ok(took >= 70, `waited ${took} ms`)
  assert.ok(took < 2000, `waited ${took} ms`)
  // ms <= 0 answers at once.
  assert.equal(await within(watch.wait(0, never), 20), false)
  assert.equal(await within(watch.wait(-5, never), 20), false)
  // A change after a timeout is still seen by the next wait.
  await append(log!)
  log!.updateHighWatermark(1)
  assert.equal(await within(watch.wait(10_000, never), 100), true)
})

test('an abort ends the wait promptly with false; an aborted signal answers at once', async (t) => {
  const [log] = await logs(t, 1)
  const watch = new LogWatch([log!])
  t.after(() => watch.close())
  const ac = new AbortController()
  const started = Date.now()
  const woken = watch.wait(10_000, ac.signal)
  setTimeout(() => ac.abort(), 20)
  assert.equal(await within(woken, 2000), false)
  assert.ok(Date.now() - started < 2000)
  assert.equal(await within(watch.wait(10_000, ac.signal), 20), false, 'already aborted')
  // A change that arrived is still reported to an aborted wait (it is seen first).
  log!.updateHighWatermark(0)
  await append(log!)
  log!.updateHighWatermark(1)
  assert.equal(await watch.wait(10_000, ac.signal), true)
  // The watch still works with a fresh signal after an abort.
  const ac2 = new AbortController()
  const next = watch.wait(10_000, ac2.signal)
  await append(log!)
  log!.updateHighWatermark(2)
  assert.equal(await within(next, 1000), true)
})

test('truncation and log start offset moves wake too', async (t) => {
  const [log] = await logs(t, 1)
  await append(log!, ['a', 'b', 'c'])
  log!.updateHighWatermark(3)
  const watch = new LogWatch([log!])
  t.after(() => watch.close())

  let woken = watch.wait(10_000, never)
  await log!.deleteRecordsBefore(1)
  assert.equal(await within(woken, 1000), true, 'log start offset')

  woken = watch.wait(10_000, never)
  await log!.truncateTo(2)
  assert.equal(await within(woken, 1000), true, 'truncation')

  woken = watch.wait(10_000, never)
  await log!.truncateFullyAndStartAt(10)
  assert.equal(await within(woken, 1000), true, 'restart at an offset')
})

test('any watched partition wakes it; unwatched ones do not; a log listed twice is watched once', async (t) => {
  const [a, b, c] = await logs(t, 3)
  const watch = new LogWatch([a!, b!, b!])
  t.after(() => watch.close())
  let woken = watch.wait(10_000, never)
  await append(c!)
  c!.updateHighWatermark(1)
  assert.equal(await within(woken, 50), 'pending', 'partition c is not watched')
  await append(b!)
  b!.updateHighWatermark(1)
  assert.equal(await within(woken, 1000), true)
  woken = watch.wait(10_000, never)
  await append(a!)
  a!.updateHighWatermark(1)
  assert.equal(await within(woken, 1000), true)
  watch.close()
  // close() took every subscription away, including the duplicate's.
  await append(b!)
  b!.updateHighWatermark(2)
  assert.equal(await watch.wait(20, never), false)
})

test('close() wakes a pending wait with false and stops listening', async (t) => {
  const [log] = await logs(t, 1)
  const watch = new LogWatch([log!])
  const woken = watch.wait(10_000, never)
  watch.close()
  assert.equal(await within(woken, 1000), false)
  await append(log!)
  log!.updateHighWatermark(1)
  assert.equal(await watch.wait(20, never), false, 'no longer subscribed')
})

test('an empty watch just waits for the timeout or the abort', async () => {
  const watch = new LogWatch([])
  assert.equal(await watch.wait(20, never), false)
  const ac = new AbortController()
  const woken = watch.wait(10_000, ac.signal)
  ac.abort()
  assert.equal(await within(woken, 1000), false)
  watch.close()
})
