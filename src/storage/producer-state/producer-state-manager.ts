/**
 * The producer state of one partition (Kafka's ProducerStateManager): per producer id what
 * ProducerStateEntry holds, the transactions open in the partition, and the `.snapshot` files
 * that let a restart skip replaying the log.
 *
 * An append goes prepare → write → commit: `prepare` checks the batches against the state and
 * answers either a duplicate (a retry of one of the last five batches: the log writes nothing
 * and answers the original offsets) or the updated entries, which `commit` installs only once
 * the bytes are in the log. A failed write therefore leaves the state as it was.
 *
 * The state at offset N is a pure function of the log below N, so it can always be rebuilt:
 * `load` (and `truncateAndReload`) start from the newest intact snapshot at or below the log end
 * and replay batch headers from there (markers are read for their type). Snapshots are taken
 * at segment roll and at close, like Kafka's; those past a recovered log end (a crash lost the
 * data they describe) are deleted.
 */
import { rm } from 'node:fs/promises'
import type { BatchInfo } from '../log/batch-scanner.js'
import { NO_PRODUCER_ID } from '../log/batch-scanner.js'
import type { StorageLogger } from '../logger.js'
import { ProducerAppendInfo, type CompletedTxn, type ProducerOrigin, type StartedTxn } from './producer-append.js'
import { firstOffsetOf, incrementSequence, ProducerStateEntry, type BatchMetadata } from './producer-state-entry.js'
import { CorruptSnapshotError, encodeSnapshot, listSnapshots, readSnapshot, snapshotPath, writeSnapshot } from './snapshot-file.js'

/** A commit or abort marker as read from a control batch. */
export interface MarkerInfo {
  commit: boolean
  coordinatorEpoch: number
  /** The record's timestamp. */
  timestamp: number
}

/** A batch to check, with the offsets the leader assigned; a control batch carries its marker. */
export interface ProducerBatch {
  info: BatchInfo
  marker?: MarkerInfo
  /** For markers from WriteTxnMarkers: its transaction version. */
  transactionVersion?: number
}

/** What prepare decided: a retry of a batch already in the log, or the state after this append. */
export type PreparedProducers =
  | { kind: 'duplicate'; firstOffset: number; lastOffset: number; timestamp: number }
  | { kind: 'append'; appends: ProducerAppendInfo[]; completed: CompletedTxn[] }

/** Replays the log's batches from `fromOffset` to its end, in order, through `apply`. */
export type Replay = (fromOffset: number, apply: (batch: ProducerBatch) => void) => Promise<void>

/** Where the log stands when the state is rebuilt. */
export interface LogExtent {
  logStartOffset: number
  logEndOffset: number
  /** Base offsets of the segments: a snapshot is trusted only at one of them or at the log end. */
  segmentBaseOffsets: readonly number[]
  now: number
  replay: Replay
  /**
   * Use no snapshot above this offset (the log's recovery point): what lies past it may not
   * have reached the disk whole, so it is replayed, and the aborts found on the way are handed
   * back (replayedAborts) for the transaction index to check.
   */
  snapshotAtOrBelow?: number
}

/** An aborted transaction met while replaying the log, with the last stable offset it left. */
export interface ReplayedAbort {
  producerId: bigint
  firstOffset: number
  lastOffset: number
  lastStableOffset: number
}

export interface ProducerStateManagerOptions {
  /** The partition directory (where the `.snapshot` files are). */
  dir: string
  /** `<topic>-<partition>`, for messages. */
  name: string
  logger: StorageLogger
  /** producer.id.expiration.ms: a producer without an open transaction is forgotten this long after its last write. */
  expirationMs: number
}

const NO_APPENDS: PreparedProducers = { kind: 'append', appends: [], completed: [] }

export class ProducerStateManager {
  readonly dir: string
  expirationMs: number
  private readonly name: string
  private readonly logger: StorageLogger
  private readonly producers = new Map<bigint, ProducerStateEntry>()
  /** Open transactions by first offset. */
  private readonly ongoing = new Map<number, StartedTxn>()
  /** Offsets of the snapshot files on disk, ascending. */
  private snapshots: number[] = []
  private mapEnd = 0
  private lastSnap = 0
  private replayed: ReplayedAbort[] = []

  private constructor(options: ProducerStateManagerOptions) {
    this.dir = options.dir
    this.name = options.name
    this.logger = options.logger
    this.expirationMs = options.expirationMs
  }

  /** Rebuilds the state at `logEndOffset`: the newest intact snapshot at or below it, then the log past it. */
  static async load(options: ProducerStateManagerOptions & LogExtent): Promise<ProducerStateManager> {
    const psm = new ProducerStateManager(options)
    psm.snapshots = await listSnapshots(options.dir)
    await psm.reload(options)
    return psm
  }

