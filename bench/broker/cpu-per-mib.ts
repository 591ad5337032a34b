/**
 * Broker CPU per MiB produced and fetched (issue 20, part 2): the broker process's utime +
 * stime (/proc/<pid>/stat) while librdkafka produces records of 100 B, 1 KiB and 16 KiB
 * with acks=1 to a topic of 6 partitions, and while kcat reads them back, divided by the MiB of
 * record values moved. The issue's targets: produce 1 KiB <= 1.5 ms/MiB, fetch <= 1 ms/MiB,
 * 100 B produce >= 2 M records/s.
 *
 * The producer is bench/librdkafka/produce.c (built on first use; needs cc and
 * librdkafka-dev), because kcat, reading its records a line at a time, delivers less than the
 * broker takes (about 1.1-1.4 M records/s of 100 B here). SAMSA_BENCH_PRODUCER=kcat uses
 * `kcat -P -l` instead, as earlier notes did; without the C producer it falls back to kcat
 * and says so.
 *
 *   npm run build && node dist/bench/broker/cpu-per-mib.js [--baseline DIR] [--json FILE]
 *
 * `--baseline DIR` runs a second build beside this one in the same run: DIR is another
 * checkout (or its dist/), whose dist/bin/samsa.js (or dist/src/cli/samsa.js) is started as a second broker process.
 * The two are measured in alternating order round by round (A B, B A, ...) so load from other
 * work on the machine falls on both alike, and the table shows each one's median and the ratio
 * current / baseline. CPU per MiB is a fair figure on a shared machine; records/s is not.
 *
 * Each round writes to fresh topics on the same brokers, so the logs grow over the run (a cost
 * that grows with the log shows as a drift across rounds: `--json` has every sample).
 *
 * Environment: SAMSA_BENCH_SIZES (record sizes in bytes, default 100,1024,16384),
 * SAMSA_BENCH_MIB (MiB of record values per produce run, default 128), SAMSA_BENCH_ROUNDS
 * (default 3), SAMSA_BENCH_PARTITIONS (default 6), SAMSA_BENCH_PRODUCER (rdkafka or kcat,
 * default rdkafka), SAMSA_BENCH_FILL_GIB (GiB written to a file first, so the page cache is
 * full as on a broker that has run a while: bench/page-cache.ts; default 0), SAMSA_BENCH_DIR (where the logs and record
 * files go; default the OS temp dir), SAMSA_BENCH_BROKER_NODE_ARGS (node arguments for the
 * broker processes, space separated, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`; profiles are
 * written when the brokers stop), KCAT (default kcat). Linux only (/proc).
 */
import { existsSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { SAMSA_CLI, startBrokerProcess, type BrokerProcess } from '../../test/helpers/broker-process.js'
import { RawClient } from '../../test/helpers/raw-client.js'
import { createTopic, LATEST, listOffset } from '../../test/helpers/wire.js'
import { KCAT, KCAT_CONSUME_FLAGS, runKcat, writeRecordFile } from '../kcat.js'
import { benchProducer, produceRecords, producerName } from '../librdkafka.js'
import { fillPageCache } from '../page-cache.js'
import { cpuTimes, nodeArgsFrom } from '../proc.js'
import { fmt, progress } from '../progress.js'

const SIZES = (process.env['SAMSA_BENCH_SIZES'] ?? '100,1024,16384').split(',').map(Number)
const MIB_PER_RUN = Number(process.env['SAMSA_BENCH_MIB'] ?? 128)
const ROUNDS = Number(process.env['SAMSA_BENCH_ROUNDS'] ?? 3)
const PARTITIONS = Number(process.env['SAMSA_BENCH_PARTITIONS'] ?? 6)
const NODE_ARGS = nodeArgsFrom('SAMSA_BENCH_BROKER_NODE_ARGS')
const MiB = 1024 * 1024

const PRODUCER = benchProducer()

interface Build {
  label: string
  cli: string
  broker?: BrokerProcess
  client?: RawClient
}

interface Sample {
  build: string
  round: number
  size: number
  op: 'produce' | 'fetch'
  records: number
  mib: number
  cpuMs: number
  /** Of cpuMs, the part in the kernel (stime): socket and file copies, page cache. */
  sysMs: number
  wallMs: number
}

function parseArgs(argv: string[]): { baseline?: string; json?: string } {
  const out: { baseline?: string; json?: string } = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    if (a === '--baseline') out.baseline = value()
    else if (a === '--json') out.json = value()
    else throw new Error(`unknown argument ${a}; usage: cpu-per-mib.js [--baseline DIR] [--json FILE]`)
  }
  return out
}

