/**
 * `samsa cluster start --brokers N [--dir DIR] [--base-port 9092]` runs a local cluster on this
 * machine: its own etcd (the `etcd` on PATH, Debian's etcd-server, on free loopback ports) and
 * N brokers on ports base..base+N-1, each a `samsa server start` process with its own
 * properties file, data and log under DIR. It returns once every broker has registered and
 * answers, and prints their addresses. `samsa cluster stop [--dir DIR]` stops the brokers
 * (a clean stop: each hands its leaderships on) and then etcd. Starting again on the same dir
 * resumes the cluster with its data.
 *
 * Layout of DIR: cluster.json (what runs: pids with their start times, ports), etcd-prefix (the
 * cluster's etcd prefix, kept for restarts), etcd/ (data,
 * etcd.log), broker-<id>/ (server.properties, data/, broker.log), pids/ (the brokers' pid files,
 * apart from those of `samsa server start`, so `samsa server stop` and this do not mix).
 */
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command } from 'commander'
import { CliError, intArg, openAdmin, print, usage } from './common.js'
import { alive, isSameProcess, startTicks } from './process-identity.js'
import { SERVER_NODE_ARGS } from './server.js'

const CLI_ENTRY = fileURLToPath(new URL('./samsa.js', import.meta.url))
const STATE_FILE = 'cluster.json'
const READY_TIMEOUT_MS = 60_000

interface RunningProcess {
  pid: number
  startTicks: string | null
}

interface ClusterState {
  prefix: string
  etcd: RunningProcess & { clientUrl: string; peerUrl: string }
  brokers: Array<RunningProcess & { nodeId: number; port: number }>
}

export function clusterCommand(): Command {
  const cluster = new Command('cluster').description('run a local cluster: its own etcd and N brokers on this machine')
  cluster
    .command('start')
    .description('start etcd and the brokers in the background; returns once all are ready')
    .option('--brokers <n>', 'how many brokers', intArg('--brokers', 1, 64), 3)
    .option('--dir <dir>', 'where the cluster keeps its data, logs and state', defaultDir())
    .option('--base-port <port>', 'port of broker 0; broker i listens on base-port + i', intArg('--base-port', 1, 65_535), 9092)
    .action((opts: { brokers: number; dir: string; basePort: number }) => start(opts))
  cluster
    .command('stop')
    .description('stop the brokers (cleanly, one leadership hand-over each) and then etcd')
    .option('--dir <dir>', 'the dir given to cluster start', defaultDir())
    .option('--timeout-ms <ms>', 'how long to wait for each process to exit', intArg('--timeout-ms', 1), 30_000)
    .action((opts: { dir: string; timeoutMs: number }) => stop(resolve(opts.dir), opts.timeoutMs))
  return cluster
}

function defaultDir(): string {
  return join(tmpdir(), 'samsa-cluster')
}

