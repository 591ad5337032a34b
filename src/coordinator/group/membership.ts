/**
 * Classic group membership, as Kafka's group coordinator runs it: JoinGroup (KIP-394 member
 * ids, protocol vote, initial rebalance delay, rebalance timeout), SyncGroup (the leader's
 * assignment handed to everyone), Heartbeat, LeaveGroup, session expiry, and static members
 * (KIP-345: a restart with the same group.instance.id takes its old place and assignment
 * without a rebalance). Responses that must wait (join, sync) are promises resolved when the
 * rebalance gets there. Group metadata is persisted through `persist` after each completed
 * sync and whenever the group empties, so a restarted broker knows its groups.
 *
 * One instance holds the groups of one `__consumer_offsets` partition while this broker leads
 * it; close() (resignation, shutdown) answers every waiting request and stops every timer.
 * Every timer and timestamp comes from the injected Time, so tests move time by hand.
 */
import { randomUUID } from 'node:crypto'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { GroupMetadataValue } from '../../protocol/generated/coordinator/group/group-metadata.js'
import type { Logger } from '../../util/logger.js'
import { systemTime, type Time } from '../../util/time.js'
import type { MembershipView } from './coordinator.js'
import { ClassicGroup, Member, type GroupState, type JoinResult, type JoinWaiter, type Protocol } from './group.js'
import { decodeSubscriptionTopics, fromMetadataValue, toMetadataValue } from './group-metadata.js'

export interface MembershipOptions {
  minSessionTimeoutMs: number
  maxSessionTimeoutMs: number
  initialRebalanceDelayMs: number
  maxGroupSize: number
  logger: Logger
  /** Session, rebalance and pending-member timers, and state timestamps. */
  time?: Time
  /** Writes the group's metadata record (null: tombstone); resolves when durable. */
  persist(groupId: string, value: GroupMetadataValue | null): Promise<void>
}

export interface JoinRequest {
  groupId: string
  memberId: string
  groupInstanceId: string | null
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: Protocol[]
  clientId: string
  clientHost: string
  /**
   * KIP-394 (JoinGroup v4+): a new dynamic member first gets MEMBER_ID_REQUIRED and an id to
   * come back with, so a lost response leaves no ghost member behind.
   */
  requireKnownMemberId: boolean
  /** The answer may carry skipAssignment (JoinGroup v9+, KIP-814). */
  supportsSkipAssignment: boolean
}

export interface SyncRequest {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
  protocolType: string | null
  protocolName: string | null
  assignments: Array<{ memberId: string; assignment: Buffer }>
}

export interface SyncResult {
  errorCode: number
  protocolType: string | null
  protocolName: string | null
  assignment: Buffer
}

export interface GroupDescription {
  groupId: string
  state: GroupState
  protocolType: string
  protocolName: string
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }>
}

const EMPTY = Buffer.alloc(0)

function joinError(errorCode: number, memberId = ''): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [], skipAssignment: false }
}

export class GroupMembership implements MembershipView {
  private readonly groups = new Map<string, ClassicGroup>()
  /** Groups in their initial delayed join (group.initial.rebalance.delay.ms). */
  private readonly initialDelayActive = new Set<string>()
  /** ...of which a new member joined since the current delay window began (it is extended). */
  private readonly joinedDuringDelay = new Set<string>()
  private readonly time: Time
  /** Set by close(): what a request still reaching this instance is answered. */
  private closedWith: number | undefined

  constructor(private readonly opts: MembershipOptions) {
    this.time = opts.time ?? systemTime
  }

  private get closed(): boolean {
    return this.closedWith !== undefined
  }

  // ---- JoinGroup -------------------------------------------------------------------------

