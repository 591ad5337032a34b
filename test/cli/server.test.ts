/**
 * `samsa server start` and `samsa server stop` as a user runs them: configuration errors,
 * warnings and precedence; stopping by pid file, stale pid files.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { SERVER_NODE_ARGS } from '../../src/cli/server.js'
import { SAMSA_CLI, runCli, startBrokerProcess } from '../helpers/broker-process.js'

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Runs `samsa server start ...` expecting it to fail at start-up. */
async function startFails(t: TestContext, args: string[], env: NodeJS.ProcessEnv = {}) {
  const dir = tempDir(t)
  const r = await runCli(['server', 'start', ...args, '--override', `log.dirs=${dir}`], { env })
  assert.notEqual(r.code, 0, `exit code ${r.code}; stderr: ${r.stderr}`)
  assert.equal(r.signal, null)
  assert.doesNotMatch(r.stdout, /listening/, 'it never started')
  return r
}

test('an invalid --override value exits non-zero, naming the key', async (t) => {
  const r = await startFails(t, ['--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'num.partitions=abc'])
  assert.match(r.stderr, /num\.partitions/)
  assert.match(r.stderr, /abc/)
})

test('an invalid value in the properties file exits non-zero, naming the key', async (t) => {
  const file = join(tempDir(t), 'server.properties')
  writeFileSync(file, 'listeners=PLAINTEXT://127.0.0.1:0\nauto.create.topics.enable=perhaps\n')
  const r = await startFails(t, [file])
  assert.match(r.stderr, /auto\.create\.topics\.enable/)
})

test('an invalid SAMSA_* environment value exits non-zero, naming the key', async (t) => {
  const r = await startFails(t, ['--override', 'listeners=PLAINTEXT://127.0.0.1:0'], { SAMSA_QUEUED_MAX_REQUESTS: '0' })
  assert.match(r.stderr, /queued\.max\.requests/)
})

test('a malformed listener exits non-zero, naming the key', async (t) => {
  const r = await startFails(t, ['--override', 'listeners=127.0.0.1:9092'])
  assert.match(r.stderr, /listeners/)
})

test('an SSL, SASL_PLAINTEXT or SASL_SSL listener without its settings exits non-zero, naming the property to set', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['SSL://127.0.0.1:0', /listener SSL uses TLS but has no key: set ssl\.keystore\.location/],
    ['SASL_PLAINTEXT://127.0.0.1:0', /listener SASL_PLAINTEXT: SASL mechanism GSSAPI is not supported .*set sasl\.enabled\.mechanisms/],
    ['SASL_SSL://127.0.0.1:0', /listener SASL_SSL: .*(ssl\.keystore\.location|sasl\.enabled\.mechanisms)/],
  ]
  for (const [l, want] of cases) {
    const r = await startFails(t, ['--override', `listeners=PLAINTEXT://127.0.0.1:0,${l}`])
    assert.match(r.stderr, want)
  }
})

