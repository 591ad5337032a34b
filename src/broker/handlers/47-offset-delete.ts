/**
 * OffsetDelete (key 47), version 0.
 *
 * Behaviour:
 * - Deletes a group's committed offsets of the listed partitions by writing tombstones to
 *   `__consumer_offsets`; partitions without a committed offset succeed too.
 * - Group errors (top-level, no topics): INVALID_GROUP_ID for "", GROUP_ID_NOT_FOUND for a group
 *   with neither members nor offsets, NON_EMPTY_GROUP for a group with members that does not use
 *   the "consumer" protocol, NOT_COORDINATOR when this broker does not lead the group's
 *   `__consumer_offsets` partition, COORDINATOR_LOAD_IN_PROGRESS while it loads, or the
 *   coordinator's write errors.
 * - A topic a current member subscribes to: GROUP_SUBSCRIBED_TO_TOPIC on each partition, nothing
 *   deleted. Unknown topics and partitions: UNKNOWN_TOPIC_OR_PARTITION (checked before the
 *   group, as Kafka's KafkaApis does; the group is still checked).
 *
 * Authorization: DELETE on the group (GROUP_AUTHORIZATION_FAILED), READ on each topic.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { OffsetDeleteRequest, OffsetDeleteResponse, type OffsetDeleteResponseTopic } from '../../protocol/generated/offset-delete.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { authorize } from '../../security/authorizer/broker-authorizer.js'
import type { Handler } from '../handler.js'

export const offsetDeleteHandler: Handler<typeof ApiKey.OffsetDelete> = {
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  request: OffsetDeleteRequest,
  response: OffsetDeleteResponse,
  async handle(req, ctx) {
    if (req.groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, throttleTimeMs: 0, topics: [] }
    if (!authorize(ctx, 'DELETE', 'GROUP', req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] }
    const md = ctx.broker.metadata
    const byTopic = new Map<string, Map<number, number>>()
    const answer = (topic: string, partition: number, code: number) => {
      let m = byTopic.get(topic)
      if (!m) byTopic.set(topic, (m = new Map()))
      m.set(partition, code)
    }
    const valid: Array<{ topic: string; partitions: number[] }> = []
    for (const t of req.topics) {
      const topic = md.topic(t.name)
      const ok: number[] = []
      const readable = authorize(ctx, 'READ', 'TOPIC', t.name)
      for (const p of t.partitions) {
        if (!readable) answer(t.name, p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        else if (topic?.partitions[p.partitionIndex]) ok.push(p.partitionIndex)
        else answer(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      }
      if (ok.length > 0) valid.push({ topic: t.name, partitions: ok })
    }
    try {
      for (const r of await ctx.broker.groups.deleteOffsets(req.groupId, valid)) answer(r.topic, r.partition, r.errorCode)
    } catch (err) {
      if (!(err instanceof KafkaError)) ctx.broker.logger.error('offset delete failed', { group: req.groupId, client: ctx.clientAddress, error: (err as Error).message })
      return { errorCode: err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR, throttleTimeMs: 0, topics: [] }
    }
    const topics: OffsetDeleteResponseTopic[] = [...byTopic].map(([name, parts]) => ({
      name,
      partitions: [...parts].map(([partitionIndex, errorCode]) => ({ partitionIndex, errorCode })),
    }))
    return { errorCode: ErrorCode.NONE, throttleTimeMs: 0, topics }
  },
}
