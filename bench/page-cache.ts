/**
 * Filling the page cache before a benchmark, so the broker's writes land in the state of a
 * broker that has run for a while: every new page-cache page replaces an old one. On this
 * project's VMs a write into memory the machine has not used for a while costs about ten times
 * the kernel time of one that reuses a page (bench/README.md, "The page cache's state"), and
 * which of the two a run gets depends on what ran before it.
 *
 * SAMSA_BENCH_FILL_GIB (default 0, off): GiB of zeros written to a file in the benchmark's
 * directory before it starts, kept until its end. About the machine's free memory is right.
 */
import { closeSync, openSync, writeSync } from 'node:fs'
import { progress } from './progress.js'

const MiB = 1024 * 1024

const FILL_GIB = Number(process.env['SAMSA_BENCH_FILL_GIB'] ?? 0)
if (!(FILL_GIB >= 0)) throw new Error(`SAMSA_BENCH_FILL_GIB must be a number of GiB, got ${process.env['SAMSA_BENCH_FILL_GIB']}`)

/** Writes FILL_GIB GiB of zeros to `path` (nothing when it is 0), with a progress line; the caller deletes the file with its directory. */
export function fillPageCache(path: string): void {
  const gib = FILL_GIB
  if (gib <= 0) return
  const chunk = Buffer.alloc(16 * MiB)
  const chunks = Math.ceil((gib * 1024 * MiB) / chunk.length)
  const bar = progress()
  const fd = openSync(path, 'w')
  try {
    for (let i = 0; i < chunks; i++) {
      writeSync(fd, chunk)
      if (i % 16 === 0) bar.update(`filling the page cache: ${((i * chunk.length) / 1024 / MiB).toFixed(1)} of ${gib} GiB`)
    }
  } finally {
    closeSync(fd)
    bar.done()
  }
}
