/**
 * ListOffsets v0 (Kafka before 0.10.1): up to `maxNumOffsets` offsets "before" a time, where
 * a log only knows time by its segments' file modification times (Kafka's
 * UnifiedLog.legacyFetchOffsetsBefore, kept until Kafka 4): each segment's base offset (at
 * least the log start offset) paired with its file's mtime, plus the log end offset paired with
 * now when the active segment holds data. -1 (latest) starts from the last pair, -2 (earliest)
 * from the first, any other time from the last pair whose mtime is <= it; offsets are then
 * taken from there backwards, largest first. The result has at most one entry per segment
 * plus one, whatever `maxNumOffsets` asks.
 */
import { stat } from 'node:fs/promises'
import { isNotFound } from '../errors.js'
import type { Segment } from './segment.js'

const LATEST = -1
const EARLIEST = -2

export interface LegacyOffsetsQuery {
  segments: readonly Segment[]
  logStartOffset: number
  logEndOffset: number
  now: number
  timestamp: number
  maxNumOffsets: number
}

export async function legacyOffsetsBefore(q: LegacyOffsetsQuery): Promise<number[]> {
  const pairs: Array<{ offset: number; time: number }> = []
  for (const s of q.segments) pairs.push({ offset: Math.max(s.baseOffset, q.logStartOffset), time: await lastModified(s) })
  const last = q.segments[q.segments.length - 1]
  if (last && last.size > 0) pairs.push({ offset: q.logEndOffset, time: q.now })

  let start: number
  if (q.timestamp === LATEST) start = pairs.length - 1
  else if (q.timestamp === EARLIEST) start = 0
  else {
    start = pairs.length - 1
    while (start >= 0 && pairs[start]!.time > q.timestamp) start--
  }
  const n = Math.max(0, Math.min(q.maxNumOffsets, start + 1))
  const out: number[] = []
  for (let j = 0; j < n; j++) out.push(pairs[start - j]!.offset)
  return out.sort((a, b) => b - a)
}

async function lastModified(s: Segment): Promise<number> {
  try {
    return Math.floor((await stat(s.log.path)).mtimeMs)
  } catch (err) {
    if (isNotFound(err)) return -1
    throw err
  }
}
