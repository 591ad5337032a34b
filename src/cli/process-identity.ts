/**
 * Which process a pid file names. A pid alone is not an identity: once the process is gone the
 * OS hands the number to another program, and signalling that one would be a bug. With the
 * process's start time (from /proc) the pair names one process for good.
 */
import { readFileSync } from 'node:fs'

/**
 * When the process started, in clock ticks since boot (field 22 of /proc/<pid>/stat); null
 * where there is no /proc (macOS).
 */
export function startTicks(pid: number | 'self'): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may hold spaces; count from after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

/** Alive, and the very process whose start time was recorded (when both sides know it). */
export function isSameProcess(pid: number, recordedTicks: string | null): boolean {
  if (!alive(pid)) return false
  const ticks = startTicks(pid)
  return ticks === null || recordedTicks === null || ticks === recordedTicks
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
