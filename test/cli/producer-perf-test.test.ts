/**
 * `samsa producer-perf-test` as a user runs it, against a real broker process: Kafka's output
 * lines, the records really on the broker, throttling, window lines, payload sources, and one
 * clear line for each way of getting it wrong.
 *
 * The broker runs with auto.create.topics.enable=false, so every topic here is created on
 * purpose and a missing one shows the tool's early answer.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Admin } from '../../src/client/admin/admin.js'
import { Consumer } from '../../src/client/consumer/consumer.js'
import { runCli, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'

const NUM = String.raw`\d+\.\d`
/** Kafka's summary: %d records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, %d ms 50th, ... */
const SUMMARY = new RegExp(
  String.raw`^(\d+) records sent, (\d+\.\d{6}) records/sec \((\d+\.\d{2}) MB/sec\), (\d+\.\d{2}) ms avg latency, (\d+\.\d{2}) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$`,
  'm',
)
/** Kafka's window line: %d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency. */
const WINDOW = new RegExp(String.raw`^(\d+) records sent, ${NUM} records/sec \(\d+\.\d{2} MB/sec\), ${NUM} ms avg latency, ${NUM} ms max latency\.$`, 'gm')

let broker: BrokerProcess
let admin: Admin
const tmp = mkdtempSync(join(tmpdir(), 'samsa-perf-'))

before(async () => {
  broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': 'false', 'group.initial.rebalance.delay.ms': '0' } })
  admin = new Admin({ bootstrapServers: broker.bootstrap })
})

after(async () => {
  await admin?.close()
  await broker?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

async function createTopic(topic: string, numPartitions = 3, configs: Record<string, string> = {}): Promise<void> {
  await admin.createTopics([{ topic, numPartitions, replicationFactor: 1, configs }])
}

/** Records on the broker: the sum of the partitions' end offsets. */
async function recordCount(topic: string, partitions = 3): Promise<bigint> {
  const ends = await admin.listOffsets(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, at: 'latest' as const })))
  return ends.reduce((sum, e) => sum + e.offset, 0n)
}

/** Every record value in the topic, read back with the Samsa consumer. */
async function values(topic: string, count: number, partitions = 3): Promise<string[]> {
  const consumer = new Consumer({ bootstrapServers: broker.bootstrap })
  try {
    consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })))
    consumer.seekToBeginning()
    const out: string[] = []
    const deadline = Date.now() + 30_000
    while (out.length < count && Date.now() < deadline) {
      for (const r of await consumer.poll({ timeoutMs: 1000 })) out.push(r.value!.toString())
    }
    assert.equal(out.length, count, `records read back from ${topic}`)
    return out
  } finally {
    await consumer.close()
  }
}

function perf(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  return runCli(['producer-perf-test', ...args], { timeoutMs: 60_000, ...opts })
}

