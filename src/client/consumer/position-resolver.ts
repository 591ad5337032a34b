/**
 * Gives every assigned partition a position before it is fetched (Java's
 * updateFetchPositions): the group's committed offset when there is one, else the
 * autoOffsetReset policy through ListOffsets (earliest = -2, latest = -1). Seeks to the
 * beginning or end, and OFFSET_OUT_OF_RANGE resets, come through here too.
 *
 * Runs in the background, one pass at a time; a pass that finds work left (a retry after an
 * error) schedules another. Answers that arrive after the partition was seeked, reset again or
 * revoked are dropped: only a partition still waiting for exactly this lookup takes the result.
 */
import type { Cluster } from '../base/cluster.js'
import { isStaleMetadata } from '../base/cluster.js'
import { backoffMs } from '../base/options.js'
import { ClientError, errorFor, isRetriable } from '../base/errors.js'
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { Logger } from '../../util/logger.js'
import type { OffsetCommitter } from './offset-committer.js'
import type { ResolvedConsumerOptions } from './options.js'
import type { PartitionState, SubscriptionState } from './subscription-state.js'

export interface ResolverEvents {
  /** Some partitions got positions (the fetcher can start on them). */
  onPositions(): void
  /** A failure the application must hear about (NO_OFFSET, authorization, ...); `state` when it concerns one partition. */
  onError(e: Error, state?: PartitionState): void
}

const EARLIEST = -2n
const LATEST = -1n

export class PositionResolver {
  private running: Promise<void> | undefined
  private again = false
  private timer: NodeJS.Timeout | undefined
  private closed = false
  private attempts = 0

  constructor(
    private readonly cluster: Cluster,
    private readonly subs: SubscriptionState,
    private readonly committer: OffsetCommitter | null,
    private readonly opts: ResolvedConsumerOptions,
    private readonly events: ResolverEvents,
    private readonly logger: Logger,
  ) {}

  /** Starts a pass if any partition needs a position. Cheap when none does. */
  kick(): void {
    if (this.closed) return
    if (this.running) {
      this.again = true
      return
    }
    if (!this.subs.assigned().some((s) => s.needsPosition)) return
    // Deferred: an assign() followed by a seek() in the same tick needs no lookup at all.
    this.running = Promise.resolve().then(() => this.run()).finally(() => {
      this.running = undefined
      if (this.again) {
        this.again = false
        this.kick()
      }
    })
  }

  close(): void {
    this.closed = true
    clearTimeout(this.timer)
  }

  private async run(): Promise<void> {
    let progressed = false
    try {
      progressed = (await this.useCommitted()) || progressed
      progressed = (await this.resetOffsets()) || progressed
      this.attempts = 0
    } catch (e) {
      if (this.closed) return
      if (!isRetriable(e)) this.events.onError(e as Error)
      else this.logger.debug('offset lookup failed; retrying', { error: (e as Error).message })
      this.attempts++
    }
    if (progressed) this.events.onPositions()
    // Partitions still waiting (backoff after an error) get another pass later.
    const waiting = this.subs.assigned().filter((s) => s.needsPosition)
    if (waiting.length > 0 && !this.closed) {
      const at = Math.max(Date.now() + backoffMs(this.opts, this.attempts), Math.min(...waiting.map((s) => s.retryAt)))
      clearTimeout(this.timer)
      this.timer = setTimeout(() => this.kick(), at - Date.now())
      this.timer.unref()
    }
  }

  /** Positions from committed offsets; partitions without one get the reset policy. */
  private async useCommitted(): Promise<boolean> {
    const now = Date.now()
    const todo = this.subs.assigned().filter((s) => s.needsPosition && s.reset === null && s.retryAt <= now)
    if (todo.length === 0) return false
    const epochs = todo.map((s) => s.fetchEpoch)
    const committed = this.committer ? await this.committer.fetchCommitted(todo.map((s) => s.toTopicPartition()), Date.now() + this.opts.defaultApiTimeoutMs) : new Map()
    let progressed = false
    todo.forEach((s, i) => {
      if (s.removed || s.fetchEpoch !== epochs[i] || !s.needsPosition || s.reset !== null) return
      const c = committed.get(s.key)
      if (c && c.offset !== null) {
        s.seek(c.offset, c.leaderEpoch)
        progressed = true
        return
      }
      if (this.opts.autoOffsetReset === 'none') {
        s.failed = true
        this.events.onError(new ClientError('NO_OFFSET', `no committed offset for ${s.topic}-${s.partition}${this.committer ? '' : ' (no groupId)'} and autoOffsetReset is 'none'; seek() to choose a position`), s)
        return
      }
      s.requestReset(this.opts.autoOffsetReset)
    })
    return progressed
  }

