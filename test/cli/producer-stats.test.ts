/**
 * The producer perf test's figures on a fake clock: Kafka's line layouts and number formats,
 * windows printed from acknowledgements, percentiles from the histogram.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fixed, ProducerStats } from '../../src/cli/producer-stats.js'

function stats(opts: { steadyState?: boolean } = {}) {
  const lines: string[] = []
  const s = new ProducerStats({ startMs: 0, reportingIntervalMs: 5000, print: (l) => lines.push(l), ...opts })
  return { s, lines }
}

test("the summary line has Kafka's layout and formats", () => {
  const { s } = stats()
  // 1000 records of 1 KiB over 2 s, latencies 1..1000 ms.
  for (let i = 1; i <= 1000; i++) s.record(i, 1024, 1000)
  assert.equal(
    s.totalLine(2000),
    '1000 records sent, 500.000000 records/sec (0.49 MB/sec), 500.50 ms avg latency, 1000.00 ms max latency, 500 ms 50th, 950 ms 95th, 990 ms 99th, 999 ms 99.9th.',
  )
})

test('a window line prints when an acknowledgement arrives a full interval after the window opened', () => {
  const { s, lines } = stats()
  s.record(10, 100, 1000)
  s.record(30, 100, 4999)
  assert.deepEqual(lines, [])
  s.record(20, 1_048_476, 5000)
  assert.deepEqual(lines, ['3 records sent, 0.6 records/sec (0.20 MB/sec), 20.0 ms avg latency, 30.0 ms max latency.'])
  // The next window starts at the acknowledgement that closed the last one.
  s.record(5, 100, 9999)
  assert.equal(lines.length, 1)
  s.record(7, 100, 10_000)
  assert.equal(lines[1], '2 records sent, 0.4 records/sec (0.00 MB/sec), 6.0 ms avg latency, 7.0 ms max latency.')
  assert.equal(s.records, 5)
})

test('records acknowledged together count each', () => {
  const { s } = stats()
  s.record(4, 3200, 100, 32)
  s.record(2, 3200, 200, 32)
  assert.equal(s.records, 64)
  assert.match(s.totalLine(1000), /^64 records sent, 64\.000000 records\/sec \(0\.01 MB\/sec\), 3\.00 ms avg latency, 4\.00 ms max latency, 2 ms 50th, 4 ms 95th/)
})

test('steady-state figures say so, and announce the first steady window', () => {
  const { s, lines } = stats({ steadyState: true })
  s.record(1, 10, 6000)
  assert.deepEqual(lines, ['In steady state.', '1 records sent, 0.2 records/sec (0.00 MB/sec), 1.0 ms avg latency, 1.0 ms max latency.'])
  assert.match(s.totalLine(10_000), /^1 steady state records sent, /)
})

test('suppressed figures print no window lines', () => {
  const { s, lines } = stats()
  s.suppressed = true
  s.record(1, 10, 6000)
  assert.deepEqual(lines, [])
})

test('sub-millisecond latencies keep their decimals in the averages', () => {
  const { s } = stats()
  s.record(0.25, 1, 1)
  s.record(0.75, 1, 1)
  assert.match(s.totalLine(1000), /, 0\.50 ms avg latency, 0\.75 ms max latency, 0 ms 50th, 1 ms 95th/)
})

test("fixed() spells NaN and Infinity as Java's %f does", () => {
  assert.equal(fixed(0 / 0, 2), 'NaN')
  assert.equal(fixed(1 / 0, 4), 'Infinity')
  assert.equal(fixed(2.5, 1), '2.5')
  assert.equal(fixed(1234.56789, 6), '1234.567890')
})
