/**
 * Read latency from random offsets: a 100 MB log and a 2 GB log (1 KiB records in 16 KiB
 * batches, default 1 GiB segments, default 4 KiB index interval). Each read is read() (index
 * lookup + header scan) plus reading the returned range into memory, 64 KiB per fetch. The log
 * is closed and reopened first, so indexes load lazily as a restarted broker's would. The page
 * cache is warm (the data was just written), so this measures lookup cost, not the disk.
 *
 *   node dist/bench/storage/read.js [reads per log, default 5000]
 */
import { join } from 'node:path'
import { UnifiedLog } from '../../src/storage/log/unified-log.js'
import { benchDir, buildBatch, now, percentile, removeDir, silent } from './common.js'

const reads = Number(process.argv[2] ?? 5000)

async function measure(label: string, bytes: number): Promise<{ p50: number; p99: number; mean: number }> {
  const dir = await benchDir('read')
  try {
    const batch = buildBatch(16, 1024)
    const logDir = join(dir, 't-0')
    let log = await UnifiedLog.open({ dir: logDir, topic: 't', partition: 0, logger: silent })
    const count = Math.ceil(bytes / batch.length)
    const tw = now()
    for (let i = 0; i < count; i++) await log.appendAsLeader(batch, { leaderEpoch: 0 })
    const writeMs = now() - tw
    await log.close({ flush: false })
    log = await UnifiedLog.open({ dir: logDir, topic: 't', partition: 0, logger: silent, hadCleanShutdown: true })
    const end = log.logEndOffset
    let seed = 12345
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
    for (let i = 0; i < 200; i++) await log.readRecords({ fromOffset: Math.floor(rnd() * end), maxBytes: 65536 })
    const lat: number[] = []
    let total = 0
    for (let i = 0; i < reads; i++) {
      const from = Math.floor(rnd() * end)
      const t = now()
      const r = await log.read({ fromOffset: from, maxBytes: 65536 })
      for (const range of r.ranges) total += (await log.readRange(range)).length
      lat.push(now() - t)
    }
    lat.sort((a, b) => a - b)
    const mean = lat.reduce((s, x) => s + x, 0) / lat.length
    const res = { p50: percentile(lat, 50), p99: percentile(lat, 99), mean }
    console.log(
      `${label.padEnd(6)} ${String(log.segmentCount).padStart(8)}  ${(log.size / 1e6).toFixed(0).padStart(7)} MB  p50 ${(res.p50 * 1000).toFixed(0).padStart(5)} µs  p99 ${(res.p99 * 1000).toFixed(0).padStart(5)} µs  mean ${(res.mean * 1000).toFixed(0).padStart(5)} µs  (${(total / reads / 1024).toFixed(0)} KiB/read; log written in ${(writeMs / 1000).toFixed(1)} s)`,
    )
    await log.close({ flush: false })
    return res
  } finally {
    await removeDir(dir)
  }
}

console.log(`random-offset reads, ${reads} per log, 64 KiB max per read`)
console.log('log    segments     size')
const small = await measure('100MB', 100e6)
const large = await measure('2GB', 2e9)
console.log(`ratio 2GB/100MB: p50 ${(large.p50 / small.p50).toFixed(2)}  p99 ${(large.p99 / small.p99).toFixed(2)}  mean ${(large.mean / small.mean).toFixed(2)}`)
