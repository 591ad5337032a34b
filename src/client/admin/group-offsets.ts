/**
 * A group's committed offsets: read (OffsetFetch), written from outside the group (OffsetCommit
 * with generation -1 and no member id, as Kafka's AdminClient and kafka-consumer-groups.sh do),
 * reset to a position, deleted (OffsetDelete), and compared with the log end (lag).
 *
 * An outside commit is accepted only while the group has no members; the coordinator answers
 * a live group with UNKNOWN_MEMBER_ID (or ILLEGAL_GENERATION / REBALANCE_IN_PROGRESS), which
 * says nothing useful to someone resetting offsets. That answer becomes one NON_EMPTY_GROUP
 * error for the whole call, the code DeleteGroups gives for the same situation.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import type { OffsetCommitResponse } from '../../protocol/generated/offset-commit.js'
import type { OffsetDeleteResponse } from '../../protocol/generated/offset-delete.js'
import type { OffsetFetchRequest, OffsetFetchResponsePartition } from '../../protocol/generated/offset-fetch.js'
import { ErrorCode } from '../../protocol/errors.js'
import { ClientError, KafkaError } from '../base/errors.js'
import { tpKey, type TopicPartition } from '../base/types.js'
import { AdminError, brokerError, final, finish, groupBy, isKafkaError, retrying, settle, toOffset, tpName, type Call, type Outcomes } from './common.js'
import { coordinatorConnection, coordinatorRetriable, describeGroups, forgetIfMoved } from './groups.js'
import { listOffsets, type IsolationLevel } from './offsets.js'
import { existingPartitions, partitionCounts } from './topics.js'
import type { CommittedOffset, OffsetQuery, OffsetToCommit, PartitionLag, PlannedOffset, ResetOffsetsRequest } from './types.js'

function byPartition<T extends TopicPartition>(a: T, b: T): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition
}

export interface ListGroupOffsetsOptions {
  /** Only these topics (default: every topic with a committed offset); unknown topics give nothing. */
  topics?: string[]
  /** Wait for pending transactional commits (OffsetFetch v7+, KIP-447). */
  requireStable?: boolean
}

export async function listGroupOffsets(call: Call, groupId: string, o: ListGroupOffsetsOptions = {}): Promise<CommittedOffset[]> {
  const requireStable = o.requireStable ?? false
  // With topics named, their partitions are asked for explicitly (topics deleted since are left
  // out): smaller answers, and brokers that mishandle "all topics" (librdkafka's mock) still work.
  const counts = o.topics ? await existingPartitions(call, o.topics) : undefined
  const topics = counts ? [...counts].map(([name, n]) => ({ name, partitionIndexes: Array.from({ length: n }, (_, i) => i) })) : null
  if (topics && topics.length === 0) return []
  const partitions = await retrying(
    call,
    async () => {
      try {
        const conn = await coordinatorConnection(call, groupId)
        // Null topics ("all committed") arrived with v2; requireStable with v7.
        const version = conn.version(ApiKey.OffsetFetch, 9, requireStable ? 7 : 2)
        const body: OffsetFetchRequest =
          version >= 8 ? { groups: [{ groupId, memberId: null, memberEpoch: -1, topics }], requireStable } : { groupId, topics, requireStable }
        const resp = await conn.request(ApiKey.OffsetFetch, body, call.request(version))
        const g = version >= 8 ? resp.groups?.find((x) => x.groupId === groupId) : { errorCode: resp.errorCode ?? 0, topics: resp.topics ?? [] }
        if (!g) throw new ClientError('ILLEGAL_STATE', `group ${groupId}: the coordinator sent no OffsetFetch result for it`)
        const err = brokerError(g.errorCode, `group ${groupId}`)
        if (err) throw err
        const all: Array<{ topic: string; p: OffsetFetchResponsePartition }> = g.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, p })))
        // Transactional commits still open: the whole answer is asked again (KIP-447).
        const unstable = all.find((x) => x.p.errorCode === ErrorCode.UNSTABLE_OFFSET_COMMIT)
        if (unstable) throw brokerError(ErrorCode.UNSTABLE_OFFSET_COMMIT, `partition ${tpName(unstable.topic, unstable.p.partitionIndex)} of group ${groupId}`)!
        return all
      } catch (e) {
        forgetIfMoved(call, groupId, e)
        throw e
      }
    },
    (e) => coordinatorRetriable(e) || isKafkaError(e, ErrorCode.UNSTABLE_OFFSET_COMMIT),
  )
  const wanted = o.topics ? new Set(o.topics) : undefined
  const results: CommittedOffset[] = []
  const failures: AdminError['failures'] = []
  for (const { topic, p } of partitions) {
    if (wanted && !wanted.has(topic)) continue
    const resource = `partition ${tpName(topic, p.partitionIndex)}`
    const err = brokerError(p.errorCode, `${resource} of group ${groupId}`)
    if (err) failures.push({ resource, item: { topic, partition: p.partitionIndex }, error: err })
    else if (p.committedOffset >= 0n) {
      const epoch = p.committedLeaderEpoch ?? -1
      results.push({ topic, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: epoch >= 0 ? epoch : null, metadata: p.metadata })
    }
  }
  results.sort(byPartition)
  if (failures.length > 0) throw new AdminError(call.operation, failures, results, failures.length + results.length)
  return results
}

