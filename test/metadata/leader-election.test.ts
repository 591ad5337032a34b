/** ElectLeaders' rules and the imbalance check (src/metadata/leader-election.ts). */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { electionPlan, imbalancedPartitions } from '../../src/metadata/leader-election.js'
import type { PartitionInfo, TopicInfo } from '../../src/metadata/types.js'
import { KafkaError } from '../../src/protocol/errors.js'

function partition(p: Partial<PartitionInfo>): PartitionInfo {
  return { partition: 0, leader: 1, leaderEpoch: 5, partitionEpoch: 9, replicas: [1, 2, 3], isr: [1, 2, 3], addingReplicas: [], removingReplicas: [], offlineReplicas: [], ...p }
}
const live = (...ids: number[]) => new Set(ids)
function refused(name: string): (e: unknown) => boolean {
  return (e) => e instanceof KafkaError && e.errorName === name && e.message.includes('t-0')
}

test('preferred: the first replica leads at a new epoch; ELECTION_NOT_NEEDED when it does; PREFERRED_LEADER_NOT_AVAILABLE when dead or out of sync', () => {
  assert.deepEqual(electionPlan(partition({ leader: 2 }), 'preferred', live(1, 2, 3), 't-0'), { plan: { leader: 1, leaderEpoch: 6 }, unclean: false })
  assert.throws(() => electionPlan(partition({}), 'preferred', live(1, 2, 3), 't-0'), refused('ELECTION_NOT_NEEDED'))
  assert.throws(() => electionPlan(partition({ leader: 2 }), 'preferred', live(2, 3), 't-0'), refused('PREFERRED_LEADER_NOT_AVAILABLE'))
  assert.throws(() => electionPlan(partition({ leader: 2, isr: [2, 3] }), 'preferred', live(1, 2, 3), 't-0'), refused('PREFERRED_LEADER_NOT_AVAILABLE'))
})

test('unclean: only without a live leader; a live ISR member first (clean), else the first live replica with the ISR of itself; none alive: ELIGIBLE_LEADERS_NOT_AVAILABLE', () => {
  assert.throws(() => electionPlan(partition({}), 'unclean', live(1, 2, 3), 't-0'), refused('ELECTION_NOT_NEEDED'))
  assert.deepEqual(electionPlan(partition({ isr: [1, 3] }), 'unclean', live(2, 3), 't-0'), { plan: { leader: 3, leaderEpoch: 6, isr: [3] }, unclean: false })
  assert.deepEqual(electionPlan(partition({ isr: [1] }), 'unclean', live(2, 3), 't-0'), { plan: { leader: 2, leaderEpoch: 6, isr: [2] }, unclean: true })
  assert.deepEqual(electionPlan(partition({ leader: -1, isr: [1] }), 'unclean', live(3), 't-0'), { plan: { leader: 3, leaderEpoch: 6, isr: [3] }, unclean: true })
  assert.throws(() => electionPlan(partition({ leader: -1, isr: [1] }), 'unclean', live(), 't-0'), refused('ELIGIBLE_LEADERS_NOT_AVAILABLE'))
})

test('imbalance: a broker above the percentage gets its in-sync, live, not-reassigning preferred partitions back; at or below it, nothing', () => {
  const topic = (name: string, parts: Array<Partial<PartitionInfo>>): TopicInfo => ({ name, topicId: `id-${name}`, internal: false, configs: {}, partitions: parts.map((p, i) => partition({ partition: i, ...p })) })
  // Broker 1 prefers 4 partitions, 1 led elsewhere: 25 %.
  const t = topic('t', [{}, {}, {}, { leader: 2 }])
  assert.deepEqual(imbalancedPartitions([t], live(1, 2, 3), 10), [{ topic: 't', topicId: 'id-t', partition: 3 }])
  assert.deepEqual(imbalancedPartitions([t], live(1, 2, 3), 25), [], '25 % is not above 25 %')
  assert.deepEqual(imbalancedPartitions([t], live(2, 3), 10), [], 'broker 1 is dead')
  const u = topic('u', [{ leader: 2, isr: [2, 3] }, { leader: 2, addingReplicas: [4], replicas: [1, 2, 3, 4] }, { leader: 3 }])
  assert.deepEqual(imbalancedPartitions([u], live(1, 2, 3), 10), [{ topic: 'u', topicId: 'id-u', partition: 2 }], 'out of sync and reassigning partitions are left alone')
})
