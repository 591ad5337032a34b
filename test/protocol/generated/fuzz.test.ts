/**
 * Decoder fuzz test. A broker decodes whatever a socket sends it, so for every request (and
 * header) codec at every version, and for responses too, throw at `decode`:
 *   - valid encodings (from the schema arbitrary) with bits flipped, bytes set, inserted,
 *     deleted, duplicated, spliced, truncated;
 *   - absurd length prefixes (int16/int32 0x7fff..., 0xffffffff, uvarint 0xffffffff, over-long
 *     varints) written over or into valid frames;
 *   - pure random buffers; valid frames decoded at another version; every prefix of a frame.
 * Rules: decode returns or throws ProtocolError, nothing else (no RangeError, TypeError...);
 * each decode is quick and memory stays flat; a frame that decodes re-encodes without any other
 * error, and what it re-encodes to decodes to the same value.
 *
 * SAMSA_FUZZ_FRAMES (default 250000) random frames go to requests + headers, a third of that to
 * responses and other messages; SAMSA_FUZZ_SEED replays a run (every run prints its seed).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ENTRIES, NO_SPECS, hex, messageArbitrary, versionsOf, type Entry } from '../fixtures/codec-model.js'
import { ProtocolError } from '../../../src/protocol/primitives/protocol-error.js'

const FRAMES = Number(process.env.SAMSA_FUZZ_FRAMES ?? 250_000)
const SEED = process.env.SAMSA_FUZZ_SEED === undefined ? (Math.random() * 2 ** 32) >>> 0 : Number(process.env.SAMSA_FUZZ_SEED) >>> 0
/** A single decode taking this long means something loops; GC pauses stay far below it. */
const SLOW_DECODE_MS = 1000
const MAX_HEAP_GROWTH = 512 * 1024 * 1024

/** mulberry32: small, fast, seedable. */
class Rng {
  constructor(private s: number) {}
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n)
    for (let i = 0; i < n; i++) b[i] = this.int(256)
    return b
  }
}

interface Pair {
  entry: Entry
  version: number
  frames: Buffer[]
}

function corpus(entries: Entry[], salt: number): Pair[] {
  const pairs: Pair[] = []
  let i = 0
  for (const entry of entries) {
    for (const version of versionsOf(entry.message)) {
      const values = fc.sample(messageArbitrary(entry, version, { maxArray: 2 }), { numRuns: 4, seed: (SEED + salt + i++) | 0 })
      const frames = values.map((v) => entry.codec.encode(v, version))
      frames.push(entry.codec.encode({}, version)) // every field at its default
      pairs.push({ entry, version, frames })
    }
  }
  return pairs
}

const INT32S = [0x7fffffff, 0x7ffffffe, 0x80000000, 0xffffffff, 0xfffffffe, 0x00100000, 0x01000000]
const INT16S = [0x7fff, 0x8000, 0xffff, 0xfffe, 0x0100]
const VARINTS = [b('ffffffff0f'), b('feffffff0f'), b('ffffffff07'), b('808080808001'), b('ffffffffffffffffffff01'), b('80808080'), b('00')]
const BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff]

function b(h: string): Buffer {
  return Buffer.from(h, 'hex')
}

function overwrite(frame: Buffer, at: number, data: Buffer): Buffer {
  const out = Buffer.from(frame)
  data.copy(out, at, 0, Math.min(data.length, out.length - at))
  return out
}

function insert(frame: Buffer, at: number, data: Buffer): Buffer {
  return Buffer.concat([frame.subarray(0, at), data, frame.subarray(at)])
}