  /** The aborted transactions the last load replayed (each once: the list is emptied). */
  takeReplayedAborts(): ReplayedAbort[] {
    const out = this.replayed
    this.replayed = []
    return out
  }

  // ---- reading ---------------------------------------------------------------------------

  /** The state is that of the log below this offset (the log end offset, between appends). */
  get mapEndOffset(): number {
    return this.mapEnd
  }
  get producerIdCount(): number {
    return this.producers.size
  }
  lastEntry(producerId: bigint): ProducerStateEntry | undefined {
    return this.producers.get(producerId)
  }
  activeProducers(): ReadonlyMap<bigint, ProducerStateEntry> {
    return this.producers
  }
  /** First offset of the oldest open transaction; undefined when none is open. */
  firstUndecidedOffset(): number | undefined {
    let first: number | undefined
    for (const offset of this.ongoing.keys()) if (first === undefined || offset < first) first = offset
    return first
  }
  snapshotOffsets(): readonly number[] {
    return this.snapshots
  }
  get latestSnapshotOffset(): number | undefined {
    return this.snapshots.at(-1)
  }

  // ---- appends ---------------------------------------------------------------------------

  /**
   * Checks an append's batches (offsets assigned) against the state without changing it.
   * Throws StorageError (INVALID_PRODUCER_EPOCH, OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_TXN_STATE,
   * TRANSACTION_COORDINATOR_FENCED) for the first batch that may not be written.
   */
  prepare(batches: readonly ProducerBatch[], origin: ProducerOrigin): PreparedProducers {
    let appends: Map<bigint, ProducerAppendInfo> | undefined
    const completed: CompletedTxn[] = []
    for (const { info: b, marker, transactionVersion } of batches) {
      if (b.producerId === NO_PRODUCER_ID) continue
      const current = this.producers.get(b.producerId)
      if (origin === 'client' && current && !b.isControl) {
        const dup = current.findDuplicateBatch(b.producerEpoch, b.baseSequence, lastSequenceOf(b))
        if (dup) return duplicateOf(dup)
      }
      appends ??= new Map()
      let append = appends.get(b.producerId)
      if (!append) {
        append = new ProducerAppendInfo({ partition: this.name, producerId: b.producerId, current, origin, logger: this.logger })
        appends.set(b.producerId, append)
      }
      if (b.isControl) {
        // A control batch without a marker (another control type, or emptied by the cleaner) changes nothing.
        if (!marker) continue
        const done = append.appendEndTxnMarker({ ...marker, producerEpoch: b.producerEpoch, offset: b.baseOffset, ...(transactionVersion !== undefined ? { transactionVersion } : {}) })
        if (done) completed.push(done)
      } else {
        append.appendDataBatch({
          producerEpoch: b.producerEpoch,
          baseSequence: b.baseSequence,
          lastSequence: lastSequenceOf(b),
          maxTimestamp: b.maxTimestamp,
          firstOffset: b.baseOffset,
          lastOffset: b.lastOffset,
          isTransactional: b.isTransactional,
        })
      }
    }
    return appends ? { kind: 'append', appends: [...appends.values()], completed } : NO_APPENDS
  }

  /** Installs what prepare decided, once the append is in the log; the state is now that below `endOffset`. */
  commit(prepared: PreparedProducers, endOffset: number): void {
    if (prepared.kind === 'append') {
      for (const a of prepared.appends) {
        this.producers.set(a.producerId, a.updated)
        for (const t of a.started) this.ongoing.set(t.firstOffset, t)
      }
      for (const c of prepared.completed) this.ongoing.delete(c.firstOffset)
    }
    this.mapEnd = Math.max(this.mapEnd, endOffset)
  }

  /** Replays one batch already in the log (recovery): a follower's rules, and never a refusal. */
  private replayBatch(batch: ProducerBatch): void {
    const b = batch.info
    if (b.producerId !== NO_PRODUCER_ID) {
      try {
        const prepared = this.prepare([batch], 'replication')
        this.commit(prepared, b.lastOffset + 1)
        if (prepared.kind === 'append') {
          for (const t of prepared.completed) {
            // Kafka's rule for the entry's last stable offset: the oldest transaction still open, else just past the marker.
            if (t.isAborted) this.replayed.push({ producerId: t.producerId, firstOffset: t.firstOffset, lastOffset: t.lastOffset, lastStableOffset: this.firstUndecidedOffset() ?? t.lastOffset + 1 })
          }
        }
      } catch (err) {
        // The log holds it, so the state must follow it; only a data batch inside an open
        // transaction that is not transactional can end here, and Kafka stops the same way.
        this.logger.warn(`${this.name}: producer state replay at offset ${b.baseOffset}: ${(err as Error).message}`)
      }
    }
    this.mapEnd = Math.max(this.mapEnd, b.lastOffset + 1)
  }

  // ---- expiry ----------------------------------------------------------------------------

  private isExpired(now: number, e: ProducerStateEntry): boolean {
    return e.currentTxnFirstOffset < 0 && now - e.lastTimestamp >= this.expirationMs
  }

