/**
 * One classic consumer group: its members, generation, chosen protocol and leader, and the
 * state machine Kafka defines (Empty, PreparingRebalance, CompletingRebalance, Stable, Dead).
 * Pure data and decisions; timers, responses and persistence live in the coordinator, and the
 * moment of each state change is given by the caller (whose clock may be a test's).
 */
import type { Timer } from '../../util/time.js'

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

export interface Protocol {
  name: string
  metadata: Buffer
}

/** A JoinGroup response waiting for the rebalance to complete. */
export interface JoinWaiter {
  resolve(result: JoinResult): void
  /** The request can take skipAssignment (JoinGroup v9+, KIP-814): a static leader's rejoin. */
  supportsSkipAssignment: boolean
}

export interface JoinResult {
  errorCode: number
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leader: string
  memberId: string
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>
  skipAssignment: boolean
}

export interface SyncWaiter {
  resolve(result: { errorCode: number; assignment: Buffer }): void
}

export class Member {
  assignment: Buffer = Buffer.alloc(0)
  /** Set while a JoinGroup from this member waits for the rebalance to finish. */
  awaitingJoin: JoinWaiter | undefined
  /** Set while a SyncGroup from this member waits for the leader's assignment. */
  awaitingSync: SyncWaiter | undefined
  /** Session expiry timer; reset by every heartbeat, join and sync. */
  timer: Timer | undefined
  /** The member joined for the generation being formed (or the current one). */
  isNew = false

  constructor(
    public memberId: string,
    public groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    public protocolType: string,
    public protocols: Protocol[],
  ) {}

  metadataFor(protocol: string): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? Buffer.alloc(0)
  }

  /** Same protocol names and metadata, in the same order. */
  sameProtocols(other: Protocol[]): boolean {
    return this.protocols.length === other.length && this.protocols.every((p, i) => p.name === other[i]!.name && p.metadata.equals(other[i]!.metadata))
  }
}

export class ClassicGroup {
  state: GroupState = 'Empty'
  generationId = 0
  protocolType: string | null = null
  protocolName: string | null = null
  leaderId: string | null = null
  readonly members = new Map<string, Member>()
  /** group.instance.id → member id, for static members. */
  readonly staticMembers = new Map<string, string>()
  /** Member ids handed out with MEMBER_ID_REQUIRED (KIP-394), not yet joined; value: expiry timer. */
  readonly pendingMembers = new Map<string, Timer>()
  /** Completes the join phase (rebalance timeout, or the initial delay). */
  joinTimer: Timer | undefined
  /** The moment the state last changed (for GroupMetadataValue.currentStateTimestamp). */
  stateTimestamp: number

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.stateTimestamp = now
  }

  is(...states: GroupState[]): boolean {
    return states.includes(this.state)
  }

  transition(to: GroupState, now: number): void {
    this.state = to
    this.stateTimestamp = now
  }

  get isEmpty(): boolean {
    return this.members.size === 0
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType
    this.members.set(member.memberId, member)
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId)
    if (this.leaderId === null) this.leaderId = member.memberId
  }

  remove(memberId: string): Member | undefined {
    const m = this.members.get(memberId)
    if (!m) return undefined
    this.members.delete(memberId)
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) this.staticMembers.delete(m.groupInstanceId)
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null
    // The protocol type outlives the members (Kafka keeps it): offsets of an empty "consumer"
    // group expire from when it emptied, and DescribeGroups still shows it.
    return m
  }

  /** A static member rejoining with a new member id takes over the old one's place and assignment. */
  replaceStatic(oldId: string, member: Member): void {
    const old = this.members.get(oldId)
    if (old) member.assignment = old.assignment
    this.members.delete(oldId)
    this.members.set(member.memberId, member)
    this.staticMembers.set(member.groupInstanceId!, member.memberId)
    if (this.leaderId === oldId) this.leaderId = member.memberId
  }

  staticMemberId(groupInstanceId: string | null): string | undefined {
    return groupInstanceId === null ? undefined : this.staticMembers.get(groupInstanceId)
  }

  /** Protocols every member supports, in no particular order. */
  private candidates(): Set<string> {
    let common: Set<string> | undefined
    for (const m of this.members.values()) {
      const names = new Set(m.protocols.map((p) => p.name))
      common = common ? new Set([...common].filter((n) => names.has(n))) : names
    }
    return common ?? new Set()
  }

  /** Whether a joining member's protocols fit the group (Kafka: type matches and one protocol in common). */
  supports(protocolType: string, protocols: Protocol[]): boolean {
    if (this.members.size === 0) return protocolType !== '' && protocols.length > 0
    if (this.protocolType !== protocolType) return false
    const candidates = this.candidates()
    return protocols.some((p) => candidates.has(p.name))
  }

  /** Kafka's vote: each member votes for its most preferred protocol among those all support. */
  selectProtocol(): string {
    const candidates = this.candidates()
    const votes = new Map<string, number>()
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.has(p.name))
      if (choice) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1)
    }
    let best: string | undefined
    for (const [name, n] of votes) if (best === undefined || n > votes.get(best)!) best = name
    if (best === undefined) throw new Error(`group ${this.groupId} has no protocol all members support`)
    return best
  }

  /** Every member has rejoined for the rebalance being prepared. */
  allRejoined(): boolean {
    for (const m of this.members.values()) if (!m.awaitingJoin) return false
    return this.pendingMembers.size === 0
  }

  /** Largest rebalance timeout among members: how long the join phase may last. */
  rebalanceTimeoutMs(): number {
    let max = 0
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs)
    return max
  }

  /** Whether any member is subscribed to `topic` (consumer protocol only; used by OffsetDelete). */
  subscribedTopics(decode: (metadata: Buffer) => string[]): Set<string> {
    const topics = new Set<string>()
    if (this.protocolName === null) return topics
    for (const m of this.members.values()) for (const t of decode(m.metadataFor(this.protocolName))) topics.add(t)
    return topics
  }
}
