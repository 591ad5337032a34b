/**
 * Leader elections an operator asks for (ElectLeaders, `samsa leader-election`) and the
 * controller's automatic preferred-leader rebalance, as pure plans over one partition's state
 * (KRaft's ReplicationControlManager.electLeader and PartitionChangeBuilder's elections).
 *
 * - PREFERRED: the first replica leads, if it is alive and in the ISR. Already leading:
 *   ELECTION_NOT_NEEDED; dead or out of sync: PREFERRED_LEADER_NOT_AVAILABLE.
 * - UNCLEAN: only for a partition whose leader is gone (a live leader: ELECTION_NOT_NEEDED).
 *   A live ISR member leads if there is one (a clean election, as KRaft tries first); else the
 *   first live replica, with the ISR set to it alone: records only the lost ISR held may be
 *   gone, which the caller logs loudly. No live replica: ELIGIBLE_LEADERS_NOT_AVAILABLE.
 *
 * Imbalance (the ZooKeeper-era controller's checkAndTriggerAutoLeaderRebalance, which the
 * leader.imbalance.* keys configure): per preferred broker, the share of the partitions it
 * prefers that another broker leads; above leader.imbalance.per.broker.percentage, those of its
 * partitions where it is alive and in sync get a preferred election.
 */
import { KafkaError } from '../protocol/errors.js'
import type { PartitionPlan } from './reassignment.js'
import { isReassigning } from './reassignment.js'
import type { PartitionInfo, TopicInfo } from './types.js'

export type ElectionType = 'preferred' | 'unclean'

/** ElectLeaders' election types on the wire (v1+; v0 is always preferred). */
export const ELECTION_TYPES: Record<number, ElectionType> = { 0: 'preferred', 1: 'unclean' }

export interface ElectionPlan {
  plan: PartitionPlan
  /** True when an out-of-sync replica was chosen. */
  unclean: boolean
}

/** The change electing `p`'s leader by `type`; throws the KafkaError ElectLeaders answers when there is none to make. */
export function electionPlan(p: PartitionInfo, type: ElectionType, live: ReadonlySet<number>, what: string): ElectionPlan {
  if (type === 'preferred') {
    const preferred = p.replicas[0]!
    if (p.leader === preferred) throw new KafkaError('ELECTION_NOT_NEEDED', `Leader election not needed for ${what}: its preferred replica ${preferred} leads it.`)
    if (!live.has(preferred) || !p.isr.includes(preferred)) {
      throw new KafkaError('PREFERRED_LEADER_NOT_AVAILABLE', `Failed to elect leader for partition ${what} under strategy PreferredReplicaPartitionLeaderElectionStrategy: its preferred replica ${preferred} is ${live.has(preferred) ? 'not in the ISR' : 'not alive'}.`)
    }
    return { plan: { leader: preferred, leaderEpoch: p.leaderEpoch + 1 }, unclean: false }
  }
  if (p.leader !== -1 && live.has(p.leader)) throw new KafkaError('ELECTION_NOT_NEEDED', `Leader election not needed for ${what}: broker ${p.leader} leads it.`)
  const clean = p.replicas.find((r) => p.isr.includes(r) && live.has(r))
  if (clean !== undefined) return { plan: { leader: clean, leaderEpoch: p.leaderEpoch + 1, isr: p.isr.filter((r) => live.has(r)) }, unclean: false }
  const any = p.replicas.find((r) => live.has(r))
  if (any === undefined) throw new KafkaError('ELIGIBLE_LEADERS_NOT_AVAILABLE', `Failed to elect leader for partition ${what} under strategy UncleanLeaderElectionStrategy: none of its replicas ${p.replicas.join(',')} is alive.`)
  return { plan: { leader: any, leaderEpoch: p.leaderEpoch + 1, isr: [any] }, unclean: true }
}

/**
 * The partitions a preferred election would rebalance: of each broker whose imbalance ratio is
 * above `percentage` %, those it prefers, where it is alive and in sync but does not lead, and
 * no reassignment is in progress (Kafka leaves those alone).
 */
export function imbalancedPartitions(topics: Iterable<TopicInfo>, live: ReadonlySet<number>, percentage: number): Array<{ topic: string; topicId: string; partition: number }> {
  const byPreferred = new Map<number, { total: number; notLed: Array<{ topic: TopicInfo; p: PartitionInfo }> }>()
  for (const t of topics) {
    for (const p of t.partitions) {
      const preferred = p.replicas[0]
      if (preferred === undefined) continue
      const entry = byPreferred.get(preferred) ?? { total: 0, notLed: [] }
      entry.total++
      if (p.leader !== preferred) entry.notLed.push({ topic: t, p })
      byPreferred.set(preferred, entry)
    }
  }
  const out: Array<{ topic: string; topicId: string; partition: number }> = []
  for (const [broker, e] of byPreferred) {
    if (e.notLed.length === 0 || (e.notLed.length / e.total) * 100 <= percentage) continue
    for (const { topic, p } of e.notLed) {
      if (live.has(broker) && p.isr.includes(broker) && !isReassigning(p)) out.push({ topic: topic.name, topicId: topic.topicId, partition: p.partition })
    }
  }
  return out
}
