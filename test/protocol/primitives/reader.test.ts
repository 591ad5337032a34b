import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Reader } from '../../../src/protocol/primitives/reader.js'
import { Writer } from '../../../src/protocol/primitives/writer.js'
import { ProtocolError } from '../../../src/protocol/primitives/protocol-error.js'
import { ZERO_UUID } from '../../../src/protocol/primitives/uuid.js'
import { MetadataRequest } from '../../../src/protocol/generated/metadata.js'
import { FetchRequest } from '../../../src/protocol/generated/fetch.js'

const b = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex')
const INT64_MIN = -(1n << 63n)
const INT64_MAX = (1n << 63n) - 1n

function failsWith(r: Reader, pattern: RegExp): void {
  assert.equal(r.ok, false)
  assert.throws(() => r.finish('test'), (e: unknown) => e instanceof ProtocolError && pattern.test(e.message))
}

describe('Reader: fixed-width integers', () => {
  it('reads big-endian values', () => {
    const r = new Reader(b('ff 8000 ffff 80000000 ffffffff 8000000000000000 3ff0000000000000 01 00'))
    assert.equal(r.readInt8(), -1)
    assert.equal(r.readInt16(), -32768)
    assert.equal(r.readUint16(), 65535)
    assert.equal(r.readInt32(), -2147483648)
    assert.equal(r.readUint32(), 4294967295)
    assert.equal(r.readInt64(), INT64_MIN)
    assert.equal(r.readFloat64(), 1)
    assert.equal(r.readBool(), true)
    assert.equal(r.readBool(), false)
    assert.equal(r.remaining, 0)
    r.finish('test')
  })

  it('honours offset and end', () => {
    const r = new Reader(b('aa 0001 bb'), 1, 3)
    assert.equal(r.readInt16(), 1)
    assert.equal(r.remaining, 0)
    assert.equal(r.readInt8(), 0)
    failsWith(r, /need 1 bytes, have 0/)
  })
})

