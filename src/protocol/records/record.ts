/**
 * One record inside a magic-v2 batch:
 *
 *   length: varint             (bytes after this field)
 *   attributes: int8           (unused by Kafka, always 0 when written)
 *   timestampDelta: varlong    (from the batch's baseTimestamp)
 *   offsetDelta: varint        (from the batch's baseOffset)
 *   key: varint length + bytes (-1 = null)
 *   value: varint length + bytes (-1 = null)
 *   headers: varint count, each { key: varint length + UTF-8, value: varint length + bytes (-1 = null) }
 */
import { Cursor } from './cursor.js'
import { RecordsError, RecordsErrorCode } from './errors.js'
import { readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.js'

export interface RecordHeader {
  key: string
  value: Buffer | null
}

export interface BatchRecord {
  /** Reserved by Kafka; decoding reports what was on the wire, encoding writes 0 when absent. */
  attributes?: number
  timestampDelta: number
  offsetDelta: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

/** The smallest possible record: a one-byte length and six one-byte fields. */
export const MIN_RECORD_SIZE = 7

function sizeOfNullableBytes(b: Buffer | null): number {
  return b === null ? 1 : sizeOfVarint(b.length) + b.length
}

/** Size of the record without its own length prefix. */
export function recordBodySize(r: BatchRecord): number {
  let size =
    1 + sizeOfVarlong(r.timestampDelta) + sizeOfVarint(r.offsetDelta) + sizeOfNullableBytes(r.key) + sizeOfNullableBytes(r.value)
  size += sizeOfVarint(r.headers.length)
  for (const h of r.headers) {
    const keyLen = Buffer.byteLength(h.key, 'utf8')
    size += sizeOfVarint(keyLen) + keyLen + sizeOfNullableBytes(h.value)
  }
  return size
}

/** Size on the wire, length prefix included. */
export function recordSize(r: BatchRecord): number {
  const body = recordBodySize(r)
  return sizeOfVarint(body) + body
}

function writeNullableBytes(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, -1)
  pos = writeVarint(buf, pos, b.length)
  return pos + b.copy(buf, pos)
}

/**
 * Writes the record at `pos` and returns the position after it. `bodySize` may be passed when
 * the caller already computed it (batch encoding sizes everything first).
 */
export function writeRecord(buf: Buffer, pos: number, r: BatchRecord, bodySize = recordBodySize(r)): number {
  pos = writeVarint(buf, pos, bodySize)
  buf[pos++] = (r.attributes ?? 0) & 0xff
  pos = writeVarlong(buf, pos, r.timestampDelta)
  pos = writeVarint(buf, pos, r.offsetDelta)
  pos = writeNullableBytes(buf, pos, r.key)
  pos = writeNullableBytes(buf, pos, r.value)
  pos = writeVarint(buf, pos, r.headers.length)
  for (const h of r.headers) {
    const keyLen = Buffer.byteLength(h.key, 'utf8')
    pos = writeVarint(buf, pos, keyLen)
    pos += buf.write(h.key, pos, keyLen, 'utf8')
    pos = writeNullableBytes(buf, pos, h.value)
  }
  return pos
}

export function encodeRecord(r: BatchRecord): Buffer {
  const body = recordBodySize(r)
  const buf = Buffer.allocUnsafe(sizeOfVarint(body) + body)
  writeRecord(buf, 0, r, body)
  return buf
}

function readNullableBytes(c: Cursor, what: string): Buffer | null {
  const len = readVarint(c)
  if (len === -1) return null
  if (len < 0) throw new RecordsError(RecordsErrorCode.InvalidRecord, `negative ${what} length ${len}`)
  return c.readBytes(len)
}

/**
 * Reads one record. Keys, values and header values are views into the cursor's buffer, not
 * copies: they stay valid only as long as the caller does not reuse that buffer.
 */
export function readRecord(c: Cursor): BatchRecord {
  const start = c.pos
  const bodySize = readVarint(c)
  if (bodySize < MIN_RECORD_SIZE - 1) {
    throw new RecordsError(RecordsErrorCode.InvalidRecord, `record length ${bodySize} at ${start} is too small`)
  }
  c.need(bodySize)
  const bodyStart = c.pos
  const outerEnd = c.end
  // Bound the fields by the record's own length so a lying field cannot read into the next record.
  c.end = bodyStart + bodySize
  try {
    const attributes = c.readInt8()
    const timestampDelta = readVarlong(c)
    const offsetDelta = readVarint(c)
    const key = readNullableBytes(c, 'key')
    const value = readNullableBytes(c, 'value')
    const headerCount = readVarint(c)
    if (headerCount < 0 || headerCount * 2 > c.remaining) {
      throw new RecordsError(RecordsErrorCode.InvalidRecord, `invalid header count ${headerCount} in record at ${start}`)
    }
    const headers: RecordHeader[] = new Array(headerCount)
    for (let i = 0; i < headerCount; i++) {
      const keyLen = readVarint(c)
      if (keyLen < 0) throw new RecordsError(RecordsErrorCode.InvalidRecord, `header key length ${keyLen} in record at ${start}`)
      const keyBytes = c.readBytes(keyLen)
      headers[i] = { key: keyBytes.toString('utf8'), value: readNullableBytes(c, 'header value') }
    }
    if (c.pos !== c.end) {
      throw new RecordsError(
        RecordsErrorCode.InvalidRecord,
        `record at ${start} declares ${bodySize} bytes but its fields use ${c.pos - bodyStart}`,
      )
    }
    return { attributes, timestampDelta, offsetDelta, key, value, headers }
  } catch (err) {
    // Running past the record's own length is a malformed record, not a short input.
    if (err instanceof RecordsError && err.code === RecordsErrorCode.Truncated) {
      throw new RecordsError(RecordsErrorCode.InvalidRecord, `record at ${start} overruns its declared length ${bodySize}`)
    }
    throw err
  } finally {
    c.end = outerEnd
  }
}

export function decodeRecord(buf: Buffer): BatchRecord {
  return readRecord(new Cursor(buf))
}
