/**
 * Snappy as Kafka clients write it, in one of two shapes:
 *  - raw: a single Snappy block (librdkafka, sarama, franz-go, kafkajs, @platformatic/kafka);
 *  - xerial framing: a 16-byte header (0x82 "SNAPPY" 0x00, version int32, compatible version
 *    int32) then blocks, each an int32 big-endian compressed length and a raw Snappy block
 *    (the Java client, via snappy-java's SnappyOutputStream; kafka-python).
 *
 * Decoding accepts both. Encoding writes raw: every reader we know of accepts it (the Java
 * client's SnappyInputStream falls back to raw when the header is absent), whereas at least
 * @platformatic/kafka 1.x cannot read xerial framing.
 *
 * A raw block starts with its uncompressed length (a varint), and the library allocates that
 * much before decoding, so a bounded decompression checks the lengths first: five bytes can
 * ask for 4 GiB.
 */
import { lazyRequire } from '../../../util/lazy-require.js'
import { RecordsError, RecordsErrorCode } from '../errors.js'
import { checkOutput, malformed, refuseOver, type DecompressOptions } from './limit.js'

const snappy = lazyRequire<typeof import('snappy')>('snappy')

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER_SIZE = 16
/** snappy-java's default block size, so framed output matches what the Java client writes. */
const XERIAL_BLOCK_SIZE = 32 * 1024

export function isXerialFramed(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0
}

function rawUncompressSync(block: Buffer): Buffer {
  return snappy().uncompressSync(block, { asBuffer: true }) as Buffer
}

function xerialBlocks(data: Buffer): Buffer[] {
  const blocks: Buffer[] = []
  let pos = XERIAL_HEADER_SIZE
  while (pos < data.length) {
    if (pos + 4 > data.length) {
      throw new RecordsError(RecordsErrorCode.DecompressionFailed, 'xerial snappy: truncated block length')
    }
    const size = data.readInt32BE(pos)
    pos += 4
    if (size < 0 || pos + size > data.length) {
      throw new RecordsError(RecordsErrorCode.DecompressionFailed, `xerial snappy: block of ${size} bytes overruns input`)
    }
    blocks.push(data.subarray(pos, pos + size))
    pos += size
  }
  return blocks
}

export const compress = (data: Buffer): Promise<Buffer> => snappy().compress(data)
export const compressSync = (data: Buffer): Buffer => snappy().compressSync(data)

/** The uncompressed length a raw block declares: a little-endian base-128 varint of at most 32 bits. */
export function rawUncompressedLength(block: Buffer): number {
  let value = 0
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw malformed('snappy', 'block ends inside its length preamble')
    const b = block[i]!
    value += (b & 0x7f) * 2 ** (7 * i)
    if ((b & 0x80) === 0) {
      if (value > 0xffffffff) throw malformed('snappy', `length preamble ${value} does not fit 32 bits`)
      return value
    }
  }
  throw malformed('snappy', 'length preamble longer than 5 bytes')
}

function refuseLarge(blocks: Buffer[], maxBytes: number): void {
  let total = 0
  for (const b of blocks) total += rawUncompressedLength(b)
  refuseOver('snappy', total, maxBytes, (n) => `${n} bytes (its length preambles declare it)`)
}

export async function decompress(data: Buffer, options: DecompressOptions = {}): Promise<Buffer> {
  const { maxBytes } = options
  const xerial = isXerialFramed(data)
  const blocks = xerial ? xerialBlocks(data) : [data]
  if (maxBytes !== undefined) refuseLarge(blocks, maxBytes)
  const parts = await Promise.all(blocks.map((b) => snappy().uncompress(b, { asBuffer: true }) as Promise<Buffer>))
  const out = xerial ? Buffer.concat(parts) : parts[0]!
  return maxBytes === undefined ? out : checkOutput('snappy', out, maxBytes)
}

export function decompressSync(data: Buffer, options: DecompressOptions = {}): Buffer {
  const { maxBytes } = options
  const xerial = isXerialFramed(data)
  const blocks = xerial ? xerialBlocks(data) : [data]
  if (maxBytes !== undefined) refuseLarge(blocks, maxBytes)
  const out = xerial ? Buffer.concat(blocks.map(rawUncompressSync)) : rawUncompressSync(data)
  return maxBytes === undefined ? out : checkOutput('snappy', out, maxBytes)
}

/** Xerial-framed output as the Java client writes it; not used for batches by default. */
export function compressXerialSync(data: Buffer, blockSize = XERIAL_BLOCK_SIZE): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_SIZE)
  XERIAL_MAGIC.copy(header, 0)
  header.writeInt32BE(1, 8)
  header.writeInt32BE(1, 12)
  const parts: Buffer[] = [header]
  for (let pos = 0; pos < data.length; pos += blockSize) {
    const block = snappy().compressSync(data.subarray(pos, pos + blockSize))
    const len = Buffer.allocUnsafe(4)
    len.writeInt32BE(block.length, 0)
    parts.push(len, block)
  }
  return Buffer.concat(parts)
}