async function start(opts: { brokers: number; dir: string; basePort: number }): Promise<void> {
  const dir = resolve(opts.dir)
  if (opts.basePort + opts.brokers - 1 > 65_535) throw usage(`--base-port ${opts.basePort} leaves no room for ${opts.brokers} brokers; use a lower --base-port`)
  const previous = readState(dir)
  if (previous && (isSameProcess(previous.etcd.pid, previous.etcd.startTicks) || previous.brokers.some((b) => isSameProcess(b.pid, b.startTicks)))) {
    throw new CliError(`a cluster is already running in ${dir} (brokers ${previous.brokers.map((b) => `${b.nodeId}:${b.port}`).join(', ')}); stop it with: samsa cluster stop --dir ${dir}`)
  }
  const etcdBin = findOnPath('etcd')
  if (!etcdBin) throw new CliError('etcd is not on PATH; install it (Debian: apt-get install etcd-server) and try again')
  for (let i = 0; i < opts.brokers; i++) {
    const port = opts.basePort + i
    if (!(await portFree(port))) throw new CliError(`port ${port} (broker ${i}) is in use; stop what listens there, or pick other ports with --base-port`)
  }
  mkdirSync(dir, { recursive: true })
  // The etcd prefix names the cluster (and its cluster id there); it stays the same across
  // restarts on this dir, or the brokers' data would belong to another cluster.
  const prefixFile = join(dir, 'etcd-prefix')
  const prefix = existsSync(prefixFile) ? readFileSync(prefixFile, 'utf8').trim() : `/samsa/local-${Date.now().toString(36)}`
  writeFileSync(prefixFile, prefix + '\n')
  const [clientPort, peerPort] = [await freePort(), await freePort()]
  const clientUrl = `http://127.0.0.1:${clientPort}`
  const peerUrl = `http://127.0.0.1:${peerPort}`
  mkdirSync(join(dir, 'etcd'), { recursive: true })
  const etcd = launch(
    etcdBin,
    ['--name', 'samsa', '--data-dir', join(dir, 'etcd', 'data'), '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl, '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `samsa=${peerUrl}`],
    join(dir, 'etcd', 'etcd.log'),
    {},
  )
  const state: ClusterState = { prefix, etcd: { ...etcd, clientUrl, peerUrl }, brokers: [] }
  writeState(dir, state)
  try {
    await waitFor(async () => etcdHealthy(clientUrl), READY_TIMEOUT_MS, () => processDied(etcd.pid, join(dir, 'etcd', 'etcd.log'), 'etcd'))
    for (let id = 0; id < opts.brokers; id++) {
      const port = opts.basePort + id
      const bdir = join(dir, `broker-${id}`)
      mkdirSync(bdir, { recursive: true })
      writeFileSync(join(bdir, 'server.properties'), brokerProperties({ id, port, dir: bdir, clientUrl, prefix, brokers: opts.brokers }))
      const p = launch(process.execPath, [...SERVER_NODE_ARGS, CLI_ENTRY, 'server', 'start', join(bdir, 'server.properties')], join(bdir, 'broker.log'), { SAMSA_PID_DIR: join(dir, 'pids') })
      state.brokers.push({ ...p, nodeId: id, port })
      writeState(dir, state)
    }
    await waitFor(
      async () => {
        for (const b of state.brokers) if (!(await portOpen(b.port))) return false
        return (await registeredBrokers(`127.0.0.1:${opts.basePort}`)) >= opts.brokers
      },
      READY_TIMEOUT_MS,
      () => {
        for (const b of state.brokers) processDied(b.pid, join(dir, `broker-${b.nodeId}`, 'broker.log'), `broker ${b.nodeId}`)
      },
    )
  } catch (e) {
    await stopAll(state, 10_000).catch(() => undefined)
    rmSync(join(dir, STATE_FILE), { force: true })
    throw e instanceof CliError ? e : new CliError(`the cluster did not start: ${(e as Error).message}; see the logs under ${dir}`)
  }
  const bootstrap = state.brokers.map((b) => `127.0.0.1:${b.port}`).join(',')
  await print(
    [
      `etcd at ${clientUrl} (prefix ${prefix})`,
      ...state.brokers.map((b) => `broker ${b.nodeId} at 127.0.0.1:${b.port} (pid ${b.pid})`),
      `bootstrap servers: ${bootstrap}`,
      `data and logs in ${dir}; stop with: samsa cluster stop${opts.dir === defaultDir() ? '' : ` --dir ${dir}`}`,
      '',
    ].join('\n'),
  )
}

