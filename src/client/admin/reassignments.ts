/**
 * Partition reassignments and leader elections: AlterPartitionReassignments,
 * ListPartitionReassignments and ElectLeaders, sent to the controller (or any broker when
 * Metadata names none), retried after NOT_CONTROLLER or a lost connection as topics.ts does.
 *
 * alterPartitionReassignments fails per partition as every admin call does (one AdminError).
 * electLeaders answers every partition's outcome instead, as Kafka's ElectLeadersResult does:
 * ELECTION_NOT_NEEDED is an answer a tool prints, not a failure of the call.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { ErrorCode } from '../../protocol/errors.js'
import { ClientError } from '../base/errors.js'
import type { TopicPartition } from '../base/types.js'
import { brokerError, finish, groupBy, retrying, settle, tpName, type Call, type Outcomes } from './common.js'
import { controller, controllerRetriable } from './topics.js'
import type { ElectionResult, ElectionType, PartitionReassignment, ReassignmentTarget } from './types.js'

export async function alterPartitionReassignments(call: Call, targets: ReassignmentTarget[]): Promise<void> {
  const seen = new Set<string>()
  for (const r of targets) {
    const name = tpName(r.topic, r.partition)
    if (seen.has(name)) throw new ClientError('INVALID_OPTION', `alterPartitionReassignments: ${name} is given twice`)
    seen.add(name)
  }
  const s = await settle<ReassignmentTarget, true>(call, targets, controllerRetriable, async (pending, attempt) => {
    const conn = await controller(call, attempt)
    const version = conn.version(ApiKey.AlterPartitionReassignments, 0)
    const wait = call.brokerWaitMs()
    const topics = [...groupBy(pending, (r) => r.topic)].map(([name, list]) => ({ name, partitions: list.map((r) => ({ partitionIndex: r.partition, replicas: r.replicas })) }))
    const resp = await conn.request(ApiKey.AlterPartitionReassignments, { timeoutMs: wait, topics }, call.request(version, wait))
    const out: Outcomes<ReassignmentTarget, true> = new Map()
    const whole = brokerError(resp.errorCode, 'the request', resp.errorMessage)
    const answers = new Map(resp.responses.flatMap((t) => t.partitions.map((p) => [tpName(t.name, p.partitionIndex), p] as const)))
    for (const r of pending) {
      const a = answers.get(tpName(r.topic, r.partition))
      if (whole) out.set(r, whole)
      else if (a) out.set(r, brokerError(a.errorCode, `partition ${tpName(r.topic, r.partition)}`, a.errorMessage) ?? true)
    }
    return out
  })
  finish(call, targets, s, (r) => tpName(r.topic, r.partition))
}

/** The reassignments in progress, of `partitions` (all when left out), sorted by topic and partition. */
export async function listPartitionReassignments(call: Call, partitions?: TopicPartition[]): Promise<PartitionReassignment[]> {
  return retrying(
    call,
    async (attempt) => {
      const conn = await controller(call, attempt)
      const version = conn.version(ApiKey.ListPartitionReassignments, 0)
      const wait = call.brokerWaitMs()
      const topics = partitions ? [...groupBy(partitions, (p) => p.topic)].map(([name, list]) => ({ name, partitionIndexes: list.map((p) => p.partition) })) : null
      const resp = await conn.request(ApiKey.ListPartitionReassignments, { timeoutMs: wait, topics }, call.request(version, wait))
      const whole = brokerError(resp.errorCode, 'listPartitionReassignments', resp.errorMessage)
      if (whole) throw whole
      return resp.topics
        .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })))
        .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
    },
    controllerRetriable,
  )
}

/**
 * Elects leaders of `partitions` (null: every partition; the answer then leaves out those that
 * needed no election, as Kafka's broker does). Results sorted by topic and partition.
 */
export async function electLeaders(call: Call, type: ElectionType, partitions: TopicPartition[] | null): Promise<ElectionResult[]> {
  return retrying(
    call,
    async (attempt) => {
      const conn = await controller(call, attempt)
      // Unclean elections came with v1 (KIP-460); v0 elects preferred leaders only.
      const version = conn.version(ApiKey.ElectLeaders, 2, type === 'unclean' ? 1 : 0)
      const wait = call.brokerWaitMs()
      const topicPartitions = partitions ? [...groupBy(partitions, (p) => p.topic)].map(([topic, list]) => ({ topic, partitions: [...new Set(list.map((p) => p.partition))] })) : null
      const resp = await conn.request(ApiKey.ElectLeaders, { electionType: type === 'unclean' ? 1 : 0, topicPartitions, timeoutMs: wait }, call.request(version, wait))
      const whole = brokerError(resp.errorCode ?? ErrorCode.NONE, 'electLeaders')
      if (whole) throw whole
      return resp.replicaElectionResults
        .flatMap((t) => t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, error: brokerError(p.errorCode, `partition ${tpName(t.topic, p.partitionId)}`, p.errorMessage) ?? null })))
        .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
    },
    controllerRetriable,
  )
}
