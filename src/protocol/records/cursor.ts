/**
 * A bounds-checked read position over a buffer. Every overrun throws RecordsError('truncated')
 * so that malformed input never surfaces as a RangeError from Buffer's readers.
 */
import { RecordsError, RecordsErrorCode } from './errors.js'

export class Cursor {
  buf: Buffer
  pos: number
  end: number

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf
    this.pos = pos
    this.end = end
  }

  get remaining(): number {
    return this.end - this.pos
  }

  /** Throws the overrun error for a read that would need bytes up to `needEnd`. */
  fail(needEnd: number): never {
    throw new RecordsError(
      RecordsErrorCode.Truncated,
      `input ends at ${this.end}, needed ${needEnd - this.end} more byte(s) at ${this.pos}`,
    )
  }

  need(n: number): void {
    if (this.pos + n > this.end) this.fail(this.pos + n)
  }

  readInt8(): number {
    this.need(1)
    return this.buf.readInt8(this.pos++)
  }

  readInt16(): number {
    this.need(2)
    const v = this.buf.readInt16BE(this.pos)
    this.pos += 2
    return v
  }

  readInt32(): number {
    this.need(4)
    const v = this.buf.readInt32BE(this.pos)
    this.pos += 4
    return v
  }

  readUInt32(): number {
    this.need(4)
    const v = this.buf.readUInt32BE(this.pos)
    this.pos += 4
    return v
  }

  readInt64(): bigint {
    this.need(8)
    const v = this.buf.readBigInt64BE(this.pos)
    this.pos += 8
    return v
  }

  /** A view (not a copy) of the next `n` bytes. */
  readBytes(n: number): Buffer {
    this.need(n)
    const v = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return v
  }
}
