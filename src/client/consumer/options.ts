/**
 * Consumer options with Kafka's consumer defaults. The Kafka property each maps to is named in
 * its comment; behaviour follows that property's documentation unless noted.
 */
import { ClientError } from '../base/errors.js'
import { intOption, resolveBaseOptions, type BaseOptions, type ResolvedBaseOptions } from '../base/options.js'
import { assignorByName, type Assignor, type RebalanceProtocol } from './assignors/index.js'
import type { RebalanceListener } from './types.js'

export type AutoOffsetReset = 'earliest' | 'latest' | 'none'
export type IsolationLevel = 'read_uncommitted' | 'read_committed'

export interface ConsumerOptions extends BaseOptions {
  /** group.id: the consumer group; without it only `assign()` works and nothing is committed. */
  groupId?: string
  /** group.instance.id: static membership (KIP-345); restarts within the session keep the assignment. */
  groupInstanceId?: string
  /** session.timeout.ms (default 45000): the coordinator drops a member silent for this long. */
  sessionTimeoutMs?: number
  /** heartbeat.interval.ms (default 3000). */
  heartbeatIntervalMs?: number
  /**
   * max.poll.interval.ms (default 300000): longest time between two polls (or iterator steps)
   * before the member leaves the group; also the rebalance timeout sent in JoinGroup.
   */
  maxPollIntervalMs?: number
  /**
   * partition.assignment.strategy (default ['range', 'cooperative-sticky'], as Java 3.x): names
   * of the built-in assignors or Assignor objects, in preference order. The rebalance protocol is
   * the most advanced one every listed assignor supports (so the default rebalances eagerly).
   */
  partitionAssignmentStrategy?: Array<string | Assignor>
  /** auto.offset.reset (default 'latest'): where to start without a committed offset, or after OFFSET_OUT_OF_RANGE. */
  autoOffsetReset?: AutoOffsetReset
  /** enable.auto.commit (default true): commit delivered positions every autoCommitIntervalMs, on rebalance and on close. */
  enableAutoCommit?: boolean
  /** auto.commit.interval.ms (default 5000). */
  autoCommitIntervalMs?: number
  /** fetch.min.bytes (default 1). */
  fetchMinBytes?: number
  /** fetch.max.bytes (default 52428800). */
  fetchMaxBytes?: number
  /** max.partition.fetch.bytes (default 1048576); also the per-partition prefetch bound. */
  maxPartitionFetchBytes?: number
  /** fetch.max.wait.ms (default 500): how long the broker holds a fetch waiting for fetchMinBytes. */
  fetchMaxWaitMs?: number
  /** max.poll.records (default 500): most records one `poll()` returns, or one `batches()` item holds. */
  maxPollRecords?: number
  /** isolation.level (default 'read_uncommitted'). */
  isolationLevel?: IsolationLevel
  /** check.crcs (default true): verify each batch's CRC32C before decoding it. */
  checkCrcs?: boolean
  /** default.api.timeout.ms (default 60000): bound for commit, committed, position, close. */
  defaultApiTimeoutMs?: number
  /** allow.auto.create.topics (default true): subscribing may create topics on brokers that allow it. */
  allowAutoCreateTopics?: boolean
  /** exclude.internal.topics (default true): a RegExp subscription never matches __consumer_offsets and friends. */
  excludeInternalTopics?: boolean
  /** client.rack: sent in Fetch (v11+) and in the subscription (rack-aware assignors). */
  clientRack?: string
  /** ConsumerRebalanceListener for subscriptions (also accepted by `subscribe`). */
  rebalanceListener?: RebalanceListener
}

export interface ResolvedConsumerOptions extends ResolvedBaseOptions {
  groupId: string | null
  groupInstanceId: string | null
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  maxPollIntervalMs: number
  assignors: Assignor[]
  rebalanceProtocol: RebalanceProtocol
  autoOffsetReset: AutoOffsetReset
  enableAutoCommit: boolean
  autoCommitIntervalMs: number
  fetchMinBytes: number
  fetchMaxBytes: number
  maxPartitionFetchBytes: number
  fetchMaxWaitMs: number
  maxPollRecords: number
  readCommitted: boolean
  checkCrcs: boolean
  defaultApiTimeoutMs: number
  allowAutoCreateTopics: boolean
  excludeInternalTopics: boolean
  clientRack: string | null
  rebalanceListener: RebalanceListener | null
}

const MAX_INT = 2147483647

function oneOf<T extends string>(name: string, v: T | undefined, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback
  if (!allowed.includes(v)) throw new ClientError('INVALID_OPTION', `option ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`)
  return v
}

