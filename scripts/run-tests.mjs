#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js), each in its own node process, a few
// at a time. Extra arguments narrow the run: `npm test -- storage` runs files whose path
// contains "storage". `--record` writes each file's duration to scripts/test-durations.json.
//
// Why not `node --test` with a concurrency: it starts files in name order, so the slowest ones
// (the cluster and CLI tests, one to two minutes each) could start last and leave one core busy
// at the end while the other idles. Here the files start longest first, from the durations
// recorded in scripts/test-durations.json (files not listed there count as slow, so a new file
// is not left for the end), and a file's output is printed whole when it ends, so files running
// side by side do not interleave.
//
// Short files run several to a process ("batches"): the suite is CPU-bound on two cores, and a
// process that loads the broker costs about half a second of CPU before its first test (16
// short files: 10.8 CPU-s one per process, 3.8 batched). Only files recorded under 5 s whose
// compiled code has no top-level hooks (they would wrap the other files' tests too) and touches
// no process-wide state are batched. A failing batch is run again one file per process, so a
// failure is reported by file; one that passes alone is still reported, as a batching problem.
// SAMSA_TEST_BATCH=0 (and --record, which measures each file) runs every file alone.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { spawn } from 'node:child_process'

const root = 'dist/test'
const durationsFile = 'scripts/test-durations.json'
const args = process.argv.slice(2)
const record = args.includes('--record')
const filters = args.filter((a) => a !== '--record')
const batching = !record && process.env.SAMSA_TEST_BATCH !== '0'
const batchMaxMs = 5_000
const batchBudgetMs = 20_000
const batchMaxFiles = 16
// Three files at a time on two cores: many tests wait on broker processes and clients, so a
// third file uses time the first two spend waiting (measured: 7m05s with 2, 5m34s with 3).
const concurrency = Number(process.env.SAMSA_TEST_CONCURRENCY ?? 3)
// A file that hangs (a client retrying against a broker already stopped) fails by name after
// this long instead of stalling the run.
const fileTimeoutMs = Number(process.env.SAMSA_TEST_FILE_TIMEOUT_MS ?? 300_000)

const files = []
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p)
    else if (name.endsWith('.test.js')) files.push(p)
  }
}
walk(root)
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files
if (selected.length === 0) {
  console.error(`no test files matched ${filters.join(' ')}`)
  process.exit(1)
}

let known = {}
try {
  known = JSON.parse(readFileSync(durationsFile, 'utf8'))
} catch {
  // No durations yet: name order, as `node --test` would run them.
}
const unknownMs = Math.max(60_000, ...Object.values(known))
const estimate = (f) => known[f] ?? unknownMs
// Process-wide state a batched file must not touch: hooks at the top level (they would apply to
// every file in the process), environment writes, process listeners, the working directory,
// module loader hooks (register: they see every file's imports), mocked timers.
const SHARED_STATE = /^(?:before|after|beforeEach|afterEach)\(|process\.env(?:\.\w+|\[[^\]]+\])\s*=[^=]|process\.on\(|process\.once\(|process\.chdir|process\.exitCode|globalThis\.|\bregister\(|mock\.timers/m
function batchable(f) {
  if (!batching || !(f in known) || known[f] >= batchMaxMs) return false
  try {
    return !SHARED_STATE.test(readFileSync(f, 'utf8'))
  } catch {
    return false
  }
}
const alone = selected.filter((f) => !batchable(f))
const short = selected.filter(batchable).sort((a, b) => estimate(b) - estimate(a))
const batches = []
for (const f of short) {
  const b = batches.find((x) => x.ms + estimate(f) <= batchBudgetMs && x.files.length < batchMaxFiles)
  if (b) {
    b.files.push(f)
    b.ms += estimate(f)
  } else batches.push({ files: [f], ms: estimate(f) })
}
// Units of work, longest first: a file alone, or a batch of short files.
const queue = [...alone.map((f) => ({ files: [f], ms: estimate(f) })), ...batches.map((b) => (b.files.length === 1 ? { files: b.files, ms: b.ms } : b))].sort((a, b) => b.ms - a.ms)

const results = []
// Files run in their own process groups (so a file's leftovers can be killed with it); an
// interrupted run takes them down too.
const running = new Set()
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const pid of running) {
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {}
    }
    process.exit(130)
  })
}
const started = Date.now()
let lastChildCpu = childCpu() ?? 0

/** Runs one file, or several in one process; resolves with the outcome (not yet reported). */
/** CPU seconds of this process's reaped children (and theirs), from /proc; null off Linux. */
function childCpu() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields 16 and 17 (cutime, cstime) in clock ticks, counted from field 3 after the name.
    return (Number(f[13]) + Number(f[14])) / 100
  } catch {
    return null
  }
}

function spawnTests(files) {
  return new Promise((resolve) => {
    const t0 = Date.now()
    const args =
      files.length === 1
        ? ['--test-reporter=tap', files[0]]
        : // Static imports: with awaited dynamic ones, node:test could finish a file's tests while
          // the entry's top-level await was still pending, and the process exited with 13.
          ['--test-reporter=tap', '--input-type=module', '-e', files.map((f) => `import ${JSON.stringify(pathToFileURL(f).href)}`).join('\n')]
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    running.add(child.pid)
    const chunks = []
    child.stdout.on('data', (c) => chunks.push(c))
    child.stderr.on('data', (c) => chunks.push(c))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        child.kill('SIGKILL')
      }
    }, fileTimeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      running.delete(child.pid)
      // Children's CPU grows only as each is reaped, so the step at this close is this file's
      // (and the brokers it waited for); another file closing in the same tick blurs it rarely.
      const cpuNow = childCpu()
      const cpu = cpuNow === null ? null : cpuNow - lastChildCpu
      lastChildCpu = cpuNow ?? 0
      // The test's own brokers and clients run in the file's process group: none outlives it.
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {}
      const out = Buffer.concat(chunks).toString('utf8')
      const count = (name) => Number(out.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0)
      resolve({
        file: files.length === 1 ? files[0] : `${files.length} short files`,
        files,
        ms: Date.now() - t0,
        cpu,
        ok: code === 0 && !timedOut,
        timedOut,
        code,
        signal,
        tests: count('tests'),
        pass: count('pass'),
        fail: count('fail'),
        skipped: count('skipped'),
        out,
      })
    })
  })
}

