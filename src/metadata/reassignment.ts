/**
 * Partition reassignment as KRaft's controller does it (ReplicationControlManager,
 * PartitionReassignmentReplicas, PartitionChangeBuilder), as pure plans over one partition's
 * state; whoever applies a plan does so by alterPartition's compare-and-swap.
 *
 * - Start: the replicas become target + (current - target): the target first, in its order,
 *   then the replicas leaving; adding = target - current, removing = current - target (sorted,
 *   as Kafka keeps them). Brokers hosting an added replica make its log and follow the leader.
 * - Complete, as soon as every replica the target keeps is in the ISR (the added ones have
 *   caught up): replicas = target, ISR = ISR - removing, adding and removing cleared; the leader
 *   stays if the target keeps it, else the first in-sync live replica of the target leads. A
 *   replica leaving bumps the leader epoch, so its fetches are fenced. A reassignment whose
 *   target is already in sync (a reordering, a removal) completes at once.
 * - Cancel (a null target): back to the original replicas (replicas - adding), ISR within them;
 *   refused with INVALID_REPLICA_ASSIGNMENT when none of the original replicas is in sync,
 *   unless the topic allows unclean leader election (then the first live original leads).
 * - A new target while one is in progress replaces it, computed from the current replicas.
 */
import { KafkaError } from '../protocol/errors.js'
import type { PartitionChange } from './store.js'
import type { PartitionInfo } from './types.js'

/** What a plan changes of a partition (alterPartition's fields besides its address and epoch). */
export type PartitionPlan = Omit<PartitionChange, 'topic' | 'partition' | 'partitionEpoch'>

export function isReassigning(p: Pick<PartitionInfo, 'addingReplicas' | 'removingReplicas'>): boolean {
  return p.addingReplicas.length > 0 || p.removingReplicas.length > 0
}

interface Target {
  replicas: number[]
  adding: number[]
  removing: number[]
  isr: number[]
}

/** Starts (or replaces) a reassignment to `target`; undefined when nothing changes. */
export function reassignmentPlan(p: PartitionInfo, target: readonly number[], live: ReadonlySet<number>): PartitionPlan | undefined {
  const removing = p.replicas.filter((r) => !target.includes(r)).sort((a, b) => a - b)
  const adding = target.filter((r) => !p.replicas.includes(r)).sort((a, b) => a - b)
  return finish(p, { replicas: [...target, ...removing], adding, removing, isr: [...p.isr] }, live)
}

/** Completes the partition's reassignment once its target is in sync; undefined when it is not (yet), or none is in progress. */
export function completionPlan(p: PartitionInfo, live: ReadonlySet<number>): PartitionPlan | undefined {
  if (!isReassigning(p)) return undefined
  return finish(p, { replicas: [...p.replicas], adding: [...p.addingReplicas], removing: [...p.removingReplicas], isr: [...p.isr] }, live)
}

/** Cancels the reassignment in progress: NO_REASSIGNMENT_IN_PROGRESS when there is none. */
export function revertPlan(p: PartitionInfo, live: ReadonlySet<number>, uncleanAllowed: boolean, what: string): PartitionPlan {
  if (!isReassigning(p)) throw new KafkaError('NO_REASSIGNMENT_IN_PROGRESS', `No partition reassignment is in progress for ${what}.`)
  const original = p.replicas.filter((r) => !p.addingReplicas.includes(r))
  let isr = p.isr.filter((r) => original.includes(r))
  if (isr.length === 0) {
    if (!uncleanAllowed) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Unable to revert partition assignment for ${what} because it would require an unclean leader election.`)
    const any = original.find((r) => live.has(r))
    isr = any === undefined ? [] : [any]
  }
  return finish(p, { replicas: original, adding: [], removing: [], isr }, live) ?? {}
}

/** Completes the target if it can, elects a leader if the current one cannot stay, and says what differs. */
function finish(p: PartitionInfo, t: Target, live: ReadonlySet<number>): PartitionPlan | undefined {
  if (t.adding.length > 0 || t.removing.length > 0) {
    const isr = t.isr.filter((r) => !t.removing.includes(r))
    const replicas = t.replicas.filter((r) => !t.removing.includes(r))
    if (isr.length > 0 && replicas.every((r) => isr.includes(r))) t = { replicas, adding: [], removing: [], isr }
  }
  const usable = (r: number) => t.isr.includes(r) && live.has(r)
  let leader = p.leader
  if (leader === -1 || !t.replicas.includes(leader) || !usable(leader)) leader = t.replicas.find(usable) ?? (t.replicas.includes(p.leader) && t.isr.includes(p.leader) ? p.leader : -1)
  const plan: PartitionPlan = {}
  if (!same(t.replicas, p.replicas)) plan.replicas = t.replicas
  if (!same(t.adding, p.addingReplicas)) plan.addingReplicas = t.adding
  if (!same(t.removing, p.removingReplicas)) plan.removingReplicas = t.removing
  if (!same(t.isr, p.isr)) plan.isr = t.isr
  if (leader !== p.leader) plan.leader = leader
  // A replica leaving the list bumps the epoch even when the leader stays (KRaft does, so the leaver is fenced).
  if (leader !== p.leader || p.replicas.some((r) => !t.replicas.includes(r))) plan.leaderEpoch = p.leaderEpoch + 1
  if (Object.keys(plan).length === 0) return undefined
  // alterPartition keeps adding/removing only when not given alongside new replicas.
  if (plan.replicas) {
    plan.addingReplicas = t.adding
    plan.removingReplicas = t.removing
  }
  return plan
}

function same(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/**
 * INVALID_REPLICA_ASSIGNMENT unless `target` is a usable replica list: not empty, no broker
 * twice, every broker registered (KRaft's validateManualPartitionAssignment, with its messages).
 */
export function checkTarget(target: readonly number[], registered: ReadonlySet<number>): void {
  if (target.length === 0) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'The manual partition assignment includes an empty replica list.')
  const seen = new Set<number>()
  for (const r of target) {
    if (seen.has(r)) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes the broker ${r} more than once.`)
    seen.add(r)
    if (!registered.has(r)) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes broker ${r}, but no such broker is registered.`)
  }
}
