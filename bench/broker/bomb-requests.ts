/**
 * Memory a broker process holds while one Produce request carries a "zip bomb" in each of
 * many partitions: SAMSA_BENCH_PARTITIONS (default 300) partitions, each a zstd batch of a few
 * hundred bytes that decompresses to just under the decode bound (socket.request.max.bytes,
 * set to SAMSA_BENCH_LIMIT_MIB, default 8), with header max timestamp -1 so the broker must
 * decode it. Prints the error codes answered, the time taken and how far the broker's peak
 * resident memory (VmHWM) grew. Each batch is bounded on its own; decoding them one at a time
 * (storage/log/validator.ts) is what bounds the request: without it the peak grew with the
 * partition count (measured: 207 MiB for 200 partitions of 7 MiB, about 100 MiB with it, at
 * 200 and at 600 partitions).
 *
 *   npm run build && node dist/bench/broker/bomb-requests.js
 *
 * Linux only (reads /proc/<pid>/status).
 */
import { readFileSync } from 'node:fs'
import { CompressionCodec } from '../../src/protocol/records/batch-header.js'
import { startBrokerProcess } from '../../test/helpers/broker-process.js'
import { batchAround, zstdBomb } from '../../test/helpers/compression-bombs.js'
import { decodeResponse, encodeRequest, RawClient } from '../../test/helpers/raw-client.js'
import { createTopic } from '../../test/helpers/wire.js'
import { ApiKey, type ResponseOf } from '../../src/protocol/generated/api-keys.js'

const MiB = 1 << 20
const PARTITIONS = Number(process.env['SAMSA_BENCH_PARTITIONS'] ?? 300)
const LIMIT = Number(process.env['SAMSA_BENCH_LIMIT_MIB'] ?? 8) * MiB

function peak(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) * 1024 : NaN
}

const b = await startBrokerProcess({ overrides: { 'socket.request.max.bytes': String(LIMIT) } })
try {
  const c = await RawClient.connect(b.port, b.host)
  await createTopic(c, 'bombs', PARTITIONS)
  const bomb = batchAround(zstdBomb(LIMIT - MiB), CompressionCodec.Zstd, { maxTimestamp: -1n })
  const before = peak(b.proc.pid!)
  const started = performance.now()
  // Not RawClient.request: it waits 5 s for an answer, and decoding the bombs takes longer.
  await c.write(encodeRequest(ApiKey.Produce, 9, 1, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 30_000,
    topicData: [{ name: 'bombs', partitionData: Array.from({ length: PARTITIONS }, (_, index) => ({ index, records: bomb })) }],
  }))
  const resp = decodeResponse<ResponseOf<typeof ApiKey.Produce>>(await c.nextFrame(300_000), ApiKey.Produce, 9).body
  const ms = performance.now() - started
  const codes = new Map<number, number>()
  for (const p of resp.responses[0]!.partitionResponses) codes.set(p.errorCode, (codes.get(p.errorCode) ?? 0) + 1)
  console.log(`${PARTITIONS} partitions x ${bomb.length} B bombs of ${((LIMIT - MiB) / MiB).toFixed(0)} MiB in one request of ${(PARTITIONS * bomb.length / 1024).toFixed(0)} KiB`)
  console.log(`answered ${[...codes].map(([code, n]) => `${n} x error ${code}`).join(', ')} in ${ms.toFixed(0)} ms`)
  console.log(`broker peak RSS grew ${((peak(b.proc.pid!) - before) / MiB).toFixed(0)} MiB`)
  c.close()
} finally {
  await b.stop()
}
