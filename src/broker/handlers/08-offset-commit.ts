/**
 * OffsetCommit (key 8), versions 0-9.
 *
 * Behaviour:
 * - v0 (Kafka 0.8.1) stored offsets in ZooKeeper, apart from the group coordinator; Kafka 3.x
 *   without ZooKeeper (KRaft) answered it UNSUPPORTED_VERSION on every partition, and so does
 *   Samsa, which has no ZooKeeper either. v1 (Kafka 0.8.2) commits to the coordinator with a
 *   generation and member id; a partition's commit timestamp other than -1 makes the offset
 *   expire offsets.retention.minutes after it, as Kafka 3.x did.
 * - Partitions of unknown topics, or beyond a topic's partition count, get
 *   UNKNOWN_TOPIC_OR_PARTITION and are not written (Kafka's KafkaApis filters them before the
 *   coordinator); the others are checked against the group, then written to
 *   `__consumer_offsets` as one batch and answered once written.
 * - Group checks (one error for every partition): a member's commit needs its member id and the
 *   current generation (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID,
 *   REBALANCE_IN_PROGRESS while the group completes a rebalance). A commit with generation -1 is
 *   a simple consumer's (manual assignment, admin tools): accepted when the group has no
 *   members, creating a "simple group" if there is none. A generation >= 0 for a group that
 *   does not exist is ILLEGAL_GENERATION, or GROUP_ID_NOT_FOUND from v9, as in Kafka 4.
 * - Metadata longer than `offset.metadata.max.bytes` (UTF-16 units, as Java's String.length):
 *   OFFSET_METADATA_TOO_LARGE for that partition only. Null metadata is stored as "".
 * - v2-4 retentionTimeMs other than -1 gives the offset its own expire timestamp (stored as an
 *   OffsetCommitValue v1, as Kafka does); otherwise `offsets.retention.minutes` applies.
 * - Write errors map as Kafka's coordinator maps them: COORDINATOR_NOT_AVAILABLE,
 *   NOT_COORDINATOR, UNKNOWN_SERVER_ERROR. A group whose `__consumer_offsets` partition this
 *   broker does not lead gets NOT_COORDINATOR, one still loading COORDINATOR_LOAD_IN_PROGRESS,
 *   on every partition.
 *
 * Gaps: v0 commits are not stored (see above). No ACLs (never
 * GROUP/TOPIC_AUTHORIZATION_FAILED). KIP-848 member epochs (v9 with the consumer protocol) are
 * not checked: only classic groups exist.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { OffsetCommitRequest, OffsetCommitResponse, type OffsetCommitResponseTopic } from '../../protocol/generated/offset-commit.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { OffsetCommitInput } from '../../coordinator/group/offset-manager.js'
import { authorize } from '../../security/authorizer/broker-authorizer.js'
import type { Handler } from '../handler.js'

export const offsetCommitHandler: Handler<typeof ApiKey.OffsetCommit> = {
  apiKey: ApiKey.OffsetCommit,
  minVersion: 0,
  maxVersion: 9,
  request: OffsetCommitRequest,
  response: OffsetCommitResponse,
  async handle(req, ctx) {
    if (ctx.apiVersion === 0) {
      ctx.broker.logger.warn('OffsetCommit v0 (offsets in ZooKeeper) is not supported: answering UNSUPPORTED_VERSION; configure the client for Kafka 0.8.2 or later', { group: req.groupId, client: ctx.clientAddress })
      return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNSUPPORTED_VERSION })) })) }
    }
    if (!authorize(ctx, 'READ', 'GROUP', req.groupId)) {
      return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })) })) }
    }
    const md = ctx.broker.metadata
    const codes = new Map<string, number>()
    const at = (topic: string, partition: number) => `${partition}:${topic}`
    const offsets: OffsetCommitInput['offsets'] = []
    for (const t of req.topics) {
      const topic = md.topic(t.name)
      const readable = authorize(ctx, 'READ', 'TOPIC', t.name)
      for (const p of t.partitions) {
        if (!readable) {
          codes.set(at(t.name, p.partitionIndex), ErrorCode.TOPIC_AUTHORIZATION_FAILED)
          continue
        }
        if (!topic?.partitions[p.partitionIndex]) {
          codes.set(at(t.name, p.partitionIndex), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
          continue
        }
        offsets.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch ?? -1,
          metadata: p.committedMetadata,
          ...(ctx.apiVersion === 1 ? { commitTimestamp: Number(p.commitTimestamp ?? -1n) } : {}),
        })
      }
    }
    if (offsets.length > 0) {
      try {
        const results = await ctx.broker.groups.commitOffsets({
          groupId: req.groupId,
          memberId: req.memberId ?? '',
          generationId: req.generationIdOrMemberEpoch ?? -1,
          groupInstanceId: req.groupInstanceId ?? null,
          retentionTimeMs: Number(req.retentionTimeMs ?? -1n),
          unknownGroupIsNotFound: ctx.apiVersion >= 9,
          offsets,
        })
        for (const r of results) codes.set(at(r.topic, r.partition), r.errorCode)
      } catch (err) {
        const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR
        if (!(err instanceof KafkaError)) ctx.broker.logger.error('offset commit failed', { group: req.groupId, client: ctx.clientAddress, error: (err as Error).message })
        for (const o of offsets) codes.set(at(o.topic, o.partition), code)
      }
    }
    const topics: OffsetCommitResponseTopic[] = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codes.get(at(t.name, p.partitionIndex)) ?? ErrorCode.UNKNOWN_SERVER_ERROR })),
    }))
    return { throttleTimeMs: 0, topics }
  },
}
