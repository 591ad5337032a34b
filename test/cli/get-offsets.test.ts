/**
 * `samsa get-offsets` against a real broker process: latest, earliest (after DeleteRecords),
 * timestamps and max-timestamp; topic regexes, partition lists and --topic-partitions rules;
 * internal topics; Kafka's sort order; errors.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Admin, Producer } from '../../src/index.js'
import { runCli, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'

let broker: BrokerProcess
let admin: Admin
const T0 = Date.UTC(2024, 0, 1)

before(async () => {
  broker = await startBrokerProcess({ overrides: { 'offsets.topic.num.partitions': '2' } })
  admin = new Admin({ bootstrapServers: broker.bootstrap, clientId: 'go-test' })
  await admin.createTopics([
    { topic: 'go-a', numPartitions: 3 },
    { topic: 'go-b', numPartitions: 1 },
    { topic: 'wide', numPartitions: 12 },
  ])
  const producer = new Producer({ bootstrapServers: broker.bootstrap, lingerMs: 0 })
  // go-a: partition p holds 2p+2 records, one second apart from T0; go-b: 3 records.
  for (let p = 0; p < 3; p++) for (let i = 0; i < 2 * p + 2; i++) await producer.send({ topic: 'go-a', partition: p, value: `r${i}`, timestamp: T0 + i * 1000 })
  for (let i = 0; i < 3; i++) await producer.send({ topic: 'go-b', partition: 0, value: `b${i}`, timestamp: T0 + 5000 - i * 1000 })
  await producer.close()
})

after(async () => {
  await admin.close()
  await broker.stop()
})

function go(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(['get-offsets', '--bootstrap-server', broker.bootstrap, ...args], { timeoutMs: 60_000, env })
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '')
}

test('latest by default (-1 and "latest" too), one topic:partition:offset line per partition', async () => {
  for (const time of [[], ['--time', '-1'], ['--time', 'latest']]) {
    const r = await go(['--topic', 'go-a', ...time])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'go-a:0:2\ngo-a:1:4\ngo-a:2:6\n')
  }
})

test('earliest (-2) is the low watermark after records are deleted', async () => {
  assert.equal((await go(['--topic', 'go-a', '--time', '-2'])).stdout, 'go-a:0:0\ngo-a:1:0\ngo-a:2:0\n')
  await admin.deleteRecords([{ topic: 'go-a', partition: 2, offset: 3 }])
  const r = await go(['--topic', 'go-a', '--time', 'earliest'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, 'go-a:0:0\ngo-a:1:0\ngo-a:2:3\n')
})

test('a timestamp gives the first offset at or after it; partitions with nothing that recent print nothing', async () => {
  const r = await go(['--topic', 'go-a', '--time', String(T0 + 2500)])
  assert.equal(r.code, 0, r.stderr)
  // Partition 0's last record is at T0+1s: no line for it.
  assert.equal(r.stdout, 'go-a:1:3\ngo-a:2:3\n')
  assert.equal((await go(['--topic', 'go-a', '--time', String(T0 + 60_000)])).stdout, '')
})

test('max-timestamp (-3) is the offset of the record with the largest timestamp', async () => {
  for (const time of ['-3', 'max-timestamp']) {
    const r = await go(['--topic', 'go-b', '--time', time])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'go-b:0:0\n') // go-b's timestamps decrease
  }
})

test('--topic is a regex on the whole name; --partitions picks ids; sorted as Kafka (by "topic-partition" text)', async () => {
  assert.deepEqual(lines((await go(['--topic', 'go-.*', '--partitions', '0'])).stdout), ['go-a:0:2', 'go-b:0:3'])
  assert.deepEqual(lines((await go(['--topic', 'go-b,go-a', '--partitions', '0,2'])).stdout), ['go-a:0:2', 'go-a:2:6', 'go-b:0:3'])
  assert.equal((await go(['--topic', 'go'])).code, 1, 'no partial matches')
  const wide = lines((await go(['--topic', 'wide'])).stdout).map((l) => Number(l.split(':')[1]))
  assert.deepEqual(wide, [0, 1, 10, 11, 2, 3, 4, 5, 6, 7, 8, 9])
})

test('--topic-partitions rules: N, N-M (M exclusive), N-, -M, and :N for any topic', async () => {
  const tp = async (spec: string) => lines((await go(['--topic-partitions', spec])).stdout)
  assert.deepEqual(await tp('go-a:1'), ['go-a:1:4'])
  assert.deepEqual(await tp('go-a:0-2'), ['go-a:0:2', 'go-a:1:4'])
  assert.deepEqual(await tp('go-a:1-'), ['go-a:1:4', 'go-a:2:6'])
  assert.deepEqual(await tp('go-a:-1,go-b'), ['go-a:0:2', 'go-b:0:3'])
  assert.deepEqual(await tp('wide:11,go-.*:2'), ['go-a:2:6', 'wide:11:0'])
  assert.ok((await tp(':0')).includes('go-b:0:3'))
})

test('internal topics are listed unless --exclude-internal-topics', async () => {
  await admin.alterGroupOffsets('go-group', [{ topic: 'go-b', partition: 0, offset: 1 }])
  const all = lines((await go([])).stdout)
  assert.ok(all.some((l) => l.startsWith('__consumer_offsets:')), all.join('\n'))
  const ext = await go(['--exclude-internal-topics'])
  assert.equal(ext.code, 0, ext.stderr)
  assert.ok(!lines(ext.stdout).some((l) => l.startsWith('__')), ext.stdout)
  assert.ok(lines(ext.stdout).includes('go-b:0:3'))
})

test('errors: no match exits 1; a malformed --time, bad --partitions or flag clash exit 2 before connecting', async () => {
  const none = await go(['--topic', 'nothing-here'])
  assert.equal(none.code, 1)
  assert.match(none.stderr, /^samsa get-offsets: Could not match any topic-partitions with the specified filters/)
  const usageCases: Array<[string[], RegExp]> = [
    [['--time', 'yesterday'], /Malformed time argument yesterday/],
    [['--time', '-4'], /tiered storage/],
    [['--partitions', 'a,b'], /--partitions expects a comma separated list of numeric partition ids, but received: a,b/],
    [['--topic-partitions', 'x:0', '--topic', 'x'], /--topic-partitions cannot be used with --topic or --partitions/],
    [['--topic-partitions', 'x:a-b'], /Invalid rule specification: x:a-b/],
    [['--topic', '('], /invalid regex/],
  ]
  for (const [args, want] of usageCases) {
    const r = await runCli(['get-offsets', '--bootstrap-server', '127.0.0.1:9', ...args], { timeoutMs: 30_000 })
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, want)
  }
})

test('--command-config: Kafka client properties, --bootstrap-server winning over the file; a bad file is a usage error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-go-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const good = join(dir, 'admin.properties')
  writeFileSync(good, 'bootstrap.servers=127.0.0.1:9\nclient.id=offsets-tool\nrequest.timeout.ms=20000\n')
  const r = await go(['--topic', 'go-b', '--command-config', good])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, 'go-b:0:3\n')
  const bad = join(dir, 'bad.properties')
  writeFileSync(bad, 'request.timeout.ms=soon\n')
  const b = await go(['--topic', 'go-b', '--command-config', bad])
  assert.equal(b.code, 2)
  assert.match(b.stderr, /request\.timeout\.ms=soon is not an integer/)
  const missing = await go(['--command-config', join(dir, 'none.properties')])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /--command-config: cannot read/)
})

test('an unreachable bootstrap server fails fast with one line', async () => {
  const r = await runCli(['get-offsets', '--bootstrap-server', '127.0.0.1:9'], { env: { SAMSA_CLI_CONNECT_TIMEOUT_MS: '2000' }, timeoutMs: 30_000 })
  assert.equal(r.code, 1)
  assert.match(r.stderr, /^samsa get-offsets: .*127\.0\.0\.1:9.*check --bootstrap-server/)
  assert.equal(r.stderr.trim().split('\n').length, 1)
})

test('--help lists every flag', async () => {
  const r = await runCli(['get-offsets', '--help'])
  assert.equal(r.code, 0)
  for (const f of ['--bootstrap-server', '--topic', '--partitions', '--topic-partitions', '--time', '--exclude-internal-topics', '--command-config']) assert.ok(r.stdout.includes(f), f)
})
