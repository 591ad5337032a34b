/**
 * Which old segments retention deletes, as Kafka decides it. Three rules each pick a run of
 * the oldest segments; the union (the longest run) is deleted:
 *  - log start offset: segments wholly below it (after DeleteRecords);
 *  - retention.bytes: oldest segments while the log stays at or above the limit without them;
 *  - retention.ms: oldest segments whose newest timestamp is older than the limit.
 * A segment is never deleted while it holds offsets at or above the high watermark, and an
 * empty last segment is never deleted. When every segment goes, the log rolls first so the
 * active segment itself is never removed.
 */

import type { Segment } from './segment.js'

export interface RetentionCandidate {
  baseOffset: number
  size: number
  /** Next segment's base offset, or the log end offset for the last segment. */
  upperBoundOffset: number
  isLast: boolean
  /** The newest timestamp in the segment (or its mtime); loaded only if retention.ms needs it. */
  largestTimestamp(): Promise<number>
}

export interface RetentionPolicy {
  now: number
  retentionMs: number
  retentionBytes: number
  logStartOffset: number
  highWatermark: number
}

export type RetentionReason = 'log-start-offset' | 'retention.bytes' | 'retention.ms'

export interface RetentionPlan {
  /** How many of the oldest segments to delete. */
  count: number
  reasons: RetentionReason[]
}

export async function planRetention(candidates: readonly RetentionCandidate[], policy: RetentionPolicy): Promise<RetentionPlan> {
  const deletable = (c: RetentionCandidate): boolean => policy.highWatermark >= c.upperBoundOffset && !(c.isLast && c.size === 0)
  const reasons: RetentionReason[] = []
  let count = 0
  const consider = (n: number, reason: RetentionReason): void => {
    if (n > 0) reasons.push(reason)
    count = Math.max(count, n)
  }

  let n = 0
  while (n < candidates.length && !candidates[n]!.isLast && deletable(candidates[n]!) && candidates[n]!.upperBoundOffset <= policy.logStartOffset) n++
  consider(n, 'log-start-offset')

  if (policy.retentionBytes >= 0) {
    let diff = candidates.reduce((sum, c) => sum + c.size, 0) - policy.retentionBytes
    n = 0
    while (n < candidates.length && deletable(candidates[n]!) && diff - candidates[n]!.size >= 0) {
      diff -= candidates[n]!.size
      n++
    }
    consider(n, 'retention.bytes')
  }

  if (policy.retentionMs >= 0) {
    n = 0
    while (n < candidates.length && deletable(candidates[n]!) && policy.now - (await candidates[n]!.largestTimestamp()) > policy.retentionMs) n++
    consider(n, 'retention.ms')
  }
  return { count, reasons }
}

/** Describes a log's segments (oldest first) for planRetention. */
export function retentionCandidates(segments: readonly Segment[], logEndOffset: number): RetentionCandidate[] {
  return segments.map((s, i) => ({
    baseOffset: s.baseOffset,
    size: s.size,
    upperBoundOffset: segments[i + 1]?.baseOffset ?? logEndOffset,
    isLast: i === segments.length - 1,
    largestTimestamp: () => s.largestTimestamp(),
  }))
}
