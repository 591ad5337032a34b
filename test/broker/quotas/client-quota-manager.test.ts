/** Sampled rates and throttle times, with a manual clock. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualTime } from '../../../src/util/time.js'
import { ClientQuotaManager } from '../../../src/broker/quotas/client-quota-manager.js'
import { SampledRate } from '../../../src/broker/quotas/rate.js'
import { entityKey, type QuotaEntity } from '../../../src/broker/quotas/entity.js'
import type { QuotaTable } from '../../../src/broker/quotas/resolve.js'

function manager(rows: Array<[QuotaEntity, Record<string, number>]>, time: ManualTime) {
  let t: QuotaTable = new Map(rows.map(([entity, values]) => [entityKey(entity), { entity, values }]))
  const m = new ClientQuotaManager({ table: () => t, time, samples: 11, windowMs: 1000 })
  return { m, set: (rows2: Array<[QuotaEntity, Record<string, number>]>) => (t = new Map(rows2.map(([entity, values]) => [entityKey(entity), { entity, values }]))) }
}

test('a rate is taken over at least samples-1 windows, and forgets samples older than all windows', () => {
  const time = new ManualTime(0)
  const r = new SampledRate({ samples: 11, windowMs: 1000 }, time.now())
  r.record(10_000, time.now())
  // 10 000 bytes at once: divided by 10 s, not by 0 ms.
  assert.equal(r.measure(time.now()), 1000)
  time.advance(20_000)
  assert.equal(r.measure(time.now()), 0)
})

test('throttle time is the excess over the bound times the window (Kafka\'s QuotaUtils.throttleTime)', () => {
  const time = new ManualTime(0)
  const { m } = manager([[{ 'client-id': 'p' }, { producer_byte_rate: 1000 }]], time)
  // 20 000 bytes over a 10 s window is 2000 B/s: twice the bound, so wait as long again (10 s).
  assert.equal(m.record('producer_byte_rate', 'ANONYMOUS', 'p', 20_000), 10_000)
  time.advance(11_000)
  assert.equal(m.record('producer_byte_rate', 'ANONYMOUS', 'p', 1), 0)
})

test('a producer that waits out each throttle is held at the bound', () => {
  const time = new ManualTime(0)
  const { m } = manager([[{ 'client-id': 'p' }, { producer_byte_rate: 100_000 }]], time)
  let sent = 0
  let throttled = 0
  // As fast as allowed for 60 s: 64 KiB requests, 5 ms apart, plus whatever throttle comes back.
  while (time.now() < 60_000) {
    sent += 65_536
    const ms = m.record('producer_byte_rate', 'ANONYMOUS', 'p', 65_536)
    if (ms > 0) throttled++
    time.advance(5 + ms)
  }
  const rate = sent / 60
  assert.ok(rate > 80_000 && rate < 120_000, `held at ${rate} B/s`)
  assert.ok(throttled > 10)
})

test('within the bound nothing is throttled; another client id is not charged', () => {
  const time = new ManualTime(0)
  const { m } = manager([[{ 'client-id': null }, { producer_byte_rate: 1000 }]], time)
  assert.equal(m.record('producer_byte_rate', 'ANONYMOUS', 'a', 9_000), 0)
  assert.ok(m.record('producer_byte_rate', 'ANONYMOUS', 'a', 5_000) > 0)
  // The default client-id quota gives each client its own rate.
  assert.equal(m.record('producer_byte_rate', 'ANONYMOUS', 'b', 9_000), 0)
})

test('a user quota is shared by all the user\'s clients', () => {
  const time = new ManualTime(0)
  const { m } = manager([[{ user: 'alice' }, { producer_byte_rate: 1000 }]], time)
  assert.equal(m.record('producer_byte_rate', 'alice', 'a', 9_000), 0)
  assert.ok(m.record('producer_byte_rate', 'alice', 'b', 5_000) > 0)
  assert.equal(m.record('producer_byte_rate', 'bob', 'b', 50_000), 0)
})

test('the throttle is capped at the whole window; unrecord takes bytes back; a lifted quota throttles no more', () => {
  const time = new ManualTime(0)
  const { m, set } = manager([[{ 'client-id': 'c' }, { consumer_byte_rate: 10 }]], time)
  assert.equal(m.record('consumer_byte_rate', 'u', 'c', 1_000_000), 11_000)
  m.unrecord('consumer_byte_rate', 'u', 'c', 1_000_000)
  assert.equal(m.record('consumer_byte_rate', 'u', 'c', 50), 0)
  m.record('consumer_byte_rate', 'u', 'c', 1_000_000)
  set([])
  assert.equal(m.record('consumer_byte_rate', 'u', 'c', 1_000_000), 0)
})
