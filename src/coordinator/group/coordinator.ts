/**
 * The group coordinator (classic protocol): consumer group membership (join, sync, heartbeat,
 * leave, static members, rebalances) and committed offsets, both kept in `__consumer_offsets`
 * with Kafka's record schemas so that the bytes match Kafka's. The coordinator of group G is
 * the leader of partition `abs(javaHashCode(G)) % partitions`, as in Kafka.
 *
 * Leadership: the broker tells the coordinator which partitions it leads, as Kafka's replica
 * manager does: onElection(partition, leaderEpoch) loads that partition's groups and offsets
 * (replaying it from log start to log end), onResignation(partition, leaderEpoch) drops them.
 * Each partition is not led, loading, loaded or failed; a request for a group resolves its
 * partition first: not led or failed → NOT_COORDINATOR (the client looks for the coordinator
 * again), loading → COORDINATOR_LOAD_IN_PROGRESS (the client retries). Events with an epoch older
 * than one already seen for the partition are stale and ignored; a resignation must carry an
 * epoch newer than the one the partition was loaded with (as Kafka's CoordinatorRuntime), or
 * none at all (the topic was deleted).
 *
 * Dependencies: the internal topic through InternalTopic (never the broker), configuration as a
 * plain object, time through Time. Split: one GroupShard per loaded partition (membership in
 * group.ts / membership.ts, offsets in offset-manager.ts); `__consumer_offsets` reading and
 * writing in group-log.ts.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { Logger } from '../../util/logger.js'
import { systemTime, type Time } from '../../util/time.js'
import type { InternalTopic } from '../internal-topic.js'
import { GROUP_METADATA_TOPIC, GroupLog, offsetsTopicSettings } from './group-log.js'
import { GroupShard } from './group-shard.js'
import type { GroupDescription, JoinRequest, SyncRequest, SyncResult } from './membership.js'
import type { JoinResult } from './group.js'
import type { CommittedOffset, FetchedTopic, OffsetCommitInput, PartitionResult } from './offset-manager.js'

/**
 * What the offset side needs from membership. GroupMembership implements it; OffsetManager
 * takes it in its constructor.
 */
export interface MembershipView {
  /**
   * Checks an OffsetCommit (or TxnOffsetCommit) against the group's membership, as Kafka's
   * ClassicGroup.validateOffsetCommit does. Throws KafkaError: COORDINATOR_NOT_AVAILABLE
   * (group being loaded or dead), UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, ILLEGAL_GENERATION,
   * REBALANCE_IN_PROGRESS. A commit with generationId < 0 and an empty memberId is a simple
   * consumer's (manual assignment): allowed when the group has no members (or does not exist).
   */
  validateOffsetCommit(groupId: string, memberId: string, generationId: number, groupInstanceId: string | null): void
  /**
   * Checks an OffsetFetch from a member (v9+ sends memberId/memberEpoch for the new protocol;
   * classic members send nothing): throws UNKNOWN_MEMBER_ID / STALE_MEMBER_EPOCH when given
   * and wrong. Nothing to check when memberId is null.
   */
  validateOffsetFetch(groupId: string, memberId: string | null, memberEpoch: number): void
  /** True when the group has no members (or does not exist): its offsets may expire. */
  isEmpty(groupId: string): boolean
  /** Names of all groups with state (members or metadata), for ListGroups / DeleteGroups. */
  exists(groupId: string): boolean
  /**
   * Whether a member of the group is subscribed to `topic` (consumer protocol groups with
   * members; false for empty or unknown groups), as Kafka's Group.isSubscribedToTopic.
   * OffsetDelete answers GROUP_SUBSCRIBED_TO_TOPIC for such topics, and expiry skips them.
   */
  isSubscribedTo(groupId: string, topic: string): boolean
  /**
   * When the group last became Empty (epoch ms: GroupMetadataValue.currentStateTimestamp), for
   * offset expiry as Kafka's ClassicGroup.offsetExpirationCondition: the offsets of an Empty
   * group with a protocol type age from that moment. Undefined (a simple group committing with
   * manual assignment, no protocol type; or not known) makes each offset age from its own
   * commit timestamp. Only asked when isEmpty(groupId). Optional: without it every offset ages
   * from its commit.
   */
  emptySince?(groupId: string): number | undefined
  /**
   * The group's protocol type ("consumer", "connect", ...; null when it has none). OffsetDelete
   * refuses a group with members whose type is not "consumer" (NON_EMPTY_GROUP), as Kafka's
   * ClassicGroup.validateOffsetDelete. Optional: without it every group counts as "consumer".
   */
  protocolType?(groupId: string): string | null
}

