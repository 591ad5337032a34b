/**
 * kill -9 of a process while it cleans (test/helpers/cleaner-kill-worker.ts), at a random moment,
 * again and again with new records between: each restart recovers the log from offset 0 (a full
 * scan, so a segment that lost its end would be caught), and every record read is the one written
 * at that offset, every key's latest record is there, and the log end stays. Even rounds kill at a
 * random moment; odd ones right at a swap's last rename (the worker says when), which recovery must
 * finish. 5 kills by default; SAMSA_CLEANER_KILLS=1 runs 20.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createBatch, encodeBatch } from '../../../../src/protocol/records/batch.js'
import { logBatches } from '../../helpers/logs.js'
import { silentLogger } from '../../../../src/storage/logger.js'
import { UnifiedLog } from '../../../../src/storage/log/unified-log.js'
import { withTempDir } from '../../helpers/tmp.js'

const WORKER = fileURLToPath(new URL('../../../helpers/cleaner-kill-worker.js', import.meta.url))
const KILLS = process.env['SAMSA_CLEANER_KILLS'] === '1' ? 20 : 5
const open = (dir: string) => UnifiedLog.open({ dir, topic: 't', partition: 0, logger: silentLogger, hadCleanShutdown: false, recoveryPoint: 0, config: { segmentBytes: 4096, compact: true, fileDeleteDelayMs: 0 } })

async function readAll(log: UnifiedLog): Promise<Map<number, string>> {
  const out = new Map<number, string>()
  for await (const b of logBatches(log)) for (const r of b.records) out.set(Number(b.baseOffset) + r.offsetDelta, `${r.key!.toString()}=${r.value!.toString()}`)
  return out
}

test(`kill -9 while cleaning, ${KILLS} times: the log recovers valid, every key's latest record at its offset`, async () => {
  await withTempDir(async (dir) => {
    const written = new Map<number, string>()
    let n = 0
    let cleanedRounds = 0
    for (let round = 0; round < KILLS; round++) {
      const log = await open(dir)
      for (let i = 0; i < 40; i++) {
        const records = Array.from({ length: 5 }, (_, j) => ({ timestampDelta: 0, offsetDelta: j, key: Buffer.from(`k${(n + j) % 23}`), value: Buffer.from(`v${n + j}-${'x'.repeat(40)}`), headers: [] }))
        const r = await log.appendAsLeader(await encodeBatch(createBatch({ baseTimestamp: BigInt(Date.now()), records })), { leaderEpoch: 0 })
        records.forEach((rec, j) => written.set(r.firstOffset + j, `${rec.key.toString()}=${rec.value.toString()}`))
        n += 5
      }
      await log.roll()
      await log.close()
      const child = spawn(process.execPath, [WORKER, dir], { stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      let err = ''
      child.stderr.on('data', (d: Buffer) => (err += d.toString()))
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
      const atSwap = round % 2 === 1
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (d: Buffer) => ((out += d.toString()), out.includes(atSwap ? 'swapping' : 'cleaning') && resolve()))
        void exited.then(() => resolve())
      })
      if (!atSwap) await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 200)))
      child.kill('SIGKILL')
      const code = await exited
      assert.ok(code === null || out.includes('done'), `round ${round}: the cleaning process failed (${code}): ${err}`)

      const reopened = await open(dir)
      assert.equal(reopened.logEndOffset, n, `round ${round}: the log end survives`)
      const got = await readAll(reopened)
      const latest = new Map<string, number>()
      for (const [o, kv] of written) latest.set(kv.split('=')[0]!, o)
      for (const [o, kv] of got) assert.equal(kv, written.get(o), `round ${round}: offset ${o} holds what was written there`)
      for (const [k, o] of latest) assert.equal(got.get(o), written.get(o), `round ${round}: latest of ${k} at ${o}`)
      if (got.size < written.size) cleanedRounds++
      await reopened.close()
    }
    // A kill at a swap's last rename leaves a swap that recovery finishes: cleaning reached the disk.
    assert.ok(cleanedRounds > 0, 'no round saw a cleaned segment')
  })
})
