/**
 * `samsa server start [server.properties] [--override key=value ...]` runs a broker in the
 * foreground, as kafka-server-start.sh; `samsa server stop` stops the brokers this install
 * started, as kafka-server-stop.sh, but by pid file rather than by matching process names
 * (which would stop any Kafka-looking process on the machine).
 *
 * Pid files: one per running broker, `broker-<pid>.json` in SAMSA_PID_DIR, by default a folder
 * of the OS temp dir named after this install's path, so two checkouts do not stop each
 * other's brokers. A file whose process is gone (SIGKILL, a crash) or now runs something else
 * is stale: `stop` removes it and moves on.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command } from 'commander'
import type { Broker } from '../broker/broker.js'
import { ConfigError, loadBrokerConfig } from '../broker/config.js'
import { createLogger, parseLevel } from '../util/logger.js'
import { CliError, collect, intArg, print, splitKeyValue, usage } from './common.js'
import { alive, isSameProcess, startTicks } from './process-identity.js'

/**
 * Node arguments a broker process starts with: `npm start`, `samsa cluster start` and the
 * tests' broker processes pass them (docs/operations.md, "Latency and the garbage collector").
 * - `--single-threaded-gc`: each collection stays on the broker's own thread. On a machine
 *   whose cores are busy (a broker beside its clients on two cores) a collection that hands work
 *   to helper threads waits for threads that are not running: the end-to-end p99 at 50 MiB/s
 *   fell from 21-23 ms to 8-10 ms, at no measurable CPU cost at full speed.
 * - `--incremental-marking-soft-trigger=90`: full collections start at 90% of V8's limit. By
 *   default they start once the room left is no more than the young generation's size, and
 *   with a small old generation and a grown young one that is true again right after each
 *   collection: at 50 MiB/s the broker ran a full collection every 200-400 ms (44-53 in 15 s,
 *   pauses up to 13 ms); with the flag, 3.
 * Neither can go in NODE_OPTIONS, and `--single-threaded-gc` cannot be set from inside the
 * process, so they go on the command line; `--no-single-threaded-gc` or
 * `--incremental-marking-soft-trigger=0` after them undoes them.
 */
export const SERVER_NODE_ARGS: readonly string[] = ['--single-threaded-gc', '--incremental-marking-soft-trigger=90']

/** This file's compiled path: it names the install. */
const CLI_ENTRY = fileURLToPath(new URL('./samsa.js', import.meta.url))

export function pidDir(): string {
  if (process.env.SAMSA_PID_DIR) return process.env.SAMSA_PID_DIR
  const install = createHash('sha256').update(CLI_ENTRY).digest('hex').slice(0, 12)
  return join(tmpdir(), `samsa-pids-${install}`)
}

interface PidFile {
  pid: number
  nodeId: number
  listeners: string[]
  logDirs: string[]
  startedAt: string
  startTicks: string | null
}

export function serverCommand(): Command {
  const server = new Command('server').description('start or stop a broker (kafka-server-start.sh / kafka-server-stop.sh)')
  server
    .command('start')
    .description('run a broker in the foreground until SIGTERM or SIGINT')
    .argument('[server.properties]', 'broker properties file with Kafka property names')
    .option('--override <key=value>', 'set a broker property, winning over the file and SAMSA_* variables (repeatable)', collect)
    .addHelpText(
      'after',
      '\nDefaults: PLAINTEXT://localhost:9092, data in ./data. Environment variables SAMSA_<KEY>\n(dots as underscores, e.g. SAMSA_LOG_DIRS) override the file; --override wins over both.',
    )
    .action((file: string | undefined, opts: { override?: string[] }) => start(file, opts.override ?? []))
  server
    .command('stop')
    .description('stop the brokers started from this install (by pid file)')
    .option('--timeout-ms <ms>', 'how long to wait for each broker to exit', intArg('--timeout-ms', 1), 30_000)
    .action((opts: { timeoutMs: number }) => stop(opts.timeoutMs))
  return server
}

