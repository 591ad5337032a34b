/**
 * "Zip bombs": small compressed inputs that expand to many bytes of zeros, built without ever
 * holding the expanded bytes, for tests that a decoder refuses them with bounded memory.
 */
import { createGzip } from 'node:zlib'
import * as lz4 from 'lz4-napi'
import { ATTRIBUTES_OFFSET, CompressionCodec, CRC_OFFSET, LOG_OVERHEAD, computeBatchCrc, createBatch, encodeBatchSync } from '../../src/protocol/records/index.js'

const MiB = 1 << 20

/**
 * A zstd frame of RLE blocks regenerating `bytes` zeros: 4 bytes of input per 128 KiB. Like
 * what the Java client and librdkafka write, it declares no content size unless `declare` is given.
 */
export function zstdBomb(bytes: number, opts: { declare?: number } = {}): Buffer {
  const block = 128 * 1024
  const count = Math.ceil(bytes / block)
  const header =
    opts.declare === undefined
      ? Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]) // no content size; window 2 MiB
      : Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xc0, 0x58]), u64le(opts.declare)]) // 8-byte content size
  const blocks = Buffer.alloc(count * 4)
  for (let i = 0; i < count; i++) {
    const size = i === count - 1 ? bytes - block * (count - 1) : block
    const word = (size << 3) | (1 << 1) | (i === count - 1 ? 1 : 0) // RLE block
    blocks.writeUIntLE(word, i * 4, 3)
    blocks[i * 4 + 3] = 0
  }
  return Buffer.concat([header, blocks])
}

function u64le(n: number): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt(n))
  return b
}

/** gzip of `bytes` zeros (about 1 KiB per MiB), deflated 1 MiB at a time. */
export async function gzipBomb(bytes: number): Promise<Buffer> {
  const zeros = Buffer.alloc(MiB)
  const gz = createGzip({ level: 9 })
  const parts: Buffer[] = []
  gz.on('data', (c: Buffer) => parts.push(c))
  const done = new Promise<void>((resolve, reject) => gz.on('end', resolve).on('error', reject))
  for (let left = bytes; left > 0; left -= MiB) {
    if (!gz.write(left >= MiB ? zeros : zeros.subarray(0, left))) await new Promise((r) => gz.once('drain', r))
  }
  gz.end()
  await done
  return Buffer.concat(parts)
}

/** An lz4 frame of independent 4 MiB blocks of zeros (about 16 KiB each), `bytes` a multiple of 4 MiB. */
export function lz4Bomb(bytes: number): Buffer {
  // One 4 MiB block as lz4-napi compresses it (it picks 4 MiB blocks for such input): the frame
  // header (7 bytes), one block (4-byte size + data), then the end mark.
  const one = lz4.compressFrameSync(Buffer.alloc(4 * MiB), { contentChecksum: false, blockChecksums: false })
  if (((one[5]! >> 4) & 7) !== 7) throw new Error('expected lz4-napi to write 4 MiB blocks')
  const blockEnd = 7 + 4 + one.readUInt32LE(7)
  const block = one.subarray(7, blockEnd)
  const blocks = Array.from({ length: bytes / (4 * MiB) }, () => block)
  return Buffer.concat([one.subarray(0, 7), ...blocks, Buffer.alloc(4)])
}

/** A raw snappy block whose length preamble claims `claimed` bytes (at most 2^32 - 1), then a few bytes of garbage. */
export function snappyLengthLie(claimed: number): Buffer {
  const pre: number[] = []
  let v = claimed
  while (v >= 0x80) {
    pre.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  pre.push(v)
  return Buffer.from([...pre, 0x00, 0x00])
}

/**
 * A record batch (one record claimed) whose records section is `section`, compressed with
 * `codec`, CRC valid: it passes every header check a broker makes without decompressing.
 * `maxTimestamp` -1 is what sarama before 1.45.1 sends, and makes the broker decode.
 */
export function batchAround(section: Buffer, codec: CompressionCodec, opts: { maxTimestamp?: bigint; recordCount?: number } = {}): Buffer {
  const now = BigInt(Date.now())
  const template = encodeBatchSync(createBatch({ baseTimestamp: now, records: [] }))
  const buf = Buffer.concat([template, section])
  const count = opts.recordCount ?? 1
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, 8) // batchLength
  buf.writeInt16BE(codec, ATTRIBUTES_OFFSET) // the codec, CreateTime
  buf.writeInt32BE(count - 1, 23) // lastOffsetDelta
  buf.writeBigInt64BE(opts.maxTimestamp ?? now, 35)
  buf.writeInt32BE(count, 57) // recordCount
  buf.writeUInt32BE(computeBatchCrc(buf, 0), CRC_OFFSET)
  return buf
}
