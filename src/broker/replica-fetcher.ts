/**
 * Followers copy their leaders' logs (Kafka's ReplicaFetcherManager + ReplicaFetcherThread).
 *
 * For each leader this broker follows partitions of there are `num.replica.fetchers` fetchers
 * (a partition always goes to the same one), each a loop on its own connection:
 * 1. Truncation, for partitions that just became followers (a new leader, or a new epoch):
 *    OffsetForLeaderEpoch asks the leader where the follower's latest epoch ends in the
 *    leader's log; the follower cuts its log there (KIP-101/279), so a tail written under an
 *    older leader and never replicated is removed before anything new is appended. Without
 *    epochs to compare (an old log, or an answer of -1), it falls back to its high watermark,
 *    below which no replica can differ.
 * 2. Fetch (v12, replica id = this broker) from each partition's log end offset; what comes
 *    back is appended as it is (offsets, epochs, timestamps), the follower's high watermark
 *    becomes min(leader's high watermark, its log end offset), and the log start offset
 *    follows the leader's. The leader learns the follower's position from these fetches.
 * Errors: a partition whose leader says it no longer leads (or fences the epoch) waits for
 * metadata to move it; OFFSET_OUT_OF_RANGE below the leader's log start restarts the log
 * there, above the leader's log end truncates again; connection failures back off
 * `replica.fetch.backoff.ms` and reconnect.
 */
import type { InterBrokerSecurity } from './inter-broker-security.js'
import { ApiKey } from '../protocol/generated/api-keys.js'
import { ErrorCode } from '../protocol/errors.js'
import { BATCH_LENGTH_OFFSET, LOG_OVERHEAD } from '../protocol/records/batch-header.js'
import { BrokerConnection } from '../client/base/connection.js'
import type { MetadataView } from '../metadata/types.js'
import type { UnifiedLog } from '../storage/index.js'
import type { Logger } from '../util/logger.js'
import type { Partition } from './partition.js'

/** Fetch v12: topic names, the KIP-320 epochs and the follower's log start offset. */
const FETCH_VERSION = 12
/** OffsetForLeaderEpoch v3+ carries the replica id. */
const EPOCH_VERSION = 4
/** Truncation rounds before a partition gives up and falls back to its high watermark. */
const MAX_TRUNCATION_ROUNDS = 8

export interface FetcherConfig {
  nodeId: number
  maxWaitMs: number
  minBytes: number
  maxBytes: number
  partitionMaxBytes: number
  backoffMs: number
  socketTimeoutMs: number
  fetchersPerLeader: number
  /** TLS and SASL of the inter-broker listener; plaintext when absent. */
  security?: InterBrokerSecurity
}

/** A partition this broker follows, as the replica manager hands it over. */
export interface FollowedPartition {
  partition: Partition
  log: UnifiedLog
  leaderId: number
  leaderEpoch: number
}

interface FetchState {
  target: FollowedPartition
  /** Truncation still to do before fetching (a new leader or epoch). */
  truncating: boolean
  truncationRounds: number
  /** Skipped until this time (an error answered for it). */
  delayedUntil: number
}

export class ReplicaFetcherManager {
  private readonly fetchers = new Map<string, ReplicaFetcher>()
  /** Which fetcher holds each partition. */
  private readonly owner = new Map<string, ReplicaFetcher>()
  private closed = false

  constructor(
    private readonly config: FetcherConfig,
    private readonly metadata: MetadataView,
    private readonly logger: Logger,
  ) {}

  /** Starts (or restarts, with truncation) following `target` from its leader. */
  add(target: FollowedPartition): void {
    if (this.closed) return
    const k = keyOf(target.partition)
    this.remove(target.partition)
    const id = `${target.leaderId}:${fetcherIndex(target.partition, this.config.fetchersPerLeader)}`
    let f = this.fetchers.get(id)
    if (!f) {
      f = new ReplicaFetcher(target.leaderId, this.config, this.metadata, this.logger)
      this.fetchers.set(id, f)
    }
    f.add(target)
    this.owner.set(k, f)
  }

  /** Stops following (this broker leads it now, or no longer hosts it). */
  remove(p: Pick<Partition, 'topic' | 'partition'>): void {
    const k = keyOf(p)
    const f = this.owner.get(k)
    if (!f) return
    this.owner.delete(k)
    f.remove(k)
  }

