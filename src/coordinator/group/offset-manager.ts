/**
 * Committed offsets (Kafka's OffsetMetadataManager for classic groups): the latest commit per
 * group, topic and partition, kept in memory and in `__consumer_offsets`. Commits, OffsetDelete
 * and DeleteGroups write their records first and change memory only once the write resolved,
 * so memory never shows what the log does not hold. Expiry writes tombstones for the offsets of
 * empty groups after offsets.retention.minutes.
 *
 * Writes for one group run one at a time (validation included), so an expiry or deletion
 * decided on a state that a concurrent commit has since changed cannot reach the log after
 * that commit.
 *
 * One instance holds the offsets of the groups of one `__consumer_offsets` partition while this
 * broker leads it; its expiry timer runs on the injected Time.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { OffsetCommitKey } from '../../protocol/generated/coordinator/group/offset-commit.js'
import { Mutex } from '../../storage/mutex.js'
import type { Logger } from '../../util/logger.js'
import { systemTime, type Time, type Timer } from '../../util/time.js'
import type { MembershipView } from './coordinator.js'
import { offsetCommitRecord, type GroupLogEntry, type StoredOffset } from './group-records.js'
import type { TxnProducer } from './group-log.js'

export interface CommittedOffset {
  offset: bigint
  /** -1 when the client did not say. */
  leaderEpoch: number
  metadata: string
  commitTimestamp: number
  /** Only for commits with an explicit retention time (OffsetCommit v2-4). */
  expireTimestamp: number | undefined
  /** Where the commit record sits in `__consumer_offsets`; orders replayed transactional commits. */
  recordOffset: number
}

/** What OffsetManager needs of GroupLog. */
export interface OffsetLog {
  /** With a producer: a transactional batch of that producer's transaction (TxnOffsetCommit). */
  append(groupId: string, entries: readonly GroupLogEntry[], producer?: TxnProducer): Promise<{ firstOffset: number; lastOffset: number }>
}

/** A transactional commit written and waiting for its transaction's marker. */
interface PendingTxnOffset {
  groupId: string
  topic: string
  partition: number
  value: CommittedOffset
}

export interface OffsetManagerOptions {
  log: OffsetLog
  membership: MembershipView
  logger: Logger
  /** offset.metadata.max.bytes: longer commit metadata is refused (OFFSET_METADATA_TOO_LARGE). */
  maxMetadataBytes: number
  /** offsets.retention.minutes, in ms. */
  retentionMs: number
  /** offsets.retention.check.interval.ms: how often expiry runs. */
  checkIntervalMs: number
  /** The clock of commit timestamps and expiry, and the expiry timer. */
  time?: Time
  /** Called when expiry removed the last offset of an empty group (Kafka then deletes the group). */
  onGroupOffsetsExpired?: (groupId: string) => void | Promise<void>
}

export interface OffsetCommitInput {
  groupId: string
  memberId: string
  generationId: number
  groupInstanceId: string | null
  /** OffsetCommit v2-4 only; -1 (the default) leaves expiry to offsets.retention.minutes. */
  retentionTimeMs: number
  /** A commit with a generation to a group that does not exist is GROUP_ID_NOT_FOUND (OffsetCommit
   * v9+, as Kafka 4), else ILLEGAL_GENERATION. */
  unknownGroupIsNotFound: boolean
  offsets: Array<{
    topic: string
    partition: number
    offset: bigint
    leaderEpoch: number
    metadata: string | null
    /**
     * OffsetCommit v1's per-partition commit timestamp; other than -1 the offset expires
     * offsets.retention.minutes after it (Kafka 3.x), else as any other commit.
     */
    commitTimestamp?: number
  }>
}

export interface PartitionResult {
  topic: string
  partition: number
  errorCode: number
}

export interface FetchedOffset {
  partition: number
  offset: bigint
  leaderEpoch: number
  metadata: string
  errorCode: number
}

export interface FetchedTopic {
  topic: string
  partitions: FetchedOffset[]
}

type PartitionOffsets = Map<number, CommittedOffset>
type GroupOffsets = Map<string, PartitionOffsets>

