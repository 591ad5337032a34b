/**
 * `samsa console-consumer` as a user runs it, against a real broker process: Kafka's
 * DefaultMessageFormatter output byte for byte, JSON output, partitions and offsets, exits
 * (--max-messages, --timeout-ms, SIGINT) with commits a restart continues from, groups sharing
 * partitions, formatter errors, flag errors.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Admin } from '../../src/client/admin/admin.js'
import { consoleConsumerCommand } from '../../src/cli/console-consumer.js'
import { CliError } from '../../src/cli/common.js'
import { Producer } from '../../src/client/producer/producer.js'
import type { ProducerRecord } from '../../src/client/producer/types.js'
import { runCli, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { spawnCli, type CliProcess } from '../helpers/cli-process.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'

let b: BrokerProcess
let admin: Admin
let producer: Producer

before(async () => {
  b = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': '0' } })
  admin = new Admin({ bootstrapServers: b.bootstrap })
  producer = new Producer({ bootstrapServers: b.bootstrap, lingerMs: 0 })
})

after(async () => {
  await producer?.close()
  await admin?.close()
  await b?.stop()
})

const cli = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) => runCli(args, { timeoutMs: 60_000, ...opts })
const consumer = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) => cli(['console-consumer', '--bootstrap-server', b.bootstrap, ...args], opts)

async function ok(args: string[]) {
  const r = await consumer(args)
  assert.equal(r.code, 0, `console-consumer ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return r
}

async function topic(name: string, partitions: number, records: Array<Omit<ProducerRecord, 'topic'>> = []) {
  await admin.createTopics([{ topic: name, numPartitions: partitions }])
  if (records.length > 0) await producer.sendBatch(records.map((r) => ({ topic: name, ...r })))
}

const lines = (s: string) => s.split('\n').filter((l) => l !== '')

test('what the console producer wrote prints with every print.* property exactly as Kafka prints it', async () => {
  await topic('fmt', 1)
  const before = Date.now()
  const p = await cli(['console-producer', '--bootstrap-server', b.bootstrap, '--topic', 'fmt', '--property', 'parse.key=true', '--property', 'parse.headers=true', '--property', 'null.marker=NULL'], {
    input: 'h1:v1,h2:v2\tk1\tv1\nNULL\tk2\tNULL\nh:NULL\tNULL\tv3\n',
  })
  assert.equal(p.code, 0, p.stderr)
  const all = ['print.timestamp', 'print.partition', 'print.offset', 'print.delivery', 'print.epoch', 'print.headers', 'print.key', 'print.value'].flatMap((k) => ['--property', `${k}=true`])
  const r = await ok(['--topic', 'fmt', '--from-beginning', '--max-messages', '3', ...all])
  assert.equal(r.stderr, 'Processed a total of 3 messages\n')
  const stamps = [...r.stdout.matchAll(/^CreateTime:(\d+)\t/gm)].map((m) => Number(m[1]))
  assert.equal(stamps.length, 3)
  for (const ts of stamps) assert.ok(ts >= before - 1000 && ts <= Date.now() + 1000, `timestamp ${ts}`)
  assert.equal(
    r.stdout.replace(/^CreateTime:\d+/gm, 'CreateTime:T'),
    'CreateTime:T\tPartition:0\tOffset:0\tDelivery:NOT_PRESENT\tEpoch:0\th1:v1,h2:v2\tk1\tv1\n' +
      'CreateTime:T\tPartition:0\tOffset:1\tDelivery:NOT_PRESENT\tEpoch:0\tNO_HEADERS\tk2\tnull\n' +
      'CreateTime:T\tPartition:0\tOffset:2\tDelivery:NOT_PRESENT\tEpoch:0\th:null\tnull\tv3\n',
  )

  // The default prints values only; the separators and the null literal are properties.
  assert.equal((await ok(['--topic', 'fmt', '--from-beginning', '--max-messages', '3'])).stdout, 'v1\nnull\nv3\n')
  const custom = await ok([
    '--topic', 'fmt', '--from-beginning', '--max-messages', '3', '--formatter', 'kafka.tools.DefaultMessageFormatter',
    '--property', 'print.key=true', '--property', 'print.headers=true', '--property', 'print.offset=true',
    '--property', 'key.separator= | ', '--property', 'line.separator=;\n', '--property', 'headers.separator=&', '--property', 'null.literal=<none>',
  ])
  assert.equal(custom.stdout, 'Offset:0 | h1:v1&h2:v2 | k1 | v1;\nOffset:1 | NO_HEADERS | k2 | <none>;\nOffset:2 | h:<none> | <none> | v3;\n')
  const keysOnly = await ok(['--topic', 'fmt', '--from-beginning', '--max-messages', '3', '--formatter-property', 'print.key=true', '--formatter-property', 'print.value=false'])
  assert.equal(keysOnly.stdout, 'k1\nk2\nnull\n')

  const noop = await ok(['--topic', 'fmt', '--from-beginning', '--max-messages', '3', '--formatter', 'org.apache.kafka.tools.consumer.NoOpMessageFormatter'])
  assert.equal(noop.stdout, '')
  assert.equal(noop.stderr, 'Processed a total of 3 messages\n')
})

test('--output json: one object per record; bytes that are not UTF-8 come as base64, flagged', async () => {
  const bin = Buffer.from([0xff, 0x00, 0xfe])
  await topic('json', 2, [
    { partition: 1, key: 'k', value: 'héllo "quoted"\n', headers: [['h', 'v'], ['h', null], ['b', bin]], timestamp: 1_600_000_000_000 },
    { partition: 1, key: bin, value: null, timestamp: 1_600_000_000_001 },
    { partition: 0, key: null, value: bin, timestamp: 1_600_000_000_002 },
  ])
  const r = await ok(['--topic', 'json', '--from-beginning', '--max-messages', '3', '--output', 'json'])
  const got = lines(r.stdout)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .sort((x, y) => (x.partition as number) - (y.partition as number) || (x.offset as number) - (y.offset as number))
  const b64 = bin.toString('base64')
  const common = { topic: 'json', timestampType: 'CreateTime', leaderEpoch: 0 }
  assert.deepEqual(got, [
    { ...common, partition: 0, offset: 0, timestamp: 1_600_000_000_002, key: null, value: b64, valueEncoding: 'base64', headers: [] },
    {
      ...common, partition: 1, offset: 0, timestamp: 1_600_000_000_000, key: 'k', value: 'héllo "quoted"\n',
      headers: [{ key: 'h', value: 'v' }, { key: 'h', value: null }, { key: 'b', value: b64, valueEncoding: 'base64' }],
    },
    { ...common, partition: 1, offset: 1, timestamp: 1_600_000_000_001, key: b64, keyEncoding: 'base64', value: null, headers: [] },
  ])
  const both = await consumer(['--topic', 'json', '--output', 'json', '--formatter', 'kafka.tools.DefaultMessageFormatter'])
  assert.equal(both.code, 2)
  assert.match(both.stderr, /^samsa console-consumer: --output json and --formatter cannot be used together/)
})

test('--partition with --offset N, earliest, latest and --from-beginning; --timeout-ms ends a read that found nothing', async () => {
  const records = [0, 1, 2].flatMap((p) => Array.from({ length: 5 }, (_, i) => ({ partition: p, value: `p${p}-${i}` })))
  await topic('parts', 3, records)
  assert.equal((await ok(['--topic', 'parts', '--partition', '1', '--offset', '2', '--max-messages', '3'])).stdout, 'p1-2\np1-3\np1-4\n')
  assert.equal((await ok(['--topic', 'parts', '--partition', '2', '--offset', 'earliest', '--max-messages', '5'])).stdout, 'p2-0\np2-1\np2-2\np2-3\np2-4\n')
  assert.equal((await ok(['--topic', 'parts', '--partition', '0', '--from-beginning', '--max-messages', '1'])).stdout, 'p0-0\n')
  for (const args of [['--offset', 'latest'], []]) {
    const r = await ok(['--topic', 'parts', '--partition', '0', ...args, '--timeout-ms', '1500'])
    assert.equal(r.stdout, '', 'latest: only records written after the start')
    assert.equal(r.stderr, 'Processed a total of 0 messages\n')
  }
  const missing = await consumer(['--topic', 'parts', '--partition', '7'])
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /^samsa console-consumer: topic parts has no partition 7 \(it has 3, 0-2\)/)
})

test('--timeout-ms exits 0 once no record came for that long, after printing what there was (read_committed: plain records are all committed)', async () => {
  await topic('idle', 2, Array.from({ length: 6 }, (_, i) => ({ partition: i % 2, value: `v${i}` })))
  const r = await ok(['--topic', 'idle', '--from-beginning', '--timeout-ms', '5000', '--isolation-level', 'read_committed'])
  assert.deepEqual(lines(r.stdout).sort(), ['v0', 'v1', 'v2', 'v3', 'v4', 'v5'])
  assert.equal(r.stderr, 'Processed a total of 6 messages\n')
})

test('--max-messages in a group commits only what was printed; a restart in the group continues there', async () => {
  await topic('resume', 1, Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })))
  assert.equal((await ok(['--topic', 'resume', '--group', 'g-resume', '--from-beginning', '--max-messages', '4'])).stdout, 'v0\nv1\nv2\nv3\n')
  assert.deepEqual((await admin.listGroupOffsets('g-resume')).map((o) => [o.topic, o.partition, o.offset]), [['resume', 0, 4n]])
  assert.equal((await ok(['--topic', 'resume', '--group', 'g-resume', '--max-messages', '6'])).stdout, 'v4\nv5\nv6\nv7\nv8\nv9\n')
  assert.deepEqual((await admin.listGroupOffsets('g-resume')).map((o) => o.offset), [10n])

  // Without --group: a new console-consumer-NNNNN group each time, nothing committed.
  const before = new Set((await admin.listGroups()).map((g) => g.groupId))
  assert.equal((await ok(['--topic', 'resume', '--from-beginning', '--max-messages', '2'])).stdout, 'v0\nv1\n')
  const created = (await admin.listGroups()).map((g) => g.groupId).filter((g) => !before.has(g))
  assert.equal(created.length, 1)
  assert.match(created[0]!, /^console-consumer-\d{1,5}$/)
  assert.deepEqual(await admin.listGroupOffsets(created[0]!), [])
})

test('SIGINT on a group consumer commits, leaves the group and prints the count; a restart continues where it stopped', async (t) => {
  await topic('sigint', 1, Array.from({ length: 5 }, (_, i) => ({ value: `v${i}` })))
  const c = spawnCli(['console-consumer', '--bootstrap-server', b.bootstrap, '--topic', 'sigint', '--group', 'g-sigint', '--from-beginning'])
  t.after(() => c.stop('SIGKILL'))
  await c.waitForStdout('v4\n', 30_000)
  assert.deepEqual(await c.stop('SIGINT'), { code: 0, signal: null })
  assert.equal(c.stdout(), 'v0\nv1\nv2\nv3\nv4\n')
  assert.equal(c.stderr(), 'Processed a total of 5 messages\n')
  const [g] = await admin.describeGroups(['g-sigint'])
  assert.equal(g!.state, 'Empty', 'the consumer left the group')
  assert.deepEqual((await admin.listGroupOffsets('g-sigint')).map((o) => o.offset), [5n])

  await producer.sendBatch(['w0', 'w1', 'w2'].map((value) => ({ topic: 'sigint', value })))
  assert.equal((await ok(['--topic', 'sigint', '--group', 'g-sigint', '--from-beginning', '--max-messages', '3'])).stdout, 'w0\nw1\nw2\n')
})

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

test('two console consumers in one group share the partitions; a consumer in another group reads everything', async (t) => {
  await topic('shared', 4)
  const start = () => spawnCli(['console-consumer', '--bootstrap-server', b.bootstrap, '--topic', 'shared', '--group', 'g-shared', '--from-beginning'])
  const members: CliProcess[] = [start(), start()]
  t.after(() => Promise.all(members.map((m) => m.stop('SIGKILL'))))
  // Both are members with a share of the partitions before anything is written, so no record
  // is read by one and then again by the other after a rebalance.
  await waitFor('two members with partitions each', async () => {
    const [g] = await admin.describeGroups(['g-shared'])
    return g!.state === 'Stable' && g!.members.length === 2 && g!.members.every((m) => m.assignment.length > 0)
  })
  const values = Array.from({ length: 40 }, (_, i) => `p${i % 4}-${i}`)
  await producer.sendBatch(values.map((value, i) => ({ topic: 'shared', partition: i % 4, value })))
  await waitFor('every record printed', () => members.reduce((n, m) => n + lines(m.stdout()).length, 0) >= values.length)
  // SIGTERM (a service manager) and SIGINT (Ctrl-C) end it the same way.
  assert.deepEqual(await members[0]!.stop('SIGTERM'), { code: 0, signal: null })
  assert.deepEqual(await members[1]!.stop('SIGINT'), { code: 0, signal: null })

  const [a, c] = members.map((m) => lines(m.stdout()))
  assert.ok(a!.length > 0 && c!.length > 0, `both got records: ${a!.length} and ${c!.length}`)
  assert.deepEqual(a!.filter((v) => c!.includes(v)), [], 'disjoint')
  assert.deepEqual([...a!, ...c!].sort(), [...values].sort(), 'together, everything once')
  const partitionsOf = (vs: string[]) => new Set(vs.map((v) => v.split('-')[0]))
  assert.deepEqual([...partitionsOf(a!)].filter((p) => partitionsOf(c!).has(p)), [], 'each partition went to one member')
  for (const [i, m] of members.entries()) assert.equal(m.stderr(), `Processed a total of ${[a, c][i]!.length} messages\n`)

  const other = await ok(['--topic', 'shared', '--group', 'g-other', '--from-beginning', '--max-messages', '40'])
  assert.deepEqual(lines(other.stdout).sort(), [...values].sort())
})

test('--skip-message-on-error skips a record the formatter cannot print; without it the consumer stops with exit 1', async () => {
  const long = (n: bigint) => {
    const buf = Buffer.alloc(8)
    buf.writeBigInt64BE(n)
    return buf
  }
  await topic('longs', 1, [{ value: long(42n) }, { value: 'abc' }, { value: long(-7n) }])
  const deser = ['--value-deserializer', 'org.apache.kafka.common.serialization.LongDeserializer']
  const skipped = await ok(['--topic', 'longs', '--from-beginning', '--max-messages', '3', ...deser, '--skip-message-on-error'])
  assert.equal(skipped.stdout, '42\n-7\n')
  assert.equal(skipped.stderr, 'samsa console-consumer: skipped the record at longs-0 offset 1: Size of data received by LongDeserializer is not 8\nProcessed a total of 3 messages\n')

  const stopped = await consumer(['--topic', 'longs', '--from-beginning', '--max-messages', '3', ...deser])
  assert.equal(stopped.code, 1)
  assert.equal(stopped.stdout, '42\n')
  assert.equal(stopped.stderr, 'Processed a total of 2 messages\nsamsa console-consumer: cannot print the record at longs-0 offset 1: Size of data received by LongDeserializer is not 8; --skip-message-on-error skips such records\n')
})

test('--include reads every topic whose whole name matches', async () => {
  await topic('inc-a', 1, [{ value: 'a' }])
  await topic('inc-b', 1, [{ value: 'b' }])
  await topic('xinc-c', 1, [{ value: 'c' }])
  const r = await ok(['--include', 'inc-.*', '--from-beginning', '--timeout-ms', '5000'])
  assert.deepEqual(lines(r.stdout).sort(), ['a', 'b'])
})

test('kcat writes, the console consumer reads: keys, headers, a tombstone', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  await topic('from-kcat', 1)
  const w = await runTool('kcat', ['-P', '-b', b.bootstrap, '-t', 'from-kcat', '-K', ':', '-Z', '-H', 'src=kcat', '-H', 'n=1'], { input: 'k1:v1\nk2:\n', timeoutMs: 30_000 })
  assert.equal(w.code, 0, w.stderr)
  const r = await ok(['--topic', 'from-kcat', '--from-beginning', '--max-messages', '2', '--property', 'print.key=true', '--property', 'print.headers=true'])
  assert.equal(r.stdout, 'src:kcat,n:1\tk1\tv1\nsrc:kcat,n:1\tk2\tnull\n')
})

/** Runs the command in-process: flag checks happen before any connection, so none is made. */
async function flagError(args: string[]): Promise<Error> {
  const cmd = consoleConsumerCommand().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} })
  try {
    await cmd.parseAsync(['--bootstrap-server', '127.0.0.1:1', ...args], { from: 'user' })
  } catch (e) {
    return e as Error
  }
  throw new Error(`${args.join(' ')} was accepted`)
}

