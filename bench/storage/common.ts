/** Shared bits of the storage benchmarks: batch building, temp dirs, timing. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBatch, encodeBatchSync } from '../../src/protocol/records/batch.js'

/** A valid uncompressed v2 batch of `records` records whose encoded size is about `recordBytes` each. */
export function buildBatch(records: number, recordBytes: number, timestamp = Date.now()): Buffer {
  // A record with a null key, no headers and small deltas adds about 12 bytes of framing.
  const value = Buffer.alloc(recordBytes - 12, 0x61)
  return encodeBatchSync(
    createBatch({
      baseTimestamp: BigInt(timestamp),
      records: Array.from({ length: records }, (_, i) => ({ timestampDelta: 0, offsetDelta: i, key: null, value, headers: [] })),
    }),
  )
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
