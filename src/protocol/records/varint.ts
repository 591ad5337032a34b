/**
 * Zigzag varints as record fields use them (int32 "varint", int64 "varlong").
 * Kept local to the records layer; the request/response primitives live in protocol/primitives.
 *
 * Varlongs are exchanged as JS numbers: record timestamp deltas are milliseconds and never
 * approach 2^53 in practice, while BigInt on every record would cost a lot. A varlong that does
 * not fit a safe integer is rejected rather than silently rounded.
 */
import { RecordsError, RecordsErrorCode } from './errors.js'
import type { Cursor } from './cursor.js'

export function sizeOfUnsignedVarint(value: number): number {
  let v = value >>> 0
  let n = 1
  while (v >= 0x80) {
    v >>>= 7
    n++
  }
  return n
}

export function sizeOfVarint(value: number): number {
  return sizeOfUnsignedVarint((value << 1) ^ (value >> 31))
}

/** Writes an int32 zigzag varint at `pos`; returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  buf[pos++] = v
  return pos
}

export function readVarint(c: Cursor): number {
  const buf = c.buf
  let pos = c.pos
  let u = 0
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= c.end) c.fail(pos + 1)
    const b = buf[pos++]!
    u |= (b & 0x7f) << shift
    if (b < 0x80) {
      c.pos = pos
      return (u >>> 1) ^ -(u & 1)
    }
  }
  throw new RecordsError(RecordsErrorCode.VarintTooLong, `varint longer than 5 bytes at ${c.pos}`)
}

function zigzagLong(value: number): number {
  // Exact for |value| < 2^52; larger values take the BigInt path.
  return value >= 0 ? value * 2 : -value * 2 - 1
}

const FAST_LONG_LIMIT = 2 ** 52

export function sizeOfVarlong(value: number): number {
  if (Math.abs(value) >= FAST_LONG_LIMIT) return sizeOfBigVarlong(BigInt(value))
  let u = zigzagLong(value)
  let n = 1
  while (u >= 0x80) {
    u = Math.floor(u / 128)
    n++
  }
  return n
}

/** Writes an int64 zigzag varint from a safe integer; returns the position after it. */
export function writeVarlong(buf: Buffer, pos: number, value: number): number {
  if (!Number.isSafeInteger(value)) {
    throw new RecordsError(RecordsErrorCode.OutOfRange, `varlong value ${value} is not a safe integer`)
  }
  if (Math.abs(value) >= FAST_LONG_LIMIT) return writeBigVarlong(buf, pos, BigInt(value))
  let u = zigzagLong(value)
  while (u >= 0x80) {
    buf[pos++] = (u % 128) | 0x80
    u = Math.floor(u / 128)
  }
  buf[pos++] = u
  return pos
}

export function readVarlong(c: Cursor): number {
  const buf = c.buf
  const start = c.pos
  let pos = start
  let u = 0
  // Seven groups (49 bits) stay exact in a double; anything longer is rare enough for BigInt.
  for (let i = 0; i < 7; i++) {
    if (pos >= c.end) c.fail(pos + 1)
    const b = buf[pos++]!
    u += (b & 0x7f) * 2 ** (7 * i)
    if (b < 0x80) {
      c.pos = pos
      return u % 2 === 0 ? u / 2 : -(u + 1) / 2
    }
  }
  return readBigVarlong(c)
}

function sizeOfBigVarlong(value: bigint): number {
  let u = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n))
  let n = 1
  while (u >= 0x80n) {
    u >>= 7n
    n++
  }
  return n
}

function writeBigVarlong(buf: Buffer, pos: number, value: bigint): number {
  let u = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n))
  while (u >= 0x80n) {
    buf[pos++] = Number(u & 0x7fn) | 0x80
    u >>= 7n
  }
  buf[pos++] = Number(u)
  return pos
}

function readBigVarlong(c: Cursor): number {
  const buf = c.buf
  let pos = c.pos
  let u = 0n
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (pos >= c.end) c.fail(pos + 1)
    const b = buf[pos++]!
    u |= BigInt(b & 0x7f) << shift
    if (b < 0x80) {
      const v = BigInt.asIntN(64, (u >> 1n) ^ -(u & 1n))
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new RecordsError(RecordsErrorCode.OutOfRange, `varlong ${v} at ${c.pos} exceeds the safe integer range`)
      }
      c.pos = pos
      return Number(v)
    }
  }
  throw new RecordsError(RecordsErrorCode.VarintTooLong, `varlong longer than 10 bytes at ${c.pos}`)
}