  /** Forgets producers idle past producer.id.expiration.ms (none with an open transaction); returns how many. */
  removeExpiredProducers(now: number): number {
    let removed = 0
    for (const [id, e] of this.producers) {
      if (this.isExpired(now, e)) {
        this.producers.delete(id)
        removed++
      }
    }
    return removed
  }

  // ---- snapshots -------------------------------------------------------------------------

  /**
   * Writes a snapshot at the map end offset unless one exists there. The state is encoded
   * before the first await, so appends after the call do not leak into it.
   */
  async takeSnapshot(): Promise<void> {
    const offset = this.mapEnd
    if (offset <= this.lastSnap) return
    const bytes = encodeSnapshot(this.producers.values())
    this.lastSnap = offset
    await writeSnapshot(snapshotPath(this.dir, offset), bytes)
    if (!this.snapshots.includes(offset)) this.snapshots = [...this.snapshots, offset].sort((a, b) => a - b)
  }

  /** Deletes snapshots below `offset` (their segments were deleted). */
  async deleteSnapshotsBefore(offset: number): Promise<void> {
    const doomed = this.snapshots.filter((o) => o < offset)
    if (doomed.length === 0) return
    this.snapshots = this.snapshots.filter((o) => o >= offset)
    for (const o of doomed) await rm(snapshotPath(this.dir, o), { force: true })
  }

  // ---- truncation ------------------------------------------------------------------------

  /**
   * The log was cut back to `logEndOffset` (a follower diverged): snapshots past it go, and
   * the state is rebuilt from the newest one left and the log after it.
   */
  async truncateAndReload(options: LogExtent): Promise<void> {
    if (options.logEndOffset === this.mapEnd) return
    await this.reload(options)
  }

  /** The log was emptied and restarts at `offset`. */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    this.producers.clear()
    this.ongoing.clear()
    const doomed = this.snapshots
    this.snapshots = []
    for (const o of doomed) await rm(snapshotPath(this.dir, o), { force: true })
    this.mapEnd = offset
    this.lastSnap = 0
  }

  private async reload(options: LogExtent): Promise<void> {
    const { logStartOffset, logEndOffset, now } = options
    this.producers.clear()
    this.ongoing.clear()
    // A snapshot past the log end describes data a crash (or a truncation) took away. One that
    // is neither at a segment's start nor at the log end may describe batches recovery cut
    // (a damaged batch whose offset field jumped ahead ends the log past it), or is left by an
    // undone roll: the log is replayed instead.
    const bases = new Set(options.segmentBaseOffsets)
    const trusted = (o: number) => o >= logStartOffset && o <= logEndOffset && (bases.has(o) || o === logEndOffset)
    for (const o of this.snapshots.filter((o) => !trusted(o))) await rm(snapshotPath(this.dir, o), { force: true })
    this.snapshots = this.snapshots.filter(trusted)
    this.mapEnd = logStartOffset
    this.lastSnap = logStartOffset
    this.replayed = []
    // Snapshots above the limit stay on disk (they are sound); this load starts below them.
    const limit = options.snapshotAtOrBelow ?? logEndOffset
    let usable = this.snapshots.filter((o) => o <= limit)
    while (usable.length > 0) {
      const offset = usable.at(-1)!
      const path = snapshotPath(this.dir, offset)
      try {
        for (const e of await readSnapshot(path)) {
          if (this.isExpired(now, e)) continue
          this.producers.set(e.producerId, e)
          if (e.currentTxnFirstOffset >= 0) this.ongoing.set(e.currentTxnFirstOffset, { producerId: e.producerId, firstOffset: e.currentTxnFirstOffset })
        }
        this.mapEnd = offset
        this.lastSnap = offset
        break
      } catch (err) {
        if (!(err instanceof CorruptSnapshotError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        this.logger.warn(`${this.name}: ignoring producer snapshot ${path}: ${(err as Error).message}`)
        this.producers.clear()
        this.ongoing.clear()
        await rm(path, { force: true })
        this.snapshots = this.snapshots.filter((o) => o !== offset)
        usable = usable.slice(0, -1)
      }
    }
    if (this.mapEnd < logEndOffset) await options.replay(this.mapEnd, (b) => this.replayBatch(b))
    this.mapEnd = logEndOffset
  }
}

/** Kafka's RecordBatch.lastSequence: the base sequence plus the offset span, wrapping. */
export function lastSequenceOf(b: BatchInfo): number {
  if (b.baseSequence < 0) return b.baseSequence
  return incrementSequence(b.baseSequence, b.lastOffset - b.baseOffset)
}

function duplicateOf(b: BatchMetadata): PreparedProducers {
  return { kind: 'duplicate', firstOffset: firstOffsetOf(b), lastOffset: b.lastOffset, timestamp: b.timestamp }
}
