import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Writer } from '../../../src/protocol/primitives/writer.js'
import { Reader } from '../../../src/protocol/primitives/reader.js'
import { ProtocolError } from '../../../src/protocol/primitives/protocol-error.js'
import { randomUuid, uuidFromBytes, uuidToBytes, ZERO_UUID } from '../../../src/protocol/primitives/uuid.js'

const b = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex')
const bytesOf = (fill: (w: Writer) => void, initialSize?: number): string => {
  const w = new Writer(initialSize)
  fill(w)
  return w.toBuffer().toString('hex')
}

describe('Writer: fixed-width values', () => {
  it('writes big-endian integers, floats and bools', () => {
    assert.equal(
      bytesOf((w) => {
        w.writeInt8(-1)
        w.writeInt16(-32768)
        w.writeUint16(65535)
        w.writeInt32(-2147483648)
        w.writeUint32(4294967295)
        w.writeInt64(-(1n << 63n))
        w.writeFloat64(1)
        w.writeBool(true)
        w.writeBool(false)
      }),
      'ff' + '8000' + 'ffff' + '80000000' + 'ffffffff' + '8000000000000000' + '3ff0000000000000' + '01' + '00',
    )
  })

  it('int64: both ends of the range and values between, across growth of the buffer (a view over the old buffer must not be written); outside the range is refused', () => {
    const values = [-(1n << 63n), (1n << 63n) - 1n, 0n, -1n, 1n, 9007199254740993n, -9007199254740993n]
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), { maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (more, initial) => {
        const all = [...values, ...more]
        const w = new Writer(initial)
        for (const v of all) {
          w.writeInt8(7) // keeps int64s off 8-byte alignment
          w.writeInt64(v)
        }
        const r = new Reader(w.toBuffer())
        for (const v of all) {
          assert.equal(r.readInt8(), 7)
          assert.equal(r.readInt64(), v)
        }
        assert.equal(r.remaining, 0)
      }),
    )
    for (const v of [1n << 63n, -(1n << 63n) - 1n]) assert.throws(() => new Writer().writeInt64(v), ProtocolError)
    // A reader over a slice of a larger buffer reads from the slice's start.
    const whole = Buffer.concat([Buffer.alloc(5, 0xee), b('8000000000000001')])
    assert.equal(new Reader(whole.subarray(5)).readInt64(), -(1n << 63n) + 1n)
  })

  it('grows from a tiny initial buffer', () => {
    const w = new Writer(1)
    for (let i = 0; i < 1000; i++) w.writeInt32(i)
    assert.equal(w.length, 4000)
    const r = new Reader(w.toBuffer())
    for (let i = 0; i < 1000; i++) assert.equal(r.readInt32(), i)
    r.finish('test')
  })
})

describe('Writer: varints', () => {
  const cases: Array<[string, (w: Writer) => void, string]> = [
    ['uvarint 0', (w) => w.writeUnsignedVarint(0), '00'],
    ['uvarint 127', (w) => w.writeUnsignedVarint(127), '7f'],
    ['uvarint 128', (w) => w.writeUnsignedVarint(128), '8001'],
    ['uvarint 300', (w) => w.writeUnsignedVarint(300), 'ac02'],
    ['uvarint 16384', (w) => w.writeUnsignedVarint(16384), '808001'],
    ['uvarint 2^28', (w) => w.writeUnsignedVarint(268435456), '8080808001'],
    ['uvarint 2^32-1', (w) => w.writeUnsignedVarint(4294967295), 'ffffffff0f'],
    ['varint 0', (w) => w.writeVarint(0), '00'],
    ['varint -1', (w) => w.writeVarint(-1), '01'],
    ['varint 1', (w) => w.writeVarint(1), '02'],
    ['varint -64', (w) => w.writeVarint(-64), '7f'],
    ['varint 64', (w) => w.writeVarint(64), '8001'],
    ['varint int32 max', (w) => w.writeVarint(2147483647), 'feffffff0f'],
    ['varint int32 min', (w) => w.writeVarint(-2147483648), 'ffffffff0f'],
    ['varlong 0', (w) => w.writeVarlong(0n), '00'],
    ['varlong -1', (w) => w.writeVarlong(-1n), '01'],
    ['varlong 2^31', (w) => w.writeVarlong(2147483648n), '8080808010'],
    ['varlong int64 max', (w) => w.writeVarlong((1n << 63n) - 1n), 'feffffffffffffffff01'],
    ['varlong int64 min', (w) => w.writeVarlong(-(1n << 63n)), 'ffffffffffffffffff01'],
  ]
  for (const [name, fill, hex] of cases) {
    it(`${name} -> ${hex}`, () => assert.equal(bytesOf(fill, 1), hex))
  }
})

