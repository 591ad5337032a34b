/**
 * The sticky algorithm for members with different subscriptions (Kafka's
 * GeneralAssignmentBuilder, without the rack-aware passes).
 *
 * 1. Keep every validated previous partition whose topic the member still subscribes to.
 * 2. Give each unowned partition to the least-loaded member subscribed to its topic, topics
 *    with the fewest possible consumers first (they have the least room to choose).
 * 3. Rebalance: while some member has 2+ more partitions than another member that could take
 *    one of them, move a partition over, preferring to hand it back to its owner from an
 *    older generation. Movements are tracked so that a partition moving back and forth
 *    between two members is undone rather than repeated (stickiness).
 * 4. If members already had partitions and the moves did not improve the balance score, keep
 *    the assignment from before step 3.
 *
 * Partitions of topics with one possible consumer, and members that already hold every
 * partition they could get, sit out step 3.
 *
 * Deviation from Kafka: the "hand it back to its previous owner" shortcut in step 3 is skipped
 * when that owner no longer subscribes to the topic or sits out step 3; Kafka would move the
 * partition to a member not subscribed to it, or fail.
 */
import { tpKey, type TopicPartition } from '../../base/types.js'
import { compareStrings, removePartition, type MemberSubscription } from './assignor.js'
import type { MemberData } from './abstract-sticky.js'

export interface GeneralInput {
  /** topic -> partition count; only subscribed topics. */
  partitionsPerTopic: ReadonlyMap<string, number>
  members: readonly MemberSubscription[]
  /** Each member's raw claim (same index as `members`), used to find older-generation owners. */
  data: readonly MemberData[]
  /** memberId -> validated previous partitions; every member. */
  ownedByMember: ReadonlyMap<string, readonly TopicPartition[]>
  maxGeneration: number
}

export function generalAssign(input: GeneralInput): { assignment: Map<string, TopicPartition[]>; isSticky: () => boolean } {
  const builder = new GeneralAssignmentBuilder(input)
  const assignment = builder.build()
  return { assignment, isSticky: () => builder.movements.isSticky() }
}

interface PreviousOwner {
  member: string
  generation: number
}

class GeneralAssignmentBuilder {
  private readonly partitionsPerTopic: ReadonlyMap<string, number>
  private readonly topicConsumers = new Map<string, string[]>()
  private readonly consumerTopics = new Map<string, Set<string>>()
  private readonly maxAssignmentSize = new Map<string, number>()
  /** memberId -> partitions; members sitting out the rebalance are taken out while it runs. */
  private readonly current = new Map<string, TopicPartition[]>()
  /** "topic:partition" -> member holding it. */
  private readonly owner = new Map<string, string>()
  private sortedAllPartitions: TopicPartition[]
  private readonly sorted: SortedMembers
  private revocationRequired = false
  readonly movements = new PartitionMovements()

  constructor(private readonly input: GeneralInput) {
    this.partitionsPerTopic = input.partitionsPerTopic
    for (const topic of this.partitionsPerTopic.keys()) this.topicConsumers.set(topic, [])
    for (const m of input.members) {
      const topics = new Set<string>()
      let max = 0
      for (const topic of new Set(m.topics)) {
        const count = this.partitionsPerTopic.get(topic)
        if (count === undefined) continue
        topics.add(topic)
        this.topicConsumers.get(topic)!.push(m.memberId)
        max += count
      }
      this.consumerTopics.set(m.memberId, topics)
      this.maxAssignmentSize.set(m.memberId, max)
      this.current.set(m.memberId, [...(input.ownedByMember.get(m.memberId) ?? [])])
    }
    for (const [member, list] of this.current) for (const tp of list) this.owner.set(tpKey(tp.topic, tp.partition), member)

    const sortedTopics = [...this.topicConsumers.keys()].sort(
      (a, b) => this.topicConsumers.get(a)!.length - this.topicConsumers.get(b)!.length || compareStrings(a, b),
    )
    this.sortedAllPartitions = []
    for (const topic of sortedTopics) {
      const count = this.partitionsPerTopic.get(topic)!
      for (let partition = 0; partition < count; partition++) this.sortedAllPartitions.push({ topic, partition })
    }
    this.sorted = new SortedMembers((m) => this.size(m))
  }

