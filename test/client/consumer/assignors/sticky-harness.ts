/**
 * Harness for the sticky assignor tests (not a test file): builds subscriptions the way Kafka's
 * AbstractStickyAssignorTest does for each assignor, and checks results the way it does.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { tpKey, type TopicPartition } from '../../../../src/client/base/types.js'
import type { MemberSubscription } from '../../../../src/client/consumer/assignors/assignor.js'
import type { StickyResult } from '../../../../src/client/consumer/assignors/abstract-sticky.js'
import { StickyAssignor, encodeStickyUserData } from '../../../../src/client/consumer/assignors/sticky.js'
import { CooperativeStickyAssignor } from '../../../../src/client/consumer/assignors/cooperative-sticky.js'

export type Kind = 'sticky' | 'cooperative-sticky'
export type Assignment = Map<string, TopicPartition[]>
export type Partitions = Map<string, number>

export const tp = (topic: string, partition: number): TopicPartition => ({ topic, partition })
export const keys = (l: readonly TopicPartition[]) => l.map((p) => `${p.topic}-${p.partition}`)
export const sortedKeys = (l: readonly TopicPartition[]) => keys(l).sort()

/** Kafka's test names: "t" / "c" + the number zero-padded to the width of `max`. */
export const topicName = (i: number, max: number) => 't' + String(i).padStart(String(max).length, '0')
export const consumerName = (i: number, max: number) => 'c' + String(i).padStart(String(max).length, '0')

/** A seeded xorshift32 in [0, 1), so the random scenarios are reproducible. */
export function seeded(seed: number): () => number {
  let s = seed | 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 2 ** 32
  }
}

/**
 * The order Java's HashMap<String, _> iterates these keys in: by bucket (String.hashCode,
 * spread, masked by the table size), ties in insertion order. Kafka's assignors walk their
 * subscription map in this order, so scenarios whose exact outcome depends on visiting order
 * (which over-quota member keeps an extra partition) pass members to us in the same order.
 */
export function javaOrder<T extends { memberId: string }>(members: T[], capacity = 16): T[] {
  const bucket = (s: string) => {
    let h = 0
    for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0
    return (h ^ (h >>> 16)) & (capacity - 1)
  }
  return members
    .map((m, i) => ({ m, i, b: bucket(m.memberId) }))
    .sort((x, y) => x.b - y.b || x.i - y.i)
    .map((x) => x.m)
}

export interface Harness {
  kind: Kind
  /** Kafka's subscription(topics, i): nothing owned, no generation. */
  fresh(id: string, topics: string[]): MemberSubscription
  /** Kafka's buildSubscriptionV2Above: owned partitions with their generation. */
  v2(id: string, topics: string[], partitions: TopicPartition[], generation: number): MemberSubscription
  /** Kafka's buildSubscriptionV1: owned partitions but no generation field. */
  v1(id: string, topics: string[], partitions: TopicPartition[], generation: number): MemberSubscription
  assign(members: MemberSubscription[], partitions: Partitions): StickyResult
  /** The assignor's own subscriptionUserData. */
  userData(assigned: TopicPartition[] | null, generation: number): Buffer | null
  /**
   * Kafka's verifyValidityAndBalance. For the cooperative assignor it first runs the follow-up
   * rebalances (members report what they were given as owned, generation 1) until nobody has to
   * revoke anything, checking no partition is handed over in the round it is revoked. Returns
   * the final members and assignment.
   */
  settle(members: MemberSubscription[], assignment: Assignment, partitions: Partitions): Settled
}

export interface Settled {
  members: MemberSubscription[]
  assignment: Assignment
  /** Follow-up rebalances it took (always 0 for the eager assignor). */
  rebalances: number
}

const base = (memberId: string, topics: string[]): MemberSubscription => ({
  memberId,
  groupInstanceId: null,
  topics,
  userData: null,
  ownedPartitions: [],
  generationId: -1,
  rackId: null,
})

export function harness(kind: Kind): Harness {
  const sticky = new StickyAssignor()
  const coop = new CooperativeStickyAssignor()
  const coopUserData = (generation: number) => coop.subscriptionUserData({ assigned: null, generationId: generation })
  const h: Harness = {
    kind,
    fresh: base,
    v2: (id, topics, partitions, generation) =>
      kind === 'sticky'
        ? { ...base(id, topics), userData: encodeStickyUserData(partitions, generation), ownedPartitions: partitions, generationId: generation }
        : { ...base(id, topics), userData: coopUserData(generation), ownedPartitions: partitions, generationId: generation },
    v1: (id, topics, partitions, generation) =>
      kind === 'sticky'
        ? { ...base(id, topics), userData: encodeStickyUserData(partitions, generation), ownedPartitions: partitions }
        : { ...base(id, topics), userData: coopUserData(generation), ownedPartitions: partitions },
    userData: (assigned, generation) =>
      kind === 'sticky'
        ? sticky.subscriptionUserData({ assigned, generationId: generation })
        : coop.subscriptionUserData({ assigned, generationId: generation }),
    assign: (members, partitions) =>
      kind === 'sticky' ? sticky.assignDetailed(members, partitions) : coop.assignDetailed(members, partitions),
    settle(members, assignment, partitions) {
      let rebalances = 0
      while (kind === 'cooperative-sticky' && checkCooperative(members, assignment)) {
        members = members.map((m) => h.v2(m.memberId, m.topics, assignment.get(m.memberId)!, 1))
        assignment = coop.assign(members, partitions)
        assert.ok(++rebalances <= 4, 'cooperative assignment did not settle within 4 rebalances')
      }
      verifyValidityAndBalance(members, assignment, partitions)
      return { members, assignment, rebalances }
    },
  }
  return h
}

