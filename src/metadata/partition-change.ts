/** The rules of a partition state change (alterPartition), shared by the local and the etcd store. */
import { KafkaError } from '../protocol/errors.js'
import type { PartitionChange } from './store.js'
import type { PartitionInfo } from './types.js'

/**
 * alterPartition's checks, as LocalMetadataStore makes them: the change must be based on the
 * current partition epoch, a new leader needs a newer leader epoch, leader and ISR must be
 * replicas (of the new replica list when the change sets one), the ISR must hold the leader,
 * and a reassignment's adding and removing replicas must be replicas, apart, none twice
 * (Kafka's PartitionChangeRecord). Returns the next state. Left out, the leader epoch grows
 * when the leader changes or a replica leaves the replica list (KRaft bumps it then, so the
 * removed replica's fetches are fenced), and stays otherwise.
 */
export function checkPartitionChange(change: PartitionChange, current: PartitionInfo): PartitionInfo {
  const what = `${change.topic}-${change.partition}`
  if (change.partitionEpoch !== current.partitionEpoch) {
    throw new KafkaError('INVALID_UPDATE_VERSION', `The change of ${what} was based on partition epoch ${change.partitionEpoch}, but it is at ${current.partitionEpoch}: re-read its state and decide again.`)
  }
  const replicas = change.replicas ?? current.replicas
  if (replicas.length === 0) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `The replica list of ${what} cannot be empty.`)
  noneTwice(replicas, `The replicas of ${what}`)
  const adding = change.addingReplicas ?? (change.replicas ? [] : current.addingReplicas)
  const removing = change.removingReplicas ?? (change.replicas ? [] : current.removingReplicas)
  noneTwice(adding, `The adding replicas of ${what}`)
  noneTwice(removing, `The removing replicas of ${what}`)
  for (const [list, name] of [[adding, 'adding'], [removing, 'removing']] as const) {
    const stranger = list.find((r) => !replicas.includes(r))
    if (stranger !== undefined) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Broker ${stranger} is ${name} but not a replica of ${what} (replicas ${replicas.join(',')}).`)
  }
  const both = adding.find((r) => removing.includes(r))
  if (both !== undefined) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Broker ${both} cannot be both added to and removed from ${what}.`)
  const leader = change.leader ?? current.leader
  const shrinks = current.replicas.some((r) => !replicas.includes(r))
  const leaderEpoch = change.leaderEpoch ?? (leader === current.leader && !shrinks ? current.leaderEpoch : current.leaderEpoch + 1)
  if (leaderEpoch < current.leaderEpoch || (leader !== current.leader && leaderEpoch === current.leaderEpoch)) {
    throw new KafkaError('FENCED_LEADER_EPOCH', `Leader epoch ${leaderEpoch} of ${what} is not newer than the current ${current.leaderEpoch}${leader !== current.leader ? ' while the leader changes' : ''}.`)
  }
  const isr = change.isr ?? current.isr
  if (leader !== -1 && !replicas.includes(leader)) throw new KafkaError('INELIGIBLE_REPLICA', `Broker ${leader} is not a replica of ${what} (replicas ${replicas.join(',')}).`)
  const stranger = isr.find((r) => !replicas.includes(r))
  if (stranger !== undefined) throw new KafkaError('INELIGIBLE_REPLICA', `Broker ${stranger} is not a replica of ${what} (replicas ${replicas.join(',')}).`)
  if (new Set(isr).size !== isr.length) throw new KafkaError('INVALID_REQUEST', `The ISR of ${what} names a broker twice: ${isr.join(',')}.`)
  if (leader !== -1 && !isr.includes(leader)) throw new KafkaError('INVALID_REQUEST', `The ISR of ${what} must include its leader ${leader}.`)
  return {
    ...current,
    leader,
    leaderEpoch,
    partitionEpoch: current.partitionEpoch + 1,
    replicas: [...replicas],
    isr: [...isr],
    addingReplicas: [...adding],
    removingReplicas: [...removing],
  }
}

function noneTwice(ids: readonly number[], what: string): void {
  if (new Set(ids).size !== ids.length) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `${what} name a broker twice: ${ids.join(',')}.`)
}