  build(): Map<string, TopicPartition[]> {
    const previous = this.previousOwners()
    const assigned = this.keepOwnedPartitions()
    const unassigned = this.sortedAllPartitions.filter((tp) => !assigned.has(tpKey(tp.topic, tp.partition)))
    for (const member of this.current.keys()) this.sorted.add(member)
    this.balance(previous, unassigned)
    return this.current
  }

  private size(member: string): number {
    return this.current.get(member)!.length
  }

  /** Owners from generations before the newest one, the latest generation winning per partition. */
  private previousOwners(): Map<string, PreviousOwner> {
    const previous = new Map<string, PreviousOwner>()
    this.input.members.forEach((m, i) => {
      const { partitions, generation } = this.input.data[i]!
      if (generation >= this.input.maxGeneration) return
      for (const tp of partitions) {
        const key = tpKey(tp.topic, tp.partition)
        const existing = previous.get(key)
        if (existing === undefined || generation > existing.generation) previous.set(key, { member: m.memberId, generation })
      }
    })
    return previous
  }

  /** Step 1; returns the keys kept. */
  private keepOwnedPartitions(): Set<string> {
    const assigned = new Set<string>()
    for (const [member, list] of this.current) {
      const topics = this.consumerTopics.get(member)!
      const keep: TopicPartition[] = []
      for (const tp of list) {
        const key = tpKey(tp.topic, tp.partition)
        if (!topics.has(tp.topic)) {
          // Unsubscribed: someone else must take it, so EAGER-style revocation is unavoidable.
          if (this.topicConsumers.has(tp.topic)) this.revocationRequired = true
          this.owner.delete(key)
        } else {
          keep.push(tp)
          assigned.add(key)
        }
      }
      this.current.set(member, keep)
    }
    return assigned
  }

  private balance(previous: Map<string, PreviousOwner>, unassigned: TopicPartition[]): void {
    const initializing = this.size(this.sorted.last()) === 0

    for (const tp of unassigned) {
      if (this.topicConsumers.get(tp.topic)!.length === 0) continue
      this.assignToLeastLoaded(tp)
    }

    const movable = (tp: TopicPartition) => this.topicConsumers.get(tp.topic)!.length >= 2
    this.sortedAllPartitions = this.sortedAllPartitions.filter(movable)
    const movableUnassigned = unassigned.filter(movable)

    const sittingOut = new Map<string, TopicPartition[]>()
    for (const member of this.consumerTopics.keys()) {
      if (this.canParticipate(member)) continue
      this.sorted.remove(member)
      sittingOut.set(member, this.current.get(member)!)
      this.current.delete(member)
    }

    const before = copyAssignment(this.current)
    const ownerBefore = new Map(this.owner)

    // Without forced revocations, first try to balance by moving only the new partitions.
    if (!this.revocationRequired) this.performReassignments(movableUnassigned, previous)
    const reassigned = this.performReassignments(this.sortedAllPartitions, previous)

    if (!initializing && reassigned && balanceScore(this.current) >= balanceScore(before)) {
      this.current.clear()
      for (const [member, list] of before) this.current.set(member, list)
      this.owner.clear()
      for (const [key, member] of ownerBefore) this.owner.set(key, member)
    }
    for (const [member, list] of sittingOut) this.current.set(member, list)
  }

  private canParticipate(member: string): boolean {
    const list = this.current.get(member)!
    if (list.length < this.maxAssignmentSize.get(member)!) return true
    return list.some((tp) => this.topicConsumers.get(tp.topic)!.length >= 2)
  }