async function runUnit(unit) {
  const r = await spawnTests(unit.files)
  if (unit.files.length === 1) {
    results.push(r)
    report(r)
    return
  }
  if (r.ok) {
    results.push(r)
    reportBatch(r)
    return
  }
  // Name the failing file: each again in its own process.
  console.log(`# a batch of ${unit.files.length} short files failed; running them one per process`)
  let failedAlone = 0
  for (const f of unit.files) {
    const one = await spawnTests([f])
    if (!one.ok) failedAlone++
    results.push(one)
    report(one)
  }
  if (failedAlone === 0) {
    const why = r.timedOut ? `timed out after ${fileTimeoutMs / 1000} s` : r.signal ? `killed by ${r.signal}` : `${r.fail} failed`
    const batch = { ...r, file: `batch of ${unit.files.join(', ')}`, files: [], tests: 0, pass: 0, fail: 0, skipped: 0 }
    results.push(batch)
    console.log(`\nnot ok ${batch.file} (${why} together, every file passed alone: a flaky test, or one leaks state into the others)\n${r.out.replace(/^/gm, '    ')}`)
  }
}

function reportBatch(r) {
  console.log(`ok ${r.files.length} short files in one process (${r.pass} passed${r.skipped ? `, ${r.skipped} skipped` : ''}, ${(r.ms / 1000).toFixed(1)} s): ${r.files.map((f) => f.replace(/^dist\/test\//, '')).join(', ')}`)
  for (const line of r.out.split('\n')) if (/# SKIP/.test(line)) console.log(`    ${line.trim()}`)
}

/** Seconds a file's process lived beyond its tests' own durations (top-level TAP entries). */
function lingered(r) {
  let tests = 0
  for (const m of r.out.matchAll(/^(?:not )?ok \d+ - .*\n  ---\n  duration_ms: ([\d.]+)/gm)) tests += Number(m[1])
  return (r.ms - tests) / 1000
}

function report(r) {
  const secs = (r.ms / 1000).toFixed(1)
  if (r.ok) {
    // A timer or socket left open keeps a file's process alive after its tests: say so, as it
    // costs the whole run that time.
    const idle = lingered(r)
    const note = idle > 10 ? `; ${idle.toFixed(0)} s of it after its tests: something it left open kept it alive` : ''
    console.log(`ok ${r.file} (${r.pass} passed${r.skipped ? `, ${r.skipped} skipped` : ''}, ${secs} s${note})`)
    // Skips say why; show them even when the file passes.
    for (const line of r.out.split('\n')) if (/# SKIP/.test(line)) console.log(`    ${line.trim()}`)
  } else {
    const why = r.timedOut ? `timed out after ${fileTimeoutMs / 1000} s` : r.signal ? `killed by ${r.signal}` : `${r.fail} failed`
    console.log(`\nnot ok ${r.file} (${why}, ${secs} s)\n${r.out.replace(/^/gm, '    ')}`)
  }
}

async function worker() {
  for (let u = queue.shift(); u !== undefined; u = queue.shift()) await runUnit(u)
}
await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker))

const failed = results.filter((r) => !r.ok)
const sum = (k) => results.reduce((n, r) => n + r[k], 0)
console.log(
  `\n# files ${results.reduce((n, r) => n + r.files.length, 0)}, failed ${failed.length}; tests ${sum('tests')}, pass ${sum('pass')}, fail ${sum('fail')}, skipped ${sum('skipped')}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
)
console.log('# slowest: ' + results.filter((r) => r.files.length === 1).sort((a, b) => b.ms - a.ms).slice(0, 8).map((r) => `${r.file.replace(/^dist\/test\//, '')} ${(r.ms / 1000).toFixed(0)} s`).join(', '))
if (results.some((r) => r.cpu !== null)) {
  const cpuTotal = results.reduce((n, r) => n + (r.cpu ?? 0), 0)
  console.log(`# cpu: ${cpuTotal.toFixed(0)} s in test processes; most: ` + results.filter((r) => r.cpu !== null).sort((a, b) => b.cpu - a.cpu).slice(0, 12).map((r) => `${r.file.replace(/^dist\/test\//, '')} ${r.cpu.toFixed(1)}`).join(', '))
}
for (const r of failed) console.log(`# failed: ${r.file}`)
// Every unit's wall and CPU time, for finding where the suite's time goes.
if (process.env.SAMSA_TEST_TIMES) writeFileSync(process.env.SAMSA_TEST_TIMES, JSON.stringify(results.map((r) => ({ file: r.file, files: r.files, ms: r.ms, cpu: r.cpu })), null, 1) + '\n')

if (record) {
  const merged = { ...known }
  for (const r of results) if (r.files.length === 1) merged[r.file] = r.ms
  const sorted = Object.fromEntries(Object.entries(merged).filter(([f]) => files.includes(f)).sort(([a], [b]) => a.localeCompare(b)))
  writeFileSync(durationsFile, JSON.stringify(sorted, null, 1) + '\n')
  console.log(`# durations written to ${durationsFile}`)
}
process.exit(failed.length ? 1 : 0)
