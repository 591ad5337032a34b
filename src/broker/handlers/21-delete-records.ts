/**
 * DeleteRecords (key 21), versions 0-2.
 *
 * Behaviour:
 * - Per partition, moves the log start offset to `offset` (-1: the high watermark) and
 *   deletes the segments wholly below it; answers the new log start offset as lowWatermark.
 * - An offset past the high watermark, or negative other than -1: OFFSET_OUT_OF_RANGE.
 * - Unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION; a partition this broker does not
 *   lead: NOT_LEADER_OR_FOLLOWER. Internal (`__`) topics: INVALID_TOPIC_EXCEPTION, and a
 *   topic whose cleanup.policy lacks "delete": POLICY_VIOLATION, both as Kafka. Failed
 *   partitions answer lowWatermark -1.
 * - With a single replica the answer needs no waiting; when replication arrives, Kafka waits
 *   for every follower's log start offset (DelayedDeleteRecords) up to timeoutMs.
 *
 * Authorization: DELETE on the topic (TOPIC_AUTHORIZATION_FAILED per partition).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  DeleteRecordsRequest,
  DeleteRecordsResponse,
  type DeleteRecordsResponseDeleteRecordsPartitionResult,
} from '../../protocol/generated/delete-records.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { authorize } from '../../security/authorizer/broker-authorizer.js'
import type { Handler, RequestContext } from '../handler.js'
import { errorCodeOf } from '../error-codes.js'
import { isInternalTopic } from '../../metadata/topic-name.js'

async function deleteBefore(topic: string, partition: number, offset: bigint, ctx: RequestContext): Promise<number> {
  if (isInternalTopic(topic)) throw new KafkaError('INVALID_TOPIC_EXCEPTION', `Cannot delete records of internal topic ${topic}`)
  return ctx.broker.replicas.deleteRecords(topic, partition, offset)
}

export const deleteRecordsHandler: Handler<typeof ApiKey.DeleteRecords> = {
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  request: DeleteRecordsRequest,
  response: DeleteRecordsResponse,
  async handle(req, ctx) {
    const topics = []
    for (const t of req.topics) {
      const partitions: DeleteRecordsResponseDeleteRecordsPartitionResult[] = []
      const deletable = authorize(ctx, 'DELETE', 'TOPIC', t.name)
      for (const p of t.partitions) {
        if (!deletable) {
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })
          continue
        }
        try {
          const low = await deleteBefore(t.name, p.partitionIndex, p.offset, ctx)
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: BigInt(low), errorCode: ErrorCode.NONE })
        } catch (err) {
          const code = errorCodeOf(err)
          if (code === ErrorCode.UNKNOWN_SERVER_ERROR) ctx.broker.logger.error('deleting records failed', { topic: t.name, partition: p.partitionIndex, error: (err as Error).message })
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: code })
        }
      }
      topics.push({ name: t.name, partitions })
    }
    return { throttleTimeMs: 0, topics }
  },
}
