/**
 * What replication costs: the same producer (`samsa producer-perf-test`, Samsa's client),
 * record size and record count against
 *   A. one broker (the local metadata store), replication factor 1, acks=1, and
 *   B. three brokers on a real etcd, replication factor 3, min.insync.replicas=2, acks=all,
 * in one run on this machine (every process shares its cores). Prints records/s, MB/s and the
 * producer's latency percentiles for each, and B's throughput as a share of A's (Kafka's 2014
 * reference kept 51% with 3x synchronous replication).
 *
 *   npm run build && node dist/bench/cluster/replication.js
 *
 * SAMSA_BENCH_RECORDS (default 300000) and SAMSA_BENCH_RECORD_SIZE (default 1024) set the load;
 * SAMSA_BENCH_PARTITIONS (default 6) the topic; SAMSA_BENCH_RATE (default 5000) the fixed rate
 * of a second, paced run of each, whose latencies are not queueing behind a saturated producer.
 */
import { spawn } from 'node:child_process'
import { startBrokerProcess, SAMSA_CLI, type BrokerProcess } from '../../test/helpers/broker-process.js'
import { EtcdServer, uniquePrefix } from '../../test/cluster/etcd-harness.js'

const RECORDS = Number(process.env['SAMSA_BENCH_RECORDS'] ?? 300_000)
const SIZE = Number(process.env['SAMSA_BENCH_RECORD_SIZE'] ?? 1024)
const PARTITIONS = Number(process.env['SAMSA_BENCH_PARTITIONS'] ?? 6)
/** A fixed rate both set-ups sustain, for latency without queueing (10 s of it). */
const RATE = Number(process.env['SAMSA_BENCH_RATE'] ?? 5000)

interface Figures {
  recordsPerSec: number
  mbPerSec: number
  p50: number
  p99: number
  p999: number
}

function cli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [SAMSA_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    p.stdout.setEncoding('utf8').on('data', (s: string) => (out += s))
    p.stderr.setEncoding('utf8').on('data', (s: string) => (err += s))
    p.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`samsa ${args[0]} exited ${code}: ${err}`))))
  })
}

async function produce(bootstrap: string, topic: string, replicas: number, acks: string, rate = -1): Promise<Figures> {
  await cli(['topics', '--bootstrap-server', bootstrap, '--create', '--topic', topic, '--partitions', String(PARTITIONS), '--replication-factor', String(replicas)])
  const records = rate > 0 ? Math.min(RECORDS, rate * 10) : RECORDS
  const out = await cli(['producer-perf-test', '--topic', topic, '--num-records', String(records), '--record-size', String(SIZE), '--throughput', String(rate), '--producer-props', `bootstrap.servers=${bootstrap}`, `acks=${acks}`, 'linger.ms=5', 'batch.size=65536'])
  const last = out.trim().split('\n').filter((l) => l.includes('records sent')).at(-1) ?? ''
  const m = /([\d.]+) records\/sec \(([\d.]+) MB\/sec\).*?([\d.]+) ms 50th, [\d.]+ ms 95th, ([\d.]+) ms 99th, ([\d.]+) ms 99\.9th/.exec(last)
  if (!m) throw new Error(`cannot read producer-perf-test's summary: ${out}`)
  return { recordsPerSec: Number(m[1]), mbPerSec: Number(m[2]), p50: Number(m[3]), p99: Number(m[4]), p999: Number(m[5]) }
}

function row(name: string, f: Figures): string {
  return `${name.padEnd(44)} ${f.recordsPerSec.toFixed(0).padStart(10)} ${f.mbPerSec.toFixed(1).padStart(8)} ${f.p50.toFixed(0).padStart(7)} ${f.p99.toFixed(0).padStart(7)} ${f.p999.toFixed(0).padStart(7)}`
}

async function main(): Promise<void> {
  console.log(`${RECORDS} records of ${SIZE} B, ${PARTITIONS} partitions, samsa producer-perf-test (linger.ms=5, batch.size=64 KiB), as fast as it goes`)
  const single = await startBrokerProcess({ overrides: { 'num.partitions': String(PARTITIONS) } })
  let a: Figures
  let aPaced: Figures
  try {
    a = await produce(single.bootstrap, 'bench-rf1', 1, '1')
    aPaced = await produce(single.bootstrap, 'bench-rf1-paced', 1, '1', RATE)
  } finally {
    await single.stop('SIGTERM')
  }
  const etcd = await EtcdServer.create()
  const prefix = uniquePrefix()
  const brokers: BrokerProcess[] = []
  let b: Figures
  let bPaced: Figures
  try {
    for (const id of [0, 1, 2]) {
      brokers.push(await startBrokerProcess({ overrides: { 'broker.id': String(id), 'metadata.store': 'etcd', 'etcd.endpoints': etcd.endpoint, 'etcd.prefix': prefix, 'min.insync.replicas': '2' } }))
    }
    b = await produce(brokers.map((x) => x.bootstrap).join(','), 'bench-rf3', 3, 'all')
    bPaced = await produce(brokers.map((x) => x.bootstrap).join(','), 'bench-rf3-paced', 3, 'all', RATE)
  } finally {
    for (const x of brokers) await x.stop('SIGTERM')
    await etcd.dispose()
  }
  console.log(`${''.padEnd(44)} ${'records/s'.padStart(10)} ${'MB/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'p99.9'.padStart(7)}`)
  console.log(row('1 broker, replication factor 1, acks=1', a))
  console.log(row('3 brokers, replication factor 3, acks=all', b))
  console.log(row(`1 broker, RF 1, acks=1, at ${RATE} records/s`, aPaced))
  console.log(row(`3 brokers, RF 3, acks=all, at ${RATE} records/s`, bPaced))
  console.log(`replicated throughput / unreplicated: ${((100 * b.recordsPerSec) / a.recordsPerSec).toFixed(0)}%`)
}

await main()
