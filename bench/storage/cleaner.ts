/**
 * The log cleaner's throughput and what it costs producers, in one run: a compacted log of
 * `MiB` MiB (default 64) of 1 KiB records over 2,000 keys in 8 MiB segments is cleaned
 * (MB/s read by the cleaner), while a second log takes paced appends (one 1 KiB-record batch
 * every 2 ms); their p99 latency is measured idle first, then with the cleaner busy. With `txn`,
 * every batch is its own transaction of one of 8 producers, every other one aborted (a marker
 * after each), so the pass also removes aborted records through the .txnindex. The pass runs
 * as the broker runs it, in a cleaner worker thread; with `inproc`, on the event loop instead
 * (the path the cleaning-rule tests use), for comparison. The event loop's delay during the pass
 * is printed too: on a shared machine the produce p99 also counts CPU the pass takes from it.
 *
 *   node dist/bench/storage/cleaner.js [MiB] [txn] [inproc]
 */
import { createBatch, encodeBatch } from '../../src/protocol/records/batch.js'
import { createEndTxnBatch } from '../../src/protocol/records/control.js'
import { cleanLog } from '../../src/storage/log/cleaner/cleaner.js'
import { OffsetMap } from '../../src/storage/log/cleaner/offset-map.js'
import { CleanerPool } from '../../src/storage/log/cleaner/worker-pool.js'
import { UnifiedLog } from '../../src/storage/log/unified-log.js'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { benchDir, buildBatch, mbPerSec, now, percentile, removeDir, silent } from './common.js'

const args = process.argv.slice(2)
const mib = Number(args.find((a) => /^\d+$/.test(a)) ?? 64)
const txn = args.includes('txn')
const inproc = args.includes('inproc')
const dir = await benchDir('cleaner')
const config = { segmentBytes: 8 << 20, compact: true, minCleanableDirtyRatio: 0, fileDeleteDelayMs: 0 }
const compacted = await UnifiedLog.open({ dir: `${dir}/compacted-0`, topic: 'compacted', partition: 0, logger: silent, config })
const hot = await UnifiedLog.open({ dir: `${dir}/hot-0`, topic: 'hot', partition: 0, logger: silent, config: { segmentBytes: 64 << 20 } })

let key = 0
const value = Buffer.alloc(1000, 'x')
for (let written = 0; written < mib << 20; ) {
  const records = Array.from({ length: 32 }, (_, i) => ({ timestampDelta: 0, offsetDelta: i, key: Buffer.from(`key-${key++ % 2000}`), value, headers: [] }))
  const n = key / 32
  const producer = txn ? { producerId: BigInt(n % 8), producerEpoch: 0, baseSequence: Math.floor(n / 8) * 32, isTransactional: true } : {}
  const batch = await encodeBatch(createBatch({ baseTimestamp: BigInt(Date.now()), records, ...producer }))
  await compacted.appendAsLeader(batch, { leaderEpoch: 0 })
  written += batch.length
  if (txn) {
    const marker = createEndTxnBatch({ commit: n % 2 === 0, producerId: BigInt(n % 8), producerEpoch: 0, coordinatorEpoch: 0, timestamp: BigInt(Date.now()) })
    await compacted.appendAsLeader(await encodeBatch(marker), { leaderEpoch: 0, origin: { kind: 'coordinator' } })
  }
}
await compacted.roll()
await compacted.flush()
compacted.updateHighWatermark(compacted.logEndOffset)

/** Paced appends to the hot log for `ms`, or until `until` settles; latencies in ms. */
async function paced(ms: number, until?: Promise<unknown>): Promise<number[]> {
  const lat: number[] = []
  let done = false
  void until?.finally(() => (done = true))
  const end = now() + ms
  while (until ? !done : now() < end) {
    const t = now()
    await hot.appendAsLeader(buildBatch(1, 1024), { leaderEpoch: 0 })
    lat.push(now() - t)
    const wait = 2 - (now() - t)
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
  }
  return lat.sort((a, b) => a - b)
}

const pool = new CleanerPool({ threads: 1, ioMaxBytesPerSecond: Number.POSITIVE_INFINITY })
const where = inproc ? { map: new OffsetMap(16 << 20) } : { worker: { pool, mapBytes: 16 << 20 } }
// The event loop's own delay, idle and while the pass runs: what the pass blocks, apart from CPU the machine lacks.
const idleLoop = monitorEventLoopDelay({ resolution: 1 })
idleLoop.enable()
const idle = await paced(5000)
idleLoop.disable()
const loop = monitorEventLoopDelay({ resolution: 1 })
loop.enable()
const started = now()
const cleaning = cleanLog(compacted.cleaner(), { now: Date.now(), firstDirtyOffset: 0, ...where, force: true })
const busy = await paced(0, cleaning)
loop.disable()
const result = (await cleaning)!
const seconds = (now() - started) / 1000
const logBytes = result.bytesRead / 2 // each segment is read twice: the offset map, then the rewrite
console.log(inproc ? 'in process (the event loop):' : `in a worker thread (${result.threadId}):`)
console.log(`cleaned a ${(logBytes / 1048576).toFixed(1)} MiB log in ${seconds.toFixed(2)} s: ${mbPerSec(logBytes, seconds * 1000)} MiB/s of log (${mbPerSec(result.bytesRead, seconds * 1000)} MiB/s read), ${(result.bytesWritten / 1048576).toFixed(1)} MiB written, ${result.recordsRemoved} of ${result.recordsRead} records removed, ${result.segmentsBefore} -> ${result.segmentsAfter} segments${txn ? `, ${result.abortedRemoved} aborted records removed` : ''}`)
console.log(`produce p99 idle ${percentile(idle, 99).toFixed(2)} ms (p50 ${percentile(idle, 50).toFixed(2)}, ${idle.length} appends)`)
console.log(`produce p99 with the cleaner busy ${percentile(busy, 99).toFixed(2)} ms (p50 ${percentile(busy, 50).toFixed(2)}, ${busy.length} appends)`)
const ms = (ns: number): string => (ns / 1e6).toFixed(2)
console.log(`event loop delay p99 idle ${ms(idleLoop.percentile(99))} ms (max ${ms(idleLoop.max)}), while cleaning ${ms(loop.percentile(99))} ms (max ${ms(loop.max)})`)
await pool.close()
await compacted.close()
await hot.close()
await removeDir(dir)
