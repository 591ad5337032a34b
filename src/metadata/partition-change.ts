/** The rules of a partition state change (alterPartition), shared by the local and the etcd store. */
import { KafkaError } from '../protocol/errors.js'
import type { PartitionChange } from './store.js'
import type { PartitionInfo } from './types.js'

/**
 * alterPartition's checks, as LocalMetadataStore makes them: the change must be based on the
 * current partition epoch, a new leader needs a newer leader epoch, leader and ISR must be
 * replicas, the ISR must hold the leader. Returns the next state.
 */
export function checkPartitionChange(change: PartitionChange, current: PartitionInfo): PartitionInfo {
  const what = `${change.topic}-${change.partition}`
  if (change.partitionEpoch !== current.partitionEpoch) {
    throw new KafkaError('INVALID_UPDATE_VERSION', `The change of ${what} was based on partition epoch ${change.partitionEpoch}, but it is at ${current.partitionEpoch}: re-read its state and decide again.`)
  }
  const leader = change.leader ?? current.leader
  const leaderEpoch = change.leaderEpoch ?? (leader === current.leader ? current.leaderEpoch : current.leaderEpoch + 1)
  if (leaderEpoch < current.leaderEpoch || (leader !== current.leader && leaderEpoch === current.leaderEpoch)) {
    throw new KafkaError('FENCED_LEADER_EPOCH', `Leader epoch ${leaderEpoch} of ${what} is not newer than the current ${current.leaderEpoch}${leader !== current.leader ? ' while the leader changes' : ''}.`)
  }
  const isr = change.isr ?? current.isr
  if (leader !== -1 && !current.replicas.includes(leader)) throw new KafkaError('INELIGIBLE_REPLICA', `Broker ${leader} is not a replica of ${what} (replicas ${current.replicas.join(',')}).`)
  const stranger = isr.find((r) => !current.replicas.includes(r))
  if (stranger !== undefined) throw new KafkaError('INELIGIBLE_REPLICA', `Broker ${stranger} is not a replica of ${what} (replicas ${current.replicas.join(',')}).`)
  if (new Set(isr).size !== isr.length) throw new KafkaError('INVALID_REQUEST', `The ISR of ${what} names a broker twice: ${isr.join(',')}.`)
  if (leader !== -1 && !isr.includes(leader)) throw new KafkaError('INVALID_REQUEST', `The ISR of ${what} must include its leader ${leader}.`)
  return { ...current, leader, leaderEpoch, partitionEpoch: current.partitionEpoch + 1, isr: [...isr] }
}
