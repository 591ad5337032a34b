import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FrameReceiver, type FrameSink } from '../../../src/client/base/frame-receiver.js'

/** A byte stream of size-prefixed frames. */
function stream(bodies: Buffer[]): Buffer {
  return Buffer.concat(
    bodies.flatMap((b) => {
      const size = Buffer.alloc(4)
      size.writeInt32BE(b.length)
      return [size, b]
    }),
  )
}

/** Plays libuv: each read fills at most min(buffer offered, next read size) bytes. Returns the reads made. */
function feed(r: FrameReceiver, bytes: Buffer, readSizes: () => number): number {
  let reads = 0
  for (let at = 0; at < bytes.length; ) {
    const into = r.nextBuffer()
    assert.ok(into.length > 0, 'nextBuffer must never offer an empty buffer')
    const n = Math.min(into.length, readSizes(), bytes.length - at)
    bytes.copy(into, 0, at, at + n)
    at += n
    reads++
    assert.equal(r.onRead(n), true)
  }
  return reads
}

function collector(): FrameSink & { frames: Buffer[]; bad: number[] } {
  const frames: Buffer[] = []
  const bad: number[] = []
  return { frames, bad, onFrame: (f) => void frames.push(f), onBadSize: (s) => void bad.push(s), stopped: () => bad.length > 0 }
}

/** A small deterministic PRNG (mulberry32), so a failure replays. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

test('frame receiver: frames of any size split at any point come out whole, in order, and stay intact', () => {
  const rand = prng(7)
  const bodies = Array.from({ length: 300 }, (_, i) => {
    const size = i % 10 === 0 ? Math.floor(rand() * 300_000) : Math.floor(rand() * 200)
    const b = Buffer.alloc(size)
    for (let j = 0; j < size; j++) b[j] = (i * 31 + j) & 0xff
    return b
  })
  bodies.push(Buffer.alloc(0))
  for (const maxRead of [1, 3, 5, 100, 65_536, 1 << 20]) {
    const r = new FrameReceiver(1 << 30)
    const sink = collector()
    r.attach(sink)
    feed(r, stream(bodies), () => 1 + Math.floor(rand() * maxRead))
    assert.equal(sink.frames.length, bodies.length, `read sizes up to ${maxRead}`)
    // Compared after all reads: a frame that were a view of the reused staging buffer would be overwritten by now.
    for (let i = 0; i < bodies.length; i++) assert.ok(sink.frames[i]!.equals(bodies[i]!), `frame ${i} (read sizes up to ${maxRead})`)
    assert.deepEqual(sink.bad, [])
  }
})

test('frame receiver: a large frame is read straight into its own buffer, not in 64 KiB pieces', () => {
  const body = Buffer.alloc(5 * 1024 * 1024, 9)
  const r = new FrameReceiver(1 << 30)
  const sink = collector()
  r.attach(sink)
  // Reads as large as offered: one into the staging buffer (the size and the first bytes), one for the rest.
  const reads = feed(r, stream([body]), () => Infinity)
  assert.equal(reads, 2)
  assert.equal(sink.frames.length, 1)
  assert.ok(sink.frames[0]!.equals(body))
})

test('frame receiver: a size out of bounds is reported once and nothing after it is framed', () => {
  const r = new FrameReceiver(1000)
  const sink = collector()
  r.attach(sink)
  const bad = Buffer.alloc(4)
  bad.writeInt32BE(1001)
  feed(r, Buffer.concat([stream([Buffer.from('ok')]), bad, stream([Buffer.from('after')])]), () => 3)
  assert.deepEqual(
    sink.frames.map((f) => f.toString()),
    ['ok'],
  )
  assert.deepEqual(sink.bad, [1001])

  const neg = new FrameReceiver(1000)
  const s2 = collector()
  neg.attach(s2)
  feed(neg, Buffer.from([0xff, 0xff, 0xff, 0xfb, 1, 2, 3]), () => 100)
  assert.deepEqual(s2.bad, [-5])
  assert.deepEqual(s2.frames, [])
})

test('frame receiver: frames that arrive before attach are delivered on attach; none after the sink stops', () => {
  const r = new FrameReceiver(1 << 20)
  feed(r, stream([Buffer.from('early')]), () => 100)
  const frames: string[] = []
  let stop = false
  r.attach({ onFrame: (f) => void frames.push(f.toString()), onBadSize: () => assert.fail('no bad size here'), stopped: () => stop })
  assert.deepEqual(frames, ['early'])
  // Two frames in one read; the sink stops (its connection failed) while handling the first.
  const sinkStops = new FrameReceiver(1 << 20)
  const got: string[] = []
  sinkStops.attach({
    onFrame: (f) => {
      got.push(f.toString())
      stop = true
    },
    onBadSize: () => assert.fail('no bad size here'),
    stopped: () => stop,
  })
  stop = false
  feed(sinkStops, stream([Buffer.from('one'), Buffer.from('two')]), () => 100)
  assert.deepEqual(got, ['one'])
})
