/**
 * compress / decompress by the codec id of a batch's attributes. Codec failures (corrupt or
 * truncated compressed data) come out as RecordsError('decompression-failed') whichever
 * library produced them.
 *
 * Decompression takes an optional `maxBytes` (limit.ts): a broker decoding what a client sent
 * passes one, so that a small "zip bomb" is refused ('decompressed-too-large') before it is
 * inflated, or (gzip) as soon as the output passes the limit. Without it nothing is bounded,
 * as a client reading data a broker accepted expects.
 */
import { CompressionCodec } from '../batch-header.js'
import { RecordsError, RecordsErrorCode } from '../errors.js'
import * as gzip from './gzip.js'
import type { DecompressOptions } from './limit.js'
import * as lz4 from './lz4.js'
import * as snappy from './snappy.js'
import * as zstd from './zstd.js'

export type { DecompressOptions } from './limit.js'

export function codecName(codec: number): string {
  switch (codec) {
    case CompressionCodec.None:
      return 'none'
    case CompressionCodec.Gzip:
      return 'gzip'
    case CompressionCodec.Snappy:
      return 'snappy'
    case CompressionCodec.Lz4:
      return 'lz4'
    case CompressionCodec.Zstd:
      return 'zstd'
    default:
      return `unknown(${codec})`
  }
}

function unsupported(codec: number): never {
  throw new RecordsError(RecordsErrorCode.UnsupportedCompression, `unsupported compression codec ${codec}`)
}

function failed(codec: number, err: unknown): never {
  if (err instanceof RecordsError) throw err
  const detail = err instanceof Error ? err.message : String(err)
  throw new RecordsError(RecordsErrorCode.DecompressionFailed, `${codecName(codec)}: ${detail}`, { cause: err })
}

/** Whether the codec has a synchronous implementation (all but zstd on Node 20). */
export function hasSyncCodec(codec: number): boolean {
  return codec >= CompressionCodec.None && codec <= CompressionCodec.Lz4
}

/**
 * KIP-390 levels (compression.gzip.level, compression.zstd.level); absent: the codec's default.
 * lz4-napi has no level setting, so an lz4 level is not applied (docs/configuration.md says so).
 */
export interface CompressOptions {
  level?: number
}

export async function compress(codec: number, data: Buffer, options: CompressOptions = {}): Promise<Buffer> {
  switch (codec) {
    case CompressionCodec.None:
      return data
    case CompressionCodec.Gzip:
      return gzip.compress(data, options.level)
    case CompressionCodec.Snappy:
      return snappy.compress(data)
    case CompressionCodec.Lz4:
      return lz4.compress(data)
    case CompressionCodec.Zstd:
      return zstd.compress(data, options.level)
    default:
      return unsupported(codec)
  }
}

export async function decompress(codec: number, data: Buffer, options: DecompressOptions = {}): Promise<Buffer> {
  try {
    switch (codec) {
      case CompressionCodec.None:
        return data
      case CompressionCodec.Gzip:
        return await gzip.decompress(data, options)
      case CompressionCodec.Snappy:
        return await snappy.decompress(data, options)
      case CompressionCodec.Lz4:
        return await lz4.decompress(data, options)
      case CompressionCodec.Zstd:
        return await zstd.decompress(data, options)
    }
  } catch (err) {
    failed(codec, err)
  }
  return unsupported(codec)
}

export function compressSync(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case CompressionCodec.None:
      return data
    case CompressionCodec.Gzip:
      return gzip.compressSync(data)
    case CompressionCodec.Snappy:
      return snappy.compressSync(data)
    case CompressionCodec.Lz4:
      return lz4.compressSync(data)
    case CompressionCodec.Zstd:
      throw new RecordsError(RecordsErrorCode.UnsupportedCompression, 'zstd has no synchronous codec; use the async form')
    default:
      return unsupported(codec)
  }
}

export function decompressSync(codec: number, data: Buffer, options: DecompressOptions = {}): Buffer {
  try {
    switch (codec) {
      case CompressionCodec.None:
        return data
      case CompressionCodec.Gzip:
        return gzip.decompressSync(data, options)
      case CompressionCodec.Snappy:
        return snappy.decompressSync(data, options)
      case CompressionCodec.Lz4:
        return lz4.decompressSync(data, options)
      case CompressionCodec.Zstd:
        throw new RecordsError(RecordsErrorCode.UnsupportedCompression, 'zstd has no synchronous codec; use the async form')
    }
  } catch (err) {
    failed(codec, err)
  }
  return unsupported(codec)
}
