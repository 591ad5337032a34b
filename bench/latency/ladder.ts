/**
 * The latency ladder of issue 21: end-to-end and publish latency at fixed producer rates of 1,
 * 5, 25, 50 and 100 MiB/s and at the maximum sustainable rate, for 100 B and 1 KiB messages,
 * with Samsa's client and librdkafka against the same broker in the same run. It is the
 * OpenMessaging-style benchmark (bench/omb) run over a generated workload per step: one topic
 * of 6 partitions, one producer and one consumer (each in its own process), acks=1, no keys,
 * coordinated-omission-correct scheduling (latency from the intended send time).
 *
 *   npm run build && node dist/bench/latency/ladder.js [--driver samsa|librdkafka|both] \
 *     [--bootstrap-server host:port] [--broker-pid pid] [--sizes 100,1024] [--rates 1,5,25,50,100] \
 *     [--warmup-seconds 5] [--test-seconds 15] [--output file.json] [--trace file] [--all-steps] [--skip-max]
 *
 * Per size and driver the maximum sustainable rate is found first (OMB's rate controller); a
 * fixed step more than 20% above it is not run (its row says so): it could only measure a
 * queue growing for the length of the run. --all-steps runs them anyway (the maximum found on a
 * machine shared with other work can be far below what a quieter moment allows). --skip-max
 * runs only the fixed steps, all of them (for before/after comparisons of a few steps). Without --bootstrap-server it starts a Samsa broker
 * process and measures its CPU per MiB and RSS. One summary table at the end, every result
 * in the JSON file (default latency-ladder-<time>.json).
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { runWorkload, type RunResult } from '../omb/coordinator.js'
import { target } from '../omb/broker.js'
import { load, resultTable, summaryTable } from '../omb/report.js'
import { driversOf } from '../omb/run.js'
import { progress, fmt } from '../progress.js'
import type { Workload } from '../omb/workload.js'
import { loadavg } from 'node:os'
import { enableTrace, traceOf } from './trace-report.js'

const MiB = 1024 * 1024

function list(arg: string | undefined, dflt: number[], what: string): number[] {
  if (arg === undefined) return dflt
  const v = arg.split(',').map(Number)
  if (v.some((x) => !(x > 0))) throw new Error(`--${what} must be a comma-separated list of positive numbers, got ${arg}`)
  return v
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      driver: { type: 'string' },
      'bootstrap-server': { type: 'string' },
      'broker-pid': { type: 'string' },
      sizes: { type: 'string' },
      rates: { type: 'string' },
      'warmup-seconds': { type: 'string' },
      'test-seconds': { type: 'string' },
      output: { type: 'string' },
      trace: { type: 'string' },
      'all-steps': { type: 'boolean' },
      'skip-max': { type: 'boolean' },
    },
  })
  const drivers = driversOf(values.driver ?? 'both')
  const sizes = list(values.sizes, [100, 1024], 'sizes')
  const rates = list(values.rates, [1, 5, 25, 50, 100], 'rates')
  const warmupMs = Number(values['warmup-seconds'] ?? 5) * 1000
  const testMs = Number(values['test-seconds'] ?? 15) * 1000
  if (!(warmupMs >= 0 && testMs > 0)) throw new Error('--warmup-seconds must be >= 0 and --test-seconds > 0')
  const pid = values['broker-pid'] === undefined ? undefined : Number(values['broker-pid'])

  if (values.trace) enableTrace(values.trace)
  const t = await target(values['bootstrap-server'], pid)
  const p = progress()
  const results: RunResult[] = []
  const skipped: string[] = []
  try {
    console.log(`${t.describe}; load average ${load(loadavg())}`)
    for (const size of sizes) {
      for (const driver of drivers) {
        const step = (name: string, producerRate: number): Workload => ({
          name, topics: 1, partitionsPerTopic: 6, messageSize: size, subscriptionsPerTopic: 1, producersPerTopic: 1, consumerPerSubscription: 1,
          keyDistributor: 'NO_KEY', producerRate, warmupMs, testMs, consumerBacklogBytes: 0,
        })
        const run = async (w: Workload) => {
          const r = await runWorkload(w, { driver, bootstrap: t.bootstrap, brokerPid: t.pid, progress: (line) => p.update(line) })
          p.done()
          if (values.trace) r.trace = await traceOf(values.trace, r.topics)
          results.push(r)
          console.log('')
          for (const line of resultTable(r)) console.log(line)
          for (const line of r.trace ?? []) console.log(line)
          return r
        }
        const max = values['skip-max'] ? undefined : await run(step(`ladder-${size}b-max`, 0))
        for (const mibps of rates) {
          const rate = Math.round((mibps * MiB) / size)
          if (max && !values['all-steps'] && rate > max.publishRate * 1.2) {
            skipped.push(`${size} B ${driver} ${mibps} MiB/s (${fmt(rate)} msg/s): above the maximum sustainable ${fmt(max.publishRate)} msg/s`)
            continue
          }
          await run(step(`ladder-${size}b-${mibps}MiBps`, rate))
        }
      }
    }
  } finally {
    p.done()
    await t.close()
  }
  console.log('')
  console.log('Latency ladder (ms; e2e and publish from the intended send time; delay = how late sends started):')
  for (const line of summaryTable(results)) console.log(line)
  for (const s of skipped) console.log(`not run: ${s}`)
  const file = values.output ?? `latency-ladder-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
  writeFileSync(file, `${JSON.stringify({ results, skipped }, null, 2)}\n`)
  console.log(`\nresults in ${file}`)
}

main().catch((e: Error) => {
  console.error(e.message)
  process.exit(1)
})
