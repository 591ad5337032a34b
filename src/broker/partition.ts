/**
 * One partition this broker hosts (Kafka's Partition): its role — leader, follower or none —
 * at which leader epoch and partition epoch, the ISR and replicas as metadata last said, and,
 * while leading, what each follower has fetched. The high-watermark rule lives here and only
 * here: the high watermark is the smallest log end offset among the in-sync replicas (the
 * leader's own included), and it never moves backwards.
 *
 * Roles change only through makeLeader / makeFollower / stop, driven by metadata changes
 * (ReplicaManager.applyPartition); handlers never set them. A change of role or epoch is
 * announced to watchers, so requests waiting on this partition (acks=-1 produces, long polls)
 * learn at once that it is no longer theirs to wait on.
 */
import { KafkaError } from '../protocol/errors.js'
import type { PartitionInfo } from '../metadata/types.js'
import type { UnifiedLog } from '../storage/index.js'

export type Role = 'leader' | 'follower' | 'none'

/** What the leader knows of one follower, from its fetches (Kafka's Replica state). */
export interface FollowerState {
  /** The follower's log end offset: the offset it last fetched from; -1 until its first fetch under this leader. */
  logEndOffset: number
  lastFetchTimeMs: number
  /** When its log end offset last reached the leader's (what ISR shrinking measures); -1 never. */
  lastCaughtUpTimeMs: number
  /** The leader's log end offset at this follower's previous fetch (Kafka's lastFetchLeaderLogEndOffset). */
  lastFetchLeaderLogEndOffset: number
}

/** An ISR change this leader has asked metadata for and not yet seen committed. */
export interface PendingIsr {
  isr: readonly number[]
  /** The partition epoch the change was based on. */
  basedOn: number
}

export type PartitionEvent = { type: 'role'; role: Role; leaderEpoch: number } | { type: 'highWatermark'; highWatermark: number }

export class Partition {
  readonly topic: string
  readonly partition: number
  private readonly nodeId: number
  private currentRole: Role = 'none'
  private leader = -1
  private epoch = -1
  private partitionVersion = -1
  private inSync: readonly number[] = []
  private replicaIds: readonly number[] = []
  private readonly followers = new Map<number, FollowerState>()
  private pending: PendingIsr | undefined
  /** Where this leader's epoch starts in its log (followers must reach it to rejoin the ISR). */
  private epochStartOffset = -1
  private attached: UnifiedLog | undefined
  private readonly watchers = new Set<(e: PartitionEvent) => void>()

  constructor(options: { topic: string; partition: number; nodeId: number }) {
    this.topic = options.topic
    this.partition = options.partition
    this.nodeId = options.nodeId
  }

  get name(): string {
    return `${this.topic}-${this.partition}`
  }
  get role(): Role {
    return this.currentRole
  }
  get leaderId(): number {
    return this.leader
  }
  get leaderEpoch(): number {
    return this.epoch
  }
  get partitionEpoch(): number {
    return this.partitionVersion
  }
  get isr(): readonly number[] {
    return this.inSync
  }
  get replicas(): readonly number[] {
    return this.replicaIds
  }
  /** The log, once it exists on this broker. */
  get log(): UnifiedLog | undefined {
    return this.attached
  }
  get highWatermark(): number {
    return this.attached?.highWatermark ?? -1
  }
  follower(replicaId: number): Readonly<FollowerState> | undefined {
    return this.followers.get(replicaId)
  }
  /** The ISR change in flight, if any (at most one at a time, as Kafka's AlterPartition manager). */
  get pendingIsr(): PendingIsr | undefined {
    return this.pending
  }
  /**
   * The ISR the high watermark is computed over: the committed one, plus any replica an
   * expansion in flight adds (KIP-497's maximal ISR). Counting a replica before its addition
   * commits keeps the high watermark at or below its log end, so once it is in the ISR it
   * never lacks an acknowledged record.
   */
  get maximalIsr(): readonly number[] {
    if (!this.pending) return this.inSync
    return [...new Set([...this.inSync, ...this.pending.isr])]
  }

  /** Gives the partition its log (created or opened by the replica manager). */
  attachLog(log: UnifiedLog): void {
    this.attached = log
    if (this.currentRole === 'leader' && this.epochStartOffset < 0) this.epochStartOffset = log.logEndOffset
    if (this.currentRole === 'leader') this.maybeIncrementHighWatermark()
  }

