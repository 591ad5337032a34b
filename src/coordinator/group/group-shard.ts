/**
 * The groups of one `__consumer_offsets` partition while this broker leads it (Kafka's
 * GroupCoordinatorShard): their membership and committed offsets, written to that partition
 * only. The coordinator makes one on election, fills it from the partition's log, and closes
 * it on resignation; a closed shard is never reached by a request again.
 *
 * A write admitted before the resignation may still land (it is in the log, and the next
 * leader loads it), but its caller is answered NOT_COORDINATOR and this shard's memory is
 * never consulted again, so nothing a late write does here can resurrect a group.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { Logger } from '../../util/logger.js'
import type { Time } from '../../util/time.js'
import type { GroupCoordinatorConfig } from './coordinator.js'
import type { GroupLog, TxnProducer } from './group-log.js'
import { groupMetadataRecord, type GroupLogEntry } from './group-records.js'
import { GroupMembership, type GroupDescription } from './membership.js'
import { OffsetManager } from './offset-manager.js'

export interface GroupShardOptions {
  partition: number
  log: GroupLog
  config: GroupCoordinatorConfig
  logger: Logger
  time: Time
}

export class GroupShard {
  readonly partition: number
  readonly membership: GroupMembership
  readonly offsets: OffsetManager
  private readonly log: GroupLog
  private active = true

  constructor(opts: GroupShardOptions) {
    const c = opts.config
    this.partition = opts.partition
    this.log = opts.log
    const logger = opts.logger.child({ partition: opts.partition })
    const append = (groupId: string, entries: readonly GroupLogEntry[], producer?: TxnProducer) => this.append(groupId, entries, producer)
    this.membership = new GroupMembership({
      minSessionTimeoutMs: c.minSessionTimeoutMs,
      maxSessionTimeoutMs: c.maxSessionTimeoutMs,
      initialRebalanceDelayMs: c.initialRebalanceDelayMs,
      maxGroupSize: c.maxGroupSize,
      logger,
      time: opts.time,
      persist: async (id, v) => {
        await append(id, [groupMetadataRecord(id, v)])
      },
    })
    this.offsets = new OffsetManager({
      log: { append },
      membership: this.membership,
      logger,
      time: opts.time,
      maxMetadataBytes: c.offsetMetadataMaxBytes,
      retentionMs: c.offsetsRetentionMinutes * 60_000,
      checkIntervalMs: c.offsetsRetentionCheckIntervalMs,
      // Kafka deletes an empty group once its last offset expired.
      onGroupOffsetsExpired: async (id) => {
        if (this.membership.describe(id).state === 'Empty') await this.membership.delete(id)
      },
    })
  }

  get isActive(): boolean {
    return this.active
  }

  /** The partition is loaded: background work (offset expiry) may begin. */
  start(): void {
    if (this.active) this.offsets.start()
  }

  /**
   * The partition is no longer ours (or the broker stops): waiting joins and syncs are answered
   * NOT_COORDINATOR, timers stop, and later requests that still hold this shard get `code`.
   */
  async close(code: number = ErrorCode.NOT_COORDINATOR): Promise<void> {
    this.active = false
    this.membership.close(code)
    await this.offsets.close()
  }

  /** Appends to this shard's partition, refused once the shard is closed. */
  private async append(groupId: string, entries: readonly GroupLogEntry[], producer?: TxnProducer): Promise<{ firstOffset: number; lastOffset: number }> {
    const refuse = () => new KafkaError('NOT_COORDINATOR', `This broker no longer coordinates group ${groupId} (it resigned as leader of __consumer_offsets-${this.partition}); find the coordinator again.`)
    const written = await this.log.append(
      this.partition,
      entries,
      () => {
        if (!this.active) throw refuse()
      },
      producer,
    )
    // Written, but the partition moved meanwhile: its new leader has the record; the caller
    // must not change this shard's memory and retries there.
    if (!this.active) throw refuse()
    return written
  }

  // ---- queries and deletion over membership and offsets ---------------------------------

  /**
   * The groups held here, for ListGroups: those with membership state, and "simple" groups that
   * exist only through offsets committed with manual assignment (Empty, no protocol type, as
   * Kafka lists them).
   */
  list(): Array<{ groupId: string; protocolType: string; state: string }> {
    const out = this.membership.list().map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state as string }))
    const seen = new Set(out.map((g) => g.groupId))
    for (const id of this.offsets.groupIds()) if (!seen.has(id)) out.push({ groupId: id, protocolType: '', state: 'Empty' })
    return out
  }

  /** DescribeGroups: membership's view; a group known only by its offsets is Empty. */
  describe(groupId: string): GroupDescription {
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
}
