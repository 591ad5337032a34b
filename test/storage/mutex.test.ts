import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Mutex } from '../../src/storage/mutex.js'

test('runNow starts a section at once while the mutex is free; run defers it to a later microtask', async () => {
  const m = new Mutex()
  let started = false
  const now = m.runNow(async () => {
    started = true
    return 7
  })
  assert.equal(started, true)
  assert.equal(await now, 7)
  started = false
  const later = m.run(async () => {
    started = true
  })
  assert.equal(started, false, 'the coordinators rely on the deferred start')
  await later
  assert.equal(started, true)
})

test('sections run one at a time, in call order, whichever way they are called, and a failure frees the mutex', async () => {
  const m = new Mutex()
  const log: string[] = []
  let open!: () => void
  const gate = new Promise<void>((r) => (open = r))
  const a = m.runNow(async () => {
    log.push('a start')
    await gate
    log.push('a end')
  })
  const b = m.run(async () => {
    log.push('b')
    throw new Error('b failed')
  })
  const c = m.runNow(() => {
    log.push('c')
    return Promise.resolve('c done')
  })
  // b and c wait for a, though a is suspended and c asked to start at once.
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(log, ['a start'])
  open()
  await a
  await assert.rejects(b, /b failed/)
  assert.equal(await c, 'c done')
  assert.deepEqual(log, ['a start', 'a end', 'b', 'c'])
  // Free again once everything has settled: the next runNow starts at once.
  await new Promise((r) => setImmediate(r))
  let now = false
  const d = m.runNow(async () => {
    now = true
  })
  assert.equal(now, true)
  await d
})

test('a section that throws synchronously rejects its promise and frees the mutex', async () => {
  const m = new Mutex()
  const bad = (() => {
    throw new Error('sync throw')
  }) as unknown as () => Promise<void>
  await assert.rejects(m.runNow(bad), /sync throw/)
  await assert.rejects(m.run(bad), /sync throw/)
  assert.equal(await m.runNow(async () => 1), 1)
})
