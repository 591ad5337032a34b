/**
 * OffsetForLeaderEpoch (key 23), versions 0-4.
 *
 * Behaviour:
 * - Per partition: the largest leader epoch <= the one asked that the leader's log knows, and
 *   the offset where it ends (where the next epoch starts; the log end offset for the latest
 *   epoch): KIP-101/279. Followers truncate a divergent tail with it after a leader change;
 *   consumers (KIP-320) check that the offset they were at still exists under the new leader.
 *   An epoch older than every one the log knows, or newer than its latest, answers -1 / -1.
 * - Only the leader answers (NOT_LEADER_OR_FOLLOWER otherwise), except to a debugging tool
 *   (replica id -2, v3+); `current_leader_epoch` (v2+) is checked first, as KIP-320 says
 *   (FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH). Unknown partitions: UNKNOWN_TOPIC_OR_PARTITION.
 * - v0 answers without the epoch (it has no field for it).
 *
 * - Authorization: DESCRIBE on each topic (TOPIC_AUTHORIZATION_FAILED), or CLUSTER_ACTION on
 *   the cluster, which brokers' followers hold (Kafka's inter-broker principal).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse,
  type OffsetForLeaderEpochResponseEpochEndOffset,
} from '../../protocol/generated/offset-for-leader-epoch.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { Handler } from '../handler.js'
import { errorCodeOf } from '../error-codes.js'
import { authorize, authorizeCluster } from '../../security/authorizer/broker-authorizer.js'

export const offsetForLeaderEpochHandler: Handler<typeof ApiKey.OffsetForLeaderEpoch> = {
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  request: OffsetForLeaderEpochRequest,
  response: OffsetForLeaderEpochResponse,
  async handle(req, ctx) {
    const replicaId = req.replicaId ?? -1
    const topics = []
    const clusterAction = authorizeCluster(ctx, 'CLUSTER_ACTION')
    for (const t of req.topics) {
      const partitions: OffsetForLeaderEpochResponseEpochEndOffset[] = []
      const allowed = clusterAction || authorize(ctx, 'DESCRIBE', 'TOPIC', t.topic)
      for (const p of t.partitions) {
        if (!allowed) {
          partitions.push({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, partition: p.partition, leaderEpoch: -1, endOffset: -1n })
          continue
        }
        try {
          const r = await ctx.broker.replicas.lastOffsetForLeaderEpoch({
            topic: t.topic,
            partition: p.partition,
            leaderEpoch: p.leaderEpoch,
            replicaId,
            ...(p.currentLeaderEpoch !== undefined ? { currentLeaderEpoch: p.currentLeaderEpoch } : {}),
          })
          partitions.push({ errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: r.leaderEpoch, endOffset: BigInt(r.endOffset) })
        } catch (err) {
          const code = errorCodeOf(err)
          if (code === ErrorCode.UNKNOWN_SERVER_ERROR) ctx.broker.logger.error('OffsetForLeaderEpoch failed', { topic: t.topic, partition: p.partition, error: (err as Error).message })
          partitions.push({ errorCode: code, partition: p.partition, leaderEpoch: -1, endOffset: -1n })
        }
      }
      topics.push({ topic: t.topic, partitions })
    }
    return { throttleTimeMs: 0, topics }
  },
}
