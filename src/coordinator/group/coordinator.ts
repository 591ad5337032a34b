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
import { GroupMembership } from './membership.js'

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
}

/** Restores membership from a GroupMetadata record (null: tombstone) while loading the log. */
export type GroupRecordHandler = (groupId: string, value: GroupMetadataValue | null) => void

export interface GroupCoordinatorOptions {
  config: BrokerConfig
  logger: Logger
  /** Writes a group's GroupMetadata record (null: tombstone) to `__consumer_offsets`. */
  persist(groupId: string, value: GroupMetadataValue | null): Promise<void>
  /** Called by deleteGroup after the membership is gone: removes the group's offsets. */
  deleteOffsets?(groupId: string): Promise<void>
}

/** Membership and offsets behind one object, reachable from handlers as `ctx.broker.groups`. */
export class GroupCoordinator {
  readonly membership: GroupMembership
  private loaded: Promise<void> = Promise.resolve()

  constructor(private readonly opts: GroupCoordinatorOptions) {
    const c = opts.config
    this.membership = new GroupMembership({
      minSessionTimeoutMs: c.get('group.min.session.timeout.ms') as number,
      maxSessionTimeoutMs: c.get('group.max.session.timeout.ms') as number,
      initialRebalanceDelayMs: c.get('group.initial.rebalance.delay.ms') as number,
      maxGroupSize: c.get('group.max.size') as number,
      logger: opts.logger,
      persist: (id, v) => opts.persist(id, v),
    })
  }

  /** Start-up loading: requests wait for it rather than see a half-loaded group. */
  setLoading(p: Promise<void>): void {
    this.loaded = p
  }

  /** Resolves once groups (and offsets) are loaded; `groupId` names the group asked about. */
  async ready(_groupId: string | null): Promise<this> {
    await this.loaded
    return this
  }

  /** DeleteGroups: the membership (NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND), then the offsets. */
  async deleteGroup(groupId: string): Promise<number> {
    const code = await this.membership.delete(groupId)
    if (code === ErrorCode.NONE) await this.opts.deleteOffsets?.(groupId)
    return code
  }

  close(): void {
    this.membership.close()
  }
}

export { KafkaError }