  /** Watches role changes and high-watermark moves; returns an unsubscribe function. */
  watch(listener: (e: PartitionEvent) => void): () => void {
    this.watchers.add(listener)
    return () => this.watchers.delete(listener)
  }

  // ---- role changes (from metadata) ------------------------------------------------------

  /**
   * Takes state in which this broker leads. Returns true when that makes it a new leader (it
   * was not leading, or the leader epoch grew): the caller announces the election. An older
   * leader epoch than the one held is ignored (a late metadata event).
   */
  makeLeader(info: PartitionInfo, now: number): boolean {
    if (info.leaderEpoch < this.epoch) return false
    const isNew = this.currentRole !== 'leader' || info.leaderEpoch > this.epoch
    this.take(info)
    this.currentRole = 'leader'
    if (isNew) {
      // A new leader knows nothing of its followers' logs yet (Kafka resets their state too);
      // those in sync count as caught up now, so that they are not dropped before they fetch.
      this.followers.clear()
      for (const r of info.replicas) {
        if (r !== this.nodeId) this.followers.set(r, { logEndOffset: -1, lastFetchTimeMs: -1, lastCaughtUpTimeMs: info.isr.includes(r) ? now : -1, lastFetchLeaderLogEndOffset: -1 })
      }
      this.epochStartOffset = this.attached?.logEndOffset ?? -1
      this.announce({ type: 'role', role: 'leader', leaderEpoch: this.epoch })
    } else {
      // The same leader with other replicas (a reassignment): an added replica starts unknown
      // and out of sync, a removed one is forgotten (it holds the high watermark no more).
      for (const r of info.replicas) {
        if (r !== this.nodeId && !this.followers.has(r)) this.followers.set(r, { logEndOffset: -1, lastFetchTimeMs: -1, lastCaughtUpTimeMs: info.isr.includes(r) ? now : -1, lastFetchLeaderLogEndOffset: -1 })
      }
      for (const r of [...this.followers.keys()]) if (!info.replicas.includes(r)) this.followers.delete(r)
    }
    this.maybeIncrementHighWatermark()
    return isNew
  }

  /** Takes state in which another broker leads (or none does). Returns true when this changed the role or epoch. */
  makeFollower(info: PartitionInfo): boolean {
    if (info.leaderEpoch < this.epoch) return false
    const changed = this.currentRole !== 'follower' || info.leaderEpoch > this.epoch || info.leader !== this.leader
    this.take(info)
    this.currentRole = 'follower'
    this.followers.clear()
    this.pending = undefined
    if (changed) this.announce({ type: 'role', role: 'follower', leaderEpoch: this.epoch })
    return changed
  }

  /** This broker no longer hosts the partition (deleted, or moved away). */
  stop(): void {
    if (this.currentRole === 'none') return
    this.currentRole = 'none'
    this.followers.clear()
    this.pending = undefined
    this.announce({ type: 'role', role: 'none', leaderEpoch: this.epoch })
  }

  private take(info: PartitionInfo): void {
    // Any committed state answers the change in flight: it either is that change or made it moot.
    if (this.pending && info.partitionEpoch > this.pending.basedOn) this.pending = undefined
    this.leader = info.leader
    this.epoch = info.leaderEpoch
    this.partitionVersion = info.partitionEpoch
    this.inSync = [...info.isr]
    this.replicaIds = [...info.replicas]
  }

  // ---- checks for requests ---------------------------------------------------------------

  /**
   * KIP-320: a client that knows a leader epoch sends it; an older one than this broker's is
   * fenced (FENCED_LEADER_EPOCH), a newer one means this broker lags (UNKNOWN_LEADER_EPOCH).
   * -1 (or absent) skips the check.
   */
  checkLeaderEpoch(requested: number | undefined): void {
    if (requested === undefined || requested < 0 || requested === this.epoch) return
    if (requested < this.epoch) throw new KafkaError('FENCED_LEADER_EPOCH', `leader epoch ${requested} of ${this.name} is older than ${this.epoch}`)
    throw new KafkaError('UNKNOWN_LEADER_EPOCH', `leader epoch ${requested} of ${this.name} is newer than ${this.epoch} (this broker has not caught up with metadata yet)`)
  }

  /** NOT_LEADER_OR_FOLLOWER unless this broker leads; then the epoch check, as Kafka orders them. */
  checkLeader(requestedEpoch?: number): void {
    this.checkLeaderEpoch(requestedEpoch)
    if (this.currentRole !== 'leader') {
      const who = this.leader >= 0 ? `broker ${this.leader} leads it` : 'it has no leader'
      throw new KafkaError('NOT_LEADER_OR_FOLLOWER', `Broker ${this.nodeId} is not the leader of ${this.name} (${who}).`)
    }
  }

