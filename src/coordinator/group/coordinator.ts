/**
 * The group coordinator (classic protocol): consumer group membership (join, sync, heartbeat,
 * leave, static members, rebalances) and committed offsets, both kept in `__consumer_offsets`
 * with Kafka's record schemas so that the bytes match Kafka's. One broker coordinates every
 * group here; the coordinator of group G is the leader of partition
 * `abs(javaHashCode(G)) % offsets.topic.num.partitions`, as in Kafka.
 *
 * Split: membership lives in group.ts / membership.ts, offsets in offset-manager.ts, and the
 * `__consumer_offsets` reading and writing in group-log.ts.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { GroupMetadataValue } from '../../protocol/generated/coordinator/group/group-metadata.js'
import type { BrokerConfig } from '../../broker/config.js'
import type { Logger } from '../../util/logger.js'
import { GroupLog, type GroupLogBroker } from './group-log.js'
import { groupMetadataRecord } from './group-records.js'
import { GroupMembership } from './membership.js'
import { OffsetManager } from './offset-manager.js'

/**
 * What the offset side needs from membership. The lead implements this in the coordinator;
 * OffsetManager takes it in its constructor.
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

/** Restores membership from a GroupMetadata record (null: tombstone) while loading the log. */
export type GroupRecordHandler = (groupId: string, value: GroupMetadataValue | null) => void

export interface GroupCoordinatorOptions {
  /** The broker parts the coordinator writes `__consumer_offsets` through. */
  broker: GroupLogBroker
}

/**
 * Membership, offsets and their log behind one object, reachable from handlers as
 * `ctx.broker.groups`. Start-up loading replays `__consumer_offsets`; requests wait for it.
 */
export class GroupCoordinator {
  readonly membership: GroupMembership
  readonly offsets: OffsetManager
  readonly log: GroupLog
  private loaded: Promise<void> = Promise.resolve()
  private readonly logger: Logger

  constructor(opts: GroupCoordinatorOptions) {
    const c: BrokerConfig = opts.broker.config
    this.logger = opts.broker.logger
    this.log = new GroupLog({ broker: opts.broker })
    this.membership = new GroupMembership({
      minSessionTimeoutMs: c.get('group.min.session.timeout.ms') as number,
      maxSessionTimeoutMs: c.get('group.max.session.timeout.ms') as number,
      initialRebalanceDelayMs: c.get('group.initial.rebalance.delay.ms') as number,
      maxGroupSize: c.get('group.max.size') as number,
      logger: opts.broker.logger,
      persist: async (id, v) => {
        await this.log.append(id, [groupMetadataRecord(id, v)])
      },
    })
    this.offsets = new OffsetManager({
      log: this.log,
      membership: this.membership,
      config: c,
      logger: opts.broker.logger,
      metadata: opts.broker.metadata,
      // Kafka deletes an empty group once its last offset expired.
      onGroupOffsetsExpired: async (id) => {
        if (this.membership.describe(id).state === 'Empty') await this.membership.delete(id)
      },
    })
  }

  /** Replays `__consumer_offsets` (if it exists), then starts expiry and compaction. */
  start(): void {
    this.loaded = (async () => {
      const started = performance.now()
      const stats = await this.log.load(
        (key, value, recordOffset) => this.offsets.replay(key, value, recordOffset),
        (groupId, value) => this.membership.load(groupId, value),
      )
      if (stats.records > 0) this.logger.info('groups loaded', { records: stats.records, skipped: stats.skipped, millis: Math.round(performance.now() - started) })
      this.log.start()
      this.offsets.start()
    })()
    this.loaded.catch((err: Error) => this.logger.error('loading __consumer_offsets failed', { error: err.message }))
  }

  /**
   * Resolves once groups and offsets are loaded; `groupId` names the group asked about.
   * Loading failed: COORDINATOR_NOT_AVAILABLE, as for a coordinator that is not ready.
   */
  async ready(_groupId: string | null): Promise<this> {
    try {
      await this.loaded
    } catch {
      throw new KafkaError('COORDINATOR_NOT_AVAILABLE', 'the group coordinator could not load __consumer_offsets; see the broker log')
    }
    return this
  }

  /**
   * Every group, for ListGroups: those with membership state, and "simple" groups that exist
   * only through offsets committed with manual assignment (Empty, no protocol type, as Kafka
   * lists them).
   */
  list(): Array<{ groupId: string; protocolType: string; state: string }> {
    const out = this.membership.list().map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state as string }))
    const seen = new Set(out.map((g) => g.groupId))
    for (const id of this.offsets.groupIds()) if (!seen.has(id)) out.push({ groupId: id, protocolType: '', state: 'Empty' })
    return out
  }

  /** DescribeGroups: membership's view; a group known only by its offsets is Empty. */
  describe(groupId: string): ReturnType<GroupMembership['describe']> {
    const d = this.membership.describe(groupId)
    return d.state === 'Dead' && this.offsets.hasOffsets(groupId) ? { ...d, state: 'Empty' } : d
  }

  /** DeleteGroups: the membership (NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND), then the offsets. */
  async deleteGroup(groupId: string): Promise<number> {
    const known = this.membership.exists(groupId)
    if (!known && !this.offsets.hasOffsets(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND
    if (known) {
      const code = await this.membership.delete(groupId)
      if (code !== ErrorCode.NONE) return code
    }
    await this.offsets.deleteGroup(groupId)
    return ErrorCode.NONE
  }

  async close(): Promise<void> {
    this.membership.close()
    await this.loaded.catch(() => undefined)
    await this.offsets.close()
    await this.log.close()
  }
}

export { KafkaError }
