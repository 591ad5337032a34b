/**
 * LZ4 in the standard frame format (magic 0x184D2204), as magic-v2 batches require.
 *
 * Content and block checksums are turned off explicitly: Kafka's own writer never sets them,
 * and Java clients before 2.x refuse frames that carry a content checksum or content size.
 * lz4-napi always writes independent blocks, which Kafka's reader insists on.
 *
 * lz4-napi has no output limit, so a bounded decompression first reads the sizes from the
 * frame descriptor and the block headers. lz4-napi decodes the first frame only and ignores
 * what follows it, so only that frame is measured.
 */
import { lazyRequire } from '../../../util/lazy-require.js'
import { checkOutput, malformed, refuseOver, type DecompressOptions } from './limit.js'

const lz4 = lazyRequire<typeof import('lz4-napi')>('lz4-napi')

const FRAME_OPTIONS = { contentChecksum: false, blockChecksums: false }
const FRAME_MAGIC = 0x184d2204

export const compress = (data: Buffer): Promise<Buffer> => lz4().compressFrame(data, FRAME_OPTIONS)
export const compressSync = (data: Buffer): Buffer => lz4().compressFrameSync(data, FRAME_OPTIONS)

export async function decompress(data: Buffer, options: DecompressOptions = {}): Promise<Buffer> {
  if (options.maxBytes === undefined) return lz4().decompressFrame(data)
  refuseLarge(data, options.maxBytes)
  return checkOutput('lz4', await lz4().decompressFrame(data), options.maxBytes)
}

export function decompressSync(data: Buffer, options: DecompressOptions = {}): Buffer {
  if (options.maxBytes === undefined) return lz4().decompressFrameSync(data)
  refuseLarge(data, options.maxBytes)
  return checkOutput('lz4', lz4().decompressFrameSync(data), options.maxBytes)
}

function refuseLarge(data: Buffer, maxBytes: number): void {
  const sizes = lz4FrameSizes(data)
  if (sizes.declared !== undefined) refuseOver('lz4', sizes.declared, maxBytes, (n) => `${n} bytes (its frame descriptor declares it)`)
  refuseOver('lz4', sizes.bound, maxBytes, (n) => `up to ${n} bytes (its block headers allow that much)`)
}

/** Block maximum sizes by the BD byte's code (4..7). */
const BLOCK_MAX_SIZES: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 }
/**
 * Each input byte of a compressed block yields at most 255 output bytes: literals are copied
 * one for one, and a match's length grows by at most 255 per extension byte (its token and
 * 2-byte offset give at most 19).
 */
const MAX_BLOCK_RATIO = 255

export interface Lz4Sizes {
  /** Most bytes the first frame can decompress to. */
  bound: number
  /** The content size its descriptor declares, if it does. */
  declared: number | undefined
}

/**
 * Walks the first frame's descriptor and block headers without decompressing. Throws
 * RecordsError('decompression-failed') when they are malformed or run past the data.
 */
export function lz4FrameSizes(data: Buffer): Lz4Sizes {
  const need = (pos: number, n: number, what: string): void => {
    if (pos + n > data.length) throw malformed('lz4', `${what} at byte ${pos} runs past the end of the data (${data.length} bytes)`)
  }
  need(0, 7, 'frame header')
  const magic = data.readUInt32LE(0)
  if (magic !== FRAME_MAGIC) throw malformed('lz4', `no lz4 frame (magic ${magic.toString(16)})`)
  const flg = data[4]!
  if (flg >> 6 !== 1) throw malformed('lz4', `frame version ${flg >> 6}, expected 1`)
  const blockMax = BLOCK_MAX_SIZES[(data[5]! >> 4) & 7]
  if (blockMax === undefined) throw malformed('lz4', `invalid block maximum size code ${(data[5]! >> 4) & 7}`)
  const blockChecksums = (flg & 0x10) !== 0
  const hasContentSize = (flg & 0x08) !== 0
  let pos = 6
  let declared: number | undefined
  if (hasContentSize) {
    need(pos, 8, 'content size')
    declared = Number(data.readBigUInt64LE(pos))
    pos += 8
  }
  if (flg & 0x01) pos += 4
  pos += 1 // header checksum
  let bound = 0
  // A frame cut right after a block (no end mark) still decodes with lz4-napi; measure it the same.
  while (pos < data.length) {
    need(pos, 4, 'block header')
    const word = data.readUInt32LE(pos)
    pos += 4
    if (word === 0) break // end mark
    const size = word & 0x7fffffff
    const stored = word >>> 31 === 1
    bound += stored ? size : Math.min(blockMax, size * MAX_BLOCK_RATIO)
    pos += size + (blockChecksums ? 4 : 0)
    need(pos, 0, 'block')
  }
  return { bound, declared }
}

/**
 * Kafka before 0.10 (message format v0) computed the frame descriptor checksum over the magic
 * number too, which every standard decoder rejects. Returns a copy with the checksum byte
 * recomputed the standard way, for reading v0 message sets only.
 */
export function repairLegacyDescriptorChecksum(data: Buffer): Buffer {
  if (data.length < 7 || data.readUInt32LE(0) !== FRAME_MAGIC) return data
  const flg = data[4]!
  // FLG bit 3: 8-byte content size follows BD; bit 0: 4-byte dictionary id follows that.
  const descriptorLength = 2 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0)
  const hcPos = 4 + descriptorLength
  if (data.length <= hcPos) return data
  const fixed = Buffer.from(data)
  fixed[hcPos] = (xxh32Short(fixed.subarray(4, hcPos)) >>> 8) & 0xff
  return fixed
}

/**
 * The reverse of repairLegacyDescriptorChecksum: the checksum byte computed over the magic
 * number and the descriptor, as Kafka 0.8-0.9 wrote it, for writing v0 message sets (their
 * readers, e.g. kafka-python's lz4_decode_old_kafka, expect it). Our frames carry no content
 * size or dictionary id, so the hashed span stays under the 16 bytes xxh32Short handles.
 */
export function breakLegacyDescriptorChecksum(data: Buffer): Buffer {
  if (data.length < 7 || data.readUInt32LE(0) !== FRAME_MAGIC) return data
  const flg = data[4]!
  const hcPos = 4 + 2 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0)
  if (data.length <= hcPos || hcPos >= 16) return data
  const broken = Buffer.from(data)
  broken[hcPos] = (xxh32Short(broken.subarray(0, hcPos)) >>> 8) & 0xff
  return broken
}

const PRIME1 = 0x9e3779b1
const PRIME2 = 0x85ebca77
const PRIME3 = 0xc2b2ae3d
const PRIME4 = 0x27d4eb2f
const PRIME5 = 0x165667b1

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

/** XXH32 with seed 0 for inputs shorter than 16 bytes (a frame descriptor is at most 14). */
function xxh32Short(input: Buffer): number {
  let h = (PRIME5 + input.length) | 0
  let i = 0
  for (; i + 4 <= input.length; i += 4) {
    h = (h + Math.imul(input.readUInt32LE(i), PRIME3)) | 0
    h = Math.imul(rotl(h, 17), PRIME4)
  }
  for (; i < input.length; i++) {
    h = (h + Math.imul(input[i]!, PRIME5)) | 0
    h = Math.imul(rotl(h, 11), PRIME1)
  }
  h ^= h >>> 15
  h = Math.imul(h, PRIME2)
  h ^= h >>> 13
  h = Math.imul(h, PRIME3)
  h ^= h >>> 16
  return h >>> 0
}
