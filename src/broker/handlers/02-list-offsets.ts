/**
 * ListOffsets (key 2), versions 0-10.
 *
 * Behaviour:
 * - Authorization: DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED for its partitions.
 * - v0 (Kafka before 0.10.1) asks for up to `max_num_offsets` offsets before a time and gets
 *   them in `old_style_offsets`, largest first, as Kafka answered until 4.0: segment base
 *   offsets by segment file times, plus the log end (ReplicaManager.legacyListOffsets,
 *   storage/log/legacy-offsets.ts); -1 gives the high watermark for consumers, -2 the log start.
 *   At most one offset per segment plus one, whatever is asked.
 * - Timestamps: -2 earliest (log start offset), -1 latest (the high watermark; with isolation
 *   level read_committed, v2+, the last stable offset), -3 max timestamp (v7+), -4
 *   earliest local (v8+; equals earliest without tiered storage), -5 latest tiered (v9+;
 *   answers offset -1, as Kafka does with tiered storage off), any other value: the first
 *   offset whose record timestamp is >= it, exact to the record (batches are decoded only for
 *   this lookup), or offset -1 when there is none below the high watermark. A stored batch
 *   whose records would decompress past socket.request.max.bytes (or claim more than that /
 *   128 records) is not decoded: it answers its first offset, and the broker logs a warning.
 * - Consumers (replica id -1) never see offsets at or past the high watermark (read_committed:
 *   the last stable offset, below which no transaction is undecided); replica id -2 (debugging
 *   tools) reads up to the log end.
 * - currentLeaderEpoch (v4+) is checked: FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH.
 * - A partition listed twice gets INVALID_REQUEST.
 *
 * - The lookup is ReplicaManager.listOffset's (the leader's log, its bounds); records are decoded
 *   only for timestamp lookups (broker/record-locator.ts).
 *
 * Gaps: none known for v0 beyond Kafka's own coarseness (segment times, not record times).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  ListOffsetsRequest,
  ListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse,
} from '../../protocol/generated/list-offsets.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { OffsetAndTimestamp } from '../replica-manager.js'
import type { Handler, RequestContext } from '../handler.js'
import { errorCodeOf } from '../error-codes.js'
import { authorize } from '../../security/authorizer/broker-authorizer.js'

function answer(partitionIndex: number, errorCode: number, found?: OffsetAndTimestamp): ListOffsetsResponseListOffsetsPartitionResponse {
  return {
    partitionIndex,
    errorCode,
    oldStyleOffsets: [],
    timestamp: BigInt(found?.timestamp ?? -1),
    offset: BigInt(found?.offset ?? -1),
    leaderEpoch: found?.leaderEpoch ?? -1,
  }
}

async function legacyListOffsets(ctx: RequestContext, req: ListOffsetsRequest, topic: string, partition: number, timestamp: bigint, maxNumOffsets: number): Promise<ListOffsetsResponseListOffsetsPartitionResponse> {
  try {
    const offsets = await ctx.broker.replicas.legacyListOffsets({ topic, partition, timestamp, maxNumOffsets, replicaId: req.replicaId })
    return { ...answer(partition, ErrorCode.NONE), oldStyleOffsets: offsets.map(BigInt) }
  } catch (err) {
    return answer(partition, errorCodeOf(err))
  }
}

async function listOffset(ctx: RequestContext, req: ListOffsetsRequest, topic: string, partition: number, timestamp: bigint, currentLeaderEpoch: number | undefined): Promise<ListOffsetsResponseListOffsetsPartitionResponse> {
  try {
    const found = await ctx.broker.replicas.listOffset({
      topic,
      partition,
      timestamp,
      ...(currentLeaderEpoch !== undefined ? { currentLeaderEpoch } : {}),
      replicaId: req.replicaId,
      allowMaxTimestamp: ctx.apiVersion >= 7,
      readCommitted: ctx.apiVersion >= 2 && req.isolationLevel === 1,
    })
    return answer(partition, ErrorCode.NONE, found)
  } catch (err) {
    return answer(partition, errorCodeOf(err))
  }
}

export const listOffsetsHandler: Handler<typeof ApiKey.ListOffsets> = {
  apiKey: ApiKey.ListOffsets,
  minVersion: 0,
  maxVersion: 10,
  request: ListOffsetsRequest,
  response: ListOffsetsResponse,
  async handle(req, ctx) {
    const seen = new Set<string>()
    const topics = await Promise.all(
      req.topics.map(async (t) => {
        const describable = authorize(ctx, 'DESCRIBE', 'TOPIC', t.name)
        return {
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map((p) => {
            const key = `${t.name}:${p.partitionIndex}`
            if (seen.has(key)) return answer(p.partitionIndex, ErrorCode.INVALID_REQUEST)
            seen.add(key)
            if (!describable) return answer(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
            if (ctx.apiVersion === 0) return legacyListOffsets(ctx, req, t.name, p.partitionIndex, p.timestamp, p.maxNumOffsets ?? 1)
            return listOffset(ctx, req, t.name, p.partitionIndex, p.timestamp, p.currentLeaderEpoch)
          }),
        ),
        }
      }),
    )
    return { throttleTimeMs: 0, topics }
  },
}