/** The CLI of the build in DIR: a checkout's bundle (DIR/dist/bin/samsa.js, what `npm start` runs), else tsc's output in a checkout or its dist. */
function cliOf(dir: string): string {
  for (const p of [join(dir, 'dist/bin/samsa.js'), join(dir, 'dist/src/cli/samsa.js'), join(dir, 'src/cli/samsa.js')]) if (existsSync(p)) return resolve(p)
  throw new Error(`no build in ${dir}: expected dist/src/cli/samsa.js there (run npm run build in it)`)
}





async function logEnd(c: RawClient, topic: string): Promise<number> {
  let total = 0
  for (let p = 0; p < PARTITIONS; p++) total += Number((await listOffset(c, topic, p, LATEST)).offset)
  return total
}

const fetchArgs = (bootstrap: string, topic: string) => ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '.', ...KCAT_CONSUME_FLAGS]

/** A produce of `records` records of `size` bytes to `topic` by the chosen producer (kcat reads them from `file`). */
const producePass = (bootstrap: string, topic: string, records: number, size: number, file: string) => () => produceRecords(PRODUCER, bootstrap, topic, records, size, file)

const fetchPass = (bootstrap: string, topic: string) => (onStdout: (chunk: Buffer) => void) => runKcat(fetchArgs(bootstrap, topic), onStdout)

/** Runs one pass against `b`, sampling the broker's CPU around it, with a progress line. */
async function measure(b: Build, what: string, run: (onStdout: (chunk: Buffer) => void) => Promise<void>, expectOutput?: number): Promise<{ cpuMs: number; sysMs: number; wallMs: number }> {
  const pid = b.broker!.proc.pid!
  const bar = progress()
  const start = cpuTimes(pid)
  const cpu0 = start.user + start.sys
  const t0 = performance.now()
  let read = 0
  const timer = setInterval(() => {
    const s = (performance.now() - t0) / 1000
    const now = cpuTimes(pid)
    bar.update(`${what}: ${s.toFixed(1)} s, broker CPU ${fmt(now.user + now.sys - cpu0)} ms${expectOutput ? `, ${fmt(read)} / ${fmt(expectOutput)} records read` : ''}`)
  }, 500)
  try {
    await run((chunk) => (read += chunk.length))
  } finally {
    clearInterval(timer)
    bar.done()
  }
  const end = cpuTimes(pid)
  const result = { cpuMs: end.user + end.sys - cpu0, sysMs: end.sys - start.sys, wallMs: performance.now() - t0 }
  if (expectOutput !== undefined && read !== expectOutput) throw new Error(`${what}: read ${read} records, expected ${expectOutput}`)
  return result
}

async function runCase(b: Build, round: number, size: number, records: number, file: string, samples: Sample[]): Promise<void> {
  const topic = `cpu-${size}-r${round}`
  const created = await createTopic(b.client!, topic, PARTITIONS)
  if (created.errorCode !== 0) throw new Error(`creating ${topic} on ${b.label}: error ${created.errorCode} ${created.errorMessage ?? ''}`)
  const mib = (records * size) / MiB
  const what = `round ${round + 1}/${ROUNDS} ${label(size)} ${b.label}`
  const p = await measure(b, `${what} produce`, producePass(b.broker!.bootstrap, topic, records, size, file))
  const held = await logEnd(b.client!, topic)
  if (held !== records) throw new Error(`${what}: the log holds ${held} records, expected ${records}`)
  samples.push({ build: b.label, round, size, op: 'produce', records, mib, ...p })
  const f = await measure(b, `${what} fetch`, fetchPass(b.broker!.bootstrap, topic), records)
  samples.push({ build: b.label, round, size, op: 'fetch', records, mib, ...f })
  console.log(
    `${what}: produce ${(p.cpuMs / mib).toFixed(2)} ms/MiB (${(p.sysMs / mib).toFixed(2)} in the kernel; ${fmt(records / (p.wallMs / 1000))} records/s), ` +
      `fetch ${(f.cpuMs / mib).toFixed(2)} ms/MiB (${(f.sysMs / mib).toFixed(2)} in the kernel; ${fmt(records / (f.wallMs / 1000))} records/s)`,
  )
}

