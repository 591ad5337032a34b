/**
 * Transactions (KIP-664, Kafka's Admin listTransactions / describeTransactions /
 * describeProducers / abortTransaction):
 * - listTransactions asks every broker (each lists the ids it coordinates), with state,
 *   producer id and (ListTransactions v1, Kafka 3.8) duration filters;
 * - describeTransactions asks each id's transaction coordinator;
 * - describeProducers asks each partition's leader, or one broker given by `brokerId` (any
 *   replica answers for its own copy);
 * - abortTransaction sends WriteTxnMarkers (abort) for one producer to the partition's leader:
 *   the way out of a hanging transaction whose coordinator will never write the marker.
 *
 * Retries as elsewhere: a coordinator that moved or is loading is looked up or asked again; a
 * leader that moved is looked up again (offsets.ts' byLeader).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { ErrorCode } from '../../protocol/errors.js'
import { CoordinatorType } from '../base/cluster.js'
import { ClientError } from '../base/errors.js'
import type { TopicPartition } from '../base/types.js'
import { brokerError, finish, groupBy, isKafkaError, isTransient, perDestination, retrying, settle, tpName, type Call, type Outcomes } from './common.js'
import { coordinatorRetriable } from './groups.js'
import { byLeader, leaderRetriable } from './offsets.js'

export interface TransactionListing {
  transactionalId: string
  producerId: bigint
  state: string
  /** The broker that coordinates it (the one that listed it). */
  coordinator: number
}

export interface ListTransactionsOptions {
  /** Only these states (Ongoing, PrepareCommit, CompleteAbort, ... as Kafka names them). */
  states?: string[]
  producerIds?: bigint[]
  /** Only transactions open longer than this (ms); needs ListTransactions v1 (Kafka 3.8). */
  durationMs?: number
}

export interface TransactionDescription {
  transactionalId: string
  coordinator: number
  state: string
  producerId: bigint
  producerEpoch: number
  timeoutMs: number
  /** When the open transaction started (ms); null outside a transaction. */
  startTimeMs: number | null
  partitions: TopicPartition[]
}

export interface ProducerState {
  producerId: bigint
  producerEpoch: number
  lastSequence: number
  lastTimestamp: number
  /** Of the last marker this partition took from the producer's coordinator; null: none yet. */
  coordinatorEpoch: number | null
  /** First offset of the producer's open transaction here; null when none. */
  currentTransactionStartOffset: bigint | null
}

export interface PartitionProducers extends TopicPartition {
  /** The broker that answered. */
  broker: number
  producers: ProducerState[]
}

export interface AbortTransactionSpec extends TopicPartition {
  producerId: bigint
  producerEpoch: number
  coordinatorEpoch: number
}

export async function listTransactions(call: Call, o: ListTransactionsOptions): Promise<TransactionListing[]> {
  const states = o.states ?? []
  const producerIds = o.producerIds ?? []
  const durationMs = o.durationMs ?? -1
  await retrying(call, () => call.cluster.fetchMetadata([]))
  const brokers = [...call.cluster.brokers.keys()]
  const s = await settle<number, TransactionListing[]>(call, brokers, (e) => isTransient(e) || isKafkaError(e, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS), (pending) =>
    perDestination(
      groupBy(pending, (b) => b),
      async (nodeId) => {
        const conn = await call.cluster.connection(nodeId)
        // A broker without the duration filter would list every transaction.
        const version = conn.version(ApiKey.ListTransactions, 1, durationMs >= 0 ? 1 : 0)
        const resp = await conn.request(ApiKey.ListTransactions, { stateFilters: states, producerIdFilters: producerIds, durationFilter: BigInt(durationMs) }, call.request(version))
        const err = brokerError(resp.errorCode, `transactions of broker ${nodeId}`)
        const listed = resp.transactionStates.map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, state: t.transactionState, coordinator: nodeId }))
        return new Map([[nodeId, err ?? listed]])
      },
    ),
  )
  return finish(call, brokers, s, (b) => `broker ${b}`)
    .flat()
    .sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0))
}

