/**
 * ListPartitionReassignments (key 46), version 0.
 *
 * Behaviour (KRaft's ReplicationControlManager.listPartitionReassignments):
 * - null topics: every partition with a reassignment in progress; otherwise the named
 *   partitions that have one. Unknown topics and partitions, and partitions not being
 *   reassigned, are left out (no error), as Kafka does.
 * - Each partition lists its replicas (target + leaving), adding and removing replicas.
 *
 * Authorization: DESCRIBE on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsResponse,
  type ListPartitionReassignmentsResponseOngoingPartitionReassignment,
  type ListPartitionReassignmentsResponseOngoingTopicReassignment,
} from '../../protocol/generated/list-partition-reassignments.js'
import { ErrorCode } from '../../protocol/errors.js'
import { isReassigning } from '../../metadata/reassignment.js'
import type { PartitionInfo } from '../../metadata/types.js'
import { authorizeCluster } from '../../security/authorizer/broker-authorizer.js'
import type { Handler } from '../handler.js'

function ongoing(p: PartitionInfo | undefined): ListPartitionReassignmentsResponseOngoingPartitionReassignment | undefined {
  if (!p || !isReassigning(p)) return undefined
  return { partitionIndex: p.partition, replicas: [...p.replicas], addingReplicas: [...p.addingReplicas], removingReplicas: [...p.removingReplicas] }
}

export const listPartitionReassignmentsHandler: Handler<typeof ApiKey.ListPartitionReassignments> = {
  apiKey: ApiKey.ListPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  request: ListPartitionReassignmentsRequest,
  response: ListPartitionReassignmentsResponse,
  handle(req, ctx) {
    if (!authorizeCluster(ctx, 'DESCRIBE')) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, topics: [] }
    const store = ctx.broker.metadata
    const topics: ListPartitionReassignmentsResponseOngoingTopicReassignment[] = []
    const add = (name: string, partitions: Array<ListPartitionReassignmentsResponseOngoingPartitionReassignment | undefined>) => {
      const found = partitions.filter((p) => p !== undefined)
      if (found.length > 0) topics.push({ name, partitions: found })
    }
    if (req.topics === null) {
      for (const t of store.topics()) add(t.name, t.partitions.map(ongoing))
    } else {
      for (const wanted of req.topics) {
        const t = store.topic(wanted.name)
        if (t) add(t.name, [...new Set(wanted.partitionIndexes)].map((i) => ongoing(t.partitions[i])))
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics }
  },
}
