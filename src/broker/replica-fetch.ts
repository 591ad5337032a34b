/**
 * ReplicaManager.fetchMessages: what a Fetch may read (Kafka's ReplicaManager.fetchMessages +
 * DelayedFetch). The Fetch handler works out which partitions a request (and its session)
 * reads; this reads them.
 *
 * - Only the leader serves, after the KIP-320 epoch check (FENCED_LEADER_EPOCH,
 *   UNKNOWN_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER); unknown partitions are
 *   UNKNOWN_TOPIC_OR_PARTITION.
 * - Fetch from the closest replica (KIP-392): a consumer that names its rack (Fetch v11+) is
 *   told, when replica.selector.class is the rack-aware selector, to read from an in-sync
 *   replica in its rack that has its offset (preferredReadReplica; no records this time), and
 *   such consumers may read from followers, up to the follower's high watermark.
 * - Consumers (replica id -1) read up to the high watermark; read_committed up to the last
 *   stable offset (UnifiedLog.lastStableOffset: the high watermark unless a transaction below
 *   it is undecided), which every answer reports. A follower
 *   (replica id >= 0, one of the partition's replicas) reads up to the log end, and its fetch
 *   offset is its log end offset: the leader records it, which may move the high watermark.
 * - Budgets: `maxBytes` per partition and for the whole response; the first batch found is
 *   returned whole even if larger (KIP-74), later partitions stop at the budget.
 * - Long poll: with fewer than `minBytes` to return it waits up to `maxWaitMs`, woken when a
 *   partition it reads moves (high watermark, truncation, log start; appends too for
 *   followers); an error on any partition answers at once.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import type { FileRange, UnifiedLog } from '../storage/index.js'
import { errorCodeOf } from './error-codes.js'
import type { Partition } from './partition.js'
import { LogWatch } from './purgatory.js'
import type { ReplicaManager } from './replica-manager.js'

const EMPTY = Buffer.alloc(0)

export interface FetchPartitionRequest {
  topic: string
  partition: number
  fetchOffset: number
  maxBytes: number
  /** -1: the client does not know (no check). */
  currentLeaderEpoch: number
  /** Already known to fail (the handler could not resolve it, e.g. UNKNOWN_TOPIC_ID). */
  error?: number
}

export interface FetchParams {
  /** -1 for consumers; a broker id for followers. */
  replicaId: number
  maxWaitMs: number
  minBytes: number
  maxBytes: number
  isolation: 'read_uncommitted' | 'read_committed'
  partitions: readonly FetchPartitionRequest[]
  /**
   * The consumer's rack (Fetch v11+; '' when it sets none): with the rack-aware selector the
   * leader may send it to a replica in that rack.
   */
  clientRack?: string
  /** A consumer of Fetch v11+ (KIP-392) may read from a follower; older ones only from leaders. */
  followerReadsAllowed?: boolean
  /**
   * Fetch v0-2 (Kafka's hardMaxBytesLimit): the budgets hold even for the first batch, which
   * is then cut (the old client sees a partial message and raises its fetch size). Otherwise
   * the first batch found is returned whole (KIP-74).
   */
  hardMaxBytes?: boolean
  /** Makes the buffers records are read into (a pool's, reused after the response is written); new ones by default. */
  buffer?: (size: number) => Buffer
  /** Aborted when the connection closes or the broker shuts down: the long poll ends at once. */
  signal: AbortSignal
}

export interface FetchedPartition {
  errorCode: number
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
  records: Buffer
  /** The replica the consumer should read this partition from (KIP-392); -1: keep asking this broker. */
  preferredReadReplica: number
  /** read_committed: aborted transactions overlapping the records read. */
  abortedTransactions?: Array<{ producerId: bigint; firstOffset: number }>
}

interface Target {
  req: FetchPartitionRequest
  log?: UnifiedLog
  partition?: Partition
  error?: number
  /** Sent elsewhere (KIP-392): answered with no records. */
  preferred?: number
}

interface Read {
  target: Target
  errorCode: number
  ranges: FileRange[]
  bytes: number
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
  abortedTransactions?: Array<{ producerId: bigint; firstOffset: number }>
}

export async function fetchMessages(rm: ReplicaManager, params: FetchParams): Promise<FetchedPartition[]> {
  const follower = params.replicaId >= 0
  const readCommitted = !follower && params.isolation === 'read_committed'
  const targets = await Promise.all(params.partitions.map((req) => resolve(rm, params, req)))
  const watch = new LogWatch(
    targets.flatMap((t) => (t.log && t.preferred === undefined ? [t.log] : [])),
    { wakeOnAppend: follower },
  )
  let result: Awaited<ReturnType<typeof readAll>>
  try {
    const deadline = Date.now() + Math.max(0, params.maxWaitMs)
    result = await readAll(targets, params.maxBytes, follower, params.hardMaxBytes === true, readCommitted)
    while (!result.errors && result.bytes < params.minBytes && targets.length > 0) {
      const left = deadline - Date.now()
      if (left <= 0 || !(await watch.wait(left, params.signal))) break
      result = await readAll(targets, params.maxBytes, follower, params.hardMaxBytes === true, readCommitted)
    }
  } finally {
    watch.close()
  }
  return Promise.all(
    result.reads.map(async (r) => ({
      errorCode: r.errorCode,
      highWatermark: r.highWatermark,
      lastStableOffset: r.lastStableOffset,
      logStartOffset: r.logStartOffset,
      records: await recordsOf(r, params.buffer),
      preferredReadReplica: r.target.preferred ?? -1,
      ...(r.abortedTransactions ? { abortedTransactions: r.abortedTransactions } : {}),
    })),
  )
}

