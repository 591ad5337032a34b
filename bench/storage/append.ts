/**
 * Append throughput: batches of 1 KiB records (16 KiB and 1 MiB batches) through
 * UnifiedLog.appendAsLeader, beside plain sequential writes of the same bytes measured in
 * the same run. No fsync in either (Kafka's default flush policy).
 *
 * Each run writes 256 MiB (below the kernel's dirty-page thresholds, so writeback to the VM's
 * disk does not dominate) and is deleted right after; the best of three rounds is printed.
 *
 *   node dist/bench/storage/append.js [MiB per case, default 256]
 */
import { open } from 'node:fs/promises'
import { closeSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { UnifiedLog } from '../../src/storage/log/unified-log.js'
import { validateRecordBatches } from '../../src/storage/log/validator.js'
import { benchDir, buildBatch, mbPerSec, now, removeDir, silent } from './common.js'

const totalMiB = Number(process.argv[2] ?? 256)
const rounds = 3

async function baselineAsync(dir: string, batch: Buffer, count: number): Promise<number> {
  const fh = await open(join(dir, 'plain-async.bin'), 'w')
  const t = now()
  let pos = 0
  for (let i = 0; i < count; i++) {
    await fh.write(batch, 0, batch.length, pos)
    pos += batch.length
  }
  const ms = now() - t
  await fh.close()
  return ms
}

function baselineSync(dir: string, batch: Buffer, count: number): number {
  const fd = openSync(join(dir, 'plain-sync.bin'), 'w')
  const t = now()
  for (let i = 0; i < count; i++) writeSync(fd, batch)
  const ms = now() - t
  closeSync(fd)
  return ms
}

async function samsa(dir: string, batch: Buffer, count: number, validate: boolean): Promise<number> {
  const log = await UnifiedLog.open({ dir: join(dir, `t-${validate ? 1 : 0}`), topic: 't', partition: 0, logger: silent })
  const t = now()
  for (let i = 0; i < count; i++) {
    if (validate) validateRecordBatches(batch, { maxBatchBytes: 2 * 1024 * 1024 })
    await log.appendAsLeader(batch, { leaderEpoch: 0 })
  }
  const ms = now() - t
  await log.close({ flush: false })
  return ms
}

async function main(): Promise<void> {
  console.log(`append throughput, ${totalMiB} MiB per run, best of ${rounds}, 1 KiB records, no fsync (node ${process.version})`)
  console.log('batch      plain fh.write  plain writeSync  samsa append  samsa validate+append  (MB/s)')
  for (const [label, records] of [['16 KiB', 16], ['1 MiB', 1024]] as const) {
    const batch = buildBatch(records, 1024)
    const count = Math.floor((totalMiB * 1024 * 1024) / batch.length)
    const bytes = count * batch.length
    const dir = await benchDir('append')
    try {
      // Warm-up, then rounds in alternating order; the best of each is kept.
      await samsa(dir, batch, Math.min(count, 200), false)
      await removeDir(join(dir, 't-0'))
      let a = Infinity
      let s = Infinity
      let p = Infinity
      let v = Infinity
      for (let round = 0; round < rounds; round++) {
        a = Math.min(a, await baselineAsync(dir, batch, count))
        await removeDir(join(dir, 'plain-async.bin'))
        s = Math.min(s, baselineSync(dir, batch, count))
        await removeDir(join(dir, 'plain-sync.bin'))
        p = Math.min(p, await samsa(dir, batch, count, false))
        await removeDir(join(dir, 't-0'))
        v = Math.min(v, await samsa(dir, batch, count, true))
        await removeDir(join(dir, 't-1'))
      }
      console.log(
        `${label.padEnd(10)} ${mbPerSec(bytes, a).padStart(14)}  ${mbPerSec(bytes, s).padStart(15)}  ${mbPerSec(bytes, p).padStart(12)}  ${mbPerSec(bytes, v).padStart(21)}` +
          `   (${count} batches of ${batch.length} B; samsa/plain fh.write = ${(a / p).toFixed(2)})`,
      )
    } finally {
      await removeDir(dir)
    }
  }
}

await main()
