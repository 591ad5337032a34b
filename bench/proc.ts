/** A process's CPU time and memory from /proc (Linux); undefined where it cannot be read. */
import { readFileSync } from 'node:fs'

/** Clock ticks (USER_HZ, 100 on Linux) to ms. */
const TICK_MS = 10

/** Fields of /proc/<pid>/stat after the parenthesised command name (the 3rd field first). */
function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** utime and stime of a live process in ms (every thread); throws when it cannot be read. */
export function cpuTimes(pid: number): { user: number; sys: number } {
  const f = statFields(pid)
  return { user: Number(f[11]) * TICK_MS, sys: Number(f[12]) * TICK_MS }
}

/** utime + stime of `pid` in ms, undefined when it cannot be read (the process is gone). */
export function cpuMs(pid: number): number | undefined {
  try {
    const t = cpuTimes(pid)
    return t.user + t.sys
  } catch {
    return undefined
  }
}

/** CPU ms of the children this process has reaped (cutime + cstime: a tool, once it exits). */
export function reapedChildrenCpuMs(): number {
  const f = statFields('self')
  return (Number(f[13]) + Number(f[14])) * TICK_MS
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

/** Node arguments from an environment variable, space separated (SAMSA_BENCH_BROKER_NODE_ARGS and the like); [] when unset. */
export function nodeArgsFrom(name: string): string[] {
  return (process.env[name] ?? '').split(' ').filter((a) => a !== '')
}
