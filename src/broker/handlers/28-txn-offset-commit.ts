/**
 * TxnOffsetCommit (key 28), versions 0-4.
 *
 * Behaviour: offsets committed as part of the producer's transaction (the group coordinator's
 * commitTransactionalOffsets): written to the group's `__consumer_offsets` partition as a
 * transactional batch of the producer, visible to OffsetFetch only once the transaction's commit
 * marker is written there, dropped at an abort (and on reload the log replays them the same way).
 * v3+ carries the consumer's generation and member id: checked as OffsetCommit's (ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID); generation -1 skips the check. Per-partition codes;
 * NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS from the group's partition.
 *
 * With transaction.partition.verification.enable (KIP-890 part 1) the transaction coordinator is
 * asked first that the group's `__consumer_offsets` partition is in the producer's transaction
 * with this epoch (AddOffsetsToTxn): INVALID_TXN_STATE (never added), INVALID_PRODUCER_EPOCH (a
 * fenced producer) on every partition, nothing written. A stale epoch is also refused by the
 * partition's producer state when it has seen a newer one.
 *
 * Authorization (Kafka's KafkaApis.handleTxnOffsetCommitRequest): WRITE on the transactional id,
 * then READ on the group, else every partition is refused (TRANSACTIONAL_ID_ /
 * GROUP_AUTHORIZATION_FAILED); then READ on each topic: the partitions of a topic without it are
 * TOPIC_AUTHORIZATION_FAILED and not committed, the others are committed as usual.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { TxnOffsetCommitRequest, TxnOffsetCommitResponse, type TxnOffsetCommitRequest as TxnOffsetCommitRequestBody } from '../../protocol/generated/txn-offset-commit.js'
import type { Handler, RequestContext } from '../handler.js'
import { authorize } from '../../security/authorizer/broker-authorizer.js'
import { ErrorCode } from '../../protocol/errors.js'
import { GROUP_METADATA_TOPIC } from '../../coordinator/group/group-log.js'
import { coordinatorCode } from './txn-common.js'

/**
 * KIP-890 part 1 for offsets: the group's `__consumer_offsets` partition must be in the
 * producer's ongoing transaction (AddOffsetsToTxn) with this epoch, unless the partition already
 * holds this producer's open transaction. INVALID_TXN_STATE / INVALID_PRODUCER_EPOCH otherwise,
 * COORDINATOR_LOAD_IN_PROGRESS (retriable for TxnOffsetCommit, as Kafka converts it) when the
 * transaction coordinator cannot answer.
 */
async function verifyOffsetsPartition(ctx: RequestContext, req: TxnOffsetCommitRequestBody): Promise<number> {
  const verifier = ctx.broker.txnVerifier
  if (!verifier || !ctx.broker.config.get('transaction.partition.verification.enable')) return ErrorCode.NONE
  const partition = ctx.broker.groups.partitionFor(req.groupId)
  let log
  try {
    log = ctx.broker.replicas.hostedPartition(GROUP_METADATA_TOPIC, partition).partition.log
  } catch {
    return ErrorCode.NONE // not hosted here: the commit answers NOT_COORDINATOR
  }
  const entry = log?.producerState.lastEntry(req.producerId)
  if (entry && entry.producerEpoch === req.producerEpoch && entry.currentTxnFirstOffset >= 0) return ErrorCode.NONE
  const [code] = await verifier.verify({ transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, partitions: [{ topic: GROUP_METADATA_TOPIC, partition }] })
  return code === ErrorCode.NOT_ENOUGH_REPLICAS ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : code!
}

export const txnOffsetCommitHandler: Handler<typeof ApiKey.TxnOffsetCommit> = {
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 4,
  request: TxnOffsetCommitRequest,
  response: TxnOffsetCommitResponse,
  async handle(req, ctx) {
    const everyone = (code: number) => ({ throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })) })
    if (!authorize(ctx, 'WRITE', 'TRANSACTIONAL_ID', req.transactionalId)) return everyone(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    if (!authorize(ctx, 'READ', 'GROUP', req.groupId)) return everyone(ErrorCode.GROUP_AUTHORIZATION_FAILED)
    const unreadable = new Set(req.topics.filter((t) => !authorize(ctx, 'READ', 'TOPIC', t.name)).map((t) => t.name))
    // Partitions of unreadable topics keep TOPIC_AUTHORIZATION_FAILED whatever happens to the rest.
    const all = (code: number) => ({ throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: unreadable.has(t.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : code })) })) })
    const readable = req.topics.filter((t) => !unreadable.has(t.name))
    if (readable.length === 0) return all(ErrorCode.NONE) // every partition: TOPIC_AUTHORIZATION_FAILED, nothing to commit
    try {
      const refused = await verifyOffsetsPartition(ctx, req)
      if (refused !== ErrorCode.NONE) return all(refused)
      const results = await ctx.broker.groups.commitTransactionalOffsets(
        {
          groupId: req.groupId,
          memberId: req.memberId ?? '',
          generationId: req.generationId ?? -1,
          groupInstanceId: req.groupInstanceId ?? null,
          retentionTimeMs: -1,
          unknownGroupIsNotFound: false,
          offsets: readable.flatMap((t) =>
            t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch ?? -1, metadata: p.committedMetadata })),
          ),
        },
        { producerId: req.producerId, producerEpoch: req.producerEpoch },
      )
      const code = new Map(results.map((r) => [`${r.topic}\u0000${r.partition}`, r.errorCode]))
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: unreadable.has(t.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : (code.get(`${t.name}\u0000${p.partitionIndex}`) ?? 0) })),
        })),
      }
    } catch (err) {
      return all(coordinatorCode(err))
    }
  },
}
