/**
 * AddPartitionsToTxn (key 24), versions 0-5.
 *
 * Behaviour:
 * - v0-3 (a producer): its partitions join its transaction at the coordinator
 *   (TransactionCoordinator.addPartitions), which goes Ongoing; one code for every partition:
 *   NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS (a commit or abort
 *   still completing: retry), INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED (v2+; before:
 *   INVALID_PRODUCER_EPOCH). A partition of an unknown topic is UNKNOWN_TOPIC_OR_PARTITION and the
 *   others OPERATION_NOT_ATTEMPTED, nothing added (Kafka's rule).
 * - v4+ (KIP-890, brokers batching several transactions): each transaction on its own; with
 *   verifyOnly the partitions are only checked (NONE when in the ongoing transaction, else
 *   TRANSACTION_ABORTABLE), otherwise added as above.
 * - The number of transactions and partitions is bounded by the request's size, which the
 *   connection bounds; nothing is allocated per partition before decoding.
 *
 * - verifyOnly is what partition leaders send before a transaction's first write to a partition
 *   (broker/txn-verification.ts, transaction.partition.verification.enable).
 *
 * Authorization: v4+ comes only from brokers and needs CLUSTER_ACTION on the cluster, as Kafka
 * (authorizeClusterOperation): without it the whole request is answered CLUSTER_AUTHORIZATION_FAILED
 * at the top level with no results, verify-only or not. Then, every version: WRITE on the
 * transactional id, then on each topic.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import {
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse,
  type AddPartitionsToTxnRequestAddPartitionsToTxnTopic,
  type AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult,
} from '../../protocol/generated/add-partitions-to-txn.js'
import { ErrorCode } from '../../protocol/errors.js'
import { authorize, authorizeCluster } from '../../security/authorizer/broker-authorizer.js'
import type { Handler, RequestContext } from '../handler.js'
import { coordinatorCode, fencedCode } from './txn-common.js'

function results(topics: AddPartitionsToTxnRequestAddPartitionsToTxnTopic[], code: (topic: string, partition: number) => number): AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[] {
  return topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(t.name, p) })) }))
}

async function addOne(
  ctx: RequestContext,
  tx: { transactionalId: string; producerId: bigint; producerEpoch: number; verifyOnly: boolean; topics: AddPartitionsToTxnRequestAddPartitionsToTxnTopic[] },
): Promise<AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[]> {
  const partitions = tx.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })))
  // Kafka: WRITE on the transactional id, then WRITE on every topic; one refused topic stops the rest (OPERATION_NOT_ATTEMPTED).
  if (!authorize(ctx, 'WRITE', 'TRANSACTIONAL_ID', tx.transactionalId)) return results(tx.topics, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
  const unwritable = new Set(tx.topics.filter((t) => !authorize(ctx, 'WRITE', 'TOPIC', t.name)).map((t) => t.name))
  if (unwritable.size > 0) return results(tx.topics, (t) => (unwritable.has(t) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED))
  try {
    if (tx.verifyOnly) {
      const codes = await ctx.broker.txns.verifyPartitions({ ...tx, partitions })
      let i = 0
      return results(tx.topics, () => codes[i++]!)
    }
    const unknown = new Set(partitions.filter((p) => (ctx.broker.metadata.topic(p.topic)?.partitions.length ?? 0) <= p.partition).map((p) => `${p.topic}:${p.partition}`))
    if (unknown.size > 0) return results(tx.topics, (t, p) => (unknown.has(`${t}:${p}`) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED))
    const code = await ctx.broker.txns.addPartitions({ ...tx, partitions, fencedCode: fencedCode(ctx.apiVersion, 2) })
    return results(tx.topics, () => code)
  } catch (err) {
    const code = coordinatorCode(err)
    return results(tx.topics, () => code)
  }
}

export const addPartitionsToTxnHandler: Handler<typeof ApiKey.AddPartitionsToTxn> = {
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  request: AddPartitionsToTxnRequest,
  response: AddPartitionsToTxnResponse,
  async handle(req, ctx) {
    if (ctx.apiVersion >= 4) {
      if (!authorizeCluster(ctx, 'CLUSTER_ACTION')) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [] }
      const resultsByTransaction = await Promise.all(
        (req.transactions ?? []).map(async (tx) => ({ transactionalId: tx.transactionalId, topicResults: await addOne(ctx, tx) })),
      )
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction }
    }
    const resultsByTopicV3AndBelow = await addOne(ctx, {
      transactionalId: req.v3AndBelowTransactionalId ?? '',
      producerId: req.v3AndBelowProducerId ?? -1n,
      producerEpoch: req.v3AndBelowProducerEpoch ?? -1,
      verifyOnly: false,
      topics: req.v3AndBelowTopics ?? [],
    })
    return { throttleTimeMs: 0, resultsByTopicV3AndBelow }
  },
}
