/**
 * Checks what producers were told against what a consumer reads back afterwards (the checker
 * of the kill, failover and chaos tests). Each record carries an id; the history says which
 * were acknowledged (and at which offset), which failed or were left unanswered (they may or
 * may not have been written, so they may appear at most once), and in which order each
 * partition's records were sent. The anomalies it reports, in Jepsen's terms:
 * - lost: an acknowledged record that is not there;
 * - duplicated: a record found more than once (a retry that should have been deduplicated, or
 *   a replica that appended twice);
 * - moved: an acknowledged record found at another offset than the one acknowledged (offsets
 *   that changed under a client's feet);
 * - reordered: two records of one partition found in the opposite order to their sending;
 * - phantom: a record nobody sent, or an offset read twice.
 * A run passes when every list is empty.
 */

export type AttemptStatus = 'acked' | 'failed' | 'unknown'

export interface Attempt {
  id: string
  partition: number
  /** Position in the order this partition's records were sent. */
  seq: number
  status: AttemptStatus
  /** The offset the producer was told (acked records). */
  offset?: number
}

export interface ReadRecord {
  partition: number
  offset: number
  /** The record's id; null for a record the checker cannot attribute (counted as phantom). */
  id: string | null
}

export interface Anomalies {
  lost: Attempt[]
  duplicated: Array<{ id: string; partition: number; offsets: number[] }>
  moved: Array<{ id: string; partition: number; acked: number; found: number }>
  reordered: Array<{ partition: number; first: string; second: string }>
  phantom: ReadRecord[]
}

export interface HistoryReport extends Anomalies {
  /** Acknowledged records checked. */
  acked: number
  /** Records that failed or went unanswered, and how many of them were written anyway. */
  uncertain: number
  uncertainWritten: number
  read: number
}

export function checkHistory(attempts: readonly Attempt[], reads: readonly ReadRecord[]): HistoryReport {
  const byId = new Map<string, Attempt>()
  for (const a of attempts) byId.set(a.id, a)
  const found = new Map<string, number[]>()
  const phantom: ReadRecord[] = []
  const seenOffsets = new Set<string>()
  for (const r of reads) {
    const where = `${r.partition}:${r.offset}`
    if (seenOffsets.has(where)) {
      phantom.push(r)
      continue
    }
    seenOffsets.add(where)
    const a = r.id === null ? undefined : byId.get(r.id)
    if (!a || a.partition !== r.partition) {
      phantom.push(r)
      continue
    }
    const list = found.get(a.id) ?? []
    list.push(r.offset)
    found.set(a.id, list)
  }
  const report: HistoryReport = { lost: [], duplicated: [], moved: [], reordered: [], phantom, acked: 0, uncertain: 0, uncertainWritten: 0, read: reads.length }
  for (const a of attempts) {
    const offsets = found.get(a.id) ?? []
    if (offsets.length > 1) report.duplicated.push({ id: a.id, partition: a.partition, offsets: [...offsets].sort((x, y) => x - y) })
    if (a.status === 'acked') {
      report.acked++
      if (offsets.length === 0) report.lost.push(a)
      else if (a.offset !== undefined && !offsets.includes(a.offset)) report.moved.push({ id: a.id, partition: a.partition, acked: a.offset, found: offsets[0]! })
    } else {
      report.uncertain++
      if (offsets.length > 0) report.uncertainWritten++
    }
  }
  // Order: within a partition, records found must have offsets increasing with their send order.
  const perPartition = new Map<number, Array<{ a: Attempt; offset: number }>>()
  for (const a of attempts) {
    const offsets = found.get(a.id)
    if (!offsets || offsets.length === 0) continue
    const list = perPartition.get(a.partition) ?? []
    list.push({ a, offset: Math.min(...offsets) })
    perPartition.set(a.partition, list)
  }
  for (const [partition, list] of perPartition) {
    list.sort((x, y) => x.a.seq - y.a.seq)
    for (let i = 1; i < list.length; i++) {
      if (list[i]!.offset < list[i - 1]!.offset) report.reordered.push({ partition, first: list[i - 1]!.a.id, second: list[i]!.a.id })
    }
  }
  return report
}

export function anomalyCount(r: Anomalies): number {
  return r.lost.length + r.duplicated.length + r.moved.length + r.reordered.length + r.phantom.length
}

/** One line for a test's assertion message: the counts, and the first few of each anomaly. */
export function describeReport(r: HistoryReport): string {
  const head = <T>(xs: T[]) => JSON.stringify(xs.slice(0, 5))
  return (
    `acked ${r.acked}, uncertain ${r.uncertain} (${r.uncertainWritten} written), read ${r.read}; ` +
    `lost ${r.lost.length} ${head(r.lost)}, duplicated ${r.duplicated.length} ${head(r.duplicated)}, moved ${r.moved.length} ${head(r.moved)}, ` +
    `reordered ${r.reordered.length} ${head(r.reordered)}, phantom ${r.phantom.length} ${head(r.phantom)}`
  )
}