  /** ListOffsets for partitions with a pending reset, one request per leader. */
  private async resetOffsets(): Promise<boolean> {
    const now = Date.now()
    const due = this.subs.assigned().filter((s) => s.reset !== null && s.retryAt <= now)
    if (due.length === 0) return false
    const known = (s: PartitionState) => {
      const leader = this.cluster.leaderOf(s.topic, s.partition)
      return leader >= 0 && this.cluster.brokers.has(leader)
    }
    // Right after assign() the metadata usually is not there yet: fetch it now rather than back off.
    if (!due.every(known)) await this.cluster.refresh({ allowAutoCreate: this.opts.allowAutoCreateTopics }).catch(() => {})
    const byLeader = new Map<number, PartitionState[]>()
    for (const s of due) {
      if (!known(s)) {
        s.retryAt = Date.now() + this.opts.retryBackoffMs
        continue
      }
      const leader = this.cluster.leaderOf(s.topic, s.partition)
      let l = byLeader.get(leader)
      if (!l) byLeader.set(leader, (l = []))
      l.push(s)
    }
    const results = await Promise.allSettled([...byLeader].map(([leader, states]) => this.listOffsets(leader, states)))
    let progressed = false
    for (const r of results) {
      if (r.status === 'fulfilled') progressed = r.value || progressed
      else throw r.reason
    }
    return progressed
  }

  private async listOffsets(leader: number, states: PartitionState[]): Promise<boolean> {
    const epochs = states.map((s) => s.fetchEpoch)
    const strategies = states.map((s) => s.reset)
    const conn = await this.cluster.connection(leader)
    const version = conn.version(ApiKey.ListOffsets, Infinity, 1)
    const byTopic = new Map<string, PartitionState[]>()
    for (const s of states) {
      let l = byTopic.get(s.topic)
      if (!l) byTopic.set(s.topic, (l = []))
      l.push(s)
    }
    const resp = await conn.request(
      ApiKey.ListOffsets,
      {
        replicaId: -1,
        isolationLevel: this.opts.readCommitted ? 1 : 0,
        timeoutMs: this.opts.requestTimeoutMs,
        topics: [...byTopic].map(([name, list]) => ({
          name,
          partitions: list.map((s) => ({
            partitionIndex: s.partition,
            currentLeaderEpoch: this.cluster.topics.get(s.topic)?.partitions[s.partition]?.leaderEpoch ?? -1,
            timestamp: s.reset === 'earliest' ? EARLIEST : LATEST,
            maxNumOffsets: 1,
          })),
        })),
      },
      { version },
    )
    let progressed = false
    let stale = false
    for (const t of resp.topics) {
      for (const p of t.partitions) {
        const i = states.findIndex((s) => s.topic === t.name && s.partition === p.partitionIndex)
        const s = states[i]
        if (!s || s.removed || s.fetchEpoch !== epochs[i] || s.reset !== strategies[i]) continue
        if (p.errorCode === 0) {
          const offset = p.offset ?? p.oldStyleOffsets?.[0]
          if (offset === undefined || offset < 0n) continue
          s.seek(offset)
          progressed = true
        } else if (isStaleMetadata(p.errorCode) || p.errorCode === ErrorCode.OFFSET_NOT_AVAILABLE) {
          s.retryAt = Date.now() + this.opts.retryBackoffMs
          stale = true
        } else {
          const e = errorFor(p.errorCode, `looking up the ${s.reset} offset of ${s.topic}-${s.partition}`)!
          if (!e.retriable) {
            s.failed = true
            s.reset = null
            this.events.onError(e, s)
          } else s.retryAt = Date.now() + this.opts.retryBackoffMs
        }
      }
    }
    if (stale) await this.cluster.refresh().catch(() => {})
    return progressed
  }
}
