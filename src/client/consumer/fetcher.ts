/**
 * The fetch loop (Java's Fetcher / AbstractFetch): keeps one Fetch in flight per partition
 * leader, for the assigned partitions that have a position, are not paused and have at most
 * maxPartitionFetchBytes buffered, while everything buffered stays under fetchMaxBytes. Data is
 * prefetched while the application works: a partition can have one response being read and the
 * next one in flight or waiting, so reading never has to wait for a round trip when the broker
 * keeps up. When the application uses up a response the fetcher is woken to ask for more.
 * (Java fetches a partition again only once its buffered data is used up.)
 *
 * Each request remembers, per partition, the fetch epoch and offset it asked for; a response
 * for a partition seeked, reset or revoked in the meantime is dropped (see subscription-state.ts).
 *
 * Errors per partition, as Java handles them:
 * - stale leadership (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, FENCED_LEADER_EPOCH,
 *   UNKNOWN_TOPIC_ID, ...): back off the partition, refresh metadata, fetch from the new leader.
 * - OFFSET_OUT_OF_RANGE: reset by autoOffsetReset; with 'none' the error goes to the
 *   application and the partition waits for a seek.
 * - anything else (authorization, corrupt data): reported to the application.
 * A failed request (connection lost, timeout) backs off its partitions and refreshes metadata.
 *
 * Versions: Fetch v4-17. v4 is the oldest with isolation level, last stable offset and aborted
 * transactions; from v13 topics go by id, so without topic ids in the metadata (Metadata < v10)
 * the fetcher stays at v12. No fetch sessions (KIP-227): every request is a full fetch.
 */
import type { Cluster } from '../base/cluster.js'
import { isStaleMetadata } from '../base/cluster.js'
import { errorFor } from '../base/errors.js'
import { backoffMs } from '../base/options.js'
import { ApiKey } from '../../protocol/generated/api-keys.js'
import type { FetchResponsePartitionData } from '../../protocol/generated/fetch.js'
import { ErrorCode } from '../../protocol/errors.js'
import { ZERO_UUID } from '../../protocol/primitives/uuid.js'
import type { Logger } from '../../util/logger.js'
import { CompletedFetch, scanBatches, type FetchBuffer } from './fetch-buffer.js'
import type { ResolvedConsumerOptions } from './options.js'
import type { PartitionState, SubscriptionState } from './subscription-state.js'
import { trace } from '../../util/trace.js'

export interface FetcherEvents {
  /** New data is buffered. */
  onData(): void
  /** A partition needs an offset reset (OFFSET_OUT_OF_RANGE under earliest/latest). */
  onReset(): void
  /** `state` when the error concerns one partition that now waits for a seek. */
  onError(e: Error, state?: PartitionState): void
}

interface Requested {
  state: PartitionState
  fetchEpoch: number
  fetchOffset: bigint
}

export class Fetcher {
  private readonly inFlight = new Set<number>()
  private readonly abort = new AbortController()
  private scheduled = false
  private closed = false
  private timer: NodeJS.Timeout | undefined
  private timerAt = Infinity
  private refreshing = false
  private lastRefreshAt = 0
  private attempts = new Map<number, number>()

  constructor(
    private readonly cluster: Cluster,
    private readonly subs: SubscriptionState,
    private readonly buffer: FetchBuffer,
    private readonly opts: ResolvedConsumerOptions,
    private readonly events: FetcherEvents,
    private readonly logger: Logger,
  ) {}