  /** The partitions being followed, by leader (tests and DescribeLogDirs-style views). */
  following(): Array<{ topic: string; partition: number; leaderId: number; truncating: boolean }> {
    return [...this.fetchers.values()].flatMap((f) => f.describe())
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.fetchers.values()].map((f) => f.close()))
    this.fetchers.clear()
    this.owner.clear()
  }
}

class ReplicaFetcher {
  private readonly states = new Map<string, FetchState>()
  private conn: BrokerConnection | undefined
  private readonly abort = new AbortController()
  private wake: (() => void) | undefined
  private readonly loop: Promise<void>

  constructor(
    private readonly leaderId: number,
    private readonly config: FetcherConfig,
    private readonly metadata: MetadataView,
    private readonly logger: Logger,
  ) {
    this.loop = this.run()
  }

  add(target: FollowedPartition): void {
    this.states.set(keyOf(target.partition), { target, truncating: true, truncationRounds: 0, delayedUntil: 0 })
    this.wake?.()
  }

  remove(k: string): void {
    this.states.delete(k)
  }

  describe(): Array<{ topic: string; partition: number; leaderId: number; truncating: boolean }> {
    return [...this.states.values()].map((s) => ({ topic: s.target.partition.topic, partition: s.target.partition.partition, leaderId: this.leaderId, truncating: s.truncating }))
  }

