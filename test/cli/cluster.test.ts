/**
 * `samsa cluster start` / `stop`: a local cluster of its own etcd and broker processes. It
 * returns once every broker is registered, a replicated topic works across the brokers, stop
 * ends every process it started (also a broker restarted by hand), and a second start on the
 * same dir resumes the data. Mistakes get one clear line: a cluster already running there, a
 * port in use, no etcd on PATH.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../helpers/broker-process.js'
import { runTool } from '../helpers/tools.js'
import { requireEtcd } from '../cluster/etcd-harness.js'
import { alive } from '../../src/cli/process-identity.js'
import { SERVER_NODE_ARGS } from '../../src/cli/server.js'

/** A base port with `n` free ports above it (tests run in parallel; pick away from 9092). */
async function freeRange(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000)
    const held: Server[] = []
    let ok = true
    for (let i = 0; i < n && ok; i++) {
      const s = createServer()
      ok = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false))
        s.listen({ port: base + i, host: '127.0.0.1' }, () => resolve(true))
      })
      if (ok) held.push(s)
    }
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))))
    if (ok) return base
  }
  throw new Error('no free port range')
}

interface State {
  etcd: { pid: number }
  brokers: Array<{ nodeId: number; pid: number; port: number }>
}

test('cluster start runs etcd and three brokers, a replicated topic works across them, stop ends them all; a restart resumes the data', async (t) => {
  if (!requireEtcd(t)) return
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cluster-cli-'))
  const base = await freeRange(3)
  t.after(async () => {
    await runCli(['cluster', 'stop', '--dir', dir], { timeoutMs: 60_000 })
    rmSync(dir, { recursive: true, force: true })
  })
  const started = await runCli(['cluster', 'start', '--brokers', '3', '--dir', dir, '--base-port', String(base)], { timeoutMs: 90_000 })
  assert.equal(started.code, 0, started.stderr)
  for (let i = 0; i < 3; i++) assert.match(started.stdout, new RegExp(`broker ${i} at 127\\.0\\.0\\.1:${base + i} `))
  assert.match(started.stdout, new RegExp(`bootstrap servers: 127.0.0.1:${base},127.0.0.1:${base + 1},127.0.0.1:${base + 2}`))
  const state = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as State
  // Each broker runs with the broker's node arguments, as npm start gives them.
  for (const b of state.brokers) {
    const argv = readFileSync(`/proc/${b.pid}/cmdline`, 'utf8').split('\0')
    for (const a of SERVER_NODE_ARGS) assert.ok(argv.includes(a), `broker ${b.nodeId} runs with ${a}: ${argv.join(' ')}`)
  }

  const md = await runTool('kcat', ['-L', '-J', '-b', `127.0.0.1:${base}`], { timeoutMs: 20_000 })
  assert.equal(md.code, 0, md.stderr)
  const meta = JSON.parse(md.stdout) as { controllerid: number; brokers: Array<{ id: number }> }
  assert.deepEqual(meta.brokers.map((b) => b.id).sort(), [0, 1, 2])
  assert.ok([0, 1, 2].includes(meta.controllerid))

  const create = await runCli(['topics', '--bootstrap-server', `127.0.0.1:${base + 1}`, '--create', '--topic', 'three', '--partitions', '3', '--replication-factor', '3'], { timeoutMs: 30_000 })
  assert.equal(create.code, 0, create.stderr)
  const produce = await runTool('kcat', ['-P', '-b', `127.0.0.1:${base}`, '-t', 'three', '-X', 'acks=all'], { input: 'a\nb\nc\nd\n', timeoutMs: 30_000 })
  assert.equal(produce.code, 0, produce.stderr)
  const consume = await runTool('kcat', ['-C', '-b', `127.0.0.1:${base + 2}`, '-t', 'three', '-e', '-q'], { timeoutMs: 30_000 })
  assert.deepEqual(consume.stdout.trim().split('\n').sort(), ['a', 'b', 'c', 'd'])

  const again = await runCli(['cluster', 'start', '--dir', dir, '--base-port', String(base)], { timeoutMs: 30_000 })
  assert.equal(again.code, 1)
  assert.match(again.stderr, /a cluster is already running in .*; stop it with: samsa cluster stop --dir/)

  const stopped = await runCli(['cluster', 'stop', '--dir', dir], { timeoutMs: 60_000 })
  assert.equal(stopped.code, 0, stopped.stderr)
  for (let i = 0; i < 3; i++) assert.match(stopped.stdout, new RegExp(`Stopped broker ${i} `))
  assert.match(stopped.stdout, /Stopped etcd/)
  for (const p of [state.etcd.pid, ...state.brokers.map((b) => b.pid)]) assert.equal(alive(p), false, `pid ${p} is gone`)

  // The same dir again: the same cluster, with its topic and records.
  const resumed = await runCli(['cluster', 'start', '--brokers', '3', '--dir', dir, '--base-port', String(base)], { timeoutMs: 90_000 })
  assert.equal(resumed.code, 0, resumed.stderr)
  const back = await runTool('kcat', ['-C', '-b', `127.0.0.1:${base}`, '-t', 'three', '-e', '-q'], { timeoutMs: 30_000 })
  assert.deepEqual(back.stdout.trim().split('\n').sort(), ['a', 'b', 'c', 'd'])
})

test('cluster start refuses a port in use and a missing etcd, with what to do', async (t) => {
  if (!requireEtcd(t)) return
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cluster-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const base = await freeRange(2)
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen({ port: base + 1, host: '127.0.0.1' }, resolve))
  t.after(() => new Promise((r) => blocker.close(r)))
  const busy = await runCli(['cluster', 'start', '--brokers', '2', '--dir', dir, '--base-port', String(base)], { timeoutMs: 30_000 })
  assert.equal(busy.code, 1)
  assert.match(busy.stderr, new RegExp(`port ${base + 1} \\(broker 1\\) is in use; .*--base-port`))
  // A PATH with node on it and no etcd.
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  symlinkSync(process.execPath, join(bin, 'node'))
  const noEtcd = await runCli(['cluster', 'start', '--dir', dir, '--base-port', String(base)], { env: { PATH: bin }, timeoutMs: 30_000 })
  assert.equal(noEtcd.code, 1)
  assert.match(noEtcd.stderr, /etcd is not on PATH; install it \(Debian: apt-get install etcd-server\)/)
  const stopNothing = await runCli(['cluster', 'stop', '--dir', dir])
  assert.equal(stopNothing.code, 1)
  assert.match(stopNothing.stderr, /no cluster state in/)
})
