/**
 * OffsetFetch (key 9), versions 0-9.
 *
 * Behaviour:
 * - v0 (Kafka 0.8.1) read offsets from ZooKeeper; Kafka 3.x without ZooKeeper (KRaft) answered
 *   it UNSUPPORTED_VERSION on every partition asked, and so does Samsa (see OffsetCommit v0).
 * - v1-7 ask for one group, v8+ for any number (each answered with its own error code).
 * - Null topics (v2+) return every partition with a committed offset; listed partitions without
 *   one get offset -1, leader epoch -1 and metadata "". Unknown topics are not an error (Kafka
 *   answers them the same way); neither is an unknown group.
 * - Group errors (a member rejected by the group on v9; NOT_COORDINATOR when this broker does
 *   not lead the group's `__consumer_offsets` partition, COORDINATOR_LOAD_IN_PROGRESS while it
 *   loads): the group's error code on v2+ (no topics; v8+ per group), and on v1, which has no
 *   group-level field, on every partition asked.
 * - requireStable (v7+) waits for the group's commits in flight; a partition with offsets a
 *   transaction committed (TxnOffsetCommit) and whose marker is not written yet answers
 *   UNSTABLE_OFFSET_COMMIT with offset -1 (KIP-447), which consumers retry.
 *
 * Gaps: v0 reads no offsets (see above). No ACLs. KIP-848 member epochs
 * are not checked (classic groups only).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  OffsetFetchRequest,
  OffsetFetchResponse,
  type OffsetFetchResponseGroup,
  type OffsetFetchResponseTopic,
} from '../../protocol/generated/offset-fetch.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { Handler, RequestContext } from '../handler.js'
import { authorize } from '../../security/authorizer/broker-authorizer.js'

interface GroupAsk {
  groupId: string
  memberId: string | null
  memberEpoch: number
  topics: Array<{ name: string; partitionIndexes: number[] }> | null
}

async function fetchGroup(ctx: RequestContext, ask: GroupAsk, requireStable: boolean): Promise<OffsetFetchResponseGroup> {
  // Kafka's checks: DESCRIBE on the group, and on each topic (named topics it may not see are
  // TOPIC_AUTHORIZATION_FAILED; when all are asked for, those are left out).
  if (!authorize(ctx, 'DESCRIBE', 'GROUP', ask.groupId)) return { groupId: ask.groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] }
  const visible = (topic: string) => authorize(ctx, 'DESCRIBE', 'TOPIC', topic)
  const denied = (ask.topics ?? []).filter((t) => !visible(t.name))
  const asked = ask.topics?.filter((t) => visible(t.name)) ?? null
  try {
    const found = asked?.length === 0 ? [] : await ctx.broker.groups.fetchOffsets(ask.groupId, asked?.map((t) => ({ topic: t.name, partitions: t.partitionIndexes })) ?? null, {
      memberId: ask.memberId,
      memberEpoch: ask.memberEpoch,
      requireStable,
    })
    const topics = found.filter((t) => asked !== null || visible(t.topic))
    return {
      groupId: ask.groupId,
      errorCode: ErrorCode.NONE,
      topics: [
        ...denied.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) })),
        ...topics.map((t) => ({
        name: t.topic,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: p.leaderEpoch, metadata: p.metadata, errorCode: p.errorCode })),
        })),
      ],
    }
  } catch (err) {
    if (!(err instanceof KafkaError)) ctx.broker.logger.error('offset fetch failed', { group: ask.groupId, client: ctx.clientAddress, error: (err as Error).message })
    return { groupId: ask.groupId, errorCode: err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR, topics: [] }
  }
}

export const offsetFetchHandler: Handler<typeof ApiKey.OffsetFetch> = {
  apiKey: ApiKey.OffsetFetch,
  minVersion: 0,
  maxVersion: 9,
  request: OffsetFetchRequest,
  response: OffsetFetchResponse,
  async handle(req, ctx) {
    if (ctx.apiVersion === 0) {
      ctx.broker.logger.warn('OffsetFetch v0 (offsets in ZooKeeper) is not supported: answering UNSUPPORTED_VERSION; configure the client for Kafka 0.8.2 or later', { group: req.groupId, client: ctx.clientAddress })
      const topics = (req.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSUPPORTED_VERSION })),
      }))
      return { throttleTimeMs: 0, topics, errorCode: ErrorCode.UNSUPPORTED_VERSION }
    }
    const requireStable = req.requireStable ?? false
    if (ctx.apiVersion >= 8) {
      const groups = await Promise.all(
        (req.groups ?? []).map((g) => fetchGroup(ctx, { groupId: g.groupId, memberId: g.memberId ?? null, memberEpoch: g.memberEpoch ?? -1, topics: g.topics }, requireStable)),
      )
      return { throttleTimeMs: 0, groups }
    }
    const asked = req.topics ?? null
    const g = await fetchGroup(ctx, { groupId: req.groupId ?? '', memberId: null, memberEpoch: -1, topics: asked }, requireStable)
    let topics: OffsetFetchResponseTopic[] = g.topics
    if (g.errorCode !== ErrorCode.NONE && ctx.apiVersion < 2) {
      topics = (asked ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: g.errorCode })),
      }))
    }
    return { throttleTimeMs: 0, topics, errorCode: g.errorCode }
  },
}
