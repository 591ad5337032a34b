/**
 * Runs one workload with one driver against one broker: creates the topics, starts the consumer
 * driver process and waits until every subscription holds its partitions, starts the producer
 * driver process, runs the warm-up, the optional backlog build-and-drain and the test, and
 * returns what OMB reports (rates, backlog, publish latency, publish delay, end-to-end latency)
 * plus the broker's CPU per MiB and RSS from /proc when its pid is known.
 *
 * Phases: counts and histograms are kept per phase; at each boundary every driver is asked
 * for a stats line (flush) before the phase changes, so no count lands in the wrong phase. The
 * reported figures are the test phase's. Broker CPU is read at the test phase's two ends.
 *
 * Max-rate workloads (producerRate 0) use a rate controller in the spirit of OMB's: every
 * second, if the consumers fell behind (receive backlog) or the producers could not keep to
 * the schedule (publish backlog) by more than BACKLOG_LIMIT messages, the rate drops to what
 * was achieved, less the backlog, and the ramp factor halves; otherwise the rate grows by
 * the ramp factor, which doubles up to 1. It runs through the warm-up and the test alike; the
 * reported rate is the achieved one.
 */
import { randomUUID } from 'node:crypto'
import { loadavg } from 'node:os'
import { fmt } from '../progress.js'
import { DriverProcess, type DriverName } from './driver-process.js'
import { LatencyHistogram, type LatencySummary } from './histogram.js'
import { cpuMs, machineCpuMs, memory } from '../proc.js'
import type { StatsLine } from './protocol.js'
import type { Workload } from './workload.js'

const MiB = 1024 * 1024
const INITIAL_MAX_RATE = 10_000
/** OMB's 1,000 messages, or 5% of a second's worth at high rates (stats lines are a second apart and not aligned). */
const backlogLimit = (rate: number) => Math.max(1000, rate * 0.05)

export interface RunOptions {
  driver: DriverName
  bootstrap: string
  /** The broker's pid for CPU and RSS (set when the bench started the broker or --broker-pid gives it). */
  brokerPid?: number | undefined
  /** Called about once a second with a progress line. */
  progress?: (line: string) => void
}

export interface PhaseCounts {
  sent: number
  sentBytes: number
  acked: number
  errors: number
  received: number
  receivedBytes: number
}

export interface RunResult {
  workload: Workload
  driver: DriverName
  topics: string[]
  /** Trace mode's per-hop breakdown (bench/latency/trace-report.ts), when the run was traced. */
  trace?: string[]
  bootstrap: string
  startedAt: string
  /** Load average (1, 5, 15 min) at the start and the end of the test phase: the machine is shared. */
  loadStart: number[]
  loadEnd: number[]
  testSeconds: number
  /** The rate asked for (the controller's last rate on max-rate workloads), messages/s. */
  targetRate: number
  publishRate: number
  publishMiBps: number
  consumeRate: number
  consumeMiBps: number
  /** Messages produced but not yet consumed by every subscription, at the end of the test. */
  backlog: number
  errors: number
  publishLatency: LatencySummary
  /** OMB's publish latency: from the actual send, not the intended one. */
  publishLatencyFromSend: LatencySummary
  publishDelay: LatencySummary
  endToEndLatency: LatencySummary
  backlogDrain?: { bytes: number; buildSeconds: number; drainSeconds: number; drainRate: number }
  broker?: {
    pid: number
    cpuMs: number
    /** Share of one core over the test phase. */
    cpuPercent: number
    cpuMsPerMiBIn: number
    cpuMsPerMiBInOut: number
    rssBytes: number
    peakRssBytes: number
  }
  /** Machine-wide busy CPU over the test phase, % of one core (everything: broker, drivers, other helpers). */
  machineCpuPercent?: number
}

