/**
 * Sticky-error reader over a Buffer. Once a read runs past the end or meets an impossible
 * length, every later read returns a default and `ok` stays false; the decoder checks once at
 * the end (see `finish`). This keeps generated decoders straight-line and makes absurd length
 * prefixes harmless: a length is never trusted beyond the bytes actually present.
 */
import { ProtocolError } from './protocol-error.js'
import { uuidFromBytes, ZERO_UUID } from './uuid.js'

const EMPTY = Buffer.alloc(0)

/**
 * Kafka 4.4's decoders refuse arrays of more elements and tagged-field sections of more
 * fields than these, whatever the frame holds: a count is bounded before anything is
 * allocated, not only by the bytes left (a 100 MiB frame could otherwise carry 100 million
 * one-byte elements).
 */
export const MAX_ARRAY_ELEMENTS = 1_000_000
export const MAX_TAGGED_FIELDS = 10_000

export interface TaggedField {
  tag: number
  data: Buffer
}

export class Reader {
  pos: number
  private readonly end: number
  private failure: string | undefined
  private view: DataView | undefined

  constructor(
    readonly buf: Buffer,
    offset = 0,
    end = buf.length,
  ) {
    this.pos = offset
    this.end = end
  }

  get ok(): boolean {
    return this.failure === undefined
  }

  get remaining(): number {
    return this.end - this.pos
  }

  /** Marks the reader failed; the first reason wins. */
  fail(reason: string): void {
    if (this.failure === undefined) this.failure = `${reason} at byte ${this.pos}`
    this.pos = this.end
  }

  /** Throws the sticky error, if any. Decoders call this once after the last field. */
  finish(what: string): void {
    if (this.failure !== undefined) throw new ProtocolError(`cannot decode ${what}: ${this.failure}`)
  }

  private take(n: number): number {
    const p = this.pos
    if (n < 0 || n > this.end - p) {
      this.fail(`need ${n} bytes, have ${this.end - p}`)
      return -1
    }
    this.pos = p + n
    return p
  }

