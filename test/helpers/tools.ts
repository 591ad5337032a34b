import { spawn, spawnSync } from 'node:child_process'
import type { TestContext } from 'node:test'

/**
 * Interop tests need third-party programs (kcat, Debian's python3-kafka...). Locally a missing
 * one skips the test loudly; under CI=true it fails, because .ci/run must have installed it.
 */
export function requireTool(t: TestContext, label: string, probe: () => boolean): boolean {
  if (probe()) return true
  const msg = `${label} is not installed (bash .ci/run installs it)`
  skipLoudly(msg)
  t.skip(msg)
  return false
}

/** Something a test needs is missing: one loud line locally (the caller skips), an error under CI=true. */
export function skipLoudly(msg: string): void {
  if (process.env.CI === 'true') throw new Error(msg)
  console.warn(`\n*** SKIPPED: ${msg} ***\n`)
}

export function hasCommand(cmd: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' })
  return r.error === undefined
}

export function hasPythonModule(mod: string): boolean {
  const r = spawnSync('/usr/bin/python3', ['-c', `import ${mod}`], { stdio: 'ignore' })
  return r.status === 0
}

export interface ToolResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * Runs a program to completion with `input` on stdin; never rejects on a non-zero exit (tests
 * assert on the code). Rejects when it outlives timeoutMs (after killing it) or cannot start.
 */
/**
 * Runs a program to its end and gives its exit and output. `until`: kill it as soon as its
 * stdout or stderr matches, for a client that retries a refused login until its own timeout
 * once the refusal is already shown (kcat's -m seconds each; kcat finishes its metadata wait
 * before it acts on SIGTERM).
 */
export function runTool(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv; until?: RegExp } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const seen = () => {
      if (opts.until && (opts.until.test(stderr) || opts.until.test(stdout))) proc.kill('SIGKILL')
    }
    proc.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
      seen()
    })
    proc.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
      seen()
    })
    const timeoutMs = opts.timeoutMs ?? 30_000
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error(`${cmd} ${args.join(' ')} still running after ${timeoutMs} ms\nstdout: ${stdout.slice(-4000)}\nstderr: ${stderr.slice(-4000)}`))
    }, timeoutMs)
    proc.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    proc.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
    proc.stdin.on('error', () => {
      // EPIPE when the program exits without reading all input; its exit code tells the story.
    })
    proc.stdin.end(opts.input ?? '')
  })
}
