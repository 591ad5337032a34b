/**
 * Membership in a consumer group over the classic protocol (Java's AbstractCoordinator plus the
 * protocol half of ConsumerCoordinator): JoinGroup, SyncGroup (the leader runs the assignor),
 * Heartbeat in the background, LeaveGroup.
 *
 * Division of labour with the consumer, as in Java: the join/sync exchange runs in the
 * background, but everything the application can observe happens inside its `poll` / `next()`
 * — revoking before a join, applying the assignment after it, the listener callbacks. The
 * member only flags `rejoinReason`, `lost` and a completed assignment, and wakes the poll loop.
 *
 * States: unjoined (no generation) → joining (JoinGroup/SyncGroup in flight; no heartbeats,
 * the JoinGroup itself keeps the session) → stable (heartbeats every heartbeatIntervalMs).
 *
 * Errors:
 * - REBALANCE_IN_PROGRESS (heartbeat, sync): rejoin with the same member id and generation.
 * - ILLEGAL_GENERATION: generation reset (member id kept), owned partitions are lost.
 * - UNKNOWN_MEMBER_ID: member id and generation reset, owned partitions are lost.
 * - MEMBER_ID_REQUIRED (JoinGroup v4+, KIP-394): join again at once with the id given.
 * - NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE / connection loss: find the coordinator again.
 * - FENCED_INSTANCE_ID (another process took our group.instance.id) and configuration errors
 *   (INCONSISTENT_GROUP_PROTOCOL, INVALID_SESSION_TIMEOUT, GROUP_MAX_SIZE_REACHED, authorization):
 *   fatal, reported by every later poll.
 *
 * Static members (groupInstanceId, JoinGroup v5+) never send LeaveGroup: a restart within the
 * session timeout gets the old assignment back without a rebalance. JoinGroup v9's
 * skipAssignment tells a restarted static leader to keep the assignment the group has.
 *
 * max.poll.interval.ms: when the application has not polled for that long the member leaves
 * the group (dynamic members send LeaveGroup) and rejoins on its next poll, its partitions lost.
 */
