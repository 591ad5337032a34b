import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { Cursor } from '../../../src/protocol/records/cursor.js'
import { RecordsError } from '../../../src/protocol/records/errors.js'
import {
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  writeVarint,
  writeVarlong,
} from '../../../src/protocol/records/varint.js'

function varintBytes(v: number): Buffer {
  const buf = Buffer.alloc(sizeOfVarint(v))
  assert.equal(writeVarint(buf, 0, v), buf.length)
  return buf
}

function varlongBytes(v: number): Buffer {
  const buf = Buffer.alloc(sizeOfVarlong(v))
  assert.equal(writeVarlong(buf, 0, v), buf.length)
  return buf
}

test('zigzag varint known encodings', () => {
  // From the protobuf/Kafka zigzag definition: 0→0, -1→1, 1→2, -2→3, 63→126, -64→127, 64→128 (two bytes).
  assert.deepEqual(varintBytes(0), Buffer.from([0x00]))
  assert.deepEqual(varintBytes(-1), Buffer.from([0x01]))
  assert.deepEqual(varintBytes(1), Buffer.from([0x02]))
  assert.deepEqual(varintBytes(-64), Buffer.from([0x7f]))
  assert.deepEqual(varintBytes(64), Buffer.from([0x80, 0x01]))
  assert.deepEqual(varintBytes(2 ** 31 - 1), Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]))
  assert.deepEqual(varintBytes(-(2 ** 31)), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]))
  assert.deepEqual(varlongBytes(Number.MAX_SAFE_INTEGER), Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]))
  assert.deepEqual(varlongBytes(-1), Buffer.from([0x01]))
})

test('varint round trip over int32', () => {
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => {
      const c = new Cursor(varintBytes(v))
      assert.equal(readVarint(c), v)
      assert.equal(c.remaining, 0)
    }),
  )
})

test('varlong round trip over safe integers, both the fast and the BigInt paths', () => {
  fc.assert(
    fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer()), (v) => {
      const c = new Cursor(varlongBytes(v))
      assert.equal(readVarlong(c), v)
      assert.equal(c.remaining, 0)
    }),
    { numRuns: 500 },
  )
})

test('varlong beyond the safe range is rejected, not rounded', () => {
  // zigzag(2^60) written by another client.
  const u = 2n ** 61n
  const bytes: number[] = []
  let x = u
  while (x >= 0x80n) {
    bytes.push(Number(x & 0x7fn) | 0x80)
    x >>= 7n
  }
  bytes.push(Number(x))
  assert.throws(() => readVarlong(new Cursor(Buffer.from(bytes))), (e: unknown) => e instanceof RecordsError && e.code === 'out-of-range')
  assert.throws(() => writeVarlong(Buffer.alloc(10), 0, 2 ** 60), (e: unknown) => e instanceof RecordsError && e.code === 'out-of-range')
})

test('overlong and truncated varints give RecordsError', () => {
  const tooLong = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
  assert.throws(() => readVarint(new Cursor(tooLong)), (e: unknown) => e instanceof RecordsError && e.code === 'varint-too-long')
  const tooLongL = Buffer.alloc(11, 0x80)
  assert.throws(() => readVarlong(new Cursor(tooLongL)), (e: unknown) => e instanceof RecordsError && e.code === 'varint-too-long')
  for (const read of [readVarint, readVarlong]) {
    assert.throws(() => read(new Cursor(Buffer.from([0x80, 0x80]))), (e: unknown) => e instanceof RecordsError && e.code === 'truncated')
    assert.throws(() => read(new Cursor(Buffer.alloc(0))), (e: unknown) => e instanceof RecordsError && e.code === 'truncated')
  }
})
