/**
 * The transaction coordinator's markers to partition leaders anywhere in the cluster (Kafka's
 * TransactionMarkerChannelManager). A transaction's partitions are grouped by the leader
 * metadata names now: this broker's own are written through `writeTxnMarkers` (the path the
 * WriteTxnMarkers handler takes), every other leader gets one WriteTxnMarkers request for its
 * partitions, with the coordinator epoch, so a leader that has seen a newer coordinator answers
 * TRANSACTION_COORDINATOR_FENCED. Each partition answers its own code; the coordinator retries
 * the ones that failed, and the grouping is done again on each retry from the metadata cache
 * (kept current by the store's watch: Samsa's equivalent of Kafka's metadata refresh on
 * NOT_LEADER_OR_FOLLOWER), so a partition whose leader moved goes to its new leader.
 *
 * Codes the channel itself answers: UNKNOWN_TOPIC_OR_PARTITION for a partition metadata does not
 * know (a deleted topic needs no marker), LEADER_NOT_AVAILABLE while a partition has no leader or
 * its leader is not registered, NETWORK_EXCEPTION when the request to a leader failed (its
 * connection is dropped and opened again on the next send).
 *
 * Connections to other brokers come from the broker's BrokerPeers (one per broker, reopened
 * after a failure).
 * Fault point `txn.markers.send` (detail: the destination broker id) fails a destination's send
 * as a network failure would, so tests can stop a commit half way.
 *
 * Gap: Kafka drains markers of many transactions into one request per broker; here each
 * transaction sends its own request (the connection pipelines concurrent ones).
 */
import { ErrorCode } from '../protocol/errors.js'
import { ApiKey } from '../protocol/generated/api-keys.js'
import type { FaultHooks } from '../util/faults.js'
import type { TxnMarkerWriter } from '../coordinator/txn/coordinator.js'
import type { GroupCoordinator } from '../coordinator/group/coordinator.js'
import type { CoordinatorBroker } from './coordinator-partitions.js'
import type { BrokerPeers } from './broker-peers.js'
import { writeTxnMarkers } from './txn-markers.js'

type Marker = Parameters<TxnMarkerWriter['write']>[0]
type Result = { topic: string; partition: number; errorCode: number }

export class TxnMarkerChannel implements TxnMarkerWriter {
  constructor(
    private readonly broker: CoordinatorBroker & { groups: GroupCoordinator; faults?: FaultHooks },
    private readonly peers: BrokerPeers,
    private readonly transactionVersion = 1,
  ) {}

  async write(m: Marker): Promise<Result[]> {
    const results: Result[] = []
    const byLeader = new Map<number, Array<{ topic: string; partition: number }>>()
    for (const tp of m.partitions) {
      const info = this.broker.metadata.topic(tp.topic)?.partitions[tp.partition]
      if (!info) results.push({ ...tp, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })
      else if (info.leader < 0) results.push({ ...tp, errorCode: ErrorCode.LEADER_NOT_AVAILABLE })
      else {
        let list = byLeader.get(info.leader)
        if (!list) byLeader.set(info.leader, (list = []))
        list.push(tp)
      }
    }
    const sent = await Promise.all(
      [...byLeader].map(async ([leader, partitions]) => {
        try {
          this.broker.faults?.check('txn.markers.send', String(leader))
          if (leader === this.broker.nodeId) return await writeTxnMarkers(this.broker, { ...m, partitions, transactionVersion: this.transactionVersion })
          return await this.send(leader, { ...m, partitions })
        } catch (err) {
          const code = leader === this.broker.nodeId ? ErrorCode.UNKNOWN_SERVER_ERROR : ErrorCode.NETWORK_EXCEPTION
          this.broker.logger.debug('sending transaction markers failed', { leader, producerId: String(m.producerId), error: (err as Error).message })
          return partitions.map((tp) => ({ ...tp, errorCode: code }))
        }
      }),
    )
    for (const s of sent) results.push(...s)
    return results
  }

  private async send(leader: number, m: Marker): Promise<Result[]> {
    const conn = await this.peers.connection(leader)
    if (!conn) return m.partitions.map((tp) => ({ ...tp, errorCode: ErrorCode.LEADER_NOT_AVAILABLE }))
    const topics = new Map<string, number[]>()
    for (const tp of m.partitions) {
      let list = topics.get(tp.topic)
      if (!list) topics.set(tp.topic, (list = []))
      list.push(tp.partition)
    }
    let resp
    try {
      resp = await conn.request(
        ApiKey.WriteTxnMarkers,
        {
          markers: [
            {
              producerId: m.producerId,
              producerEpoch: m.producerEpoch,
              transactionResult: m.commit,
              coordinatorEpoch: m.coordinatorEpoch,
              topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
            },
          ],
        },
        { signal: this.peers.signal },
      )
    } catch (err) {
      this.peers.drop(leader, conn)
      throw err
    }
    const answered = new Map<string, number>()
    for (const r of resp.markers) {
      if (r.producerId !== m.producerId) continue
      for (const t of r.topics) for (const p of t.partitions) answered.set(`${t.name}\u0000${p.partitionIndex}`, p.errorCode)
    }
    // A partition the leader left out of its answer was not written: retried.
    return m.partitions.map((tp) => ({ ...tp, errorCode: answered.get(`${tp.topic}\u0000${tp.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR }))
  }
}