/** A length prefix no frame can satisfy, written over or into the frame at a random place. */
function absurd(rng: Rng, frame: Buffer): Buffer {
  const at = rng.int(frame.length + 1)
  switch (rng.int(3)) {
    case 0: {
      const x = Buffer.alloc(4)
      x.writeUInt32BE(rng.pick(INT32S))
      return rng.int(2) ? overwrite(frame, at, x) : insert(frame, at, x)
    }
    case 1: {
      const x = Buffer.alloc(2)
      x.writeUInt16BE(rng.pick(INT16S))
      return rng.int(2) ? overwrite(frame, at, x) : insert(frame, at, x)
    }
    default: {
      const x = rng.pick(VARINTS)
      return rng.int(2) ? overwrite(frame, at, x) : insert(frame, at, x)
    }
  }
}

function mutate(rng: Rng, frame: Buffer, other: Buffer): Buffer {
  let f = frame
  const ops = 1 + rng.int(3)
  for (let k = 0; k < ops; k++) {
    const at = rng.int(f.length + 1)
    switch (rng.int(10)) {
      case 0: // flip a bit
        if (f.length) (f = Buffer.from(f))[Math.min(at, f.length - 1)]! ^= 1 << rng.int(8)
        break
      case 1: // set an interesting byte
        if (f.length) (f = Buffer.from(f))[Math.min(at, f.length - 1)] = rng.pick(BYTES)
        break
      case 2: // random byte
        if (f.length) (f = Buffer.from(f))[Math.min(at, f.length - 1)] = rng.int(256)
        break
      case 3:
        f = insert(f, at, rng.bytes(1 + rng.int(8)))
        break
      case 4: // delete a range
        f = Buffer.concat([f.subarray(0, at), f.subarray(Math.min(f.length, at + 1 + rng.int(8)))])
        break
      case 5:
        f = f.subarray(0, at)
        break
      case 6:
        f = absurd(rng, f)
        break
      case 7: {
        // duplicate a slice elsewhere
        const from = rng.int(f.length + 1)
        f = insert(f, at, Buffer.from(f.subarray(from, from + 1 + rng.int(16))))
        break
      }
      case 8: // splice with another frame of the same message and version
        f = Buffer.concat([f.subarray(0, at), other.subarray(rng.int(other.length + 1))])
        break
      default: // trailing junk
        f = Buffer.concat([f, rng.bytes(1 + rng.int(4))])
    }
  }
  return f
}

interface Stats {
  frames: number
  decoded: number
  rejected: number
  unexpected: string[]
  unexpectedCount: number
  slowest: number
  slowestWhat: string
  heapBase: number
  heapPeak: number
}

function newStats(): Stats {
  return { frames: 0, decoded: 0, rejected: 0, unexpected: [], unexpectedCount: 0, slowest: 0, slowestWhat: '', heapBase: 0, heapPeak: 0 }
}

function report(st: Stats, what: string, frame: Buffer, err: unknown): void {
  st.unexpectedCount++
  if (st.unexpected.length < 15) {
    const e = err as Error
    st.unexpected.push(`${what}: ${e?.name}: ${e?.message}\n    frame (${frame.length} bytes): ${hex(frame.subarray(0, 96))}${frame.length > 96 ? ' ...' : ''}`)
  }
}

/** Decodes one frame and checks the rules above. */
function check(st: Stats, pair: Pair, version: number, frame: Buffer): void {
  const codec = pair.entry.codec
  const what = `${pair.entry.message.name} v${version}`
  st.frames++
  let value: unknown
  const t0 = performance.now()
  try {
    value = codec.decode(frame, version)
  } catch (err) {
    const ms = performance.now() - t0
    if (ms > st.slowest) (st.slowest = ms), (st.slowestWhat = what)
    if (err instanceof ProtocolError) st.rejected++
    else report(st, `${what} decode`, frame, err)
    return
  }
  const ms = performance.now() - t0
  if (ms > st.slowest) (st.slowest = ms), (st.slowestWhat = what)
  st.decoded++
  let again: Buffer
  try {
    again = codec.encode(value, version)
  } catch (err) {
    // e.g. a classic string whose invalid UTF-8 grew past 32767 bytes once replaced
    if (!(err instanceof ProtocolError)) report(st, `${what} re-encode of a decoded frame`, frame, err)
    return
  }
  try {
    assert.deepStrictEqual(codec.decode(again, version), value)
  } catch (err) {
    report(st, `${what} decode(encode(decode(frame))) differs from decode(frame)`, frame, err)
  }
}