describe('Writer: strings, bytes, arrays', () => {
  it('classic vs compact strings, null', () => {
    assert.equal(bytesOf((w) => w.writeString('abc')), '0003616263')
    assert.equal(bytesOf((w) => w.writeCompactString('abc')), '04616263')
    assert.equal(bytesOf((w) => w.writeString('')), '0000')
    assert.equal(bytesOf((w) => w.writeCompactString('')), '01')
    assert.equal(bytesOf((w) => w.writeNullableString(null)), 'ffff')
    assert.equal(bytesOf((w) => w.writeCompactNullableString(null)), '00')
    assert.equal(bytesOf((w) => w.writeNullableString('x')), '000178')
    assert.equal(bytesOf((w) => w.writeCompactNullableString('x')), '0278')
  })

  it('lengths count UTF-8 bytes, not UTF-16 units', () => {
    assert.equal(bytesOf((w) => w.writeString('é')), '0002c3a9')
    assert.equal(bytesOf((w) => w.writeCompactString('😀')), '05f09f9880')
  })

  it('a classic string over 32767 bytes is a ProtocolError; a compact one is fine', () => {
    assert.equal(bytesOf((w) => w.writeString('a'.repeat(0x7fff))).slice(0, 4), '7fff')
    assert.throws(() => new Writer().writeString('a'.repeat(0x8000)), ProtocolError)
    assert.throws(() => new Writer().writeString('é'.repeat(0x4000)), ProtocolError) // 32768 bytes
    const w = new Writer()
    w.writeCompactString('a'.repeat(40000))
    const r = new Reader(w.toBuffer())
    assert.equal(r.readCompactString().length, 40000)
    r.finish('test')
  })

  it('classic vs compact bytes, null', () => {
    assert.equal(bytesOf((w) => w.writeBytes(b('abcd'))), '00000002abcd')
    assert.equal(bytesOf((w) => w.writeCompactBytes(b('abcd'))), '03abcd')
    assert.equal(bytesOf((w) => w.writeNullableBytes(null)), 'ffffffff')
    assert.equal(bytesOf((w) => w.writeCompactNullableBytes(null)), '00')
    assert.equal(bytesOf((w) => w.writeCompactBytes(new Uint8Array(0))), '01')
  })

  it('array lengths: classic int32 (-1 null), compact uvarint n+1 (0 null)', () => {
    assert.equal(bytesOf((w) => w.writeArrayLength(3)), '00000003')
    assert.equal(bytesOf((w) => w.writeArrayLength(-1)), 'ffffffff')
    assert.equal(bytesOf((w) => w.writeCompactArrayLength(3)), '04')
    assert.equal(bytesOf((w) => w.writeCompactArrayLength(-1)), '00')
    assert.equal(bytesOf((w) => w.writeCompactArrayLength(127)), '8001')
  })

  it('round-trips random strings and bytes in both encodings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.option(fc.uint8Array({ maxLength: 40 })), (s, bytes) => {
        const w = new Writer(8)
        w.writeString(s)
        w.writeCompactString(s)
        w.writeNullableBytes(bytes)
        w.writeCompactNullableBytes(bytes)
        const r = new Reader(w.toBuffer())
        assert.equal(r.readString(), s)
        assert.equal(r.readCompactString(), s)
        const x = r.readNullableBytes()
        const y = r.readCompactNullableBytes()
        if (bytes === null) {
          assert.equal(x, null)
          assert.equal(y, null)
        } else {
          assert.deepEqual([...x!], [...bytes])
          assert.deepEqual([...y!], [...bytes])
        }
        assert.equal(r.remaining, 0)
        r.finish('test')
      }),
      { numRuns: 300 },
    )
  })
})

