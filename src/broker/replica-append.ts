/**
 * ReplicaManager.appendRecords: how records reach a partition's log (Kafka's
 * ReplicaManager.appendRecords + DelayedProduce).
 *
 * For each partition, in this order: it must exist (UNKNOWN_TOPIC_OR_PARTITION), a client may
 * not write to an internal topic (INVALID_TOPIC_EXCEPTION), this broker must lead it
 * (NOT_LEADER_OR_FOLLOWER), and for acks=-1 the ISR must hold min.insync.replicas
 * (NOT_ENOUGH_REPLICAS) — all checked before anything is written. The log validates the
 * records (once) and appends them; the leader's high-watermark rule then runs.
 *
 * acks=0 and acks=1 are answered once the leader has appended. acks=-1 waits, as a delayed
 * produce, until the high watermark passes the last offset written, for at most the request's
 * timeout (REQUEST_TIMED_OUT); if the broker stops leading the partition meanwhile the answer is
 * NOT_LEADER_OR_FOLLOWER. The records stay in the log either way, as in Kafka.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import { isStorageError, type AppendOrigin, type RecordError } from '../storage/index.js'
import { errorCodeOf } from './error-codes.js'
import { awaitHighWatermark } from './purgatory.js'
import { trace } from '../util/trace.js'
import type { Partition } from './partition.js'
import type { ReplicaManager } from './replica-manager.js'

export interface AppendEntry {
  topic: string
  partition: number
  records: Buffer
}

/**
 * A request's place in its connection's order of appends. Kafka handles one request per
 * connection at a time, so a producer with several requests in flight (and no retries) finds
 * its records in the log in the order it sent them; Samsa runs a connection's requests
 * concurrently, and keeps that order for appends with a turn: wait() resolves once the previous
 * Produce request on the connection has appended, done() lets the next one append. Waiting for
 * the in-sync replicas (acks=-1) still overlaps.
 */
export interface AppendTurn {
  wait(): Promise<void>
  done(): void
}

export interface AppendRequest {
  entries: readonly AppendEntry[]
  acks: -1 | 0 | 1
  /** How long acks=-1 waits for the in-sync replicas. */
  timeoutMs: number
  /** A client's records are validated with its request's rules; a coordinator's are its own. */
  origin: AppendOrigin
  /** Kafka's internalTopicsAllowed: only the broker's coordinators write to `__` topics. */
  internalTopicsAllowed: boolean
  /** Aborted when the client goes away: a waiting acks=-1 stops waiting. */
  signal?: AbortSignal
  /** The connection's order of appends (Produce); without it the request appends at once. */
  turn?: AppendTurn
  /**
   * Trace mode (util/trace.ts): the request's marks hang on this object. Each partition's
   * append is traced the moment it is in the log, before the high watermark moves: moving it
   * wakes waiting fetches, which may return before this request is answered.
   */
  traceOn?: object
}

export interface AppendOutcome {
  topic: string
  partition: number
  errorCode: number
  errorMessage: string | null
  /** -1 on error. */
  baseOffset: number
  lastOffset: number
  /** The broker time stamped under LogAppendTime, else -1. */
  logAppendTime: number
  logStartOffset: number
  /** Per-record errors (keyless records on a compacted topic). */
  recordErrors: RecordError[]
  /** What validation corrected in the batch (for a debug log). */
  corrections: string[]
}

function failed(e: AppendEntry, err: unknown): AppendOutcome {
  return {
    topic: e.topic,
    partition: e.partition,
    errorCode: errorCodeOf(err),
    errorMessage: (err as Error)?.message ?? null,
    baseOffset: -1,
    lastOffset: -1,
    logAppendTime: -1,
    logStartOffset: -1,
    recordErrors: isStorageError(err) ? [...err.recordErrors] : [],
    corrections: [],
  }
}

