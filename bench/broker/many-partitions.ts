/**
 * 10,000 partitions on one broker (issue 20, "Scale and start-up"): how long they take to
 * create, what the broker's memory is with them, how fast a producer writes to all of them at
 * once against 10 of them, and how long the broker takes to start again after a clean stop.
 * Targets from the issue: RSS <= 1 GB, start <= 10 s after a clean shutdown, throughput to all
 * partitions >= 0.7 of the throughput to 10.
 *
 *   npm run build && node dist/bench/broker/many-partitions.js
 *
 * The broker runs as its own process (`samsa server start`); the load comes from Samsa's
 * producer in this process (acks=1, idempotent off, lingerMs 5, the default batch size),
 * after a warm-up record to each topic (so the producer has every topic's metadata), keeping a
 * window of records in flight for SAMSA_BENCH_SECONDS each phase: first to one topic
 * of 10 partitions, then round-robin over every partition of every topic. The broker's CPU time
 * (from /proc/<pid>/stat) is reported per MiB produced, beside the records/s.
 *
 * Environment: SAMSA_BENCH_TOPICS (1000), SAMSA_BENCH_PARTITIONS_PER_TOPIC (10),
 * SAMSA_BENCH_SECONDS (15), SAMSA_BENCH_RECORD_SIZE (1024), SAMSA_BENCH_DIR (default the OS
 * temp dir), SAMSA_BENCH_BROKER_NODE_ARGS (node arguments for the broker process, space
 * separated, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it; the profile is written
 * when it stops).
 * Linux only (/proc).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Admin } from '../../src/client/admin/admin.js'
import { Producer } from '../../src/client/producer/producer.js'
import { createLogger } from '../../src/util/logger.js'
import { startBrokerProcess, type BrokerProcess } from '../../test/helpers/broker-process.js'
import { cpuTimes, memory, nodeArgsFrom } from '../proc.js'
import { fmt, progress } from '../progress.js'

const TOPICS = Number(process.env['SAMSA_BENCH_TOPICS'] ?? 1000)
const PER_TOPIC = Number(process.env['SAMSA_BENCH_PARTITIONS_PER_TOPIC'] ?? 10)
const SECONDS = Number(process.env['SAMSA_BENCH_SECONDS'] ?? 15)
const SIZE = Number(process.env['SAMSA_BENCH_RECORD_SIZE'] ?? 1024)
const MiB = 1024 * 1024
/** Records in flight at once: enough to fill batches to many partitions, bounded so memory stays small. */
const WINDOW = 20_000
const silent = createLogger({ level: 'silent' })



async function start(logDir: string): Promise<{ broker: BrokerProcess; ms: number }> {
  const t0 = Date.now()
  const broker = await startBrokerProcess({
    logDir,
    overrides: { 'num.partitions': '1', 'auto.create.topics.enable': 'false', 'log.segment.bytes': String(16 * MiB) },
    startTimeoutMs: 120_000,
    nodeArgs: nodeArgsFrom('SAMSA_BENCH_BROKER_NODE_ARGS'),
  })
  return { broker, ms: Date.now() - t0 }
}

interface Phase {
  label: string
  partitions: number
  records: number
  seconds: number
  brokerCpuMs: number
  /** The kernel's part of brokerCpuMs (system calls: the segment writes above all). */
  brokerSysMs: number
}