describe('Writer: tagged fields', () => {
  it('merges known and unknown fields in ascending tag order', () => {
    const hex = bytesOf((w) =>
      w.writeTaggedFields(
        [
          [3, (x) => x.writeInt16(7)],
          [0, (x) => x.writeCompactString('a')],
        ],
        [
          { tag: 1, data: b('ff') },
          { tag: 300, data: Buffer.alloc(0) },
        ],
      ),
    )
    // count 4; tag 0 size 2 "02 61"; tag 1 size 1 ff; tag 3 size 2 0007; tag 300 size 0
    assert.equal(hex, '04' + '00' + '02' + '0261' + '01' + '01' + 'ff' + '03' + '02' + '0007' + 'ac02' + '00')
  })

  it('an empty section is a single zero byte', () => {
    assert.equal(bytesOf((w) => w.writeTaggedFields(undefined, undefined)), '00')
    assert.equal(bytesOf((w) => w.writeTaggedFields([], [])), '00')
  })

  it('unknown fields read back byte for byte', () => {
    const unknown = [
      { tag: 2, data: b('0102') },
      { tag: 9, data: b('') },
      { tag: 0x7fffffff, data: Buffer.alloc(2000, 7) },
    ]
    const w = new Writer()
    w.writeTaggedFields(undefined, unknown)
    const r = new Reader(w.toBuffer())
    assert.deepEqual(
      r.readTaggedFields(() => false),
      unknown,
    )
    r.finish('test')
  })
})

