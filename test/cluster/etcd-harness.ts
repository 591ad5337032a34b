/**
 * A real etcd for tests: Debian's etcd-server binary on free loopback ports in a temp data dir.
 * It can be stopped, restarted on the same ports and data (nothing is lost), frozen (SIGSTOP:
 * the process holds its connections but answers nothing, as a hung etcd would) and thawed.
 * Without `etcd` installed the tests skip with one loud line, except under CI=true, where they
 * fail (.ci/run installs etcd-server).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { hasCommand, requireTool } from '../helpers/tools.js'

const ETCD = process.env['SAMSA_ETCD'] ?? 'etcd'

/** False (and the test skipped) when etcd is missing outside CI. */
export function requireEtcd(t: TestContext): boolean {
  return requireTool(t, 'etcd (Debian etcd-server)', () => hasCommand(ETCD, ['--version']))
}

/** The state letter of /proc/<pid>/stat (R, S, T for stopped, ...); undefined without /proc. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  } catch {
    return undefined
  }
}

export class EtcdServer {
  readonly dir: string
  readonly clientPort: number
  readonly peerPort: number
  private proc: ChildProcess | undefined
  private output = ''
  private exited: Promise<void> = Promise.resolve()

  private constructor(dir: string, clientPort: number, peerPort: number) {
    this.dir = dir
    this.clientPort = clientPort
    this.peerPort = peerPort
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`
  }

  /** Starts etcd in a new temp dir; `t.after` stops it and removes the dir. */
  static async start(t: TestContext): Promise<EtcdServer> {
    const server = await EtcdServer.create()
    t.after(() => server.dispose())
    return server
  }

  /** Starts etcd in a new temp dir; the caller calls dispose() (benchmarks, scripts). */
  static async create(): Promise<EtcdServer> {
    // etcd fsyncs every commit; in memory (/dev/shm) that costs nothing, so tests on this small
    // shared machine do not wait on other tests' disk writes. Restarts keep the data either way.
    const dir = await mkdtemp(join(process.env['SAMSA_TEST_TMP'] ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir()), 'samsa-etcd-'))
    const [client, peer] = await freePorts(2)
    const server = new EtcdServer(dir, client!, peer!)
    try {
      await server.restart()
    } catch (err) {
      await server.dispose()
      throw err
    }
    return server
  }

  /** Stops etcd and removes its data dir. */
  async dispose(): Promise<void> {
    await this.stop()
    await rm(this.dir, { recursive: true, force: true })
  }

  /** Starts the process again (same ports, same data); resolves once etcd answers. */
  async restart(): Promise<void> {
    if (this.proc) throw new Error('etcd is already running')
    const peer = `http://127.0.0.1:${this.peerPort}`
    const proc = spawn(
      ETCD,
      [
        '--name', 'n',
        '--data-dir', join(this.dir, 'data'),
        '--listen-client-urls', this.endpoint,
        '--advertise-client-urls', this.endpoint,
        '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `n=${peer}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    this.proc = proc
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => this.keep(s))
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => this.keep(s))
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()))
    proc.once('exit', () => {
      if (this.proc === proc) this.proc = undefined
    })
    await this.waitHealthy(15_000)
  }

  /** SIGKILL, as a crash; data already committed survives (etcd's WAL). */
  async kill(): Promise<void> {
    await this.signal('SIGKILL')
  }

  /** SIGTERM and wait for the exit. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM')
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const proc = this.proc
    if (!proc) return
    proc.kill('SIGCONT')
    proc.kill(sig)
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000)
    await this.exited
    clearTimeout(timer)
    this.proc = undefined
  }

  /** The process stops running but keeps its sockets: requests hang instead of failing. */
  freeze(): void {
    const proc = this.proc
    if (!proc?.pid) return
    proc.kill('SIGSTOP')
    // kill() only queues the signal: on a busy machine etcd may still answer a request sent
    // right after. Wait (briefly, synchronously) until the kernel shows it stopped.
    const deadline = Date.now() + 2000
    for (let st = processState(proc.pid); st !== undefined && st !== 'T' && Date.now() < deadline; st = processState(proc.pid)) {
      // spin: a stop takes microseconds once the process is scheduled
    }
  }

  thaw(): void {
    this.proc?.kill('SIGCONT')
  }

  private keep(s: string): void {
    this.output = (this.output + s).slice(-20_000)
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (!this.proc) throw new Error(`etcd exited during start-up:\n${this.output.slice(-4000)}`)
      try {
        const res = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1000) })
        if (res.ok && ((await res.json()) as { health?: string }).health === 'true') return
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`etcd did not become healthy within ${timeoutMs} ms:\n${this.output.slice(-4000)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

/** Ports free right now on 127.0.0.1 (held together so two calls cannot get the same one). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const s = createServer()
      s.once('error', reject)
      s.listen(0, '127.0.0.1', () => resolve(s))
    })),
  )
  const ports = servers.map((s) => (s.address() as { port: number }).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

/** A prefix no other test uses, so several tests may share one etcd. */
let prefixes = 0
export function uniquePrefix(): string {
  return `/samsa-test/${process.pid}-${Date.now()}-${prefixes++}`
}