export class OffsetManager {
  private readonly log: OffsetLog
  private readonly membership: MembershipView
  private readonly logger: Logger
  private readonly time: Time
  private readonly maxMetadataBytes: number
  private readonly retentionMs: number
  private readonly checkIntervalMs: number
  private readonly onGroupOffsetsExpired: ((groupId: string) => void | Promise<void>) | undefined
  private readonly groups = new Map<string, GroupOffsets>()
  /** Transactional commits by producer id, applied at their commit marker, dropped at an abort. */
  private readonly pendingTxn = new Map<bigint, PendingTxnOffset[]>()
  private readonly locks = new Map<string, { mutex: Mutex; users: number }>()
  private timer: Timer | undefined
  private expiring: Promise<unknown> | undefined
  private closed = false

  constructor(opts: OffsetManagerOptions) {
    this.log = opts.log
    this.membership = opts.membership
    this.logger = opts.logger.child({ component: 'offsets' })
    this.time = opts.time ?? systemTime
    this.maxMetadataBytes = opts.maxMetadataBytes
    this.retentionMs = opts.retentionMs
    this.checkIntervalMs = opts.checkIntervalMs
    this.onGroupOffsetsExpired = opts.onGroupOffsetsExpired
  }

  // ---- queries ---------------------------------------------------------------------------

  /** Groups with at least one committed offset (simple groups exist only through these). */
  groupIds(): string[] {
    return [...this.groups.keys()]
  }

  hasOffsets(groupId: string): boolean {
    return this.groups.has(groupId)
  }

  committed(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(groupId)?.get(topic)?.get(partition)
  }

  // ---- OffsetCommit ----------------------------------------------------------------------

  /**
   * Validates the commit against the group (throws KafkaError for the whole request: the
   * membership's errors, or GROUP_ID_NOT_FOUND / ILLEGAL_GENERATION for an unknown group),
   * writes one record per accepted partition and returns each partition's error code
   * (OFFSET_METADATA_TOO_LARGE for metadata longer than offset.metadata.max.bytes).
   */
  /**
   * TxnOffsetCommit: the commits are written as part of the producer's transaction and become
   * visible (to OffsetFetch) only when its commit marker is written (`onTransactionCompleted`);
   * an abort drops them. A generation of -1 (TxnOffsetCommit before v3, or a producer that does
   * not send the consumer's group metadata) skips the membership check, as Kafka.
   */
  async commitTransactional(req: OffsetCommitInput, producer: TxnProducer): Promise<PartitionResult[]> {
    return this.commit(req, producer)
  }

  /** A transaction's marker reached this partition: its pending commits are applied or dropped. */
  onTransactionCompleted(producerId: bigint, commit: boolean): void {
    const pending = this.pendingTxn.get(producerId)
    if (!pending) return
    this.pendingTxn.delete(producerId)
    if (!commit) return
    for (const p of pending) {
      const held = this.committed(p.groupId, p.topic, p.partition)
      // A plain commit written after the transactional one wins, as on replay.
      if (held && held.recordOffset > p.value.recordOffset) continue
      this.put(p.groupId, p.topic, p.partition, p.value)
    }
  }

  /** Whether a transaction holds uncommitted offsets of the group's partition (OffsetFetch requireStable). */
  hasPendingTxnOffset(groupId: string, topic: string, partition: number): boolean {
    for (const list of this.pendingTxn.values()) if (list.some((p) => p.groupId === groupId && p.topic === topic && p.partition === partition)) return true
    return false
  }