import type { LeaveGroupRequest } from '../../protocol/generated/leave-group.js'
import { CoordinatorType, isCoordinatorMoved, type Cluster } from '../base/cluster.js'
import { ClientError, errorFor, isRetriable, KafkaError } from '../base/errors.js'
import type { TopicPartition } from '../base/types.js'
import { ApiKey } from '../../protocol/generated/api-keys.js'
import type { JoinGroupResponse } from '../../protocol/generated/join-group.js'
import type { SyncGroupResponse } from '../../protocol/generated/sync-group.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { Logger } from '../../util/logger.js'
import type { MemberSubscription } from './assignors/index.js'
import { CONSUMER_PROTOCOL_MAX_VERSION, CONSUMER_PROTOCOL_TYPE, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from './consumer-protocol.js'
import type { ResolvedConsumerOptions } from './options.js'

export interface GroupMemberHooks {
  /** Topics this member subscribes to now (a RegExp's current matches). */
  subscribedTopics(): string[]
  ownedPartitions(): TopicPartition[]
  /** Milliseconds since the application last polled; 0 while it waits inside a poll. */
  pollIdleMs(): number
  /** Refreshes what the subscription resolves to; called before every JoinGroup. */
  beforeJoin(): Promise<void>
  /** Something needs the poll loop: a rejoin, a finished join, an error. */
  wake(): void
  /** A non-fatal error the application should hear about (an assignor that threw). */
  onError(e: Error): void
}

export interface JoinResult {
  partitions: TopicPartition[]
  generationId: number
}

/** Errors for which retrying the join cannot help. */
const FATAL_JOIN_ERRORS = new Set<number>([
  ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  ErrorCode.INVALID_SESSION_TIMEOUT,
  ErrorCode.GROUP_MAX_SIZE_REACHED,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.INVALID_GROUP_ID,
  ErrorCode.UNSUPPORTED_VERSION,
])

export class GroupMember {
  memberId = ''
  generationId = -1
  protocolName: string | null = null
  isLeader = false
  /** Why a (re)join is needed; null while the membership is current. */
  rejoinReason: string | null = 'initial join'
  /** The partitions this member owns are no longer its own (generation or member id reset). */
  lost = false
  fatal: Error | null = null
  private joining: Promise<void> | null = null
  private completed: JoinResult | null = null
  private stable = false
  private closed = false
  private hbTimer: NodeJS.Timeout | undefined
  /** The last assignment received and its generation: input for the sticky assignors' userData. */
  private lastAssignment: TopicPartition[] | null = null
  private lastAssignmentGeneration = -1
  /** Leader only: partition count per group topic when it assigned (0 = topic missing). */
  private groupTopics: Map<string, number> | null = null
  private joinedTopics: string[] = []
  private readonly groupId: string

  constructor(
    private readonly cluster: Cluster,
    private readonly opts: ResolvedConsumerOptions,
    private readonly hooks: GroupMemberHooks,
    private readonly logger: Logger,
  ) {
    this.groupId = opts.groupId!
  }

  get needsJoin(): boolean {
    return this.rejoinReason !== null && this.joining === null && this.fatal === null && !this.closed
  }

  get isJoining(): boolean {
    return this.joining !== null
  }

  requestRejoin(reason: string): void {
    if (this.rejoinReason === null) {
      this.logger.debug('rejoin requested', { group: this.groupId, reason })
      this.rejoinReason = reason
    }
    this.hooks.wake()
  }

  /** The assignment of a finished join, once; the consumer applies it inside a poll. */
  takeCompleted(): JoinResult | null {
    const c = this.completed
    this.completed = null
    return c
  }

  /** Starts JoinGroup + SyncGroup in the background (the consumer has revoked what it had to). */
  startJoin(): void {
    if (this.joining || this.closed) return
    this.joining = this.joinAndSync().finally(() => {
      this.joining = null
      this.hooks.wake()
    })
  }

  private resetGeneration(resetMemberId: boolean, reason: string): void {
    this.logger.info('group membership reset', { group: this.groupId, memberId: this.memberId, generation: this.generationId, reason })
    this.generationId = -1
    if (resetMemberId) this.memberId = ''
    this.lost = true
    this.stopHeartbeat()
    this.requestRejoin(reason)
  }

  /** Records a commit's membership error (the coordinator knows best). */
  onMembershipError(code: number): void {
    if (code === ErrorCode.FENCED_INSTANCE_ID) this.failWith(errorFor(code, `group ${this.groupId}: another consumer uses groupInstanceId ${this.opts.groupInstanceId}`)!)
    else this.resetGeneration(code === ErrorCode.UNKNOWN_MEMBER_ID, `commit failed with ${errorFor(code)!.errorName}`)
  }

  private failWith(e: Error): void {
    this.fatal = e
    this.stopHeartbeat()
    this.hooks.wake()
  }

  private async coordinator() {
    return this.cluster.coordinatorConnection(CoordinatorType.Group, this.groupId, Date.now() + this.opts.requestTimeoutMs)
  }

  private forgetCoordinator(): void {
    this.cluster.forgetCoordinator(CoordinatorType.Group, this.groupId)
  }

  // ---- join / sync -------------------------------------------------------------------------------

  private async joinAndSync(): Promise<void> {
    this.stable = false
    this.stopHeartbeat()
    for (let attempt = 0; !this.closed; attempt++) {
      // Requests made from here on (a heartbeat's answer, a metadata change) need another round.
      this.rejoinReason = null
      let retry: Error | null = null
      try {
        const done = await this.joinOnce()
        if (done) {
          this.stable = true
          this.scheduleHeartbeat()
          return
        }
        attempt = -1
        continue
      } catch (e) {
        if (this.closed) return
        const code = e instanceof KafkaError ? e.code : undefined
        if (code !== undefined && FATAL_JOIN_ERRORS.has(code)) {
          this.failWith(e as Error)
          return
        }
        if (e instanceof ClientError && (e.code === 'UNSUPPORTED_VERSION' || e.code === 'INVALID_OPTION')) {
          this.failWith(e)
          return
        }
        if (!isRetriable(e)) this.hooks.onError(e as Error)
        retry = e as Error
      }
      this.rejoinReason ??= retry.message
      this.logger.debug('join failed; retrying', { group: this.groupId, error: retry.message })
      await this.cluster.sleepUntilRetry(attempt, Infinity, retry).catch(() => {})
    }
  }

  /** One JoinGroup + SyncGroup. True when an assignment came back; false to join again at once. */
  private async joinOnce(): Promise<boolean> {
    await this.hooks.beforeJoin()
    const conn = await this.coordinator()
    const version = conn.version(ApiKey.JoinGroup)
    if (this.opts.groupInstanceId !== null && version < 5) {
      throw new ClientError('UNSUPPORTED_VERSION', `${conn.describe()} supports JoinGroup up to v${version}; static membership (groupInstanceId) needs v5`)
    }
    const topics = [...this.hooks.subscribedTopics()].sort()
    const owned = this.hooks.ownedPartitions()
    const protocols = this.opts.assignors.map((a) => ({
      name: a.name,
      metadata: encodeSubscription({
        topics,
        userData: a.subscriptionUserData?.({ assigned: this.lastAssignment, generationId: this.lastAssignmentGeneration }) ?? null,
        ownedPartitions: owned,
        generationId: this.generationId,
        rackId: this.opts.clientRack,
      }),
    }))
    const rebalanceTimeoutMs = this.opts.maxPollIntervalMs
    let join: JoinGroupResponse
    try {
      join = await conn.request(
        ApiKey.JoinGroup,
        {
          groupId: this.groupId,
          sessionTimeoutMs: this.opts.sessionTimeoutMs,
          rebalanceTimeoutMs,
          memberId: this.memberId,
          groupInstanceId: this.opts.groupInstanceId,
          protocolType: CONSUMER_PROTOCOL_TYPE,
          protocols,
          reason: null,
        },
        { version, timeoutMs: Math.max(this.opts.requestTimeoutMs, rebalanceTimeoutMs + 5000) },
      )
    } catch (e) {
      this.forgetCoordinator()
      throw e
    }
    switch (join.errorCode) {
      case ErrorCode.NONE:
        break
      case ErrorCode.MEMBER_ID_REQUIRED:
        this.memberId = join.memberId
        return false
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.resetGeneration(true, 'JoinGroup: unknown member id')
        return false
      case ErrorCode.ILLEGAL_GENERATION:
        this.resetGeneration(false, 'JoinGroup: illegal generation')
        return false
      default:
        if (isCoordinatorMoved(join.errorCode)) this.forgetCoordinator()
        throw errorFor(join.errorCode, `joining group ${this.groupId}`)!
    }
    if (join.protocolName === null || (join.protocolType !== undefined && join.protocolType !== null && join.protocolType !== CONSUMER_PROTOCOL_TYPE)) {
      throw errorFor(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `joining group ${this.groupId}: protocol ${join.protocolType}/${join.protocolName}`)!
    }
    this.memberId = join.memberId
    this.generationId = join.generationId
    this.protocolName = join.protocolName
    this.isLeader = join.leader === join.memberId
    this.joinedTopics = topics
    this.groupTopics = null
    this.logger.info('joined group', { group: this.groupId, memberId: this.memberId, generation: this.generationId, protocol: this.protocolName, leader: this.isLeader })

    let assignments: Array<{ memberId: string; assignment: Buffer }> = []
    if (this.isLeader && !join.skipAssignment) assignments = await this.assign(join)
    const syncVersion = conn.version(ApiKey.SyncGroup)
    let sync: SyncGroupResponse
    try {
      sync = await conn.request(
        ApiKey.SyncGroup,
        {
          groupId: this.groupId,
          generationId: this.generationId,
          memberId: this.memberId,
          groupInstanceId: this.opts.groupInstanceId,
          protocolType: CONSUMER_PROTOCOL_TYPE,
          protocolName: this.protocolName,
          assignments,
        },
        { version: syncVersion, timeoutMs: Math.max(this.opts.requestTimeoutMs, rebalanceTimeoutMs + 5000) },
      )
    } catch (e) {
      this.forgetCoordinator()
      throw e
    }
    switch (sync.errorCode) {
      case ErrorCode.NONE:
        break
      case ErrorCode.REBALANCE_IN_PROGRESS:
        this.rejoinReason = 'SyncGroup: the group is rebalancing'
        return false
      case ErrorCode.UNKNOWN_MEMBER_ID:
        this.resetGeneration(true, 'SyncGroup: unknown member id')
        return false
      case ErrorCode.ILLEGAL_GENERATION:
        this.resetGeneration(false, 'SyncGroup: illegal generation')
        return false
      default:
        if (isCoordinatorMoved(sync.errorCode)) this.forgetCoordinator()
        throw errorFor(sync.errorCode, `syncing group ${this.groupId}`)!
    }
    const assigned = decodeAssignment(sync.assignment).partitions
    this.lastAssignment = assigned
    this.lastAssignmentGeneration = this.generationId
    this.completed = { partitions: assigned, generationId: this.generationId }
    return true
  }

  /** Leader: decode every member's subscription, read the topics' metadata, run the assignor. */
  private async assign(join: JoinGroupResponse): Promise<Array<{ memberId: string; assignment: Buffer }>> {
    const assignor = this.opts.assignors.find((a) => a.name === join.protocolName)
    if (!assignor) throw errorFor(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `group ${this.groupId} chose assignor ${join.protocolName}, which this consumer does not have`)!
    let version = CONSUMER_PROTOCOL_MAX_VERSION
    const all = new Set<string>()
    const members: MemberSubscription[] = join.members.map((m) => {
      const s = decodeSubscription(m.metadata)
      version = Math.min(version, s.version)
      for (const t of s.topics) all.add(t)
      return { memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, topics: s.topics, userData: s.userData, ownedPartitions: s.ownedPartitions, generationId: s.generationId, rackId: s.rackId }
    })
    const topics = [...all].sort()
    // The leader watches every group topic from now on, so partition changes trigger a rebalance.
    this.cluster.track(topics)
    await this.cluster.fetchMetadata(topics, this.opts.allowAutoCreateTopics)
    const counts = new Map<string, number>()
    const snapshot = new Map<string, number>()
    for (const t of topics) {
      const n = this.cluster.topics.get(t)?.partitions.length ?? 0
      snapshot.set(t, n)
      if (n > 0) counts.set(t, n)
    }
    let result: Map<string, TopicPartition[]>
    try {
      result = assignor.assign(members, counts)
    } catch (e) {
      throw new ClientError('ILLEGAL_STATE', `assignor ${assignor.name} failed: ${(e as Error).message}`, false, { cause: e })
    }
    this.groupTopics = snapshot
    return members.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment({ partitions: result.get(m.memberId) ?? [], userData: null }, version) }))
  }

  /** After a metadata refresh: rejoin when the group's topics or this member's subscription changed. */
  checkMetadata(): void {
    if (this.joining || this.rejoinReason !== null) return
    if (this.isLeader && this.groupTopics) {
      for (const [t, n] of this.groupTopics) {
        const now = this.cluster.topics.get(t)?.partitions.length ?? 0
        if (now !== n) {
          this.requestRejoin(`topic ${t} has ${now} partitions, was ${n}`)
          return
        }
      }
    }
    const topics = [...this.hooks.subscribedTopics()].sort()
    if (topics.length !== this.joinedTopics.length || topics.some((t, i) => t !== this.joinedTopics[i])) {
      this.requestRejoin('the subscription changed')
    }
  }

  // ---- heartbeat ---------------------------------------------------------------------------------

  private scheduleHeartbeat(delay = this.opts.heartbeatIntervalMs): void {
    clearTimeout(this.hbTimer)
    if (!this.stable || this.closed) return
    this.hbTimer = setTimeout(() => void this.heartbeat(), delay)
    this.hbTimer.unref()
  }

  private stopHeartbeat(): void {
    this.stable = false
    clearTimeout(this.hbTimer)
  }

  private async heartbeat(): Promise<void> {
    if (!this.stable || this.closed) return
    if (this.hooks.pollIdleMs() > this.opts.maxPollIntervalMs) {
      await this.pollTimeoutExpired()
      return
    }
    const generationId = this.generationId
    const memberId = this.memberId
    let next = this.opts.heartbeatIntervalMs
    try {
      const conn = await this.coordinator()
      const resp = await conn.request(ApiKey.Heartbeat, { groupId: this.groupId, generationId, memberId, groupInstanceId: this.opts.groupInstanceId })
      // An answer about a membership we no longer have (a join started meanwhile) says nothing.
      if (!this.stable || generationId !== this.generationId || memberId !== this.memberId) return
      switch (resp.errorCode) {
        case ErrorCode.NONE:
          break
        case ErrorCode.REBALANCE_IN_PROGRESS:
          this.requestRejoin('the group is rebalancing')
          break
        case ErrorCode.ILLEGAL_GENERATION:
          this.resetGeneration(false, `heartbeat: generation ${generationId} is not current`)
          return
        case ErrorCode.UNKNOWN_MEMBER_ID:
          this.resetGeneration(true, 'heartbeat: the coordinator does not know this member (session expired?)')
          return
        case ErrorCode.FENCED_INSTANCE_ID:
          this.failWith(errorFor(resp.errorCode, `group ${this.groupId}: another consumer uses groupInstanceId ${this.opts.groupInstanceId}`)!)
          return
        default:
          if (isCoordinatorMoved(resp.errorCode)) this.forgetCoordinator()
          this.logger.warn('heartbeat failed', { group: this.groupId, error: errorFor(resp.errorCode)!.message })
          next = this.opts.retryBackoffMs
      }
    } catch (e) {
      if (this.closed) return
      this.forgetCoordinator()
      this.logger.debug('heartbeat failed', { group: this.groupId, error: (e as Error).message })
      next = this.opts.retryBackoffMs
    }
    this.scheduleHeartbeat(next)
  }

  private async pollTimeoutExpired(): Promise<void> {
    this.logger.warn('no poll within maxPollIntervalMs; leaving the group (processing is too slow: raise maxPollIntervalMs or lower maxPollRecords)', {
      group: this.groupId,
      maxPollIntervalMs: this.opts.maxPollIntervalMs,
    })
    await this.leave('consumer poll timeout has expired')
    this.resetGeneration(true, 'poll timeout expired')
  }

  // ---- leaving -----------------------------------------------------------------------------------

  /** LeaveGroup for dynamic members (static ones wait for their session to expire, by design). */
  async leave(reason: string): Promise<void> {
    if (this.opts.groupInstanceId !== null || this.memberId === '') return
    const memberId = this.memberId
    this.stopHeartbeat()
    try {
      const conn = await this.coordinator()
      const version = conn.version(ApiKey.LeaveGroup)
      const body: LeaveGroupRequest = version >= 3 ? { groupId: this.groupId, members: [{ memberId, groupInstanceId: null, reason }] } : { groupId: this.groupId, memberId }
      const resp = await conn.request(ApiKey.LeaveGroup, body, { version })
      const code = resp.errorCode || resp.members?.[0]?.errorCode || 0
      if (code !== 0) this.logger.info('LeaveGroup failed', { group: this.groupId, error: errorFor(code)!.message })
      else this.logger.info('left group', { group: this.groupId, memberId, reason })
    } catch (e) {
      this.logger.info('LeaveGroup failed', { group: this.groupId, error: (e as Error).message })
    }
  }

  /** Stops heartbeats and joins; the caller leaves first if it should. */
  close(): void {
    this.closed = true
    this.stopHeartbeat()
  }
}
