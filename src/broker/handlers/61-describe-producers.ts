/**
 * DescribeProducers (key 61), version 0 (KIP-664): the producers a partition's leader remembers
 * (storage/producer-state: Kafka's ProducerStateManager), each with its epoch, last sequence,
 * last timestamp, the coordinator epoch of its last marker and the first offset of its open
 * transaction (-1 when none). What `samsa transactions describe-producers` and
 * `find-hanging` read.
 *
 * Any replica answers with its own copy's state (Kafka's tool asks one with --broker-id;
 * otherwise clients ask the leader). Per partition: UNKNOWN_TOPIC_OR_PARTITION,
 * NOT_LEADER_OR_FOLLOWER (a broker that is not a replica), as Kafka. A partition asked twice is
 * answered twice.
 *
 * Gaps: no ACLs (Kafka requires READ on the topic).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { DescribeProducersRequest, DescribeProducersResponse, type DescribeProducersResponsePartitionResponse } from '../../protocol/generated/describe-producers.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { Handler, RequestContext } from '../handler.js'
import { errorCodeOf } from '../error-codes.js'

async function describePartition(ctx: RequestContext, topic: string, partitionIndex: number): Promise<DescribeProducersResponsePartitionResponse> {
  try {
    // Any replica answers for its own copy, as Kafka's (the tools' --broker-id); clients ask the leader.
    const hosted = ctx.broker.replicas.hostedPartition(topic, partitionIndex)
    const log = await ctx.broker.replicas.logOf(hosted.partition, hosted.topic)
    const activeProducers = [...log.producerState.activeProducers().values()].map((e) => ({
      producerId: e.producerId,
      producerEpoch: e.producerEpoch,
      lastSequence: e.lastSeq,
      lastTimestamp: BigInt(e.lastTimestamp),
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnStartOffset: BigInt(e.currentTxnFirstOffset),
    }))
    return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers }
  } catch (err) {
    return { partitionIndex, errorCode: errorCodeOf(err), errorMessage: (err as Error).message ?? null, activeProducers: [] }
  }
}

export const describeProducersHandler: Handler<typeof ApiKey.DescribeProducers> = {
  apiKey: ApiKey.DescribeProducers,
  minVersion: 0,
  maxVersion: 0,
  request: DescribeProducersRequest,
  response: DescribeProducersResponse,
  async handle(req, ctx) {
    const topics = await Promise.all(
      req.topics.map(async (t) => ({ name: t.name, partitions: await Promise.all(t.partitionIndexes.map((p) => describePartition(ctx, t.name, p))) })),
    )
    return { throttleTimeMs: 0, topics }
  },
}