  async close(): Promise<void> {
    this.abort.abort(new Error('replica fetcher stopped'))
    this.wake?.()
    this.conn?.close()
    await this.loop
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const now = Date.now()
      const ready = [...this.states.values()].filter((s) => s.delayedUntil <= now && !s.target.log.isClosed)
      if (ready.length === 0) {
        await this.idle(this.states.size === 0 ? 60_000 : this.config.backoffMs)
        continue
      }
      try {
        const conn = await this.connection()
        const truncating = ready.filter((s) => s.truncating)
        if (truncating.length > 0) await this.truncate(conn, truncating)
        const fetching = ready.filter((s) => !s.truncating && this.states.get(keyOf(s.target.partition)) === s)
        if (fetching.length > 0) await this.fetch(conn, fetching)
      } catch (err) {
        if (this.stopped) break
        this.logger.debug('replica fetch failed; backing off', { leader: this.leaderId, error: (err as Error).message })
        this.conn?.close()
        this.conn = undefined
        await this.idle(this.config.backoffMs)
      }
    }
    this.conn?.close()
  }

  /** Waits `ms`, or until a partition is added or the fetcher stops. */
  private idle(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.wake = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.wake = done
    })
  }

  private async connection(): Promise<BrokerConnection> {
    if (this.conn && !this.conn.isClosed) return this.conn
    const b = this.metadata.brokers().find((x) => x.nodeId === this.leaderId)
    if (!b) throw new Error(`leader ${this.leaderId} is not a registered broker`)
    this.conn = await BrokerConnection.open(
      {
        host: b.host,
        port: b.port,
        nodeId: b.nodeId,
        clientId: `samsa-replica-fetcher-${this.config.nodeId}`,
        connectTimeoutMs: this.config.socketTimeoutMs,
        requestTimeoutMs: this.config.socketTimeoutMs,
        maxInFlight: 1,
        ...this.config.security?.(),
      },
      this.abort.signal,
    )
    return this.conn
  }

  // ---- truncation ------------------------------------------------------------------------

  private async truncate(conn: BrokerConnection, states: FetchState[]): Promise<void> {
    const asked = states.map((s) => ({ s, epoch: latestEpoch(s.target.log) }))
    // Without an epoch to compare there is nothing to ask: the high watermark is the safe point.
    for (const { s, epoch } of asked) {
      if (epoch < 0) await this.truncateTo(s, s.target.log.highWatermark, 'no leader epochs')
    }
    const withEpoch = asked.filter((a) => a.epoch >= 0)
    if (withEpoch.length === 0) return
    const byTopic = new Map<string, typeof withEpoch>()
    for (const a of withEpoch) {
      const list = byTopic.get(a.s.target.partition.topic) ?? []
      list.push(a)
      byTopic.set(a.s.target.partition.topic, list)
    }
    const resp = await conn.request(
      ApiKey.OffsetForLeaderEpoch,
      {
        replicaId: this.config.nodeId,
        topics: [...byTopic].map(([topic, list]) => ({
          topic,
          partitions: list.map((a) => ({ partition: a.s.target.partition.partition, currentLeaderEpoch: a.s.target.leaderEpoch, leaderEpoch: a.epoch })),
        })),
      },
      { version: Math.min(EPOCH_VERSION, conn.version(ApiKey.OffsetForLeaderEpoch)), signal: this.abort.signal },
    )
    for (const t of resp.topics) {
      for (const r of t.partitions) {
        const a = byTopic.get(t.topic)?.find((x) => x.s.target.partition.partition === r.partition)
        if (!a || this.states.get(keyOf(a.s.target.partition)) !== a.s) continue
        if (r.errorCode !== ErrorCode.NONE) {
          this.onPartitionError(a.s, r.errorCode, 'OffsetForLeaderEpoch')
          continue
        }
        await this.applyEpochEnd(a.s, a.epoch, r.leaderEpoch ?? -1, Number(r.endOffset))
      }
    }
  }

  /**
   * Kafka's truncation rule: when the leader knows the follower's epoch, the follower keeps
   * min(leader's end of that epoch, its own log end); when the leader answers an older epoch,
   * the follower cuts at min(the leader's end offset, its own end of that epoch) and, unless it
   * too knows that epoch, asks again with its (now) latest epoch.
   */
  private async applyEpochEnd(s: FetchState, asked: number, leaderEpoch: number, leaderEnd: number): Promise<void> {
    const log = s.target.log
    if (leaderEnd < 0 || leaderEpoch < 0) {
      await this.truncateTo(s, log.highWatermark, `the leader knows no epoch up to ${asked}`)
      return
    }
    if (leaderEpoch === asked) {
      await this.truncateTo(s, Math.min(leaderEnd, log.logEndOffset), `epoch ${asked} ends at ${leaderEnd} on the leader`)
      return
    }
    const own = log.endOffsetForEpoch(leaderEpoch)
    const target = Math.min(leaderEnd, own.endOffset >= 0 ? own.endOffset : log.highWatermark)
    const done = own.epoch === leaderEpoch
    await this.truncateTo(s, target, `the leader's latest epoch up to ${asked} is ${leaderEpoch}, ending at ${leaderEnd}`, !done)
  }

  private async truncateTo(s: FetchState, offset: number, why: string, again = false): Promise<void> {
    const log = s.target.log
    const target = Math.max(0, Math.min(offset, log.logEndOffset))
    if (target < log.logEndOffset) {
      const before = log.logEndOffset
      await log.truncateTo(target)
      this.logger.info('follower truncated its log', { topic: log.topic, partition: log.partition, from: before, to: log.logEndOffset, reason: why })
    }
    s.truncationRounds++
    s.truncating = again && s.truncationRounds < MAX_TRUNCATION_ROUNDS
    if (again && !s.truncating) {
      await log.truncateTo(Math.min(log.highWatermark, log.logEndOffset))
    }
  }

  // ---- fetching --------------------------------------------------------------------------

  private async fetch(conn: BrokerConnection, states: FetchState[]): Promise<void> {
    const byTopic = new Map<string, FetchState[]>()
    for (const s of states) {
      const list = byTopic.get(s.target.partition.topic) ?? []
      list.push(s)
      byTopic.set(s.target.partition.topic, list)
    }
    const asked = new Map(states.map((s) => [s, s.target.log.logEndOffset]))
    const resp = await conn.request(
      ApiKey.Fetch,
      {
        replicaId: this.config.nodeId,
        maxWaitMs: this.config.maxWaitMs,
        minBytes: this.config.minBytes,
        maxBytes: this.config.maxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...byTopic].map(([topic, list]) => ({
          topic,
          partitions: list.map((s) => ({
            partition: s.target.partition.partition,
            currentLeaderEpoch: s.target.leaderEpoch,
            fetchOffset: BigInt(asked.get(s)!),
            lastFetchedEpoch: -1,
            logStartOffset: BigInt(s.target.log.logStartOffset),
            partitionMaxBytes: this.config.partitionMaxBytes,
          })),
        })),
        forgottenTopicsData: [],
        rackId: '',
      },
      { version: FETCH_VERSION, timeoutMs: this.config.socketTimeoutMs + this.config.maxWaitMs, signal: this.abort.signal },
    )
    if (resp.errorCode !== undefined && resp.errorCode !== ErrorCode.NONE) throw new Error(`the leader answered Fetch with error ${resp.errorCode}`)
    for (const t of resp.responses) {
      for (const r of t.partitions) {
        const s = byTopic.get(t.topic ?? '')?.find((x) => x.target.partition.partition === r.partitionIndex)
        // Removed or re-added (a new epoch) while the fetch was out: this answer is stale.
        if (!s || this.states.get(keyOf(s.target.partition)) !== s) continue
        const log = s.target.log
        if (log.isClosed || log.logEndOffset !== asked.get(s)) continue
        if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          await this.onOutOfRange(s, Number(r.logStartOffset), Number(r.highWatermark))
          continue
        }
        if (r.errorCode !== ErrorCode.NONE) {
          this.onPartitionError(s, r.errorCode, 'Fetch')
          continue
        }
        const records = wholeBatches(r.records)
        if (records.length > 0) await log.appendAsFollower(records)
        log.updateHighWatermark(Math.min(Number(r.highWatermark), log.logEndOffset))
        const leaderStart = Number(r.logStartOffset)
        if (leaderStart > log.logStartOffset && leaderStart <= log.highWatermark) await log.deleteRecordsBefore(leaderStart)
      }
    }
  }

  private async onOutOfRange(s: FetchState, leaderStart: number, leaderHighWatermark: number): Promise<void> {
    const log = s.target.log
    if (leaderStart >= 0 && log.logEndOffset < leaderStart) {
      // Behind the leader's retention: nothing in between exists any more, start over there.
      this.logger.info('follower restarts its log at the leader\'s log start', { topic: log.topic, partition: log.partition, from: log.logEndOffset, to: leaderStart })
      await log.truncateFullyAndStartAt(leaderStart)
      return
    }
    // Ahead of the leader's log end (it was elected without our tail): truncate again.
    s.truncating = true
    s.truncationRounds = 0
    if (leaderHighWatermark >= 0 && latestEpoch(log) < 0) await this.truncateTo(s, leaderHighWatermark, 'ahead of the leader')
  }

  private onPartitionError(s: FetchState, code: number, api: string): void {
    // Not (or no longer) the leader, a fenced or unknown epoch, a missing partition: metadata
    // will move the partition or catch the leader up; retry after the backoff meanwhile.
    s.delayedUntil = Date.now() + this.config.backoffMs
    if (code === ErrorCode.UNKNOWN_LEADER_EPOCH || code === ErrorCode.NOT_LEADER_OR_FOLLOWER || code === ErrorCode.FENCED_LEADER_EPOCH) {
      this.logger.debug('replica fetch of a partition refused; waiting for metadata', { topic: s.target.partition.topic, partition: s.target.partition.partition, leader: this.leaderId, api, errorCode: code })
    } else {
      this.logger.warn('replica fetch of a partition failed', { topic: s.target.partition.topic, partition: s.target.partition.partition, leader: this.leaderId, api, errorCode: code })
    }
  }
}

function keyOf(p: Pick<Partition, 'topic' | 'partition'>): string {
  return `${p.topic}\u0000${p.partition}`
}

function fetcherIndex(p: Pick<Partition, 'topic' | 'partition'>, n: number): number {
  if (n <= 1) return 0
  let h = p.partition
  for (let i = 0; i < p.topic.length; i++) h = (h * 31 + p.topic.charCodeAt(i)) | 0
  return Math.abs(h) % n
}

function latestEpoch(log: UnifiedLog): number {
  return log.leaderEpochs().at(-1)?.epoch ?? -1
}

/** The leading whole batches of a fetched range (a range may end inside a batch). */
export function wholeBatches(records: Buffer | null): Buffer {
  if (!records) return Buffer.alloc(0)
  let pos = 0
  while (pos + LOG_OVERHEAD <= records.length) {
    const size = LOG_OVERHEAD + records.readInt32BE(pos + BATCH_LENGTH_OFFSET)
    if (size <= LOG_OVERHEAD || pos + size > records.length) break
    pos += size
  }
  return pos === records.length ? records : records.subarray(0, pos)
}