test("sends --num-records records and prints Kafka's summary line", async () => {
  await createTopic('perf-basic')
  const r = await perf(['--topic', 'perf-basic', '--num-records', '2000', '--record-size', '100', '--throughput', '-1', '--producer-props', `bootstrap.servers=${broker.bootstrap}`, 'acks=1'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, '', 'quiet on a non-terminal: no progress bar, no logs')
  const lines = r.stdout.trimEnd().split('\n')
  const m = SUMMARY.exec(lines.at(-1)!)
  assert.ok(m, `summary line: ${JSON.stringify(lines.at(-1))}`)
  assert.equal(m[1], '2000')
  const [p50, p95, p99, p999] = [m[6], m[7], m[8], m[9]].map(Number) as [number, number, number, number]
  assert.ok(p50 <= p95 && p95 <= p99 && p99 <= p999 && p999 <= Math.ceil(Number(m[5])), `percentiles in order, within the max: ${m[0]}`)
  // Whatever else was printed is window lines.
  for (const l of lines.slice(0, -1)) assert.match(l, new RegExp(WINDOW.source))
  assert.equal(await recordCount('perf-basic'), 2000n)
  const got = await values('perf-basic', 2000)
  assert.ok(got.every((v) => /^[A-Z]{100}$/.test(v)), 'values are 100 random capital letters, as Kafka sends')
  assert.ok(new Set(got).size > 100, 'and they differ')
})

test('--transactional-id with --transaction-duration-ms: every record in committed transactions, which a read_committed consumer sees', async () => {
  await createTopic('perf-txn')
  const r = await perf(['--topic', 'perf-txn', '--num-records', '3000', '--record-size', '50', '--throughput', '3000', '--transactional-id', 'perf-tx', '--transaction-duration-ms', '200', '--bootstrap-server', broker.bootstrap])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(SUMMARY.exec(r.stdout)?.[1], '3000')
  // Several transactions: each holds a commit marker, so the log ends past the records.
  const end = await recordCount('perf-txn')
  assert.ok(end > 3000n + 3n, `markers of several transactions: log end ${end}`)
  const c = new Consumer({ bootstrapServers: broker.bootstrap, isolationLevel: 'read_committed' })
  try {
    c.assign([0, 1, 2].map((partition) => ({ topic: 'perf-txn', partition })))
    c.seekToBeginning()
    let n = 0
    const deadline = Date.now() + 30_000
    while (n < 3000 && Date.now() < deadline) n += (await c.poll({ timeoutMs: 1000 })).length
    assert.equal(n, 3000, 'all committed')
  } finally {
    await c.close()
  }
})

test('--throughput paces the run, and window lines come every reporting interval', async () => {
  await createTopic('perf-throttled')
  const started = Date.now()
  // 21 records at 10/s: the last cannot go before 1.9 s (the throttler's guarantee).
  const r = await perf(['--topic', 'perf-throttled', '--num-records', '21', '--record-size', '10', '--throughput', '10', '--bootstrap-server', broker.bootstrap], {
    env: { SAMSA_PERF_REPORTING_INTERVAL_MS: '300' },
  })
  const elapsed = Date.now() - started
  assert.equal(r.code, 0, r.stderr)
  assert.ok(elapsed >= 1500, `took ${elapsed} ms`)
  const m = SUMMARY.exec(r.stdout)
  assert.ok(m, r.stdout)
  assert.equal(m[1], '21')
  assert.ok(Number(m[2]) < 12, `about 10 records/s, never much more: ${m[2]}`)
  // The last acknowledgement comes at least 1.9 s after the start, so a 300 ms window closed.
  const windows = [...r.stdout.matchAll(WINDOW)]
  assert.ok(windows.length >= 1, r.stdout)
  const windowed = windows.reduce((sum, w) => sum + Number(w[1]), 0)
  assert.ok(windowed <= 21 && windowed > 0, `window counts add up to at most the total: ${windowed}`)
  assert.equal(await recordCount('perf-throttled'), 21n)
})

test('--payload-file sends its payloads (split at --payload-delimiter); --producer.config supplies the broker', async () => {
  await createTopic('perf-payloads')
  const file = join(tmp, 'payloads.txt')
  writeFileSync(file, 'alpha|beta|gamma délta|')
  const config = join(tmp, 'producer.properties')
  writeFileSync(config, `bootstrap.servers=${broker.bootstrap}\nlinger.ms=0\n`)
  const r = await perf(['--topic', 'perf-payloads', '--num-records', '300', '--payload-file', file, '--payload-delimiter', '\\|', '--throughput', '-1', '--producer.config', config])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, new RegExp(`^Reading payloads from: ${file}\nNumber of messages read: 3\n`))
  assert.match(r.stdout, /^300 records sent, /m)
  const got = await values('perf-payloads', 300)
  assert.deepEqual([...new Set(got)].sort(), ['alpha', 'beta', 'gamma délta'])
})

test('--payload-monotonic sends 0, 1, 2, ...; --warmup-records adds the steady-state summary', async () => {
  await createTopic('perf-monotonic', 1)
  const r = await perf(['--topic', 'perf-monotonic', '--num-records', '50', '--payload-monotonic', '--throughput', '-1', '--warmup-records', '20', '--producer-props', `bootstrap.servers=${broker.bootstrap}`])
  assert.equal(r.code, 0, r.stderr)
  const lines = r.stdout.trimEnd().split('\n')
  assert.equal(lines[0], 'Warmup first 20 records. Steady state results will print after the complete test summary.')
  assert.match(lines.at(-2)!, /^50 records sent, /)
  assert.match(lines.at(-1)!, /^30 steady state records sent, \d+\.\d{6} records\/sec/)
  const got = await values('perf-monotonic', 50, 1)
  assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => String(i)))
})

