/**
 * The OpenMessaging-style benchmark (issue 20): runs workloads (bench/omb/workloads/*.json, in
 * the shape of OMB's YAML) with Samsa's client or librdkafka as the driver, and prints what OMB
 * prints (publish and consume rates, backlog, publish latency, publish delay and end-to-end
 * latency at p50 ... p99.99 and max) plus the broker's CPU-ms per MiB and RSS.
 *
 *   npm run build && node dist/bench/omb/run.js --workload bench/omb/workloads/<name>.json \
 *     [--workload ...] [--driver samsa|librdkafka|both] [--bootstrap-server host:port] \
 *     [--broker-pid pid] [--output file.json] [--warmup-seconds s] [--test-seconds s] [--trace file]
 *
 * Without --bootstrap-server it starts a Samsa broker process of its own (log in a temp dir,
 * SAMSA_BENCH_DIR to choose where) and measures its CPU and RSS; with one, give --broker-pid
 * for those figures. Each run is one table; several runs also get a summary table; the JSON
 * file (default omb-<first workload>-<time>.json in the current directory) holds every result.
 * A progress line goes to stderr every second. --warmup-seconds and --test-seconds override the
 * workloads' durations (for short runs). --trace <file> turns on trace mode (src/util/trace.ts)
 * in the broker it starts and in the Samsa driver processes, and prints each run's per-hop
 * breakdown (bench/latency/trace-report.ts) after its table.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { progress } from '../progress.js'
import { runWorkload, type RunResult } from './coordinator.js'
import { DRIVERS, type DriverName } from './driver-process.js'
import { target } from './broker.js'
import { load, resultTable, summaryTable } from './report.js'
import { parseWorkload, type Workload } from './workload.js'
import { enableTrace, traceOf } from '../latency/trace-report.js'

export function loadWorkload(path: string): Workload {
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new Error(`${path}: cannot read the workload: ${(e as Error).message}`)
  }
  return parseWorkload(doc, path)
}

export function driversOf(arg: string | undefined): DriverName[] {
  if (arg === undefined) return ['samsa']
  if (arg === 'both') return [...DRIVERS]
  const list = arg.split(',')
  for (const d of list) if (!DRIVERS.includes(d as DriverName)) throw new Error(`--driver must be samsa, librdkafka or both, got ${JSON.stringify(d)}`)
  return list as DriverName[]
}

/** Runs every workload with every driver against one broker; prints each table as it ends. */
export async function runAll(workloads: Workload[], drivers: DriverName[], bootstrap: string | undefined, brokerPid: number | undefined, traceFile?: string): Promise<RunResult[]> {
  if (traceFile) enableTrace(traceFile)
  const t = await target(bootstrap, brokerPid)
  const p = progress()
  const results: RunResult[] = []
  try {
    console.log(`${t.describe}; node ${process.version}, ${availableParallelism()} CPUs; load average ${load(loadavg())}`)
    for (const w of workloads) {
      for (const driver of drivers) {
        const r = await runWorkload(w, { driver, bootstrap: t.bootstrap, brokerPid: t.pid, progress: (line) => p.update(line) })
        p.done()
        if (traceFile) r.trace = await traceOf(traceFile, r.topics)
        results.push(r)
        console.log('')
        for (const line of resultTable(r)) console.log(line)
        for (const line of r.trace ?? []) console.log(line)
      }
    }
  } finally {
    p.done()
    await t.close()
  }
  return results
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      workload: { type: 'string', multiple: true },
      driver: { type: 'string' },
      'bootstrap-server': { type: 'string' },
      'broker-pid': { type: 'string' },
      output: { type: 'string' },
      'warmup-seconds': { type: 'string' },
      'test-seconds': { type: 'string' },
      trace: { type: 'string' },
    },
  })
  if (!values.workload?.length) throw new Error('give --workload bench/omb/workloads/<name>.json (one or more)')
  const seconds = (k: 'warmup-seconds' | 'test-seconds') => {
    const v = values[k]
    if (v === undefined) return undefined
    const n = Number(v)
    if (!(n >= 0) || (k === 'test-seconds' && n === 0)) throw new Error(`--${k} must be a number of seconds${k === 'test-seconds' ? ' > 0' : ' >= 0'}, got ${v}`)
    return n * 1000
  }
  const warmupMs = seconds('warmup-seconds')
  const testMs = seconds('test-seconds')
  const workloads = values.workload.map(loadWorkload).map((w) => ({ ...w, warmupMs: warmupMs ?? w.warmupMs, testMs: testMs ?? w.testMs }))
  const drivers = driversOf(values.driver)
  const pid = values['broker-pid'] === undefined ? undefined : Number(values['broker-pid'])
  if (pid !== undefined && !(Number.isInteger(pid) && pid > 0)) throw new Error(`--broker-pid must be a process id, got ${values['broker-pid']}`)
  const results = await runAll(workloads, drivers, values['bootstrap-server'], pid, values.trace)
  if (results.length > 1) {
    console.log('')
    for (const line of summaryTable(results)) console.log(line)
  }
  const file = values.output ?? `omb-${workloads[0]!.name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
  console.log(`\nresults in ${file}`)
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: Error) => {
    console.error(e.message)
    process.exit(1)
  })
}
