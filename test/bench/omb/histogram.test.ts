/** The benchmark's latency buckets: 0.1% resolution, and the Python driver's buckets are the same. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Buckets, bucketOf, LatencyHistogram } from '../../../bench/omb/histogram.js'

const DRIVER = fileURLToPath(new URL('../../../../bench/omb/drivers/librdkafka_driver.py', import.meta.url))

const samples = (() => {
  const out = [0, 1, 2, 2047, 2048, 2049, 4095, 4096, 4097, 1_000_000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 12345, 3_600_000_000]
  let x = 7
  for (let i = 0; i < 2000; i++) out.push(Math.floor(((x = (x * 48271) % 2147483647) / 2147483647) * 10 ** (1 + (i % 9))))
  return out
})()

test('a bucket is at most the value and within 0.1% of it, and buckets never decrease', () => {
  for (const v of samples) {
    const b = bucketOf(v)
    assert.ok(b <= v && v - b <= Math.max(0, v * 0.001), `${v} -> ${b}`)
  }
  const sorted = [...samples].sort((a, b) => a - b)
  for (let i = 1; i < sorted.length; i++) assert.ok(bucketOf(sorted[i]!) >= bucketOf(sorted[i - 1]!))
  assert.equal(bucketOf(-5), 0)
  assert.equal(bucketOf(2047.9), 2047)
})

test('the librdkafka driver buckets exactly as the Node side does', (t) => {
  const script = `import importlib.util, json, sys\nspec = importlib.util.spec_from_file_location('d', sys.argv[1])\nm = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(m)\nprint(json.dumps([m.bucket_of(v) for v in json.load(sys.stdin)]))`
  const r = spawnSync('/usr/bin/python3', ['-c', script, DRIVER], { input: JSON.stringify(samples), encoding: 'utf8' })
  if (r.status !== 0 && /confluent_kafka/.test(r.stderr)) return t.skip('python3-confluent-kafka is not installed (bash .ci/run installs it)')
  assert.equal(r.status, 0, r.stderr)
  assert.deepEqual(JSON.parse(r.stdout), samples.map(bucketOf))
})

test('Buckets counts every value in the bucket bucketOf gives it', () => {
  const b = new Buckets()
  const want: Record<string, number> = {}
  for (const v of [...samples, -5, 0.4, 2047.9, 4096.5]) {
    b.record(v)
    want[bucketOf(v)] = (want[bucketOf(v)] ?? 0) + 1
  }
  assert.deepEqual(b.take(), want)
  assert.deepEqual(b.take(), {})
})

test('percentiles from buckets sent as JSON', () => {
  const b = new Buckets()
  for (let us = 1; us <= 10_000; us++) b.record(us * 100)
  const h = new LatencyHistogram()
  h.add(JSON.parse(JSON.stringify(b.take())) as Record<string, number>)
  assert.deepEqual(b.take(), {}, 'take starts afresh')
  assert.equal(h.count, 10_000)
  const s = h.summary()
  // 1 ms ... 1000 ms uniformly: p50 is 500 ms, p99 990 ms, within the buckets' and HDR's 0.1% each.
  assert.ok(Math.abs(s.percentiles['p50']! - 500) <= 1.5, String(s.percentiles['p50']))
  assert.ok(Math.abs(s.percentiles['p99']! - 990) <= 2.5, String(s.percentiles['p99']))
  assert.ok(Math.abs(s.max - 1000) <= 1.5, String(s.max))
  // Garbage in a stats line is ignored, not recorded.
  h.add({ abc: 3, '5': -1, '7': 1.5 })
  assert.equal(h.count, 10_000)
  assert.ok(Number.isNaN(new LatencyHistogram().percentile(50)))
})
