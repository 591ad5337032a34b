/**
 * The optional bound on decompressed output. Codecs check it before they decompress wherever
 * the format states sizes up front (so a few bytes of input cannot make them allocate
 * gigabytes), and the output is checked once more afterwards in case a library produced more
 * than its format's headers promised.
 */
import { RecordsError, RecordsErrorCode } from '../errors.js'

export interface DecompressOptions {
  /**
   * Refuse with RecordsError('decompressed-too-large') as soon as the output would pass this
   * many bytes. Absent: no limit (the client, reading what a broker already accepted).
   */
  maxBytes?: number
}

/** `detail` completes "<codec> data decompresses to ...". */
export function tooLarge(codec: string, detail: string, maxBytes: number): RecordsError {
  return new RecordsError(RecordsErrorCode.DecompressedTooLarge, `${codec} data decompresses to ${detail}; the limit is ${maxBytes} bytes`)
}

/** Refuses before decompressing when the format's headers already say the output can be too large. */
export function refuseOver(codec: string, bytes: number, maxBytes: number, detail: (bytes: number) => string): void {
  if (bytes > maxBytes) throw tooLarge(codec, detail(bytes), maxBytes)
}

/** The last line of defence: what a library actually produced. */
export function checkOutput(codec: string, out: Buffer, maxBytes: number): Buffer {
  if (out.length > maxBytes) throw tooLarge(codec, `${out.length} bytes`, maxBytes)
  return out
}

export function malformed(codec: string, message: string): RecordsError {
  return new RecordsError(RecordsErrorCode.DecompressionFailed, `${codec}: ${message}`)
}
