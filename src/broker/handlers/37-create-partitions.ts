/**
 * CreatePartitions (key 37), versions 0-3.
 *
 * Behaviour:
 * - Grows each topic to `count` partitions. Unknown topic: UNKNOWN_TOPIC_OR_PARTITION; a
 *   count that is not larger: INVALID_PARTITIONS (Kafka's two wordings, "already has" and
 *   "would not be an increase"); a name given twice: INVALID_REQUEST for it.
 * - assignments (null = placed by the broker) must give one replica list per new partition,
 *   each as long as the topic's replication factor, of registered brokers, none twice
 *   (INVALID_REPLICA_ASSIGNMENT).
 * - validateOnly checks everything and changes nothing.
 * - The new partitions' logs exist when the answer is sent.
 *
 * Gaps: no ACLs, no controller mutation quota (throttle time 0). Internal topics may grow,
 * as in Kafka, though a coordinator topic's partition count decides coordinator placement.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  CreatePartitionsRequest,
  CreatePartitionsResponse,
  type CreatePartitionsRequestCreatePartitionsTopic,
  type CreatePartitionsResponseCreatePartitionsTopicResult,
} from '../../protocol/generated/create-partitions.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { Handler, RequestContext } from '../handler.js'
import { checkReplicaAssignment } from '../topic-admin.js'

async function grow(t: CreatePartitionsRequestCreatePartitionsTopic, validateOnly: boolean, ctx: RequestContext): Promise<void> {
  const { metadata, replicas } = ctx.broker
  const topic = metadata.topic(t.name)
  if (!topic) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${t.name}' does not exist.`)
  const current = topic.partitions.length
  if (t.count === current) throw new KafkaError('INVALID_PARTITIONS', `Topic already has ${current} partition(s).`)
  if (t.count < current) throw new KafkaError('INVALID_PARTITIONS', `The topic ${t.name} currently has ${current} partition(s); ${t.count} would not be an increase.`)
  const additional = t.count - current
  let assignments: number[][] | undefined
  if (t.assignments !== null) {
    if (t.assignments.length !== additional) {
      throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Attempted to add ${additional} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`)
    }
    const live = metadata.brokers().map((b) => b.nodeId)
    const rf = topic.partitions[0]?.replicas.length ?? 1
    assignments = t.assignments.map((a, i) => {
      checkReplicaAssignment(live, a.brokerIds, current + i, rf)
      return a.brokerIds
    })
  }
  if (validateOnly) return
  const grown = await metadata.createPartitions(t.name, t.count, assignments)
  await replicas.ensureLogs(grown, current)
  ctx.broker.logger.info('partitions created', { topic: t.name, from: current, to: t.count })
}

export const createPartitionsHandler: Handler<CreatePartitionsRequest, CreatePartitionsResponse> = {
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  request: CreatePartitionsRequest,
  response: CreatePartitionsResponse,
  async handle(req, ctx) {
    const counts = new Map<string, number>()
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1)
    const results: CreatePartitionsResponseCreatePartitionsTopicResult[] = []
    const answered = new Set<string>()
    for (const t of req.topics) {
      if (answered.has(t.name)) continue
      answered.add(t.name)
      try {
        if (counts.get(t.name)! > 1) throw new KafkaError('INVALID_REQUEST', 'Duplicate topic name.')
        await grow(t, req.validateOnly, ctx)
        results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null })
      } catch (err) {
        if (!(err instanceof KafkaError)) ctx.broker.logger.error('creating partitions failed', { topic: t.name, error: (err as Error).message })
        const e = err instanceof KafkaError ? err : new KafkaError('UNKNOWN_SERVER_ERROR', (err as Error).message)
        results.push({ name: t.name, errorCode: e.code, errorMessage: e.message })
      }
    }
    return { throttleTimeMs: 0, results }
  },
}