describe('Reader: varints', () => {
  const unsigned: Array<[number, string]> = [
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [2097151, 'ffff7f'],
    [2097152, '80808001'],
    [268435455, 'ffffff7f'],
    [268435456, '8080808001'],
    [2147483647, 'ffffffff07'],
    [4294967295, 'ffffffff0f'],
  ]
  for (const [n, hex] of unsigned) {
    it(`unsigned varint ${n} <- ${hex}`, () => {
      const r = new Reader(b(hex))
      assert.equal(r.readUnsignedVarint(), n)
      assert.equal(r.remaining, 0)
      r.finish('test')
    })
  }

  const zigzag: Array<[number, string]> = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-2, '03'],
    [63, '7e'],
    [-64, '7f'],
    [64, '8001'],
    [-65, '8101'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ]
  for (const [n, hex] of zigzag) {
    it(`zigzag varint ${n} <- ${hex}`, () => {
      const r = new Reader(b(hex))
      assert.equal(r.readVarint(), n)
      r.finish('test')
    })
  }

  const varlongs: Array<[bigint, string]> = [
    [0n, '00'],
    [-1n, '01'],
    [1n, '02'],
    [2147483648n, '8080808010'],
    [-2147483649n, '8180808010'],
    [INT64_MAX, 'feffffffffffffffff01'],
    [INT64_MIN, 'ffffffffffffffffff01'],
  ]
  for (const [n, hex] of varlongs) {
    it(`zigzag varlong ${n} <- ${hex}`, () => {
      const r = new Reader(b(hex))
      assert.equal(r.readVarlong(), n)
      r.finish('test')
    })
  }

  it('rejects a varint longer than 5 bytes and a varlong longer than 10', () => {
    failsWith(((r) => (r.readUnsignedVarint(), r))(new Reader(b('808080808001'))), /varint longer than 5 bytes/)
    failsWith(((r) => (r.readVarint(), r))(new Reader(b('ffffffffff01'))), /varint longer than 5 bytes/)
    failsWith(((r) => (r.readVarlong(), r))(new Reader(b('8080808080808080808001'))), /varlong longer than 10 bytes/)
  })

  it('fails on a truncated varint', () => {
    const r = new Reader(b('8080'))
    assert.equal(r.readUnsignedVarint(), 0)
    failsWith(r, /need 1 bytes/)
  })

  // Java's ByteUtils.readVarlong shifts the 10th byte into a long, so bits past 64 fall off and
  // the result is always an int64. Returning a bigint outside int64 hands callers a value no
  // int64 field can hold (writeInt64 then throws a RangeError).
  it('a 10-byte varlong never yields a value outside int64', () => {
    const r = new Reader(b('ffffffffffffffffff7f'))
    const v = r.readVarlong()
    assert.ok(!r.ok || (v >= INT64_MIN && v <= INT64_MAX), `readVarlong returned ${v}, outside int64`)
  })

  it('round-trips random values through the writer', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
        (u, s, l) => {
          const w = new Writer(1)
          w.writeUnsignedVarint(u)
          w.writeVarint(s)
          w.writeVarlong(l)
          const r = new Reader(w.toBuffer())
          assert.equal(r.readUnsignedVarint(), u)
          assert.equal(r.readVarint(), s)
          assert.equal(r.readVarlong(), l)
          assert.equal(r.remaining, 0)
          r.finish('test')
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('Reader: strings and bytes', () => {
  it('classic strings: int16 length, -1 is null only where nullable', () => {
    assert.equal(new Reader(b('0003 616263')).readString(), 'abc')
    assert.equal(new Reader(b('0000')).readString(), '')
    assert.equal(new Reader(b('ffff')).readNullableString(), null)
    assert.equal(new Reader(b('0002 c3a9')).readNullableString(), 'é')
    const r = new Reader(b('ffff'))
    assert.equal(r.readString(), '')
    failsWith(r, /invalid string length -1/)
    const r2 = new Reader(b('fffe'))
    assert.equal(r2.readNullableString(), '')
    failsWith(r2, /invalid string length -2/)
  })

  it('compact strings: uvarint length + 1, 0 is null only where nullable', () => {
    assert.equal(new Reader(b('04 616263')).readCompactString(), 'abc')
    assert.equal(new Reader(b('01')).readCompactString(), '')
    assert.equal(new Reader(b('00')).readCompactNullableString(), null)
    const r = new Reader(b('00'))
    assert.equal(r.readCompactString(), '')
    failsWith(r, /invalid string length -1/)
  })

  it('a string longer than the bytes left fails', () => {
    const r = new Reader(b('0005 6162'))
    assert.equal(r.readString(), '')
    failsWith(r, /string length 5 exceeds the 2 bytes left/)
    const c = new Reader(b('ffffffff0f 61'))
    assert.equal(c.readCompactNullableString(), '')
    failsWith(c, /exceeds/)
  })

  it('bytes: int32 / compact lengths, null, and views without copying', () => {
    const buf = b('00000002 abcd 03 0102 ffffffff 00 00000000')
    const r = new Reader(buf)
    const x = r.readBytes()
    assert.deepEqual([...x], [0xab, 0xcd])
    assert.equal(x.buffer, buf.buffer, 'readBytes returns a view into the frame')
    assert.deepEqual([...r.readCompactBytes()], [1, 2])
    assert.equal(r.readNullableBytes(), null)
    assert.equal(r.readCompactNullableBytes(), null)
    assert.equal(r.readBytes().length, 0)
    r.finish('test')

    const bad = new Reader(b('ffffffff'))
    bad.readBytes()
    failsWith(bad, /invalid bytes length -1/)
    const c = new Reader(b('00'))
    c.readCompactBytes()
    failsWith(c, /invalid bytes length -1/)
  })

  it('readRaw with a negative length fails instead of moving backwards', () => {
    const r = new Reader(b('01020304'))
    r.readInt16()
    r.readRaw(-2)
    assert.ok(!r.ok || r.pos >= 2, `readRaw(-2) moved the cursor back to ${r.pos}`)
  })
})

describe('Reader: arrays', () => {
  it('classic and compact array lengths, null', () => {
    assert.equal(new Reader(b('00000003 000000')).readArrayLength(false), 3)
    assert.equal(new Reader(b('ffffffff')).readArrayLength(true), -1)
    assert.equal(new Reader(b('04 000000')).readCompactArrayLength(false), 3)
    assert.equal(new Reader(b('00')).readCompactArrayLength(true), -1)
    const r = new Reader(b('ffffffff'))
    assert.ok(r.readArrayLength(false) < 0)
    failsWith(r, /invalid array length -1/)
    const c = new Reader(b('00'))
    assert.ok(c.readCompactArrayLength(false) < 0)
    failsWith(c, /invalid array length -1/)
  })

  it('an absurd array length fails before anything is allocated', () => {
    const r = new Reader(b('7fffffff 010203'))
    assert.ok(r.readArrayLength(false) < 0)
    failsWith(r, /array length 2147483647 exceeds the 3 bytes left/)
    const c = new Reader(b('ffffffff0f 010203'))
    assert.ok(c.readCompactArrayLength(true) < 0)
    failsWith(c, /exceeds/)
  })

  it('an array of more than 1,000,000 elements fails even when the bytes are there (Kafka 4.4 cap)', () => {
    // 1,000,001 one-byte elements are all present: only the cap can refuse them.
    const classic = Buffer.alloc(4 + 1_000_001)
    classic.writeInt32BE(1_000_001)
    const r = new Reader(classic)
    assert.ok(r.readArrayLength(false) < 0)
    failsWith(r, /array of 1000001 elements exceeds the maximum of 1000000/)
    const compact = new Writer()
    compact.writeUnsignedVarint(1_000_001 + 1)
    compact.writeRaw(Buffer.alloc(1_000_001))
    const c = new Reader(compact.toBuffer())
    assert.ok(c.readCompactArrayLength(false) < 0)
    failsWith(c, /exceeds the maximum of 1000000/)
    // Exactly the cap is fine.
    const atCap = Buffer.alloc(4 + 1_000_000)
    atCap.writeInt32BE(1_000_000)
    assert.equal(new Reader(atCap).readArrayLength(false), 1_000_000)
  })

  it('a generated decoder stops at the cap: Metadata v0 with 2,000,000 empty topic names', () => {
    const body = Buffer.alloc(4 + 2 * 2_000_000)
    body.writeInt32BE(2_000_000)
    assert.throws(() => MetadataRequest.decode(body, 0), (e: unknown) => e instanceof ProtocolError && /exceeds the maximum of 1000000/.test(e.message))
  })

  it('generated decoders reject absurd counts quickly and without allocating', () => {
    const frames: Array<[string, () => unknown]> = [
      ['MetadataRequest v0 topics=0x7fffffff', () => MetadataRequest.decode(b('7fffffff 0001 61'), 0)],
      ['MetadataRequest v9 topics=uvarint 0xffffffff', () => MetadataRequest.decode(b('ffffffff0f 02 61 00'), 9)],
      ['FetchRequest v4 topics=0x7fffffff', () => FetchRequest.decode(b('ffffffff 00000000 00000001 00100000 00 7fffffff 00'), 4)],
    ]
    const before = process.memoryUsage().heapUsed
    const t0 = performance.now()
    for (let i = 0; i < 1000; i++) {
      for (const [what, run] of frames) assert.throws(run, ProtocolError, what)
    }
    const ms = performance.now() - t0
    const grew = process.memoryUsage().heapUsed - before
    assert.ok(ms < 5000, `3000 absurd frames took ${ms.toFixed(0)} ms`)
    assert.ok(grew < 64 * 1024 * 1024, `heap grew by ${grew} bytes`)
  })
})

describe('Reader: sticky failure', () => {
  it('after a failure every read returns its default and finish throws the first reason', () => {
    const r = new Reader(b('0001 02'))
    assert.equal(r.readInt16(), 1)
    assert.equal(r.readInt32(), 0) // only 1 byte left
    assert.equal(r.ok, false)
    assert.equal(r.remaining, 0)
    assert.equal(r.readInt8(), 0)
    assert.equal(r.readInt16(), 0)
    assert.equal(r.readUint16(), 0)
    assert.equal(r.readUint32(), 0)
    assert.equal(r.readInt64(), 0n)
    assert.equal(r.readFloat64(), 0)
    assert.equal(r.readBool(), false)
    assert.equal(r.readUuid(), ZERO_UUID)
    assert.equal(r.readUnsignedVarint(), 0)
    assert.equal(r.readVarint(), 0)
    assert.equal(r.readVarlong(), 0n)
    assert.equal(r.readString(), '')
    assert.equal(r.readCompactString(), '')
    assert.equal(r.readBytes().length, 0)
    assert.equal(r.readCompactBytes().length, 0)
    assert.equal(r.readArrayLength(false), 0) // an empty array: decoders loop zero times
    assert.equal(r.readTaggedFields(() => false), undefined)
    r.fail('a later reason')
    assert.throws(
      () => r.finish('Thing v1'),
      (e: unknown) => e instanceof ProtocolError && e.name === 'ProtocolError' && /^cannot decode Thing v1: need 4 bytes, have 1 at byte 2$/.test(e.message),
    )
  })

  it('finish does nothing when every read succeeded', () => {
    const r = new Reader(b('01'))
    r.readInt8()
    assert.equal(r.ok, true)
    r.finish('test')
  })
})

describe('Reader: tagged fields', () => {
  it('returns unknown tags in order and hands known ones to the callback', () => {
    // 3 fields: tag 1 (known, int16), tag 5 (unknown, 2 bytes), tag 300 (unknown, 0 bytes)
    const r = new Reader(b('03 01 02 0007 05 02 aabb ac02 00 ff'))
    let known = -1
    const unknown = r.readTaggedFields((tag) => {
      if (tag !== 1) return false
      known = r.readInt16()
      return true
    })
    assert.equal(known, 7)
    assert.deepEqual(unknown, [
      { tag: 5, data: b('aabb') },
      { tag: 300, data: Buffer.alloc(0) },
    ])
    assert.equal(r.readInt8(), -1)
    r.finish('test')
  })

  it('no tagged fields gives undefined', () => {
    const r = new Reader(b('00'))
    assert.equal(r.readTaggedFields(() => false), undefined)
    r.finish('test')
  })

  it('rejects tags out of order or repeated', () => {
    const r = new Reader(b('02 05 00 03 00'))
    r.readTaggedFields(() => false)
    failsWith(r, /tagged fields out of order \(3 after 5\)/)
    const d = new Reader(b('02 05 00 05 00'))
    d.readTaggedFields(() => false)
    failsWith(d, /out of order/)
  })

  it('more than 10,000 tagged fields fail even when the bytes are there (Kafka 4.4 cap)', () => {
    // 10,001 empty fields with distinct increasing tags: every byte is present.
    const w = new Writer()
    w.writeUnsignedVarint(10_001)
    for (let tag = 0; tag < 10_001; tag++) {
      w.writeUnsignedVarint(tag)
      w.writeUnsignedVarint(0)
    }
    const r = new Reader(w.toBuffer())
    let seen = 0
    assert.equal(r.readTaggedFields(() => (seen++, false)), undefined)
    failsWith(r, /10001 tagged fields exceed the maximum of 10000/)
    assert.equal(seen, 0, 'refused before reading any field')
    const ok = new Writer()
    ok.writeUnsignedVarint(10_000)
    for (let tag = 0; tag < 10_000; tag++) {
      ok.writeUnsignedVarint(tag)
      ok.writeUnsignedVarint(0)
    }
    const atCap = new Reader(ok.toBuffer())
    assert.equal(atCap.readTaggedFields(() => false)?.length, 10_000)
    atCap.finish('test')
  })

  it('rejects a size past the end, an absurd count, and a known field using the wrong size', () => {
    const s = new Reader(b('01 00 05 aabb'))
    s.readTaggedFields(() => false)
    failsWith(s, /tagged field 0 size 5 exceeds the bytes left/)
    const c = new Reader(b('ffffffff0f 00'))
    c.readTaggedFields(() => false)
    failsWith(c, /tagged field count 4294967295 exceeds the bytes left/)
    const k = new Reader(b('01 00 03 0001 ff'))
    k.readTaggedFields(() => (k.readInt16(), true))
    failsWith(k, /tagged field 0 declared 3 bytes, used 2/)
  })
})

describe('Reader: uuid', () => {
  it('reads 16 bytes as url-safe base64 without padding', () => {
    const r = new Reader(b('d64c42a94c064131 8c5c95dbdcfb71f6'))
    assert.equal(r.readUuid(), '1kxCqUwGQTGMXJXb3Ptx9g')
    assert.equal(new Reader(Buffer.alloc(16)).readUuid(), ZERO_UUID)
    assert.equal(new Reader(Buffer.alloc(16, 0xff)).readUuid(), '_____________________w')
  })
})
