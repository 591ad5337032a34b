/**
 * Open time of a log dir with 1,000 partitions (3 segments each, ~200 KB per partition),
 * after a clean shutdown, after an unclean one (recovery point checkpoint present: only each
 * partition's active segment is scanned) and after an unclean one with no recovery point
 * checkpoint (every segment is scanned and its CRCs checked). Page cache warm.
 *
 *   node dist/bench/storage/open.js [partitions, default 1000]
 */
import { unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { LogManager } from '../../src/storage/log-manager.js'
import { benchDir, buildBatch, now, removeDir, silent } from './common.js'

const partitions = Number(process.argv[2] ?? 1000)

async function openOnce(dir: string): Promise<{ ms: number; scanned: number }> {
  const t = now()
  const lm = await LogManager.open({ logDirs: [dir], logger: silent, schedule: false, defaultConfig: { segmentBytes: 70_000 } })
  const ms = now() - t
  const scanned = lm.loadStats.recoveredSegments
  if (lm.loadStats.partitions !== partitions) throw new Error(`loaded ${lm.loadStats.partitions} partitions`)
  await lm.close()
  return { ms, scanned }
}

async function main(): Promise<void> {
  const dir = await benchDir('open')
  try {
    const lm = await LogManager.open({ logDirs: [dir], logger: silent, schedule: false, defaultConfig: { segmentBytes: 70_000 } })
    const batch = buildBatch(16, 1024)
    for (let p = 0; p < partitions; p++) {
      const log = await lm.getOrCreateLog({ topic: 'bench', partition: p })
      for (let i = 0; i < 12; i++) await log.appendAsLeader(batch, { leaderEpoch: 0 })
      log.updateHighWatermark(log.logEndOffset)
    }
    const segments = lm.allLogs().reduce((s, l) => s + l.segmentCount, 0)
    const bytes = lm.allLogs().reduce((s, l) => s + l.size, 0)
    await lm.close()
    console.log(`open a log dir with ${partitions} partitions, ${segments} segments, ${(bytes / 1e6).toFixed(0)} MB`)

    const clean = await openOnce(dir) // also warms the page cache
    const clean2 = await openOnce(dir)
    console.log(`clean shutdown:                          ${Math.min(clean.ms, clean2.ms).toFixed(0).padStart(6)} ms  (segments scanned: ${clean2.scanned})`)

    await unlink(join(dir, '.kafka_cleanshutdown'))
    const unclean = await openOnce(dir)
    console.log(`unclean, recovery points checkpointed:   ${unclean.ms.toFixed(0).padStart(6)} ms  (segments scanned: ${unclean.scanned})`)

    await unlink(join(dir, '.kafka_cleanshutdown'))
    await unlink(join(dir, 'recovery-point-offset-checkpoint'))
    const full = await openOnce(dir)
    console.log(`unclean, no recovery point checkpoint:   ${full.ms.toFixed(0).padStart(6)} ms  (segments scanned: ${full.scanned})`)
  } finally {
    await removeDir(dir)
  }
}

await main()