test('flag errors are usage errors (exit 2) naming the problem', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cc-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const config = join(dir, 'consumer.properties')
  writeFileSync(config, 'group.id=from-file\n')
  const cases: Array<[string[], RegExp]> = [
    [['--topic', 'a', '--include', 'b'], /exactly one of --include\/--topic is required/],
    [['--topic', 'a', '--offset', '3'], /the partition is required when offset is specified/],
    [['--include', 'a', '--partition', '0'], /the topic is required when partition is specified/],
    [['--topic', 'a', '--partition', '0', '--offset', '1', '--from-beginning'], /from-beginning and offset cannot be specified together/],
    [['--topic', 'a', '--partition', '0', '--group', 'g'], /group and partition cannot be specified together/],
    [['--topic', 'a', '--partition', '0', '--offset', 'soon'], /--offset must be 'earliest', 'latest' or an offset from 0 to 9223372036854775807, got 'soon'/],
    [['--topic', 'a', '--group', 'g', '--consumer.config', config], /group ids .* do not match: 'g', 'from-file'/],
    [['--topic', 'a', '--from-beginning', '--consumer-property', 'auto.offset.reset=latest'], /can't simultaneously specify --from-beginning and 'auto\.offset\.reset=latest'/],
    [['--topic', 'a', '--isolation-level', 'dirty'], /isolation level 'dirty' is not read_committed or read_uncommitted/],
    [['--topic', 'a', '--formatter', 'com.example.Fancy'], /unknown --formatter com\.example\.Fancy/],
    [['--topic', 'a', '--output', 'xml'], /--output xml is not a format/],
    [['--topic', 'a', '--value-deserializer', 'com.example.AvroDeserializer'], /value\.deserializer=com\.example\.AvroDeserializer is not a deserializer samsa knows/],
    [['--include', '('], /--include \( is not a valid regular expression/],
    [['--topic', 'a', '--consumer-property', 'max.poll.records=lots'], /max\.poll\.records=lots is not an integer/],
  ]
  for (const [args, want] of cases) {
    const e = await flagError(args)
    assert.ok(e instanceof CliError && e.exitCode === 2, `${args.join(' ')}: ${e}`)
    assert.match(e.message, want, args.join(' '))
  }
  // As the user sees them: one line, exit 2.
  for (const [args, want] of [
    [['--bootstrap-server', b.bootstrap], /^samsa console-consumer: exactly one of --include\/--topic is required\n$/],
    [['--bootstrap-server', b.bootstrap, '--topic', 'a', '--max-messages', 'many'], /^samsa console-consumer: .*--max-messages.*many/],
    [['--topic', 'a'], /^samsa console-consumer: .*--bootstrap-server/],
  ] as Array<[string[], RegExp]>) {
    const r = await cli(['console-consumer', ...args])
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}, ${r.stderr}`)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, want)
  }
})

test('group.id from --consumer.config: the group commits on exit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cc-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const config = join(dir, 'consumer.properties')
  writeFileSync(config, 'group.id=g-file\nclient.id=from-file\nmax.poll.records=1\n')
  await topic('configured', 1, [{ value: 'x' }, { value: 'y' }])
  assert.equal((await ok(['--topic', 'configured', '--consumer.config', config, '--from-beginning', '--max-messages', '2'])).stdout, 'x\ny\n')
  assert.deepEqual((await admin.listGroupOffsets('g-file')).map((o) => o.offset), [2n])
})

test('an unreachable bootstrap server fails within seconds with one line', async () => {
  const r = await cli(['console-consumer', '--bootstrap-server', '127.0.0.1:1', '--topic', 't'], { env: { SAMSA_CLI_CONNECT_TIMEOUT_MS: '2000' } })
  assert.equal(r.code, 1)
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^samsa console-consumer: .*127\.0\.0\.1:1.*check --bootstrap-server/)
})

test('a large volume prints every record once, in order per partition', async () => {
  const n = 30_000
  await topic('volume', 3)
  for (let i = 0; i < n; i += 5000) {
    await producer.sendBatch(Array.from({ length: 5000 }, (_, j) => ({ topic: 'volume', partition: (i + j) % 3, value: `${(i + j) % 3} ${i + j} ${'v'.repeat((i + j) % 40)}` })))
  }
  const r = await ok(['--topic', 'volume', '--from-beginning', '--max-messages', String(n)])
  const got = lines(r.stdout)
  assert.equal(got.length, n)
  for (const p of [0, 1, 2]) {
    const seq = got.filter((l) => l.startsWith(`${p} `)).map((l) => Number(l.split(' ')[1]))
    assert.deepEqual(seq, Array.from({ length: n / 3 }, (_, k) => k * 3 + p), `partition ${p} in order`)
  }
  assert.equal(r.stderr, `Processed a total of ${n} messages\n`)
})

test('--help lists every flag', async () => {
  const r = await cli(['console-consumer', '--help'])
  assert.equal(r.code, 0)
  for (const flag of [
    '--bootstrap-server', '--topic', '--include', '--partition', '--offset', '--from-beginning', '--group', '--max-messages', '--timeout-ms',
    '--skip-message-on-error', '--isolation-level', '--consumer-property', '--command-property', '--consumer.config', '--command-config',
    '--formatter', '--property', '--formatter-property', '--formatter-config', '--key-deserializer', '--value-deserializer', '--output',
  ]) {
    assert.ok(r.stdout.includes(flag), `${flag} in --help`)
  }
})
