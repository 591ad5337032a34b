/**
 * Sparse map from offset to file position in one segment (`.index`). Each 8-byte entry is
 * (offset - baseOffset: int32, position: int32), big-endian, as in Kafka.
 *
 * An entry (o, p) says the batch starting at p ends at offset o, so every batch holding an
 * offset >= o starts at or after p: a lookup gives a position from which to scan forward.
 */
import { FixedIndex, type IndexOptions } from './fixed-index.js'

export interface OffsetPosition {
  offset: number
  position: number
}

export class OffsetIndex extends FixedIndex {
  readonly entrySize = 8

  constructor(options: IndexOptions) {
    super(options)
  }

  offsetAt(n: number): number {
    return this.baseOffset + this.buf.readInt32BE(this.slot(n))
  }

  positionAt(n: number): number {
    return this.buf.readInt32BE(this.slot(n) + 4)
  }

  /** The last entry, or (baseOffset, 0) when empty. */
  lastEntry(): OffsetPosition {
    if (this.count === 0) return { offset: this.baseOffset, position: 0 }
    return { offset: this.offsetAt(this.count - 1), position: this.positionAt(this.count - 1) }
  }

  append(offset: number, position: number): void {
    if (this.count > 0 && offset <= this.offsetAt(this.count - 1)) {
      throw new Error(`offset index: ${offset} is not larger than the last entry ${this.offsetAt(this.count - 1)} in ${this.path}`)
    }
    if (!this.canAppendOffset(offset)) throw new Error(`offset index: ${offset} does not fit base offset ${this.baseOffset}`)
    const at = this.reserve()
    this.buf.writeInt32BE(offset - this.baseOffset, at)
    this.buf.writeInt32BE(position, at + 4)
    this.commitAppend()
  }

  /** The entry with the largest offset <= target, or (baseOffset, 0). */
  lookup(target: number): OffsetPosition {
    const slot = this.largestLowerBound(target, (n) => this.offsetAt(n))
    if (slot < 0) return { offset: this.baseOffset, position: 0 }
    return { offset: this.offsetAt(slot), position: this.positionAt(slot) }
  }

  /** Removes entries for offsets >= offset. */
  truncateTo(offset: number): void {
    const slot = this.largestLowerBound(offset - 1, (n) => this.offsetAt(n))
    this.truncateToEntries(slot + 1)
  }

  /** Removes entries whose batch starts at or after `position`. */
  truncateToPosition(position: number): void {
    const slot = this.largestLowerBound(position - 1, (n) => this.positionAt(n))
    this.truncateToEntries(slot + 1)
  }

  /** Returns why the loaded entries cannot describe a log of `logSize` bytes, or undefined. */
  findInconsistency(logSize: number): string | undefined {
    let prevOffset = -1
    let prevPosition = -1
    for (let n = 0; n < this.count; n++) {
      const rel = this.buf.readInt32BE(this.slot(n))
      const pos = this.positionAt(n)
      if (rel < 0 || rel <= prevOffset) return `entry ${n}: relative offset ${rel} after ${prevOffset}`
      if (pos <= prevPosition || pos >= logSize) return `entry ${n}: position ${pos} (log size ${logSize})`
      prevOffset = rel
      prevPosition = pos
    }
    return undefined
  }
}