/** The coordinator's answers to an outside commit that mean "the group has members". */
const LIVE_GROUP: number[] = [ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION, ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.FENCED_INSTANCE_ID]

function notEmpty(call: Call, groupId: string, code: number): KafkaError {
  const e = new KafkaError(ErrorCode.NON_EMPTY_GROUP)
  e.message =
    `group ${groupId}: NON_EMPTY_GROUP (${ErrorCode.NON_EMPTY_GROUP}): ${call.operation} needs a group without active members ` +
    `(the coordinator answered ${new KafkaError(code).errorName}); stop the group's consumers and try again`
  return e
}

export async function alterGroupOffsets(call: Call, groupId: string, offsets: OffsetToCommit[]): Promise<void> {
  const seen = new Set<string>()
  for (const o of offsets) {
    toOffset(o.offset, `${call.operation}: ${tpName(o.topic, o.partition)}`)
    if (seen.has(tpKey(o.topic, o.partition))) throw new ClientError('INVALID_OPTION', `${call.operation}: ${tpName(o.topic, o.partition)} is listed twice`)
    seen.add(tpKey(o.topic, o.partition))
  }
  const s = await settle<OffsetToCommit, true>(call, offsets, coordinatorRetriable, async (pending) => {
    let resp: OffsetCommitResponse
    try {
      const conn = await coordinatorConnection(call, groupId)
      const version = conn.version(ApiKey.OffsetCommit, 9, 2)
      resp = await conn.request(
        ApiKey.OffsetCommit,
        {
          groupId,
          generationIdOrMemberEpoch: -1,
          memberId: '',
          groupInstanceId: null,
          retentionTimeMs: -1n,
          topics: [...groupBy(pending, (o) => o.topic)].map(([name, os]) => ({
            name,
            partitions: os.map((o) => ({
              partitionIndex: o.partition,
              committedOffset: toOffset(o.offset, call.operation),
              committedLeaderEpoch: o.leaderEpoch ?? -1,
              committedMetadata: o.metadata ?? '',
            })),
          })),
        },
        call.request(version),
      )
    } catch (e) {
      forgetIfMoved(call, groupId, e)
      throw e
    }
    const out: Outcomes<OffsetToCommit, true> = new Map()
    for (const o of pending) {
      const p = resp.topics.find((t) => t.name === o.topic)?.partitions.find((x) => x.partitionIndex === o.partition)
      if (!p) continue
      if (LIVE_GROUP.includes(p.errorCode)) throw final(notEmpty(call, groupId, p.errorCode))
      const err = brokerError(p.errorCode, `partition ${tpName(o.topic, o.partition)} of group ${groupId}`)
      if (err) forgetIfMoved(call, groupId, err)
      out.set(o, err ?? true)
    }
    return out
  })
  finish(call, offsets, s, (o) => `partition ${tpName(o.topic, o.partition)}`)
}

export async function deleteGroupOffsets(call: Call, groupId: string, partitions: TopicPartition[]): Promise<void> {
  const s = await settle<TopicPartition, true>(call, partitions, coordinatorRetriable, async (pending) => {
    let resp: OffsetDeleteResponse
    try {
      const conn = await coordinatorConnection(call, groupId)
      const version = conn.version(ApiKey.OffsetDelete, 0)
      resp = await conn.request(
        ApiKey.OffsetDelete,
        { groupId, topics: [...groupBy(pending, (tp) => tp.topic)].map(([name, tps]) => ({ name, partitions: tps.map((tp) => ({ partitionIndex: tp.partition })) })) },
        call.request(version),
      )
      const err = brokerError(resp.errorCode, `group ${groupId}`)
      // A group-level answer (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP) is about the call, not a partition.
      if (err) throw coordinatorRetriable(err) ? err : final(err)
    } catch (e) {
      forgetIfMoved(call, groupId, e)
      throw e
    }
    const out: Outcomes<TopicPartition, true> = new Map()
    for (const tp of pending) {
      const p = resp.topics.find((t) => t.name === tp.topic)?.partitions.find((x) => x.partitionIndex === tp.partition)
      if (p) out.set(tp, brokerError(p.errorCode, `partition ${tpName(tp.topic, tp.partition)} of group ${groupId}`) ?? true)
    }
    return out
  })
  finish(call, partitions, s, (tp) => `partition ${tpName(tp.topic, tp.partition)}`)
}

/**
 * kafka-consumer-groups.sh --reset-offsets: plans each partition's new offset, clamped to the
 * partition's [earliest, latest] (a target outside the log would only make the consumer fall
 * back to auto.offset.reset), then commits the plan unless dryRun.
 */
