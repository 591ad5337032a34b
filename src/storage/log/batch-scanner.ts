/**
 * Walks the record batches of a `.log` file from a position, reading the file in chunks and
 * looking only at batch headers (plus, for recovery, the CRC over each whole batch).
 * Individual records are never decoded.
 */
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_OFFSET, isBatchCrcValid } from '../../protocol/records/batch-header.js'
import { readInt64 } from '../io/files.js'

/** The header fields storage uses, as numbers, and where the batch lies in its file. */
export interface BatchInfo {
  position: number
  size: number
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
  partitionLeaderEpoch: number
  recordCount: number
}

/** Smallest batchLength a v2 batch can have: the header after the length field, no records. */
export const MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - LOG_OVERHEAD

/** Why a walk stopped: at the end, at a batch cut short by the end of the file, or at garbage. */
export type ScanStop = 'end' | 'torn' | 'invalid'

export interface ScannedBatch extends BatchInfo {
  /** The whole batch, only when the scanner was asked for bytes. Valid until the next call. */
  bytes?: Buffer
}

export interface BatchScannerOptions {
  /** Reads up to `length` bytes at `position` (shorter at end of file). */
  read(position: number, length: number): Promise<Buffer>
  from: number
  /** Exclusive end of the region to walk (usually the file size). */
  end: number
  /** Bytes per read; batches larger than this are read whole when bytes are wanted. */
  chunkSize?: number
  withBytes?: boolean
  verifyCrc?: boolean
}

/** Reads the header fields of the batch at `pos` in `buf` (61 bytes must be present). */
export function batchInfoAt(buf: Buffer, pos: number, position: number): BatchInfo {
  const baseOffset = readInt64(buf, pos)
  return {
    position,
    size: LOG_OVERHEAD + buf.readInt32BE(pos + 8),
    baseOffset,
    lastOffset: baseOffset + buf.readInt32BE(pos + 23),
    maxTimestamp: readInt64(buf, pos + 35),
    partitionLeaderEpoch: buf.readInt32BE(pos + 12),
    recordCount: buf.readInt32BE(pos + 57),
  }
}

export class BatchScanner {
  position: number
  stop: ScanStop | undefined
  /** Human-readable reason when stop is 'torn' or 'invalid'. */
  detail = ''
  private readonly opts: BatchScannerOptions
  private readonly chunkSize: number
  private chunk: Buffer = Buffer.alloc(0)
  private chunkStart = 0

  constructor(options: BatchScannerOptions) {
    this.opts = options
    this.position = options.from
    this.chunkSize = options.chunkSize ?? 64 * 1024
  }

  /** The next batch, or undefined with `stop` set. */
  async next(): Promise<ScannedBatch | undefined> {
    if (this.stop) return undefined
    const { end } = this.opts
    const pos = this.position
    if (pos >= end) return this.halt('end', '')
    if (end - pos < LOG_OVERHEAD) return this.halt('torn', `${end - pos} bytes left at ${pos}, less than a batch length field`)
    let at = await this.ensure(pos, Math.min(BATCH_HEADER_SIZE, end - pos))
    if (at < 0) return this.halt('torn', `file ends before ${pos + LOG_OVERHEAD}`)
    const batchLength = this.chunk.readInt32BE(at + 8)
    if (batchLength < MIN_BATCH_LENGTH) return this.halt('invalid', `batch length ${batchLength} at ${pos}`)
    const size = LOG_OVERHEAD + batchLength
    if (size > end - pos) return this.halt('torn', `batch of ${size} bytes at ${pos} runs past ${end}`)
    at = await this.ensure(pos, this.opts.withBytes ? size : BATCH_HEADER_SIZE)
    if (at < 0) return this.halt('torn', `file ends inside the batch at ${pos}`)
    const magic = this.chunk.readInt8(at + MAGIC_OFFSET)
    if (magic !== 2) return this.halt('invalid', `magic ${magic} at ${pos}`)
    const lastOffsetDelta = this.chunk.readInt32BE(at + 23)
    if (lastOffsetDelta < 0) return this.halt('invalid', `negative last offset delta at ${pos}`)
    const batch: ScannedBatch = batchInfoAt(this.chunk, at, pos)
    if (this.opts.withBytes) {
      if (this.opts.verifyCrc && !isBatchCrcValid(this.chunk, at)) return this.halt('invalid', `CRC mismatch at ${pos}`)
      batch.bytes = this.chunk.subarray(at, at + size)
    }
    this.position = pos + size
    return batch
  }

  private halt(stop: ScanStop, detail: string): undefined {
    this.stop = stop
    this.detail = detail
    return undefined
  }

  /** Makes [pos, pos+length) present in the chunk; returns its index there, or -1 if the file is shorter. */
  private async ensure(pos: number, length: number): Promise<number> {
    const off = pos - this.chunkStart
    if (off >= 0 && off + length <= this.chunk.length) return off
    const want = Math.min(Math.max(this.chunkSize, length), this.opts.end - pos)
    this.chunk = await this.opts.read(pos, want)
    this.chunkStart = pos
    return this.chunk.length >= length ? 0 : -1
  }
}
