/**
 * Partition offsets and records: ListOffsets and DeleteRecords, each sent to the partition's
 * leader, one request per leader.
 *
 * Every round looks the leaders up afresh (one Metadata request), so NOT_LEADER_OR_FOLLOWER,
 * FENCED_LEADER_EPOCH and friends are retried against the new leader. A topic or partition that
 * Metadata says does not exist fails at once; the same error from a leader Metadata named is
 * retried (on a multi-broker cluster a new topic reaches the leader's metadata a moment later).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { ErrorCode } from '../../protocol/errors.js'
import { isStaleMetadata } from '../base/cluster.js'
import { ClientError, KafkaError } from '../base/errors.js'
import { brokerError, distinctLayers, final, finish, groupBy, isKafkaError, isTransient, perDestination, settle, toOffset, tpName, type Call, type Outcomes } from './common.js'
import type { DeletedRecords, ListedOffset, OffsetQuery, OffsetSpec, RecordsToDelete } from './types.js'

/** Errors a fresh leader lookup (or a moment's wait) can clear. */
export function leaderRetriable(e: Error): boolean {
  return (
    isTransient(e) ||
    (e instanceof KafkaError && isStaleMetadata(e.code)) ||
    isKafkaError(e, ErrorCode.OFFSET_NOT_AVAILABLE, ErrorCode.REPLICA_NOT_AVAILABLE, ErrorCode.REQUEST_TIMED_OUT)
  )
}

/**
 * Groups items by their partition's current leader. Items whose partition cannot be sent
 * anywhere right now come back in `errors`.
 */
export async function byLeader<Q extends { topic: string; partition: number }>(call: Call, items: Q[]): Promise<{ leaders: Map<number, Q[]>; errors: Outcomes<Q, never> }> {
  const resp = await call.cluster.fetchMetadata([...new Set(items.map((q) => q.topic))])
  const topics = new Map(resp.topics.map((t) => [t.name, t]))
  const errors: Outcomes<Q, never> = new Map()
  const routed: Array<{ q: Q; leader: number }> = []
  for (const q of items) {
    const t = topics.get(q.topic)
    const name = tpName(q.topic, q.partition)
    if (!t || t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      errors.set(q, final(brokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${name}`, `topic ${q.topic} does not exist`)!))
      continue
    }
    if (t.errorCode !== 0) {
      errors.set(q, brokerError(t.errorCode, `partition ${name}`)!)
      continue
    }
    const p = t.partitions.find((x) => x.partitionIndex === q.partition)
    if (!p) {
      errors.set(q, final(brokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${name}`, `topic ${q.topic} has ${t.partitions.length} partitions`)!))
      continue
    }
    if (p.leaderId < 0 || p.errorCode === ErrorCode.LEADER_NOT_AVAILABLE) {
      errors.set(q, brokerError(ErrorCode.LEADER_NOT_AVAILABLE, `partition ${name}`)!)
      continue
    }
    routed.push({ q, leader: p.leaderId })
  }
  const leaders = new Map<number, Q[]>()
  for (const [leader, list] of groupBy(routed, (r) => r.leader)) leaders.set(leader, list.map((r) => r.q))
  return { leaders, errors }
}

/** Kafka's special ListOffsets timestamps. */
function timestampOf(at: OffsetSpec): bigint {
  if (at === 'earliest') return -2n
  if (at === 'latest') return -1n
  if (at === 'max-timestamp') return -3n
  if (typeof at !== 'number' || !Number.isInteger(at) || at < 0) {
    throw new ClientError('INVALID_OPTION', `listOffsets: \`at\` must be 'earliest', 'latest', 'max-timestamp' or a timestamp in ms, got ${JSON.stringify(at)}`)
  }
  return BigInt(at)
}

export type IsolationLevel = 'read_uncommitted' | 'read_committed'

