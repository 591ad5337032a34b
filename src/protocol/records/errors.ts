/**
 * One error class for everything the record layer rejects. `code` is stable (tests, logs and
 * the broker's mapping to Kafka error codes key on it); the message is for humans.
 */
export const RecordsErrorCode = {
  /** The input ends before the structure it announces (a torn tail, a partial Fetch batch). */
  Truncated: 'truncated',
  /** A length field that no valid batch or message can have. */
  InvalidLength: 'invalid-length',
  UnsupportedMagic: 'unsupported-magic',
  CrcMismatch: 'crc-mismatch',
  UnsupportedCompression: 'unsupported-compression',
  InvalidRecordCount: 'invalid-record-count',
  InvalidLastOffsetDelta: 'invalid-last-offset-delta',
  /** A record whose fields disagree with its own length prefix or hold impossible values. */
  InvalidRecord: 'invalid-record',
  DecompressionFailed: 'decompression-failed',
  /** The records would decompress past the caller's limit (a "zip bomb", or a batch larger than the reader accepts). */
  DecompressedTooLarge: 'decompressed-too-large',
  /** The batch claims more records than the caller's limit lets it decode. */
  TooManyRecords: 'too-many-records',
  VarintTooLong: 'varint-too-long',
  /** A value that cannot be represented (e.g. a varlong beyond Number.MAX_SAFE_INTEGER). */
  OutOfRange: 'out-of-range',
  InvalidControlRecord: 'invalid-control-record',
} as const

export type RecordsErrorCode = (typeof RecordsErrorCode)[keyof typeof RecordsErrorCode]

export class RecordsError extends Error {
  readonly code: RecordsErrorCode

  constructor(code: RecordsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RecordsError'
    this.code = code
  }
}
