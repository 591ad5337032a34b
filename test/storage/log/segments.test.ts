import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Segment } from '../../../src/storage/log/segment.js'
import { Segments } from '../../../src/storage/log/segments.js'

const fake = (baseOffset: number, size = 10) => ({ baseOffset, size }) as unknown as Segment

test('floor, next and range by offset', () => {
  const s = new Segments()
  for (const b of [100, 0, 50, 200]) s.add(fake(b))
  assert.deepEqual(s.all().map((x) => x.baseOffset), [0, 50, 100, 200])
  assert.equal(s.floor(-1), undefined)
  assert.equal(s.floor(0)!.baseOffset, 0)
  assert.equal(s.floor(99)!.baseOffset, 50)
  assert.equal(s.floor(1e9)!.baseOffset, 200)
  assert.equal(s.next(s.floor(60)!)!.baseOffset, 100)
  assert.equal(s.next(s.last!), undefined)
  assert.deepEqual(s.range(60).map((x) => x.baseOffset), [50, 100, 200])
  assert.deepEqual(s.range(60, 200).map((x) => x.baseOffset), [50, 100])
  assert.deepEqual(s.range(-5, 10).map((x) => x.baseOffset), [0])
  assert.equal(s.sizeInBytes(), 40)
  assert.throws(() => s.add(fake(50)))
  assert.equal(s.remove(s.first!), true)
  assert.equal(s.first!.baseOffset, 50)
})

test('floor stays logarithmic for many segments', () => {
  const s = new Segments()
  for (let i = 0; i < 100_000; i++) s.add(fake(i * 1000))
  const t = performance.now()
  for (let i = 0; i < 100_000; i++) assert.equal(s.floor(i * 1000 + 5)!.baseOffset, i * 1000)
  assert.ok(performance.now() - t < 2000)
})
