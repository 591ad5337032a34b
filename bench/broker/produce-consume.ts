/**
 * End-to-end produce and consume throughput of a broker process, driven by librdkafka (kcat)
 * so the load generator is not the bottleneck, printed beside the figures of Kafka's 2014
 * benchmark ("Benchmarking Apache Kafka: 2 Million Writes Per Second (On Three Cheap
 * Machines)", J. Kreps): one producer thread, no replication, 100-byte records, 821,557
 * records/s (78.3 MB/s); one consumer, 940,521 records/s (89.7 MB/s). MB there is 2^20 bytes,
 * and so it is here.
 *
 * The broker runs as its own process (`samsa server start`, the way users run it), kcat as
 * another: neither shares the other's event loop. Each case writes its records to a file
 * first (one record a line, exactly `size` bytes of value), then times `kcat -P -l file` with
 * acks=1 until kcat has every delivery report, then `kcat -C -o beginning -e` until it has read
 * every record back. Progress (records the broker holds or kcat has read) prints while it runs.
 * Unlike the 2014 set-up (separate 6-core machines, producer over a 1 GbE network, 6 disks),
 * everything here shares one machine, so read the ratio with that in mind.
 *
 *   npm run build && node dist/bench/broker/produce-consume.js
 *
 * Environment: SAMSA_BENCH_RECORDS_100 (default 5,000,000), SAMSA_BENCH_RECORDS_1K
 * (default 1,000,000), SAMSA_BENCH_PARTITIONS (default 6, as in 2014), SAMSA_BENCH_DIR (where
 * the log and record files go; default the OS temp dir), KCAT (default kcat).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBrokerProcess, type BrokerProcess } from '../../test/helpers/broker-process.js'
import { RawClient } from '../../test/helpers/raw-client.js'
import { LATEST, listOffset, topicMetadata } from '../../test/helpers/wire.js'
import { KCAT, KCAT_CONSUME_FLAGS, KCAT_PRODUCE_FLAGS, runKcat, writeRecordFile } from '../kcat.js'
import { fmt, progress } from '../progress.js'

const PARTITIONS = Number(process.env['SAMSA_BENCH_PARTITIONS'] ?? 6)
const MiB = 1024 * 1024

interface Case {
  label: string
  size: number
  records: number
  /** Kafka 2014, records/s: [produce, consume]. */
  reference?: [number, number]
}

const CASES: Case[] = [
  { label: '100 B', size: 100, records: Number(process.env['SAMSA_BENCH_RECORDS_100'] ?? 5_000_000), reference: [821_557, 940_521] },
  { label: '1 KiB', size: 1024, records: Number(process.env['SAMSA_BENCH_RECORDS_1K'] ?? 1_000_000) },
]

interface Row {
  what: string
  records: number
  bytes: number
  ms: number
  reference?: number
}



async function logEnd(c: RawClient, topic: string): Promise<number> {
  let total = 0
  for (let p = 0; p < PARTITIONS; p++) total += Number((await listOffset(c, topic, p, LATEST)).offset)
  return total
}

async function createTopic(c: RawClient, topic: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const [md] = await topicMetadata(c, [topic], true)
    if (md && md.errorCode === 0 && md.partitions.length === PARTITIONS) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`topic ${topic} was not created`)
}


async function produce(b: BrokerProcess, c: RawClient, topic: string, file: string, records: number, label: string): Promise<number> {
  const bar = progress()
  const started = performance.now()
  let polling = true
  const poller = (async () => {
    while (polling) {
      await new Promise((r) => setTimeout(r, 500))
      if (!polling) break
      const held = await logEnd(c, topic)
      const s = (performance.now() - started) / 1000
      bar.update(`produce ${label}: ${fmt(held)} / ${fmt(records)} records in the log, ${fmt(held / s)} records/s`)
    }
  })()
  try {
    await runKcat(['-P', '-b', b.bootstrap, '-t', topic, '-l', file, '-q', ...KCAT_PRODUCE_FLAGS])
  } finally {
    polling = false
    await poller
    bar.done()
  }
  const ms = performance.now() - started
  const held = await logEnd(c, topic)
  if (held !== records) throw new Error(`produce ${label}: the log holds ${held} records, expected ${records}`)
  return ms
}

