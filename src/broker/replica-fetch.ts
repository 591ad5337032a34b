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
import type { FileRange, LogReadResult, UnifiedLog } from '../storage/index.js'
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
  const resolved = resolveAll(rm, params)
  const targets = resolved instanceof Promise ? await resolved : resolved
  const opts: ReadAllOptions = { maxBytes: params.maxBytes, follower, hardMaxBytes: params.hardMaxBytes === true, readCommitted }
  const deadline = Date.now() + Math.max(0, params.maxWaitMs)
  const enough = (r: ReadAll) => r.errors || r.bytes >= params.minBytes || targets.length === 0
  // A consumer keeping up reads synchronously (readAll), and then nothing can have changed
  // between its read and the watch starting: the watch is only set up when the read took I/O
  // (before awaiting it, so no change slips by meanwhile) or has to wait for more.
  let watch: LogWatch | undefined
  let result: ReadAll
  try {
    const first = readAll(targets, opts)
    if (first instanceof Promise) {
      watch = watchOf(targets, follower)
      result = await first
    } else result = first
    while (!enough(result)) {
      watch ??= watchOf(targets, follower)
      const left = deadline - Date.now()
      if (left <= 0 || !(await watch.wait(left, params.signal))) break
      const again = readAll(targets, opts)
      result = again instanceof Promise ? await again : again
    }
  } finally {
    watch?.close()
  }
  const out: FetchedPartition[] = []
  let pending: Array<Promise<unknown>> | undefined
  for (const r of result.reads) {
    const records = recordsOf(r, params.buffer)
    const fetched: FetchedPartition = {
      errorCode: r.errorCode,
      highWatermark: r.highWatermark,
      lastStableOffset: r.lastStableOffset,
      logStartOffset: r.logStartOffset,
      records: records instanceof Promise ? EMPTY : records,
      preferredReadReplica: r.target.preferred ?? -1,
      ...(r.abortedTransactions ? { abortedTransactions: r.abortedTransactions } : {}),
    }
    if (records instanceof Promise) (pending ??= []).push(records.then((b) => (fetched.records = b)))
    out.push(fetched)
  }
  if (pending) await Promise.all(pending)
  return out
}

function watchOf(targets: Target[], follower: boolean): LogWatch {
  const logs: UnifiedLog[] = []
  for (const t of targets) if (t.log && t.preferred === undefined) logs.push(t.log)
  return new LogWatch(logs, { wakeOnAppend: follower })
}

/** Every partition's target, at once when every log is open already. */
function resolveAll(rm: ReplicaManager, params: FetchParams): Target[] | Promise<Target[]> {
  const targets: Array<Target | Promise<Target>> = []
  let waits = false
  for (const req of params.partitions) {
    const t = resolve(rm, params, req)
    if (t instanceof Promise) waits = true
    targets.push(t)
  }
  return waits ? Promise.all(targets) : (targets as Target[])
}

/** Finds the partition and its log, with the leader and epoch checks; a follower's fetch is recorded. */
function resolve(rm: ReplicaManager, params: FetchParams, req: FetchPartitionRequest): Target | Promise<Target> {
  if (req.error !== undefined) return { req, error: req.error }
  try {
    const { partition, topic } = rm.hostedPartition(req.topic, req.partition)
    const fromFollower = params.replicaId >= 0
    if (!fromFollower && params.followerReadsAllowed && partition.role === 'follower') partition.checkLeaderEpoch(req.currentLeaderEpoch)
    else partition.checkLeader(req.currentLeaderEpoch)
    const log = rm.logOf(partition, topic)
    return log instanceof Promise
      ? log.then(
          (l) => withLog(rm, params, req, partition, l),
          (err: unknown) => ({ req, error: errorCodeOf(err) }),
        )
      : withLog(rm, params, req, partition, log)
  } catch (err) {
    return { req, error: errorCodeOf(err) }
  }
}

