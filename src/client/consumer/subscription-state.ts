/**
 * What the consumer reads and where it stands (Kafka's SubscriptionState): the subscription
 * (topic list, RegExp, or manual assignment), the assigned partitions, and per partition two
 * offsets:
 *
 * - `position`: the next offset to hand to the application. It moves as records are handed
 *   out; commits, `position()` and the rebalance commit use it.
 * - `fetchPosition`: the next offset to fetch. It runs ahead of `position` by what is buffered
 *   (prefetch), and both are set together by a seek or an offset reset.
 *
 * `fetchEpoch` changes whenever a partition's offsets are set from outside the fetch flow (seek,
 * reset, reassignment): fetch responses and buffered data carry the epoch they were requested
 * under, and anything from an older epoch is dropped rather than delivered out of place.
 */
import { tpKey, type TopicPartition } from '../base/types.js'
import type { CommitOffset, RebalanceListener } from './types.js'

export type ResetStrategy = 'earliest' | 'latest'

export class PartitionState {
  readonly key: string
  position: bigint | null = null
  /** Leader epoch of the last record handed out (committed with the offset, KIP-320). */
  positionLeaderEpoch: number | null = null
  fetchPosition: bigint | null = null
  fetchEpoch = 0
  paused = false
  /** An offset reset waiting for ListOffsets. */
  reset: ResetStrategy | null = null
  /** No position and none to be had (autoOffsetReset 'none', or out of range under 'none'): not fetched until a seek. */
  failed = false
  highWatermark = -1n
  lastStableOffset = -1n
  logStartOffset = -1n
  /** Bytes of fetched, undelivered record data; bounds the prefetch. */
  bufferedBytes = 0
  /** Not fetched (or looked up) before this time: backoff after an error or a stale leader. */
  retryAt = 0
  /** Set once the partition leaves the assignment; in-flight work for it is then dropped. */
  removed = false

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {
    this.key = tpKey(topic, partition)
  }

  /** Sets both offsets (seek, committed offset, reset), invalidating fetched data. */
  seek(offset: bigint, leaderEpoch: number | null = null): void {
    this.position = offset
    this.positionLeaderEpoch = leaderEpoch
    this.fetchPosition = offset
    this.reset = null
    this.failed = false
    this.fetchEpoch++
    this.retryAt = 0
  }

  requestReset(strategy: ResetStrategy): void {
    this.position = null
    this.fetchPosition = null
    this.reset = strategy
    this.failed = false
    this.fetchEpoch++
    this.retryAt = 0
  }

  /** Whether an offset lookup (committed offset or reset) is needed before fetching. */
  get needsPosition(): boolean {
    return this.position === null && !this.failed
  }

  toTopicPartition(): TopicPartition {
    return { topic: this.topic, partition: this.partition }
  }
}

export type SubscriptionMode = 'none' | 'topics' | 'pattern' | 'manual'

export class SubscriptionState {
  mode: SubscriptionMode = 'none'
  /** Subscribed topics: as given, or the RegExp's current matches. */
  topics: string[] = []
  pattern: RegExp | null = null
  listener: RebalanceListener | null = null
  private readonly parts = new Map<string, PartitionState>()
  /** Cached list of `parts`' values, rebuilt on change (the fetcher walks it on every pass). */
  private list: PartitionState[] = []

  get isGroupManaged(): boolean {
    return this.mode === 'topics' || this.mode === 'pattern'
  }

  subscribeTopics(topics: string[], listener: RebalanceListener | null): void {
    this.mode = 'topics'
    this.topics = [...new Set(topics)].sort()
    this.pattern = null
    this.listener = listener
  }

  subscribePattern(pattern: RegExp, listener: RebalanceListener | null): void {
    this.mode = 'pattern'
    this.pattern = pattern
    this.topics = []
    this.listener = listener
  }

  /** Applies a RegExp subscription to the cluster's topic names; true when the match set changed. */
  matchPattern(allTopics: Iterable<string>, isInternal: (t: string) => boolean): boolean {
    if (this.pattern === null) return false
    const re = new RegExp(this.pattern.source, this.pattern.flags.replace(/[gy]/g, ''))
    const next: string[] = []
    for (const t of allTopics) if (!isInternal(t) && re.test(t)) next.push(t)
    next.sort()
    const changed = next.length !== this.topics.length || next.some((t, i) => t !== this.topics[i])
    this.topics = next
    return changed
  }

  /** Manual assignment: the partitions as given, no group management. */
  assignManual(tps: TopicPartition[]): { added: PartitionState[]; removed: PartitionState[] } {
    this.mode = tps.length === 0 ? 'none' : 'manual'
    this.topics = [...new Set(tps.map((tp) => tp.topic))].sort()
    this.pattern = null
    this.listener = null
    return this.setAssignment(tps)
  }

  unsubscribe(): PartitionState[] {
    const { removed } = this.setAssignment([])
    this.mode = 'none'
    this.topics = []
    this.pattern = null
    this.listener = null
    return removed
  }

  /**
   * Replaces the assignment. Partitions that stay keep their state (position, pause), so a
   * cooperative rebalance does not disturb them.
   */
  setAssignment(tps: readonly TopicPartition[]): { added: PartitionState[]; removed: PartitionState[] } {
    const next = new Map<string, PartitionState>()
    const added: PartitionState[] = []
    for (const tp of tps) {
      const key = tpKey(tp.topic, tp.partition)
      if (next.has(key)) continue
      let s = this.parts.get(key)
      if (!s) {
        s = new PartitionState(tp.topic, tp.partition)
        added.push(s)
      }
      next.set(key, s)
    }
    const removed: PartitionState[] = []
    for (const [key, s] of this.parts) {
      if (!next.has(key)) {
        s.removed = true
        removed.push(s)
      }
    }
    this.parts.clear()
    for (const [k, s] of next) this.parts.set(k, s)
    this.list = [...next.values()]
    return { added, removed }
  }

  get(topic: string, partition: number): PartitionState | undefined {
    return this.parts.get(tpKey(topic, partition))
  }

  /** Whether the partition is assigned. */
  has(tp: TopicPartition): boolean {
    return this.parts.has(tpKey(tp.topic, tp.partition))
  }

  assigned(): readonly PartitionState[] {
    return this.list
  }

  assignedPartitions(): TopicPartition[] {
    return this.list.map((s) => s.toTopicPartition())
  }

  /** Positions of every partition that has one: what an automatic commit sends. */
  consumedOffsets(): CommitOffset[] {
    const out: CommitOffset[] = []
    for (const s of this.list) {
      if (s.position !== null) out.push({ topic: s.topic, partition: s.partition, offset: s.position, leaderEpoch: s.positionLeaderEpoch })
    }
    return out
  }
}
