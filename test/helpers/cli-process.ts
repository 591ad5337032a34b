/**
 * A `samsa <tool>` process that keeps running (a console consumer, a perf test), for tests
 * that read its output as it comes, write to its stdin and signal it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { SAMSA_CLI } from './broker-process.js'

export interface CliProcess {
  proc: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves once stdout matches `pattern`; rejects after timeoutMs or when the process exits first. */
  waitForStdout(pattern: RegExp | string, timeoutMs?: number): Promise<void>
  waitForStderr(pattern: RegExp | string, timeoutMs?: number): Promise<void>
  /** Writes to stdin; `end()` closes it (EOF). */
  write(text: string): void
  end(): void
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Sends `signal` (default SIGINT, as Ctrl-C) and waits for exit; SIGKILLs after timeoutMs. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export function spawnCli(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): CliProcess {
  const proc = spawn(process.execPath, [SAMSA_CLI, ...args], { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  let done = false
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s))
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s))
  proc.stdin!.on('error', () => {})
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('close', (code, signal) => {
      done = true
      resolve({ code, signal })
    })
  })
  const waitFor = (which: () => string, name: string) => async (pattern: RegExp | string, timeoutMs = 10_000) => {
    const matches = () => (typeof pattern === 'string' ? which().includes(pattern) : pattern.test(which()))
    const deadline = Date.now() + timeoutMs
    while (!matches()) {
      if (done && !matches()) throw new Error(`process exited before ${name} matched ${pattern}\nstdout: ${out.slice(-4000)}\nstderr: ${err.slice(-4000)}`)
      if (Date.now() > deadline) throw new Error(`${name} did not match ${pattern} within ${timeoutMs} ms\nstdout: ${out.slice(-4000)}\nstderr: ${err.slice(-4000)}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    waitForStdout: waitFor(() => out, 'stdout'),
    waitForStderr: waitFor(() => err, 'stderr'),
    write: (text) => void proc.stdin!.write(text),
    end: () => void proc.stdin!.end(),
    exited,
    async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 15_000) {
      if (!done) {
        proc.kill(signal)
        const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs)
        try {
          return await exited
        } finally {
          clearTimeout(timer)
        }
      }
      return exited
    },
  }
}