/** True if some member must revoke something; fails if a revoked partition is also handed out. */
export function checkCooperative(members: readonly MemberSubscription[], assignment: Assignment): boolean {
  const added = new Set<string>()
  const revoked = new Set<string>()
  for (const m of members) {
    const owned = new Set(keys(m.ownedPartitions))
    const assigned = new Set(keys(assignment.get(m.memberId) ?? []))
    for (const k of owned) if (!assigned.has(k)) revoked.add(k)
    for (const k of assigned) if (!owned.has(k)) added.add(k)
  }
  const both = [...added].filter((k) => revoked.has(k))
  assert.deepEqual(both, [], 'partitions handed to a new member in the round their owner revokes them')
  return revoked.size > 0
}

/**
 * Valid: every partition of a subscribed topic assigned exactly once, only to a subscriber.
 * Balanced (Kafka's check): members whose counts differ by 2+ hold no partitions of a common
 * topic.
 */
export function verifyValidityAndBalance(members: readonly MemberSubscription[], assignment: Assignment, partitions: Partitions): void {
  assert.deepEqual([...assignment.keys()].sort(), members.map((m) => m.memberId).sort(), 'every member has an entry')
  const holder = new Map<string, string>()
  for (const m of members) {
    for (const p of assignment.get(m.memberId)!) {
      assert.ok(m.topics.includes(p.topic), `${m.memberId} got ${p.topic}-${p.partition} without subscribing to ${p.topic}`)
      const k = tpKey(p.topic, p.partition)
      assert.equal(holder.get(k), undefined, `${p.topic}-${p.partition} assigned to ${holder.get(k)} and ${m.memberId}`)
      holder.set(k, m.memberId)
    }
  }
  const subscribed = new Set(members.flatMap((m) => m.topics))
  for (const [topic, count] of partitions) {
    if (!subscribed.has(topic)) continue
    for (let p = 0; p < count; p++) assert.ok(holder.has(tpKey(topic, p)), `${topic}-${p} is unassigned`)
  }
  const list = members.map((m) => ({ id: m.memberId, parts: assignment.get(m.memberId)! }))
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const [a, b] = [list[i]!, list[j]!]
      if (Math.abs(a.parts.length - b.parts.length) <= 1) continue
      const topicsA = new Set(a.parts.map((p) => p.topic))
      const common = b.parts.filter((p) => topicsA.has(p.topic))
      assert.deepEqual(common, [], `${a.id} (${a.parts.length}) and ${b.id} (${b.parts.length}) could be balanced`)
    }
  }
}

export function isFullyBalanced(assignment: Assignment): boolean {
  const sizes = [...assignment.values()].map((l) => l.length)
  return sizes.length === 0 || Math.max(...sizes) - Math.min(...sizes) <= 1
}

export const transferring = (entries: Array<[TopicPartition, string]>) => new Map(entries.map(([p, m]) => [tpKey(p.topic, p.partition), m]))

/** A group where everyone subscribes to `topics` topics of `perTopic` partitions each. */
export function perfGroup(topics: number, perTopic: number, members: number): { partitions: Partitions; members: MemberSubscription[] } {
  const names = Array.from({ length: topics }, (_, i) => `t${i}`)
  return {
    partitions: new Map(names.map((t) => [t, perTopic])),
    members: Array.from({ length: members }, (_, i) => base(`m${String(i).padStart(3, '0')}`, names)),
  }
}

/**
 * Random groups for property tests: up to 4 topics, up to 7 members with random or equal
 * subscriptions, and random previous claims, including conflicting ones, claims on a deleted
 * topic ('gone') and on partition numbers that do not exist.
 */
export function groupArbitrary(h: Harness): fc.Arbitrary<{ partitions: Partitions; members: MemberSubscription[]; equal: boolean }> {
  return fc
    .record({
      counts: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
      equal: fc.boolean(),
      members: fc.array(
        fc.record({
          subscribe: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
          owned: fc.array(fc.record({ t: fc.integer({ min: 0, max: 4 }), p: fc.integer({ min: -1, max: 12 }) }), { maxLength: 8 }),
          generation: fc.integer({ min: -1, max: 3 }),
        }),
        { minLength: 1, maxLength: 7 },
      ),
    })
    .map(({ counts, equal, members }) => {
      const topics = counts.map((_, i) => `t${i}`)
      const partitions: Partitions = new Map(topics.map((t, i) => [t, counts[i]!]))
      const built = members.map((m, i) => {
        const subscribed = equal ? topics : topics.filter((_, j) => m.subscribe[j])
        const owned = m.owned.map(({ t, p }) => tp(t < topics.length ? topics[t]! : 'gone', p))
        return h.v2(`m${i}`, subscribed, owned, m.generation)
      })
      return { partitions, members: built, equal }
    })
}
