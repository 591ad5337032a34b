/**
 * Committing and reading a group's offsets (OffsetCommit, OffsetFetch) through the group
 * coordinator, on the coordinator's channel.
 *
 * Commits carry the member's generation and member id, so the coordinator refuses commits from a
 * member that has been replaced (ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID: the caller learns its
 * partitions may be someone else's). A consumer with a group id but a manual assignment commits
 * with generation -1 and no member id, as Java does ("simple" group).
 *
 * Versions: OffsetCommit v2-9 (v2 is the oldest storing offsets in Kafka rather than ZooKeeper;
 * group instance id from v7, leader epoch from v6). OffsetFetch v1-9 (the v8+ request names
 * groups in a list; requireStable from v7 makes the coordinator hold offsets of open
 * transactions with UNSTABLE_OFFSET_COMMIT, which is retried).
 */
import { CoordinatorType, isCoordinatorMoved, type Cluster } from '../base/cluster.js'
import { ClientError, errorFor, isRetriable, KafkaError } from '../base/errors.js'
import { tpKey, type TopicPartition } from '../base/types.js'
import { ApiKey } from '../../protocol/generated/api-keys.js'
import type { OffsetCommitResponse } from '../../protocol/generated/offset-commit.js'
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/generated/offset-fetch.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { ResolvedConsumerOptions } from './options.js'
import type { CommitOffset, OffsetAndMetadata } from './types.js'

export interface MemberIdentity {
  generationId: number
  memberId: string
  groupInstanceId: string | null
}

export interface CommitterHooks {
  /** The generation to commit under (-1 / '' outside group management). */
  identity(): MemberIdentity
  /** The coordinator said this member's generation or id is no longer valid, or it is fenced. */
  onMembershipError(code: number): void
}

/** Errors after which the member's generation is gone: the commit cannot succeed by retrying. */
const MEMBERSHIP_ERRORS = new Set<number>([ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID])

function groupByTopic<T extends TopicPartition>(items: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>()
  for (const it of items) {
    let l = m.get(it.topic)
    if (!l) m.set(it.topic, (l = []))
    l.push(it)
  }
  return m
}

export class OffsetCommitter {
  constructor(
    private readonly cluster: Cluster,
    private readonly opts: ResolvedConsumerOptions,
    private readonly groupId: string,
    private readonly hooks: CommitterHooks,
  ) {}

  /**
   * Commits `offsets`. With `retry`, retriable failures (coordinator moving or loading, timeouts)
   * are retried with backoff until `deadline`; without, the first failure is thrown.
   */
  async commit(offsets: readonly CommitOffset[], o: { deadline: number; retry: boolean; signal?: AbortSignal }): Promise<void> {
    if (offsets.length === 0) return
    for (let attempt = 0; ; attempt++) {
      let err: Error
      try {
        await this.commitOnce(offsets, o.deadline)
        return
      } catch (e) {
        if (!o.retry || !isRetriable(e)) throw e
        err = e as Error
      }
      await this.cluster.sleepUntilRetry(attempt, o.deadline, err, o.signal)
    }
  }