async function consume(b: BrokerProcess, topic: string, records: number, label: string): Promise<number> {
  const bar = progress()
  let read = 0
  let lastAt = 0
  const started = performance.now()
  const timer = setInterval(() => {
    const s = (performance.now() - started) / 1000
    bar.update(`consume ${label}: ${fmt(read)} / ${fmt(records)} records read, ${fmt(read / s)} records/s`)
  }, 500)
  try {
    // One byte of output per record, counted here. The time runs from starting kcat to the
    // last record's arrival: -e then costs one more empty fetch to see the end, not counted.
    await runKcat(
      ['-C', '-b', b.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '.', ...KCAT_CONSUME_FLAGS],
      (chunk) => {
        read += chunk.length
        if (read >= records && lastAt === 0) lastAt = performance.now()
      },
    )
  } finally {
    clearInterval(timer)
    bar.done()
  }
  if (read !== records) throw new Error(`consume ${label}: read ${read} records, expected ${records}`)
  return lastAt - started
}

function printTable(rows: Row[]): void {
  const head = ['', 'records', 'seconds', 'records/s', 'MB/s', 'Kafka 2014 records/s', 'ours / 2014']
  const body = rows.map((r) => {
    const rate = r.records / (r.ms / 1000)
    return [
      r.what,
      fmt(r.records),
      (r.ms / 1000).toFixed(2),
      fmt(rate),
      (r.bytes / MiB / (r.ms / 1000)).toFixed(1),
      r.reference ? fmt(r.reference) : '-',
      r.reference ? (rate / r.reference).toFixed(2) : '-',
    ]
  })
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  console.log(line(head))
  for (const row of body) console.log(line(row))
  console.log('MB = 2^20 bytes of record values. Kafka 2014: 100-byte records, one producer thread (acks=1, no replication) and one consumer,')
  console.log('on separate 6-core machines with 6 disks; here broker and kcat share this machine.')
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(process.env['SAMSA_BENCH_DIR'] ?? tmpdir(), 'samsa-bench-broker-'))
  const logDir = join(dir, 'log')
  let broker: BrokerProcess | undefined
  try {
    broker = await startBrokerProcess({ logDir, overrides: { 'num.partitions': String(PARTITIONS) }, env: { SAMSA_LOG_LEVEL: 'warn' } })
    const c = await RawClient.connect(broker.port, broker.host)
    console.log(`samsa broker pid ${broker.proc.pid} at ${broker.bootstrap}, ${PARTITIONS} partitions per topic, load from ${KCAT} (librdkafka), node ${process.version}`)

    // Warm-up: the broker's first batches run through cold code paths.
    const warm = join(dir, 'warmup.txt')
    await writeRecordFile(warm, 100_000, 100)
    await createTopic(c, 'bench-warmup')
    await produce(broker, c, 'bench-warmup', warm, 100_000, 'warm-up')
    await consume(broker, 'bench-warmup', 100_000, 'warm-up')
    await rm(warm)

    const rows: Row[] = []
    for (const k of CASES) {
      const file = join(dir, `records-${k.size}.txt`)
      await writeRecordFile(file, k.records, k.size)
      const topic = `bench-${k.size}`
      await createTopic(c, topic)
      const pms = await produce(broker, c, topic, file, k.records, k.label)
      rows.push({ what: `produce ${k.label} acks=1`, records: k.records, bytes: k.records * k.size, ms: pms, ...(k.reference ? { reference: k.reference[0] } : {}) })
      console.log(`produce ${k.label}: ${fmt(k.records / (pms / 1000))} records/s`)
      await rm(file)
      const cms = await consume(broker, topic, k.records, k.label)
      rows.push({ what: `consume ${k.label}`, records: k.records, bytes: k.records * k.size, ms: cms, ...(k.reference ? { reference: k.reference[1] } : {}) })
      console.log(`consume ${k.label}: ${fmt(k.records / (cms / 1000))} records/s`)
    }
    c.close()
    console.log('')
    printTable(rows)
  } finally {
    await broker?.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
