/**
 * Dumping and checking index files as kafka-dump-log.sh does:
 *
 * - `.index`: each entry `offset: O position: P`; the batch at P must end at O, else the entry
 *   is listed under "Mismatches in :<file>" (log offset -1 when no batch can be read there).
 *   Samsa's addition: entries whose offset or position is not above the previous entry's are
 *   listed under "Found out of order index entries in :<file>".
 * - `.timeindex`: each entry `timestamp: T offset: O`; a batch must end at O ("indexed offsets
 *   not found in the log" otherwise), its newest record must have timestamp T ("timestamp
 *   mismatch"), and timestamps must increase ("out of order timestamp").
 * - `--index-sanity-check`: Kafka's start-up checks of the index, plus Samsa's own (those
 *   that make a Samsa broker rebuild the index at start-up: entries strictly increasing and
 *   inside the log, the last offset entry matching the log). One line: passed, or why not.
 * - `.txnindex`: each aborted transaction, as Kafka (and Samsa) write them.
 *
 * Entries are read with storage's OffsetIndex / TimeIndex over the file's bytes, whole entries
 * only (a torn tail is what the sanity check reports). As in Kafka, entries stop at the first
 * that points at the base offset again: a Kafka broker that crashed leaves its preallocated,
 * zero-filled tail.
 */
import type { FileHandle } from 'node:fs/promises'
import { OffsetIndex } from '../storage/index/offset-index.js'
import { TimeIndex } from '../storage/index/time-index.js'
import { batchRecords, BatchFrames, type DumpFile } from './dump-log-segment.js'
import type { DumpReport } from './dump-log-report.js'

const HEADER_CHUNK = 4096
const NO_TIMESTAMP = -1

/** Storage's offset index over bytes read from a file, not loaded through a segment. */
class OffsetIndexFile extends OffsetIndex {
  constructor(path: string, baseOffset: number, data: Buffer) {
    super({ path, baseOffset, maxIndexBytes: data.length })
    this.buf = data
    this.count = Math.floor(data.length / this.entrySize)
  }
}

class TimeIndexFile extends TimeIndex {
  constructor(path: string, baseOffset: number, data: Buffer) {
    super({ path, baseOffset, maxIndexBytes: data.length })
    this.buf = data
    this.count = Math.floor(data.length / this.entrySize)
  }
}

/** The segment's `.log`, which the index checks read. */
export interface SegmentLog {
  fh: FileHandle
  path: string
  size: number
}

export interface IndexDumpOptions {
  verifyOnly: boolean
  sanityOnly: boolean
  /** --max-message-size: the batch at an index entry must be complete within this many bytes. */
  maxMessageSize: number
}

/** The last offset of the batch starting at `position`, or -1 when none can be read there. */
async function lastOffsetAt(log: SegmentLog, position: number, maxBytes: number): Promise<number> {
  if (position < 0 || position >= log.size) return -1
  const frames = new BatchFrames(log.fh, log.path, { from: position, end: Math.min(log.size, position + maxBytes), chunkSize: HEADER_CHUNK })
  const h = await frames.nextHeader()
  return h ? Number(h.lastOffset) : -1
}

export async function dumpOffsetIndex(
  file: DumpFile,
  data: Buffer,
  log: SegmentLog,
  opts: IndexDumpOptions,
  report: DumpReport,
): Promise<void> {
  const index = new OffsetIndexFile(file.absolute, file.baseOffset, data)
  if (index.entries === 0 && data.length % index.entrySize === 0) {
    report.out.line(`${file.path} is empty.`)
    return
  }
  if (opts.sanityOnly) {
    const problem = offsetIndexProblem(index, data.length, log.size) ?? (await lastEntryProblem(index, log, opts.maxMessageSize))
    if (problem) await report.fail(problem)
    else report.out.line(`${file.path} passed sanity check.`)
    return
  }
  let previous: { offset: number; position: number } | undefined
  for (let i = 0; i < index.entries; i++) {
    const offset = index.offsetAt(i)
    const position = index.positionAt(i)
    if (offset === index.baseOffset && i > 0) return
    const logOffset = await lastOffsetAt(log, position, opts.maxMessageSize)
    if (logOffset !== offset) report.indexMismatch(file.absolute, offset, logOffset)
    // Lookups binary-search the entries: one out of order misleads them even if it matches the log.
    if (previous && (offset <= previous.offset || position <= previous.position)) report.outOfOrderEntry(file.absolute, { offset, position }, previous)
    previous = { offset, position }
    if (!opts.verifyOnly) report.out.line(`offset: ${offset} position: ${position}`)
    report.progress(file.path, i + 1, index.entries, 'entries')
    await report.out.maybeFlush()
  }
}

/** Kafka's OffsetIndex.sanityCheck, then the checks Samsa's loader makes. */
function offsetIndexProblem(index: OffsetIndexFile, length: number, logSize: number): string | undefined {
  const file = index.path
  const last = index.lastEntry().offset
  if (index.entries !== 0 && last < index.baseOffset) {
    return `Corrupt index found, index file ${file} has non-zero size but the last offset is ${last} which is less than the base offset ${index.baseOffset}`
  }
  if (length % index.entrySize !== 0) {
    return `Index file ${file} is corrupt, found ${length} bytes which is neither positive nor a multiple of ${index.entrySize}`
  }
  const inconsistent = index.findInconsistency(logSize)
  return inconsistent && `Corrupt index found, index file ${file}: ${inconsistent}`
}