function brokerProperties(o: { id: number; port: number; dir: string; clientUrl: string; prefix: string; brokers: number }): string {
  const rf = Math.min(3, o.brokers)
  return [
    '# Written by samsa cluster start.',
    `broker.id=${o.id}`,
    `listeners=PLAINTEXT://127.0.0.1:${o.port}`,
    `log.dirs=${join(o.dir, 'data')}`,
    'metadata.store=etcd',
    `etcd.endpoints=${o.clientUrl}`,
    `etcd.prefix=${o.prefix}`,
    `offsets.topic.replication.factor=${rf}`,
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${rf > 1 ? 2 : 1}`,
    // As Kafka's quick-start config: the first consumer of a group gets its records at once.
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n')
}

async function stop(dir: string, timeoutMs: number): Promise<void> {
  const state = readState(dir)
  if (!state) throw new CliError(`no cluster state in ${dir}; was it started with samsa cluster start --dir ${dir}?`)
  const stopped = await stopAll(state, timeoutMs, dir)
  rmSync(join(dir, STATE_FILE), { force: true })
  await print(stopped.map((l) => `${l}\n`).join(''))
}

/**
 * Brokers first (a clean stop needs etcd to hand leaderships on), then etcd. Brokers are found in
 * the state file and by their pid files in DIR/pids, so one restarted by hand
 * (`SAMSA_PID_DIR=DIR/pids samsa server start DIR/broker-N/server.properties`) stops too.
 */
async function stopAll(state: ClusterState, timeoutMs: number, dir?: string): Promise<string[]> {
  const lines: string[] = []
  const running = state.brokers.filter((b) => isSameProcess(b.pid, b.startTicks))
  for (const b of dir ? pidFiles(join(dir, 'pids')) : []) {
    if (!running.some((r) => r.pid === b.pid) && isSameProcess(b.pid, b.startTicks)) running.push(b)
  }
  for (const b of running) process.kill(b.pid, 'SIGTERM')
  const stuck: string[] = []
  for (const b of running) {
    if (await exited(b.pid, timeoutMs)) lines.push(`Stopped broker ${b.nodeId} (pid ${b.pid}, 127.0.0.1:${b.port})`)
    else stuck.push(`broker ${b.nodeId} (pid ${b.pid})`)
  }
  if (isSameProcess(state.etcd.pid, state.etcd.startTicks)) {
    process.kill(state.etcd.pid, 'SIGTERM')
    if (await exited(state.etcd.pid, timeoutMs)) lines.push(`Stopped etcd (pid ${state.etcd.pid}, ${state.etcd.clientUrl})`)
    else stuck.push(`etcd (pid ${state.etcd.pid})`)
  }
  if (stuck.length > 0) throw new CliError(`${stuck.join(', ')} still running after ${timeoutMs} ms; wait, or kill -9 it`)
  return lines
}

// ---- processes ---------------------------------------------------------------------------

/** The brokers' pid files (written by samsa server start into SAMSA_PID_DIR). */
function pidFiles(pids: string): Array<RunningProcess & { nodeId: number; port: number }> {
  let names: string[] = []
  try {
    names = readdirSync(pids).filter((n) => /^broker-\d+\.json$/.test(n))
  } catch {
    return []
  }
  const out: Array<RunningProcess & { nodeId: number; port: number }> = []
  for (const n of names) {
    try {
      const f = JSON.parse(readFileSync(join(pids, n), 'utf8')) as { pid: number; nodeId: number; listeners: string[]; startTicks: string | null }
      out.push({ pid: f.pid, startTicks: f.startTicks, nodeId: f.nodeId, port: Number(/:(\d+)$/.exec(f.listeners[0] ?? '')?.[1] ?? 0) })
    } catch {
      // a file being written or damaged: its broker is found in the state file, if anywhere
    }
  }
  return out
}

function launch(cmd: string, args: string[], logFile: string, env: Record<string, string>): RunningProcess {
  const out = openSync(logFile, 'a')
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...env } })
    child.unref()
    if (child.pid === undefined) throw new CliError(`cannot start ${cmd}`)
    return { pid: child.pid, startTicks: startTicks(child.pid) }
  } finally {
    closeSync(out)
  }
}

function processDied(pid: number, logFile: string, what: string): void {
  if (alive(pid)) return
  const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join(' | ') : ''
  throw new CliError(`${what} exited during start-up${tail ? `: ${tail}` : ''} (log: ${logFile})`)
}

async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (alive(pid) && Date.now() < deadline) await sleep(50)
  return !alive(pid)
}

async function waitFor(ready: () => Promise<boolean>, timeoutMs: number, check: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    check()
    if (await ready().catch(() => false)) return
    if (Date.now() > deadline) throw new CliError(`not ready within ${timeoutMs / 1000} s`)
    await sleep(100)
  }
}

async function etcdHealthy(clientUrl: string): Promise<boolean> {
  const r = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) })
  return r.ok && ((await r.json()) as { health?: string }).health === 'true'
}

async function registeredBrokers(bootstrap: string): Promise<number> {
  const admin = await openAdmin(bootstrap)
  try {
    return (await admin.describeCluster()).brokers.length
  } finally {
    await admin.close()
  }
}

function findOnPath(name: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(':')) {
    if (d && existsSync(join(d, name))) return join(d, name)
  }
  return undefined
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen({ port, host: '127.0.0.1' }, () => s.close(() => resolve(true)))
  })
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ port, host: '127.0.0.1' })
    c.once('connect', () => {
      c.destroy()
      resolve(true)
    })
    c.once('error', () => resolve(false))
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen({ port: 0, host: '127.0.0.1' }, () => {
      const a = s.address()
      const port = typeof a === 'object' && a ? a.port : 0
      s.close(() => resolve(port))
    })
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

function readState(dir: string): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as ClusterState
  } catch {
    return undefined
  }
}

function writeState(dir: string, state: ClusterState): void {
  writeFileSync(join(dir, STATE_FILE), JSON.stringify(state, null, 2) + '\n')
}
