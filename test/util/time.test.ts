/** ManualTime: timers fire in due order, only when the test moves the clock. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualTime, systemTime } from '../../src/util/time.js'

test('advance fires due timers in due order (ties in the order set), each at its own moment', () => {
  const time = new ManualTime(1000)
  const fired: Array<[string, number]> = []
  const at = (name: string) => () => void fired.push([name, time.now()])
  time.setTimeout(at('c'), 30)
  time.setTimeout(at('a'), 10)
  time.setTimeout(at('b1'), 20)
  time.setTimeout(at('b2'), 20)
  const cancelled = time.setTimeout(at('never'), 15)
  time.clearTimeout(cancelled)
  time.advance(19)
  assert.deepEqual(fired, [['a', 1010]])
  time.advance(11)
  assert.deepEqual(fired, [['a', 1010], ['b1', 1020], ['b2', 1020], ['c', 1030]])
  assert.equal(time.now(), 1030)
  assert.equal(time.pending, 0)
})

test('a timer set by a firing timer fires in the same advance when it falls due within it', () => {
  const time = new ManualTime(0)
  const ticks: number[] = []
  const tick = () => {
    ticks.push(time.now())
    time.setTimeout(tick, 100)
  }
  time.setTimeout(tick, 100)
  time.advance(350)
  assert.deepEqual(ticks, [100, 200, 300])
  assert.equal(time.now(), 350)
  assert.equal(time.pending, 1)
  assert.throws(() => time.advance(-1), RangeError)
})

test('advanceAsync lets a task re-armed at the end of its async run fire again', async () => {
  const time = new ManualTime(0)
  const runs: number[] = []
  const arm = () =>
    time.setTimeout(() => {
      void Promise.resolve().then(() => {
        runs.push(time.now())
        arm()
      })
    }, 10)
  arm()
  time.advance(30)
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(runs, [30], 'sync advance: the async run and its re-arm come after the clock moved on')
  await time.advanceAsync(30)
  assert.deepEqual(runs, [30, 40, 50, 60], 'advanceAsync: each run ends before the clock moves on')
})

test('systemTime timers are unref\'d and cancellable', async () => {
  let fired = false
  const t = systemTime.setTimeout(() => (fired = true), 5)
  systemTime.clearTimeout(t)
  await new Promise((r) => setTimeout(r, 20))
  assert.equal(fired, false)
  assert.ok(Math.abs(systemTime.now() - Date.now()) < 1000)
})
