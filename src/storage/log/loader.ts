/**
 * Opens a partition directory: finds the segments, and after an unclean shutdown recovers
 * every segment from the one holding the recovery point onward — each batch's framing, CRC
 * and offsets are checked, the first bad batch and everything after it are cut away, and the
 * indexes are rebuilt. After a clean shutdown only the tail of the active segment is read
 * (to learn the log end offset), so opening thousands of partitions stays cheap.
 */
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { isNotFound } from '../errors.js'
import { readPartitionMetadata } from '../checkpoint/partition-metadata.js'
import {
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LEADER_EPOCH_CHECKPOINT_FILE,
  LOG_SUFFIX,
  PARTITION_METADATA_FILE,
  TIME_INDEX_SUFFIX,
  TMP_SUFFIX,
  parseSegmentFileName,
  segmentPath,
} from './file-names.js'
import { BatchScanner } from './batch-scanner.js'
import { SWAP_SUFFIX } from './cleaner/cleaner.js'
import { TXN_INDEX_SUFFIX } from '../index/txn-index.js'
import { readAt } from '../io/files.js'
import { LeaderEpochCache } from './leader-epoch-cache.js'
import { Segment, type SegmentContext } from './segment.js'
import { Segments } from './segments.js'

export interface LoadLogOptions {
  dir: string
  ctx: SegmentContext
  /** From recovery-point-offset-checkpoint; 0 when the partition is not in it. */
  recoveryPoint: number
  /** From log-start-offset-checkpoint, if present. */
  logStartOffset?: number
  hadCleanShutdown: boolean
}

export interface LoadedLog {
  segments: Segments
  logStartOffset: number
  logEndOffset: number
  recoveryPoint: number
  leaderEpochs: LeaderEpochCache
  topicId: string | undefined
  /** What recovery did, for logging and tests. */
  recovery: { scannedSegments: number; truncatedBytes: number; deletedSegments: number }
  /** The directory did not exist: this load created it. */
  created: boolean
}

export async function loadLog(options: LoadLogOptions): Promise<LoadedLog> {
  const { dir, ctx } = options
  let names: string[]
  let created = false
  try {
    names = await readdir(dir)
  } catch (err) {
    if (!isNotFound(err)) throw err
    await mkdir(dir, { recursive: true })
    created = true
    names = []
  }
  try {
    // Tests arm this to fail the creation of a partition (a full disk during CreateTopics).
    if (created) ctx.faults.check('log.create', dir)
    return { ...(await loadFiles(options, names)), created }
  } catch (err) {
    // A partition whose creation failed leaves no directory for the next start-up to adopt.
    if (created) await rm(dir, { recursive: true, force: true }).catch(() => {})
    throw err
  }
}

