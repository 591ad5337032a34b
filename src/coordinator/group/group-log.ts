/**
 * `__consumer_offsets`: where the group coordinator keeps committed offsets and group
 * metadata, reached only through the coordinator's own InternalTopic interface. Created on
 * first use (a broker nobody uses for groups never has it), appended one uncompressed batch per
 * write, and replayed one partition at a time when this broker is elected its leader. It is
 * compacted by the broker's log cleaner like any cleanup.policy=compact topic (records keep their
 * offsets, gaps appear; log.cleaner.enable=false leaves it uncleaned, as in Kafka), and the replay
 * reads over the gaps.
 *
 * Ordering: appends to one partition run one at a time, in call order, from the admission check
 * through the write (and fsync, when the flush policy asks for one). So the order in which
 * append() promises resolve is the order of the records in the log, and callers that update
 * memory when their append resolves keep memory and log in agreement. A partition's load runs
 * in the same queue: it sees every write admitted before it, and none lands while it reads.
 * */
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import type { GroupMetadataValue } from '../../protocol/generated/coordinator/group/group-metadata.js'
import type { OffsetCommitKey } from '../../protocol/generated/coordinator/group/offset-commit.js'
import { BASE_OFFSET_OFFSET, LAST_OFFSET_DELTA_OFFSET, MAGIC_V2 } from '../../protocol/records/batch-header.js'
import { createBatch, decodeBatch, encodeBatchSync, type RecordBatch } from '../../protocol/records/batch.js'
import { ControlRecordType, decodeControlKey } from '../../protocol/records/control.js'
import { batchSlices } from '../../protocol/records/record-set.js'
import { Mutex } from '../../storage/mutex.js'
import type { Logger } from '../../util/logger.js'
import { systemTime, type Time } from '../../util/time.js'
import type { InternalTopic, InternalTopicSettings } from '../internal-topic.js'
import { groupPartition } from './group-hash.js'
import { decodeGroupRecord, type GroupLogEntry, type StoredOffset } from './group-records.js'

export const GROUP_METADATA_TOPIC = '__consumer_offsets'

/** Replays an offset commit (value) or its deletion (null); recordOffset orders commits. */
export type OffsetRecordHandler = (key: OffsetCommitKey, value: StoredOffset | null, recordOffset: number) => void

/** A transactional offset commit whose transaction had no marker yet when the partition was loaded. */
export type PendingOffsetHandler = (producerId: bigint, key: OffsetCommitKey, value: StoredOffset, recordOffset: number) => void

/** Restores membership from a GroupMetadata record (null: tombstone) while loading the log. */
export type GroupRecordHandler = (groupId: string, value: GroupMetadataValue | null) => void

export interface GroupLogOptions {
  topic: InternalTopic
  /** How the topic is created on first use (offsets.topic.* settings). */
  settings: InternalTopicSettings
  logger: Logger
  /** Batch timestamps. */
  time?: Time
}

export interface LoadStats {
  records: number
  /** Records not applied: unknown record types, undecodable records, aborted or unfinished transactions. */
  skipped: number
}

/**
 * How `__consumer_offsets` is created, with Kafka's settings: compacted, its own segment size,
 * batches kept as the coordinator wrote them.
 */
export function offsetsTopicSettings(c: { offsetsTopicPartitions: number; offsetsTopicReplicationFactor: number; offsetsTopicSegmentBytes: number }): InternalTopicSettings {
  return {
    partitions: c.offsetsTopicPartitions,
    replicationFactor: c.offsetsTopicReplicationFactor,
    configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(c.offsetsTopicSegmentBytes), 'compression.type': 'producer' },
  }
}

/** Read size while scanning a partition; one batch larger than this is still read whole. */
const SCAN_BYTES = 1 << 20

interface ScannedRecord {
  key: Buffer
  value: Buffer | null
  offset: number
  timestamp: number
}

export class GroupLog {
  private readonly topic: InternalTopic
  private readonly settings: InternalTopicSettings
  private readonly logger: Logger
  private readonly time: Time
  private readonly queues = new Map<number, Mutex>()
  private creation: Promise<number> | undefined
  private closed = false

  constructor(opts: GroupLogOptions) {
    this.topic = opts.topic
    this.settings = opts.settings
    this.logger = opts.logger.child({ component: 'group-log' })
    this.time = opts.time ?? systemTime
  }

  /** Partitions of `__consumer_offsets`: the existing topic's count, else offsets.topic.num.partitions. */
  get numPartitions(): number {
    return this.topic.partitionCount() ?? this.settings.partitions
  }

  partitionFor(groupId: string): number {
    return groupPartition(groupId, this.numPartitions)
  }

  exists(): boolean {
    return this.topic.partitionCount() !== undefined
  }

