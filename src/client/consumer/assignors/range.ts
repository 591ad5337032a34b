/**
 * Kafka's RangeAssignor ('range'). Topic by topic: lay the partitions out in order, the
 * topic's subscribers in member order (static members first, see compareMembers), and give each
 * subscriber a consecutive range; the first `count % subscribers` get one extra. Topics are
 * independent, so with many topics the first members collect all the extras: the price of
 * co-partitioning (partition i of every topic lands on the same member when subscriptions and
 * partition counts match).
 *
 * Not implemented: Kafka 3.5's rack-aware variant, which needs replica racks the leader's
 * metadata does not pass here; without racks Kafka gives the plain result below.
 */
import type { TopicPartition } from '../../base/types.js'
import { compareMembers, compareStrings, type Assignor, type MemberSubscription, type RebalanceProtocol } from './assignor.js'

export class RangeAssignor implements Assignor {
  readonly name = 'range'
  readonly supportedProtocols: readonly RebalanceProtocol[] = ['EAGER']

  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): Map<string, TopicPartition[]> {
    const assignment = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]))
    const subscribers = new Map<string, MemberSubscription[]>()
    for (const m of members) {
      for (const topic of new Set(m.topics)) {
        let list = subscribers.get(topic)
        if (!list) subscribers.set(topic, (list = []))
        list.push(m)
      }
    }
    for (const topic of [...subscribers.keys()].sort(compareStrings)) {
      const count = partitionsPerTopic.get(topic)
      if (count === undefined || count <= 0) continue
      const consumers = subscribers.get(topic)!.slice().sort(compareMembers)
      const per = Math.floor(count / consumers.length)
      const extra = count % consumers.length
      consumers.forEach((m, i) => {
        const start = per * i + Math.min(i, extra)
        const length = per + (i < extra ? 1 : 0)
        const out = assignment.get(m.memberId)!
        for (let p = start; p < start + length; p++) out.push({ topic, partition: p })
      })
    }
    return assignment
  }
}