  /**
   * Balanced: counts differ by at most one, or no partition can go to a member 2+ below its
   * holder. Kafka scans every partition each member could take; the same answer comes from
   * the two largest holders per topic, in one pass over the assignment.
   */
  private isBalanced(): boolean {
    const min = this.size(this.sorted.first())
    const max = this.size(this.sorted.last())
    if (min >= max - 1) return true
    const largest = new Map<string, { member: string; size: number; otherSize: number }>()
    for (const [member, list] of this.current) {
      const size = list.length
      for (const tp of list) {
        const top = largest.get(tp.topic)
        if (top === undefined) largest.set(tp.topic, { member, size, otherSize: -1 })
        else if (top.member === member) continue
        else if (size > top.size) largest.set(tp.topic, { member, size, otherSize: top.size })
        else if (size > top.otherSize) top.otherSize = size
      }
    }
    for (const member of this.sorted.items) {
      const count = this.size(member)
      if (count === this.maxAssignmentSize.get(member)) continue
      for (const topic of this.consumerTopics.get(member)!) {
        const top = largest.get(topic)
        if (top === undefined) continue
        const biggestOtherHolder = top.member === member ? top.otherSize : top.size
        if (count + 1 < biggestOtherHolder) return false
      }
    }
    return true
  }

  private performReassignments(partitions: readonly TopicPartition[], previous: Map<string, PreviousOwner>): boolean {
    let reassigned = false
    let modified: boolean
    do {
      modified = false
      for (const tp of partitions) {
        if (this.isBalanced()) break
        const key = tpKey(tp.topic, tp.partition)
        const holder = this.owner.get(key)!
        const prev = previous.get(key)
        if (
          prev !== undefined &&
          this.current.has(prev.member) &&
          this.consumerTopics.get(prev.member)!.has(tp.topic) &&
          this.size(holder) > this.size(prev.member) + 1
        ) {
          this.reassign(tp, prev.member)
          reassigned = modified = true
          continue
        }
        for (const other of this.topicConsumers.get(tp.topic)!) {
          const otherList = this.current.get(other)
          if (otherList !== undefined && this.size(holder) > otherList.length + 1) {
            this.reassign(tp, this.leastLoadedFor(tp.topic))
            reassigned = modified = true
            break
          }
        }
      }
    } while (modified)
    return reassigned
  }

  private leastLoadedFor(topic: string): string {
    const member = this.sorted.items.find((m) => this.consumerTopics.get(m)!.has(topic))
    if (member === undefined) throw new Error(`sticky assignor: no member can take topic ${topic}`)
    return member
  }

  private assignToLeastLoaded(tp: TopicPartition): void {
    const member = this.sorted.items.find((m) => this.consumerTopics.get(m)!.has(tp.topic))
    if (member === undefined) return
    this.sorted.remove(member)
    this.current.get(member)!.push(tp)
    this.owner.set(tpKey(tp.topic, tp.partition), member)
    this.sorted.add(member)
  }

  private reassign(tp: TopicPartition, to: string): void {
    const holder = this.owner.get(tpKey(tp.topic, tp.partition))!
    this.move(this.movements.partitionToMove(tp, holder, to), to)
  }

  private move(tp: TopicPartition, to: string): void {
    const key = tpKey(tp.topic, tp.partition)
    const from = this.owner.get(key)!
    this.sorted.remove(from)
    this.sorted.remove(to)
    this.movements.record(tp, from, to)
    removePartition(this.current.get(from)!, key)
    this.current.get(to)!.push(tp)
    this.owner.set(key, to)
    this.sorted.add(to)
    this.sorted.add(from)
  }
}

function copyAssignment(a: ReadonlyMap<string, TopicPartition[]>): Map<string, TopicPartition[]> {
  return new Map([...a].map(([member, list]) => [member, [...list]]))
}

/** Sum over all member pairs of the difference in partition counts; 0 is perfectly even. */
function balanceScore(a: ReadonlyMap<string, TopicPartition[]>): number {
  const sizes = [...a.values()].map((l) => l.length).sort((x, y) => x - y)
  let score = 0
  sizes.forEach((s, i) => (score += s * (2 * i - (sizes.length - 1))))
  return score
}