const label = (size: number) => (size >= 1024 ? `${size / 1024} KiB` : `${size} B`)

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

function printTable(samples: Sample[], builds: Build[]): void {
  const head = ['case']
  for (const b of builds) head.push(`${b.label} ms/MiB`, 'kernel', `${b.label} records/s`)
  if (builds.length === 2) head.push('ratio')
  const rows: string[][] = []
  for (const size of SIZES) {
    for (const op of ['produce', 'fetch'] as const) {
      const row = [`${op} ${label(size)}`]
      const perMib: number[] = []
      for (const b of builds) {
        const mine = samples.filter((s) => s.build === b.label && s.size === size && s.op === op)
        const cpu = mine.map((s) => s.cpuMs / s.mib)
        const m = median(cpu)
        perMib.push(m)
        row.push(
          `${m.toFixed(2)} (${Math.min(...cpu).toFixed(2)}-${Math.max(...cpu).toFixed(2)})`,
          median(mine.map((s) => s.sysMs / s.mib)).toFixed(2),
          fmt(median(mine.map((s) => s.records / (s.wallMs / 1000)))),
        )
      }
      if (builds.length === 2) row.push((perMib[0]! / perMib[1]!).toFixed(2))
      rows.push(row)
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  console.log(line(head))
  for (const r of rows) console.log(line(r))
  console.log(`Broker CPU (utime+stime) per MiB of record values, median of ${ROUNDS} rounds (min-max), and its kernel part (stime); ${PARTITIONS} partitions, acks=1; produced by ${producerName(PRODUCER)}, fetched by kcat.`)
  if (builds.length === 2) console.log('ratio = current / baseline (below 1: current costs less).')
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2))
  const builds: Build[] = [{ label: 'current', cli: SAMSA_CLI }]
  if (opts.baseline !== undefined) builds.push({ label: 'baseline', cli: cliOf(opts.baseline) })
  const dir = await mkdtemp(join(process.env['SAMSA_BENCH_DIR'] ?? tmpdir(), 'samsa-bench-cpu-'))
  try {
    fillPageCache(join(dir, 'page-cache-fill'))
    for (const b of builds) {
      b.broker = await startBrokerProcess({
        cli: b.cli,
        logDir: join(dir, `log-${b.label}`),
        overrides: { 'num.partitions': String(PARTITIONS) },
        env: { SAMSA_LOG_LEVEL: 'warn' },
        nodeArgs: NODE_ARGS,
      })
      b.client = await RawClient.connect(b.broker.port, b.broker.host)
      console.log(`${b.label}: ${b.cli}, pid ${b.broker.proc.pid} at ${b.broker.bootstrap}`)
    }
    console.log(`${PARTITIONS} partitions, acks=1, ${MIB_PER_RUN} MiB per run, ${ROUNDS} rounds, produced by ${producerName(PRODUCER)}, fetched by ${KCAT} -C, node ${process.version}`)

    // Warm-up: each broker's first batches run through cold (unoptimised) code.
    const warm = join(dir, 'warmup.txt')
    if (PRODUCER === 'kcat') await writeRecordFile(warm, 200_000, 100)
    for (const b of builds) {
      await createTopic(b.client!, 'cpu-warmup', PARTITIONS)
      await measure(b, `warm-up ${b.label} produce`, producePass(b.broker!.bootstrap, 'cpu-warmup', 200_000, 100, warm))
      await measure(b, `warm-up ${b.label} fetch`, fetchPass(b.broker!.bootstrap, 'cpu-warmup'), 200_000)
    }
    await rm(warm, { force: true })

    const samples: Sample[] = []
    for (const size of SIZES) {
      const records = Math.max(1, Math.round((MIB_PER_RUN * MiB) / size))
      const file = join(dir, `records-${size}.txt`)
      if (PRODUCER === 'kcat') await writeRecordFile(file, records, size)
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? builds : [...builds].reverse()
        for (const b of order) await runCase(b, round, size, records, file, samples)
      }
      await rm(file, { force: true })
    }
    console.log('')
    printTable(samples, builds)
    if (opts.json !== undefined) writeFileSync(opts.json, JSON.stringify({ partitions: PARTITIONS, builds: builds.map((b) => ({ label: b.label, cli: b.cli })), samples }, null, 2))
  } finally {
    for (const b of builds) {
      b.client?.close()
      await b.broker?.stop()
    }
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