export async function appendRecords(rm: ReplicaManager, req: AppendRequest): Promise<AppendOutcome[]> {
  if (req.turn) await req.turn.wait()
  let written: Awaited<ReturnType<typeof appendOne>>[]
  try {
    written = await Promise.all(req.entries.map((e) => appendOne(rm, req, e)))
  } finally {
    req.turn?.done()
  }
  if (req.acks !== -1) return written.map((w) => w.outcome)
  // One deadline for the whole request, as Kafka's DelayedProduce has.
  const deadline = rm.time.now() + Math.max(0, req.timeoutMs)
  return Promise.all(
    written.map(async ({ outcome, partition, leaderEpoch, minIsr }) => {
      if (outcome.errorCode !== ErrorCode.NONE || !partition) return outcome
      const code = await awaitHighWatermark({ partition, offset: outcome.lastOffset + 1, leaderEpoch, time: rm.time, deadline, ...(req.signal ? { signal: req.signal } : {}) })
      if (code === ErrorCode.NONE && partition.isr.length < minIsr) {
        // Kafka's rule: the records are replicated to the ISR, but the ISR shrank below
        // min.insync.replicas on the way, so the durability asked for is not there.
        const err = new KafkaError('NOT_ENOUGH_REPLICAS_AFTER_APPEND', `The records reached every in-sync replica of ${partition.name}, but the ISR (${partition.isr.join(',')}) is smaller than min.insync.replicas=${minIsr}.`)
        return failed({ topic: outcome.topic, partition: outcome.partition, records: Buffer.alloc(0) }, err)
      }
      if (code === ErrorCode.NONE) return outcome
      const message =
        code === ErrorCode.REQUEST_TIMED_OUT
          ? `The in-sync replicas of ${partition.name} did not acknowledge offset ${outcome.lastOffset} within ${req.timeoutMs} ms; the records are in the leader's log.`
          : `Broker ${rm.nodeId} stopped leading ${partition.name} before the in-sync replicas acknowledged offset ${outcome.lastOffset}.`
      return { ...failed({ topic: outcome.topic, partition: outcome.partition, records: Buffer.alloc(0) }, new KafkaError(code, message)) }
    }),
  )
}

async function appendOne(rm: ReplicaManager, req: AppendRequest, e: AppendEntry): Promise<{ outcome: AppendOutcome; partition?: Partition; leaderEpoch: number; minIsr: number }> {
  let minIsr = 1
  try {
    const { partition, topic } = rm.hostedPartition(e.topic, e.partition)
    if (topic.internal && !req.internalTopicsAllowed) throw new KafkaError('INVALID_TOPIC_EXCEPTION', `Cannot append to internal topic ${e.topic}`)
    partition.checkLeader()
    if (req.acks === -1) {
      minIsr = Number(rm.effectiveConfigs(topic).get('min.insync.replicas')!.value)
      if (partition.isr.length < minIsr) {
        throw new KafkaError('NOT_ENOUGH_REPLICAS', `The ISR of ${partition.name} has ${partition.isr.length} replica(s) (${partition.isr.join(',')}), fewer than min.insync.replicas=${minIsr}; nothing was written.`)
      }
    }
    const leaderEpoch = partition.leaderEpoch
    const maybeLog = rm.logOf(partition, topic)
    const log = maybeLog instanceof Promise ? await maybeLog : maybeLog
    const r = await log.appendAsLeader(e.records, { leaderEpoch, origin: req.origin })
    if (req.traceOn) trace?.emit(req.traceOn, 'broker.appended', e.topic, e.partition, BigInt(r.firstOffset), BigInt(r.lastOffset))
    partition.maybeIncrementHighWatermark()
    return {
      outcome: {
        topic: e.topic,
        partition: e.partition,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        baseOffset: r.firstOffset,
        lastOffset: r.lastOffset,
        logAppendTime: r.logAppendTime,
        logStartOffset: r.logStartOffset,
        recordErrors: [],
        corrections: r.corrections,
      },
      partition,
      leaderEpoch,
      minIsr,
    }
  } catch (err) {
    return { outcome: failed(e, err), leaderEpoch: -1, minIsr }
  }
}