function resolveAssignors(list: Array<string | Assignor> | undefined): { assignors: Assignor[]; protocol: RebalanceProtocol } {
  const given = list ?? ['range', 'cooperative-sticky']
  if (!Array.isArray(given) || given.length === 0) throw new ClientError('INVALID_OPTION', 'option partitionAssignmentStrategy must list at least one assignor')
  const assignors = given.map((a) => {
    if (typeof a !== 'string') return a
    const found = assignorByName(a)
    if (!found) throw new ClientError('INVALID_OPTION', `unknown assignor '${a}' in partitionAssignmentStrategy (built in: range, roundrobin, sticky, cooperative-sticky)`)
    return found
  })
  const names = new Set<string>()
  for (const a of assignors) {
    if (names.has(a.name)) throw new ClientError('INVALID_OPTION', `assignor '${a.name}' is listed twice in partitionAssignmentStrategy`)
    names.add(a.name)
  }
  // Java's rule: the most advanced protocol every assignor supports.
  const common = (['COOPERATIVE', 'EAGER'] as const).filter((p) => assignors.every((a) => a.supportedProtocols.includes(p)))
  if (common.length === 0) throw new ClientError('INVALID_OPTION', `the assignors ${[...names].join(', ')} share no rebalance protocol`)
  return { assignors, protocol: common[0]! }
}

export function resolveConsumerOptions(o: ConsumerOptions): ResolvedConsumerOptions {
  const base = resolveBaseOptions(o)
  const groupId = o.groupId === undefined || o.groupId === null ? null : String(o.groupId)
  if (groupId === '') throw new ClientError('INVALID_OPTION', 'option groupId must not be empty (leave it out to consume without a group)')
  const groupInstanceId = o.groupInstanceId ?? null
  if (groupInstanceId !== null && (groupId === null || groupInstanceId === '')) {
    throw new ClientError('INVALID_OPTION', 'option groupInstanceId needs a groupId and must not be empty')
  }
  const sessionTimeoutMs = intOption('sessionTimeoutMs', o.sessionTimeoutMs, 45_000, 1, MAX_INT)
  const heartbeatIntervalMs = intOption('heartbeatIntervalMs', o.heartbeatIntervalMs, 3000, 1, MAX_INT)
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw new ClientError('INVALID_OPTION', `option heartbeatIntervalMs (${heartbeatIntervalMs}) must be lower than sessionTimeoutMs (${sessionTimeoutMs})`)
  }
  const { assignors, protocol } = resolveAssignors(o.partitionAssignmentStrategy)
  return {
    ...base,
    groupId,
    groupInstanceId,
    sessionTimeoutMs,
    heartbeatIntervalMs,
    maxPollIntervalMs: intOption('maxPollIntervalMs', o.maxPollIntervalMs, 300_000, 1, MAX_INT),
    assignors,
    rebalanceProtocol: protocol,
    autoOffsetReset: oneOf('autoOffsetReset', o.autoOffsetReset, ['earliest', 'latest', 'none'] as const, 'latest'),
    enableAutoCommit: groupId !== null && (o.enableAutoCommit ?? true),
    autoCommitIntervalMs: intOption('autoCommitIntervalMs', o.autoCommitIntervalMs, 5000, 1),
    fetchMinBytes: intOption('fetchMinBytes', o.fetchMinBytes, 1, 0, MAX_INT),
    fetchMaxBytes: intOption('fetchMaxBytes', o.fetchMaxBytes, 52_428_800, 1, MAX_INT),
    maxPartitionFetchBytes: intOption('maxPartitionFetchBytes', o.maxPartitionFetchBytes, 1_048_576, 1, MAX_INT),
    fetchMaxWaitMs: intOption('fetchMaxWaitMs', o.fetchMaxWaitMs, 500, 0, MAX_INT),
    maxPollRecords: intOption('maxPollRecords', o.maxPollRecords, 500, 1, MAX_INT),
    readCommitted: oneOf('isolationLevel', o.isolationLevel, ['read_uncommitted', 'read_committed'] as const, 'read_uncommitted') === 'read_committed',
    checkCrcs: o.checkCrcs ?? true,
    defaultApiTimeoutMs: intOption('defaultApiTimeoutMs', o.defaultApiTimeoutMs, 60_000, 1),
    allowAutoCreateTopics: o.allowAutoCreateTopics ?? true,
    excludeInternalTopics: o.excludeInternalTopics ?? true,
    clientRack: o.clientRack ? o.clientRack : null,
    rebalanceListener: o.rebalanceListener ?? null,
  }
}
