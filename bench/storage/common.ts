/** Shared bits of the storage benchmarks: batch building, temp dirs, timing. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { computeBatchCrc } from '../../src/protocol/records/batch-header.js'

function varint(n: number): number[] {
  let v = n >= 0 ? n * 2 : -n * 2 - 1
  const out: number[] = []
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  out.push(v)
  return out
}

/** A valid uncompressed v2 batch of `records` records whose encoded size is about `recordBytes` each. */
export function buildBatch(records: number, recordBytes: number, timestamp = Date.now()): Buffer {
  const valueSize = recordBytes - 12
  const parts: Buffer[] = []
  for (let i = 0; i < records; i++) {
    const body = Buffer.concat([Buffer.from([0, ...varint(0), ...varint(i), ...varint(-1), ...varint(valueSize)]), Buffer.alloc(valueSize, i & 0xff), Buffer.from(varint(0))])
    parts.push(Buffer.from(varint(body.length)), body)
  }
  const body = Buffer.concat(parts)
  const buf = Buffer.alloc(61 + body.length)
  buf.writeInt32BE(buf.length - 12, 8)
  buf.writeInt32BE(-1, 12)
  buf.writeInt8(2, 16)
  buf.writeInt32BE(records - 1, 23)
  buf.writeBigInt64BE(BigInt(timestamp), 27)
  buf.writeBigInt64BE(BigInt(timestamp), 35)
  buf.writeBigInt64BE(-1n, 43)
  buf.writeInt16BE(-1, 51)
  buf.writeInt32BE(-1, 53)
  buf.writeInt32BE(records, 57)
  body.copy(buf, 61)
  buf.writeUInt32BE(computeBatchCrc(buf, 0), 17)
  return buf
}

export async function benchDir(name: string): Promise<string> {
  return mkdtemp(join(process.env['SAMSA_BENCH_DIR'] ?? tmpdir(), `samsa-bench-${name}-`))
}

export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true })
}

export function now(): number {
  return performance.now()
}

export function mbPerSec(bytes: number, ms: number): string {
  return ((bytes / (1024 * 1024)) / (ms / 1000)).toFixed(0)
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export const silent = { info: () => {}, warn: (m: string) => console.warn(m) }
