/**
 * Sparse map from timestamp to offset in one segment (`.timeindex`). Each 12-byte entry is
 * (timestamp: int64, offset - baseOffset: int32), big-endian, as in Kafka. Timestamps strictly
 * increase: an entry (t, o) says no batch before the one ending at offset o has a timestamp
 * above t. When the segment stops being active, a last entry records its maximum timestamp,
 * so the segment's newest timestamp is known after a restart without reading the log.
 */
import { readInt64, writeInt64 } from '../io/files.js'
import { FixedIndex, type IndexOptions } from './fixed-index.js'

export interface TimestampOffset {
  timestamp: number
  offset: number
}

export class TimeIndex extends FixedIndex {
  readonly entrySize = 12

  constructor(options: IndexOptions) {
    super(options)
  }

  timestampAt(n: number): number {
    return readInt64(this.buf, this.slot(n))
  }

  offsetAt(n: number): number {
    return this.baseOffset + this.buf.readInt32BE(this.slot(n) + 8)
  }

  /** The last entry, or (-1, baseOffset) when empty. */
  lastEntry(): TimestampOffset {
    if (this.count === 0) return { timestamp: -1, offset: this.baseOffset }
    return { timestamp: this.timestampAt(this.count - 1), offset: this.offsetAt(this.count - 1) }
  }

  /**
   * Adds (timestamp, offset) if the timestamp is newer than the last entry. `skipFullCheck`
   * lets the final entry be written into a full index when the segment is rolled.
   */
  maybeAppend(timestamp: number, offset: number, options: { skipFullCheck?: boolean } = {}): void {
    if (!options.skipFullCheck && this.isFull()) throw new Error(`time index ${this.path} is full`)
    // Against an empty index this compares with -1 (Kafka's NO_TIMESTAMP): a batch without a
    // timestamp never gets an entry.
    const last = this.lastEntry()
    if (timestamp <= last.timestamp) return
    if (this.count > 0 && offset < last.offset) throw new Error(`time index: offset ${offset} is before the last entry's ${last.offset} in ${this.path}`)
    if (!this.canAppendOffset(offset)) throw new Error(`time index: ${offset} does not fit base offset ${this.baseOffset}`)
    const at = this.reserve()
    writeInt64(this.buf, timestamp, at)
    this.buf.writeInt32BE(offset - this.baseOffset, at + 8)
    this.commitAppend()
  }

  /** The entry with the largest timestamp <= target, or (-1, baseOffset). */
  lookup(target: number): TimestampOffset {
    const slot = this.largestLowerBound(target, (n) => this.timestampAt(n))
    if (slot < 0) return { timestamp: -1, offset: this.baseOffset }
    return { timestamp: this.timestampAt(slot), offset: this.offsetAt(slot) }
  }

  /** Removes entries pointing at offsets >= offset. */
  truncateTo(offset: number): void {
    const slot = this.largestLowerBound(offset - 1, (n) => this.offsetAt(n))
    this.truncateToEntries(slot + 1)
  }

  findInconsistency(): string | undefined {
    let prevTs = Number.NEGATIVE_INFINITY
    let prevRel = -1
    for (let n = 0; n < this.count; n++) {
      const ts = this.timestampAt(n)
      const rel = this.buf.readInt32BE(this.slot(n) + 8)
      if (ts <= prevTs) return `entry ${n}: timestamp ${ts} after ${prevTs}`
      if (rel < 0 || rel < prevRel) return `entry ${n}: relative offset ${rel} after ${prevRel}`
      prevTs = ts
      prevRel = rel
    }
    return undefined
  }
}