  join(req: JoinRequest): Promise<JoinResult> {
    if (this.closedWith !== undefined) return Promise.resolve(joinError(this.closedWith, req.memberId))
    if (req.groupId === '') return Promise.resolve(joinError(ErrorCode.INVALID_GROUP_ID, req.memberId))
    if (req.sessionTimeoutMs < this.opts.minSessionTimeoutMs || req.sessionTimeoutMs > this.opts.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId))
    }
    let group = this.groups.get(req.groupId)
    if (!group) {
      if (req.memberId !== '') return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId))
      group = new ClassicGroup(req.groupId, this.time.now())
      this.groups.set(req.groupId, group)
    }
    if (group.is('Dead')) return Promise.resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId))
    if (!group.supports(req.protocolType, req.protocols)) return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId))
    return new Promise<JoinResult>((resolve) => {
      const waiter: JoinWaiter = { resolve, supportsSkipAssignment: req.supportsSkipAssignment }
      if (req.memberId === '') this.joinUnknown(group!, req, waiter)
      else this.joinKnown(group!, req, waiter)
    })
  }

  private joinUnknown(group: ClassicGroup, req: JoinRequest, waiter: JoinWaiter): void {
    const oldStatic = group.staticMemberId(req.groupInstanceId)
    if (oldStatic === undefined && group.members.size + group.pendingMembers.size >= this.opts.maxGroupSize) {
      waiter.resolve(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED))
      return
    }
    const memberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`
    if (req.groupInstanceId !== null) {
      if (oldStatic !== undefined) this.replaceStaticMember(group, oldStatic, this.newMember(memberId, req), req, waiter)
      else this.addMemberAndRebalance(group, this.newMember(memberId, req), waiter)
      return
    }
    if (req.requireKnownMemberId) {
      // KIP-394: the client must come back with this id, so a lost response does not leave a ghost member.
      group.pendingMembers.set(memberId, this.time.setTimeout(() => this.expirePending(group, memberId), req.sessionTimeoutMs))
      waiter.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId))
      return
    }
    this.addMemberAndRebalance(group, this.newMember(memberId, req), waiter)
  }

  private joinKnown(group: ClassicGroup, req: JoinRequest, waiter: JoinWaiter): void {
    const pending = group.pendingMembers.get(req.memberId)
    if (pending) {
      this.time.clearTimeout(pending)
      group.pendingMembers.delete(req.memberId)
      this.addMemberAndRebalance(group, this.newMember(req.memberId, req), waiter)
      return
    }
    const fenced = this.staticCheck(group, req.memberId, req.groupInstanceId)
    if (fenced !== ErrorCode.NONE) return waiter.resolve(joinError(fenced, req.memberId))
    const member = group.members.get(req.memberId)
    if (!member) return waiter.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId))
    switch (group.state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(group, member, req, waiter)
        return
      case 'CompletingRebalance':
        // The member lost our answer: send it again, unless its protocols changed.
        if (member.sameProtocols(req.protocols)) return waiter.resolve(this.joinResult(group, member.memberId))
        this.updateMemberAndRebalance(group, member, req, waiter)
        return
      case 'Stable':
        if (group.isLeader(member.memberId) || !member.sameProtocols(req.protocols)) {
          this.updateMemberAndRebalance(group, member, req, waiter)
        } else {
          this.touch(group, member)
          waiter.resolve(this.joinResult(group, member.memberId))
        }
        return
      default:
        waiter.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId))
    }
  }

  private newMember(memberId: string, req: JoinRequest): Member {
    return new Member(memberId, req.groupInstanceId, req.clientId, req.clientHost, req.rebalanceTimeoutMs, req.sessionTimeoutMs, req.protocolType, req.protocols)
  }

  /** FENCED_INSTANCE_ID when a static member's instance id now belongs to another member id. */
  private staticCheck(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId === null) return ErrorCode.NONE
    const current = group.staticMemberId(groupInstanceId)
    if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    return current === memberId ? ErrorCode.NONE : ErrorCode.FENCED_INSTANCE_ID
  }

  private addMemberAndRebalance(group: ClassicGroup, member: Member, waiter: JoinWaiter): void {
    member.awaitingJoin = waiter
    member.isNew = true
    group.add(member)
    if (this.initialDelayActive.has(group.groupId)) this.joinedDuringDelay.add(group.groupId)
    this.touch(group, member)
    this.maybePrepareRebalance(group, `member ${member.memberId} joined`)
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: Member, req: JoinRequest, waiter: JoinWaiter): void {
    member.awaitingJoin?.resolve(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId))
    member.protocols = req.protocols
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs
    member.sessionTimeoutMs = req.sessionTimeoutMs
    member.awaitingJoin = waiter
    this.touch(group, member)
    this.maybePrepareRebalance(group, `member ${member.memberId} rejoined`)
  }

  /**
   * KIP-345: a static member restarting takes the old member id's place. In a stable group it
   * gets the current generation and its old assignment at once, and the other members never
   * notice, unless its protocols change the protocol the group would select (Kafka's rule:
   * new metadata alone, such as a consumer's owned partitions being empty after a restart, is
   * no reason to rebalance).
   */
  private replaceStaticMember(group: ClassicGroup, oldId: string, member: Member, req: JoinRequest, waiter: JoinWaiter): void {
    const old = group.members.get(oldId)!
    this.stopTimers(old)
    old.awaitingJoin?.resolve(joinError(ErrorCode.FENCED_INSTANCE_ID, oldId))
    old.awaitingSync?.resolve({ errorCode: ErrorCode.FENCED_INSTANCE_ID, assignment: EMPTY })
    group.replaceStatic(oldId, member)
    if (group.is('Stable') && group.selectProtocol() === group.protocolName) {
      this.touch(group, member)
      this.opts.persist(group.groupId, toMetadataValue(group)).then(
        () => {
          const isLeader = group.isLeader(member.memberId)
          const skip = isLeader && waiter.supportsSkipAssignment
          waiter.resolve({ ...this.joinResult(group, member.memberId), members: skip ? this.memberList(group) : [], skipAssignment: skip })
        },
        (err: Error) => {
          this.opts.logger.warn('persisting a static member replacement failed', { group: group.groupId, error: err.message })
          waiter.resolve(joinError(err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR, member.memberId))
        },
      )
      return
    }
    member.awaitingJoin = waiter
    this.touch(group, member)
    this.maybePrepareRebalance(group, `static member ${req.groupInstanceId} rejoined with protocols that change the group's protocol`)
  }

  private expirePending(group: ClassicGroup, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group)
  }

  // ---- rebalance -------------------------------------------------------------------------

  private maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is('Stable', 'CompletingRebalance', 'Empty')) this.prepareRebalance(group, reason)
    else if (group.is('PreparingRebalance')) this.tryCompleteJoin(group)
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    if (this.closed) return
    if (group.is('CompletingRebalance')) {
      // The assignment being synced is void: everyone rejoins.
      for (const m of group.members.values()) {
        m.awaitingSync?.resolve({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY })
        m.awaitingSync = undefined
      }
    }
    const initial = group.is('Empty')
    group.transition('PreparingRebalance', this.time.now())
    this.opts.logger.info('preparing rebalance', { group: group.groupId, generation: group.generationId, reason })
    if (initial && this.opts.initialRebalanceDelayMs > 0) {
      // group.initial.rebalance.delay.ms: let the other consumers of a starting application
      // arrive before the first assignment, extended while members keep coming.
      this.initialDelayActive.add(group.groupId)
      this.joinedDuringDelay.delete(group.groupId)
      this.initialDelay(group, this.opts.initialRebalanceDelayMs, Math.max(group.rebalanceTimeoutMs() - this.opts.initialRebalanceDelayMs, 0))
      return
    }
    this.time.clearTimeout(group.joinTimer)
    group.joinTimer = this.time.setTimeout(() => this.completeJoin(group), group.rebalanceTimeoutMs())
    this.tryCompleteJoin(group)
  }

  private initialDelay(group: ClassicGroup, delay: number, remaining: number): void {
    this.time.clearTimeout(group.joinTimer)
    group.joinTimer = this.time.setTimeout(() => {
      if (this.joinedDuringDelay.has(group.groupId) && remaining > 0) {
        this.joinedDuringDelay.delete(group.groupId)
        const next = Math.min(delay, remaining)
        this.initialDelay(group, next, remaining - next)
      } else {
        this.completeJoin(group)
      }
    }, delay)
  }

  /** Completes the join phase early once every member has rejoined (not during the initial delay). */
  private tryCompleteJoin(group: ClassicGroup): void {
    if (!group.is('PreparingRebalance') || this.initialDelayActive.has(group.groupId)) return
    if (group.allRejoined()) this.completeJoin(group)
  }

  private completeJoin(group: ClassicGroup): void {
    this.time.clearTimeout(group.joinTimer)
    group.joinTimer = undefined
    this.initialDelayActive.delete(group.groupId)
    this.joinedDuringDelay.delete(group.groupId)
    if (!group.is('PreparingRebalance')) return
    // Dynamic members that did not rejoin in time are gone; static ones keep their place until
    // their session expires (KIP-345).
    for (const m of [...group.members.values()]) {
      if (!m.awaitingJoin && m.groupInstanceId === null) this.removeMember(group, m, 'did not rejoin in time')
    }
    group.generationId++
    if (group.isEmpty) {
      group.protocolName = null
      group.transition('Empty', this.time.now())
      this.opts.logger.info('group is empty', { group: group.groupId, generation: group.generationId })
      this.persistQuietly(group)
      return
    }
    group.protocolName = group.selectProtocol()
    group.transition('CompletingRebalance', this.time.now())
    this.opts.logger.info('rebalance completed', { group: group.groupId, generation: group.generationId, members: group.members.size, protocol: group.protocolName })
    for (const m of group.members.values()) {
      const waiter = m.awaitingJoin
      if (!waiter) continue
      m.awaitingJoin = undefined
      m.isNew = false
      this.touch(group, m)
      waiter.resolve(this.joinResult(group, m.memberId))
    }
  }

  private joinResult(group: ClassicGroup, memberId: string): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      memberId,
      members: group.isLeader(memberId) ? this.memberList(group) : [],
      skipAssignment: false,
    }
  }

  private memberList(group: ClassicGroup): JoinResult['members'] {
    return [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(group.protocolName ?? '') }))
  }

  // ---- SyncGroup -------------------------------------------------------------------------

  sync(req: SyncRequest): Promise<SyncResult> {
    const group = this.groups.get(req.groupId)
    const fail = (errorCode: number): Promise<SyncResult> => Promise.resolve({ errorCode, protocolType: null, protocolName: null, assignment: EMPTY })
    if (this.closedWith !== undefined) return fail(this.closedWith)
    if (!group) return fail(ErrorCode.UNKNOWN_MEMBER_ID)
    if (group.is('Dead')) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    const fenced = this.staticCheck(group, req.memberId, req.groupInstanceId)
    if (fenced !== ErrorCode.NONE) return fail(fenced)
    const member = group.members.get(req.memberId)
    if (!member) return fail(ErrorCode.UNKNOWN_MEMBER_ID)
    if (req.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION)
    if ((req.protocolType !== null && req.protocolType !== group.protocolType) || (req.protocolName !== null && req.protocolName !== group.protocolName)) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    }
    const ok = (assignment: Buffer): SyncResult => ({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment })
    switch (group.state) {
      case 'PreparingRebalance':
        return fail(ErrorCode.REBALANCE_IN_PROGRESS)
      case 'Stable':
        this.touch(group, member)
        return Promise.resolve(ok(member.assignment))
      case 'CompletingRebalance':
        return new Promise<SyncResult>((resolve) => {
          member.awaitingSync = { resolve: (r) => resolve(r.errorCode === ErrorCode.NONE ? ok(r.assignment) : { ...ok(EMPTY), errorCode: r.errorCode }) }
          this.touch(group, member)
          // Only the leader's assignments count; a follower's are ignored, as in Kafka.
          if (group.isLeader(member.memberId)) this.completeSync(group, req.assignments)
        })
      default:
        return fail(ErrorCode.UNKNOWN_MEMBER_ID)
    }
  }

  private completeSync(group: ClassicGroup, assignments: SyncRequest['assignments']): void {
    const generation = group.generationId
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]))
    const value = toMetadataValue(group, byMember)
    this.opts.persist(group.groupId, value).then(
      () => {
        if (!group.is('CompletingRebalance') || group.generationId !== generation) return
        for (const m of group.members.values()) m.assignment = byMember.get(m.memberId) ?? EMPTY
        group.transition('Stable', this.time.now())
        for (const m of group.members.values()) {
          m.awaitingSync?.resolve({ errorCode: ErrorCode.NONE, assignment: m.assignment })
          m.awaitingSync = undefined
        }
      },
      (err: Error) => {
        this.opts.logger.warn('persisting group assignment failed; rebalancing', { group: group.groupId, error: err.message })
        if (!group.is('CompletingRebalance') || group.generationId !== generation) return
        for (const m of group.members.values()) {
          m.awaitingSync?.resolve({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, assignment: EMPTY })
          m.awaitingSync = undefined
        }
        this.prepareRebalance(group, 'persisting the assignment failed')
      },
    )
  }

  // ---- Heartbeat and LeaveGroup ----------------------------------------------------------

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (this.closedWith !== undefined) return this.closedWith
    const group = this.groups.get(groupId)
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const fenced = this.staticCheck(group, memberId, groupInstanceId)
    if (fenced !== ErrorCode.NONE) return fenced
    const member = group.members.get(memberId)
    if (!member || group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
    this.touch(group, member)
    return group.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE
  }

  /** LeaveGroup for each member (by member id, or by instance id for static members). */
  leave(groupId: string, leaving: Array<{ memberId: string; groupInstanceId: string | null }>): { errorCode: number; members: number[] } {
    const group = this.groups.get(groupId)
    const unavailable = this.closedWith ?? (group?.is('Dead') ? ErrorCode.COORDINATOR_NOT_AVAILABLE : undefined)
    if (unavailable !== undefined) return { errorCode: unavailable, members: leaving.map(() => unavailable) }
    if (!group) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: leaving.map(() => ErrorCode.UNKNOWN_MEMBER_ID) }
    const codes = leaving.map(({ memberId, groupInstanceId }) => {
      let id = memberId
      if (groupInstanceId !== null) {
        const current = group.staticMemberId(groupInstanceId)
        if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
        if (memberId !== '' && memberId !== current) return ErrorCode.FENCED_INSTANCE_ID
        id = current
      } else if (group.pendingMembers.has(memberId)) {
        this.time.clearTimeout(group.pendingMembers.get(memberId))
        group.pendingMembers.delete(memberId)
        this.tryCompleteJoin(group)
        return ErrorCode.NONE
      }
      const member = group.members.get(id)
      if (!member) return ErrorCode.UNKNOWN_MEMBER_ID
      this.removeMemberAndUpdate(group, member, 'left the group')
      return ErrorCode.NONE
    })
    return { errorCode: leaving.length === 1 ? codes[0]! : ErrorCode.NONE, members: codes }
  }

  private removeMember(group: ClassicGroup, member: Member, why: string): void {
    this.stopTimers(member)
    member.awaitingJoin?.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId))
    member.awaitingSync?.resolve({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY })
    member.awaitingJoin = undefined
    member.awaitingSync = undefined
    group.remove(member.memberId)
    this.opts.logger.info('member removed', { group: group.groupId, member: member.memberId, reason: why })
  }

  private removeMemberAndUpdate(group: ClassicGroup, member: Member, why: string): void {
    this.removeMember(group, member, why)
    if (group.is('Stable', 'CompletingRebalance')) this.prepareRebalance(group, `member ${member.memberId} ${why}`)
    else if (group.is('PreparingRebalance')) this.tryCompleteJoin(group)
  }

  /** Restarts the member's session timer; a member waiting on join or sync is kept alive. */
  private touch(group: ClassicGroup, member: Member): void {
    this.time.clearTimeout(member.timer)
    if (this.closed) return
    member.timer = this.time.setTimeout(() => {
      if (group.members.get(member.memberId) !== member) return
      if (member.awaitingJoin || member.awaitingSync) return this.touch(group, member)
      this.removeMemberAndUpdate(group, member, `session timeout (${member.sessionTimeoutMs} ms) expired`)
    }, member.sessionTimeoutMs)
  }

  private stopTimers(member: Member): void {
    this.time.clearTimeout(member.timer)
    member.timer = undefined
  }

  // ---- persistence -----------------------------------------------------------------------

  private persistQuietly(group: ClassicGroup): void {
    this.opts.persist(group.groupId, toMetadataValue(group)).catch((err: Error) => this.opts.logger.warn('persisting group metadata failed', { group: group.groupId, error: err.message }))
  }

  /** Restores a group from its last GroupMetadata record (start-up); null removes it. */
  load(groupId: string, value: GroupMetadataValue | null): void {
    const old = this.groups.get(groupId)
    if (old) for (const m of old.members.values()) this.stopTimers(m)
    if (value === null) {
      this.groups.delete(groupId)
      return
    }
    const group = fromMetadataValue(groupId, value, this.time.now())
    this.groups.set(groupId, group)
    // Members must heartbeat within their session timeout after a restart, as after a failover.
    for (const m of group.members.values()) this.touch(group, m)
  }

  // ---- queries and deletion --------------------------------------------------------------

  list(): ClassicGroup[] {
    return [...this.groups.values()].filter((g) => !g.is('Dead'))
  }

  describe(groupId: string): GroupDescription {
    const g = this.groups.get(groupId)
    if (!g) return { groupId, state: 'Dead', protocolType: '', protocolName: '', members: [] }
    const stable = g.is('Stable')
    return {
      groupId,
      state: g.state,
      protocolType: g.protocolType ?? '',
      protocolName: stable ? (g.protocolName ?? '') : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        // Like Kafka, metadata and assignment are shown only once the group is stable.
        metadata: stable ? m.metadataFor(g.protocolName ?? '') : EMPTY,
        assignment: stable ? m.assignment : EMPTY,
      })),
    }
  }

  /** DeleteGroups: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, or the group is gone (tombstone written). */
  async delete(groupId: string): Promise<number> {
    const g = this.groups.get(groupId)
    if (!g || g.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND
    if (!g.is('Empty')) return ErrorCode.NON_EMPTY_GROUP
    g.transition('Dead', this.time.now())
    try {
      await this.opts.persist(groupId, null)
    } catch (err) {
      g.transition('Empty', this.time.now())
      throw err
    }
    this.groups.delete(groupId)
    return ErrorCode.NONE
  }

  /**
   * Stops every timer and answers every waiting JoinGroup and SyncGroup with NOT_COORDINATOR
   * (the client looks for the coordinator again); later requests get `code`:
   * NOT_COORDINATOR once the partition moved away, COORDINATOR_NOT_AVAILABLE at shutdown.
   */
  close(code: number = ErrorCode.NOT_COORDINATOR): void {
    if (this.closedWith !== undefined) return
    this.closedWith = code
    for (const g of this.groups.values()) {
      this.time.clearTimeout(g.joinTimer)
      g.joinTimer = undefined
      for (const t of g.pendingMembers.values()) this.time.clearTimeout(t)
      for (const m of g.members.values()) {
        this.stopTimers(m)
        m.awaitingJoin?.resolve(joinError(ErrorCode.NOT_COORDINATOR, m.memberId))
        m.awaitingSync?.resolve({ errorCode: ErrorCode.NOT_COORDINATOR, assignment: EMPTY })
        m.awaitingJoin = undefined
        m.awaitingSync = undefined
      }
    }
  }

  // ---- MembershipView --------------------------------------------------------------------

  validateOffsetCommit(groupId: string, memberId: string, generationId: number, groupInstanceId: string | null): void {
    const g = this.groups.get(groupId)
    if (!g) {
      if (generationId < 0) return
      throw new KafkaError('ILLEGAL_GENERATION', `group ${groupId} does not exist, so generation ${generationId} is not current`)
    }
    if (g.is('Dead')) throw new KafkaError('COORDINATOR_NOT_AVAILABLE', `group ${groupId} is being deleted`)
    if (generationId < 0 && g.isEmpty) return // a simple consumer (manual assignment) committing
    const fenced = this.staticCheck(g, memberId, groupInstanceId)
    if (fenced !== ErrorCode.NONE) throw new KafkaError(fenced)
    if (!g.members.has(memberId)) throw new KafkaError('UNKNOWN_MEMBER_ID', `member ${memberId} is not in group ${groupId}`)
    if (generationId !== g.generationId) throw new KafkaError('ILLEGAL_GENERATION', `generation ${generationId} is not the current ${g.generationId} of group ${groupId}`)
    if (g.is('CompletingRebalance')) throw new KafkaError('REBALANCE_IN_PROGRESS')
  }

  validateOffsetFetch(groupId: string, memberId: string | null, _memberEpoch: number): void {
    if (memberId === null) return
    const g = this.groups.get(groupId)
    if (g && !g.members.has(memberId)) throw new KafkaError('UNKNOWN_MEMBER_ID', `member ${memberId} is not in group ${groupId}`)
  }

  isEmpty(groupId: string): boolean {
    return this.groups.get(groupId)?.isEmpty ?? true
  }

  exists(groupId: string): boolean {
    const g = this.groups.get(groupId)
    return g !== undefined && !g.is('Dead')
  }

  emptySince(groupId: string): number | undefined {
    const g = this.groups.get(groupId)
    return g && g.is('Empty') && g.protocolType !== null ? g.stateTimestamp : undefined
  }

  protocolType(groupId: string): string | null {
    return this.groups.get(groupId)?.protocolType ?? null
  }

  /** Whether a member of the group subscribes to `topic` (consumer protocol groups only). */
  isSubscribedTo(groupId: string, topic: string): boolean {
    const g = this.groups.get(groupId)
    if (!g || g.isEmpty || g.protocolType !== 'consumer') return false
    return g.subscribedTopics(decodeSubscriptionTopics).has(topic)
  }
}
