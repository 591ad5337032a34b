/**
 * `samsa consumer-perf-test` as a user runs it, against a real broker process: Kafka's header
 * and value line, exactly --messages records, the timeout, detailed stats, where the group and
 * the starting offset come from, and one clear line for each way of getting it wrong.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Admin } from '../../src/client/admin/admin.js'
import { Producer } from '../../src/client/producer/producer.js'
import { runCli, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'

const HEADER = 'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec'
const DETAILED_HEADER = 'time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec'
const TIME = String.raw`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}:\d{3}`
/** Java's %.4f of a rate; Infinity or NaN when a duration is 0. */
const RATE = String.raw`(?:-?\d+\.\d{4}|Infinity|NaN)`
/** Kafka's value line: %s, %s, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f */
const VALUES = new RegExp(String.raw`^(${TIME}), (${TIME}), (\d+\.\d{4}), ${RATE}, (\d+), ${RATE}, (\d+), (-?\d+), ${RATE}, ${RATE}$`)

let broker: BrokerProcess
let admin: Admin
const tmp = mkdtempSync(join(tmpdir(), 'samsa-perf-'))
const RECORDS = 1000
const SIZE = 100

before(async () => {
  broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': '0' } })
  admin = new Admin({ bootstrapServers: broker.bootstrap })
  await admin.createTopics([
    { topic: 'perf-in', numPartitions: 3 },
    { topic: 'perf-few', numPartitions: 1 },
  ])
  const producer = new Producer({ bootstrapServers: broker.bootstrap })
  const value = Buffer.alloc(SIZE, 'x')
  await producer.sendBatch(Array.from({ length: RECORDS }, () => ({ topic: 'perf-in', value })))
  await producer.sendBatch(Array.from({ length: 5 }, () => ({ topic: 'perf-few', key: 'k', value: 'v' })))
  await producer.close()
})