async function start(file: string | undefined, overrideFlags: string[]): Promise<void> {
  const overrides: Record<string, string> = {}
  for (const kv of overrideFlags) {
    const [k, v] = splitKeyValue(kv, '--override')
    overrides[k] = v
  }
  const boot = createLogger({ level: 'info' })
  let config
  try {
    config = loadBrokerConfig({ ...(file ? { file } : {}), overrides, env: process.env, warn: (m) => boot.warn(m) })
  } catch (e) {
    if (e instanceof ConfigError) throw usage(`${e.message}; fix the property and start again`)
    throw e
  }
  const level = parseLevel(process.env.SAMSA_LOG_LEVEL ?? config.get('log.level'), 'warn')
  const logger = createLogger({ level })
  let broker: Broker
  try {
    // Loaded here, not at the top: every other tool starts without the broker's modules.
    const { Broker } = await import('../broker/broker.js')
    broker = new Broker({ config, logger })
    // Crash tests (test/storage/log/cleaner/broker-kill.test.ts): kill -9 at a named fault point.
    const { armProcessKills } = await import('../util/faults.js')
    armProcessKills(broker.faults, process.env.SAMSA_FAULT_KILL)
    await broker.start()
  } catch (e) {
    // Settings that only make sense together (listeners and their protocols) are checked here.
    if (e instanceof ConfigError) throw usage(`${e.message}; fix the property and start again`)
    throw new CliError(`cannot start: ${(e as Error).message}`)
  }
  const l = broker.listeners
  const pidFile = writePidFile({
    pid: process.pid,
    nodeId: broker.nodeId,
    listeners: l.map((x) => `${x.name}://${x.host || '0.0.0.0'}:${x.port}`),
    logDirs: config.get('log.dirs'),
    startedAt: new Date().toISOString(),
    startTicks: startTicks('self'),
  })
  // One line on stdout so a person (or a test) sees where the broker is.
  await print(`samsa broker ${broker.nodeId} listening on ${l.map((x) => `${x.name}://${x.host || '0.0.0.0'}:${x.port}`).join(', ')} (advertised ${l.map((x) => `${x.advertisedHost}:${x.advertisedPort}`).join(', ')})\n`)
  // The action resolves only once the broker has stopped, so the CLI exits after it.
  await new Promise<void>((resolve, reject) => {
    const shutdown = (signal: string) => {
      logger.info('shutting down', { signal })
      broker.close().then(
        () => {
          rmSync(pidFile, { force: true })
          resolve()
        },
        (e) => {
          rmSync(pidFile, { force: true })
          reject(new CliError(`shutdown failed: ${(e as Error).message}`))
        },
      )
    }
    process.once('SIGTERM', () => shutdown('SIGTERM'))
    process.once('SIGINT', () => shutdown('SIGINT'))
  })
}

function writePidFile(info: PidFile): string {
  const dir = pidDir()
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `broker-${info.pid}.json`)
  writeFileSync(path, JSON.stringify(info) + '\n')
  return path
}

async function stop(timeoutMs: number): Promise<void> {
  const dir = pidDir()
  let names: string[] = []
  try {
    names = readdirSync(dir).filter((n) => /^broker-\d+\.json$/.test(n))
  } catch {
    // no folder: nothing was ever started from this install
  }
  const running: PidFile[] = []
  for (const name of names) {
    const path = join(dir, name)
    let info: PidFile
    try {
      info = JSON.parse(readFileSync(path, 'utf8')) as PidFile
    } catch {
      rmSync(path, { force: true })
      continue
    }
    if (isSameProcess(info.pid, info.startTicks)) running.push(info)
    else rmSync(path, { force: true })
  }
  if (running.length === 0) throw new CliError(`no samsa server to stop (no running broker has a pid file in ${dir})`)
  for (const b of running) process.kill(b.pid, 'SIGTERM')
  const failed: number[] = []
  for (const b of running) {
    const deadline = Date.now() + timeoutMs
    while (alive(b.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    if (alive(b.pid)) failed.push(b.pid)
    else {
      rmSync(join(dir, `broker-${b.pid}.json`), { force: true })
      await print(`Stopped broker ${b.nodeId} (pid ${b.pid}, ${b.listeners.join(', ')})\n`)
    }
  }
  if (failed.length > 0) {
    throw new CliError(`broker pid ${failed.join(', ')} still running after ${timeoutMs} ms; it may be flushing a large log, wait or kill -9 it`)
  }
}
