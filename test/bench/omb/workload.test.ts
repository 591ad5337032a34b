/** The OpenMessaging-style benchmark's workload parser: the shipped files parse, mistakes are named. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { loadWorkload } from '../../../bench/omb/run.js'
import { parseWorkload, WorkloadError } from '../../../bench/omb/workload.js'

const WORKLOADS = fileURLToPath(new URL('../../../../bench/omb/workloads/', import.meta.url))
const base = { topics: 1, partitionsPerTopic: 6, messageSize: 1024, producersPerTopic: 1, consumerPerSubscription: 1, producerRate: 5000, testDurationSeconds: 10 }

test('every shipped workload parses, and the ones the issue names are there', () => {
  const names = readdirSync(WORKLOADS).filter((f) => f.endsWith('.json'))
  for (const want of ['max-rate-1-topic-1-partition-1p-1c-100b', 'max-rate-1-topic-1-partition-1p-1c-1kb', 'max-rate-1-topic-10-partitions-10p-10c-100b', 'max-rate-1-topic-10-partitions-10p-10c-1kb']) {
    assert.ok(names.includes(`${want}.json`), want)
  }
  assert.ok(names.filter((n) => n.startsWith('1-topic-100-partitions-1kb-4p-4c-')).length >= 3, 'a ladder of fixed rates')
  for (const n of names) {
    const w = loadWorkload(`${WORKLOADS}${n}`)
    assert.equal(w.name, n.replace(/\.json$/, ''))
    if (n.startsWith('max-rate')) assert.equal(w.producerRate, 0)
  }
})

test('defaults and durations: minutes win over seconds, warm-up defaults to none', () => {
  const w = parseWorkload({ ...base, warmupDurationMinutes: 1, warmupDurationSeconds: 5 }, 'x.json')
  assert.equal(w.warmupMs, 60_000)
  assert.equal(w.testMs, 10_000)
  assert.equal(w.name, 'x')
  assert.equal(w.keyDistributor, 'NO_KEY')
  assert.equal(parseWorkload({ ...base, keyDistributor: 'ROUND_ROBIN' }, 'y').keyDistributor, 'KEY_ROUND_ROBIN')
  assert.equal(parseWorkload({ ...base, keyDistributor: 'RANDOM_NANO' }, 'y').keyDistributor, 'RANDOM_NANO')
  assert.equal(w.subscriptionsPerTopic, 1)
  assert.equal(parseWorkload(base, 'y').warmupMs, 0)
  assert.equal(parseWorkload({ ...base, consumerBacklogSizeGB: 0.5 }, 'y').consumerBacklogBytes, 500_000_000)
})

test('mistakes are refused with the field and what is wrong', () => {
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...base, partitionsPerTopc: 3 }, /unknown field "partitionsPerTopc"/],
    [{ ...base, messageSize: 8 }, /"messageSize" must be an integer from 16/],
    [{ ...base, topics: 1.5 }, /"topics" must be an integer/],
    [{ ...base, producerRate: -1 }, /"producerRate"/],
    [{ ...base, keyDistributor: 'ROUND_ROBIN_KEY' }, /"keyDistributor" must be one of NO_KEY, KEY_ROUND_ROBIN, RANDOM_NANO \(or ROUND_ROBIN\)/],
    [{ ...base, testDurationSeconds: undefined }, /"testDurationMinutes" or "testDurationSeconds" is required/],
    [{ ...base, testDurationSeconds: 0 }, /test duration must be positive/],
    [{ ...base, consumerPerSubscription: 1_000_000 }, /"consumerPerSubscription" must be an integer from 1 to 1000/],
  ]
  for (const [doc, message] of bad) assert.throws(() => parseWorkload(doc, 'w.json'), (e: Error) => e instanceof WorkloadError && message.test(e.message) && e.message.startsWith('w.json: '))
  assert.throws(() => parseWorkload([], 'w.json'), /a workload is a JSON object/)
})
