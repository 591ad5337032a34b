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
 * Gaps: the coordinator does not check that the group's partition was added to the transaction
 * (AddOffsetsToTxn) or the producer's epoch against the transaction coordinator (Kafka's
 * TV2 verification); READ on each topic is not checked (Kafka checks it). Authorization:
 * WRITE on the transactional id and READ on the group, else every partition is refused.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../protocol/generated/txn-offset-commit.js'
import { ErrorCode } from '../../protocol/errors.js'
import { authorize } from '../../security/authorizer/broker-authorizer.js'
import type { Handler } from '../handler.js'
import { coordinatorCode } from './txn-common.js'

export const txnOffsetCommitHandler: Handler<typeof ApiKey.TxnOffsetCommit> = {
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 4,
  request: TxnOffsetCommitRequest,
  response: TxnOffsetCommitResponse,
  async handle(req, ctx) {
    const all = (code: number) => ({ throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })) })
    if (!authorize(ctx, 'WRITE', 'TRANSACTIONAL_ID', req.transactionalId)) return all(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    if (!authorize(ctx, 'READ', 'GROUP', req.groupId)) return all(ErrorCode.GROUP_AUTHORIZATION_FAILED)
    try {
      const results = await ctx.broker.groups.commitTransactionalOffsets(
        {
          groupId: req.groupId,
          memberId: req.memberId ?? '',
          generationId: req.generationId ?? -1,
          groupInstanceId: req.groupInstanceId ?? null,
          retentionTimeMs: -1,
          unknownGroupIsNotFound: false,
          offsets: req.topics.flatMap((t) =>
            t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch ?? -1, metadata: p.committedMetadata })),
          ),
        },
        { producerId: req.producerId, producerEpoch: req.producerEpoch },
      )
      const code = new Map(results.map((r) => [`${r.topic}\u0000${r.partition}`, r.errorCode]))
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code.get(`${t.name}\u0000${p.partitionIndex}`) ?? 0 })) })),
      }
    } catch (err) {
      return all(coordinatorCode(err))
    }
  },
}