async function loadFiles(options: LoadLogOptions, names: string[]): Promise<Omit<LoadedLog, 'created'>> {
  const { dir, ctx } = options
  if (names.some((n) => n.endsWith(LOG_SUFFIX + SWAP_SUFFIX))) names = await finishSwaps(dir, names, ctx)
  const logBases: number[] = []
  const indexBases = new Set<string>()
  for (const name of names) {
    if (name.endsWith(DELETED_SUFFIX) || name.endsWith(TMP_SUFFIX) || name.endsWith('.cleaned') || name.endsWith('.swap')) {
      // Leftovers of a deletion, an atomic write or a compaction that did not finish.
      await unlinkQuietly(join(dir, name))
      continue
    }
    const base = parseSegmentFileName(name, LOG_SUFFIX)
    if (base !== undefined) logBases.push(base)
    else if (parseSegmentFileName(name, INDEX_SUFFIX) !== undefined || parseSegmentFileName(name, TIME_INDEX_SUFFIX) !== undefined) indexBases.add(name)
  }
  logBases.sort((a, b) => a - b)

  // Index files without a log are orphans of a deleted segment.
  const stems = new Set(logBases.map((b) => String(b).padStart(20, '0')))
  for (const name of indexBases) {
    if (!stems.has(name.slice(0, 20))) await unlinkQuietly(join(dir, name))
  }

  const segments = new Segments()
  const sizes = await Promise.all(logBases.map(async (base) => (await stat(join(dir, String(base).padStart(20, '0') + LOG_SUFFIX))).size))
  logBases.forEach((baseOffset, i) => segments.add(Segment.fromDisk(ctx, { dir, baseOffset, size: sizes[i]! })))

  const leaderEpochs = await LeaderEpochCache.load(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), ctx.logger)
  const topicId = (await readPartitionMetadata(join(dir, PARTITION_METADATA_FILE)).catch((err: Error) => {
    ctx.logger.warn(err.message)
    return undefined
  }))?.topicId

  const recovery = { scannedSegments: 0, truncatedBytes: 0, deletedSegments: 0 }
  if (segments.count === 0) {
    const seg = await Segment.create(ctx, { dir, baseOffset: options.logStartOffset ?? 0 })
    seg.activate()
    segments.add(seg)
  }
  const active = segments.last!
  active.activate()

  let logEndOffset: number
  let recoveryPoint = options.recoveryPoint
  if (options.hadCleanShutdown) {
    const tail = await active.loadTail({ onBatch: (b) => leaderEpochs.assign(b.partitionLeaderEpoch, b.baseOffset) })
    logEndOffset = tail.nextOffset ?? active.baseOffset
    recovery.truncatedBytes += tail.truncatedBytes
  } else {
    logEndOffset = await recoverUnflushed({ options, segments, leaderEpochs, recovery })
  }

  let logStartOffset = Math.max(options.logStartOffset ?? 0, segments.first!.baseOffset)
  if (logStartOffset > logEndOffset) {
    // The checkpoint is ahead of what survived on disk: start empty at the checkpointed offset.
    ctx.logger.warn(`${dir}: log start offset ${logStartOffset} is past the log end ${logEndOffset}; starting empty there`)
    for (const seg of segments.all()) {
      segments.remove(seg)
      await seg.deleteFiles()
      recovery.deletedSegments++
    }
    const fresh = await Segment.create(ctx, { dir, baseOffset: logStartOffset })
    fresh.activate()
    segments.add(fresh)
    logEndOffset = logStartOffset
    leaderEpochs.clear()
  }
  await segments.last!.ensureIndexes()
  recoveryPoint = options.hadCleanShutdown ? logEndOffset : Math.min(recoveryPoint, logEndOffset)
  // Epochs starting at or past the log end come from an append that did not land (its epoch
  // is written first) and go, as in Kafka. After a clean shutdown with nothing cut off, the file
  // is what the log held in memory, where an epoch starting exactly at the log end is a leader
  // that had not appended yet (assignEpochStartOffset): kept. Dropping it made every restart
  // write each partition's checkpoint twice (here, then when the leader assigned it again):
  // 20,000 fsynced writes at 10,000 partitions.
  const unchanged = options.hadCleanShutdown && recovery.truncatedBytes === 0 && recovery.deletedSegments === 0
  leaderEpochs.truncateFromEnd(unchanged ? logEndOffset + 1 : logEndOffset)
  leaderEpochs.truncateFromStart(logStartOffset)
  await leaderEpochs.flush()
  logStartOffset = Math.min(logStartOffset, logEndOffset)
  return { segments, logStartOffset, logEndOffset, recoveryPoint, leaderEpochs, topicId, recovery }
}

/**
 * Recovers the segments from the one holding the recovery point to the end. Returns the log
 * end offset. A segment cut short by corruption makes every later segment invalid: offsets
 * after a hole cannot be trusted to continue the log, so they are deleted (as Kafka does).
 * Unflushed segments must also be contiguous (each ends where the next begins), which holds
 * for everything appends and rolls write, and for the cleaner's output too: it cleans only below
 * the recovery point and keeps each cleaned group's last batch, so gaps stay inside segments.
 */