  readInt8(): number {
    const p = this.take(1)
    return p < 0 ? 0 : this.buf.readInt8(p)
  }
  readInt16(): number {
    const p = this.take(2)
    return p < 0 ? 0 : this.buf.readInt16BE(p)
  }
  readUint16(): number {
    const p = this.take(2)
    return p < 0 ? 0 : this.buf.readUInt16BE(p)
  }
  readInt32(): number {
    const p = this.take(4)
    return p < 0 ? 0 : this.buf.readInt32BE(p)
  }
  readUint32(): number {
    const p = this.take(4)
    return p < 0 ? 0 : this.buf.readUInt32BE(p)
  }
  readInt64(): bigint {
    const p = this.take(8)
    if (p < 0) return 0n
    // A DataView makes the one bigint; Buffer.readBigInt64BE builds it from four (5x slower).
    this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)
    return this.view.getBigInt64(p)
  }
  readFloat64(): number {
    const p = this.take(8)
    return p < 0 ? 0 : this.buf.readDoubleBE(p)
  }
  readBool(): boolean {
    const p = this.take(1)
    return p < 0 ? false : this.buf[p] !== 0
  }
  readUuid(): string {
    const p = this.take(16)
    return p < 0 ? ZERO_UUID : uuidFromBytes(this.buf, p)
  }

  readUnsignedVarint(): number {
    let value = 0
    let shift = 0
    for (let i = 0; i < 5; i++) {
      const p = this.take(1)
      if (p < 0) return 0
      const b = this.buf[p]!
      value |= (b & 0x7f) << shift
      if ((b & 0x80) === 0) return value >>> 0
      shift += 7
    }
    this.fail('varint longer than 5 bytes')
    return 0
  }

  readVarint(): number {
    const u = this.readUnsignedVarint()
    return (u >>> 1) ^ -(u & 1)
  }

  readVarlong(): bigint {
    let value = 0n
    let shift = 0n
    for (let i = 0; i < 10; i++) {
      const p = this.take(1)
      if (p < 0) return 0n
      const b = this.buf[p]!
      value |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return BigInt.asIntN(64, (value >> 1n) ^ -(value & 1n))
      shift += 7n
    }
    this.fail('varlong longer than 10 bytes')
    return 0n
  }

  /** Length for a classic (int16/int32) or compact (uvarint+1) prefix; -1 means null. */
  private checkedLength(n: number, nullable: boolean, what: string): number {
    if (n < 0) {
      if (n === -1 && nullable) return -1
      this.fail(`invalid ${what} length ${n}`)
      return -2
    }
    if (n > this.end - this.pos) {
      this.fail(`${what} length ${n} exceeds the ${this.end - this.pos} bytes left`)
      return -2
    }
    return n
  }

  private stringOf(n: number): string {
    const p = this.pos
    this.pos += n
    return this.buf.toString('utf8', p, p + n)
  }

  readString(): string {
    const n = this.checkedLength(this.readInt16(), false, 'string')
    return n < 0 ? '' : this.stringOf(n)
  }
  readNullableString(): string | null {
    const n = this.checkedLength(this.readInt16(), true, 'string')
    return n === -1 ? null : n < 0 ? '' : this.stringOf(n)
  }
  readCompactString(): string {
    const n = this.checkedLength(this.readUnsignedVarint() - 1, false, 'string')
    return n < 0 ? '' : this.stringOf(n)
  }
  readCompactNullableString(): string | null {
    const n = this.checkedLength(this.readUnsignedVarint() - 1, true, 'string')
    return n === -1 ? null : n < 0 ? '' : this.stringOf(n)
  }

  /** Returns a view into the underlying buffer (no copy). */
  readRaw(n: number): Buffer {
    const p = this.take(n)
    return p < 0 ? EMPTY : this.buf.subarray(p, p + n)
  }

  readBytes(): Buffer {
    const n = this.checkedLength(this.readInt32(), false, 'bytes')
    return n < 0 ? EMPTY : this.readRaw(n)
  }
  readNullableBytes(): Buffer | null {
    const n = this.checkedLength(this.readInt32(), true, 'bytes')
    return n === -1 ? null : n < 0 ? EMPTY : this.readRaw(n)
  }
  readCompactBytes(): Buffer {
    const n = this.checkedLength(this.readUnsignedVarint() - 1, false, 'bytes')
    return n < 0 ? EMPTY : this.readRaw(n)
  }
  readCompactNullableBytes(): Buffer | null {
    const n = this.checkedLength(this.readUnsignedVarint() - 1, true, 'bytes')
    return n === -1 ? null : n < 0 ? EMPTY : this.readRaw(n)
  }

  /**
   * Array element count. Every element takes at least one byte, so a count larger than the
   * bytes left is rejected before anything is allocated, and so is one over
   * MAX_ARRAY_ELEMENTS.
   */
  readArrayLength(nullable: boolean): number {
    return this.arrayLength(this.readInt32(), nullable)
  }
  readCompactArrayLength(nullable: boolean): number {
    return this.arrayLength(this.readUnsignedVarint() - 1, nullable)
  }

  private arrayLength(n: number, nullable: boolean): number {
    const len = this.checkedLength(n, nullable, 'array')
    if (len > MAX_ARRAY_ELEMENTS) {
      this.fail(`array of ${len} elements exceeds the maximum of ${MAX_ARRAY_ELEMENTS}`)
      return -2
    }
    return len
  }

  /** Reads a tagged-field section, calling `known` for each tag; unknown ones are returned. */
  readTaggedFields(known: (tag: number, size: number) => boolean): TaggedField[] | undefined {
    const count = this.readUnsignedVarint()
    if (count > this.remaining) {
      this.fail(`tagged field count ${count} exceeds the bytes left`)
      return undefined
    }
    if (count > MAX_TAGGED_FIELDS) {
      this.fail(`${count} tagged fields exceed the maximum of ${MAX_TAGGED_FIELDS}`)
      return undefined
    }
    let unknown: TaggedField[] | undefined
    let last = -1
    for (let i = 0; i < count && this.ok; i++) {
      const tag = this.readUnsignedVarint()
      const size = this.readUnsignedVarint()
      if (tag <= last) {
        this.fail(`tagged fields out of order (${tag} after ${last})`)
        break
      }
      last = tag
      if (size > this.remaining) {
        this.fail(`tagged field ${tag} size ${size} exceeds the bytes left`)
        break
      }
      const start = this.pos
      if (known(tag, size)) {
        if (this.pos !== start + size) this.fail(`tagged field ${tag} declared ${size} bytes, used ${this.pos - start}`)
      } else {
        ;(unknown ??= []).push({ tag, data: this.readRaw(size) })
      }
    }
    return unknown
  }
}
