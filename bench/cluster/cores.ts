/**
 * How Samsa uses the cores of one machine: one broker process against N broker processes in
 * one cluster on the same machine (docs/operations.md, "Using many cores", says why this is
 * the chosen way). A Node broker serves requests on one core, so one broker's throughput is
 * capped near 1000 / (its CPU-ms per MiB) MiB/s, whatever the machine has; N brokers that
 * share the partition leaderships each bring their own core.
 *
 * Each set-up gets the same load: a topic of SAMSA_BENCH_PARTITIONS partitions (default 12,
 * replication factor 1, so leaderships spread evenly over the brokers), SAMSA_BENCH_PRODUCERS
 * kcat producers at once (default 2, acks=1, 1 KiB records, librdkafka's random partitioner),
 * SAMSA_BENCH_RECORDS records in all (default 600,000), then one kcat reading them all back.
 * Printed per set-up: produce and consume MiB/s, the cores the brokers used (their CPU time
 * over the wall time, from /proc) and the cores kcat used, broker CPU-ms per MiB, the ratio
 * N / 1, and what the figures predict for a 16-core machine.
 *
 *   npm run build && node dist/bench/cluster/cores.js [--brokers N]
 *
 * N defaults to the machine's core count (os.availableParallelism()). Everything shares this
 * machine, the load generator too: on 2 cores kcat takes a share the brokers then lack.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Admin } from '../../src/client/admin/admin.js'
import { createLogger } from '../../src/util/logger.js'
import { EtcdServer, uniquePrefix } from '../../test/cluster/etcd-harness.js'
import { startBrokerProcess, type BrokerProcess } from '../../test/helpers/broker-process.js'
import { KCAT_CONSUME_FLAGS, KCAT_PRODUCE_FLAGS, runKcat, writeRecordFile } from '../kcat.js'
import { cpuMs, reapedChildrenCpuMs } from '../proc.js'
import { fmt, progress } from '../progress.js'

const MiB = 1024 * 1024
const SIZE = 1024
const RECORDS = Number(process.env['SAMSA_BENCH_RECORDS'] ?? 600_000)
const PARTITIONS = Number(process.env['SAMSA_BENCH_PARTITIONS'] ?? 12)
const PRODUCERS = Number(process.env['SAMSA_BENCH_PRODUCERS'] ?? 2)
const { values: flags } = parseArgs({ options: { brokers: { type: 'string' } } })
const N = Number(flags.brokers ?? availableParallelism())





interface Phase {
  mibPerSec: number
  brokerCores: number
  brokerMsPerMiB: number
  clientCores: number
}

interface Result {
  name: string
  brokers: number
  produce: Phase
  consume: Phase
}

async function measure(name: string, brokers: BrokerProcess[], files: string[]): Promise<Result> {
  const bootstrap = brokers.map((b) => b.bootstrap).join(',')
  const admin = new Admin({ bootstrapServers: bootstrap, logger: createLogger({ level: 'silent' }) })
  try {
    await admin.createTopics([{ topic: 'cores', numPartitions: PARTITIONS, replicationFactor: 1 }])
    const leaders = new Map<number, number>()
    for (const p of (await admin.describeTopics(['cores']))[0]!.partitions) leaders.set(p.leader ?? -1, (leaders.get(p.leader ?? -1) ?? 0) + 1)
    console.log(`${name}: ${PARTITIONS} partitions led by ${[...leaders].map(([id, n]) => `broker ${id} (${n})`).join(', ')}`)
  } finally {
    await admin.close()
  }
  const pids = brokers.map((b) => b.proc.pid!)
  const brokerCpu = () => pids.reduce((n, p) => n + cpuMs(p)!, 0)
  const mib = (RECORDS * SIZE) / MiB

  const bar = progress()
  const phase = async (label: string, run: () => Promise<void>): Promise<Phase> => {
    const started = performance.now()
    const timer = setInterval(() => bar.update(`${name}: ${label}, ${((performance.now() - started) / 1000).toFixed(0)} s`), 500)
    const b0 = brokerCpu()
    const c0 = reapedChildrenCpuMs()
    try {
      await run()
    } finally {
      clearInterval(timer)
    }
    const wallMs = performance.now() - started
    const b = brokerCpu() - b0
    return { mibPerSec: mib / (wallMs / 1000), brokerCores: b / wallMs, brokerMsPerMiB: b / mib, clientCores: (reapedChildrenCpuMs() - c0) / wallMs }
  }
  const produce = await phase('producing', async () => {
    await Promise.all(files.map((f) => runKcat(['-P', '-b', bootstrap, '-t', 'cores', '-l', f, '-q', ...KCAT_PRODUCE_FLAGS])))
  })
  let read = 0
  const consume = await phase('consuming', () =>
    runKcat(['-C', '-b', bootstrap, '-t', 'cores', '-o', 'beginning', '-e', '-q', '-f', '.', ...KCAT_CONSUME_FLAGS], (chunk) => (read += chunk.length)),
  )
  bar.done()
  if (read !== RECORDS) throw new Error(`${name}: read back ${read} records, expected ${RECORDS}`)
  return { name, brokers: brokers.length, produce, consume }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(process.env['SAMSA_BENCH_DIR'] ?? tmpdir(), 'samsa-cores-'))
  const results: Result[] = []
  try {
    const files = Array.from({ length: PRODUCERS }, (_, i) => join(dir, `records-${i}.txt`))
    for (const f of files) await writeRecordFile(f, Math.floor(RECORDS / PRODUCERS), SIZE)
    if (RECORDS % PRODUCERS !== 0) throw new Error('SAMSA_BENCH_RECORDS must be a multiple of SAMSA_BENCH_PRODUCERS')
    console.log(`${fmt(RECORDS)} records of ${SIZE} B from ${PRODUCERS} kcat producers (acks=1), ${PARTITIONS} partitions, replication factor 1; ${availableParallelism()} cores here`)

    const one = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': 'false' } })
    try {
      results.push(await measure('1 broker', [one], files))
    } finally {
      await one.stop('SIGTERM')
    }

    const etcd = await EtcdServer.create()
    const prefix = uniquePrefix()
    const many: BrokerProcess[] = []
    try {
      for (let id = 0; id < N; id++) {
        many.push(await startBrokerProcess({ overrides: { 'broker.id': String(id), 'metadata.store': 'etcd', 'etcd.endpoints': etcd.endpoint, 'etcd.prefix': prefix, 'auto.create.topics.enable': 'false', 'offsets.topic.replication.factor': '1' } }))
      }
      results.push(await measure(`${N} brokers, one cluster`, many, files))
    } finally {
      for (const b of many) await b.stop('SIGTERM')
      await etcd.dispose()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }

  const head = `${'set-up'.padEnd(24)} ${'MiB/s in'.padStart(9)} ${'broker cores'.padStart(12)} ${'ms/MiB'.padStart(7)} ${'kcat cores'.padStart(10)} ${'MiB/s out'.padStart(9)} ${'broker cores'.padStart(12)} ${'ms/MiB'.padStart(7)}`
  console.log(`\n${head}`)
  for (const r of results) {
    const p = r.produce
    const c = r.consume
    console.log(`${r.name.padEnd(24)} ${p.mibPerSec.toFixed(1).padStart(9)} ${p.brokerCores.toFixed(2).padStart(12)} ${p.brokerMsPerMiB.toFixed(2).padStart(7)} ${p.clientCores.toFixed(2).padStart(10)} ${c.mibPerSec.toFixed(1).padStart(9)} ${c.brokerCores.toFixed(2).padStart(12)} ${c.brokerMsPerMiB.toFixed(2).padStart(7)}`)
  }
  const [a, b] = results as [Result, Result]
  console.log(`\n${N} brokers / 1 broker: produce ${(b.produce.mibPerSec / a.produce.mibPerSec).toFixed(2)}x, consume ${(b.consume.mibPerSec / a.consume.mibPerSec).toFixed(2)}x`)
  // One broker's ceiling is one core for its event loop; N brokers on C cores with the clients
  // elsewhere: N cores' worth, while N <= C. The per-MiB cost is the N-broker run's (it
  // includes the cluster's metadata work).
  const perBroker = 1000 / b.produce.brokerMsPerMiB
  console.log(`predicted for 16 cores, clients on other machines: 1 broker about ${perBroker.toFixed(0)} MiB/s in (one core); 16 brokers about ${(16 * perBroker).toFixed(0)} MiB/s in, before the network or disks cap it`)
}

await main()