/** Members ordered by (partition count, member id), as Kafka's TreeSet of consumers. */
class SortedMembers {
  readonly items: string[] = []

  constructor(private readonly sizeOf: (member: string) => number) {}

  private compare(a: string, b: string): number {
    return this.sizeOf(a) - this.sizeOf(b) || compareStrings(a, b)
  }

  /** Valid only while `member`'s size is the one it was inserted with. */
  private search(member: string): number {
    let lo = 0
    let hi = this.items.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.compare(this.items[mid]!, member) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  add(member: string): void {
    const i = this.search(member)
    if (this.items[i] !== member) this.items.splice(i, 0, member)
  }

  remove(member: string): void {
    const i = this.search(member)
    if (this.items[i] === member) this.items.splice(i, 1)
  }

  first(): string {
    return this.items[0]!
  }

  last(): string {
    return this.items[this.items.length - 1]!
  }
}

interface Movement {
  src: string
  dst: string
  partitions: Map<string, TopicPartition>
}

/**
 * Net movements during one rebalance: per partition its original holder (src) and current one
 * (dst), grouped per topic by (src, dst). Moving a partition of topic T from A to B while
 * another partition of T already moved from B to A is pointless churn; instead that other
 * partition goes back.
 */
class PartitionMovements {
  private readonly byPartition = new Map<string, { src: string; dst: string }>()
  private readonly byTopic = new Map<string, Map<string, Movement>>()

  private static pairKey(src: string, dst: string): string {
    return JSON.stringify([src, dst])
  }

  private removeRecord(tp: TopicPartition, key: string): { src: string; dst: string } {
    const pair = this.byPartition.get(key)!
    this.byPartition.delete(key)
    const topicMoves = this.byTopic.get(tp.topic)!
    const pk = PartitionMovements.pairKey(pair.src, pair.dst)
    const movement = topicMoves.get(pk)!
    movement.partitions.delete(key)
    if (movement.partitions.size === 0) topicMoves.delete(pk)
    if (topicMoves.size === 0) this.byTopic.delete(tp.topic)
    return pair
  }

  private addRecord(tp: TopicPartition, key: string, src: string, dst: string): void {
    this.byPartition.set(key, { src, dst })
    let topicMoves = this.byTopic.get(tp.topic)
    if (!topicMoves) this.byTopic.set(tp.topic, (topicMoves = new Map()))
    const pk = PartitionMovements.pairKey(src, dst)
    let movement = topicMoves.get(pk)
    if (!movement) topicMoves.set(pk, (movement = { src, dst, partitions: new Map() }))
    movement.partitions.set(key, tp)
  }

  record(tp: TopicPartition, from: string, to: string): void {
    const key = tpKey(tp.topic, tp.partition)
    if (this.byPartition.has(key)) {
      const earlier = this.removeRecord(tp, key)
      // Moving back to where it started cancels the movement.
      if (earlier.src !== to) this.addRecord(tp, key, earlier.src, to)
    } else {
      this.addRecord(tp, key, from, to)
    }
  }

  /** The partition to move from `from` to `to` in place of `tp`, as Kafka picks it. */
  partitionToMove(tp: TopicPartition, from: string, to: string): TopicPartition {
    const topicMoves = this.byTopic.get(tp.topic)
    if (!topicMoves) return tp
    const earlier = this.byPartition.get(tpKey(tp.topic, tp.partition))
    if (earlier) from = earlier.src
    const reverse = topicMoves.get(PartitionMovements.pairKey(to, from))
    if (!reverse) return tp
    return reverse.partitions.values().next().value!
  }

  /** False when some topic has partitions that moved A -> B and others B -> A. */
  isSticky(): boolean {
    for (const topicMoves of this.byTopic.values()) {
      for (const m of topicMoves.values()) {
        if (topicMoves.has(PartitionMovements.pairKey(m.dst, m.src))) return false
      }
    }
    return true
  }
}