export async function describeTransactions(call: Call, transactionalIds: string[]): Promise<TransactionDescription[]> {
  const s = await settle<string, TransactionDescription>(call, transactionalIds, coordinatorRetriable, async (pending) => {
    const out: Outcomes<string, TransactionDescription> = new Map()
    const located: Array<{ id: string; nodeId: number }> = []
    await Promise.all(
      pending.map(async (id) => {
        try {
          located.push({ id, nodeId: (await call.cluster.coordinator(CoordinatorType.Transaction, id, call.deadline)).nodeId })
        } catch (e) {
          out.set(id, e as Error)
        }
      }),
    )
    const sent = await perDestination(
      groupBy(located, (l) => l.nodeId),
      async (nodeId, items) => {
        const conn = await call.cluster.coordinatorConnection(CoordinatorType.Transaction, items[0]!.id, call.deadline)
        const resp = await conn.request(ApiKey.DescribeTransactions, { transactionalIds: items.map((l) => l.id) }, call.request(conn.version(ApiKey.DescribeTransactions, 0)))
        const byId = new Map(resp.transactionStates.map((t) => [t.transactionalId, t]))
        return new Map(
          items.map((l): [typeof l, TransactionDescription | Error] => {
            const t = byId.get(l.id)
            if (!t) return [l, new ClientError('ILLEGAL_STATE', `transactional id ${l.id}: no result from its coordinator`, true)]
            const err = brokerError(t.errorCode, `transactional id ${l.id}`)
            if (err) return [l, err]
            const d: TransactionDescription = {
              transactionalId: l.id,
              coordinator: nodeId,
              state: t.transactionState,
              producerId: t.producerId,
              producerEpoch: t.producerEpoch,
              timeoutMs: t.transactionTimeoutMs,
              startTimeMs: t.transactionStartTimeMs < 0n ? null : Number(t.transactionStartTimeMs),
              partitions: t.topics.flatMap((x) => x.partitions.map((partition) => ({ topic: x.topic, partition }))),
            }
            return [l, d]
          }),
        )
      },
    )
    for (const [l, r] of sent) {
      out.set(l.id, r)
      if (r instanceof Error && (isTransient(r) || isKafkaError(r, ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE))) call.cluster.forgetCoordinator(CoordinatorType.Transaction, l.id)
    }
    return out
  })
  return finish(call, transactionalIds, s, (id) => `transactional id ${id}`)
}

export async function describeProducers(call: Call, partitions: TopicPartition[], o: { brokerId?: number }): Promise<PartitionProducers[]> {
  const s = await settle<TopicPartition, PartitionProducers>(call, partitions, leaderRetriable, async (pending) => {
    let routes: Map<number, TopicPartition[]>
    let errors: Outcomes<TopicPartition, never> = new Map()
    if (o.brokerId !== undefined) routes = new Map([[o.brokerId, pending]])
    else ({ leaders: routes, errors } = await byLeader(call, pending))
    const sent = await perDestination(routes, async (nodeId, items) => {
      const conn = await call.cluster.connection(nodeId)
      const topics = [...groupBy(items, (i) => i.topic)].map(([name, list]) => ({ name, partitionIndexes: list.map((i) => i.partition) }))
      const resp = await conn.request(ApiKey.DescribeProducers, { topics }, call.request(conn.version(ApiKey.DescribeProducers, 0)))
      const answers = new Map<string, (typeof resp.topics)[number]['partitions'][number]>()
      for (const t of resp.topics) for (const p of t.partitions) answers.set(tpName(t.name, p.partitionIndex), p)
      return new Map(
        items.map((i): [TopicPartition, PartitionProducers | Error] => {
          const a = answers.get(tpName(i.topic, i.partition))
          if (!a) return [i, new ClientError('ILLEGAL_STATE', `partition ${tpName(i.topic, i.partition)}: no result from broker ${nodeId}`, true)]
          const err = brokerError(a.errorCode, `partition ${tpName(i.topic, i.partition)}`, a.errorMessage)
          if (err) return [i, err]
          const producers = a.activeProducers.map((p) => ({
            producerId: p.producerId,
            producerEpoch: p.producerEpoch,
            lastSequence: p.lastSequence,
            lastTimestamp: Number(p.lastTimestamp),
            coordinatorEpoch: p.coordinatorEpoch < 0 ? null : p.coordinatorEpoch,
            currentTransactionStartOffset: p.currentTxnStartOffset < 0n ? null : p.currentTxnStartOffset,
          }))
          return [i, { topic: i.topic, partition: i.partition, broker: nodeId, producers }]
        }),
      )
    })
    for (const [i, e] of errors) sent.set(i, e)
    return sent
  })
  return finish(call, partitions, s, (i) => `partition ${tpName(i.topic, i.partition)}`)
}

export async function abortTransaction(call: Call, spec: AbortTransactionSpec): Promise<void> {
  const s = await settle<AbortTransactionSpec, true>(call, [spec], leaderRetriable, async (pending) => {
    const { leaders, errors } = await byLeader(call, pending)
    const sent = await perDestination(leaders, async (nodeId, items): Promise<Outcomes<AbortTransactionSpec, true>> => {
      const conn = await call.cluster.connection(nodeId)
      const m = items[0]!
      const resp = await conn.request(
        ApiKey.WriteTxnMarkers,
        { markers: [{ producerId: m.producerId, producerEpoch: m.producerEpoch, transactionResult: false, coordinatorEpoch: m.coordinatorEpoch, topics: [{ name: m.topic, partitionIndexes: [m.partition] }] }] },
        call.request(conn.version(ApiKey.WriteTxnMarkers, 1)),
      )
      const code = resp.markers[0]?.topics[0]?.partitions[0]?.errorCode
      if (code === undefined) return new Map<AbortTransactionSpec, true | Error>([[m, new ClientError('ILLEGAL_STATE', `partition ${tpName(m.topic, m.partition)}: no result from broker ${nodeId}`, true)]])
      const err = brokerError(code, `partition ${tpName(m.topic, m.partition)}`)
      return new Map<AbortTransactionSpec, true | Error>([[m, err ?? (true as const)]])
    })
    for (const [i, e] of errors) sent.set(i, e)
    return sent
  })
  finish(call, [spec], s, (i) => `partition ${tpName(i.topic, i.partition)}`)
}

