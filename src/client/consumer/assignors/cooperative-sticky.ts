/**
 * Kafka's CooperativeStickyAssignor ('cooperative-sticky'): the sticky algorithm (see
 * abstract-sticky.ts) under the COOPERATIVE protocol, where members keep their partitions while
 * the group rebalances and report them in ownedPartitions.
 *
 * The sticky result may move a partition from one member to another. Handing it to the new
 * member now would have two members consuming it at once, so such partitions are left out of
 * this round's assignment: the old owner sees the partition missing from its assignment,
 * revokes it and rejoins, and the follow-up rebalance gives it to the new owner (now nobody
 * owns it). Supports EAGER too, for groups migrating from an eager assignor.
 *
 * userData: [int32 generation] of the member's last assignment, for subscriptions older than
 * v2 (which carry the generation themselves); -1 before the first assignment.
 */
import { tpKey, type TopicPartition } from '../../base/types.js'
import { DEFAULT_GENERATION, stickyAssign, type MemberData, type StickyResult } from './abstract-sticky.js'
import { removePartition, type Assignor, type MemberSubscription, type RebalanceProtocol, type UserDataState } from './assignor.js'

export class CooperativeStickyAssignor implements Assignor {
  readonly name = 'cooperative-sticky'
  readonly supportedProtocols: readonly RebalanceProtocol[] = ['COOPERATIVE', 'EAGER']

  subscriptionUserData(state: UserDataState): Buffer | null {
    const b = Buffer.alloc(4)
    b.writeInt32BE(state.generationId)
    return b
  }

  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): Map<string, TopicPartition[]> {
    return this.assignDetailed(members, partitionsPerTopic).assignment
  }

  /** `assign` plus the sticky bookkeeping (before partitions in transit were held back). */
  assignDetailed(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): StickyResult {
    const result = stickyAssign(members, partitionsPerTopic, cooperativeMemberData)
    const transferring = result.partitionsTransferringOwnership ?? partitionsChangingHands(members, result.assignment)
    const assignment = new Map([...result.assignment].map(([m, list]) => [m, [...list]]))
    for (const [key, member] of transferring) removePartition(assignment.get(member)!, key)
    return { ...result, assignment }
  }
}

export function cooperativeMemberData(m: MemberSubscription): MemberData {
  // Subscription v2+ carries the generation; older ones only have it in userData.
  if (m.generationId >= 0) return { partitions: m.ownedPartitions, generation: m.generationId }
  if (m.userData === null) return { partitions: m.ownedPartitions, generation: DEFAULT_GENERATION }
  const generation = m.userData.length >= 4 ? m.userData.readInt32BE(0) : DEFAULT_GENERATION
  return { partitions: m.ownedPartitions, generation }
}

/** Partitions someone owns now and someone else is given (the general path does not track them). */
function partitionsChangingHands(members: readonly MemberSubscription[], assignment: Map<string, TopicPartition[]>): Map<string, string> {
  const added = new Map<string, string>()
  const revoked = new Set<string>()
  for (const m of members) {
    const owned = new Set(m.ownedPartitions.map((tp) => tpKey(tp.topic, tp.partition)))
    const assigned = assignment.get(m.memberId) ?? []
    const assignedKeys = new Set(assigned.map((tp) => tpKey(tp.topic, tp.partition)))
    for (const key of assignedKeys) if (!owned.has(key)) added.set(key, m.memberId)
    for (const key of owned) if (!assignedKeys.has(key)) revoked.add(key)
  }
  for (const key of added.keys()) if (!revoked.has(key)) added.delete(key)
  return added
}
