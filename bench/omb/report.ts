/** The benchmark's tables: one result in OMB's terms, and a one-line-per-run summary. */
import { fmt } from '../progress.js'
import type { RunResult } from './coordinator.js'
import { PERCENTILES, type LatencySummary } from './histogram.js'

const MiB = 1024 * 1024
const ms = (v: number) => (Number.isNaN(v) ? '-' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : fmt(v))
export const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ')

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
  return [line(head), ...rows.map(line)]
}

function latencyRow(name: string, s: LatencySummary): string[] {
  return [name, ms(s.mean), ...PERCENTILES.map((p) => ms(s.percentiles[`p${p}`]!)), ms(s.max)]
}

/** The full report of one run, as OMB prints it, with the broker's figures after. */
export function resultTable(r: RunResult): string[] {
  const w = r.workload
  const out = [
    `${w.name} — driver ${r.driver}, ${w.topics} topic(s) x ${w.partitionsPerTopic} partitions, ${w.messageSize} B, ${w.producersPerTopic}p/${w.consumerPerSubscription}c per topic, keys ${w.keyDistributor}, rate ${w.producerRate === 0 ? `max (controller ended at ${fmt(r.targetRate)})` : fmt(w.producerRate)} msg/s, test ${r.testSeconds.toFixed(1)} s`,
    `load average ${load(r.loadStart)} at start, ${load(r.loadEnd)} at end${r.machineCpuPercent !== undefined ? `; machine busy ${fmt(r.machineCpuPercent)}% of one core (2 cores = 200%)` : ''}`,
    `publish rate ${fmt(r.publishRate)} msg/s (${r.publishMiBps.toFixed(2)} MiB/s); consume rate ${fmt(r.consumeRate)} msg/s (${r.consumeMiBps.toFixed(2)} MiB/s); backlog ${fmt(r.backlog)} msgs; errors ${fmt(r.errors)}`,
  ]
  if (r.backlogDrain) {
    const b = r.backlogDrain
    out.push(`backlog ${(b.bytes / 1e9).toFixed(2)} GB built in ${b.buildSeconds.toFixed(1)} s, drained in ${b.drainSeconds.toFixed(1)} s at ${fmt(b.drainRate)} msg/s`)
  }
  out.push(
    ...table(
      ['latency (ms)', 'avg', ...PERCENTILES.map((p) => `p${p}`), 'max'],
      [
        latencyRow('publish', r.publishLatency),
        latencyRow('publish (from send)', r.publishLatencyFromSend),
        latencyRow('publish delay', r.publishDelay),
        latencyRow('end-to-end', r.endToEndLatency),
      ],
    ),
  )
  if (r.broker) {
    const b = r.broker
    out.push(`broker pid ${b.pid}: CPU ${fmt(b.cpuMs)} ms (${fmt(b.cpuPercent)}% of a core), ${b.cpuMsPerMiBIn.toFixed(2)} CPU-ms per MiB in, ${b.cpuMsPerMiBInOut.toFixed(2)} per MiB in+out; RSS ${fmt(b.rssBytes / MiB)} MiB (peak ${fmt(b.peakRssBytes / MiB)} MiB)`)
  } else out.push('broker CPU and RSS: not measured (give --broker-pid for a broker the bench did not start)')
  return out
}

/** One row per run, for the ladder and for several workloads in one command. */
export function summaryTable(results: RunResult[]): string[] {
  return table(
    ['workload', 'driver', 'size', 'target msg/s', 'pub msg/s', 'pub MiB/s', 'cons msg/s', 'backlog', 'pub p99', 'delay p99', 'e2e p50', 'e2e p99', 'e2e p99.9', 'e2e max', 'CPU-ms/MiB in', 'broker CPU%', 'load'],
    results.map((r) => [
      r.workload.name,
      r.driver,
      String(r.workload.messageSize),
      r.workload.producerRate === 0 ? `max` : fmt(r.workload.producerRate),
      fmt(r.publishRate),
      r.publishMiBps.toFixed(1),
      fmt(r.consumeRate),
      fmt(r.backlog),
      ms(r.publishLatency.percentiles['p99']!),
      ms(r.publishDelay.percentiles['p99']!),
      ms(r.endToEndLatency.percentiles['p50']!),
      ms(r.endToEndLatency.percentiles['p99']!),
      ms(r.endToEndLatency.percentiles['p99.9']!),
      ms(r.endToEndLatency.max),
      r.broker ? r.broker.cpuMsPerMiBIn.toFixed(2) : '-',
      r.broker ? fmt(r.broker.cpuPercent) : '-',
      r.loadEnd[0]!.toFixed(2),
    ]),
  )
}