const zero = (): PhaseCounts => ({ sent: 0, sentBytes: 0, acked: 0, errors: 0, received: 0, receivedBytes: 0 })
const hists = () => ({ pub: new LatencyHistogram(), pubSend: new LatencyHistogram(), delay: new LatencyHistogram(), e2e: new LatencyHistogram() })

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function runWorkload(w: Workload, opts: RunOptions): Promise<RunResult> {
  const { Admin } = await import('../../src/client/admin/index.js')
  const run = randomUUID().slice(0, 8)
  const safe = w.name.replace(/[^a-zA-Z0-9._-]/g, '_').slice(0, 100)
  const topics = Array.from({ length: w.topics }, (_, i) => `omb-${safe}-${opts.driver}-${run}-${i}`)
  const admin = new Admin({ bootstrapServers: [opts.bootstrap], clientId: 'omb-coordinator' })
  try {
    await admin.createTopics(topics.map((topic) => ({ topic, numPartitions: w.partitionsPerTopic, replicationFactor: 1 })))
  } finally {
    await admin.close()
  }

  // Counts and histograms: the whole run (for the controller and the progress line) and this phase.
  const total = zero()
  let phase = zero()
  let h = hists()
  const second = { e2e: new LatencyHistogram(), pub: new LatencyHistogram() }
  const onStats = (s: StatsLine) => {
    for (const c of [total, phase]) {
      c.sent += s.sent ?? 0
      c.sentBytes += s.sentBytes ?? 0
      c.acked += s.acked ?? 0
      c.errors += s.errors ?? 0
      c.received += s.received ?? 0
      c.receivedBytes += s.receivedBytes ?? 0
    }
    h.pub.add(s.pub)
    h.pubSend.add(s.pubSend)
    h.delay.add(s.delay)
    h.e2e.add(s.e2e)
    second.e2e.add(s.e2e)
    second.pub.add(s.pub)
  }

  const subscriptions = Array.from({ length: w.subscriptionsPerTopic }, (_, i) => `omb-sub-${i}-${run}`)
  const drivers: DriverProcess[] = []
  let consumer: DriverProcess | undefined
  let producer: DriverProcess | undefined
  const failed = () => drivers.find((d) => d.error)?.error
  try {
    if (w.subscriptionsPerTopic > 0) {
      consumer = new DriverProcess(`${opts.driver} consumer driver`, opts.driver, { role: 'consumer', bootstrap: opts.bootstrap, topics, subscriptions, consumerPerSubscription: w.consumerPerSubscription, partitionsPerTopic: w.partitionsPerTopic }, onStats)
      drivers.push(consumer)
      await consumer.next((r) => r.type === 'ready', 120_000, 'ready (every subscription holding its partitions)')
    }
    producer = new DriverProcess(`${opts.driver} producer driver`, opts.driver, { role: 'producer', bootstrap: opts.bootstrap, topics, producersPerTopic: w.producersPerTopic, messageSize: w.messageSize, keyDistributor: w.keyDistributor }, onStats)
    drivers.push(producer)
    await producer.next((r) => r.type === 'ready', 60_000, 'ready')

    const subs = Math.max(1, w.subscriptionsPerTopic)
    const maxRate = w.producerRate === 0
    let rate = maxRate ? INITIAL_MAX_RATE : w.producerRate
    let ramp = 1
    let prev = { acked: 0, received: 0, at: performance.now() }
    let label = w.warmupMs > 0 ? 'warm-up' : 'test'
    let consumersPaused = false
    const phaseStart = { at: performance.now() }
    const tickOnce = () => {
      const now = performance.now()
      const sec = (now - prev.at) / 1000
      const pubRate = (total.acked - prev.acked) / sec
      const recvRate = (total.received - prev.received) / subs / sec
      if (maxRate) {
        // Compare with what the schedule asked for over the same second.
        const expected = rate * sec
        const published = total.acked - prev.acked
        const receivedPerSub = (total.received - prev.received) / subs
        // While the consumers are paused to build a backlog, only the producers count.
        const receiveBacklog = w.subscriptionsPerTopic > 0 && !consumersPaused ? total.acked - total.received / subs : 0
        const publishBacklog = expected - published
        const limit = backlogLimit(rate)
        const behind = receiveBacklog > limit ? { actual: receivedPerSub, backlog: receiveBacklog } : publishBacklog > limit ? { actual: published, backlog: publishBacklog } : undefined
        if (behind) {
          ramp = Math.max(0.01, ramp / 2)
          rate = Math.max(100, (0.2 * behind.actual + 0.8 * Math.max(0, expected - behind.backlog)) / sec)
        } else {
          rate = rate * (1 + ramp)
          ramp = Math.min(1, ramp * 2)
        }
        producer!.send({ cmd: 'rate', rate })
      }
      const backlog = w.subscriptionsPerTopic > 0 ? Math.max(0, total.sent * subs - total.received) : 0
      const e2e = second.e2e.count ? `e2e p50 ${second.e2e.percentile(50).toFixed(2)} p99 ${second.e2e.percentile(99).toFixed(2)} ms` : 'e2e -'
      const pub = second.pub.count ? `pub p99 ${second.pub.percentile(99).toFixed(2)} ms` : 'pub -'
      opts.progress?.(
        `${w.name} ${opts.driver} ${label} ${Math.round((now - phaseStart.at) / 1000)}s: pub ${fmt(pubRate)} msg/s (${((pubRate * w.messageSize) / MiB).toFixed(1)} MiB/s)` +
          `${maxRate ? ` target ${fmt(rate)}` : ''} | cons ${fmt(recvRate)} msg/s | backlog ${fmt(backlog)} | ${pub} | ${e2e} | load ${loadavg()[0]!.toFixed(2)}`,
      )
      second.e2e.reset()
      second.pub.reset()
      prev = { acked: total.acked, received: total.received, at: now }
    }
    // Flushes are serialised: a flush waits for the next flush line, so two at once would share one.
    let flushing: Promise<unknown> = Promise.resolve()
    const flushAll = () => (flushing = flushing.then(() => Promise.all(drivers.map((d) => d.flush()))))
    // Each second, every driver's counts up to now (a flush), so producer and consumer counts
    // are from the same instant: the drivers' own stats lines are a second apart and not aligned,
    // which the controller would read as a second of backlog.
    let ticking = true
    const ticker = (async () => {
      while (ticking) {
        await sleep(1000)
        if (!ticking) break
        await flushAll()
        if (ticking) tickOnce()
      }
    })().catch(() => undefined)
    const waitPhase = async (ms: number) => {
      const end = performance.now() + ms
      while (performance.now() < end) {
        const e = failed()
        if (e) throw e
        await sleep(Math.min(200, end - performance.now()))
      }
    }
    const boundary = async (next: string) => {
      await flushAll()
      phase = zero()
      h = hists()
      label = next
      phaseStart.at = performance.now()
    }

    try {
      producer.send({ cmd: 'start', rate })
      await waitPhase(w.warmupMs)

      let backlogDrain: RunResult['backlogDrain']
      if (w.consumerBacklogBytes > 0 && consumer) {
        await boundary('backlog build')
        consumer.send({ cmd: 'pause' })
        consumersPaused = true
        const t0 = performance.now()
        while (total.sentBytes * subs - total.receivedBytes < w.consumerBacklogBytes) await waitPhase(100)
        const buildSeconds = (performance.now() - t0) / 1000
        // Drained: down to the rate controller's queue limit, or to a tenth of what was built when
        // that is smaller. A backlog below the limit (a small test) otherwise counted as drained
        // before the consumers had reported anything, with a drain rate of 0.
        const built = total.sent * subs - total.received
        const drainedBelow = Math.min(backlogLimit(rate) * subs, built / 10)
        await boundary('backlog drain')
        consumer.send({ cmd: 'resume' })
        consumersPaused = false
        const t1 = performance.now()
        const drainedAt = () => total.sent * subs - total.received <= drainedBelow
        while (!drainedAt()) await waitPhase(100)
        const drainSeconds = (performance.now() - t1) / 1000
        backlogDrain = { bytes: w.consumerBacklogBytes, buildSeconds, drainSeconds, drainRate: phase.received / subs / drainSeconds }
      }

      await boundary('test')
      const loadStart = loadavg()
      const cpu0 = opts.brokerPid ? cpuMs(opts.brokerPid) : undefined
      const machine0 = machineCpuMs()
      const t0 = performance.now()
      await waitPhase(w.testMs)
      await flushAll()
      const seconds = (performance.now() - t0) / 1000
      const cpu1 = opts.brokerPid ? cpuMs(opts.brokerPid) : undefined
      const machine1 = machineCpuMs()
      const mem = opts.brokerPid ? memory(opts.brokerPid) : undefined
      const loadEnd = loadavg()
      const c = phase
      const th = h
      // Later counts (the drivers' last lines) go to a phase nobody reads.
      phase = zero()
      h = hists()
      const backlog = w.subscriptionsPerTopic > 0 ? Math.max(0, total.sent * subs - total.received) : 0
      const inMiB = (c.acked * w.messageSize) / MiB
      const outMiB = c.receivedBytes / MiB
      const result: RunResult = {
        workload: w,
        driver: opts.driver,
        topics,
        bootstrap: opts.bootstrap,
        startedAt: new Date().toISOString(),
        loadStart,
        loadEnd,
        testSeconds: seconds,
        targetRate: rate,
        publishRate: c.acked / seconds,
        publishMiBps: inMiB / seconds,
        consumeRate: c.received / subs / seconds,
        consumeMiBps: outMiB / subs / seconds,
        backlog,
        errors: c.errors,
        publishLatency: th.pub.summary(),
        publishLatencyFromSend: th.pubSend.summary(),
        publishDelay: th.delay.summary(),
        endToEndLatency: th.e2e.summary(),
      }
      if (backlogDrain) result.backlogDrain = backlogDrain
      if (opts.brokerPid && cpu0 !== undefined && cpu1 !== undefined && mem) {
        const used = cpu1 - cpu0
        result.broker = { pid: opts.brokerPid, cpuMs: used, cpuPercent: (used / (seconds * 1000)) * 100, cpuMsPerMiBIn: used / inMiB, cpuMsPerMiBInOut: used / (inMiB + outMiB), rssBytes: mem.rss, peakRssBytes: mem.peak }
      }
      if (machine0 !== undefined && machine1 !== undefined) result.machineCpuPercent = ((machine1 - machine0) / (seconds * 1000)) * 100
      return result
    } finally {
      ticking = false
      await ticker
    }
  } finally {
    // Producers first, so the consumers see the last messages; then the consumers.
    await producer?.stop()
    await consumer?.stop()
  }
}