/** The coordinator's settings, by their Kafka names; the broker builds this from its config. */
export interface GroupCoordinatorConfig {
  /** group.min.session.timeout.ms */
  minSessionTimeoutMs: number
  /** group.max.session.timeout.ms */
  maxSessionTimeoutMs: number
  /** group.initial.rebalance.delay.ms */
  initialRebalanceDelayMs: number
  /** group.max.size */
  maxGroupSize: number
  /** offsets.topic.num.partitions: used when the coordinator creates `__consumer_offsets`. */
  offsetsTopicPartitions: number
  /** offsets.topic.replication.factor */
  offsetsTopicReplicationFactor: number
  /** offsets.topic.segment.bytes */
  offsetsTopicSegmentBytes: number
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number
  /** offsets.retention.minutes */
  offsetsRetentionMinutes: number
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number
}

export interface GroupCoordinatorOptions {
  /** `__consumer_offsets`, as the broker offers it. */
  topic: InternalTopic
  config: GroupCoordinatorConfig
  logger: Logger
  /** Membership timers, state timestamps, offset expiry and compaction; default the system clock. */
  time?: Time
}

export type PartitionStatus = 'not-led' | 'loading' | 'loaded' | 'failed'

interface LedPartition {
  status: Exclude<PartitionStatus, 'not-led'>
  /** The leader epoch the partition was elected with (raised by later elections while led). */
  epoch: number
  shard: GroupShard
  /** Settles when loading ends, whatever the outcome. */
  loading: Promise<void>
}

export interface ListedGroups {
  /** COORDINATOR_LOAD_IN_PROGRESS while any partition loads (Kafka's ListGroups), else NONE. */
  errorCode: number
  groups: Array<{ groupId: string; protocolType: string; state: string }>
}

/**
 * Membership, offsets and their log behind one object, reachable from handlers as
 * `ctx.broker.groups`. Methods resolve the group's partition first and throw KafkaError
 * (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE) when it cannot be
 * served here; the handler puts the code where its response carries it.
 */
export class GroupCoordinator {
  readonly log: GroupLog
  private readonly config: GroupCoordinatorConfig
  private readonly logger: Logger
  private readonly time: Time
  private readonly led = new Map<number, LedPartition>()
  /** The newest leader epoch seen per partition, led or not; forgotten when the topic goes. */
  private readonly epochs = new Map<number, number>()
  private closed = false

  constructor(opts: GroupCoordinatorOptions) {
    const c = opts.config
    this.config = c
    this.logger = opts.logger.child({ component: 'group-coordinator' })
    this.time = opts.time ?? systemTime
    this.log = new GroupLog({
      topic: opts.topic,
      settings: offsetsTopicSettings(c),
      logger: opts.logger,
      time: this.time,
    })
  }

  // ---- leadership ------------------------------------------------------------------------

  /**
   * This broker leads `partition` from `leaderEpoch` on: loads its groups and offsets.
   * Resolves when loading ended (or at once when the event is stale or changes nothing).
   */
  onElection(partition: number, leaderEpoch: number): Promise<void> {
    if (this.closed) return Promise.resolve()
    const seen = this.epochs.get(partition)
    const current = this.led.get(partition)
    if (seen !== undefined && leaderEpoch <= seen) {
      this.logger.info('ignoring a stale election', { partition, leaderEpoch, seen })
      return current?.loading ?? Promise.resolve()
    }
    this.epochs.set(partition, leaderEpoch)
    if (current && current.status !== 'failed') {
      // Still the leader, at a newer epoch: what is in memory is what is in the log.
      current.epoch = leaderEpoch
      return current.loading
    }
    const shard = new GroupShard({ partition, log: this.log, config: this.config, logger: this.logger, time: this.time })
    const state: LedPartition = { status: 'loading', epoch: leaderEpoch, shard, loading: Promise.resolve() }
    this.led.set(partition, state)
    state.loading = this.load(state, partition)
    return state.loading
  }

