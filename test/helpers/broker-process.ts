/**
 * Starts the real `samsa server start` CLI as a child process, the way a user runs it, on a
 * free port (listeners=PLAINTEXT://127.0.0.1:0) with log.dirs in a fresh temp dir, and reads
 * the port from the one line the CLI prints on stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SERVER_NODE_ARGS } from '../../src/cli/server.js'
import { runTool, type ToolResult } from './tools.js'

/**
 * dist/bin/samsa.js, relative to this file compiled to dist/test/helpers/: the bundled command,
 * as package.json's bin and `npm start` run it (scripts/bundle.mjs builds it from tsc's output).
 */
export const SAMSA_CLI = fileURLToPath(new URL('../../bin/samsa.js', import.meta.url))

const LISTENING = /^samsa broker (-?\d+) listening on (\S+?):\/\/([^\s,]+):(\d+).*\(advertised ([^\s,)]+):(\d+)/m

export interface BrokerProcess {
  /** "127.0.0.1:PORT" (the advertised address). */
  bootstrap: string
  host: string
  port: number
  nodeId: number
  proc: ChildProcess
  logDir: string
  /** Everything the process wrote to stdout / stderr so far. */
  stdout(): string
  stderr(): string
  /** Resolves once stderr matches `pattern` (the pipe can lag behind socket events); rejects after timeoutMs. */
  waitForStderr(pattern: RegExp | string, timeoutMs?: number): Promise<void>
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /**
   * Sends `signal` (default SIGTERM) and waits for exit; SIGKILLs after timeoutMs. Removes
   * the temp dir (not a log dir given in the options). Safe to call more than once.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export interface StartBrokerProcessOptions {
  /** Extra `--override key=value` entries (listeners and log.dirs are set unless given here). */
  overrides?: Record<string, string>
  /** Extra CLI arguments placed after `server start` (e.g. a properties file). */
  args?: string[]
  env?: NodeJS.ProcessEnv
  /** Arguments for node itself, before the script (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  nodeArgs?: string[]
  /** The CLI script to run instead of this build's (benchmarks run another checkout's build beside this one). */
  cli?: string
  /** How long to wait for the "listening" line. */
  startTimeoutMs?: number
  /**
   * Use this log dir instead of a fresh temp dir (to restart a broker on the same data). The
   * caller owns it: stop() leaves it in place.
   */
  logDir?: string
}

export async function startBrokerProcess(opts: StartBrokerProcessOptions = {}): Promise<BrokerProcess> {
  const logDir = opts.logDir ?? mkdtempSync(join(tmpdir(), 'samsa-proc-'))
  const overrides: Record<string, string> = {
    listeners: 'PLAINTEXT://127.0.0.1:0',
    'log.dirs': logDir,
    ...opts.overrides,
  }
  // The broker's own node arguments first, as `npm start` passes them; nodeArgs come after and can undo them.
  const args = [...SERVER_NODE_ARGS, ...(opts.nodeArgs ?? []), opts.cli ?? SAMSA_CLI, 'server', 'start', ...(opts.args ?? [])]
  for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`)
  const proc = spawn(process.execPath, args, {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s))
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }))
  })
  const cleanup = () => {
    if (opts.logDir === undefined) rmSync(logDir, { recursive: true, force: true })
  }

  const timeoutMs = opts.startTimeoutMs ?? 10_000
  let match: RegExpExecArray | null
  try {
    match = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`broker did not print its listening line within ${timeoutMs} ms`)), timeoutMs)
      const check = () => {
        const m = LISTENING.exec(out)
        if (m) {
          clearTimeout(timer)
          resolve(m)
        }
      }
      proc.stdout!.on('data', check)
      exited.then(({ code, signal }) => {
        clearTimeout(timer)
        reject(new Error(`broker exited (code ${code}, signal ${signal}) before listening`))
      })
      check()
    })
  } catch (e) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
    await exited
    cleanup()
    throw new Error(`${(e as Error).message}\nstdout: ${out}\nstderr: ${err}`)
  }

  const host = match[5]!
  const port = Number(match[6])
  let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined
  return {
    bootstrap: `${host}:${port}`,
    host,
    port,
    nodeId: Number(match[1]),
    proc,
    logDir,
    stdout: () => out,
    stderr: () => err,
    async waitForStderr(pattern: RegExp | string, waitMs = 5000) {
      const matches = () => (typeof pattern === 'string' ? err.includes(pattern) : pattern.test(err))
      const deadline = Date.now() + waitMs
      while (!matches()) {
        if (Date.now() > deadline) throw new Error(`stderr did not match ${pattern} within ${waitMs} ms; stderr: ${err}`)
        await new Promise((r) => setTimeout(r, 5))
      }
    },
    exited,
    stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 10_000) {
      stopping ??= (async () => {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill(signal)
          const timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs)
          try {
            return await exited
          } finally {
            clearTimeout(timer)
            cleanup()
          }
        }
        cleanup()
        return exited
      })()
      return stopping
    },
  }
}

/** Runs the CLI to completion with `input` on stdin, within a time limit; never rejects on a non-zero exit. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string | Buffer } = {}): Promise<ToolResult> {
  return runTool(process.execPath, [SAMSA_CLI, ...args], { timeoutMs: opts.timeoutMs ?? 10_000, ...opts })
}