async function produce(bootstrap: string, pid: number, label: string, targets: Array<{ topic: string; partition: number }>): Promise<Phase> {
  const producer = new Producer({ bootstrapServers: bootstrap, acks: 1, idempotent: false, lingerMs: 5, logger: silent })
  const value = Buffer.alloc(SIZE, 0x61)
  const p = progress()
  let acked = 0
  let failed = 0
  let inFlight = 0
  let next = 0
  let wake: (() => void) | undefined
  // Warm-up, not timed: one record to each topic, so the producer knows every topic's metadata
  // before the window starts (a start-up cost, like connecting, not a rate).
  await Promise.all([...new Set(targets.map((t) => t.topic))].map((topic) => producer.send({ topic, partition: 0, value })))
  const cpu0 = cpuTimes(pid)
  const t0 = Date.now()
  const end = t0 + SECONDS * 1000
  try {
    while (Date.now() < end) {
      while (inFlight < WINDOW) {
        const t = targets[next++ % targets.length]!
        inFlight++
        producer.send({ topic: t.topic, partition: t.partition, value }).then(
          () => {
            acked++
            inFlight--
            if (inFlight < WINDOW / 2) wake?.()
          },
          () => {
            failed++
            inFlight--
            if (inFlight < WINDOW / 2) wake?.()
          },
        )
      }
      await new Promise<void>((r) => {
        wake = r
        setTimeout(r, 50)
      })
      wake = undefined
      p.update(`${label}: ${fmt(acked)} records acknowledged, ${fmt(acked / ((Date.now() - t0) / 1000))}/s`)
    }
    await producer.flush()
  } finally {
    await producer.close()
    p.done()
  }
  const seconds = (Date.now() - t0) / 1000
  if (failed > 0) console.log(`  ${label}: ${fmt(failed)} records failed`)
  const cpu1 = cpuTimes(pid)
  return { label, partitions: targets.length, records: acked, seconds, brokerCpuMs: cpu1.user + cpu1.sys - cpu0.user - cpu0.sys, brokerSysMs: cpu1.sys - cpu0.sys }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(process.env['SAMSA_BENCH_DIR'] ?? tmpdir(), 'samsa-many-partitions-'))
  const logDir = join(dir, 'log')
  const total = TOPICS * PER_TOPIC
  console.log(`${fmt(TOPICS)} topics x ${PER_TOPIC} partitions = ${fmt(total)} partitions; ${SIZE} B records, ${SECONDS} s per phase`)
  let { broker } = await start(logDir)
  try {
    const pid = broker.proc.pid!
    const rssEmpty = memory(pid)!.rss / MiB
    const admin = new Admin({ bootstrapServers: broker.bootstrap, logger: silent, requestTimeoutMs: 120_000 })
    const p = progress()
    const tCreate = Date.now()
    const names = Array.from({ length: TOPICS }, (_, i) => `t-${String(i).padStart(5, '0')}`)
    // 100 topics a request: well inside the 10,000-partitions-per-request bound.
    for (let i = 0; i < names.length; i += 100) {
      await admin.createTopics(names.slice(i, i + 100).map((topic) => ({ topic, numPartitions: PER_TOPIC, replicationFactor: 1 })))
      p.update(`created ${fmt(Math.min(i + 100, names.length))} of ${fmt(names.length)} topics`)
    }
    await admin.createTopics([{ topic: 'few', numPartitions: 10, replicationFactor: 1 }])
    p.done()
    const createMs = Date.now() - tCreate
    const rssCreated = memory(pid)!.rss / MiB
    await admin.close()

    const few = await produce(broker.bootstrap, pid, '10 partitions', Array.from({ length: 10 }, (_, partition) => ({ topic: 'few', partition })))
    const everyTarget: Array<{ topic: string; partition: number }> = []
    for (let partition = 0; partition < PER_TOPIC; partition++) for (const topic of names) everyTarget.push({ topic, partition })
    const all = await produce(broker.bootstrap, pid, `${fmt(total)} partitions`, everyTarget)
    const rssLoaded = memory(pid)!.rss / MiB

    const tStop = Date.now()
    await broker.stop('SIGTERM', 120_000)
    const stopMs = Date.now() - tStop
    const restarted = await start(logDir)
    broker = restarted.broker
    const rssRestarted = memory(broker.proc.pid!)!.rss / MiB

    const rate = (ph: Phase) => ph.records / ph.seconds
    const mib = (ph: Phase) => (ph.records * SIZE) / MiB
    console.log('')
    console.log(`create ${fmt(total + 10)} partitions: ${(createMs / 1000).toFixed(1)} s`)
    console.log(`broker RSS: ${rssEmpty.toFixed(0)} MiB empty, ${rssCreated.toFixed(0)} MiB with the partitions, ${rssLoaded.toFixed(0)} MiB after producing, ${rssRestarted.toFixed(0)} MiB after a restart (target <= 1024)`)
    console.log(`clean stop: ${(stopMs / 1000).toFixed(1)} s; start again to listening: ${(restarted.ms / 1000).toFixed(1)} s (target <= 10)`)
    console.log('| produce to | records/s | MiB/s | broker CPU ms per MiB (kernel) |')
    console.log('|---|---:|---:|---:|')
    for (const ph of [few, all]) console.log(`| ${ph.label} | ${fmt(rate(ph))} | ${(mib(ph) / ph.seconds).toFixed(1)} | ${(ph.brokerCpuMs / mib(ph)).toFixed(2)} (${(ph.brokerSysMs / mib(ph)).toFixed(2)}) |`)
    console.log(`throughput ratio, ${fmt(total)} partitions / 10: ${(rate(all) / rate(few)).toFixed(2)} (target >= 0.7)`)
  } finally {
    // SIGTERM: a profiled broker writes its profile on a clean stop.
    await broker.stop('SIGTERM', 120_000).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