test("--print-metrics prints the tool's figures in Kafka's metrics layout and says what is missing", async () => {
  await createTopic('perf-metrics')
  const r = await perf(['--topic', 'perf-metrics', '--num-records', '100', '--record-size', '10', '--throughput', '-1', '--bootstrap-server', broker.bootstrap, '--print-metrics'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^100 records sent, .*\n\nMetric Name +Value\n/m)
  assert.match(r.stdout, /^producer-metrics:record-send-total:\{client-id=perf-producer-client\} +: 100\.000$/m)
  assert.match(r.stdout, /^producer-metrics:record-error-total:\{client-id=perf-producer-client\} +: 0\.000$/m)
  assert.match(r.stderr, /do not keep Kafka's client metrics/)
})

test('a topic that does not exist, on a broker that will not create it, fails at once with the fix', async () => {
  const r = await perf(['--topic', 'perf-nope', '--num-records', '10', '--record-size', '10', '--throughput', '-1', '--bootstrap-server', broker.bootstrap], { timeoutMs: 20_000 })
  assert.equal(r.code, 1)
  assert.equal(r.stdout, '')
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^samsa producer-perf-test: topic 'perf-nope' does not exist .*samsa topics --bootstrap-server \S+ --create --topic perf-nope/)
})

test('a failed send stops the run: the summary of what was acknowledged, then one line, exit 1', async () => {
  // Every batch of 200-byte records is larger than the topic allows.
  await createTopic('perf-too-large', 1, { 'max.message.bytes': '100' })
  const r = await perf(['--topic', 'perf-too-large', '--num-records', '1000', '--record-size', '200', '--throughput', '-1', '--producer-props', `bootstrap.servers=${broker.bootstrap}`, 'retries=0'])
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stdout, /^0 records sent, /m)
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^samsa producer-perf-test: \d+ of \d+ records were not acknowledged, and the run stopped; the first failure: .*MESSAGE_TOO_LARGE/)
})

test('a topic whose max.message.bytes is far below batch.size gets every record: refused batches are split, nothing is lost or doubled', async () => {
  await createTopic('perf-capped', 1, { 'max.message.bytes': '2000' })
  const r = await perf(['--topic', 'perf-capped', '--num-records', '2000', '--payload-monotonic', '--throughput', '-1', '--bootstrap-server', broker.bootstrap])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(SUMMARY.exec(r.stdout)?.[1], '2000', r.stdout)
  assert.equal(await recordCount('perf-capped', 1), 2000n)
  // One partition: the log holds 0..1999 in the order sent, each once.
  const got = await values('perf-capped', 2000, 1)
  const wrong = got.findIndex((v, i) => v !== String(i))
  assert.equal(wrong, -1, `record ${wrong} of the log is ${got[wrong]}: ${got.slice(Math.max(0, wrong - 5), wrong + 20).join(',')}`)
})

test('records over max.message.bytes fail one by one: the summary counts the records that landed, the error line the ones that did not and the limit', async () => {
  await createTopic('perf-capped-mixed', 1, { 'max.message.bytes': '2000' })
  const file = join(tmp, 'mixed-payloads.txt')
  // Small payloads, so each send call carries many records, and one over the limit among them.
  writeFileSync(file, [...Array.from({ length: 60 }, (_, i) => `small-${i}`), 'B'.repeat(2500)].join('\n') + '\n')
  const r = await perf(['--topic', 'perf-capped-mixed', '--num-records', '5000', '--payload-file', file, '--throughput', '-1', '--bootstrap-server', broker.bootstrap])
  assert.equal(r.code, 1, r.stderr)
  const sent = Number(SUMMARY.exec(r.stdout)?.[1])
  const m = /^samsa producer-perf-test: (\d+) of (\d+) records were not acknowledged, and the run stopped; the first failure: .*MESSAGE_TOO_LARGE: a record of \d+ bytes \(as a batch of one\) is larger than .*max\.message\.bytes \(2000\)/.exec(r.stderr)
  assert.ok(m, r.stderr)
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr)
  const [failed, generated] = [Number(m[1]), Number(m[2])]
  assert.ok(failed >= 1)
  assert.equal(sent + failed, generated, r.stdout + r.stderr)
  assert.equal(await recordCount('perf-capped-mixed', 1), BigInt(sent), 'the summary counts exactly the records on the broker')
  const got = await values('perf-capped-mixed', sent, 1)
  assert.ok(got.every((v) => v.startsWith('small-')), 'only the large records failed')
})

