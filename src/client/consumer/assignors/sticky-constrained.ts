/**
 * The sticky algorithm when every member subscribes to the same topics (Kafka's
 * ConstrainedAssignmentBuilder, without the rack-aware pass). With N partitions and M members
 * each member ends with minQuota = floor(N/M) or maxQuota = ceil(N/M) partitions, and exactly
 * N % M members get maxQuota.
 *
 * 1. Each member keeps its previously owned partitions (lowest partition numbers first) up to
 *    its quota: all of them if it had fewer than minQuota; maxQuota if it had that many and
 *    maxQuota places remain; minQuota otherwise. The rest are revoked.
 * 2. The partitions nobody kept, in topic/partition order, are dealt round-robin to the members
 *    under minQuota (in member id order), then one each to members at exactly minQuota until
 *    the maxQuota places are used up.
 * A partition dealt in step 2 that someone else owned before (revoked in step 1, or claimed by
 * two members of one generation) is "transferring ownership": the cooperative assignor holds it
 * back until its old owner has let go.
 */
import { tpKey, type TopicPartition } from '../../base/types.js'
import { compareStrings } from './assignor.js'

export interface ConstrainedInput {
  /** topic -> partition count; only subscribed topics. */
  partitionsPerTopic: ReadonlyMap<string, number>
  /** memberId -> validated previous partitions; every member, in visiting order. */
  ownedByMember: ReadonlyMap<string, readonly TopicPartition[]>
  multiplyClaimed: ReadonlySet<string>
}

export interface ConstrainedResult {
  assignment: Map<string, TopicPartition[]>
  transferring: Map<string, string>
}

export function constrainedAssign(input: ConstrainedInput): ConstrainedResult {
  const { partitionsPerTopic, ownedByMember, multiplyClaimed } = input
  let total = 0
  for (const count of partitionsPerTopic.values()) total += count
  const numMembers = ownedByMember.size
  const minQuota = Math.floor(total / numMembers)
  const maxQuota = Math.ceil(total / numMembers)
  const expectedOverMin = total % numMembers
  let currentOverMin = 0

  const assignment = new Map<string, TopicPartition[]>()
  const assigned = new Set<string>()
  const revoked = new Set<string>()
  const transferring = new Map<string, string>()
  // Members below minQuota, then members at exactly minQuota that may still take one more.
  const underMin: string[] = []
  let atMin: string[] = []

  for (const [member, owned] of ownedByMember) {
    const keep = owned
      .filter((tp) => !multiplyClaimed.has(tpKey(tp.topic, tp.partition)))
      .sort((a, b) => a.partition - b.partition || compareStrings(a.topic, b.topic))
    let quota: number
    if (keep.length < minQuota) {
      quota = keep.length
      underMin.push(member)
    } else if (keep.length >= maxQuota && currentOverMin < expectedOverMin) {
      quota = maxQuota
      currentOverMin++
      // The last maxQuota place is taken: nobody at minQuota may grow any more.
      if (currentOverMin === expectedOverMin) atMin = []
    } else {
      quota = minQuota
      if (currentOverMin < expectedOverMin) atMin.push(member)
    }
    assignment.set(member, keep.slice(0, quota))
    for (const tp of keep.slice(0, quota)) assigned.add(tpKey(tp.topic, tp.partition))
    for (const tp of keep.slice(quota)) revoked.add(tpKey(tp.topic, tp.partition))
  }

  const unassigned: TopicPartition[] = []
  for (const topic of [...partitionsPerTopic.keys()].sort(compareStrings)) {
    const count = partitionsPerTopic.get(topic)!
    for (let partition = 0; partition < count; partition++) {
      if (!assigned.has(tpKey(topic, partition))) unassigned.push({ topic, partition })
    }
  }

  underMin.sort(compareStrings)
  atMin.sort(compareStrings)
  let atMinHead = 0
  // A cursor over underMin that wraps around, as Kafka's list iterator restarted when exhausted.
  let cursor = 0
  for (const tp of unassigned) {
    let member: string
    let fromUnderMin: boolean
    if (cursor < underMin.length) {
      member = underMin[cursor]!
      fromUnderMin = true
    } else if (underMin.length > 0) {
      cursor = 0
      member = underMin[0]!
      fromUnderMin = true
    } else if (atMinHead < atMin.length) {
      member = atMin[atMinHead++]!
      fromUnderMin = false
    } else {
      throw new Error(`sticky assignor: no member can take ${tp.topic}-${tp.partition} (quota ${minQuota}..${maxQuota})`)
    }
    const list = assignment.get(member)!
    list.push(tp)
    const key = tpKey(tp.topic, tp.partition)
    if (revoked.has(key) || multiplyClaimed.has(key)) transferring.set(key, member)

    if (list.length === minQuota) {
      // Only a member from underMin can arrive at minQuota here.
      underMin.splice(cursor, 1)
      atMin.push(member)
    } else {
      if (fromUnderMin) cursor++
      if (list.length === maxQuota) currentOverMin++
    }
  }

  // Consistency check kept from Kafka: anyone still under minQuota means the quotas were wrong.
  if (underMin.length > 0) {
    if (currentOverMin !== expectedOverMin) {
      throw new Error('sticky assignor: fewer members reached maxQuota than expected and no partitions are left')
    }
    for (const member of underMin) {
      if (assignment.get(member)!.length !== minQuota) {
        throw new Error(`sticky assignor: member ${member} is below minQuota and no partitions are left`)
      }
    }
  }
  return { assignment, transferring }
}