function sampleHeap(st: Stats): void {
  const h = process.memoryUsage().heapUsed
  if (h > st.heapPeak) st.heapPeak = h
}

function run(label: string, pairs: Pair[], frames: number, salt: number): Stats {
  const rng = new Rng((SEED ^ salt) >>> 0)
  const st = newStats()
  st.heapBase = st.heapPeak = process.memoryUsage().heapUsed
  const t0 = performance.now()

  // Every prefix of one frame per pair: truncation anywhere must be a clean ProtocolError.
  for (const p of pairs) {
    const f = p.frames[0]!.subarray(0, 400)
    for (let n = 0; n < f.length; n++) check(st, p, p.version, f.subarray(0, n))
  }
  sampleHeap(st)

  for (let i = 0; i < frames; i++) {
    const p = pairs[i % pairs.length]!
    const base = rng.pick(p.frames)
    const roll = rng.int(100)
    let frame: Buffer
    let version = p.version
    if (roll < 70) frame = mutate(rng, base, rng.pick(p.frames))
    else if (roll < 82) frame = absurd(rng, base)
    else if (roll < 92) frame = rng.bytes(rng.int(rng.int(4) === 0 ? 512 : 48))
    else {
      // A valid frame read at another version of the same message.
      frame = base
      const vs = versionsOf(p.entry.message)
      version = rng.pick(vs)
    }
    check(st, p, version, frame)
    if ((i & 4095) === 0) sampleHeap(st)
  }
  sampleHeap(st)
  const secs = (performance.now() - t0) / 1000
  console.log(
    `fuzz ${label}: ${st.frames} frames over ${pairs.length} (message, version) pairs in ${secs.toFixed(1)} s ` +
      `(${st.decoded} decoded, ${st.rejected} ProtocolError), ${st.unexpectedCount} unexpected errors; ` +
      `slowest decode ${st.slowest.toFixed(1)} ms (${st.slowestWhat}); heap +${((st.heapPeak - st.heapBase) / 1048576).toFixed(0)} MB; seed ${SEED}`,
  )
  return st
}

function assertClean(st: Stats): void {
  assert.equal(
    st.unexpectedCount,
    0,
    `${st.unexpectedCount} frames broke the rules (replay with SAMSA_FUZZ_SEED=${SEED}):\n  ${st.unexpected.join('\n  ')}`,
  )
  assert.ok(st.slowest < SLOW_DECODE_MS, `a decode took ${st.slowest.toFixed(0)} ms (${st.slowestWhat})`)
  assert.ok(st.heapPeak - st.heapBase < MAX_HEAP_GROWTH, `heap grew by ${st.heapPeak - st.heapBase} bytes`)
}

describe('decoder fuzz', { skip: NO_SPECS }, () => {
  it(`requests and headers: ${FRAMES} random frames + every prefix, only ProtocolError (seed ${SEED})`, { timeout: 300_000 }, () => {
    const pairs = corpus(
      ENTRIES.filter((e) => e.message.type === 'request' || e.message.type === 'header'),
      1,
    )
    const st = run('requests', pairs, FRAMES, 0x1234567)
    assert.ok(st.frames >= FRAMES)
    assertClean(st)
  })

  it(`responses, data messages, coordinator records: ${Math.round(FRAMES / 3)} random frames + every prefix (seed ${SEED})`, { timeout: 300_000 }, () => {
    const pairs = corpus(
      ENTRIES.filter((e) => e.message.type === 'response' || e.message.type === 'data'),
      2,
    )
    const st = run('responses+data', pairs, Math.round(FRAMES / 3), 0x7654321)
    assertClean(st)
  })
})