test('an unknown log.level exits non-zero naming the allowed levels, from the properties or SAMSA_LOG_LEVEL', async (t) => {
  const r = await startFails(t, ['--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'log.level=verbose'])
  assert.match(r.stderr, /log\.level/)
  assert.match(r.stderr, /verbose/)
  assert.match(r.stderr, /debug, info, warn, error/)
  const e = await startFails(t, ['--override', 'listeners=PLAINTEXT://127.0.0.1:0'], { SAMSA_LOG_LEVEL: 'loud' })
  assert.match(e.stderr, /SAMSA_LOG_LEVEL/)
  assert.match(e.stderr, /loud/)
})

test('advertised.listeners naming a listener that does not exist exits non-zero, as Kafka refuses it', async (t) => {
  const r = await startFails(t, ['--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'advertised.listeners=EXTERNAL://broker.example.com:9092'])
  assert.match(r.stderr, /advertised\.listeners listener names must be equal to or a subset of the ones defined in listeners/)
  assert.match(r.stderr, /Found EXTERNAL/)
  assert.match(r.stderr, /valid options based on the current configuration are PLAINTEXT/)
})

test('log.dirs on a read-only file system exits non-zero naming the dir and the real cause, not ENOENT', async (t) => {
  // A real read-only mount: Node's recursive mkdir reports ENOENT there, which is the bug.
  // Mounting needs root with CAP_SYS_ADMIN; elsewhere the unit test in test/storage covers it.
  const ro = mkdtempSync(join(tmpdir(), 'samsa-ro-'))
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro], { stdio: 'ignore' })
  t.after(() => {
    if (m.status === 0) spawnSync('umount', [ro])
    rmSync(ro, { recursive: true, force: true })
  })
  if (m.status !== 0) {
    t.skip('cannot mount a read-only tmpfs here (needs root with CAP_SYS_ADMIN)')
    return
  }
  for (const dir of [join(ro, 'data'), ro]) {
    const r = await runCli(['server', 'start', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${dir}`])
    assert.notEqual(r.code, 0, r.stderr)
    assert.ok(r.stderr.includes(`cannot use log dir ${dir}`), r.stderr)
    assert.match(r.stderr, /read-only \(EROFS/)
    assert.doesNotMatch(r.stderr, /ENOENT/)
  }
})

test('a missing properties file exits non-zero, naming the file', async (t) => {
  const missing = join(tempDir(t), 'nope.properties')
  const r = await startFails(t, [missing, '--override', 'listeners=PLAINTEXT://127.0.0.1:0'])
  assert.ok(r.stderr.includes(missing), r.stderr)
})

test('--override without key=value exits non-zero', async (t) => {
  for (const args of [['--override', 'num.partitions'], ['--override']]) {
    const r = await startFails(t, ['--override', 'listeners=PLAINTEXT://127.0.0.1:0', ...args])
    assert.match(r.stderr, /--override/)
  }
})

test('an unknown option or a second file exits non-zero', async (t) => {
  await startFails(t, ['--overide', 'num.partitions=1'])
  await startFails(t, ['a.properties', 'b.properties'])
})

test('a port already in use exits non-zero', async (t) => {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.after(() => blocker.close())
  const port = (blocker.address() as { port: number }).port
  const r = await startFails(t, ['--override', `listeners=PLAINTEXT://127.0.0.1:${port}`])
  assert.match(r.stderr, /cannot start|EADDRINUSE/)
})

test('an unknown property warns (naming it) and the broker still starts', async (t) => {
  const b = await startBrokerProcess({ overrides: { 'zookeeper.connect': 'localhost:2181' } })
  t.after(() => b.stop())
  await b.waitForStderr(/unknown property zookeeper\.connect/)
  assert.match(b.stderr(), /zookeeper\.connect/)
  assert.ok(b.port > 0)
})

test('broker.id precedence: file < SAMSA_BROKER_ID < --override, visible in the start-up line', async (t) => {
  const file = join(tempDir(t), 'server.properties')
  writeFileSync(file, 'broker.id=5\n')
  const cases: Array<[NodeJS.ProcessEnv, Record<string, string>, number]> = [
    [{}, {}, 5],
    [{ SAMSA_BROKER_ID: '6' }, {}, 6],
    [{ SAMSA_BROKER_ID: '6' }, { 'broker.id': '7' }, 7],
  ]
  for (const [env, overrides, want] of cases) {
    const b = await startBrokerProcess({ args: [file], env, overrides })
    try {
      assert.equal(b.nodeId, want, b.stdout())
    } finally {
      await b.stop()
    }
  }
})

test('samsa --help prints usage and exits 0', async () => {
  const r = await runCli(['--help'])
  assert.equal(r.code, 0)
  assert.match(r.stdout, /server start/)
})

test('server stop stops every broker started with the same pid dir, and only those', async (t) => {
  const pids = tempDir(t)
  const other = tempDir(t)
  const a = await startBrokerProcess({ env: { SAMSA_PID_DIR: pids } })
  const b = await startBrokerProcess({ env: { SAMSA_PID_DIR: pids } })
  const c = await startBrokerProcess({ env: { SAMSA_PID_DIR: other } })
  t.after(() => Promise.all([a.stop(), b.stop(), c.stop()]))
  assert.deepEqual(readdirSync(pids).sort(), [`broker-${a.proc.pid}.json`, `broker-${b.proc.pid}.json`].sort())

  const r = await runCli(['server', 'stop'], { env: { SAMSA_PID_DIR: pids }, timeoutMs: 30_000 })
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, new RegExp(`Stopped broker \\d+ \\(pid ${a.proc.pid}, PLAINTEXT://127\\.0\\.0\\.1:${a.port}\\)`))
  assert.match(r.stdout, new RegExp(`pid ${b.proc.pid}`))
  // Both shut down cleanly (exit 0 after SIGTERM), removing their pid files.
  assert.deepEqual(await a.exited, { code: 0, signal: null })
  assert.deepEqual(await b.exited, { code: 0, signal: null })
  assert.deepEqual(readdirSync(pids), [])
  assert.equal(c.proc.exitCode, null, 'the broker of another pid dir keeps running')
  assert.equal(readdirSync(other).length, 1)

  const again = await runCli(['server', 'stop'], { env: { SAMSA_PID_DIR: pids } })
  assert.equal(again.code, 1)
  assert.match(again.stderr, /^samsa server stop: no samsa server to stop/)
})

test('server stop skips and removes stale pid files: a killed broker, a pid now running something else', async (t) => {
  const pids = tempDir(t)
  const a = await startBrokerProcess({ env: { SAMSA_PID_DIR: pids } })
  await a.stop('SIGKILL')
  const stale = join(pids, `broker-${a.proc.pid}.json`)
  assert.ok(existsSync(stale), 'SIGKILL leaves the pid file behind')
  // A live process that is not a samsa broker (this test runner) must never be signalled.
  const foreign = join(pids, `broker-${process.pid}.json`)
  writeFileSync(foreign, JSON.stringify({ pid: process.pid, nodeId: 9, listeners: [], logDirs: [], startedAt: '', startTicks: '1' }))
  writeFileSync(join(pids, 'broker-1.json'), 'not json')

  const r = await runCli(['server', 'stop'], { env: { SAMSA_PID_DIR: pids } })
  assert.equal(r.code, 1)
  assert.match(r.stderr, /no samsa server to stop/)
  assert.deepEqual(readdirSync(pids), [])
})

test('server stop stops a broker started as npm start does (a relative path to the CLI)', async (t) => {
  const pids = tempDir(t)
  const logs = tempDir(t)
  // npm start runs `node dist/bin/samsa.js server start` from the package root.
  const root = join(dirname(SAMSA_CLI), '..', '..')
  const proc = spawn(process.execPath, [...SERVER_NODE_ARGS, relative(root, SAMSA_CLI), 'server', 'start', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${logs}`], {
    cwd: root,
    env: { ...process.env, SAMSA_PID_DIR: pids },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  t.after(() => proc.kill('SIGKILL'))
  await new Promise<void>((resolve) => proc.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve()))
  const r = await runCli(['server', 'stop'], { env: { SAMSA_PID_DIR: pids }, timeoutMs: 30_000 })
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, new RegExp(`pid ${proc.pid}`))
  assert.equal(await exited, 0)
})
