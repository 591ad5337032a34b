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
  /** When its log end offset last reached the leader's (what ISR shrinking will measure); -1 never. */
  lastCaughtUpTimeMs: number
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

  /** Gives the partition its log (created or opened by the replica manager). */
  attachLog(log: UnifiedLog): void {
    this.attached = log
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
        if (r !== this.nodeId) this.followers.set(r, { logEndOffset: -1, lastFetchTimeMs: -1, lastCaughtUpTimeMs: info.isr.includes(r) ? now : -1 })
      }
      this.announce({ type: 'role', role: 'leader', leaderEpoch: this.epoch })
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
    if (changed) this.announce({ type: 'role', role: 'follower', leaderEpoch: this.epoch })
    return changed
  }

  /** This broker no longer hosts the partition (deleted, or moved away). */
  stop(): void {
    if (this.currentRole === 'none') return
    this.currentRole = 'none'
    this.followers.clear()
    this.announce({ type: 'role', role: 'none', leaderEpoch: this.epoch })
  }

  private take(info: PartitionInfo): void {
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
    f.logEndOffset = logEndOffset
    f.lastFetchTimeMs = now
    if (this.attached && logEndOffset >= this.attached.logEndOffset) f.lastCaughtUpTimeMs = now
    return this.maybeIncrementHighWatermark()
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
    for (const r of this.inSync) {
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
