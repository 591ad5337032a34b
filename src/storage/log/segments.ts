/**
 * The segments of one partition log, ordered by base offset. The last one is the active
 * segment. Lookups by offset are binary searches (O(log segments)); appends of new segments
 * and removal of old ones happen at the ends.
 */
import type { Segment } from './segment.js'

export class Segments {
  private list: Segment[] = []

  get count(): number {
    return this.list.length
  }

  get first(): Segment | undefined {
    return this.list[0]
  }

  get last(): Segment | undefined {
    return this.list[this.list.length - 1]
  }

  /** A snapshot: later adds and removes do not change the returned array. */
  all(): readonly Segment[] {
    return this.list.slice()
  }

  /** Adds a segment; base offsets must be unique. */
  add(segment: Segment): void {
    const i = this.upperBound(segment.baseOffset)
    if (i > 0 && this.list[i - 1]!.baseOffset === segment.baseOffset) {
      throw new Error(`duplicate segment base offset ${segment.baseOffset}`)
    }
    this.list.splice(i, 0, segment)
  }

  remove(segment: Segment): boolean {
    const i = this.list.indexOf(segment)
    if (i < 0) return false
    this.list.splice(i, 1)
    return true
  }

  /** The segment with the largest base offset <= offset: the one that would hold it. */
  floor(offset: number): Segment | undefined {
    const i = this.upperBound(offset)
    return i > 0 ? this.list[i - 1] : undefined
  }

  /** The segment right after `segment`, if any. */
  next(segment: Segment): Segment | undefined {
    const i = this.upperBound(segment.baseOffset)
    return this.list[i]
  }

  /** Segments that may hold offsets in [from, to): the floor of `from` and all after it below `to`. */
  range(from: number, to = Number.POSITIVE_INFINITY): Segment[] {
    const start = Math.max(0, this.upperBound(from) - 1)
    const out: Segment[] = []
    for (let i = start; i < this.list.length && this.list[i]!.baseOffset < to; i++) out.push(this.list[i]!)
    return out
  }

  sizeInBytes(): number {
    let total = 0
    for (const s of this.list) total += s.size
    return total
  }

  [Symbol.iterator](): Iterator<Segment> {
    return this.list.slice()[Symbol.iterator]()
  }

  /** Index of the first segment whose base offset is > offset. */
  private upperBound(offset: number): number {
    let lo = 0
    let hi = this.list.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.list[mid]!.baseOffset <= offset) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
