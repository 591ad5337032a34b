import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FrameReader } from '../../src/protocol/frame-reader.js'

function frame(body: Buffer): Buffer {
  const b = Buffer.alloc(4 + body.length)
  b.writeInt32BE(body.length, 0)
  body.copy(b, 4)
  return b
}

test('frames cut at every byte boundary and pipelined come out whole, in order, with nothing left over', () => {
  const bodies = [Buffer.from('first frame'), Buffer.alloc(0), Buffer.from('x'.repeat(300)), Buffer.from('last')]
  const stream = Buffer.concat(bodies.map(frame))
  for (let cut = 1; cut < stream.length; cut += 7) {
    const r = new FrameReader(1 << 20)
    const got: string[] = []
    for (let pos = 0; pos < stream.length; pos += cut) {
      r.push(stream.subarray(pos, pos + cut))
      for (let f = r.next(); f; f = r.next()) got.push((f as { frame: Buffer }).frame.toString())
    }
    assert.deepEqual(got, bodies.map((b) => b.toString()), `chunks of ${cut}`)
    assert.equal(r.buffered, 0)
  }
})

test('a frame spread over chunks is copied alone: the pipelined bytes behind it stay where they were', () => {
  const r = new FrameReader(1 << 20)
  const a = frame(Buffer.alloc(100, 1))
  const b = frame(Buffer.alloc(5000, 2))
  const tail = Buffer.concat([a.subarray(60), b])
  r.push(a.subarray(0, 60))
  r.push(tail)
  const first = r.next() as { frame: Buffer }
  assert.equal(first.frame.length, 100)
  assert.ok(first.frame.every((x) => x === 1))
  const second = r.next() as { frame: Buffer }
  assert.equal(second.frame.buffer, tail.buffer, 'the next frame is a view of the chunk it arrived in, not a copy')
  assert.equal(second.frame.length, 5000)
  assert.equal(r.next(), undefined)
})

test('an invalid size is reported before the body arrives', () => {
  const r = new FrameReader(1000)
  const head = Buffer.alloc(4)
  head.writeInt32BE(5000, 0)
  r.push(head)
  assert.deepEqual(r.next(), { tooLarge: 5000 })
})

test('a large frame is read in place: the bytes already here move into its body, the rest is read into what is left of it', () => {
  const body = Buffer.alloc(100_000)
  for (let i = 0; i < body.length; i++) body[i] = i % 251
  const next = frame(Buffer.from('after'))
  const stream = Buffer.concat([frame(body), next])
  const r = new FrameReader(1 << 20)
  r.push(stream.subarray(0, 3))
  assert.equal(r.directTarget(1000), undefined, 'no size yet')
  r.push(stream.subarray(3, 5000))
  assert.equal(r.directTarget(200_000), undefined, 'misses fewer bytes than asked for')
  let target = r.directTarget(1000)!
  assert.ok(r.readingInPlace)
  assert.equal(target.length, 100_000 - 4996)
  assert.equal(r.buffered, 5000)
  assert.equal(r.nextSize(), 100_000)
  assert.throws(() => r.push(Buffer.alloc(1)), /in place/)
  let at = 5000
  for (const n of [1, 30_000, 60_000]) {
    stream.copy(target, 0, at, at + n)
    r.directWrote(n)
    at += n
    assert.equal(r.next(), undefined)
    target = r.directTarget(1000)!
  }
  const rest = 4 + body.length - at
  assert.equal(target.length, rest, 'the target ends where the frame does')
  stream.copy(target, 0, at, at + rest)
  assert.throws(() => r.directWrote(rest + 1), /do not fit/)
  r.directWrote(rest)
  const got = r.next() as { frame: Buffer }
  assert.ok(got.frame.equals(body))
  assert.equal(r.copiedBytes, 4996, 'only the part that arrived before the frame was read in place was copied')
  assert.equal(r.readingInPlace, false)
  r.push(next)
  assert.equal((r.next() as { frame: Buffer }).frame.toString(), 'after')
  assert.equal(r.buffered, 0)
})

test('a frame body arriving in chunks is copied once, and counted', () => {
  const body = Buffer.alloc(50_000, 7)
  const f = frame(body)
  const r = new FrameReader(1 << 20)
  for (let at = 0; at < f.length; at += 16_384) r.push(f.subarray(at, at + 16_384))
  assert.ok((r.next() as { frame: Buffer }).frame.equals(body))
  assert.equal(r.copiedBytes, 50_000)
})
