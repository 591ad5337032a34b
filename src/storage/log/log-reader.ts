/**
 * The read path of a partition log: turns (from offset, byte budget, offset bound) into byte
 * ranges of segment files, without reading the data itself.
 */
import { rangeFrom, type Segment } from './segment.js'
import type { BatchInfo } from './batch-scanner.js'
import type { Segments } from './segments.js'
import type { FileRange } from './types.js'

export interface RangeQuery {
  segments: Segments
  fromOffset: number
  /** Exclusive: no batch holding an offset >= this is included. At most the log end offset. */
  upperOffset: number
  logEndOffset: number
  /** Where the log end offset lies; bytes past it belong to an append still in flight. */
  end: { segment: Segment; position: number }
  maxBytes: number
  minOneBatch: boolean
}

/**
 * Starts at the batch holding `fromOffset` and continues into following segments while the
 * budget lasts. A range may end inside a batch only at the byte limit (the last range), never
 * between segments, so the ranges concatenate into a valid stream of batches.
 *
 * Synchronous when every offset it looks up is among the active segment's remembered batches
 * (a consumer keeping up, on every fetch); the first look-up that needs the index or the file
 * continues asynchronously from there.
 */
export function readRanges(q: RangeQuery): FileRange[] | Promise<FileRange[]> {
  // Nothing new (a long-polling consumer, re-read on every append to any partition it reads).
  if (q.fromOffset >= q.upperOffset) return []
  const walk = rangeWalk(q)
  let step = walk.next()
  while (!step.done) {
    const found = step.value.segment.translateOffset(step.value.offset)
    if (found instanceof Promise) return finishWalk(walk, found)
    step = walk.next(found)
  }
  return step.value
}

async function finishWalk(walk: RangeWalk, pending: Promise<BatchInfo | undefined>): Promise<FileRange[]> {
  let step = walk.next(await pending)
  while (!step.done) step = walk.next(await step.value.segment.translateOffset(step.value.offset))
  return step.value
}

/** An offset to find in a segment (Segment.translateOffset); the walk is resumed with the batch found. */
interface Lookup {
  segment: Segment
  offset: number
}

type RangeWalk = Generator<Lookup, FileRange[], BatchInfo | undefined>

/** The walk over segments, written once for both ways of answering its look-ups. */
function* rangeWalk(q: RangeQuery): RangeWalk {
  const ranges: FileRange[] = []
  let remaining = Math.max(0, q.maxBytes)
  let minOne = q.minOneBatch
  let from = q.fromOffset
  const segs = q.segments.range(q.fromOffset, q.upperOffset)
  for (let i = 0; i < segs.length && from < q.upperOffset; i++) {
    const seg = segs[i]!
    const next = segs[i + 1]
    // Bytes of this segment below the log end offset, then below the upper offset.
    const size = seg === q.end.segment ? q.end.position : seg.size
    const wholeSegment = next !== undefined || q.upperOffset >= q.logEndOffset
    const maxPosition = wholeSegment ? size : Math.min(size, (yield { segment: seg, offset: q.upperOffset })?.position ?? size)
    const first = yield { segment: seg, offset: from }
    if (!first) {
      // Nothing at or after `from` in this segment: continue with the next one.
      from = next?.baseOffset ?? q.upperOffset
      continue
    }
    const r = rangeFrom(first, { maxBytes: remaining, maxPosition, minOneBatch: minOne })
    if (r.length === 0) break
    ranges.push({ file: seg.log, position: r.position, length: r.length, firstOffset: r.first.baseOffset })
    remaining -= r.length
    minOne = false
    if (r.position + r.length < size || !next || remaining <= 0) break
    from = next.baseOffset
  }
  return ranges
}
