/**
 * ElectLeaders (key 43), versions 0-2.
 *
 * Behaviour (KRaft's ReplicationControlManager.electLeaders; the rules are
 * metadata/leader-election.ts):
 * - electionType (v1+; v0 is preferred): 0 PREFERRED, the first replica leads if it is alive and
 *   in sync (ELECTION_NOT_NEEDED when it leads already, PREFERRED_LEADER_NOT_AVAILABLE when it
 *   cannot); 1 UNCLEAN, for a partition without a live leader: a live ISR member if any, else
 *   the first live replica, whatever the topic's unclean.leader.election.enable (the operator
 *   asked), logged at warn as a possible loss; ELECTION_NOT_NEEDED while the leader lives,
 *   ELIGIBLE_LEADERS_NOT_AVAILABLE with no live replica. Another type: INVALID_REQUEST.
 * - null topicPartitions: every partition, and the answer leaves out those that needed no
 *   election, as Kafka's does. Unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION.
 * - Each election is a compare-and-swap with a new leader epoch; the answer is sent once it is
 *   durable (Kafka waits up to timeoutMs for the brokers to learn it; here they follow the
 *   store's change at once).
 * - v0 has no top-level error code; v1+ answers NONE there.
 * - More than 10,000 named partitions: each POLICY_VIOLATION.
 *
 * Authorization: ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED per partition).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  ElectLeadersRequest,
  ElectLeadersResponse,
  type ElectLeadersResponsePartitionResult,
  type ElectLeadersResponseReplicaElectionResult,
} from '../../protocol/generated/elect-leaders.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { ELECTION_TYPES, electionPlan, type ElectionType } from '../../metadata/leader-election.js'
import { changePartition } from '../../metadata/partition-cas.js'
import { authorizeCluster } from '../../security/authorizer/broker-authorizer.js'
import type { Handler, RequestContext } from '../handler.js'
import { errorCodeOf } from '../error-codes.js'
import { MAX_PARTITIONS_PER_REQUEST } from '../topic-admin.js'

async function elect(ctx: RequestContext, type: ElectionType, topic: string, partition: number): Promise<void> {
  const { metadata, logger } = ctx.broker
  let unclean = false
  const done = await changePartition(metadata, topic, partition, (p) => {
    const e = electionPlan(p, type, new Set(metadata.brokers().map((b) => b.nodeId)), `${topic}-${partition}`)
    unclean = e.unclean
    return e.plan
  })
  if (!done) return
  const fields = { topic, partition, leader: done.after.leader, leaderEpoch: done.after.leaderEpoch, previous: done.before.leader, client: ctx.clientAddress }
  if (unclean) logger.warn('UNCLEAN LEADER ELECTION (ElectLeaders): no in-sync replica is alive, so an out-of-sync replica leads; records acknowledged by the lost ISR may be gone', { ...fields, lostIsr: done.before.isr })
  else logger.info('partition leader elected (ElectLeaders)', { ...fields, type })
}

export const electLeadersHandler: Handler<typeof ApiKey.ElectLeaders> = {
  apiKey: ApiKey.ElectLeaders,
  minVersion: 0,
  maxVersion: 2,
  request: ElectLeadersRequest,
  response: ElectLeadersResponse,
  async handle(req, ctx) {
    const type = ELECTION_TYPES[ctx.apiVersion === 0 ? 0 : (req.electionType ?? 0)]
    const all = req.topicPartitions === null
    const wanted: Array<{ topic: string; partitions: number[] }> = all
      ? [...ctx.broker.metadata.topics()].map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) }))
      : req.topicPartitions!.map((t) => ({ topic: t.topic, partitions: [...new Set(t.partitions)] }))
    const total = wanted.reduce((n, t) => n + t.partitions.length, 0)
    const refused = !authorizeCluster(ctx, 'ALTER')
      ? new KafkaError('CLUSTER_AUTHORIZATION_FAILED')
      : type === undefined
        ? new KafkaError('INVALID_REQUEST', `Unknown election type ${req.electionType}; 0 (PREFERRED) and 1 (UNCLEAN) are known.`)
        : !all && total > MAX_PARTITIONS_PER_REQUEST
          ? new KafkaError('POLICY_VIOLATION', `Unable to perform excessively large batch operation. The request names ${total} partitions; at most ${MAX_PARTITIONS_PER_REQUEST} may be elected in one request.`)
          : undefined
    const results: ElectLeadersResponseReplicaElectionResult[] = []
    for (const t of wanted) {
      const partitionResult: ElectLeadersResponsePartitionResult[] = []
      for (const partitionId of t.partitions) {
        try {
          if (refused) throw refused
          await elect(ctx, type!, t.topic, partitionId)
          partitionResult.push({ partitionId, errorCode: ErrorCode.NONE, errorMessage: null })
        } catch (err) {
          const code = errorCodeOf(err)
          if (all && code === ErrorCode.ELECTION_NOT_NEEDED) continue
          if (code === ErrorCode.UNKNOWN_SERVER_ERROR) ctx.broker.logger.error('electing a leader failed', { topic: t.topic, partition: partitionId, error: (err as Error).message })
          partitionResult.push({ partitionId, errorCode: code, errorMessage: (err as Error).message })
        }
      }
      if (partitionResult.length > 0 || !all) results.push({ topic: t.topic, partitionResult })
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: results }
  },
}