  async commit(req: OffsetCommitInput, producer?: TxnProducer): Promise<PartitionResult[]> {
    return this.withGroup(req.groupId, async () => {
      if (!producer || req.generationId >= 0) this.validateCommit(req)
      const now = this.time.now()
      const expireTimestamp = req.retentionTimeMs === -1 ? undefined : now + req.retentionTimeMs
      const results: PartitionResult[] = []
      const accepted: Array<{ topic: string; partition: number; value: CommittedOffset }> = []
      const entries: GroupLogEntry[] = []
      for (const o of req.offsets) {
        // Java's String.length(), which is what Kafka compares: UTF-16 code units.
        if (o.metadata !== null && o.metadata.length > this.maxMetadataBytes) {
          results.push({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE })
          continue
        }
        const own = o.commitTimestamp !== undefined && o.commitTimestamp !== -1 ? o.commitTimestamp + this.retentionMs : expireTimestamp
        const value: CommittedOffset = { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata ?? '', commitTimestamp: now, expireTimestamp: own, recordOffset: -1 }
        accepted.push({ topic: o.topic, partition: o.partition, value })
        entries.push(offsetCommitRecord(req.groupId, o.topic, o.partition, toStored(value)))
        results.push({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.NONE })
      }
      if (entries.length > 0) {
        const { firstOffset } = await this.log.append(req.groupId, entries, producer)
        if (producer) {
          let list = this.pendingTxn.get(producer.producerId)
          if (!list) this.pendingTxn.set(producer.producerId, (list = []))
          accepted.forEach((a, i) => list!.push({ groupId: req.groupId, topic: a.topic, partition: a.partition, value: { ...a.value, recordOffset: firstOffset + i } }))
        } else {
          accepted.forEach((a, i) => this.put(req.groupId, a.topic, a.partition, { ...a.value, recordOffset: firstOffset + i }))
        }
      }
      return results
    })
  }

  private validateCommit(req: OffsetCommitInput): void {
    if (this.membership.exists(req.groupId)) {
      this.membership.validateOffsetCommit(req.groupId, req.memberId, req.generationId, req.groupInstanceId)
      return
    }
    if (this.groups.has(req.groupId)) {
      // A simple group (offsets, no members): Kafka's empty classic group takes any commit
      // without a generation; one with a generation names a member it does not have.
      if (req.generationId < 0) return
      throw new KafkaError('UNKNOWN_MEMBER_ID', `group ${req.groupId} has no member ${req.memberId}`)
    }
    if (req.generationId < 0) return
    if (req.unknownGroupIsNotFound) throw new KafkaError('GROUP_ID_NOT_FOUND', `group ${req.groupId} does not exist`)
    throw new KafkaError('ILLEGAL_GENERATION', `group ${req.groupId} does not exist, so generation ${req.generationId} is not current`)
  }

  // ---- OffsetFetch -----------------------------------------------------------------------

