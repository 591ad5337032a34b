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
 * - The new partitions' logs exist when the answer is sent; they are made before the metadata
 *   change, and a failure of either (a full disk: KAFKA_STORAGE_ERROR) leaves the topic as it was.
 *   Serialised with the other changes to the same topic name (topic-admin.ts).
 * - Bounds, before anything else: more than 10,000 new partitions in the whole request answers
 *   every topic POLICY_VIOLATION ("Unable to perform excessively large batch operation.", the
 *   message of Kafka's controller bound on one operation's records); past Samsa's bound on
 *   partitions per broker, POLICY_VIOLATION for that topic.
 * - Internal topics (__consumer_offsets, __transaction_state) keep their partition count:
 *   INVALID_REQUEST. Their coordinators map groups and transactions to partitions by the count,
 *   so growing them would strand committed offsets. Kafka's broker allows it (its tool refuses
 *   it for the offsets topic, and ACLs keep clients away); Samsa refuses it even with ALTER on the topic.
 *
 * Authorization: ALTER on the topic (TOPIC_AUTHORIZATION_FAILED).
 * controller_mutation_rate (quotas/mutations.ts): strict from v3 (THROTTLING_QUOTA_EXCEEDED once over
 * the rate), throttled only before.
 */
import { MutationQuota } from '../quotas/mutations.js'
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  CreatePartitionsRequest,
  CreatePartitionsResponse,
  type CreatePartitionsResponseCreatePartitionsTopicResult,
} from '../../protocol/generated/create-partitions.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { authorize } from '../../security/authorizer/broker-authorizer.js'
import type { Handler } from '../handler.js'
import { checkCreatePartitionsBatch, createPartitions } from '../topic-admin.js'

export const createPartitionsHandler: Handler<typeof ApiKey.CreatePartitions> = {
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
    let refused: unknown
    try {
      checkCreatePartitionsBatch(ctx.broker, req.topics.filter((t) => counts.get(t.name) === 1))
    } catch (err) {
      refused = err
    }
    // KIP-599: strict from v3.
    const quota = new MutationQuota(ctx, ctx.apiVersion >= 3)
    for (const t of req.topics) {
      if (answered.has(t.name)) continue
      answered.add(t.name)
      try {
        if (!authorize(ctx, 'ALTER', 'TOPIC', t.name)) throw new KafkaError('TOPIC_AUTHORIZATION_FAILED')
        if (refused !== undefined) throw refused
        if (counts.get(t.name)! > 1) throw new KafkaError('INVALID_REQUEST', 'Duplicate topic name.')
        quota.check()
        const before = ctx.broker.metadata.topic(t.name)?.partitions.length ?? t.count
        await createPartitions(ctx.broker, { name: t.name, count: t.count, assignments: t.assignments === null ? null : t.assignments.map((a) => a.brokerIds), validateOnly: req.validateOnly })
        if (!req.validateOnly) quota.record(t.count - before)
        results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null })
      } catch (err) {
        if (!(err instanceof KafkaError)) ctx.broker.logger.error('creating partitions failed', { topic: t.name, error: (err as Error).message })
        const e = err instanceof KafkaError ? err : new KafkaError('UNKNOWN_SERVER_ERROR', (err as Error).message)
        results.push({ name: t.name, errorCode: e.code, errorMessage: e.message })
      }
    }
    return { throttleTimeMs: quota.throttleTimeMs, results }
  },
}
