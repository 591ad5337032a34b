/**
 * Consumer-side partition assignors (the "classic" group protocol). The group leader decodes
 * every member's subscription, runs the assignor the group agreed on, and sends each member its
 * share. Names and semantics follow Kafka's Java client so that a group may mix Java and
 * Samsa consumers: whichever one is leader, the result is the same kind of assignment.
 */
import { tpKey, type TopicPartition } from '../../base/types.js'

/**
 * EAGER: members give up everything before rejoining, so any reshuffle is safe.
 * COOPERATIVE: members keep their partitions while rejoining; an assignor that supports it must
 * never give a member a partition another member still owns (it revokes first, and a follow-up
 * rebalance hands the partition over).
 */
export type RebalanceProtocol = 'EAGER' | 'COOPERATIVE'

/** One member as the leader sees it: ids from JoinGroup, the rest decoded from its subscription. */
export interface MemberSubscription {
  memberId: string
  /** Static membership id (group.instance.id); null for dynamic members. */
  groupInstanceId: string | null
  topics: string[]
  userData: Buffer | null
  /** Partitions the member holds while rejoining (subscription v1+; empty under EAGER). */
  ownedPartitions: TopicPartition[]
  /** Generation of `ownedPartitions` (subscription v2+); -1 unknown. */
  generationId: number
  rackId: string | null
}

/** What a member knows about itself when it builds its subscription's userData. */
export interface UserDataState {
  /**
   * The partitions of the last assignment this member received, even if it has since revoked
   * them (EAGER revokes everything before rejoining); null before its first assignment.
   */
  assigned: TopicPartition[] | null
  /** The generation that assignment came with; -1 unknown. */
  generationId: number
}

export interface Assignor {
  /** Kafka's protocol name: 'range' | 'roundrobin' | 'sticky' | 'cooperative-sticky'. */
  readonly name: string
  readonly supportedProtocols: readonly RebalanceProtocol[]
  /** userData for this member's subscription; absent means always null. */
  subscriptionUserData?(state: UserDataState): Buffer | null
  /**
   * Runs on the leader. `partitionsPerTopic`: topic -> partition count, only topics that exist
   * (Kafka skips subscribed topics with no metadata). Returns memberId -> partitions with every
   * member present, possibly with an empty list.
   */
  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): Map<string, TopicPartition[]>
}

/** Java's String.compareTo: UTF-16 code unit order, which is also what JS `<` compares. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Kafka's member order for range and round-robin: static members first, by group.instance.id
 * (so they keep their share across restarts that change the member id), then the rest by
 * member id.
 */
export function compareMembers(a: MemberSubscription, b: MemberSubscription): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) return compareStrings(a.groupInstanceId, b.groupInstanceId)
  if (a.groupInstanceId !== null) return -1
  if (b.groupInstanceId !== null) return 1
  return compareStrings(a.memberId, b.memberId)
}

/** Removes the first entry for "topic:partition" `key`, as Java's List.remove(Object). */
export function removePartition(list: TopicPartition[], key: string): boolean {
  const i = list.findIndex((tp) => tpKey(tp.topic, tp.partition) === key)
  if (i < 0) return false
  list.splice(i, 1)
  return true
}