  /** A creation of the topic by this log is in flight (the topic may be visible already). */
  get creating(): boolean {
    return this.creation !== undefined
  }

  /**
   * Resolves when a creation of the topic by this log, if one is in flight, has ended: the topic
   * is visible before its creation is durable, and its partitions are announced only then.
   */
  created(): Promise<unknown> {
    return this.creation?.catch(() => undefined) ?? Promise.resolve()
  }

  /**
   * Creates `__consumer_offsets` unless it exists, with Kafka's settings (compacted, 100 MiB
   * segments); resolves with its partition count. Errors are COORDINATOR_NOT_AVAILABLE, as
   * Kafka answers while it cannot create it.
   */
  async ensureTopic(): Promise<number> {
    const existing = this.topic.partitionCount()
    if (existing !== undefined) return existing
    this.creation ??= this.create().finally(() => (this.creation = undefined))
    return this.creation
  }

  private async create(): Promise<number> {
    try {
      return await this.topic.create(this.settings)
    } catch (err) {
      const raced = this.topic.partitionCount()
      if (raced !== undefined) return raced
      this.logger.warn('cannot create __consumer_offsets', { error: (err as Error).message })
      throw new KafkaError('COORDINATOR_NOT_AVAILABLE', `cannot create ${GROUP_METADATA_TOPIC}: ${(err as Error).message}`)
    }
  }

  /**
   * Writes `entries` as one batch to `partition`. `admit`, called in the partition's queue just
   * before the write, may refuse it by throwing (the coordinator no longer leads the partition).
   * Resolves once written, and fsynced if the topic's flush policy says so. Throws KafkaError
   * mapped as Kafka's coordinators map write errors (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR,
   * UNKNOWN_SERVER_ERROR).
   */
  async append(partition: number, entries: readonly GroupLogEntry[], admit?: () => void, producer?: TxnProducer): Promise<{ firstOffset: number; lastOffset: number }> {
    if (this.closed) throw new KafkaError('NOT_COORDINATOR', 'the group coordinator is shutting down')
    if (entries.length === 0) return { firstOffset: -1, lastOffset: -1 }
    return this.queue(partition).run(async () => {
      admit?.()
      try {
        return await this.topic.append(partition, encodeEntries(entries, this.time.now(), producer))
      } catch (err) {
        throw coordinatorError(err)
      }
    })
  }

  private queue(partition: number): Mutex {
    let q = this.queues.get(partition)
    if (!q) {
      q = new Mutex()
      this.queues.set(partition, q)
    }
    return q
  }

  // ---- loading ---------------------------------------------------------------------------

  /**
   * Replays one partition from log start to log end, calling the handlers in log order.
   * Control batches are skipped; transactional offset commits are applied at their COMMIT
   * marker and dropped at ABORT. Records of unknown types or that do not decode are skipped
   * with a warning. Runs in the partition's append queue.
   */
  async load(partition: number, onOffset: OffsetRecordHandler, onGroup: GroupRecordHandler, onPendingOffset?: PendingOffsetHandler): Promise<LoadStats> {
    return this.queue(partition).run(async () => {
      const stats: LoadStats = { records: 0, skipped: 0 }
      const unknownTypes = new Map<number, number>()
      const { logStartOffset, logEndOffset } = await this.topic.offsets(partition)
      const { pending, aborted, open } = await this.scan(partition, logStartOffset, logEndOffset, (r) => {
        stats.records++
        let decoded
        try {
          decoded = decodeGroupRecord(r.key, r.value)
        } catch (err) {
          stats.skipped++
          this.logger.warn('skipping an undecodable __consumer_offsets record', { partition, offset: r.offset, error: (err as Error).message })
          return
        }
        if (decoded.type === 'offset') onOffset(decoded.key, decoded.value, r.offset)
        else if (decoded.type === 'group') onGroup(decoded.groupId, decoded.value)
        else {
          stats.skipped++
          unknownTypes.set(decoded.recordType, (unknownTypes.get(decoded.recordType) ?? 0) + 1)
        }
      })
      stats.skipped += aborted
      if (pending > 0 && onPendingOffset) {
        // A transaction still open: its commits wait for its marker, as they did before the load.
        for (const [producerId, records] of open) {
          for (const r of records) {
            const decoded = decodeGroupRecord(r.key, r.value)
            if (decoded.type === 'offset' && decoded.value) onPendingOffset(producerId, decoded.key, decoded.value, r.offset)
          }
        }
      } else if (pending > 0) {
        stats.skipped += pending
        this.logger.warn('transactional offset commits without a commit or abort marker were not applied', { partition, records: pending })
      }
      for (const [type, count] of unknownTypes) {
        this.logger.warn('skipped __consumer_offsets records of a type this broker does not know (e.g. KIP-848 or share groups)', { partition, recordType: type, records: count })
      }
      return stats
    })
  }

