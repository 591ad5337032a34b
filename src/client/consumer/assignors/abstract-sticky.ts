/**
 * The sticky algorithm shared by 'sticky' (eager) and 'cooperative-sticky', after Kafka's
 * AbstractStickyAssignor. Goals, in order: balance (partition counts differ by at most one, or
 * no partition could move to a member with 2+ fewer), then stickiness (every partition a member
 * already owns stays with it when balance allows).
 *
 * The two assignors differ only in where a member's previous partitions and generation come
 * from (`memberData`): the eager one reads them from its own userData, the cooperative one from
 * the subscription's ownedPartitions/generationId.
 *
 * Steps:
 * 1. Validate claims (`collectOwnership`): drop partitions that no longer exist; when two
 *    members claim one partition, the higher generation keeps it, and in a tie neither does.
 * 2. If every member subscribes to the same topics, the quota-based constrained algorithm
 *    (sticky-constrained.ts) runs in O(partitions log partitions); otherwise the general
 *    algorithm (sticky-general.ts), which moves partitions one at a time until balanced.
 *
 * Deviations from Kafka, each to keep an invariant Kafka's code can break on odd input:
 * - Claimed partitions numbered outside the topic's range are ignored (Kafka would hand a
 *   nonexistent partition back, or assign one partition twice in the constrained path).
 * - Subscriptions are compared as sets, and an empty first subscription does not make every
 *   later one look "equal" (Kafka's check re-initialises on an empty set and then gives
 *   partitions to a member that did not subscribe to them).
 * - The highest generation is computed per call (Kafka keeps it in a field across calls).
 * - Partitions of topics no member subscribes to are ignored even if passed in.
 * Members are visited in the order given, where Kafka visits them in HashMap order; the order
 * only decides ties (which of several over-quota members keeps an extra partition).
 */
import { tpKey, type TopicPartition } from '../../base/types.js'
import { removePartition, type MemberSubscription } from './assignor.js'
import { constrainedAssign } from './sticky-constrained.js'
import { generalAssign } from './sticky-general.js'

/** Kafka's DEFAULT_GENERATION: no generation known. */
export const DEFAULT_GENERATION = -1

/** A member's previous partitions and the generation they were assigned in (-1 unknown). */
export interface MemberData {
  partitions: TopicPartition[]
  generation: number
}

export interface StickyResult {
  /** memberId -> partitions, every member present. */
  assignment: Map<string, TopicPartition[]>
  /**
   * Constrained path only (null after the general path, like Kafka): "topic:partition" -> the
   * member it was given to, for partitions taken from a previous owner this round.
   */
  partitionsTransferringOwnership: Map<string, string> | null
  /**
   * Kafka's stickiness check: false if partitions of one topic moved both ways between two
   * members during the general path's rebalancing (always true on the constrained path).
   */
  isSticky(): boolean
}

export function stickyAssign(
  members: readonly MemberSubscription[],
  partitionsPerTopic: ReadonlyMap<string, number>,
  memberData: (m: MemberSubscription) => MemberData,
): StickyResult {
  if (members.length === 0) return { assignment: new Map(), partitionsTransferringOwnership: new Map(), isSticky: () => true }
  const subscribed = new Set(members.flatMap((m) => m.topics))
  const topics = new Map<string, number>()
  for (const [topic, count] of partitionsPerTopic) if (count > 0 && subscribed.has(topic)) topics.set(topic, count)

  const data = members.map(memberData)
  const own = collectOwnership(members, data, topics)
  if (own.allSubscriptionsEqual) {
    const r = constrainedAssign({ partitionsPerTopic: topics, ownedByMember: own.owned, multiplyClaimed: own.multiplyClaimed })
    return { assignment: inMemberOrder(members, r.assignment), partitionsTransferringOwnership: r.transferring, isSticky: () => true }
  }
  const r = generalAssign({ partitionsPerTopic: topics, members, data, ownedByMember: own.owned, maxGeneration: own.maxGeneration })
  return { assignment: inMemberOrder(members, r.assignment), partitionsTransferringOwnership: null, isSticky: r.isSticky }
}

interface Ownership {
  allSubscriptionsEqual: boolean
  /** memberId -> valid, uncontested previous partitions; every member present. */
  owned: Map<string, TopicPartition[]>
  /** Partitions claimed by several members of the same generation: nobody keeps them. */
  multiplyClaimed: Set<string>
  maxGeneration: number
}

function collectOwnership(
  members: readonly MemberSubscription[],
  data: readonly MemberData[],
  topics: ReadonlyMap<string, number>,
): Ownership {
  const owned = new Map<string, TopicPartition[]>()
  const multiplyClaimed = new Set<string>()
  const claimedBy = new Map<string, MemberSubscription>()
  let maxGeneration = DEFAULT_GENERATION
  let reference: Set<string> | undefined
  let allSubscriptionsEqual = true

  members.forEach((m, i) => {
    const subscription = new Set(m.topics)
    if (reference === undefined) reference = subscription
    else if (allSubscriptionsEqual && !sameSet(reference, subscription)) allSubscriptionsEqual = false

    const { partitions, generation } = data[i]!
    maxGeneration = Math.max(maxGeneration, generation)
    const mine: TopicPartition[] = []
    owned.set(m.memberId, mine)
    for (const tp of partitions) {
      const count = topics.get(tp.topic)
      if (count === undefined || !Number.isInteger(tp.partition) || tp.partition < 0 || tp.partition >= count) continue
      const key = tpKey(tp.topic, tp.partition)
      const other = claimedBy.get(key)
      if (other === undefined) {
        mine.push(tp)
        claimedBy.set(key, m)
        continue
      }
      // As Kafka: the other side of the comparison is the other member's subscription
      // generation, not its userData's. They agree for v2+ subscriptions; older ones say -1.
      const otherGeneration = other.generationId
      if (generation === otherGeneration) {
        // Two owners in one generation means someone's view is wrong: trust neither.
        multiplyClaimed.add(key)
        removePartition(owned.get(other.memberId)!, key)
        claimedBy.set(key, m)
      } else if (generation > otherGeneration) {
        mine.push(tp)
        removePartition(owned.get(other.memberId)!, key)
        claimedBy.set(key, m)
      }
    }
  })
  return { allSubscriptionsEqual, owned, multiplyClaimed, maxGeneration }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false
  for (const x of a) if (!b.has(x)) return false
  return true
}

function inMemberOrder(members: readonly MemberSubscription[], assignment: Map<string, TopicPartition[]>): Map<string, TopicPartition[]> {
  return new Map(members.map((m) => [m.memberId, assignment.get(m.memberId) ?? []]))
}
