/**
 * WriteTxnMarkers (key 27), versions 0-1: a transaction coordinator asks this broker, as
 * leader, to write commit/abort markers (broker/txn-markers.ts, the same path this broker's own
 * coordinator uses). Per partition: NONE once written (acks=all), NOT_LEADER_OR_FOLLOWER,
 * UNKNOWN_TOPIC_OR_PARTITION, TRANSACTION_COORDINATOR_FENCED (an older coordinator epoch than the
 * partition saw), INVALID_PRODUCER_EPOCH; nothing is written for a partition that fails.
 * Markers to `__consumer_offsets` apply or drop the transaction's offset commits.
 *
 * Authorization: CLUSTER_ACTION on the cluster (brokers: super users), else
 * CLUSTER_AUTHORIZATION_FAILED for every partition, as Kafka.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../../protocol/generated/write-txn-markers.js'
import { ErrorCode } from '../../protocol/errors.js'
import { authorizeCluster } from '../../security/authorizer/broker-authorizer.js'
import type { Handler } from '../handler.js'
import { writeTxnMarkers } from '../txn-markers.js'

export const writeTxnMarkersHandler: Handler<typeof ApiKey.WriteTxnMarkers> = {
  apiKey: ApiKey.WriteTxnMarkers,
  minVersion: 0,
  maxVersion: 1,
  request: WriteTxnMarkersRequest,
  response: WriteTxnMarkersResponse,
  async handle(req, ctx) {
    // Only brokers (CLUSTER_ACTION: super users in practice) may write markers; Kafka refuses every partition.
    if (!authorizeCluster(ctx, 'CLUSTER_ACTION')) {
      return { markers: req.markers.map((m) => ({ producerId: m.producerId, topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })) })) })) }
    }
    const markers = await Promise.all(
      req.markers.map(async (m) => {
        const written = await writeTxnMarkers(ctx.broker, {
          producerId: m.producerId,
          producerEpoch: m.producerEpoch,
          coordinatorEpoch: m.coordinatorEpoch,
          commit: m.transactionResult,
          partitions: m.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition }))),
          transactionVersion: 1,
        })
        const byTopic = new Map<string, Array<{ partitionIndex: number; errorCode: number }>>()
        for (const r of written) {
          let list = byTopic.get(r.topic)
          if (!list) byTopic.set(r.topic, (list = []))
          list.push({ partitionIndex: r.partition, errorCode: r.errorCode })
        }
        return { producerId: m.producerId, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) }
      }),
    )
    return { markers }
  },
}
