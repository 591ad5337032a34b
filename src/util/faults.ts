/**
 * Fault hooks: the storage and metadata layers call `faults.check(point)` before each step
 * that can fail in production (a write, an fsync, an index update, a file creation), and a
 * test arms a point to make the next such step fail the way the OS would (ENOSPC, EIO, ...).
 * This is franz-go's kfake control-hook idea applied below the wire: failures are
 * deterministic, so a test of "the append failed half way" does not depend on timing luck.
 *
 * With nothing armed, `check` is one map lookup. Hooks are per instance (a broker owns one),
 * so brokers embedded in one test process do not see each other's faults.
 */

export interface FaultOptions {
  /** The error to throw; default an ErrnoException with code EIO. */
  error?: Error | (() => Error)
  /** How many matching checks fail before the fault disarms itself; default 1. Infinity keeps it. */
  times?: number
  /** Only checks whose detail (usually a file path or a topic-partition) satisfies this fail. */
  when?: (detail: string) => boolean
}

interface Armed {
  error: () => Error
  remaining: number
  when: ((detail: string) => boolean) | undefined
}

export class FaultHooks {
  private readonly armed = new Map<string, Armed[]>()
  /** Every point checked while `record` is on, in order (tests list the steps of an operation). */
  readonly seen: string[] = []
  record = false

  /** Makes the next `times` checks of `point` (matching `when`) throw. */
  failNext(point: string, options: FaultOptions = {}): void {
    const e = options.error
    const error = typeof e === 'function' ? e : e ? () => e : () => errnoError('EIO', `injected fault at ${point}`)
    const list = this.armed.get(point) ?? []
    list.push({ error, remaining: options.times ?? 1, when: options.when })
    this.armed.set(point, list)
  }

  /** Disarms one point, or all of them. */
  clear(point?: string): void {
    if (point === undefined) this.armed.clear()
    else this.armed.delete(point)
  }

  /** True while any fault is armed at `point`. */
  isArmed(point: string): boolean {
    return (this.armed.get(point)?.length ?? 0) > 0
  }

  /** Throws the armed error for `point`, if one matches `detail`. */
  check(point: string, detail = ''): void {
    if (this.record) this.seen.push(point)
    const list = this.armed.get(point)
    if (list === undefined) return
    const i = list.findIndex((a) => a.when === undefined || a.when(detail))
    if (i < 0) return
    const a = list[i]!
    if (--a.remaining <= 0) list.splice(i, 1)
    if (list.length === 0) this.armed.delete(point)
    throw a.error()
  }
}

/** An Error shaped like the one Node's fs raises for `code` (ENOSPC, EIO, EROFS, ...). */
export function errnoError(code: string, message = code): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${message}`)
  err.code = code
  return err
}

/**
 * SAMSA_FAULT_KILL=point[:n][,point[:n]...] (read by `samsa server start` only): the process
 * SIGKILLs itself at the n-th check (default 1) of `point`, in the middle of the step, so a test
 * can kill -9 a broker process at a named moment (between two renames of the cleaner's swap)
 * instead of by timing luck. It writes `SAMSA_FAULT_KILL <point> <n> <detail>` on stderr first
 * (synchronous on a pipe or file). Throws on a malformed value.
 */
export function armProcessKills(faults: FaultHooks, spec: string | undefined, kill: () => void = () => process.kill(process.pid, 'SIGKILL')): void {
  if (spec === undefined || spec.trim() === '') return
  for (const part of spec.split(',')) {
    const m = /^\s*([\w.-]+)(?::(\d+))?\s*$/.exec(part)
    if (!m || Number(m[2] ?? 1) < 1) throw new Error(`invalid SAMSA_FAULT_KILL entry ${JSON.stringify(part)}: expected point[:n] with n >= 1, e.g. cleaner.rename:2`)
    const point = m[1]!
    const n = Number(m[2] ?? 1)
    let count = 0
    // An observer, not a fault: the predicate never matches, so every check before the n-th passes.
    faults.failNext(point, {
      times: Number.POSITIVE_INFINITY,
      when: (detail) => {
        if (++count === n) {
          process.stderr.write(`SAMSA_FAULT_KILL ${point} ${n} ${detail}\n`)
          kill()
        }
        return false
      },
    })
  }
}