after(async () => {
  await admin?.close()
  await broker?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

function perf(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
  return runCli(['consumer-perf-test', ...args], { timeoutMs: 60_000, ...opts })
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(4)

test('reads exactly --messages records and prints Kafka\'s header and value line', async () => {
  const r = await perf(['--bootstrap-server', broker.bootstrap, '--topic', 'perf-in', '--messages', '600'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, '', 'quiet on a non-terminal: no progress bar, no logs')
  const lines = r.stdout.trimEnd().split('\n')
  assert.equal(lines.length, 2, r.stdout)
  assert.equal(lines[0], HEADER)
  const m = VALUES.exec(lines[1]!)
  assert.ok(m, `value line: ${JSON.stringify(lines[1])}`)
  assert.equal(m[4], '600')
  assert.equal(m[3], mb(600 * SIZE))
  assert.ok(m[1]! <= m[2]!, 'start before end')
})

test('--hide-header prints the value line alone; keys count in the bytes; --broker-list is --bootstrap-server', async () => {
  const r = await perf(['--broker-list', broker.bootstrap, '--topic', 'perf-few', '--messages', '5', '--hide-header'])
  assert.equal(r.code, 0, r.stderr)
  const lines = r.stdout.trimEnd().split('\n')
  assert.equal(lines.length, 1, r.stdout)
  const m = VALUES.exec(lines[0]!)
  assert.ok(m, lines[0])
  assert.equal(m[4], '5')
  assert.equal(m[3], mb(5 * 2))
})

test("--timeout with too few records: Kafka's WARNING and figures, then one line and exit 1", async () => {
  // The timeout runs from the start, as Kafka's: long enough for the group join on a busy machine.
  const r = await perf(['--bootstrap-server', broker.bootstrap, '--topic', 'perf-few', '--messages', '10', '--timeout', '4000'])
  assert.equal(r.code, 1, r.stderr)
  const lines = r.stdout.trimEnd().split('\n')
  assert.deepEqual(lines.slice(0, 2), [
    HEADER,
    'WARNING: Exiting before consuming the expected number of messages: timeout (4000 ms) exceeded. You can use the --timeout option to increase the timeout.',
  ])
  const m = VALUES.exec(lines[2]!)
  assert.ok(m, r.stdout)
  assert.equal(m[4], '5')
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^samsa consumer-perf-test: consumed 5 of 10 records before 4000 ms passed without a record; .*--timeout/)
})

test('--from-latest starts at the end of the log: nothing to read', async () => {
  const r = await perf(['--bootstrap-server', broker.bootstrap, '--topic', 'perf-few', '--messages', '1', '--timeout', '3000', '--from-latest'])
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stdout, /^WARNING: Exiting before consuming/m)
  assert.match(r.stderr, /consumed 0 of 1 records/)
})

test('--include subscribes to the topics whose whole name matches', async () => {
  const r = await perf(['--bootstrap-server', broker.bootstrap, '--include', 'perf-i.', '--messages', String(RECORDS), '--hide-header'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(VALUES.exec(r.stdout.trim())?.[4], String(RECORDS))
  // 'perf' matches no topic as a whole name (Java's Pattern.matches), so nothing is read.
  const none = await perf(['--bootstrap-server', broker.bootstrap, '--include', 'perf', '--messages', '1', '--timeout', '1000', '--hide-header'])
  assert.equal(none.code, 1, none.stderr)
  assert.match(none.stderr, /consumed 0 of 1/)
})

test('the group: --group, else group.id from --consumer.config (or --command-config), else perf-consumer-<n>', async () => {
  const config = join(tmp, 'consumer.properties')
  writeFileSync(config, 'group.id=perf-from-file\n')
  const fromFile = await perf(['--bootstrap-server', broker.bootstrap, '--topic', 'perf-few', '--messages', '5', '--consumer.config', config])
  assert.equal(fromFile.code, 0, fromFile.stderr)
  const named = await perf(['--bootstrap-server', broker.bootstrap, '--topic', 'perf-few', '--messages', '5', '--command-config', config, '--group', 'perf-named'])
  assert.equal(named.code, 0, named.stderr)
  const groups = (await admin.listGroups()).map((g) => g.groupId)
  assert.ok(groups.includes('perf-from-file'), groups.join(', '))
  assert.ok(groups.includes('perf-named'), groups.join(', '))
  assert.ok(groups.some((g) => /^perf-consumer-\d+$/.test(g)), `the default group is perf-consumer-<number>: ${groups.join(', ')}`)
  // Auto-commit on close: the group resumes after what it read.
  const again = await perf(['--bootstrap-server', broker.bootstrap, '--topic', 'perf-few', '--messages', '1', '--group', 'perf-named', '--timeout', '1000'])
  assert.equal(again.code, 1)
  assert.match(again.stderr, /consumed 0 of 1/)
})

test('--show-detailed-stats prints its own header and no summary; --date-format shapes the times', async () => {
  const r = await perf(['--bootstrap-server', broker.bootstrap, '--topic', 'perf-in', '--messages', String(RECORDS), '--show-detailed-stats', '--reporting-interval', '1', '--date-format', "yyyy'T'HH"])
  assert.equal(r.code, 0, r.stderr)
  const lines = r.stdout.trimEnd().split('\n')
  assert.equal(lines[0], DETAILED_HEADER)
  const detailed = new RegExp(String.raw`^\d{4}T\d{2}, 0, \d+\.\d{4}, ${RATE}, \d+, ${RATE}, \d+, -?\d+, ${RATE}, ${RATE}$`)
  for (const l of lines.slice(1)) assert.match(l, detailed)
  const counts = lines.slice(1).map((l) => Number(l.split(', ')[4]))
  assert.deepEqual(counts, [...counts].sort((a, b) => a - b), 'the message count only grows')
  assert.ok(counts.every((c) => c <= RECORDS))
})

test("--print-metrics prints the tool's figures in Kafka's metrics layout", async () => {
  const r = await perf(['--bootstrap-server', broker.bootstrap, '--topic', 'perf-few', '--messages', '5', '--print-metrics', '--hide-header'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /\n\nMetric Name +Value\n/)
  assert.match(r.stdout, /^consumer-fetch-manager-metrics:records-consumed-total:\{client-id=perf-consumer-client\} +: 5\.000$/m)
  assert.match(r.stderr, /do not keep Kafka's client metrics/)
})

test('an unreachable bootstrap server gives one line naming it, before any header', async () => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  const r = await perf(['--bootstrap-server', `127.0.0.1:${port}`, '--topic', 't', '--messages', '1'], { env: { SAMSA_CLI_CONNECT_TIMEOUT_MS: '2000' } })
  assert.equal(r.code, 1)
  assert.equal(r.stdout, '')
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, new RegExp(`^samsa consumer-perf-test: .*127\\.0\\.0\\.1:${port}.*--bootstrap-server`))
})

test('bad flags: one line naming the problem, exit code 2', async () => {
  const b = ['--bootstrap-server', '127.0.0.1:1']
  const cases: Array<[string[], RegExp]> = [
    [[...b, '--topic', 't'], /--messages/],
    [['--topic', 't', '--messages', '1'], /--bootstrap-server is required/],
    [[...b, '--messages', '1'], /exactly one of --topic or --include/],
    [[...b, '--topic', 't', '--include', 't.*', '--messages', '1'], /exactly one of --topic or --include/],
    [[...b, '--include', '(', '--messages', '1'], /--include \( is not a valid regular expression/],
    [[...b, '--topic', 't', '--messages', 'many'], /--messages/],
    [[...b, '--topic', 't', '--messages', '1', '--reporting-interval', '0'], /--reporting-interval must be an integer from 1 to 2147483647, got '0'/],
    [[...b, '--topic', 't', '--messages', '1', '--date-format', 'yyyy-qq'], /--date-format yyyy-qq: Illegal pattern character 'q'/],
    [[...b, '--topic', 't', '--messages', '1', '--consumer.config', join(tmp, 'missing.properties')], /--consumer\.config: cannot read/],
    [[...b, '--topic', 't', '--messages', '1', '--consumer.config', 'a', '--command-config', 'b'], /not both/],
    [[...b, '--broker-list', '127.0.0.1:2', '--topic', 't', '--messages', '1'], /not both/],
    [[...b, '--topic', 't', '--messages', '1', '--threads', '2'], /unknown option '--threads'/],
  ]
  for (let i = 0; i < cases.length; i += 4) {
    await Promise.all(
      cases.slice(i, i + 4).map(async ([args, message]) => {
        const r = await perf(args)
        assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`)
        assert.equal(r.stderr.trimEnd().split('\n').length, 1, `${args.join(' ')}: ${r.stderr}`)
        assert.match(r.stderr, /^samsa consumer-perf-test: /)
        assert.match(r.stderr, message, args.join(' '))
        assert.equal(r.stdout, '', 'no header before a usage error')
      }),
    )
  }
})

test('--help lists every flag', async () => {
  const r = await runCli(['consumer-perf-test', '--help'])
  assert.equal(r.code, 0)
  for (const flag of [
    '--bootstrap-server',
    '--broker-list',
    '--topic',
    '--include',
    '--group',
    '--messages',
    '--from-latest',
    '--fetch-size',
    '--socket-buffer-size',
    '--timeout',
    '--show-detailed-stats',
    '--reporting-interval',
    '--date-format',
    '--hide-header',
    '--consumer.config',
    '--command-config',
    '--print-metrics',
  ]) {
    assert.ok(r.stdout.includes(flag), `${flag} in:\n${r.stdout}`)
  }
})