  private async load(state: LedPartition, partition: number): Promise<void> {
    const started = performance.now()
    const { shard } = state
    try {
      const stats = await this.log.load(
        partition,
        (key, value, recordOffset) => shard.offsets.replay(key, value, recordOffset),
        (groupId, value) => shard.membership.load(groupId, value),
        (producerId, key, value, recordOffset) => shard.offsets.replayPending(producerId, key, value, recordOffset),
      )
      if (this.led.get(partition) !== state) {
        // Resigned while loading: this shard was never served and is dropped.
        await shard.close()
        return
      }
      state.status = 'loaded'
      shard.start()
      const fields = { partition, epoch: state.epoch, records: stats.records, skipped: stats.skipped, millis: Math.round(performance.now() - started) }
      if (stats.records > 0) this.logger.info('loaded __consumer_offsets partition', fields)
      else this.logger.debug('loaded __consumer_offsets partition', fields)
    } catch (err) {
      await shard.close()
      if (this.led.get(partition) !== state) return
      state.status = 'failed'
      this.logger.error('loading a __consumer_offsets partition failed; its groups get NOT_COORDINATOR until it is elected again', { partition, epoch: state.epoch, error: (err as Error).message })
    }
  }

  /**
   * This broker no longer leads `partition` (another broker does from `leaderEpoch`; no epoch:
   * the topic was deleted): its groups are dropped, waiting joins and syncs are answered
   * NOT_COORDINATOR, their timers stop. Resolves once the shard's background work stopped.
   */
  async onResignation(partition: number, leaderEpoch?: number): Promise<void> {
    const current = this.led.get(partition)
    if (leaderEpoch === undefined) {
      this.epochs.delete(partition)
    } else {
      const seen = this.epochs.get(partition)
      if ((seen !== undefined && leaderEpoch < seen) || (current && leaderEpoch <= current.epoch)) {
        this.logger.info('ignoring a stale resignation', { partition, leaderEpoch, seen })
        return
      }
      this.epochs.set(partition, leaderEpoch)
    }
    if (!current) return
    this.led.delete(partition)
    this.logger.info('resigned as coordinator of a __consumer_offsets partition', { partition, leaderEpoch: leaderEpoch ?? null })
    await current.shard.close()
  }

  /** Where a partition stands, for tests and diagnosis. */
  partitionStatus(partition: number): { status: PartitionStatus; epoch: number | undefined } {
    const p = this.led.get(partition)
    return { status: p?.status ?? 'not-led', epoch: p?.epoch ?? this.epochs.get(partition) }
  }

  // ---- the topic -------------------------------------------------------------------------

  get numPartitions(): number {
    return this.log.numPartitions
  }

  partitionFor(groupId: string): number {
    return this.log.partitionFor(groupId)
  }

  /**
   * Creates `__consumer_offsets` unless it exists (COORDINATOR_NOT_AVAILABLE when it cannot).
   * The call that creates it also waits for the partitions this made this broker lead to load: a
   * JoinGroup right after the FindCoordinator that created the topic finds its partition ready.
   * When the topic exists this answers at once, as FindCoordinator must (Kafka names the leader
   * even while it loads).
   */
  async ensureTopic(): Promise<number> {
    if (this.log.exists()) return this.log.numPartitions
    const n = await this.log.ensureTopic()
    await this.loads()
    return n
  }

  private loads(): Promise<unknown> {
    return Promise.all([...this.led.values()].filter((p) => p.status === 'loading').map((p) => p.loading))
  }

  /** A topic was deleted: every group's offsets of it go too, as Kafka's onPartitionsDeleted. */
  async onTopicDeleted(topic: string): Promise<void> {
    if (topic === GROUP_METADATA_TOPIC) return
    await Promise.all(
      [...this.led.values()]
        .filter((p) => p.status === 'loaded')
        .map((p) => p.shard.offsets.onTopicDeleted(topic).catch((err: Error) => this.logger.warn('deleting offsets of a deleted topic failed', { topic, partition: p.shard.partition, error: err.message }))),
    )
  }

  // ---- requests --------------------------------------------------------------------------

  /**
   * The shard of the group's partition, or why there is none. A request before the topic
   * exists creates it first (as FindCoordinator does), so a client that skipped the lookup is
   * served as before.
   */
  private async shard(groupId: string): Promise<GroupShard> {
    if (this.closed) throw new KafkaError('COORDINATOR_NOT_AVAILABLE', 'The group coordinator is shutting down.')
    if (!this.log.exists()) {
      await this.ensureTopic()
    } else if (this.log.creating) {
      // A creation in flight makes the topic visible before its partitions are announced: wait
      // for it, and for the loads it started, so no group of it gets a spurious NOT_COORDINATOR.
      await this.log.created()
      await this.loads()
    }
    const partition = this.partitionFor(groupId)
    const p = this.led.get(partition)
    if (p?.status === 'loaded') return p.shard
    if (p?.status === 'loading') throw new KafkaError('COORDINATOR_LOAD_IN_PROGRESS', `__consumer_offsets-${partition}, which holds group ${groupId}, is still loading; retry shortly.`)
    throw new KafkaError('NOT_COORDINATOR', `This broker does not coordinate group ${groupId}: it does not lead (or could not load) __consumer_offsets-${partition}; find the coordinator again.`)
  }