/** Samsa's loader also reads the batch at the last entry: it must end at the entry's offset. */
async function lastEntryProblem(index: OffsetIndexFile, log: SegmentLog, maxBytes: number): Promise<string | undefined> {
  const last = index.lastEntry()
  const found = await lastOffsetAt(log, last.position, maxBytes)
  if (found === last.offset) return undefined
  return `Corrupt index found, index file ${index.path}: the last entry (offset ${last.offset} position ${last.position}) does not match the log, where the batch there ends at offset ${found}`
}

export async function dumpTimeIndex(
  file: DumpFile,
  data: Buffer,
  log: SegmentLog,
  offsetIndexData: Buffer,
  opts: IndexDumpOptions,
  report: DumpReport,
): Promise<void> {
  const timeIndex = new TimeIndexFile(file.absolute, file.baseOffset, data)
  if (opts.sanityOnly) {
    const problem = timeIndexProblem(timeIndex, data.length)
    if (problem) await report.fail(problem)
    else report.out.line(`${file.path} passed sanity check.`)
    return
  }
  const offsetIndex = new OffsetIndexFile(file.absolute, file.baseOffset, offsetIndexData)
  let prevTimestamp = NO_TIMESTAMP
  for (let i = 0; i < timeIndex.entries; i++) {
    const timestamp = timeIndex.timestampAt(i)
    const offset = timeIndex.offsetAt(i)
    if (offset === timeIndex.baseOffset && i > 0) return
    const from = offsetIndex.lookup(offset).position
    const frames = new BatchFrames(log.fh, log.path, { from: Math.min(Math.max(from, 0), log.size), end: log.size, chunkSize: HEADER_CHUNK * 16 })
    let h = await frames.nextHeader()
    while (h && h.lastOffset < BigInt(offset)) h = await frames.nextHeader()
    if (!h) report.offsetNotFound(file.absolute, offset, -1)
    else if (h.lastOffset !== BigInt(offset)) report.offsetNotFound(file.absolute, offset, h.lastOffset)
    else {
      const logTimestamp = await maxRecordTimestamp(log, h.position, h.size, report)
      if (logTimestamp !== undefined && logTimestamp !== BigInt(timestamp)) report.timestampMismatch(file.absolute, timestamp, logTimestamp)
      if (prevTimestamp >= timestamp) report.outOfOrderTimestamp(file.absolute, timestamp, prevTimestamp)
    }
    if (!opts.verifyOnly) report.out.line(`timestamp: ${timestamp} offset: ${offset}`)
    prevTimestamp = timestamp
    report.progress(file.path, i + 1, timeIndex.entries, 'entries')
    await report.out.maybeFlush()
  }
}

/** The newest record timestamp of the batch at `position` (-1 with no records); undefined if unreadable. */
async function maxRecordTimestamp(log: SegmentLog, position: number, size: number, report: DumpReport): Promise<bigint | undefined> {
  const frames = new BatchFrames(log.fh, log.path, { from: position, end: position + size, chunkSize: size })
  const slice = await frames.next()
  if (!slice) return undefined
  try {
    const batch = await batchRecords(slice)
    let max = BigInt(NO_TIMESTAMP)
    for (const r of batch.records) if (r.timestamp > max) max = r.timestamp
    return max
  } catch (e) {
    await report.fail(`Cannot read the records of the batch at position ${position} of ${log.path}: ${(e as Error).message}`)
    return undefined
  }
}

/** Kafka's TimeIndex.sanityCheck, then the check Samsa's loader makes. */
function timeIndexProblem(index: TimeIndexFile, length: number): string | undefined {
  const file = index.path
  if (index.entries !== 0) {
    const last = index.lastEntry()
    const first = index.timestampAt(0)
    if (last.timestamp < first) {
      return `Corrupt time index found, time index file (${file}) has non-zero size but the last timestamp is ${last.timestamp} which is less than the first timestamp ${first}`
    }
    if (last.offset < index.baseOffset) {
      return `Corrupt time index found, time index file (${file}) has non-zero size but the last offset is ${last.offset} which is less than the first offset ${index.baseOffset}`
    }
  }
  if (length % index.entrySize !== 0) {
    return `Time index file ${file} is corrupt, found ${length} bytes which is neither positive nor a multiple of ${index.entrySize}`
  }
  const inconsistent = index.findInconsistency()
  return inconsistent && `Corrupt time index found, time index file (${file}): ${inconsistent}`
}

// ---- transaction index ---------------------------------------------------------------------------

/** Kafka's AbortedTxn: version int16, producerId, firstOffset, lastOffset, lastStableOffset (int64 each). */
const ABORTED_TXN_SIZE = 34
const ABORTED_TXN_VERSION = 0

export async function dumpTxnIndex(file: DumpFile, data: Buffer, report: DumpReport): Promise<void> {
  for (let at = 0; at + ABORTED_TXN_SIZE <= data.length; at += ABORTED_TXN_SIZE) {
    const version = data.readInt16BE(at)
    if (version > ABORTED_TXN_VERSION) {
      await report.fail(
        `Unexpected aborted transaction version ${version} in transaction index ${file.absolute}, current version is ${ABORTED_TXN_VERSION}`,
      )
      return
    }
    report.out.line(
      `version: ${version} producerId: ${data.readBigInt64BE(at + 2)} firstOffset: ${data.readBigInt64BE(at + 10)} ` +
        `lastOffset: ${data.readBigInt64BE(at + 18)} lastStableOffset: ${data.readBigInt64BE(at + 26)}`,
    )
    await report.out.maybeFlush()
  }
}