  private async commitOnce(offsets: readonly CommitOffset[], deadline: number): Promise<void> {
    const conn = await this.cluster.coordinatorConnection(CoordinatorType.Group, this.groupId, deadline)
    const version = conn.version(ApiKey.OffsetCommit, Infinity, 2)
    const id = this.hooks.identity()
    if (id.groupInstanceId !== null && version < 7) {
      throw new ClientError('UNSUPPORTED_VERSION', `${conn.describe()} cannot commit for a static member (OffsetCommit v7 needed, it supports up to v${version})`)
    }
    const topics = [...groupByTopic(offsets)].map(([name, list]) => ({
      name,
      partitions: list.map((o) => ({
        partitionIndex: o.partition,
        committedOffset: o.offset,
        committedLeaderEpoch: o.leaderEpoch ?? -1,
        commitTimestamp: -1n,
        committedMetadata: o.metadata ?? '',
      })),
    }))
    let resp: OffsetCommitResponse
    try {
      resp = await conn.request(
        ApiKey.OffsetCommit,
        { groupId: this.groupId, generationIdOrMemberEpoch: id.generationId, memberId: id.memberId, groupInstanceId: id.groupInstanceId, retentionTimeMs: -1n, topics },
        { version, timeoutMs: Math.max(1, Math.min(this.opts.requestTimeoutMs, deadline - Date.now())) },
      )
    } catch (e) {
      this.cluster.forgetCoordinator(CoordinatorType.Group, this.groupId)
      throw e
    }
    let first: KafkaError | undefined
    for (const t of resp.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === 0) continue
        const e = errorFor(p.errorCode, `committing offsets of group ${this.groupId} (${t.name}-${p.partitionIndex})`)!
        if (isCoordinatorMoved(p.errorCode)) this.cluster.forgetCoordinator(CoordinatorType.Group, this.groupId)
        if (MEMBERSHIP_ERRORS.has(p.errorCode)) {
          this.hooks.onMembershipError(p.errorCode)
          e.message += p.errorCode === ErrorCode.FENCED_INSTANCE_ID ? '' : ' (the group rebalanced and this member no longer owns its partitions; they may be consumed by another member)'
        }
        // Retriable errors win so that one retry can fix the whole request.
        if (!first || (e.retriable && !first.retriable)) first = e
      }
    }
    if (first) throw first
  }

  /** The group's committed offsets for `tps` (offset null where none), retrying until `deadline`. */
  async fetchCommitted(tps: readonly TopicPartition[], deadline: number, signal?: AbortSignal): Promise<Map<string, OffsetAndMetadata>> {
    for (let attempt = 0; ; attempt++) {
      let err: Error
      try {
        return await this.fetchOnce(tps, deadline, signal)
      } catch (e) {
        if (!isRetriable(e)) throw e
        err = e as Error
      }
      await this.cluster.sleepUntilRetry(attempt, deadline, err, signal)
    }
  }

  private async fetchOnce(tps: readonly TopicPartition[], deadline: number, signal?: AbortSignal): Promise<Map<string, OffsetAndMetadata>> {
    const out = new Map<string, OffsetAndMetadata>()
    if (tps.length === 0) return out
    const conn = await this.cluster.coordinatorConnection(CoordinatorType.Group, this.groupId, deadline)
    const version = conn.version(ApiKey.OffsetFetch, Infinity, 1)
    const topics = [...groupByTopic(tps)].map(([name, list]) => ({ name, partitionIndexes: list.map((tp) => tp.partition) }))
    const body: OffsetFetchRequest =
      version >= 8
        ? { groups: [{ groupId: this.groupId, memberId: null, memberEpoch: -1, topics }], requireStable: true }
        : { groupId: this.groupId, topics, requireStable: true }
    let resp: OffsetFetchResponse
    try {
      resp = await conn.request(ApiKey.OffsetFetch, body, { version, signal, timeoutMs: Math.max(1, Math.min(this.opts.requestTimeoutMs, deadline - Date.now())) })
    } catch (e) {
      this.cluster.forgetCoordinator(CoordinatorType.Group, this.groupId)
      throw e
    }
    const group = version >= 8 ? resp.groups?.[0] : { errorCode: resp.errorCode ?? 0, topics: resp.topics ?? [] }
    if (!group) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `OffsetFetch for group ${this.groupId}: no group in the response`)
    const fail = (code: number, what: string): never => {
      if (isCoordinatorMoved(code)) this.cluster.forgetCoordinator(CoordinatorType.Group, this.groupId)
      throw errorFor(code, what)!
    }
    if (group.errorCode !== 0) fail(group.errorCode, `reading committed offsets of group ${this.groupId}`)
    for (const t of group.topics) {
      for (const p of t.partitions) {
        // UNKNOWN_TOPIC_OR_PARTITION here means nothing committed for a partition the broker does not know.
        if (p.errorCode !== 0 && p.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) fail(p.errorCode, `reading the committed offset of ${t.name}-${p.partitionIndex} for group ${this.groupId}`)
        const epoch = p.committedLeaderEpoch ?? -1
        out.set(tpKey(t.name, p.partitionIndex), {
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.errorCode === 0 && p.committedOffset >= 0n ? p.committedOffset : null,
          metadata: p.metadata === '' ? null : p.metadata,
          leaderEpoch: epoch >= 0 ? epoch : null,
        })
      }
    }
    for (const tp of tps) {
      const k = tpKey(tp.topic, tp.partition)
      if (!out.has(k)) out.set(k, { topic: tp.topic, partition: tp.partition, offset: null, metadata: null, leaderEpoch: null })
    }
    return out
  }
}
