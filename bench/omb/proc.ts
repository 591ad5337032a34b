/** A process's CPU time and memory from /proc (Linux); undefined where it cannot be read. */
import { readFileSync } from 'node:fs'

/** Clock ticks (USER_HZ, 100 on Linux) to ms. */
const TICK_MS = 10

/** utime + stime of `pid` in ms (every thread). */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) * TICK_MS
  } catch {
    return undefined
  }
}

/** Resident set size now and its peak (VmRSS, VmHWM), in bytes. */
export function memory(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
    return { rss: kb('VmRSS'), peak: kb('VmHWM') }
  } catch {
    return undefined
  }
}

/** CPU ms the whole machine spent busy (/proc/stat: every state but idle and iowait). */
export function machineCpuMs(): number | undefined {
  try {
    const all = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number)
    return (all.reduce((x, y) => x + y, 0) - all[3]! - all[4]!) * TICK_MS
  } catch {
    return undefined
  }
}