async function recoverUnflushed(args: {
  options: LoadLogOptions
  segments: Segments
  leaderEpochs: LeaderEpochCache
  recovery: LoadedLog['recovery']
}): Promise<number> {
  const { options, segments, leaderEpochs, recovery } = args
  const { ctx, dir } = options
  const unflushed = segments.range(options.recoveryPoint)
  const firstBase = unflushed[0]!.baseOffset
  leaderEpochs.truncateFromEnd(firstBase)
  let logEndOffset = firstBase
  for (let i = 0; i < unflushed.length; i++) {
    const seg = unflushed[i]!
    const next = unflushed[i + 1]
    recovery.scannedSegments++
    const result = await seg.recover({
      verifyCrc: true,
      truncate: true,
      onBatch: (b) => leaderEpochs.assign(b.partitionLeaderEpoch, b.baseOffset),
    })
    recovery.truncatedBytes += result.truncatedBytes
    let broken = result.truncatedBytes > 0 || result.problem !== undefined
    if (result.problem !== undefined) ctx.logger.warn(`${dir}: segment ${seg.baseOffset}: ${result.problem}; truncated ${result.truncatedBytes} bytes`)
    logEndOffset = result.nextOffset ?? Math.max(logEndOffset, seg.baseOffset)
    if (next && logEndOffset < next.baseOffset) {
      // Offsets are missing before the next segment: this segment lost its tail (writes reach
      // the disk in any order before an fsync), so what follows is not a continuation.
      ctx.logger.warn(`${dir}: segment ${seg.baseOffset} ends at ${logEndOffset}, before the next segment ${next.baseOffset}`)
      broken = true
    } else if (next && logEndOffset > next.baseOffset) {
      // The segment's last offsets run into the next segment: its tail is corrupt.
      ctx.logger.warn(`${dir}: segment ${seg.baseOffset} ends at ${logEndOffset}, past the next segment ${next.baseOffset}`)
      const cut = await seg.truncateTo(next.baseOffset)
      recovery.truncatedBytes += cut.truncatedBytes
      logEndOffset = cut.nextOffset ?? seg.baseOffset
      broken = true
    }
    if (broken && next) {
      for (const later of unflushed.slice(i + 1)) {
        segments.remove(later)
        await later.deleteFiles()
        recovery.deletedSegments++
      }
      if (!seg.active) seg.activate()
      // The cut segment is now the active one; it needs its tail state.
      if (seg.size > 0) logEndOffset = (await seg.loadTail()).nextOffset ?? seg.baseOffset
      break
    }
  }
  return logEndOffset
}

/**
 * A `<base>.log.swap` is a cleaned segment group the cleaner had fsynced and begun to swap in
 * (cleaner/cleaner.ts): it replaces every segment whose base offset lies in its range
 * [base, last offset + 1) — some may already be renamed `*.deleted` — and becomes `<base>.log`,
 * its indexes rebuilt on first use (Kafka's completeSwapOperations). `.cleaned` files, never
 * swapped, are dropped with the other leftovers: the segments they were cleaned from are intact.
 */
async function finishSwaps(dir: string, names: string[], ctx: SegmentContext): Promise<string[]> {
  for (const name of names) {
    if (!name.endsWith(LOG_SUFFIX + SWAP_SUFFIX)) continue
    const base = parseSegmentFileName(name.slice(0, -SWAP_SUFFIX.length), LOG_SUFFIX)
    if (base === undefined) continue
    const path = join(dir, name)
    const size = (await stat(path)).size
    const fh = await open(path, 'r')
    let end = base
    try {
      const scanner = new BatchScanner({ from: 0, end: size, chunkSize: 1 << 20, read: (pos, len) => readAt(fh, pos, len) })
      for (let b = await scanner.next(); b; b = await scanner.next()) end = b.lastOffset + 1
    } finally {
      await fh.close()
    }
    for (const other of names) {
      const b = parseSegmentFileName(other, LOG_SUFFIX)
      if (b === undefined || b < base || b >= end) continue
      for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, ...(b === base ? [] : [TXN_INDEX_SUFFIX])]) await unlinkQuietly(segmentPath(dir, b, suffix))
    }
    for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX]) await unlinkQuietly(segmentPath(dir, base, suffix))
    await rename(path, segmentPath(dir, base, LOG_SUFFIX))
    ctx.logger.info(`${dir}: finished the cleaner's swap of segment ${base} (offsets up to ${end})`)
  }
  return readdir(dir)
}

async function unlinkQuietly(path: string): Promise<void> {
  try {
    await unlink(path)
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
}