describe('Writer: zero-copy chunks', () => {
  it('keeps a payload of 1024+ bytes by reference and copies smaller ones', () => {
    const big = Buffer.alloc(1024, 0xaa)
    const small = Buffer.alloc(1023, 0xbb)
    const w = new Writer()
    w.writeInt32(1)
    w.writeBytes(big)
    w.writeBytes(small)
    w.writeInt8(9)
    const chunks = w.toChunks()
    assert.ok(chunks.includes(big), 'the big payload is one of the chunks, by identity')
    assert.ok(!chunks.includes(small))
    assert.equal(w.length, 4 + 4 + 1024 + 4 + 1023 + 1)
    // Writing to the original after the fact shows through: it was not copied.
    big[0] = 0x11
    small[0] = 0x22
    const out = w.toBuffer()
    assert.equal(out[8], 0x11)
    assert.equal(out[8 + 1024 + 4], 0xbb)
  })

  it('toBuffer equals the concatenation of toChunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 50 }), fc.uint8Array({ minLength: 1024, maxLength: 3000 })), { maxLength: 8 }),
        fc.integer({ min: 1, max: 512 }),
        (parts, initial) => {
          const w = new Writer(initial)
          const expected: Buffer[] = []
          for (const p of parts) {
            w.writeInt16(p.length & 0x7fff)
            w.writeRaw(p)
            const h = Buffer.alloc(2)
            h.writeInt16BE(p.length & 0x7fff)
            expected.push(h, Buffer.from(p))
          }
          const want = Buffer.concat(expected)
          assert.equal(w.length, want.length)
          assert.ok(Buffer.concat(w.toChunks()).equals(want))
          assert.ok(w.toBuffer().equals(want))
        },
      ),
      { numRuns: 200 },
    )
  })

  it('a Uint8Array view (not a Buffer) is referenced with its own offset', () => {
    const backing = new Uint8Array(4096).map((_, i) => i & 0xff)
    const view = backing.subarray(100, 1300)
    const w = new Writer()
    w.writeRaw(view)
    const out = w.toBuffer()
    assert.equal(out.length, 1200)
    assert.equal(out[0], 100)
    assert.equal(out[1199], 1299 & 0xff)
  })

  it('patchInt32 works before, between and after referenced chunks', () => {
    const big1 = Buffer.alloc(1500, 1)
    const big2 = Buffer.alloc(2500, 2)
    const w = new Writer(16)
    const at0 = w.length
    w.writeInt32(0) // size placeholder, in the first copied chunk
    w.writeRaw(big1)
    const at1 = w.length
    w.writeInt32(0) // between the two references
    w.writeInt16(5)
    w.writeRaw(big2)
    const at2 = w.length
    w.writeInt32(0) // in the live buffer
    w.patchInt32(at0, 0x01020304)
    w.patchInt32(at1, -2)
    w.patchInt32(at2, 0x7fffffff)
    const out = w.toBuffer()
    assert.equal(out.readInt32BE(at0), 0x01020304)
    assert.equal(out.readInt32BE(at1), -2)
    assert.equal(out.readInt16BE(at1 + 4), 5)
    assert.equal(out.readInt32BE(at2), 0x7fffffff)
    assert.ok(out.subarray(4, 4 + 1500).equals(big1))
    assert.ok(out.subarray(at1 + 6, at1 + 6 + 2500).equals(big2))
    // After toChunks flushed the live bytes, patching still lands in the right place.
    const w2 = new Writer()
    w2.writeInt32(0)
    w2.writeRaw(big1)
    w2.writeInt32(0)
    w2.toChunks()
    w2.patchInt32(1504, 42)
    w2.patchInt32(0, 43)
    const o2 = w2.toBuffer()
    assert.equal(o2.readInt32BE(1504), 42)
    assert.equal(o2.readInt32BE(0), 43)
  })
})

describe('uuid', () => {
  it('round-trips bytes <-> 22-char base64url', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const s = uuidFromBytes(Buffer.from(bytes))
        assert.match(s, /^[A-Za-z0-9_-]{22}$/)
        const out = Buffer.alloc(20)
        uuidToBytes(s, out, 2)
        assert.deepEqual([...out.subarray(2, 18)], [...bytes])
        const w = new Writer()
        w.writeUuid(s)
        const r = new Reader(w.toBuffer())
        assert.equal(r.readUuid(), s)
      }),
      { numRuns: 300 },
    )
  })

  it('knows Kafka\'s printed form', () => {
    const out = Buffer.alloc(16)
    uuidToBytes('1kxCqUwGQTGMXJXb3Ptx9g', out, 0)
    assert.equal(out.toString('hex'), 'd64c42a94c0641318c5c95dbdcfb71f6')
    uuidToBytes(ZERO_UUID, out, 0)
    assert.ok(out.equals(Buffer.alloc(16)))
  })

  it('rejects malformed strings with ProtocolError', () => {
    for (const bad of ['', 'AAAA', 'A'.repeat(21), 'A'.repeat(23), '!'.repeat(22), 'AAAAAAAAAAAAAAAAAAAA==']) {
      assert.throws(() => new Writer().writeUuid(bad), ProtocolError, JSON.stringify(bad))
    }
  })

  it('randomUuid gives v4 ids, never zero, never starting with "-"', () => {
    for (let i = 0; i < 200; i++) {
      const s = randomUuid()
      assert.match(s, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
      assert.notEqual(s, ZERO_UUID)
      const bytes = Buffer.from(s, 'base64url')
      assert.equal(bytes[6]! >> 4, 4)
      assert.equal(bytes[8]! >> 6, 2)
    }
  })
})
