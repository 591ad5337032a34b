/**
 * Dumping a `.log` segment as kafka-dump-log.sh does: one line per batch (every header field,
 * the CRC and whether it checks out), with --deep-iteration one line per record, with
 * --print-data-log the key and value through the chosen parser.
 *
 * Batches are framed as Kafka frames them (below), read in chunks so a segment of any size
 * streams, and decoded with the record layer's `decodeBatch` / `decodeLegacyMessages` (CRC
 * not enforced: a batch with a bad CRC is still shown, marked `isvalid: false`, as Kafka does).
 * Nothing here crashes on bad bytes: a batch whose records cannot be read is reported and the
 * dump goes on with the next one; a length field that cannot frame anything ends the file's
 * dump with Kafka's message, and the bytes left are reported as invalid.
 *
 * One deliberate difference: gaps between record offsets ("Non-consecutive offsets") are
 * counted from the segment's base offset, where Kafka starts from -1 and so reports a gap at
 * the start of every segment but the first.
 */
import { crc32 } from '@node-rs/crc32'
import type { FileHandle } from 'node:fs/promises'
import { basename } from 'node:path'
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_OFFSET,
  HEADER_SIZE_UP_TO_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LEGACY_ATTRIBUTES_OFFSET,
  LEGACY_CRC_OFFSET,
  LEGACY_TIMESTAMP_OFFSET,
  LEGACY_V0_MIN_LENGTH,
  LEGACY_V1_MIN_LENGTH,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  isBatchCrcValid,
  readBatchHeader,
} from '../protocol/records/batch-header.js'
import { decodeBatch, recordTimestamp, type RecordBatch } from '../protocol/records/batch.js'
import { codecName } from '../protocol/records/compression/index.js'
import { ControlRecordType, decodeControlKey, decodeEndTxnMarker } from '../protocol/records/control.js'
import { decodeLegacyMessages } from '../protocol/records/legacy.js'
import type { BatchSlice } from '../protocol/records/record-set.js'
import { readAt } from '../storage/io/files.js'
import type { RecordParser } from './dump-log-decoders.js'
import type { DumpReport } from './dump-log-report.js'

/** Smallest length field of any format (a v0 message with null key and value). */
const MIN_ENTRY_LENGTH = LEGACY_V0_MIN_LENGTH
const CHUNK = 1024 * 1024
const NO_SEQUENCE = -1
const INT32_MAX = 0x7fffffff

// ---- framing -------------------------------------------------------------------------------------

/** Smallest size of a whole entry by magic: v0 message, v1 message, v2 batch header. */
const MIN_SIZE_BY_MAGIC = [LOG_OVERHEAD + LEGACY_V0_MIN_LENGTH, LOG_OVERHEAD + LEGACY_V1_MIN_LENGTH, BATCH_HEADER_SIZE]

/** Where a batch lies and what it ends with, from its header alone. */
export interface FrameHeader {
  position: number
  size: number
  magic: number
  lastOffset: bigint
}

/**
 * Walks the batches (or v0/v1 messages) of a file region as Kafka's FileLogInputStream does:
 * stops quietly at a batch cut short by the end of the region (the caller reports the bytes
 * left) and stops with `corrupt` set at a length or magic that frames nothing. Storage's
 * BatchScanner is not used because it knows v2 only; kafka-dump-log.sh also shows v0/v1
 * messages from old Kafka segments.
 */
export class BatchFrames {
  position: number
  corrupt: string | undefined
  private chunk: Buffer = Buffer.alloc(0)
  private chunkStart = 0
  private readonly end: number
  private readonly chunkSize: number

  constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
    options: { from: number; end: number; chunkSize?: number },
  ) {
    this.position = options.from
    this.end = options.end
    this.chunkSize = options.chunkSize ?? CHUNK
  }

  /** The next batch's header fields, without reading the rest of it. */
  async nextHeader(): Promise<FrameHeader | undefined> {
    const pos = this.position
    if (this.corrupt !== undefined || this.end - pos < HEADER_SIZE_UP_TO_MAGIC) return undefined
    const at = await this.ensure(pos, Math.min(BATCH_HEADER_SIZE, this.end - pos))
    const c = this.chunk
    const length = c.readInt32BE(at + BATCH_LENGTH_OFFSET)
    if (length < MIN_ENTRY_LENGTH) {
      this.corrupt = `Found record size ${length} smaller than minimum record overhead (${MIN_ENTRY_LENGTH}) in file ${this.path}.`
      return undefined
    }
    const size = LOG_OVERHEAD + length
    if (size > this.end - pos) return undefined
    const magic = c.readInt8(at + MAGIC_OFFSET)
    if (magic < 0 || magic > MAGIC_V2) {
      this.corrupt = `Unknown magic ${magic} in the batch at position ${pos} of ${this.path}; the rest of the file cannot be framed.`
      return undefined
    }
    if (size < MIN_SIZE_BY_MAGIC[magic]!) {
      this.corrupt = `Found record size ${length} smaller than the minimum for magic ${magic} in the batch at position ${pos} of ${this.path}.`
      return undefined
    }
    const offset = c.readBigInt64BE(at + BASE_OFFSET_OFFSET)
    this.position = pos + size
    return { position: pos, size, magic, lastOffset: magic < MAGIC_V2 ? offset : offset + BigInt(c.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET)) }
  }

  /** The next whole batch. */
  async next(): Promise<BatchSlice | undefined> {
    const h = await this.nextHeader()
    if (!h) return undefined
    const at = await this.ensure(h.position, h.size)
    return { position: h.position, size: h.size, magic: h.magic, bytes: this.chunk.subarray(at, at + h.size) }
  }

  /** Makes [pos, pos+length) present in the chunk; returns its index there. */
  private async ensure(pos: number, length: number): Promise<number> {
    const off = pos - this.chunkStart
    if (off >= 0 && off + length <= this.chunk.length) return off
    this.chunk = await readAt(this.fh, pos, Math.min(Math.max(this.chunkSize, length), this.end - pos))
    this.chunkStart = pos
    if (this.chunk.length < length) throw new Error(`${this.path} changed while it was read (it ends before ${pos + length})`)
    return 0
  }
}

// ---- what the lines say --------------------------------------------------------------------------

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap at Integer.MAX_VALUE to 0. */
function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1
  return sequence + increment
}

function timestampTypeName(magic: number, attributes: number): string {
  if (magic === 0) return 'NoTimestampType'
  return attributes & ATTR_TIMESTAMP_TYPE ? 'LogAppendTime' : 'CreateTime'
}

/** A v0/v1 message's header fields (the LEGACY_* offsets of batch-header.ts). */
interface LegacyHeader {
  offset: bigint
  crc: number
  attributes: number
  timestamp: bigint
  valid: boolean
}

function legacyHeader(slice: BatchSlice): LegacyHeader {
  const b = slice.bytes
  return {
    offset: b.readBigInt64BE(BASE_OFFSET_OFFSET),
    crc: b.readUInt32BE(LEGACY_CRC_OFFSET),
    attributes: b.readInt8(LEGACY_ATTRIBUTES_OFFSET),
    timestamp: slice.magic === 1 ? b.readBigInt64BE(LEGACY_TIMESTAMP_OFFSET) : -1n,
    valid: crc32(b.subarray(MAGIC_OFFSET)) === b.readUInt32BE(LEGACY_CRC_OFFSET),
  }
}

/** Kafka's batch line; `position` is where the batch starts in the file. */
export function batchLine(slice: BatchSlice, position: number): string {
  const b = slice.bytes
  if (slice.magic < 2) {
    const h = legacyHeader(slice)
    return (
      `offset: ${h.offset} position: ${position} ${timestampTypeName(slice.magic, h.attributes)}: ${h.timestamp} size: ${slice.size} ` +
      `magic: ${slice.magic} compresscodec: ${codecName(h.attributes & ATTR_COMPRESSION_MASK)} crc: ${h.crc} isvalid: ${h.valid}`
    )
  }
  const h = readBatchHeader(b)
  const lastSequence = h.baseSequence === NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(h.baseSequence, h.lastOffsetDelta)
  const deleteHorizon = h.attributes & ATTR_DELETE_HORIZON ? `OptionalLong[${h.baseTimestamp}]` : 'OptionalLong.empty'
  const valid = b.length >= BATCH_HEADER_SIZE && isBatchCrcValid(b)
  return (
    `baseOffset: ${h.baseOffset} lastOffset: ${h.baseOffset + BigInt(h.lastOffsetDelta)} count: ${h.recordCount} ` +
    `baseSequence: ${h.baseSequence} lastSequence: ${lastSequence} producerId: ${h.producerId} producerEpoch: ${h.producerEpoch} ` +
    `partitionLeaderEpoch: ${h.partitionLeaderEpoch} isTransactional: ${(h.attributes & ATTR_TRANSACTIONAL) !== 0} ` +
    `isControl: ${(h.attributes & ATTR_CONTROL) !== 0} deleteHorizonMs: ${deleteHorizon} ` +
    `position: ${position} ${timestampTypeName(2, h.attributes)}: ${h.maxTimestamp} size: ${slice.size} magic: 2 ` +
    `compresscodec: ${codecName(h.attributes & ATTR_COMPRESSION_MASK)} crc: ${h.crc} isvalid: ${valid}`
  )
}