  async join(req: JoinRequest): Promise<JoinResult> {
    const shard = await this.shard(req.groupId)
    return shard.membership.join(req)
  }

  async sync(req: SyncRequest): Promise<SyncResult> {
    const shard = await this.shard(req.groupId)
    return shard.membership.sync(req)
  }

  /** Heartbeat's error code. While the group's partition loads the answer is NONE, as Kafka's ("respond blindly"). */
  async heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): Promise<number> {
    let shard: GroupShard
    try {
      shard = await this.shard(groupId)
    } catch (err) {
      if (err instanceof KafkaError && err.code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE
      throw err
    }
    return shard.membership.heartbeat(groupId, memberId, groupInstanceId, generationId)
  }

  async leave(groupId: string, leaving: Array<{ memberId: string; groupInstanceId: string | null }>): Promise<{ errorCode: number; members: number[] }> {
    const shard = await this.shard(groupId)
    return shard.membership.leave(groupId, leaving)
  }

  async describe(groupId: string): Promise<GroupDescription> {
    return (await this.shard(groupId)).describe(groupId)
  }

  /**
   * Every group of every loaded partition (Kafka's ListGroups skips partitions it does not
   * lead); while any partition loads, the answer is COORDINATOR_LOAD_IN_PROGRESS.
   */
  list(): ListedGroups {
    if (this.closed) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] }
    const groups: ListedGroups['groups'] = []
    let loading = false
    for (const p of this.led.values()) {
      if (p.status === 'loading') loading = true
      else if (p.status === 'loaded') groups.push(...p.shard.list())
    }
    return loading ? { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] } : { errorCode: ErrorCode.NONE, groups }
  }

  /** DeleteGroups for one group: its error code (the group's partition's, or the deletion's). */
  async deleteGroup(groupId: string): Promise<number> {
    try {
      return await (await this.shard(groupId)).deleteGroup(groupId)
    } catch (err) {
      if (err instanceof KafkaError) return err.code
      throw err
    }
  }

  async commitOffsets(req: OffsetCommitInput): Promise<PartitionResult[]> {
    return (await this.shard(req.groupId)).offsets.commit(req)
  }

  /** TxnOffsetCommit: commits that become visible at the transaction's commit marker. */
  async commitTransactionalOffsets(req: OffsetCommitInput, producer: { producerId: bigint; producerEpoch: number }): Promise<PartitionResult[]> {
    return (await this.shard(req.groupId)).offsets.commitTransactional(req, producer)
  }

  /** A commit or abort marker was written to `partition` of `__consumer_offsets` for `producerId`. */
  async onTransactionCompleted(partition: number, producerId: bigint, commit: boolean): Promise<void> {
    const p = this.led.get(partition)
    if (p?.status === 'loaded') p.shard.offsets.onTransactionCompleted(producerId, commit)
  }

  async fetchOffsets(groupId: string, topics: Array<{ topic: string; partitions: number[] }> | null, opts: { memberId?: string | null; memberEpoch?: number; requireStable?: boolean } = {}): Promise<FetchedTopic[]> {
    return (await this.shard(groupId)).offsets.fetch(groupId, topics, opts)
  }

  async deleteOffsets(groupId: string, topics: Array<{ topic: string; partitions: number[] }>): Promise<PartitionResult[]> {
    return (await this.shard(groupId)).offsets.deleteOffsets(groupId, topics)
  }

  /** The offset committed here for a group's partition, if its partition is loaded (tools and tests). */
  committed(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    const p = this.led.get(this.partitionFor(groupId))
    return p?.status === 'loaded' ? p.shard.offsets.committed(groupId, topic, partition) : undefined
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const led = [...this.led.values()]
    this.led.clear()
    await Promise.all(led.map((p) => p.shard.close(ErrorCode.COORDINATOR_NOT_AVAILABLE)))
    await Promise.all(led.map((p) => p.loading))
    await this.log.close()
  }
}

export { KafkaError }
