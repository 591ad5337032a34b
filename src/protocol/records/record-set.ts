/**
 * A "records" field of Produce/Fetch (Kafka's MemoryRecords): batches back to back. Fetch
 * responses may end in a partial batch when max.bytes cuts one; clients ignore that tail,
 * and so does iteration here. Every message format shares the first 17 bytes' layout
 * (offset int64, size int32, crc/epoch int32, magic int8), so v0/v1 entries are sliced too.
 */
import {
  BATCH_LENGTH_OFFSET,
  HEADER_SIZE_UP_TO_MAGIC,
  LEGACY_V0_MIN_LENGTH,
  LEGACY_V1_MIN_LENGTH,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MIN_BATCH_LENGTH,
} from './batch-header.js'
import { decodeBatch, decodeBatchSync, type DecodeBatchOptions, type RecordBatch } from './batch.js'
import { RecordsError, RecordsErrorCode } from './errors.js'

/** Smallest size field of any format: a v0 message with null key and value. */
const MIN_ENTRY_LENGTH = LEGACY_V0_MIN_LENGTH
const MIN_LENGTH_BY_MAGIC = [LEGACY_V0_MIN_LENGTH, LEGACY_V1_MIN_LENGTH, MIN_BATCH_LENGTH]

export interface BatchSlice {
  /** Position of the batch in the buffer that was iterated. */
  position: number
  /** Bytes of the batch, baseOffset and batchLength included. */
  size: number
  magic: number
  /** A view of the batch's bytes. */
  bytes: Buffer
}

/**
 * Yields each complete batch (or v0/v1 message) in `buf` and stops silently at a partial tail.
 * Throws RecordsError on a size field or magic that no complete batch can have, because past
 * such a field the rest of the buffer cannot be framed.
 */
export function* batchSlices(buf: Buffer, start = 0): Generator<BatchSlice> {
  let pos = start
  while (buf.length - pos >= HEADER_SIZE_UP_TO_MAGIC) {
    const length = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET)
    if (length < MIN_ENTRY_LENGTH) {
      throw new RecordsError(RecordsErrorCode.InvalidLength, `batch at ${pos} has length ${length}`)
    }
    const size = LOG_OVERHEAD + length
    if (buf.length - pos < size) return
    const magic = buf.readInt8(pos + MAGIC_OFFSET)
    if (magic < 0 || magic > MAGIC_V2) {
      throw new RecordsError(RecordsErrorCode.UnsupportedMagic, `batch at ${pos} has magic ${magic}`)
    }
    if (length < MIN_LENGTH_BY_MAGIC[magic]!) {
      throw new RecordsError(RecordsErrorCode.InvalidLength, `magic ${magic} batch at ${pos} has length ${length}`)
    }
    yield { position: pos, size, magic, bytes: buf.subarray(pos, pos + size) }
    pos += size
  }
}

/**
 * Bytes of `buf` covered by complete batches. Equal to buf.length when nothing is cut off;
 * a Produce request whose records fall short of that is corrupt, a Fetch response is not.
 */
export function completeBatchesLength(buf: Buffer): number {
  let end = 0
  for (const s of batchSlices(buf)) end = s.position + s.size
  return end
}

function v2Only(slice: BatchSlice): void {
  if (slice.magic !== MAGIC_V2) {
    throw new RecordsError(
      RecordsErrorCode.UnsupportedMagic,
      `message format v${slice.magic} at ${slice.position}; use decodeLegacyMessages for v0/v1`,
    )
  }
}

/** Decodes every complete magic-v2 batch; a partial last batch is ignored. */
export async function decodeBatches(buf: Buffer, options: DecodeBatchOptions = {}): Promise<RecordBatch[]> {
  const out: RecordBatch[] = []
  for (const slice of batchSlices(buf)) {
    v2Only(slice)
    out.push(await decodeBatch(slice.bytes, options))
  }
  return out
}

export function decodeBatchesSync(buf: Buffer, options: DecodeBatchOptions = {}): RecordBatch[] {
  const out: RecordBatch[] = []
  for (const slice of batchSlices(buf)) {
    v2Only(slice)
    out.push(decodeBatchSync(slice.bytes, options))
  }
  return out
}
