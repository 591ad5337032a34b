/** Incremental fetch sessions (KIP-227): the session cache, epochs, eviction and expiry. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FINAL_EPOCH, FetchSessionCache, INITIAL_EPOCH, nextEpoch, partitionKey } from '../../src/broker/fetch-session.js'
import { ErrorCode, KafkaError } from '../../src/protocol/errors.js'

const INT32_MAX = 0x7fffffff

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000): { now: () => number; set: (t: number) => void; advance: (ms: number) => void } {
  let t = start
  return { now: () => t, set: (v) => (t = v), advance: (ms) => (t += ms) }
}

function kafkaError(name: 'FETCH_SESSION_ID_NOT_FOUND' | 'INVALID_FETCH_SESSION_EPOCH'): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof KafkaError, `expected KafkaError, got ${String(e)}`)
    assert.equal(e.errorName, name)
    assert.equal(e.code, ErrorCode[name])
    return true
  }
}

test('the epoch markers and nextEpoch follow Kafka: +1, INT32_MAX wraps to 1, the final epoch stays final', () => {
  assert.equal(INITIAL_EPOCH, 0)
  assert.equal(FINAL_EPOCH, -1)
  assert.equal(nextEpoch(0), 1)
  assert.equal(nextEpoch(1), 2)
  assert.equal(nextEpoch(12345), 12346)
  assert.equal(nextEpoch(INT32_MAX - 1), INT32_MAX)
  assert.equal(nextEpoch(INT32_MAX), 1, 'wraps past 0 and -1, which are markers')
  assert.equal(nextEpoch(FINAL_EPOCH), FINAL_EPOCH)
  assert.equal(partitionKey('AAAAAAAAAAAAAAAAAAAAAQ', 3), 'AAAAAAAAAAAAAAAAAAAAAQ:3')
  assert.notEqual(partitionKey('a', 12), partitionKey('a1', 2))
})

test('create() gives a new session with a positive int32 id, epoch 1 and the current time', () => {
  const clock = fakeClock(5000)
  const cache = new FetchSessionCache({ now: clock.now })
  assert.equal(cache.size, 0)
  const s = cache.create()!
  assert.ok(s)
  assert.ok(Number.isInteger(s.id) && s.id >= 1 && s.id <= INT32_MAX - 1, `id ${s.id}`)
  assert.equal(s.epoch, 1)
  assert.equal(s.lastUsed, 5000)
  assert.equal(s.partitions.size, 0)
  assert.equal(cache.size, 1)
  // Ids are unique among live sessions.
  const ids = new Set([s.id])
  for (let i = 0; i < 300; i++) ids.add(cache.create()!.id)
  assert.equal(ids.size, 301)
  assert.equal(cache.size, 301)
})

test('resume() returns the session and advances the expected epoch; the wrong epoch is INVALID_FETCH_SESSION_EPOCH', () => {
  const clock = fakeClock()
  const cache = new FetchSessionCache({ now: clock.now })
  const s = cache.create()!
  s.partitions.set(partitionKey('t', 0), { topic: 't', topicId: 'x', partition: 0, fetchOffset: 5, maxBytes: 100, sentHighWatermark: 5, sentLogStartOffset: 0, sentLastStableOffset: 5 })
  clock.advance(10)
  const r1 = cache.resume(s.id, 1)
  assert.equal(r1, s)
  assert.equal(r1.epoch, 2)
  assert.equal(r1.lastUsed, clock.now())
  assert.equal(r1.partitions.get('t:0')?.fetchOffset, 5, 'state is kept between requests')
  assert.equal(cache.resume(s.id, 2).epoch, 3)

  // A replayed or skipped epoch is refused and changes nothing.
  const lastUsed = s.lastUsed
  clock.advance(10)
  for (const bad of [2, 1, 4, 100, INITIAL_EPOCH, FINAL_EPOCH]) {
    assert.throws(() => cache.resume(s.id, bad), kafkaError('INVALID_FETCH_SESSION_EPOCH'), `epoch ${bad}`)
  }
  assert.equal(s.epoch, 3)
  assert.equal(s.lastUsed, lastUsed)
  assert.equal(cache.size, 1, 'a wrong epoch does not drop the session')
  assert.equal(cache.resume(s.id, 3).epoch, 4)
})

test('unknown and removed sessions are FETCH_SESSION_ID_NOT_FOUND', () => {
  const cache = new FetchSessionCache({ now: fakeClock().now })
  assert.throws(() => cache.resume(42, 1), kafkaError('FETCH_SESSION_ID_NOT_FOUND'))
  const a = cache.create()!
  const b = cache.create()!
  assert.equal(cache.remove(a.id), true)
  assert.equal(cache.remove(a.id), false)
  assert.equal(cache.size, 1)
  assert.throws(() => cache.resume(a.id, 1), kafkaError('FETCH_SESSION_ID_NOT_FOUND'))
  assert.equal(cache.resume(b.id, 1), b, 'other sessions are untouched')
  assert.equal(cache.remove(12345), false)
})

test('the epoch wraps from INT32_MAX to 1 on resume', () => {
  const cache = new FetchSessionCache({ now: fakeClock().now })
  const s = cache.create()!
  s.epoch = INT32_MAX - 1
  assert.equal(cache.resume(s.id, INT32_MAX - 1).epoch, INT32_MAX)
  assert.equal(cache.resume(s.id, INT32_MAX).epoch, 1)
  assert.equal(cache.resume(s.id, 1).epoch, 2)
})

test('a full cache evicts the least recently used session (resume counts as use)', () => {
  const clock = fakeClock()
  const cache = new FetchSessionCache({ maxSessions: 3, now: clock.now })
  const a = cache.create()!
  clock.advance(1)
  const b = cache.create()!
  clock.advance(1)
  const c = cache.create()!
  clock.advance(1)
  cache.resume(a.id, 1) // a is now the most recent; b the least
  clock.advance(1)
  const d = cache.create()!
  assert.ok(d)
  assert.equal(cache.size, 3)
  assert.throws(() => cache.resume(b.id, 1), kafkaError('FETCH_SESSION_ID_NOT_FOUND'))
  assert.equal(cache.resume(a.id, 2), a)
  assert.equal(cache.resume(c.id, 1), c)
  assert.equal(cache.resume(d.id, 1), d)
  // Now d is the most recent and a the least: the next create evicts a.
  clock.advance(1)
  cache.resume(c.id, 2)
  cache.resume(d.id, 2)
  cache.create()
  assert.throws(() => cache.resume(a.id, 3), kafkaError('FETCH_SESSION_ID_NOT_FOUND'))
  assert.equal(cache.size, 3)
})

test('maxSessions 0 disables sessions; the default holds 1000', () => {
  const none = new FetchSessionCache({ maxSessions: 0, now: fakeClock().now })
  assert.equal(none.create(), undefined)
  assert.equal(none.size, 0)

  const clock = fakeClock()
  const cache = new FetchSessionCache({ now: clock.now })
  const first = cache.create()!
  for (let i = 0; i < 999; i++) cache.create()
  assert.equal(cache.size, 1000)
  assert.equal(cache.resume(first.id, 1), first)
  const second = cache.create()!
  assert.ok(second)
  assert.equal(cache.size, 1000)
  assert.equal(cache.resume(first.id, 2), first, 'the resumed session survived; an older one went')
})

test('sessions idle for idleMs expire, on create and on resume; use keeps them alive', () => {
  const clock = fakeClock(0)
  const cache = new FetchSessionCache({ idleMs: 1000, now: clock.now })
  const a = cache.create()!
  clock.set(100)
  const b = cache.create()!
  clock.set(999)
  assert.equal(cache.resume(a.id, 1), a, 'idle for 999 ms: still there')
  assert.equal(a.lastUsed, 999)
  clock.set(1099)
  assert.equal(cache.size, 2)
  assert.equal(cache.resume(a.id, 2), a) // b has been idle 999 ms
  clock.set(1100)
  // b has now been idle exactly idleMs: gone (even though a, created before it, lives on).
  assert.throws(() => cache.resume(b.id, 1), kafkaError('FETCH_SESSION_ID_NOT_FOUND'))
  assert.equal(cache.size, 1)
  assert.equal(cache.resume(a.id, 3), a)

  // Expiry also runs on create: the new session does not count the idle ones.
  clock.set(1100 + 5000)
  const c = cache.create()!
  assert.equal(cache.size, 1)
  assert.throws(() => cache.resume(a.id, 4), kafkaError('FETCH_SESSION_ID_NOT_FOUND'))
  assert.equal(cache.resume(c.id, 1), c)
})

test('a full cache drops idle sessions before evicting one in use', () => {
  const clock = fakeClock(0)
  const cache = new FetchSessionCache({ maxSessions: 2, idleMs: 1000, now: clock.now })
  const a = cache.create()!
  clock.set(900)
  const b = cache.create()!
  clock.set(1000) // a idle for 1000 ms, b for 100 ms
  const c = cache.create()!
  assert.equal(cache.size, 2)
  assert.throws(() => cache.resume(a.id, 1), kafkaError('FETCH_SESSION_ID_NOT_FOUND'))
  assert.equal(cache.resume(b.id, 1), b)
  assert.equal(cache.resume(c.id, 1), c)
})

test('the default idle time is two minutes', () => {
  const clock = fakeClock(0)
  const cache = new FetchSessionCache({ now: clock.now })
  const a = cache.create()!
  clock.set(119_999)
  assert.equal(cache.resume(a.id, 1), a)
  clock.set(119_999 + 120_000)
  assert.throws(() => cache.resume(a.id, 2), kafkaError('FETCH_SESSION_ID_NOT_FOUND'))
})