test('an unreachable bootstrap server gives one line naming it', async () => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  const r = await perf(['--topic', 't', '--num-records', '10', '--record-size', '10', '--throughput', '-1', '--bootstrap-server', `127.0.0.1:${port}`], {
    env: { SAMSA_CLI_CONNECT_TIMEOUT_MS: '2000' },
  })
  assert.equal(r.code, 1)
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, new RegExp(`^samsa producer-perf-test: .*127\\.0\\.0\\.1:${port}.*--bootstrap-server`))
})

test('bad flags: one line naming the problem, exit code 2', async () => {
  const base = ['--topic', 't', '--num-records', '10', '--throughput', '-1', '--bootstrap-server', '127.0.0.1:1']
  const cases: Array<[string[], RegExp]> = [
    [['--num-records', '10', '--record-size', '10', '--throughput', '-1', '--bootstrap-server', '127.0.0.1:1'], /--topic/],
    [[...base, '--record-size', '10', '--num-records', '0'], /--num-records/],
    [[...base], /exactly one of --record-size, --payload-file or --payload-monotonic/],
    [[...base, '--record-size', '10', '--payload-monotonic'], /exactly one of/],
    [[...base, '--record-size', 'big'], /--record-size/],
    [['--topic', 't', '--num-records', '10', '--record-size', '10', '--throughput', '-1'], /--bootstrap-server host:port, or bootstrap\.servers/],
    [[...base, '--record-size', '10', '--throughput', 'fast'], /--throughput/],
    [[...base, '--record-size', '10', '--throughput', '0'], /--throughput 0 would never finish/],
    [[...base, '--record-size', '10', '--transaction-duration-ms', '0'], /--transaction-duration-ms/],
    [[...base, '--record-size', '10', '--producer-props', 'acks'], /--producer-props takes key=value/],
    [[...base, '--record-size', '10', '--producer-props', 'acks=2'], /acks/],
    [[...base, '--record-size', '10', '--warmup-records', '10'], /--warmup-records must be fewer than --num-records/],
    [[...base, '--payload-file', join(tmp, 'missing.txt')], /--payload-file .*missing\.txt: the file does not exist or is empty/],
    [[...base, '--record-size', '10', '--producer.config', join(tmp, 'missing.properties')], /--producer\.config: cannot read/],
    [[...base, '--record-size', '10', '--no-such-flag'], /unknown option '--no-such-flag'/],
  ]
  // A few at a time: each is a process start.
  for (let i = 0; i < cases.length; i += 4) {
    await Promise.all(
      cases.slice(i, i + 4).map(async ([args, message]) => {
        const r = await perf(args)
        assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`)
        assert.equal(r.stderr.trimEnd().split('\n').length, 1, `${args.join(' ')}: ${r.stderr}`)
        assert.match(r.stderr, /^samsa producer-perf-test: /)
        assert.match(r.stderr, message, args.join(' '))
      }),
    )
  }
})

test('--help lists every flag', async () => {
  const r = await runCli(['producer-perf-test', '--help'])
  assert.equal(r.code, 0)
  for (const flag of [
    '--topic',
    '--num-records',
    '--record-size',
    '--payload-file',
    '--payload-delimiter',
    '--payload-monotonic',
    '--throughput',
    '--producer-props',
    '--producer.config',
    '--bootstrap-server',
    '--warmup-records',
    '--print-metrics',
    '--transactional-id',
    '--transaction-duration-ms',
  ]) {
    assert.ok(r.stdout.includes(flag), `${flag} in:\n${r.stdout}`)
  }
})
