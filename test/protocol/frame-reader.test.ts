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
