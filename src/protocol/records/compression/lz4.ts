/**
 * LZ4 in the standard frame format (magic 0x184D2204), as magic-v2 batches require.
 *
 * Content and block checksums are turned off explicitly: Kafka's own writer never sets them,
 * and Java clients before 2.x refuse frames that carry a content checksum or content size.
 * lz4-napi always writes independent blocks, which Kafka's reader insists on.
 */
import * as lz4 from 'lz4-napi'

const FRAME_OPTIONS = { contentChecksum: false, blockChecksums: false }

export const compress = (data: Buffer): Promise<Buffer> => lz4.compressFrame(data, FRAME_OPTIONS)
export const decompress = (data: Buffer): Promise<Buffer> => lz4.decompressFrame(data)
export const compressSync = (data: Buffer): Buffer => lz4.compressFrameSync(data, FRAME_OPTIONS)
export const decompressSync = (data: Buffer): Buffer => lz4.decompressFrameSync(data)

const FRAME_MAGIC = 0x184d2204

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
