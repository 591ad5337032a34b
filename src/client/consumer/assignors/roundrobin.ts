/**
 * Kafka's RoundRobinAssignor ('roundrobin'). All partitions of all subscribed topics, topics in
 * name order and partitions in number order, are dealt to the members in member order (static
 * members first, see compareMembers) like cards; a member not subscribed to a partition's topic
 * is skipped for that card. Balanced when everyone subscribes to the same topics; with uneven
 * subscriptions it can be far from balanced (the sticky assignor is the fix).
 */
import type { TopicPartition } from '../../base/types.js'
import { compareMembers, compareStrings, type Assignor, type MemberSubscription, type RebalanceProtocol } from './assignor.js'

export class RoundRobinAssignor implements Assignor {
  readonly name = 'roundrobin'
  readonly supportedProtocols: readonly RebalanceProtocol[] = ['EAGER']

  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): Map<string, TopicPartition[]> {
    const assignment = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]))
    const order = members.slice().sort(compareMembers)
    const topicsOf = order.map((m) => new Set(m.topics))
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort(compareStrings)
    let next = 0
    for (const topic of topics) {
      const count = partitionsPerTopic.get(topic)
      if (count === undefined) continue
      for (let partition = 0; partition < count; partition++) {
        // Terminates: the topic came from some member's subscription.
        while (!topicsOf[next]!.has(topic)) next = (next + 1) % order.length
        assignment.get(order[next]!.memberId)!.push({ topic, partition })
        next = (next + 1) % order.length
      }
    }
    return assignment
  }
}
