/**
 * One driver process as the coordinator sees it: spawned, given its WorkerConfig, then driven
 * with commands while its reports arrive (protocol.ts). `samsa` runs samsa-worker.js under
 * this Node; `librdkafka` runs drivers/librdkafka_driver.py under Debian's python3 (PYTHON
 * overrides it).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Command, Report, StatsLine, WorkerConfig } from './protocol.js'
import { nodeArgsFrom } from '../proc.js'

export const DRIVERS = ['samsa', 'librdkafka'] as const
export type DriverName = (typeof DRIVERS)[number]

/** dist/bench/omb/samsa-worker.js beside this file once compiled. */
const SAMSA_WORKER = fileURLToPath(new URL('./samsa-worker.js', import.meta.url))
/** The Python source is not compiled: from dist/bench/omb/ back to bench/omb/drivers/. */
const RDKAFKA_DRIVER = fileURLToPath(new URL('../../../bench/omb/drivers/librdkafka_driver.py', import.meta.url))
const PYTHON = process.env['PYTHON'] ?? '/usr/bin/python3'

export class DriverProcess {
  readonly proc: ChildProcess
  private stderrTail = ''
  private waiters: Array<{ match: (r: Report) => boolean; resolve: (r: Report) => void; reject: (e: Error) => void }> = []
  private failure: Error | undefined
  readonly exited: Promise<number | null>

  constructor(
    readonly label: string,
    driver: DriverName,
    config: WorkerConfig,
    private readonly onStats: (s: StatsLine) => void,
  ) {
    // SAMSA_BENCH_WORKER_NODE_ARGS: node arguments for Samsa's driver processes (e.g. --cpu-prof --cpu-prof-dir=DIR).
    const nodeArgs = nodeArgsFrom('SAMSA_BENCH_WORKER_NODE_ARGS')
    const [cmd, args] = driver === 'samsa' ? [process.execPath, [...nodeArgs, SAMSA_WORKER]] : [PYTHON, ['-u', RDKAFKA_DRIVER]]
    this.proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SAMSA_LOG_LEVEL: process.env['SAMSA_LOG_LEVEL'] ?? 'warn' } })
    this.proc.stdin!.on('error', () => undefined)
    this.proc.stderr!.setEncoding('utf8').on('data', (s: string) => {
      this.stderrTail = (this.stderrTail + s).slice(-4000)
    })
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      let r: Report
      try {
        r = JSON.parse(line) as Report
      } catch {
        this.stderrTail = (this.stderrTail + `\n(stdout) ${line}`).slice(-4000)
        return
      }
      if (r.type === 'stats') this.onStats(r)
      if (r.type === 'error') this.fail(new Error(`${this.label}: ${r.message}`))
      for (const w of this.waiters.filter((w) => w.match(r))) {
        this.waiters.splice(this.waiters.indexOf(w), 1)
        w.resolve(r)
      }
    })
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)))
    void this.exited.then((code) => this.fail(new Error(`${this.label} exited (code ${code})${this.stderrTail ? `; stderr: ${this.stderrTail.trim()}` : ''}`)))
    this.proc.stdin!.write(`${JSON.stringify(config)}\n`)
  }

  private fail(e: Error): void {
    this.failure ??= e
    for (const w of this.waiters.splice(0)) w.reject(this.failure)
  }

  /** The error that ended this driver, if one did. */
  get error(): Error | undefined {
    return this.failure
  }

  send(c: Command): void {
    if (this.proc.stdin!.writable) this.proc.stdin!.write(`${JSON.stringify(c)}\n`)
  }

  /** The next report matching `match`, within `timeoutMs`. */
  next(match: (r: Report) => boolean, timeoutMs: number, what: string): Promise<Report> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done)
        reject(new Error(`${this.label}: no ${what} within ${timeoutMs} ms${this.stderrTail ? `; stderr: ${this.stderrTail.trim()}` : ''}`))
      }, timeoutMs)
      const done = (r: Report) => {
        clearTimeout(timer)
        resolve(r)
      }
      this.waiters.push({ match, resolve: done, reject: (e) => (clearTimeout(timer), reject(e)) })
    })
  }

  /** Asks for a stats line now and waits for it (a phase boundary). */
  async flush(): Promise<void> {
    const p = this.next((r) => r.type === 'stats' && r.flush === true, 15_000, 'flush answer')
    this.send({ cmd: 'flush' })
    await p
  }

  /** Sends stop, waits for the last stats line and the exit; kills after `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs)
      this.send({ cmd: 'stop' })
      this.proc.stdin!.end()
      await this.exited
      clearTimeout(timer)
    }
  }
}
