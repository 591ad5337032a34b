#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner.
// Node 20's `--test` takes no globs, so the files are listed here. Extra arguments
// narrow the run: `npm test -- storage` runs files whose path contains "storage".
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

const root = 'dist/test'
const filters = process.argv.slice(2)
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
// Three files at a time on two cores: many tests wait on broker processes and clients, so a
// third file uses time the first two spend waiting (measured: 7m05s with 2, 5m34s with 3).
// A file that hangs (a client retrying against a broker already stopped) fails by name after
// 5 minutes instead of stalling the run (Node 20 applies the timeout to each file); the slowest
// files (the cluster tests) take one to two minutes on a loaded machine.
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=3', '--test-timeout=300000', ...selected], { stdio: 'inherit' })
process.exit(r.status ?? 1)