  /**
   * Visits the records of [from, to) in log order. Transactional records are held back until
   * their marker (visited at a commit, counted as skipped at an abort); `pending` counts those
   * still waiting at `to`. A batch that does not decode is skipped with a warning.
   */
  private async scan(partition: number, from: number, to: number, visit: (r: ScannedRecord) => void): Promise<{ next: number; pending: number; aborted: number; open: Map<bigint, ScannedRecord[]> }> {
    const open = new Map<bigint, ScannedRecord[]>()
    let aborted = 0
    let pos = from
    while (pos < to) {
      const buf = await this.topic.read(partition, { fromOffset: pos, toOffset: to, maxBytes: SCAN_BYTES })
      let advanced = false
      for (const slice of batchSlices(buf)) {
        const base = Number(slice.bytes.readBigInt64BE(BASE_OFFSET_OFFSET))
        if (slice.magic !== MAGIC_V2) {
          this.logger.warn('skipping a pre-0.11 message in __consumer_offsets', { partition, offset: base })
          pos = Math.max(pos, base + 1)
          advanced = true
          continue
        }
        const lastOffset = base + slice.bytes.readInt32BE(LAST_OFFSET_DELTA_OFFSET)
        if (lastOffset < pos) continue
        let batch: RecordBatch
        try {
          batch = await decodeBatch(slice.bytes, { verifyCrc: false })
        } catch (err) {
          this.logger.warn('skipping an undecodable __consumer_offsets batch', { partition, offset: base, error: (err as Error).message })
          pos = lastOffset + 1
          advanced = true
          continue
        }
        this.visitBatch(batch, pos, open, visit, () => aborted++)
        pos = lastOffset + 1
        advanced = true
      }
      if (!advanced) break
    }
    let pending = 0
    for (const list of open.values()) pending += list.length
    return { next: pos, pending, aborted, open }
  }

  private visitBatch(batch: RecordBatch, from: number, open: Map<bigint, ScannedRecord[]>, visit: (r: ScannedRecord) => void, onAborted: () => void): void {
    const base = Number(batch.baseOffset)
    if (batch.isControl) {
      const marker = batch.records[0]
      if (!marker) return
      const type = decodeControlKey(marker.key).type
      const held = open.get(batch.producerId) ?? []
      open.delete(batch.producerId)
      if (type === ControlRecordType.Commit) for (const r of held) visit(r)
      else if (type === ControlRecordType.Abort) for (let i = 0; i < held.length; i++) onAborted()
      return
    }
    for (const rec of batch.records) {
      const offset = base + rec.offsetDelta
      if (offset < from || rec.key === null) continue
      // Copies: decoded records are views into the whole read chunk, which whatever keeps a
      // record (a held transactional commit, a group's assignment bytes) would otherwise keep alive.
      const r: ScannedRecord = { key: Buffer.from(rec.key), value: rec.value && Buffer.from(rec.value), offset, timestamp: Number(batch.baseTimestamp) + rec.timestampDelta }
      if (batch.isTransactional) {
        const list = open.get(batch.producerId) ?? []
        list.push(r)
        open.set(batch.producerId, list)
      } else {
        visit(r)
      }
    }
  }

  /** Waits for writes in flight; later ones are refused. */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.queues.values()].map((q) => q.run(async () => {})))
  }
}

/** The producer of a transactional offset commit (TxnOffsetCommit): its batch is part of its transaction. */
export interface TxnProducer {
  producerId: bigint
  producerEpoch: number
}

function encodeEntries(entries: readonly GroupLogEntry[], now: number, producer?: TxnProducer): Buffer {
  const records = entries.map((e, i) => ({ timestampDelta: 0, offsetDelta: i, key: e.key, value: e.value, headers: [] }))
  const txn = producer ? { producerId: producer.producerId, producerEpoch: producer.producerEpoch, isTransactional: true } : {}
  return encodeBatchSync(createBatch({ baseTimestamp: BigInt(now), records, ...txn }))
}

/**
 * Maps a write error to what Kafka's coordinators answer (CoordinatorOperationExceptionHelper).
 * The internal topic reports KafkaErrors; anything else is a bug, answered UNKNOWN_SERVER_ERROR.
 */
export function coordinatorError(err: unknown): KafkaError {
  const message = (err as Error)?.message
  if (!(err instanceof KafkaError)) return new KafkaError('UNKNOWN_SERVER_ERROR', message)
  switch (err.code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.REQUEST_TIMED_OUT:
      return new KafkaError('COORDINATOR_NOT_AVAILABLE', message)
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return new KafkaError('NOT_COORDINATOR', message)
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return new KafkaError('UNKNOWN_SERVER_ERROR', message)
    default:
      return err
  }
}
