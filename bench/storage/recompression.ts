/**
 * What compression.type costs the leader per producer batch: validateProducerRecords on a
 * 1 MiB uncompressed batch (1,000 records of word-like text) for each compression.type. producer
 * (and uncompressed, the same codec) is the decode-free path; the others decode and re-encode.
 * Each case runs 30 batches after 5 of warm-up; the mean is printed.
 *
 *   node dist/bench/storage/recompression.js
 */
import { createBatch, encodeBatch } from '../../src/protocol/records/batch.js'
import { resolveLogConfig, validateProducerRecords, type CompressionType } from '../../src/storage/index.js'

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'kafka', 'samsa', 'offset', 'segment', 'cleaner', 'broker']
let seed = 1
const word = (): string => WORDS[(seed = (seed * 1103515245 + 12345) % 2147483648) % WORDS.length]!
const records = Array.from({ length: 1000 }, (_, i) => ({
  timestampDelta: i,
  offsetDelta: i,
  key: Buffer.from(`k${i}`),
  value: Buffer.from(Array.from({ length: 150 }, word).join(' ')),
  headers: [],
}))
const raw = await encodeBatch(createBatch({ baseTimestamp: BigInt(Date.now()), records }))
const checks = { singleBatch: true, allowZstd: true, maxDecodedBytes: 64 << 20 }
console.log(`batch: ${raw.length} bytes uncompressed`)
for (const type of ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] as CompressionType[]) {
  const config = resolveLogConfig({ compressionType: type, maxMessageBytes: 16 << 20 })
  const run = async (n: number): Promise<number> => {
    let stored = 0
    for (let i = 0; i < n; i++) stored = (await validateProducerRecords(Buffer.from(raw), { config, checks, partition: 'bench-0', now: Date.now() })).records.length
    return stored
  }
  await run(5)
  const n = 30
  const t = process.hrtime.bigint()
  const stored = await run(n)
  const ms = Number(process.hrtime.bigint() - t) / 1e6 / n
  console.log(`${type.padEnd(12)} ${ms.toFixed(2).padStart(7)} ms/batch ${(raw.length / 1048576 / (ms / 1000)).toFixed(0).padStart(5)} MiB/s  stored ${stored} bytes`)
}
