/**
 * Zstandard frames. @mongodb-js/zstd is async only, and Node 20's zlib has no zstd, so there
 * is no synchronous form: callers that need one must handle the other codecs only.
 *
 * The library has no output limit and grows its buffer to whatever the input expands to, so a
 * bounded decompression first reads the sizes from the frame and block headers (RFC 8878),
 * which needs no decompression: producers rarely declare the content size (the library itself,
 * the Java client and librdkafka all stream without it), but every block says what it holds.
 */
import { lazyRequire } from '../../../util/lazy-require.js'
import { checkOutput, malformed, refuseOver, type DecompressOptions } from './limit.js'

const zstd = lazyRequire<typeof import('@mongodb-js/zstd')>('@mongodb-js/zstd')

const FRAME_MAGIC = 0xfd2fb528
const SKIPPABLE_MAGIC = 0x184d2a50
const SKIPPABLE_MASK = 0xfffffff0
/** Block_Maximum_Size's ceiling: no block regenerates more (RFC 8878 3.1.1.2.3); libzstd enforces it. */
const MAX_BLOCK_SIZE = 128 * 1024
const BLOCK_RAW = 0
const BLOCK_RLE = 1
const BLOCK_COMPRESSED = 2
const DICT_ID_SIZES = [0, 1, 2, 4] as const
const CONTENT_SIZE_SIZES = [0, 2, 4, 8] as const

/** What the frame headers say about the output. */
export interface ZstdSizes {
  /** Most bytes the frames can decompress to: raw and RLE blocks exactly, compressed ones at their maximum. */
  bound: number
  /** The largest content size a frame declares, if any frame declares one. */
  largestDeclared: number | undefined
}

function readContentSize(data: Buffer, pos: number, size: number): number {
  switch (size) {
    case 1:
      return data[pos]!
    case 2:
      return data.readUInt16LE(pos) + 256
    case 4:
      return data.readUInt32LE(pos)
    default:
      return Number(data.readBigUInt64LE(pos))
  }
}

/**
 * Walks every frame of `data` (zstd frames and skippable frames, as the decoder accepts them
 * back to back) without decompressing: a few operations per block, so cheap even for bombs.
 * Throws RecordsError('decompression-failed') on anything that is not a well-formed frame sequence.
 */
export function zstdSizes(data: Buffer): ZstdSizes {
  let pos = 0
  let bound = 0
  let largestDeclared: number | undefined
  const need = (n: number, what: string): void => {
    if (pos + n > data.length) throw malformed('zstd', `${what} at byte ${pos} runs past the end of the data (${data.length} bytes)`)
  }
  while (pos < data.length) {
    need(4, 'frame magic')
    const magic = data.readUInt32LE(pos)
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      need(8, 'skippable frame header')
      pos += 8 + data.readUInt32LE(pos + 4)
      need(0, 'skippable frame')
      continue
    }
    if (magic !== FRAME_MAGIC) throw malformed('zstd', `no zstd frame at byte ${pos} (magic ${magic.toString(16)})`)
    need(5, 'frame header')
    const descriptor = data[pos + 4]!
    if (descriptor & 0x08) throw malformed('zstd', `reserved bit set in the frame header at byte ${pos}`)
    const singleSegment = (descriptor & 0x20) !== 0
    const contentSizeFlag = descriptor >> 6
    const contentSizeSize = contentSizeFlag === 0 ? (singleSegment ? 1 : 0) : CONTENT_SIZE_SIZES[contentSizeFlag]!
    const headerSize = 5 + (singleSegment ? 0 : 1) + DICT_ID_SIZES[descriptor & 0x03]! + contentSizeSize
    need(headerSize, 'frame header')
    if (contentSizeSize > 0) {
      const declared = readContentSize(data, pos + headerSize - contentSizeSize, contentSizeSize)
      if (largestDeclared === undefined || declared > largestDeclared) largestDeclared = declared
    }
    pos += headerSize
    for (let last = false; !last; ) {
      need(3, 'block header')
      const header = data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16)
      pos += 3
      last = (header & 1) === 1
      const type = (header >> 1) & 3
      const size = header >>> 3
      if (type === BLOCK_RAW) {
        bound += size
        pos += size
      } else if (type === BLOCK_RLE) {
        bound += size
        pos += 1
      } else if (type === BLOCK_COMPRESSED) {
        bound += MAX_BLOCK_SIZE
        pos += size
      } else {
        throw malformed('zstd', `reserved block type at byte ${pos - 3}`)
      }
      need(0, 'block')
    }
    if (descriptor & 0x04) {
      need(4, 'content checksum')
      pos += 4
    }
  }
  return { bound, largestDeclared }
}

// Level 3 is zstd's and Kafka's default (compression.zstd.level).
export const compress = (data: Buffer, level = 3): Promise<Buffer> => zstd().compress(data, level)

export async function decompress(data: Buffer, options: DecompressOptions = {}): Promise<Buffer> {
  const { maxBytes } = options
  if (maxBytes === undefined) return zstd().decompress(data)
  const sizes = zstdSizes(data)
  if (sizes.largestDeclared !== undefined) refuseOver('zstd', sizes.largestDeclared, maxBytes, (n) => `${n} bytes (a frame header declares it)`)
  refuseOver('zstd', sizes.bound, maxBytes, (n) => `up to ${n} bytes (its block headers allow that much)`)
  return checkOutput('zstd', await zstd().decompress(data), maxBytes)
}