  /**
   * The group's committed offsets: of `topics` (-1, '' for partitions without one), or of every
   * partition with a commit when `topics` is null. Throws KafkaError when the membership rejects
   * the member (v9+). requireStable waits for the group's commits in flight, as Kafka's
   * write-ordered fetch does.
   */
  async fetch(groupId: string, topics: Array<{ topic: string; partitions: number[] }> | null, opts: { memberId?: string | null; memberEpoch?: number; requireStable?: boolean } = {}): Promise<FetchedTopic[]> {
    if (opts.requireStable) await this.withGroup(groupId, async () => {})
    let known = true
    try {
      this.membership.validateOffsetFetch(groupId, opts.memberId ?? null, opts.memberEpoch ?? -1)
    } catch (err) {
      if (!(err instanceof KafkaError) || err.code !== ErrorCode.GROUP_ID_NOT_FOUND) throw err
      known = false
    }
    const offsets = known ? this.groups.get(groupId) : undefined
    if (topics === null) {
      return [...(offsets ?? new Map<string, PartitionOffsets>())].map(([topic, parts]) => ({
        topic,
        partitions: [...parts].map(([partition, o]) => fetched(partition, o)),
      }))
    }
    return topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => fetched(p, offsets?.get(t.topic)?.get(p))) }))
  }

  // ---- OffsetDelete ----------------------------------------------------------------------

  /**
   * Deletes the group's offsets of the given partitions (Kafka's deleteOffsets). Throws
   * GROUP_ID_NOT_FOUND for an unknown group and NON_EMPTY_GROUP for a group with members that
   * does not use the consumer protocol; a topic some member is subscribed to gets
   * GROUP_SUBSCRIBED_TO_TOPIC on all its partitions.
   */
  async deleteOffsets(groupId: string, topics: Array<{ topic: string; partitions: number[] }>): Promise<PartitionResult[]> {
    return this.withGroup(groupId, async () => {
      const member = this.membership.exists(groupId)
      if (!member && !this.groups.has(groupId)) throw new KafkaError('GROUP_ID_NOT_FOUND', `group ${groupId} does not exist`)
      if (member && !this.membership.isEmpty(groupId)) {
        const type = this.membership.protocolType ? this.membership.protocolType(groupId) : 'consumer'
        if (type !== 'consumer') throw new KafkaError('NON_EMPTY_GROUP', `group ${groupId} has members and does not use the consumer protocol`)
      }
      const results: PartitionResult[] = []
      const doomed: Array<{ topic: string; partition: number }> = []
      for (const t of topics) {
        const subscribed = member && this.membership.isSubscribedTo(groupId, t.topic)
        for (const partition of t.partitions) {
          if (subscribed) {
            results.push({ topic: t.topic, partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC })
            continue
          }
          results.push({ topic: t.topic, partition, errorCode: ErrorCode.NONE })
          if (this.committed(groupId, t.topic, partition)) doomed.push({ topic: t.topic, partition })
        }
      }
      await this.writeTombstones(groupId, doomed)
      return results
    })
  }

  /**
   * Tombstones for every offset of the group (DeleteGroups), written in one batch with `extra`
   * (e.g. the group's own GroupMetadata tombstone). Returns how many offsets went.
   */
  async deleteGroup(groupId: string, extra: readonly GroupLogEntry[] = []): Promise<number> {
    return this.withGroup(groupId, async () => {
      const doomed: Array<{ topic: string; partition: number }> = []
      for (const [topic, parts] of this.groups.get(groupId) ?? []) for (const partition of parts.keys()) doomed.push({ topic, partition })
      await this.writeTombstones(groupId, doomed, extra)
      return doomed.length
    })
  }

  private async writeTombstones(groupId: string, doomed: ReadonlyArray<{ topic: string; partition: number }>, extra: readonly GroupLogEntry[] = []): Promise<void> {
    const entries = [...doomed.map((d) => offsetCommitRecord(groupId, d.topic, d.partition, null)), ...extra]
    if (entries.length === 0) return
    await this.log.append(groupId, entries)
    for (const d of doomed) this.remove(groupId, d.topic, d.partition)
  }

  // ---- expiry ----------------------------------------------------------------------------

  /**
   * Starts the expiry timer (offsets.retention.check.interval.ms). Each run is scheduled when
   * the previous one ended, so runs never overlap.
   */
  start(): void {
    if (this.timer || this.closed) return
    this.timer = this.time.setTimeout(() => {
      this.expiring = this.expireOffsets()
        .catch((err: Error) => this.logger.warn('expiring offsets failed', { error: err.message }))
        .finally(() => {
          this.expiring = undefined
          this.timer = undefined
          this.start()
        })
    }, this.checkIntervalMs)
  }

  /**
   * Writes tombstones for expired offsets of empty groups (Kafka's cleanupExpiredOffsets): an
   * offset with an expire timestamp expires then; otherwise after offsets.retention.minutes
   * counted from when the group became empty (membership's emptySince) or, without one, from
   * its commit. Topics a member subscribes to are kept. Returns how many offsets expired.
   */
  async expireOffsets(): Promise<number> {
    let expired = 0
    for (const groupId of [...this.groups.keys()]) {
      try {
        expired += await this.expireGroup(groupId)
      } catch (err) {
        this.logger.warn('expiring offsets of a group failed', { group: groupId, error: (err as Error).message })
      }
    }
    if (expired > 0) this.logger.info('expired committed offsets', { offsets: expired })
    return expired
  }

  private async expireGroup(groupId: string): Promise<number> {
    const emptied = await this.withGroup(groupId, async () => {
      const offsets = this.groups.get(groupId)
      if (!offsets || !this.membership.isEmpty(groupId)) return undefined
      const now = this.time.now()
      const since = this.membership.emptySince?.(groupId)
      const doomed: Array<{ topic: string; partition: number }> = []
      let kept = 0
      for (const [topic, parts] of offsets) {
        if (this.membership.isSubscribedTo(groupId, topic)) {
          kept += parts.size
          continue
        }
        for (const [partition, o] of parts) {
          const isExpired = o.expireTimestamp !== undefined ? now >= o.expireTimestamp : now - (since ?? o.commitTimestamp) >= this.retentionMs
          if (isExpired) doomed.push({ topic, partition })
          else kept++
        }
      }
      await this.writeTombstones(groupId, doomed)
      return { count: doomed.length, all: doomed.length > 0 && kept === 0 }
    })
    if (emptied?.all) await this.onGroupOffsetsExpired?.(groupId)
    return emptied?.count ?? 0
  }

  /** Deletes every group's offsets of a deleted topic (Kafka's onPartitionsDeleted). */
  async onTopicDeleted(topic: string): Promise<number> {
    let deleted = 0
    for (const groupId of [...this.groups.keys()]) {
      deleted += await this.withGroup(groupId, async () => {
        const parts = this.groups.get(groupId)?.get(topic)
        if (!parts) return 0
        const doomed = [...parts.keys()].map((partition) => ({ topic, partition }))
        await this.writeTombstones(groupId, doomed)
        return doomed.length
      })
    }
    return deleted
  }

  // ---- loading ---------------------------------------------------------------------------

  /**
   * Applies one OffsetCommit record read from `__consumer_offsets` (GroupLog.load's onOffset).
   * A commit older (by record offset) than the one held is ignored: transactional commits are
   * applied at their marker, after later plain commits may have been.
   */
  replay(key: OffsetCommitKey, value: StoredOffset | null, recordOffset: number): void {
    if (value === null) {
      this.remove(key.group, key.topic, key.partition)
      return
    }
    const held = this.committed(key.group, key.topic, key.partition)
    if (held && held.recordOffset > recordOffset) return
    this.put(key.group, key.topic, key.partition, {
      offset: value.offset,
      leaderEpoch: value.leaderEpoch,
      metadata: value.metadata,
      commitTimestamp: Number(value.commitTimestamp),
      expireTimestamp: value.expireTimestamp !== undefined && value.expireTimestamp >= 0n ? Number(value.expireTimestamp) : undefined,
      recordOffset,
    })
  }

  /** A transactional commit found at load without its transaction's marker: it waits for it (onTransactionCompleted). */
  replayPending(producerId: bigint, key: OffsetCommitKey, value: StoredOffset, recordOffset: number): void {
    let list = this.pendingTxn.get(producerId)
    if (!list) this.pendingTxn.set(producerId, (list = []))
    list.push({
      groupId: key.group,
      topic: key.topic,
      partition: key.partition,
      value: {
        offset: value.offset,
        leaderEpoch: value.leaderEpoch,
        metadata: value.metadata,
        commitTimestamp: Number(value.commitTimestamp),
        expireTimestamp: value.expireTimestamp !== undefined && value.expireTimestamp >= 0n ? Number(value.expireTimestamp) : undefined,
        recordOffset,
      },
    })
  }

  /** Stops the expiry timer and waits for an expiry run in flight. */
  async close(): Promise<void> {
    this.closed = true
    this.time.clearTimeout(this.timer)
    this.timer = undefined
    await this.expiring
  }

  // ---- internals -------------------------------------------------------------------------

  private put(groupId: string, topic: string, partition: number, value: CommittedOffset): void {
    let g = this.groups.get(groupId)
    if (!g) this.groups.set(groupId, (g = new Map()))
    let t = g.get(topic)
    if (!t) g.set(topic, (t = new Map()))
    t.set(partition, value)
  }

  private remove(groupId: string, topic: string, partition: number): void {
    const g = this.groups.get(groupId)
    const t = g?.get(topic)
    if (!g || !t) return
    t.delete(partition)
    if (t.size === 0) g.delete(topic)
    if (g.size === 0) this.groups.delete(groupId)
  }

  private async withGroup<T>(groupId: string, fn: () => Promise<T>): Promise<T> {
    let lock = this.locks.get(groupId)
    if (!lock) this.locks.set(groupId, (lock = { mutex: new Mutex(), users: 0 }))
    lock.users++
    try {
      return await lock.mutex.run(fn)
    } finally {
      if (--lock.users === 0) this.locks.delete(groupId)
    }
  }
}

function toStored(v: CommittedOffset): StoredOffset {
  const s: StoredOffset = { offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestamp: BigInt(v.commitTimestamp) }
  if (v.expireTimestamp !== undefined) s.expireTimestamp = BigInt(v.expireTimestamp)
  return s
}

function fetched(partition: number, o: CommittedOffset | undefined): FetchedOffset {
  if (!o) return { partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }
  return { partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE }
}
