/**
 * AlterPartitionReassignments (key 45), version 0.
 *
 * Behaviour (KRaft's ReplicationControlManager; the arithmetic is metadata/reassignment.ts):
 * - A replica list starts a reassignment: replicas become target + leaving ones, with adding and
 *   removing replicas; brokers hosting an added replica make its log and copy the leader; the
 *   controller completes it once the target is in sync (replicas = target, the leaving replicas
 *   stop and delete their logs, a new leader if the old one left). A target already in sync (a
 *   reordering, a removal) completes at once. A new target replaces one in progress.
 * - null cancels: back to the original replicas; NO_REASSIGNMENT_IN_PROGRESS when there is
 *   none; INVALID_REPLICA_ASSIGNMENT when that would need an unclean election the topic does not
 *   allow.
 * - An empty list, a broker twice or a broker that is not registered: INVALID_REPLICA_ASSIGNMENT
 *   (Kafka's messages). Unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION.
 * - Any broker answers (the metadata store is shared; each change is a compare-and-swap), not
 *   only the controller; the answer is sent once the change is durable.
 * - More than 10,000 partitions in one request: every partition POLICY_VIOLATION (the bound of
 *   Kafka's controller on one operation).
 *
 * Authorization: ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED per partition).
 * Gaps: v1 (allowReplicationFactorChange) is not in the specs Samsa is generated from.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse,
  type AlterPartitionReassignmentsResponseReassignablePartitionResponse,
} from '../../protocol/generated/alter-partition-reassignments.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { changePartition } from '../../metadata/partition-cas.js'
import { checkTarget, reassignmentPlan, revertPlan } from '../../metadata/reassignment.js'
import { authorizeCluster } from '../../security/authorizer/broker-authorizer.js'
import type { Handler, RequestContext } from '../handler.js'
import { errorCodeOf } from '../error-codes.js'
import { MAX_PARTITIONS_PER_REQUEST } from '../topic-admin.js'

async function reassign(ctx: RequestContext, topic: string, partition: number, target: number[] | null): Promise<void> {
  const { metadata, replicas, logger } = ctx.broker
  const live = new Set(metadata.brokers().map((b) => b.nodeId))
  const what = `${topic}-${partition}`
  if (target !== null) checkTarget(target, live)
  const done = await changePartition(metadata, topic, partition, (p, t) => {
    if (target !== null) return reassignmentPlan(p, target, live)
    return revertPlan(p, live, replicas.effectiveConfigs(t).get('unclean.leader.election.enable')?.value === 'true', what)
  })
  if (done) logger.info(target === null ? 'partition reassignment cancelled' : 'partition reassignment started', { topic, partition, replicas: done.after.replicas, adding: done.after.addingReplicas, removing: done.after.removingReplicas, leader: done.after.leader })
}

export const alterPartitionReassignmentsHandler: Handler<typeof ApiKey.AlterPartitionReassignments> = {
  apiKey: ApiKey.AlterPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  request: AlterPartitionReassignmentsRequest,
  response: AlterPartitionReassignmentsResponse,
  async handle(req, ctx) {
    const total = req.topics.reduce((n, t) => n + t.partitions.length, 0)
    const refused = !authorizeCluster(ctx, 'ALTER')
      ? new KafkaError('CLUSTER_AUTHORIZATION_FAILED')
      : total > MAX_PARTITIONS_PER_REQUEST
        ? new KafkaError('POLICY_VIOLATION', `Unable to perform excessively large batch operation. The request reassigns ${total} partitions; at most ${MAX_PARTITIONS_PER_REQUEST} may be reassigned in one request.`)
        : undefined
    const responses = []
    for (const t of req.topics) {
      const partitions: AlterPartitionReassignmentsResponseReassignablePartitionResponse[] = []
      for (const p of t.partitions) {
        try {
          if (refused) throw refused
          await reassign(ctx, t.name, p.partitionIndex, p.replicas)
          partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null })
        } catch (err) {
          const code = errorCodeOf(err)
          if (code === ErrorCode.UNKNOWN_SERVER_ERROR) ctx.broker.logger.error('reassigning a partition failed', { topic: t.name, partition: p.partitionIndex, error: (err as Error).message })
          partitions.push({ partitionIndex: p.partitionIndex, errorCode: code, errorMessage: (err as Error).message })
        }
      }
      responses.push({ name: t.name, partitions })
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses }
  },
}
