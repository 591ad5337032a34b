/**
 * A real cluster for the failover, rolling-restart and chaos tests: an etcd (the etcd test
 * harness) and N broker processes (`samsa server start`, metadata.store=etcd) on loopback,
 * each with its own log dir. A broker can be killed (SIGKILL), stopped cleanly (SIGTERM),
 * paused (SIGSTOP) and resumed, and started again on the same port and data. Sessions are short
 * (broker.session.timeout.ms 2000 unless told otherwise) so a crash is noticed in seconds.
 */
import type { TestContext } from 'node:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Admin } from '../../src/client/admin/admin.js'
import { createLogger } from '../../src/util/logger.js'
import { EtcdServer } from '../cluster/etcd-harness.js'
import { startBrokerProcess, type BrokerProcess } from './broker-process.js'

export interface ProcessCluster {
  etcd: EtcdServer
  readonly size: number
  /** The process of each broker id while it runs. */
  running(id: number): BrokerProcess | undefined
  /** host:port of every broker that runs. */
  bootstrap(): string
  /** Starts broker `id` (again): the same port and log dir as its first start. */
  start(id: number): Promise<BrokerProcess>
  kill(id: number): Promise<void>
  /** SIGTERM: a clean stop (controlled shutdown). */
  stop(id: number): Promise<void>
  pause(id: number): void
  resume(id: number): void
  /** A Samsa admin client on the running brokers (closed with the test). */
  admin(): Admin
  /** The partition's leader as metadata says now (-1 none). */
  leaderOf(topic: string, partition: number): Promise<number>
  /** Waits until `cond` holds on a fresh Metadata answer. */
  waitFor(what: string, cond: () => Promise<boolean>, timeoutMs?: number): Promise<void>
}

/**
 * Each step (start, stop, kill, waits) with its time on stderr, to find where a slow or hung
 * test spent it: the test runner shows a file's output only when it fails. SAMSA_TEST_TRACE=0
 * silences it.
 */
export function trace(msg: string): void {
  if (process.env.SAMSA_TEST_TRACE !== '0') process.stderr.write(`[${new Date().toISOString().slice(11, 23)}] ${msg}\n`)
}

export async function processCluster(t: TestContext, size: number, overrides: Record<string, string> = {}): Promise<ProcessCluster> {
  const etcd = await EtcdServer.start(t)
  const root = mkdtempSync(join(tmpdir(), 'samsa-pcluster-'))
  const prefix = `/samsa/test-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`
  const procs = new Map<number, BrokerProcess>()
  const ports = new Map<number, number>()
  const paused = new Set<number>()
  const admins: Admin[] = []
  const logDir = (id: number) => join(root, `broker-${id}`)
  const settings = (id: number): Record<string, string> => ({
    'broker.id': String(id),
    'metadata.store': 'etcd',
    'etcd.endpoints': etcd.endpoint,
    'etcd.prefix': prefix,
    'broker.session.timeout.ms': '2000',
    'offsets.topic.replication.factor': String(Math.min(3, size)),
    'default.replication.factor': String(Math.min(3, size)),
    'group.initial.rebalance.delay.ms': '0',
    'replica.fetch.backoff.ms': '100',
    ...overrides,
    // A restart keeps the first listener's port (the one clients bootstrap from); others pick new ones.
    ...(ports.has(id) ? { listeners: (overrides.listeners ?? 'PLAINTEXT://127.0.0.1:0').replace(/:0(?=,|$)/, `:${ports.get(id)}`) } : {}),
  })

  const cluster: ProcessCluster = {
    etcd,
    size,
    running: (id) => procs.get(id),
    bootstrap: () => [...procs.values()].map((p) => p.bootstrap).join(','),
    async start(id) {
      if (procs.has(id)) throw new Error(`broker ${id} is running`)
      trace(`start broker ${id}`)
      const p = await startBrokerProcess({ logDir: logDir(id), overrides: settings(id), startTimeoutMs: 30_000 })
      ports.set(id, p.port)
      procs.set(id, p)
      return p
    },
    async kill(id) {
      const p = procs.get(id)
      if (!p) return
      trace(`SIGKILL broker ${id}`)
      procs.delete(id)
      paused.delete(id)
      await p.stop('SIGKILL')
    },
    async stop(id) {
      const p = procs.get(id)
      if (!p) return
      if (paused.has(id)) cluster.resume(id)
      procs.delete(id)
      trace(`SIGTERM broker ${id}`)
      await p.stop('SIGTERM', 30_000)
      trace(`broker ${id} stopped`)
    },
    pause(id) {
      const p = procs.get(id)
      if (!p || paused.has(id)) return
      paused.add(id)
      p.proc.kill('SIGSTOP')
    },
    resume(id) {
      const p = procs.get(id)
      if (!p || !paused.has(id)) return
      paused.delete(id)
      p.proc.kill('SIGCONT')
    },
    admin() {
      const a = new Admin({ bootstrapServers: cluster.bootstrap(), clientId: 'process-cluster', logger: createLogger({ level: 'silent' }), requestTimeoutMs: 5000 })
      admins.push(a)
      return a
    },
    async leaderOf(topic, partition) {
      const a = cluster.admin()
      try {
        const [d] = await a.describeTopics([topic])
        return d?.partitions.find((p) => p.partition === partition)?.leader ?? -1
      } finally {
        await a.close()
      }
    },
    async waitFor(what, cond, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      let last: unknown
      trace(`waiting for ${what}`)
      for (;;) {
        try {
          if (await cond()) {
            trace(`done waiting for ${what}`)
            return
          }
        } catch (err) {
          last = err
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
  }
  t.after(async () => {
    for (const a of admins) await a.close().catch(() => undefined)
    for (const id of [...procs.keys()]) {
      cluster.resume(id)
      await procs.get(id)!.stop('SIGKILL')
    }
    procs.clear()
    rmSync(root, { recursive: true, force: true })
  })
  for (let id = 0; id < size; id++) await cluster.start(id)
  return cluster
}