/** One record as the dump sees it, whatever the message format. */
export interface DumpRecord {
  offset: bigint
  timestamp: bigint
  key: Buffer | null
  value: Buffer | null
  /** v2 only. */
  sequence?: number
  headerKeys?: string[]
  /** v0/v1 only, when the record is a message of its own (not inside a compressed wrapper). */
  legacyCrc?: { valid: boolean; crc: number }
}

export interface DecodedBatch {
  timestampType: string
  isControl: boolean
  records: DumpRecord[]
}

/** The records of a framed batch (decompressed); throws RecordsError when they cannot be read. */
export async function batchRecords(slice: BatchSlice): Promise<DecodedBatch> {
  if (slice.magic < 2) {
    const h = legacyHeader(slice)
    const compressed = (h.attributes & ATTR_COMPRESSION_MASK) !== 0
    const messages = decodeLegacyMessages(slice.bytes, { verifyCrc: false })
    return {
      timestampType: timestampTypeName(slice.magic, h.attributes),
      isControl: false,
      records: messages.map((m) => ({
        offset: m.offset,
        timestamp: m.timestamp,
        key: m.key,
        value: m.value,
        ...(compressed ? {} : { legacyCrc: { valid: h.valid, crc: h.crc } }),
      })),
    }
  }
  const batch: RecordBatch = await decodeBatch(slice.bytes, { verifyCrc: false })
  return {
    timestampType: timestampTypeName(2, slice.bytes.readInt16BE(ATTRIBUTES_OFFSET)),
    isControl: batch.isControl,
    records: batch.records.map((r) => ({
      offset: batch.baseOffset + BigInt(r.offsetDelta),
      timestamp: recordTimestamp(batch, r),
      key: r.key,
      value: r.value,
      sequence: batch.baseSequence === NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(batch.baseSequence, r.offsetDelta),
      headerKeys: r.headers.map((h) => h.key),
    })),
  }
}

const CONTROL_TYPE_NAMES: Record<number, string> = {
  [ControlRecordType.Abort]: 'ABORT',
  [ControlRecordType.Commit]: 'COMMIT',
  [ControlRecordType.LeaderChange]: 'LEADER_CHANGE',
  [ControlRecordType.SnapshotHeader]: 'SNAPSHOT_HEADER',
  [ControlRecordType.SnapshotFooter]: 'SNAPSHOT_FOOTER',
  [ControlRecordType.KRaftVersion]: 'KRAFT_VERSION',
  [ControlRecordType.KRaftVoters]: 'KRAFT_VOTERS',
}

/**
 * What Kafka appends for a control record: the transaction marker, or the control type. The
 * KRaft control types (Samsa has no KRaft log) are named, not decoded.
 */
function controlSuffix(r: DumpRecord): string {
  const { type } = decodeControlKey(r.key)
  if (type === ControlRecordType.Abort || type === ControlRecordType.Commit) {
    return ` endTxnMarker: ${CONTROL_TYPE_NAMES[type]} coordinatorEpoch: ${decodeEndTxnMarker(r.value).coordinatorEpoch}`
  }
  return ` controlType: ${CONTROL_TYPE_NAMES[type] ?? 'UNKNOWN'}(${type})`
}