  // ---- the high watermark ----------------------------------------------------------------

  /**
   * Records a follower's fetch: it has everything below `logEndOffset`. Returns whether the
   * high watermark moved. Throws NOT_LEADER_OR_FOLLOWER when this broker does not lead, or the
   * fetcher is not one of its replicas.
   */
  updateFollowerFetchState(replicaId: number, logEndOffset: number, now: number): boolean {
    this.checkLeader()
    const f = this.followers.get(replicaId)
    if (!f) throw new KafkaError('NOT_LEADER_OR_FOLLOWER', `Broker ${replicaId} is not a replica of ${this.name} (replicas ${this.replicaIds.join(',')}).`)
    const leaderEnd = this.attached?.logEndOffset ?? 0
    // Kafka's rule: caught up now if it has everything; or caught up as of its previous fetch
    // if it has everything the leader had then. Under steady load a follower never has the very
    // latest batch, and the second clause keeps such a follower in the ISR.
    if (logEndOffset >= leaderEnd) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, now)
    else if (f.lastFetchLeaderLogEndOffset >= 0 && logEndOffset >= f.lastFetchLeaderLogEndOffset) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, f.lastFetchTimeMs)
    f.logEndOffset = logEndOffset
    f.lastFetchTimeMs = now
    f.lastFetchLeaderLogEndOffset = leaderEnd
    return this.maybeIncrementHighWatermark()
  }

  // ---- ISR changes (the leader proposes, metadata commits) -------------------------------

  /**
   * The ISR with `replicaId` added, when it has caught up: it is a replica out of the ISR, and
   * its log end offset has reached both the high watermark and the start of this leader's
   * epoch (so it holds everything this leader acknowledged and has truncated any divergent
   * tail). Undefined when nothing should change, or a change is already in flight.
   */
  isrExpansion(replicaId: number): number[] | undefined {
    if (this.currentRole !== 'leader' || this.pending || this.inSync.includes(replicaId) || !this.replicaIds.includes(replicaId)) return undefined
    const f = this.followers.get(replicaId)
    const log = this.attached
    if (!f || !log || f.logEndOffset < 0) return undefined
    if (f.logEndOffset < log.highWatermark || f.logEndOffset < this.epochStartOffset) return undefined
    return [...this.inSync, replicaId]
  }

  /**
   * The ISR without the followers that have not caught up for `maxLagMs` (replica.lag.time.max.ms):
   * Kafka's getOutOfSyncReplicas. Undefined when all are in step, or a change is in flight.
   */
  isrShrink(now: number, maxLagMs: number): { isr: number[]; removed: number[] } | undefined {
    if (this.currentRole !== 'leader' || this.pending) return undefined
    const removed = this.inSync.filter((r) => {
      if (r === this.nodeId) return false
      const f = this.followers.get(r)
      return !f || now - f.lastCaughtUpTimeMs > maxLagMs
    })
    if (removed.length === 0) return undefined
    return { isr: this.inSync.filter((r) => !removed.includes(r)), removed }
  }

  /** Marks an ISR change as sent to metadata (until it commits, or fails: abandonIsrChange). */
  beginIsrChange(isr: readonly number[]): PendingIsr {
    this.pending = { isr: [...isr], basedOn: this.partitionVersion }
    return this.pending
  }

  /** The change in flight failed (a stale partition epoch, metadata unreachable): forget it. */
  abandonIsrChange(change: PendingIsr): void {
    if (this.pending === change) this.pending = undefined
  }

  /**
   * The high-watermark rule: the smallest log end offset of the ISR, the leader's own
   * included; a follower not heard from yet under this leader holds it where it is. The high
   * watermark never moves backwards. Returns whether it moved.
   */
  maybeIncrementHighWatermark(): boolean {
    const log = this.attached
    if (!log || this.currentRole !== 'leader') return false
    let candidate = log.logEndOffset
    for (const r of this.maximalIsr) {
      if (r === this.nodeId) continue
      const f = this.followers.get(r)
      candidate = Math.min(candidate, f ? f.logEndOffset : -1)
    }
    if (candidate <= log.highWatermark) return false
    log.updateHighWatermark(candidate)
    this.announce({ type: 'highWatermark', highWatermark: log.highWatermark })
    return true
  }

  private announce(e: PartitionEvent): void {
    for (const w of [...this.watchers]) w(e)
  }
}