  /** Sends whatever fetches can be sent now (batched into one pass per tick). */
  wake(): void {
    if (this.scheduled || this.closed) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      this.pump()
    })
  }

  close(): void {
    this.closed = true
    clearTimeout(this.timer)
    this.abort.abort()
  }

  private wakeAt(at: number): void {
    if (at >= this.timerAt) return
    clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => {
      this.timerAt = Infinity
      this.pump()
    }, Math.max(0, at - Date.now()))
    this.timer.unref()
  }

  private pump(): void {
    if (this.closed || this.buffer.bytes >= this.opts.fetchMaxBytes) return
    const now = Date.now()
    const byLeader = new Map<number, PartitionState[]>()
    let unknownLeader = false
    let retryAt = Infinity
    for (const s of this.subs.assigned()) {
      if (s.paused || s.fetchPosition === null || s.bufferedBytes > this.opts.maxPartitionFetchBytes) continue
      if (s.retryAt > now) {
        retryAt = Math.min(retryAt, s.retryAt)
        continue
      }
      const leader = this.cluster.leaderOf(s.topic, s.partition)
      if (leader < 0 || !this.cluster.brokers.has(leader)) {
        unknownLeader = true
        continue
      }
      if (this.inFlight.has(leader)) continue
      let l = byLeader.get(leader)
      if (!l) byLeader.set(leader, (l = []))
      l.push(s)
    }
    for (const [leader, states] of byLeader) void this.fetchFrom(leader, states)
    if (unknownLeader) this.refreshMetadata()
    if (retryAt !== Infinity) this.wakeAt(retryAt)
  }

  /**
   * One metadata refresh at a time, and at most one per retryBackoffMs: the first goes out at
   * once (a new assignment), repeated ones (a partition without a leader) are spaced out.
   */
  private refreshMetadata(): void {
    if (this.refreshing || this.closed) return
    this.refreshing = true
    const wait = Math.max(0, this.lastRefreshAt + this.opts.retryBackoffMs - Date.now())
    setTimeout(() => {
      this.cluster
        .refresh({ allowAutoCreate: this.opts.allowAutoCreateTopics })
        .catch((e: Error) => this.logger.debug('metadata refresh failed', { error: e.message }))
        .finally(() => {
          this.lastRefreshAt = Date.now()
          this.refreshing = false
          this.wake()
        })
    }, wait).unref()
  }

  private backOff(states: PartitionState[], node: number): void {
    const n = this.attempts.get(node) ?? 0
    this.attempts.set(node, n + 1)
    const at = Date.now() + backoffMs(this.opts, n)
    for (const s of states) s.retryAt = at
  }

  private async fetchFrom(node: number, states: PartitionState[]): Promise<void> {
    this.inFlight.add(node)
    const requested = new Map<string, Requested>()
    try {
      const conn = await this.cluster.connection(node)
      const byTopic = new Map<string, PartitionState[]>()
      let haveIds = true
      for (const s of states) {
        let l = byTopic.get(s.topic)
        if (!l) {
          byTopic.set(s.topic, (l = []))
          if ((this.cluster.topics.get(s.topic)?.topicId ?? ZERO_UUID) === ZERO_UUID) haveIds = false
        }
        l.push(s)
        requested.set(s.key, { state: s, fetchEpoch: s.fetchEpoch, fetchOffset: s.fetchPosition! })
      }
      const version = conn.version(ApiKey.Fetch, haveIds ? 17 : 12, 4)
      const nameById = new Map<string, string>()
      const topics = [...byTopic].map(([topic, list]) => {
        const info = this.cluster.topics.get(topic)
        if (info) nameById.set(info.topicId, topic)
        return {
          topic,
          topicId: info?.topicId ?? ZERO_UUID,
          partitions: list.map((s) => ({
            partition: s.partition,
            currentLeaderEpoch: info?.partitions[s.partition]?.leaderEpoch ?? -1,
            fetchOffset: s.fetchPosition!,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: this.opts.maxPartitionFetchBytes,
          })),
        }
      })
      const resp = await conn.request(
        ApiKey.Fetch,
        {
          replicaId: -1,
          maxWaitMs: this.opts.fetchMaxWaitMs,
          minBytes: this.opts.fetchMinBytes,
          maxBytes: this.opts.fetchMaxBytes,
          isolationLevel: this.opts.readCommitted ? 1 : 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics,
          forgottenTopicsData: [],
          rackId: this.opts.clientRack ?? '',
        },
        { version, timeoutMs: this.opts.requestTimeoutMs + this.opts.fetchMaxWaitMs, signal: this.abort.signal },
      )
      if (this.closed) return
      if (resp.errorCode) {
        this.logger.warn('fetch failed', { broker: node, error: errorFor(resp.errorCode)!.message })
        this.backOff(states, node)
        return
      }
      this.attempts.delete(node)
      let gotData = false
      let stale = false
      for (const t of resp.responses) {
        const name = version >= 13 ? nameById.get(t.topicId!) : t.topic
        if (name === undefined) continue
        for (const p of t.partitions) {
          const r = requested.get(`${name}:${p.partitionIndex}`)
          if (!r) continue
          const outcome = await this.handlePartition(r, p)
          if (outcome === 'data') gotData = true
          else if (outcome === 'stale') stale = true
        }
      }
      if (stale) this.refreshMetadata()
      if (gotData) this.events.onData()
    } catch (e) {
      if (this.closed) return
      this.logger.debug('fetch request failed', { broker: node, error: (e as Error).message })
      this.backOff(states, node)
      this.refreshMetadata()
    } finally {
      this.inFlight.delete(node)
      this.wake()
    }
  }

  /** Applies one partition's answer, unless the partition moved on since it was requested. */
  private async handlePartition(r: Requested, p: FetchResponsePartitionData): Promise<'data' | 'stale' | 'none'> {
    const s = r.state
    const current = () => !s.removed && s.fetchEpoch === r.fetchEpoch && s.fetchPosition === r.fetchOffset
    if (!current()) return 'none'
    switch (p.errorCode) {
      case ErrorCode.NONE: {
        s.highWatermark = p.highWatermark
        s.lastStableOffset = p.lastStableOffset ?? -1n
        s.logStartOffset = p.logStartOffset ?? -1n
        const records = p.records
        if (!records || records.length === 0) return 'none'
        let scan: ReturnType<typeof scanBatches>
        try {
          scan = scanBatches(records)
        } catch (e) {
          this.corrupt(s, e as Error)
          return 'none'
        }
        if (scan.nextOffset === null) return 'none'
        trace?.emit(undefined, 'consumer.received', s.topic, s.partition, r.fetchOffset, scan.nextOffset - 1n)
        const cf = new CompletedFetch(
          {
            state: s,
            fetchEpoch: r.fetchEpoch,
            fetchOffset: r.fetchOffset,
            records,
            highWatermark: p.highWatermark,
            lastStableOffset: p.lastStableOffset ?? -1n,
            logStartOffset: p.logStartOffset ?? -1n,
            abortedTransactions: p.abortedTransactions ?? null,
          },
          scan.end,
          scan.nextOffset,
          { checkCrcs: this.opts.checkCrcs, readCommitted: this.opts.readCommitted },
        )
        if (scan.needsAsync) {
          try {
            await cf.inflateAsync()
          } catch (e) {
            this.corrupt(s, e as Error)
            return 'none'
          }
          if (!current()) return 'none'
        }
        s.fetchPosition = scan.nextOffset
        this.buffer.add(cf)
        return 'data'
      }
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        if (this.opts.autoOffsetReset === 'none') {
          s.fetchPosition = null
          s.failed = true
          this.events.onError(errorFor(p.errorCode, `fetching ${s.topic}-${s.partition} at offset ${r.fetchOffset} (log ${p.logStartOffset ?? '?'}..${p.highWatermark}) with autoOffsetReset 'none'; seek() to a valid offset`)!, s)
        } else {
          this.logger.info('fetch offset out of range; resetting', { topic: s.topic, partition: s.partition, offset: r.fetchOffset, policy: this.opts.autoOffsetReset })
          s.requestReset(this.opts.autoOffsetReset)
          this.events.onReset()
        }
        return 'none'
      default:
        if (isStaleMetadata(p.errorCode) || p.errorCode === ErrorCode.OFFSET_NOT_AVAILABLE || p.errorCode === ErrorCode.REPLICA_NOT_AVAILABLE) {
          s.retryAt = Date.now() + this.opts.retryBackoffMs
          return 'stale'
        }
        s.retryAt = Date.now() + this.opts.retryBackoffMaxMs
        this.events.onError(errorFor(p.errorCode, `fetching ${s.topic}-${s.partition}`)!)
        return 'none'
    }
  }

  /** Corrupt data: reported, and the partition waits for a seek, as Java's consumer does. */
  private corrupt(s: PartitionState, e: Error): void {
    s.fetchPosition = null
    s.failed = true
    this.events.onError(Object.assign(new Error(`corrupt data fetched from ${s.topic}-${s.partition}: ${e.message}; seek() past it to go on`, { cause: e }), { code: 'CORRUPT_MESSAGE' }), s)
  }
}
