/**
 * Does the broker's CPU per MiB stay flat as its log grows? (issue 20: after 20 GB written it
 * must be within 10% of what it was after the first 100 MB; an earlier note saw it go from about
 * 4 to about 9 ms per MiB after ~7 GB in one log dir.)
 *
 * One broker process (`samsa server start`, default segment size, no retention limit), one
 * topic of SAMSA_BENCH_PARTITIONS partitions (6), and librdkafka (bench/librdkafka/produce.c,
 * or kcat with SAMSA_BENCH_PRODUCER=kcat: see bench/librdkafka.ts) producing 1 KiB
 * records (SAMSA_BENCH_PASS_MIB per pass, 100) again and again with acks=1 until
 * SAMSA_BENCH_TOTAL_GIB (20) is written. Each pass reports the broker's CPU time over it
 * (utime + stime from /proc/<pid>/stat) per MiB; the table shows the first passes, every
 * tenth, and the last ones; then the medians of the first and last ten passes, whole and split
 * into user and kernel time, and their ratios.
 *
 *   npm run build && node dist/bench/broker/log-growth.js
 *
 * The log goes to SAMSA_BENCH_DIR (default the OS temp dir) and is deleted at the end; it needs
 * SAMSA_BENCH_TOTAL_GIB of free disk. Linux only (/proc).
 *
 * A warm-up pass to another topic comes first and is not counted: the first passes otherwise
 * measure the JIT compiling the produce path, not the log.
 *
 * SAMSA_BENCH_FILL_GIB (default 0): write a file of that many GiB into the same directory
 * first, and keep it until the end, so the page cache is full before the log grows, as on a
 * broker that has run for a while. On this project's VMs, a write into page-cache memory the
 * machine has not used for a while costs about ten times the kernel time of one that reuses a
 * page (bench/README.md, "The page cache's state"), and that cost shows as log growth: without
 * the fill, the kernel's part jumps once the page cache outgrows the memory used recently.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Admin } from '../../src/client/admin/admin.js'
import { createLogger } from '../../src/util/logger.js'
import { startBrokerProcess, type BrokerProcess } from '../../test/helpers/broker-process.js'
import { writeRecordFile } from '../kcat.js'
import { benchProducer, produceRecords, producerName } from '../librdkafka.js'
import { fillPageCache } from '../page-cache.js'
import { cpuTimes } from '../proc.js'
import { fmt, progress } from '../progress.js'

const MiB = 1024 * 1024
const SIZE = 1024
const PARTITIONS = Number(process.env['SAMSA_BENCH_PARTITIONS'] ?? 6)
const PASS_MIB = Number(process.env['SAMSA_BENCH_PASS_MIB'] ?? 100)
const TOTAL_GIB = Number(process.env['SAMSA_BENCH_TOTAL_GIB'] ?? 20)
const RECORDS = Math.floor((PASS_MIB * MiB) / SIZE)

interface Pass {
  n: number
  writtenGiB: number
  msPerMiB: number
  /** The kernel's part of msPerMiB (system time: the write(2) calls, page allocation and reclaim). */
  kernelMsPerMiB: number
  mibPerSec: number
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(process.env['SAMSA_BENCH_DIR'] ?? tmpdir(), 'samsa-log-growth-'))
  const passes: Pass[] = []
  let broker: BrokerProcess | undefined
  try {
    // Inside the try: a fill stopped by a full disk must not leave its file behind.
    fillPageCache(join(dir, 'page-cache-fill'))
    broker = await startBrokerProcess({ logDir: join(dir, 'log'), overrides: { 'auto.create.topics.enable': 'false' } })
    const file = join(dir, 'records.txt')
    const producer = benchProducer()
    if (producer === 'kcat') await writeRecordFile(file, RECORDS, SIZE)
    const admin = new Admin({ bootstrapServers: broker.bootstrap, logger: createLogger({ level: 'silent' }) })
    await admin.createTopics([
      { topic: 'growth', numPartitions: PARTITIONS, replicationFactor: 1 },
      { topic: 'warm-up', numPartitions: PARTITIONS, replicationFactor: 1 },
    ])
    await admin.close()
    await produceRecords(producer, broker.bootstrap, 'warm-up', RECORDS, SIZE, file)
    const pid = broker.proc.pid!
    const total = Math.ceil((TOTAL_GIB * 1024) / PASS_MIB)
    console.log(`${total} passes of ${fmt(RECORDS)} x ${SIZE} B records (${PASS_MIB} MiB) from ${producerName(producer)}, acks=1, ${PARTITIONS} partitions: ${TOTAL_GIB} GiB in all`)
    const bar = progress()
    for (let n = 1; n <= total; n++) {
      const c0 = cpuTimes(pid)
      const t0 = performance.now()
      await produceRecords(producer, broker.bootstrap, 'growth', RECORDS, SIZE, file)
      const secs = (performance.now() - t0) / 1000
      const c1 = cpuTimes(pid)
      const p = { n, writtenGiB: (n * PASS_MIB) / 1024, msPerMiB: (c1.user + c1.sys - c0.user - c0.sys) / PASS_MIB, kernelMsPerMiB: (c1.sys - c0.sys) / PASS_MIB, mibPerSec: PASS_MIB / secs }
      passes.push(p)
      bar.update(`pass ${n}/${total}: ${p.writtenGiB.toFixed(1)} GiB written, ${p.msPerMiB.toFixed(2)} broker CPU-ms per MiB, ${p.mibPerSec.toFixed(0)} MiB/s`)
    }
    bar.done()
  } finally {
    await broker?.stop('SIGTERM')
    await rm(dir, { recursive: true, force: true })
  }
  console.log(`${'pass'.padStart(5)} ${'GiB written'.padStart(11)} ${'CPU-ms/MiB'.padStart(10)} ${'kernel'.padStart(7)} ${'MiB/s'.padStart(7)}`)
  for (const p of passes) {
    if (p.n <= 5 || p.n % 10 === 0 || p.n > passes.length - 5) console.log(`${String(p.n).padStart(5)} ${p.writtenGiB.toFixed(1).padStart(11)} ${p.msPerMiB.toFixed(2).padStart(10)} ${p.kernelMsPerMiB.toFixed(2).padStart(7)} ${p.mibPerSec.toFixed(0).padStart(7)}`)
  }
  // Medians of ten passes: one pass's figure moves with the machine's other work.
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const k = Math.min(10, passes.length)
  const [head, tail] = [passes.slice(0, k), passes.slice(-k)]
  const row = (what: string, f: (p: Pass) => number) => {
    const a = median(head.map(f))
    const b = median(tail.map(f))
    console.log(`${what}: first ${k} passes ${a.toFixed(2)} ms per MiB, last ${k} ${b.toFixed(2)}; last / first ${(b / a).toFixed(2)}`)
  }
  row('broker CPU', (p) => p.msPerMiB)
  row('  of it in user space', (p) => p.msPerMiB - p.kernelMsPerMiB)
  row('  of it in the kernel', (p) => p.kernelMsPerMiB)
}

await main()
