import { promisify } from 'node:util'
import { gunzip, gunzipSync, gzip, gzipSync, type ZlibOptions } from 'node:zlib'
import { checkOutput, tooLarge, type DecompressOptions } from './limit.js'

const gzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gzip)
const gunzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gunzip)

/**
 * gzip states no reliable size up front, but zlib stops inflating once its output passes
 * maxOutputLength, so memory stays within the limit plus one chunk.
 */
function zlibOptions(maxBytes: number | undefined): ZlibOptions {
  return maxBytes === undefined ? {} : { maxOutputLength: Math.max(1, maxBytes) }
}

function bounded(err: unknown, maxBytes: number | undefined): unknown {
  if (maxBytes !== undefined && (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge('gzip', `more than ${maxBytes} bytes`, maxBytes)
  return err
}

// The async forms run on libuv's thread pool, which keeps large batches off the event loop.
// level: 1-9, or -1 (absent) for zlib's default (6), as Kafka's compression.gzip.level.
export const compress = (data: Buffer, level?: number): Promise<Buffer> => gzipAsync(data, level === undefined ? {} : { level })
export const compressSync = (data: Buffer): Buffer => gzipSync(data)

export async function decompress(data: Buffer, options: DecompressOptions = {}): Promise<Buffer> {
  const { maxBytes } = options
  let out: Buffer
  try {
    out = await gunzipAsync(data, zlibOptions(maxBytes))
  } catch (err) {
    throw bounded(err, maxBytes)
  }
  return maxBytes === undefined ? out : checkOutput('gzip', out, maxBytes)
}

export function decompressSync(data: Buffer, options: DecompressOptions = {}): Buffer {
  const { maxBytes } = options
  let out: Buffer
  try {
    out = gunzipSync(data, zlibOptions(maxBytes))
  } catch (err) {
    throw bounded(err, maxBytes)
  }
  return maxBytes === undefined ? out : checkOutput('gzip', out, maxBytes)
}