function recordMetadata(batch: DecodedBatch, r: DumpRecord): string {
  let s =
    `| offset: ${r.offset} ${batch.timestampType}: ${r.timestamp} keySize: ${r.key === null ? -1 : r.key.length} ` +
    `valueSize: ${r.value === null ? -1 : r.value.length}`
  if (r.headerKeys) s += ` sequence: ${r.sequence} headerKeys: [${r.headerKeys.join(',')}]`
  if (r.legacyCrc) s += ` isValid: ${r.legacyCrc.valid} crc: ${r.legacyCrc.crc}`
  if (batch.isControl) s += controlSuffix(r)
  return s
}

// ---- the .log dump -------------------------------------------------------------------------------

export interface LogDumpOptions {
  deepIteration: boolean
  printContents: boolean
  skipRecordMetadata: boolean
  /** --max-bytes; undefined reads the whole file (and reports bytes after the last batch). */
  maxBytes: number | undefined
  parser: RecordParser
}

/** A file being dumped: the path as given (for the lines), its absolute path (for the findings). */
export interface DumpFile {
  path: string
  absolute: string
  size: number
  /** From the name: the segment's base offset, which record offsets are expected to start at. */
  baseOffset: number
}

/** Dumps the batches of a `.log` (or a KRaft `.checkpoint`, which holds batches too). */
export async function dumpLog(fh: FileHandle, file: DumpFile, opts: LogDumpOptions, report: DumpReport): Promise<void> {
  const out = report.out
  const end = opts.maxBytes === undefined ? file.size : Math.min(file.size, opts.maxBytes)
  const frames = new BatchFrames(fh, file.path, { from: 0, end })
  let validBytes = 0
  let lastOffset = BigInt(file.baseOffset) - 1n
  for (let slice = await frames.next(); slice; slice = await frames.next()) {
    out.line(batchLine(slice, validBytes))
    const batch = opts.deepIteration ? await recordsOrReport(slice, file.path, report) : undefined
    if (batch) {
      for (const r of batch.records) {
        if (r.offset !== lastOffset + 1n) report.gap(file.absolute, lastOffset, r.offset)
        lastOffset = r.offset
        await printRecord(batch, r, opts, report)
      }
    }
    validBytes += slice.size
    report.progress(file.path, validBytes, end)
    await out.maybeFlush()
  }
  if (frames.corrupt !== undefined) await report.fail(frames.corrupt)
  const trailing = end - validBytes
  if (trailing > 0 && opts.maxBytes === undefined) out.line(`Found ${trailing} invalid bytes at the end of ${basename(file.path)}`)
}

/** The batch's records, or undefined after reporting why they cannot be read. */
async function recordsOrReport(slice: BatchSlice, path: string, report: DumpReport): Promise<DecodedBatch | undefined> {
  try {
    return await batchRecords(slice)
  } catch (e) {
    // Decoders throw RecordsError; anything else from bad bytes (a codec library's own error)
    // is reported the same way rather than ending the dump.
    await report.fail(`Cannot read the records of the batch at position ${slice.position} of ${path}: ${(e as Error).message}`)
    return undefined
  }
}

async function printRecord(batch: DecodedBatch, r: DumpRecord, opts: LogDumpOptions, report: DumpReport): Promise<void> {
  let line = ''
  if (!opts.skipRecordMetadata) {
    try {
      line = recordMetadata(batch, r)
    } catch (e) {
      await report.fail(`Cannot read the control record at offset ${r.offset}: ${(e as Error).message}`)
      return
    }
  }
  if (opts.printContents && !batch.isControl) {
    let prefix = opts.skipRecordMetadata ? '| ' : ' '
    try {
      const parsed = opts.parser.parse(r.key, r.value, r.offset)
      if (parsed.key !== undefined) {
        line += `${prefix}key: ${parsed.key}`
        prefix = ' '
      }
      if (parsed.value !== undefined) line += `${prefix}payload: ${parsed.value}`
    } catch (e) {
      await report.fail(`Cannot decode the record at offset ${r.offset}: ${(e as Error).message}`)
    }
  }
  report.out.line(line)
}

/** Segment files are named after their base offset (`00000000000000000042.log`); undefined if not. */
export function baseOffsetFromName(path: string): number | undefined {
  const stem = basename(path).split('.')[0] ?? ''
  return /^\d+$/.test(stem) && Number.isSafeInteger(Number(stem)) ? Number(stem) : undefined
}
