/**
 * ListOffsets lookups by timestamp over a log's segments: the first offset whose timestamp is
 * >= t (via each segment's time index), and the offset of the largest timestamp.
 */
import type { BatchInfo } from './batch-scanner.js'
import type { Segment } from './segment.js'
import type { OffsetAndTimestamp, RecordLocator } from './types.js'

export async function offsetForTimestamp(args: {
  segments: readonly Segment[]
  timestamp: number
  logStartOffset: number
  locate?: RecordLocator
}): Promise<OffsetAndTimestamp | undefined> {
  const { timestamp, logStartOffset, locate } = args
  for (const seg of args.segments) {
    if ((await seg.largestTimestamp()) < timestamp) continue
    const found = await seg.searchByTimestamp({
      timestamp,
      startingOffset: logStartOffset,
      accept: async (b) => {
        if (!locate) return { offset: Math.max(b.baseOffset, logStartOffset), timestamp: b.maxTimestamp, leaderEpoch: b.partitionLeaderEpoch }
        const records = await locate(await readBatch(seg, b))
        const hit = records.find((r) => r.timestamp >= timestamp && r.offset >= logStartOffset)
        return hit ? { offset: hit.offset, timestamp: hit.timestamp, leaderEpoch: b.partitionLeaderEpoch } : undefined
      },
    })
    if (found) return found
  }
  return undefined
}

export async function offsetOfMaxTimestamp(args: { segments: readonly Segment[]; locate?: RecordLocator }): Promise<OffsetAndTimestamp | undefined> {
  let best: { seg: Segment; timestamp: number; offset: number } | undefined
  for (const seg of args.segments) {
    const m = await seg.maxTimestampAndOffset()
    if (m.timestamp >= 0 && (!best || m.timestamp > best.timestamp)) best = { seg, ...m }
  }
  if (!best) return undefined
  const batch = await best.seg.translateOffset(best.offset)
  if (!batch) return { offset: best.offset, timestamp: best.timestamp, leaderEpoch: -1 }
  if (args.locate) {
    const records = await args.locate(await readBatch(best.seg, batch))
    const hit = records.find((r) => r.timestamp === batch.maxTimestamp)
    if (hit) return { offset: hit.offset, timestamp: hit.timestamp, leaderEpoch: batch.partitionLeaderEpoch }
  }
  return { offset: batch.baseOffset, timestamp: batch.maxTimestamp, leaderEpoch: batch.partitionLeaderEpoch }
}

function readBatch(seg: Segment, b: BatchInfo): Promise<Buffer> {
  return seg.readBytes(b.position, b.size)
}
