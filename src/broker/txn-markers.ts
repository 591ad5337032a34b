/**
 * Writing commit/abort markers (Kafka's WriteTxnMarkers path): one control batch per partition,
 * appended by this broker as the partition's leader through the replica manager, acks=all, as
 * the broker's own records (internal topics allowed: `__consumer_offsets` partitions get markers
 * too, and the group coordinator then applies or drops the transaction's offsets).
 *
 * The WriteTxnMarkers handler and the transaction coordinator on this broker both call this, so
 * markers take one path whoever sends them. Each partition answers its own code: a partition
 * this broker does not lead is NOT_LEADER_OR_FOLLOWER, a stale coordinator epoch
 * TRANSACTION_COORDINATOR_FENCED, a stale producer epoch INVALID_PRODUCER_EPOCH; nothing is
 * written for a partition that fails.
 *
 * Gap: the coordinator sends markers only to partitions this broker leads (the replica manager
 * answers NOT_LEADER_OR_FOLLOWER for the others and the coordinator retries); a cluster needs the
 * coordinator to send WriteTxnMarkers to the other leaders.
 */
import { encodeBatchSync } from '../protocol/records/batch.js'
import { createEndTxnBatch } from '../protocol/records/control.js'
import { ErrorCode } from '../protocol/errors.js'
import type { CoordinatorBroker } from './coordinator-partitions.js'
import type { GroupCoordinator } from '../coordinator/group/coordinator.js'
import { GROUP_METADATA_TOPIC } from '../coordinator/group/group-log.js'

export interface TxnMarker {
  producerId: bigint
  producerEpoch: number
  coordinatorEpoch: number
  commit: boolean
  partitions: Array<{ topic: string; partition: number }>
  transactionVersion: number
}

/** How long a marker waits for the in-sync replicas (Kafka's request.timeout.ms of its marker sender). */
const MARKER_TIMEOUT_MS = 30_000

export async function writeTxnMarkers(
  broker: CoordinatorBroker & { groups: GroupCoordinator },
  m: TxnMarker,
): Promise<Array<{ topic: string; partition: number; errorCode: number }>> {
  if (m.partitions.length === 0) return []
  const timestamp = BigInt(Date.now())
  const entries = m.partitions.map((p) => ({
    topic: p.topic,
    partition: p.partition,
    records: encodeBatchSync(createEndTxnBatch({ commit: m.commit, producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, timestamp })),
  }))
  const outcomes = await broker.replicas.appendRecords({ entries, acks: -1, timeoutMs: MARKER_TIMEOUT_MS, origin: { kind: 'coordinator' }, internalTopicsAllowed: true })
  const results = outcomes.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: o.errorCode }))
  for (const r of results) {
    if (r.topic === GROUP_METADATA_TOPIC && r.errorCode === ErrorCode.NONE) {
      await broker.groups.onTransactionCompleted(r.partition, m.producerId, m.commit)
    }
  }
  return results
}