export async function resetGroupOffsets(call: Call, groupId: string, req: ResetOffsetsRequest): Promise<PlannedOffset[]> {
  const topics = req.topic !== undefined ? [req.topic] : (req.topics ?? [])
  if (topics.length === 0) throw new ClientError('INVALID_OPTION', 'resetGroupOffsets: give `topic` or `topics`')
  if (req.partitions && req.topic === undefined) throw new ClientError('INVALID_OPTION', 'resetGroupOffsets: `partitions` goes with a single `topic`')
  const to = req.to
  const kind =
    to === 'earliest' || to === 'latest'
      ? to
      : typeof to === 'object' && to !== null && 'offset' in to
        ? 'offset'
        : typeof to === 'object' && to !== null && 'timestamp' in to
          ? 'timestamp'
          : typeof to === 'object' && to !== null && 'shiftBy' in to && Number.isSafeInteger(to.shiftBy)
            ? 'shiftBy'
            : undefined
  if (kind === undefined) {
    throw new ClientError('INVALID_OPTION', `resetGroupOffsets: \`to\` must be 'earliest', 'latest', { offset }, { timestamp } or { shiftBy: integer }, got ${JSON.stringify(to)}`)
  }
  const counts = await partitionCounts(call, topics)
  const tps: TopicPartition[] = topics.flatMap((topic) => (req.partitions ?? Array.from({ length: counts.get(topic) ?? 0 }, (_, i) => i)).map((partition) => ({ topic, partition })))
  const queries: OffsetQuery[] = tps.flatMap((tp) => [
    { ...tp, at: 'earliest' as const },
    { ...tp, at: 'latest' as const },
    ...(kind === 'timestamp' ? [{ ...tp, at: (to as { timestamp: number }).timestamp }] : []),
  ])
  const [listed, committed] = await Promise.all([listOffsets(call, queries), listGroupOffsets(call, groupId, { topics })])
  const offsetsOf = new Map<string, bigint[]>()
  for (const l of listed) offsetsOf.set(tpKey(l.topic, l.partition), [...(offsetsOf.get(tpKey(l.topic, l.partition)) ?? []), l.offset])
  const previous = new Map(committed.map((c) => [tpKey(c.topic, c.partition), c.offset]))
  const plan: PlannedOffset[] = []
  const failures: AdminError['failures'] = []
  for (const tp of tps) {
    const [earliest, latest, atTime] = offsetsOf.get(tpKey(tp.topic, tp.partition))!
    const prev = previous.get(tpKey(tp.topic, tp.partition)) ?? null
    let target: bigint
    if (kind === 'earliest') target = earliest!
    else if (kind === 'latest') target = latest!
    else if (kind === 'offset') target = toOffset((to as { offset: bigint | number }).offset, 'resetGroupOffsets')
    // No record at or after the timestamp: the end, as kafka-consumer-groups.sh --to-datetime.
    else if (kind === 'timestamp') target = atTime! < 0n ? latest! : atTime!
    else if (prev === null) {
      failures.push({ resource: `partition ${tpName(tp.topic, tp.partition)}`, item: tp, error: new ClientError('NO_OFFSET', `partition ${tpName(tp.topic, tp.partition)}: group ${groupId} has no committed offset to shift`) })
      continue
    } else target = prev + BigInt((to as { shiftBy: number }).shiftBy)
    const clamped = target < earliest! ? earliest! : target > latest! ? latest! : target
    plan.push({ topic: tp.topic, partition: tp.partition, previous: prev, offset: clamped })
  }
  plan.sort(byPartition)
  if (failures.length > 0) throw new AdminError(call.operation, failures, plan, tps.length)
  if (!req.dryRun && plan.length > 0) await alterGroupOffsets(call, groupId, plan.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })))
  return plan
}

/**
 * Lag per partition of every topic the group subscribes to, is assigned or has committed to:
 * partitions without a commit are listed too (lag null), so a consumer that never committed
 * shows up rather than looking caught up. Topics deleted since are left out.
 */
export async function groupLag(call: Call, groupId: string, isolationLevel: IsolationLevel = 'read_uncommitted'): Promise<PartitionLag[]> {
  const [[group], committed] = await Promise.all([describeGroups(call, [groupId]), listGroupOffsets(call, groupId)])
  const owner = new Map<string, string>()
  const topics = new Set(committed.map((c) => c.topic))
  for (const m of group!.members) {
    for (const t of m.subscription) topics.add(t)
    for (const tp of m.assignment) {
      topics.add(tp.topic)
      owner.set(tpKey(tp.topic, tp.partition), m.memberId)
    }
  }
  const counts = await existingPartitions(call, [...topics])
  const tps = [...counts].flatMap(([topic, n]) => Array.from({ length: n }, (_, partition) => ({ topic, partition })))
  if (tps.length === 0) return []
  const ends = await listOffsets(call, tps.map((tp) => ({ ...tp, at: 'latest' as const })), isolationLevel)
  const done = new Map(committed.map((c) => [tpKey(c.topic, c.partition), c.offset]))
  return ends
    .map((e) => {
      const c = done.get(tpKey(e.topic, e.partition)) ?? null
      return {
        topic: e.topic,
        partition: e.partition,
        committed: c,
        logEndOffset: e.offset,
        lag: c === null ? null : e.offset > c ? e.offset - c : 0n,
        memberId: owner.get(tpKey(e.topic, e.partition)) ?? null,
      }
    })
    .sort(byPartition)
}