function withLog(rm: ReplicaManager, params: FetchParams, req: FetchPartitionRequest, partition: Partition, log: UnifiedLog): Target {
  try {
    if (params.replicaId >= 0) {
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

interface ReadAllOptions {
  maxBytes: number
  follower: boolean
  hardMaxBytes: boolean
  readCommitted: boolean
}

interface ReadAll {
  reads: Read[]
  bytes: number
  errors: boolean
}

/**
 * What each partition can return now (byte ranges, not bytes), within the budgets. Partitions
 * are read one after another on purpose: each one's budget depends on what the earlier ones
 * took. Synchronous while each log answers at once (UnifiedLog.read); the first that needs I/O
 * continues asynchronously from there.
 */
function readAll(targets: Target[], opts: ReadAllOptions): ReadAll | Promise<ReadAll> {
  const acc: ReadAll = { reads: [], bytes: 0, errors: false }
  for (let i = 0; i < targets.length; i++) {
    const wait = readOne(acc, targets[i]!, opts)
    if (wait) return finishReads(acc, targets, i, wait, opts)
  }
  return acc
}

async function finishReads(acc: ReadAll, targets: Target[], at: number, wait: Promise<void>, opts: ReadAllOptions): Promise<ReadAll> {
  await wait
  for (let i = at + 1; i < targets.length; i++) await readOne(acc, targets[i]!, opts)
  return acc
}

/** Reads one partition into `acc`; a promise when its log has to do I/O first. */
function readOne(acc: ReadAll, target: Target, opts: ReadAllOptions): Promise<void> | undefined {
  const log = target.log
  if (!log || target.error !== undefined) {
    acc.errors = true
    acc.reads.push({ target, errorCode: target.error ?? ErrorCode.UNKNOWN_SERVER_ERROR, ranges: [], bytes: 0, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1 })
    return undefined
  }
  if (target.preferred !== undefined) {
    acc.reads.push({ target, errorCode: ErrorCode.NONE, ranges: [], bytes: 0, highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, logStartOffset: log.logStartOffset })
    return undefined
  }
  const limit = Math.min(target.req.maxBytes, opts.maxBytes - acc.bytes)
  const lastStableOffset = log.lastStableOffset
  const upper = opts.follower ? log.logEndOffset : opts.readCommitted ? lastStableOffset : log.highWatermark
  try {
    const r =
      limit > 0 || acc.bytes === 0
        ? log.read({ fromOffset: target.req.fetchOffset, maxBytes: Math.max(limit, 0), maxOffset: upper, minOneBatch: acc.bytes === 0 && !opts.hardMaxBytes })
        : { ranges: [], bytes: 0, logStartOffset: log.logStartOffset, highWatermark: log.highWatermark, logEndOffset: log.logEndOffset }
    if (r instanceof Promise) return r.then((done) => took(acc, target, opts, done, lastStableOffset, upper)).catch((err: unknown) => failed(acc, target, err))
    took(acc, target, opts, r, lastStableOffset, upper)
  } catch (err) {
    failed(acc, target, err)
  }
  return undefined
}

function took(acc: ReadAll, target: Target, opts: ReadAllOptions, r: LogReadResult, lastStableOffset: number, upper: number): void {
  const fetchOffset = target.req.fetchOffset
  if (r.bytes === 0 && (fetchOffset < r.logStartOffset || fetchOffset > r.logEndOffset)) throw new KafkaError('OFFSET_OUT_OF_RANGE')
  acc.bytes += r.bytes
  const read: Read = { target, errorCode: ErrorCode.NONE, ranges: r.ranges, bytes: r.bytes, highWatermark: r.highWatermark, lastStableOffset, logStartOffset: r.logStartOffset }
  if (opts.readCommitted && r.bytes > 0) read.abortedTransactions = target.log!.abortedTransactions(fetchOffset, upper)
  acc.reads.push(read)
}

function failed(acc: ReadAll, target: Target, err: unknown): void {
  const log = target.log!
  acc.errors = true
  acc.reads.push({ target, errorCode: errorCodeOf(err), ranges: [], bytes: 0, highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, logStartOffset: log.logStartOffset })
}

function recordsOf(read: Read, buffer: ((size: number) => Buffer) | undefined): Buffer | Promise<Buffer> {
  const log = read.target.log
  if (!log || read.ranges.length === 0) return EMPTY
  // Ranges spanning segments are joined into a new buffer: only a single range reads into `buffer`'s.
  if (read.ranges.length === 1) return log.readRange(read.ranges[0]!, buffer?.(read.ranges[0]!.length))
  return Promise.all(read.ranges.map((r) => log.readRange(r))).then((parts) => Buffer.concat(parts))
}
