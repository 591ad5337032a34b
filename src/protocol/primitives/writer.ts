/**
 * Growable big-endian writer. Large raw payloads (record batches) are not copied: they are
 * kept as separate chunks, so a Fetch response can go to the socket with writev straight
 * from the buffers the log was read into.
 */
import { ProtocolError } from './protocol-error.js'
import { uuidToBytes } from './uuid.js'
import type { TaggedField } from './reader.js'

/** Payloads at least this large are referenced instead of copied. */
const ZERO_COPY_MIN = 1024
const MIN_INT64 = -(2n ** 63n)
const MAX_INT64 = 2n ** 63n - 1n

export class Writer {
  private buf: Buffer
  private pos = 0
  /** Start in `buf` of the bytes not yet moved into `chunks`. */
  private chunkStart = 0
  private readonly chunks: Buffer[] = []
  private chunked = 0
  /** Over `buf`, made at the first int64 written into it (and again after `buf` grows). */
  private view: DataView | undefined

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize)
  }

  /** Bytes written so far. */
  get length(): number {
    return this.chunked + this.pos - this.chunkStart
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    const live = this.pos - this.chunkStart
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, live + n, 256))
    this.buf.copy(next, 0, this.chunkStart, this.pos)
    // Bytes before chunkStart already live in `chunks` as views of the old buffer.
    this.buf = next
    this.view = undefined
    this.chunkStart = 0
    this.pos = live
  }

  writeInt8(v: number): void {
    this.ensure(1)
    this.buf.writeInt8(v, this.pos)
    this.pos += 1
  }
  writeInt16(v: number): void {
    this.ensure(2)
    this.buf.writeInt16BE(v, this.pos)
    this.pos += 2
  }
  writeUint16(v: number): void {
    this.ensure(2)
    this.buf.writeUInt16BE(v, this.pos)
    this.pos += 2
  }
  writeInt32(v: number): void {
    this.ensure(4)
    this.buf.writeInt32BE(v, this.pos)
    this.pos += 4
  }
  writeUint32(v: number): void {
    this.ensure(4)
    this.buf.writeUInt32BE(v, this.pos)
    this.pos += 4
  }
  writeInt64(v: bigint): void {
    if (v < MIN_INT64 || v > MAX_INT64) throw new ProtocolError(`${v} is outside the range of an int64`)
    this.ensure(8)
    // Buffer.writeBigInt64BE makes three bigints per value on the way (7x slower).
    this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)
    this.view.setBigInt64(this.pos, v)
    this.pos += 8
  }
  writeFloat64(v: number): void {
    this.ensure(8)
    this.buf.writeDoubleBE(v, this.pos)
    this.pos += 8
  }
  writeBool(v: boolean): void {
    this.ensure(1)
    this.buf[this.pos++] = v ? 1 : 0
  }
  writeUuid(v: string): void {
    this.ensure(16)
    uuidToBytes(v, this.buf, this.pos)
    this.pos += 16
  }

  writeUnsignedVarint(v: number): void {
    this.ensure(5)
    let x = v >>> 0
    while (x >= 0x80) {
      this.buf[this.pos++] = (x & 0x7f) | 0x80
      x >>>= 7
    }
    this.buf[this.pos++] = x
  }
  writeVarint(v: number): void {
    this.writeUnsignedVarint((v << 1) ^ (v >> 31))
  }
  writeVarlong(v: bigint): void {
    this.ensure(10)
    let x = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80
      x >>= 7n
    }
    this.buf[this.pos++] = Number(x)
  }

  writeRaw(b: Uint8Array): void {
    if (b.length >= ZERO_COPY_MIN) {
      this.flushChunk()
      this.chunks.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength))
      this.chunked += b.length
      return
    }
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
  }

  private flushChunk(): void {
    if (this.pos > this.chunkStart) {
      this.chunks.push(this.buf.subarray(this.chunkStart, this.pos))
      this.chunked += this.pos - this.chunkStart
      this.chunkStart = this.pos
    }
  }

  private writeUtf8(s: string, len: number): void {
    this.ensure(len)
    this.buf.write(s, this.pos, len, 'utf8')
    this.pos += len
  }

  writeString(s: string): void {
    const len = Buffer.byteLength(s)
    if (len > 0x7fff) throw new ProtocolError(`string of ${len} bytes exceeds int16 length`)
    this.writeInt16(len)
    this.writeUtf8(s, len)
  }
  writeNullableString(s: string | null): void {
    if (s === null) this.writeInt16(-1)
    else this.writeString(s)
  }
  writeCompactString(s: string): void {
    const len = Buffer.byteLength(s)
    this.writeUnsignedVarint(len + 1)
    this.writeUtf8(s, len)
  }
  writeCompactNullableString(s: string | null): void {
    if (s === null) this.writeUnsignedVarint(0)
    else this.writeCompactString(s)
  }
  writeBytes(b: Uint8Array): void {
    this.writeInt32(b.length)
    this.writeRaw(b)
  }
  writeNullableBytes(b: Uint8Array | null): void {
    if (b === null) this.writeInt32(-1)
    else this.writeBytes(b)
  }
  writeCompactBytes(b: Uint8Array): void {
    this.writeUnsignedVarint(b.length + 1)
    this.writeRaw(b)
  }
  writeCompactNullableBytes(b: Uint8Array | null): void {
    if (b === null) this.writeUnsignedVarint(0)
    else this.writeCompactBytes(b)
  }
  writeArrayLength(n: number): void {
    this.writeInt32(n)
  }
  writeCompactArrayLength(n: number): void {
    this.writeUnsignedVarint(n + 1)
  }

  /**
   * Writes a tagged-field section: `known` holds [tag, encoder] for tags whose value differs
   * from the default, `unknown` those kept from decoding. Tags go out in ascending order.
   */
  writeTaggedFields(known: Array<[number, (w: Writer) => void]> | undefined, unknown: readonly TaggedField[] | undefined): void {
    // Every flexible struct ends here, nearly always with nothing to write: skip the allocations.
    if (known === undefined && (unknown === undefined || unknown.length === 0)) {
      this.writeUnsignedVarint(0)
      return
    }
    const fields: Array<{ tag: number; data: Buffer }> = []
    if (known) {
      for (const [tag, enc] of known) {
        const sub = new Writer(32)
        enc(sub)
        fields.push({ tag, data: sub.toBuffer() })
      }
    }
    if (unknown) fields.push(...unknown)
    if (fields.length > 1) fields.sort((a, b) => a.tag - b.tag)
    this.writeUnsignedVarint(fields.length)
    for (const f of fields) {
      this.writeUnsignedVarint(f.tag)
      this.writeUnsignedVarint(f.data.length)
      this.writeRaw(f.data)
    }
  }

  /** Overwrites an int32 written earlier at absolute position `at` (e.g. a size prefix). */
  patchInt32(at: number, v: number): void {
    if (at < this.chunked) {
      let base = 0
      for (const c of this.chunks) {
        if (at < base + c.length) {
          if (at + 4 > base + c.length) throw new ProtocolError('patch spans chunks')
          c.writeInt32BE(v, at - base)
          return
        }
        base += c.length
      }
    }
    this.buf.writeInt32BE(v, this.chunkStart + at - this.chunked)
  }

  /** The written bytes as a list of buffers (no copy of large payloads). */
  toChunks(): Buffer[] {
    this.flushChunk()
    return this.chunks
  }

  toBuffer(): Buffer {
    if (this.chunks.length === 0) return this.buf.subarray(0, this.pos)
    this.flushChunk()
    return Buffer.concat(this.chunks, this.chunked)
  }
}