export async function listOffsets(call: Call, queries: OffsetQuery[], isolationLevel: IsolationLevel = 'read_uncommitted'): Promise<ListedOffset[]> {
  for (const q of queries) timestampOf(q.at)
  const readCommitted = isolationLevel === 'read_committed'
  const s = await settle<OffsetQuery, ListedOffset>(call, queries, leaderRetriable, async (pending) => {
    const { leaders, errors } = await byLeader(call, pending)
    const sent = await perDestination(leaders, async (leader, items) => {
      const conn = await call.cluster.connection(leader)
      // max-timestamp arrived with v7 (KIP-734), isolation levels with v2; v0 answers in another shape.
      const version = conn.version(ApiKey.ListOffsets, 10, Math.max(1, readCommitted ? 2 : 1, items.some((q) => q.at === 'max-timestamp') ? 7 : 1))
      const out: Outcomes<OffsetQuery, ListedOffset> = new Map()
      for (const layer of distinctLayers(items)) {
        const resp = await conn.request(
          ApiKey.ListOffsets,
          {
            replicaId: -1,
            isolationLevel: readCommitted ? 1 : 0,
            topics: [...groupBy(layer, (q) => q.topic)].map(([name, qs]) => ({
              name,
              partitions: qs.map((q) => ({ partitionIndex: q.partition, currentLeaderEpoch: -1, timestamp: timestampOf(q.at) })),
            })),
            timeoutMs: call.brokerWaitMs(),
          },
          call.request(version),
        )
        for (const q of layer) {
          const p = resp.topics.find((t) => t.name === q.topic)?.partitions.find((x) => x.partitionIndex === q.partition)
          if (!p) continue
          const ts = p.timestamp ?? -1n
          out.set(
            q,
            brokerError(p.errorCode, `partition ${tpName(q.topic, q.partition)}`) ?? {
              topic: q.topic,
              partition: q.partition,
              offset: p.offset ?? -1n,
              timestamp: ts >= 0n ? ts : null,
              leaderEpoch: p.leaderEpoch !== undefined && p.leaderEpoch >= 0 ? p.leaderEpoch : null,
            },
          )
        }
      }
      return out
    })
    return new Map([...errors, ...sent])
  })
  return finish(call, queries, s, (q) => `partition ${tpName(q.topic, q.partition)}`)
}

export async function deleteRecords(call: Call, requests: RecordsToDelete[]): Promise<DeletedRecords[]> {
  for (const r of requests) toOffset(r.offset, `deleteRecords: ${tpName(r.topic, r.partition)} (-1 = the high watermark)`, -1n)
  const s = await settle<RecordsToDelete, DeletedRecords>(call, requests, leaderRetriable, async (pending) => {
    const { leaders, errors } = await byLeader(call, pending)
    const sent = await perDestination(leaders, async (leader, items) => {
      const conn = await call.cluster.connection(leader)
      const version = conn.version(ApiKey.DeleteRecords, 2)
      const out: Outcomes<RecordsToDelete, DeletedRecords> = new Map()
      for (const layer of distinctLayers(items)) {
        const wait = call.brokerWaitMs()
        const resp = await conn.request(
          ApiKey.DeleteRecords,
          {
            topics: [...groupBy(layer, (r) => r.topic)].map(([name, rs]) => ({ name, partitions: rs.map((r) => ({ partitionIndex: r.partition, offset: toOffset(r.offset, 'deleteRecords', -1n) })) })),
            timeoutMs: wait,
          },
          call.request(version, wait),
        )
        for (const r of layer) {
          const p = resp.topics.find((t) => t.name === r.topic)?.partitions.find((x) => x.partitionIndex === r.partition)
          if (p) out.set(r, brokerError(p.errorCode, `partition ${tpName(r.topic, r.partition)}`) ?? { topic: r.topic, partition: r.partition, lowWatermark: p.lowWatermark })
        }
      }
      return out
    })
    return new Map([...errors, ...sent])
  })
  return finish(call, requests, s, (r) => `partition ${tpName(r.topic, r.partition)}`)
}
