import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BufferPool, sizeClass } from '../../src/broker/buffer-pool.js'

test('size classes round up to an eighth of the next power of two, at least 4 KiB', () => {
  assert.equal(sizeClass(1), 4096)
  assert.equal(sizeClass(4096), 4096)
  assert.equal(sizeClass(20_000), 20_480)
  assert.equal(sizeClass(1_000_050), 1_048_576)
  assert.equal(sizeClass(600_000), 655_360)
  for (const n of [5000, 70_000, 1_000_000, 3_000_000]) {
    const c = sizeClass(n)
    assert.ok(c >= n && c <= n * 1.25 + 4096, `${n} -> ${c}`)
    assert.equal(sizeClass(c), c, 'a class is its own class')
  }
})

test('a body given back is handed out again for a request of a similar size; each only once', () => {
  const pool = new BufferPool(1 << 20)
  const a = pool.take(100_000)
  assert.equal(a.length, 100_000)
  pool.give(a)
  pool.give(a)
  assert.equal(pool.idleBytes, sizeClass(100_000), 'given back once, however often give() is called')
  const b = pool.take(99_000)
  assert.equal(b.buffer, a.buffer)
  assert.equal(b.length, 99_000)
  const c = pool.take(99_000)
  assert.notEqual(c.buffer, a.buffer, 'a lent buffer is not lent twice')
  assert.deepEqual({ allocated: pool.allocated, reused: pool.reused }, { allocated: 2, reused: 1 })
})

test('buffers it did not lend are ignored, and idle buffers stay within the bound', () => {
  const pool = new BufferPool(300_000)
  pool.give(Buffer.allocUnsafeSlow(131_072))
  assert.equal(pool.idleBytes, 0)
  const bodies = [pool.take(131_072), pool.take(131_072), pool.take(131_072)]
  for (const b of bodies) pool.give(b)
  assert.equal(pool.idleBytes, 262_144, 'the third did not fit the bound')
})

test('past the bound, idle buffers of other sizes make room for the one given back', () => {
  const pool = new BufferPool(4 << 20)
  const small = [pool.take(1 << 20), pool.take(1 << 20), pool.take(1 << 20), pool.take(1 << 20)]
  for (const b of small) pool.give(b)
  assert.equal(pool.idleBytes, 4 << 20)
  const big = pool.take(3 << 20)
  pool.give(big)
  assert.equal(pool.idleBytes, (3 << 20) + (1 << 20), 'three 1 MiB buffers went, the 3 MiB one stayed')
  assert.equal(pool.take(3 << 20).buffer, big.buffer)
})
