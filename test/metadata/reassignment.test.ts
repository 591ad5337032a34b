/** The reassignment plans (src/metadata/reassignment.ts): KRaft's arithmetic on one partition's state. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkTarget, completionPlan, reassignmentPlan, revertPlan } from '../../src/metadata/reassignment.js'
import type { PartitionInfo } from '../../src/metadata/types.js'
import { KafkaError } from '../../src/protocol/errors.js'

function partition(p: Partial<PartitionInfo>): PartitionInfo {
  return { partition: 0, leader: 1, leaderEpoch: 5, partitionEpoch: 9, replicas: [1, 2, 3], isr: [1, 2, 3], addingReplicas: [], removingReplicas: [], offlineReplicas: [], ...p }
}

const live = (...ids: number[]) => new Set(ids)
const ALL = live(1, 2, 3, 4, 5)

function refused(name: string, text: string): (e: unknown) => boolean {
  return (e) => e instanceof KafkaError && e.errorName === name && e.message.includes(text)
}

test('start: replicas = target then the leaving ones; adding and removing sorted; the leader and its epoch stay while the target catches up', () => {
  assert.deepEqual(reassignmentPlan(partition({}), [4, 2, 5], ALL), { replicas: [4, 2, 5, 1, 3], addingReplicas: [4, 5], removingReplicas: [1, 3] })
  assert.deepEqual(reassignmentPlan(partition({}), [1, 2, 3, 4], ALL), { replicas: [1, 2, 3, 4], addingReplicas: [4], removingReplicas: [] })
})

test('a target already in sync completes at once: a reordering keeps the epoch; a removal bumps it; a removed leader is replaced by the first in-sync target replica', () => {
  assert.deepEqual(reassignmentPlan(partition({}), [3, 2, 1], ALL), { replicas: [3, 2, 1], addingReplicas: [], removingReplicas: [] })
  assert.deepEqual(reassignmentPlan(partition({}), [1, 2], ALL), { replicas: [1, 2], addingReplicas: [], removingReplicas: [], isr: [1, 2], leaderEpoch: 6 })
  assert.deepEqual(reassignmentPlan(partition({}), [3, 2], ALL), { replicas: [3, 2], addingReplicas: [], removingReplicas: [], isr: [2, 3], leader: 3, leaderEpoch: 6 })
  assert.equal(reassignmentPlan(partition({}), [1, 2, 3], ALL), undefined, 'the same list: nothing to do')
})

test('completion waits for every replica the target keeps to be in the ISR', () => {
  const started = partition({ replicas: [4, 2, 1, 3], addingReplicas: [4], removingReplicas: [1, 3], isr: [1, 2, 3] })
  assert.equal(completionPlan(started, ALL), undefined, '4 has not caught up')
  assert.deepEqual(completionPlan({ ...started, isr: [1, 2, 3, 4] }, ALL), { replicas: [4, 2], addingReplicas: [], removingReplicas: [], isr: [2, 4], leader: 4, leaderEpoch: 6 })
  // The new leader must be alive: 4 is in sync but dead, so 2 leads.
  assert.deepEqual(completionPlan({ ...started, isr: [1, 2, 3, 4] }, live(1, 2, 3)), { replicas: [4, 2], addingReplicas: [], removingReplicas: [], isr: [2, 4], leader: 2, leaderEpoch: 6 })
  assert.equal(completionPlan(partition({}), ALL), undefined, 'no reassignment in progress')
})

test('cancel: back to the original replicas (adding ones leave), ISR within them; refused without one in sync unless unclean election is allowed', () => {
  const started = partition({ replicas: [4, 2, 1, 3], addingReplicas: [4], removingReplicas: [1, 3], isr: [1, 2, 3, 4] })
  assert.deepEqual(revertPlan(started, ALL, false, 't-0'), { replicas: [2, 1, 3], addingReplicas: [], removingReplicas: [], isr: [1, 2, 3], leaderEpoch: 6 })
  assert.throws(() => revertPlan(partition({}), ALL, false, 't-0'), refused('NO_REASSIGNMENT_IN_PROGRESS', 't-0'))
  const onlyNew = partition({ replicas: [4, 1], addingReplicas: [4], removingReplicas: [1], isr: [4], leader: 4 })
  assert.throws(() => revertPlan(onlyNew, ALL, false, 't-0'), refused('INVALID_REPLICA_ASSIGNMENT', 'unclean leader election'))
  assert.deepEqual(revertPlan(onlyNew, ALL, true, 't-0'), { replicas: [1], addingReplicas: [], removingReplicas: [], isr: [1], leader: 1, leaderEpoch: 6 })
})

test('checkTarget: empty, a broker twice, an unregistered broker: INVALID_REPLICA_ASSIGNMENT with Kafka\'s messages', () => {
  assert.throws(() => checkTarget([], ALL), refused('INVALID_REPLICA_ASSIGNMENT', 'empty replica list'))
  assert.throws(() => checkTarget([1, 1], ALL), refused('INVALID_REPLICA_ASSIGNMENT', 'broker 1 more than once'))
  assert.throws(() => checkTarget([1, 9], ALL), refused('INVALID_REPLICA_ASSIGNMENT', 'broker 9, but no such broker is registered'))
  checkTarget([5, 1], ALL)
})
