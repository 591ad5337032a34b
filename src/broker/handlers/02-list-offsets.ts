/**
 * ListOffsets (key 2), versions 1-10.
 *
 * Behaviour:
 * - Timestamps: -2 earliest (log start offset), -1 latest (the high watermark, which is also
 *   the last stable offset while there are no transactions), -3 max timestamp (v7+), -4
 *   earliest local (v8+; equals earliest without tiered storage), -5 latest tiered (v9+;
 *   answers offset -1, as Kafka does with tiered storage off), any other value: the first
 *   offset whose record timestamp is >= it, exact to the record (batches are decoded only for
 *   this lookup), or offset -1 when there is none below the high watermark. A stored batch
 *   whose records would decompress past socket.request.max.bytes (or claim more than that /
 *   128 records) is not decoded: it answers its first offset, and the broker logs a warning.
 * - Consumers (replica id -1) never see offsets at or past the high watermark; replica id -2
 *   (debugging tools) reads up to the log end.
 * - currentLeaderEpoch (v4+) is checked: FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH.
 * - A partition listed twice gets INVALID_REQUEST.
 *
 * Gaps: v0 (several offsets per partition) is not served, as in Kafka 4.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  ListOffsetsRequest,
  ListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse,
} from '../../protocol/generated/list-offsets.js'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { readBatchHeader } from '../../protocol/records/batch-header.js'
import { decodeBatch, decodeLimits, recordOffset, recordTimestamp } from '../../protocol/records/batch.js'
import { RecordsError, RecordsErrorCode } from '../../protocol/records/errors.js'
import type { OffsetAndTimestamp, RecordLocator } from '../../storage/index.js'
import type { Handler, RequestContext } from '../handler.js'
import { checkLeaderEpoch, errorCodeOf } from '../replica-manager.js'

const EARLIEST = -2n
const LATEST = -1n
const MAX_TIMESTAMP = -3n
const EARLIEST_LOCAL = -4n
const LATEST_TIERED = -5n
const DEBUG_REPLICA = -2

/**
 * Lists each record's offset and timestamp: makes timestamp lookups exact within a batch.
 * Stored batches were only ever bounded compressed (max.message.bytes), so decoding one keeps
 * to `maxDecodedBytes` as a produce does; a batch past it is located by its header alone
 * (its first offset at its max timestamp), as if lookups were exact to the batch only.
 */
export function locateRecords(maxDecodedBytes: number, onTooLarge: (err: RecordsError) => void = () => {}): RecordLocator {
  return async (batch) => {
    try {
      const b = await decodeBatch(batch, { verifyCrc: false, ...decodeLimits(maxDecodedBytes) })
      return b.records.map((r) => ({ offset: Number(recordOffset(b, r)), timestamp: Number(recordTimestamp(b, r)) }))
    } catch (err) {
      if (!(err instanceof RecordsError) || (err.code !== RecordsErrorCode.DecompressedTooLarge && err.code !== RecordsErrorCode.TooManyRecords)) throw err
      onTooLarge(err)
      const h = readBatchHeader(batch)
      // The last offset too, for a log start offset inside the batch: the batch is then still the answer.
      const timestamp = Number(h.maxTimestamp)
      return [{ offset: Number(h.baseOffset), timestamp }, { offset: Number(h.baseOffset) + h.lastOffsetDelta, timestamp }]
    }
  }
}

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

async function listOffset(
  ctx: RequestContext,
  req: ListOffsetsRequest,
  topic: string,
  partitionIndex: number,
  timestamp: bigint,
  currentLeaderEpoch: number | undefined,
): Promise<ListOffsetsResponseListOffsetsPartitionResponse> {
  try {
    const { log, info } = await ctx.broker.replicas.partition(topic, partitionIndex)
    checkLeaderEpoch(info, currentLeaderEpoch)
    if (timestamp === MAX_TIMESTAMP && ctx.apiVersion < 7) throw new KafkaError('UNSUPPORTED_VERSION', 'max timestamp lookups need ListOffsets v7+')
    const bound = req.replicaId === DEBUG_REPLICA ? log.logEndOffset : log.highWatermark
    const locate = locateRecords(ctx.broker.config.get('socket.request.max.bytes') as number, (err) => {
      ctx.broker.logger.warn('a stored batch is too large to decode; ListOffsets answers from its header', { topic, partition: partitionIndex, error: err.message })
    })
    let found: OffsetAndTimestamp | undefined
    if (timestamp === EARLIEST || timestamp === EARLIEST_LOCAL) {
      found = await log.fetchOffset({ kind: 'earliest' })
    } else if (timestamp === LATEST) {
      const latest = await log.fetchOffset({ kind: 'latest' })
      found = latest && { ...latest, offset: bound }
    } else if (timestamp === LATEST_TIERED) {
      found = undefined
    } else if (timestamp === MAX_TIMESTAMP) {
      found = await log.fetchOffset({ kind: 'maxTimestamp' }, { locate })
      if (found && found.offset >= bound) found = undefined
    } else {
      found = await log.fetchOffset({ kind: 'timestamp', timestamp: Number(timestamp) }, { locate })
      if (found && found.offset >= bound) found = undefined
    }
    return answer(partitionIndex, ErrorCode.NONE, found)
  } catch (err) {
    return answer(partitionIndex, errorCodeOf(err))
  }
}

export const listOffsetsHandler: Handler<typeof ApiKey.ListOffsets> = {
  apiKey: ApiKey.ListOffsets,
  minVersion: 1,
  maxVersion: 10,
  request: ListOffsetsRequest,
  response: ListOffsetsResponse,
  async handle(req, ctx) {
    const seen = new Set<string>()
    const topics = await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map((p) => {
            const key = `${t.name}:${p.partitionIndex}`
            if (seen.has(key)) return answer(p.partitionIndex, ErrorCode.INVALID_REQUEST)
            seen.add(key)
            return listOffset(ctx, req, t.name, p.partitionIndex, p.timestamp, p.currentLeaderEpoch)
          }),
        ),
      })),
    )
    return { throttleTimeMs: 0, topics }
  },
}
