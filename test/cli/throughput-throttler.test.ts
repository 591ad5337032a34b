/**
 * The throttler on a fake clock: when it says to wait, how long, and that a sender obeying it
 * never runs ahead of the target rate.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ThroughputThrottler } from '../../src/cli/throughput-throttler.js'

test('a negative target never throttles', () => {
  const t = new ThroughputThrottler(-1, 0)
  assert.equal(t.enabled, false)
  assert.equal(t.shouldThrottle(1_000_000, 1), false)
})

test('throttles only while the average rate is above the target', () => {
  const t = new ThroughputThrottler(100, 0)
  assert.equal(t.shouldThrottle(0, 0), false, 'no time has passed: nothing to judge')
  assert.equal(t.shouldThrottle(5, 100), false, '50/s')
  assert.equal(t.shouldThrottle(10, 100), false, 'exactly 100/s')
  assert.equal(t.shouldThrottle(11, 100), true, '110/s')
})

test('sleeps only once at least 2 ms are owed, then all of it', () => {
  const t = new ThroughputThrottler(2000, 0) // 0.5 ms per record
  assert.deepEqual([t.sleepMs(), t.sleepMs(), t.sleepMs()], [0, 0, 0])
  assert.equal(t.sleepMs(), 2)
  assert.equal(t.sleepMs(), 0, 'the debt starts again after a sleep')
  const slow = new ThroughputThrottler(10, 0)
  assert.equal(slow.sleepMs(), 100)
})

test('a sender that sleeps as told sends N records in about N / target seconds, at most 2 ms early', () => {
  for (const target of [7, 50, 1000, 25_000]) {
    let now = 0
    const t = new ThroughputThrottler(target, now)
    const n = 500
    let lastSend = 0
    for (let i = 0; i < n; i++) {
      lastSend = now
      now += 0.001 // sending takes 1 µs
      if (t.shouldThrottle(i, now)) now += t.sleepMs()
    }
    // Sleeps wait until 2 ms are owed, so the sender may run up to 2 ms ahead.
    assert.ok(lastSend >= ((n - 2) / target) * 1000 - 2, `${target}/s: the last record went at ${lastSend} ms`)
    // ...and not much later either: the throttler catches up after each sleep.
    assert.ok(lastSend <= ((n + 2) / target) * 1000 + 2, `${target}/s: the last record went at ${lastSend} ms`)
  }
})