/** Finds the partition and its log, with the leader and epoch checks; a follower's fetch is recorded. */
async function resolve(rm: ReplicaManager, params: FetchParams, req: FetchPartitionRequest): Promise<Target> {
  if (req.error !== undefined) return { req, error: req.error }
  try {
    const { partition, topic } = rm.hostedPartition(req.topic, req.partition)
    const fromFollower = params.replicaId >= 0
    if (!fromFollower && params.followerReadsAllowed && partition.role === 'follower') partition.checkLeaderEpoch(req.currentLeaderEpoch)
    else partition.checkLeader(req.currentLeaderEpoch)
    const log = await rm.logOf(partition, topic)
    if (fromFollower) {
      partition.updateFollowerFetchState(params.replicaId, req.fetchOffset, rm.time.now())
      rm.maybeExpandIsr(partition, params.replicaId)
    } else if (partition.role === 'follower') {
      rm.followerReads++
    } else if (params.clientRack) {
      const preferred = rm.preferredReadReplica(partition, params.clientRack, req.fetchOffset)
      if (preferred !== undefined) return { req, log, partition, preferred }
    }
    return { req, log, partition }
  } catch (err) {
    return { req, error: errorCodeOf(err) }
  }
}

/** What each partition can return now (byte ranges, not bytes), within the budgets. */
async function readAll(targets: Target[], maxBytes: number, follower: boolean, hardMaxBytes: boolean, readCommitted: boolean): Promise<{ reads: Read[]; bytes: number; errors: boolean }> {
  let budget = maxBytes
  let bytes = 0
  let errors = false
  const reads: Read[] = []
  // Sequential on purpose: each partition's budget depends on what the earlier ones took.
  for (const target of targets) {
    const log = target.log
    if (!log || target.error !== undefined) {
      errors = true
      reads.push({ target, errorCode: target.error ?? ErrorCode.UNKNOWN_SERVER_ERROR, ranges: [], bytes: 0, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1 })
      continue
    }
    const fetchOffset = target.req.fetchOffset
    if (target.preferred !== undefined) {
      reads.push({ target, errorCode: ErrorCode.NONE, ranges: [], bytes: 0, highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, logStartOffset: log.logStartOffset })
      continue
    }
    try {
      const limit = Math.min(target.req.maxBytes, budget)
      const lastStableOffset = log.lastStableOffset
      const upper = follower ? log.logEndOffset : readCommitted ? lastStableOffset : log.highWatermark
      const r =
        limit > 0 || bytes === 0
          ? await log.read({ fromOffset: fetchOffset, maxBytes: Math.max(limit, 0), maxOffset: upper, minOneBatch: bytes === 0 && !hardMaxBytes })
          : { ranges: [], bytes: 0, logStartOffset: log.logStartOffset, highWatermark: log.highWatermark, logEndOffset: log.logEndOffset }
      if (r.bytes === 0 && (fetchOffset < r.logStartOffset || fetchOffset > r.logEndOffset)) {
        throw new KafkaError('OFFSET_OUT_OF_RANGE')
      }
      budget -= r.bytes
      bytes += r.bytes
      const read: Read = { target, errorCode: ErrorCode.NONE, ranges: r.ranges, bytes: r.bytes, highWatermark: r.highWatermark, lastStableOffset, logStartOffset: r.logStartOffset }
      if (readCommitted && r.bytes > 0) read.abortedTransactions = log.abortedTransactions(fetchOffset, upper)
      reads.push(read)
    } catch (err) {
      errors = true
      reads.push({ target, errorCode: errorCodeOf(err), ranges: [], bytes: 0, highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, logStartOffset: log.logStartOffset })
    }
  }
  return { reads, bytes, errors }
}

async function recordsOf(read: Read, buffer: ((size: number) => Buffer) | undefined): Promise<Buffer> {
  const log = read.target.log
  if (!log || read.ranges.length === 0) return EMPTY
  // Ranges spanning segments are joined into a new buffer: only a single range reads into `buffer`'s.
  const into = read.ranges.length === 1 ? buffer : undefined
  const parts = await Promise.all(read.ranges.map((r) => log.readRange(r, into?.(r.length))))
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
}
