/**
 * `samsa producer-perf-test`, as kafka-producer-perf-test.sh: sends --num-records records of
 * --record-size random bytes (or payloads from --payload-file, or increasing numbers with
 * --payload-monotonic) to --topic at up to --throughput records/s, and prints Kafka's lines:
 * a window line every 5 s and the summary with latency percentiles at the end
 * (producer-stats.ts has the formats).
 *
 * Driving the producer: records are sent without awaiting each one, as many as fit in the
 * producer's buffer.memory (payload plus a per-record allowance), so the producer keeps full
 * batches in flight; past that the loop waits for acknowledgements, and the producer's own
 * max.block.ms applies to sends it cannot buffer. Small records go a few at a time through
 * `sendBatch` (see recordsPerCall): they are generated within microseconds of each other and
 * nearly always land in the same producer batch, so they share a send time and an
 * acknowledgement anyway, and one promise per call instead of per record doubles what the tool
 * can push. The loop hands the event loop back every couple of milliseconds, so
 * acknowledgements are timed when they arrive and the window lines keep coming under full
 * load.
 *
 * Where it differs from Kafka, and why:
 * - The first record that fails stops the run (Kafka prints a stack trace per failed record
 *   and goes on): the records in flight finish, the summary of what was acknowledged prints,
 *   then one line says how many records were not acknowledged and why, exit code 1. A
 *   throughput figure with failures in it is not one to keep. Records are counted one by one:
 *   a record the broker refuses as too large fails alone, its neighbours in the same send call
 *   count as sent (the producer splits batches the broker refuses, see client/producer/sender.ts).
 * - --throughput 0 is refused (Kafka blocks for ever after the first record).
 * - Transactions (--transactional-id, --transaction-duration-ms, or transactional.id in the
 *   properties), as Kafka's: one transaction open at a time, committed once it is
 *   --transaction-duration-ms old (default 3000 with a transactional id) and at the end; the
 *   commit waits for the transaction's records, so the send loop pauses meanwhile.
 * - --print-metrics prints the figures this tool measures under Kafka's metric names
 *   (metrics-table.ts); the client keeps no metrics of its own yet.
 *
 * SAMSA_PERF_REPORTING_INTERVAL_MS overrides the 5 s window (tests use it to see window lines
 * without waiting).
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises'
import { Command } from 'commander'
import { Producer } from '../client/producer/producer.js'
import { producerOptions } from './client-properties.js'
import { securityOf } from './client-security.js'
import { CliError, describeError, intArg, keyValues, numberArg, openAdmin, print, readPropertiesFile, SAFE_MAX, toolLogger, usage } from './common.js'
import { metricsTable, METRICS_NOTE } from './metrics-table.js'
import { ProducerStats } from './producer-stats.js'
import { Progress } from './progress.js'
import { ThroughputThrottler } from './throughput-throttler.js'
import { requireTopicOrAutoCreate } from './topic-presence.js'

interface Flags {
  topic: string
  numRecords: number
  recordSize?: number
  payloadFile?: string
  payloadDelimiter: string
  payloadMonotonic?: boolean
  throughput: number
  producerProps?: string[]
  'producer.config'?: string
  bootstrapServer?: string
  printMetrics?: boolean
  transactionalId?: string
  transactionDurationMs?: number
  warmupRecords: number
}

/** Memory counted per record on top of its value (record framing, the promise and callback). */
const RECORD_ALLOWANCE = 64
/** How long the send loop runs before letting acknowledgements and timers in. */
const SLICE_MS = 2
/** Largest --record-size: one Buffer's worth (the producer refuses records over max.request.size anyway). */
const MAX_RECORD_SIZE = 2 ** 30
/** Most records in one send call (see recordsPerCall). */
const MAX_PER_CALL = 32

export function producerPerfTestCommand(): Command {
  return new Command('producer-perf-test')
    .description('measure producer throughput and latency (kafka-producer-perf-test.sh)')
    .requiredOption('--topic <topic>', 'the topic to produce to')
    .requiredOption('--num-records <count>', 'how many records to send', intArg('--num-records', 1, SAFE_MAX))
    .option('--record-size <bytes>', 'size of each record value (random letters); or use --payload-file or --payload-monotonic', intArg('--record-size', 1, MAX_RECORD_SIZE, 'give a size in bytes'))
    .option('--payload-file <file>', 'UTF-8 text file of payloads, one per --payload-delimiter; each record takes one at random')
    .option('--payload-delimiter <regex>', 'what separates the payloads in --payload-file (a regular expression)', '\\n')
    .option('--payload-monotonic', 'record values are the record numbers 0, 1, 2, ... as text')
    .requiredOption('--throughput <records/s>', 'pace sending to about this many records per second; -1 for as fast as possible', numberArg('--throughput', { what: 'a number of records per second (-1: no limit)', fix: 'give a rate such as 1000, or -1' }))
    .option('--producer-props <key=value...>', 'producer properties (bootstrap.servers=host:port acks=1 ...); win over --producer.config')
    .option('--producer.config <file>', 'producer properties file')
    .option('--bootstrap-server <host:port>', 'the broker(s) to connect to; wins over bootstrap.servers in the properties')
    .option('--warmup-records <count>', 'records left out of a second, steady-state summary line', intArg('--warmup-records', 0, SAFE_MAX), 0)
    .option('--print-metrics', 'print metrics at the end')
    .option('--transactional-id <id>', 'produce in transactions with this transactional.id')
    .option('--transaction-duration-ms <ms>', 'commit each transaction once it is this old (default 3000 when transactional)', intArg('--transaction-duration-ms', 1))
    .addHelpText(
      'after',
      '\nExample: samsa producer-perf-test --topic t --num-records 1000000 --record-size 100 --throughput -1 --producer-props bootstrap.servers=localhost:9092 acks=1\n' +
        'Output: a line every 5 s, and a summary with latency percentiles (send to acknowledgement) at the end.',
    )
    .action((flags: Flags) => run(flags))
}

interface Plan {
  topic: string
  numRecords: number
  warmupRecords: number
  throughput: number
  payload: (i: number) => Buffer
  /** Average value size, for the records per send call. */
  avgSize: number
  props: Map<string, string>
  bootstrap: string
  clientId: string
  printMetrics: boolean
  /** 0: no transactions; else commit each transaction once it is this old. */
  transactionDurationMs: number
  reportingIntervalMs: number
}

async function plan(f: Flags): Promise<Plan> {
  const sources = [f.recordSize !== undefined, f.payloadFile !== undefined, f.payloadMonotonic === true].filter(Boolean).length
  if (sources !== 1) throw usage('give exactly one of --record-size, --payload-file or --payload-monotonic')
  if (f.warmupRecords >= f.numRecords) throw usage('--warmup-records must be fewer than --num-records')
  if (f.throughput === 0) throw usage('--throughput 0 would never finish; give a positive rate in records/s, or -1 for no limit')

  const props = new Map<string, string>()
  if (f['producer.config'] !== undefined) for (const [k, v] of readPropertiesFile(f['producer.config'], '--producer.config')) props.set(k, v)
  for (const [k, v] of keyValues(f.producerProps, '--producer-props')) props.set(k, v)
  if (f.bootstrapServer !== undefined) props.set('bootstrap.servers', f.bootstrapServer)
  if (!props.has('client.id')) props.set('client.id', 'perf-producer-client')
  if (f.transactionalId !== undefined) props.set('transactional.id', f.transactionalId)
  // Kafka: a duration alone makes the run transactional under a generated id.
  if (f.transactionDurationMs !== undefined && !props.has('transactional.id')) props.set('transactional.id', `performance-producer-${Date.now()}`)
  const transactionDurationMs = props.has('transactional.id') ? (f.transactionDurationMs ?? 3000) : 0
  const bootstrap = props.get('bootstrap.servers')?.trim()
  if (!bootstrap) throw usage('give the broker to produce to: --bootstrap-server host:port, or bootstrap.servers=host:port in --producer-props or --producer.config')

  let payload: (i: number) => Buffer
  let avgSize: number
  if (f.recordSize !== undefined) {
    payload = randomPayloads(f.recordSize)
    avgSize = f.recordSize
  } else if (f.payloadFile !== undefined) {
    const payloads = await readPayloads(f.payloadFile, f.payloadDelimiter)
    payload = pick(payloads)
    avgSize = payloads.reduce((sum, b) => sum + b.length, 0) / payloads.length
  } else {
    payload = (i) => Buffer.from(String(i))
    avgSize = String(f.numRecords).length
  }

  const env = Number(process.env.SAMSA_PERF_REPORTING_INTERVAL_MS)
  return {
    topic: f.topic,
    numRecords: f.numRecords,
    warmupRecords: f.warmupRecords,
    throughput: f.throughput,
    payload,
    avgSize,
    props,
    bootstrap,
    clientId: props.get('client.id')!,
    printMetrics: f.printMetrics === true,
    transactionDurationMs,
    reportingIntervalMs: Number.isInteger(env) && env > 0 ? env : 5000,
  }
}

/**
 * Values of random capital letters, as Kafka's: views at random offsets into one block, so
 * records differ (compression sees realistic data) without generating bytes or objects per
 * record, and no value changes after `send` (a send waiting for metadata or memory reads it
 * later).
 */
function randomPayloads(size: number): () => Buffer {
  const spare = 8192
  const block = Buffer.allocUnsafe(size + spare)
  for (let i = 0; i < block.length; i++) block[i] = 65 + Math.floor(Math.random() * 26)
  const views = Array.from({ length: 1024 }, () => {
    const at = Math.floor(Math.random() * (spare + 1))
    return block.subarray(at, at + size)
  })
  return () => views[Math.floor(Math.random() * views.length)]!
}

function pick(payloads: Buffer[]): () => Buffer {
  return () => payloads[Math.floor(Math.random() * payloads.length)]!
}

/** Kafka reads the file with a Scanner whose delimiter is a regular expression; so do we. */
async function readPayloads(file: string, delimiter: string): Promise<Buffer[]> {
  const path = resolve(file)
  await print(`Reading payloads from: ${path}\n`)
  if (!existsSync(path) || !statSync(path).isFile() || statSync(path).size === 0) {
    throw usage(`--payload-file ${file}: the file does not exist or is empty; give a UTF-8 text file of payloads`)
  }
  let re: RegExp
  try {
    re = new RegExp(delimiter === '\\n' ? '\n' : delimiter)
  } catch (e) {
    throw usage(`--payload-delimiter ${delimiter} is not a valid regular expression (${(e as Error).message})`)
  }
  const tokens = readFileSync(path, 'utf8').split(re)
  if (tokens.length > 0 && tokens[tokens.length - 1] === '') tokens.pop()
  if (tokens.length === 0) throw usage(`--payload-file ${file} holds no payloads`)
  await print(`Number of messages read: ${tokens.length}\n`)
  return tokens.map((t) => Buffer.from(t, 'utf8'))
}

async function run(f: Flags): Promise<void> {
  const p = await plan(f)
  const options = { ...producerOptions(p.props), bootstrapServers: p.bootstrap, logger: toolLogger() }
  // A wrong address fails in seconds with one line, and a missing topic that will not be
  // created fails before any record is sent.
  const admin = await openAdmin(p.bootstrap, securityOf(options))
  try {
    await requireTopicOrAutoCreate(admin, p.topic, p.bootstrap)
  } finally {
    await admin.close().catch(() => {})
  }
  const producer = new Producer(options)
  try {
    await perfTest(producer, p)
  } finally {
    await producer.close({ timeoutMs: 0 }).catch(() => {})
  }
}

/**
 * Records to send in one call: a few per producer batch (sendBatch costs one promise per call
 * instead of one per record, which halves the CPU per record at 100 bytes), few enough that a
 * call rarely spans two batches, whose acknowledgements could come at different times. Large
 * records get one call each.
 */
function recordsPerCall(batchSize: number, avgSize: number): number {
  return Math.max(1, Math.min(MAX_PER_CALL, Math.floor(batchSize / (avgSize + 20) / 8)))
}

async function perfTest(producer: Producer, p: Plan): Promise<void> {
  const progress = new Progress({ total: p.numRecords, unit: 'records', label: 'producing' })
  const out = (line: string) => {
    progress.clear()
    process.stdout.write(line + '\n')
  }
  if (p.warmupRecords > 0) out(`Warmup first ${p.warmupRecords} records. Steady state results will print after the complete test summary.`)

  const cap = producer.options.bufferMemory
  const perCall = recordsPerCall(producer.options.batchSize, p.avgSize)
  let outstandingBytes = 0
  let unsettledCalls = 0
  let unacked = 0
  let firstError: unknown
  let waiter: (() => void) | undefined
  let allSettled: (() => void) | undefined

  const settle = (cost: number) => {
    outstandingBytes -= cost
    unsettledCalls--
    if (waiter && outstandingBytes < cap) {
      const w = waiter
      waiter = undefined
      // Resume sending from the event loop, not from inside these acknowledgements, so the
      // rest of them are timed before the loop takes the CPU again.
      setImmediate(w)
    }
    if (unsettledCalls === 0 && allSettled) allSettled()
  }
  const start = performance.now()
  const stats = new ProducerStats({ startMs: start, reportingIntervalMs: p.reportingIntervalMs, print: out })
  let steady: ProducerStats | undefined
  const ticker = progress.enabled ? setInterval(() => progress.update(stats.records), 100).unref() : undefined

  // The records generated since the last send call; sent before any wait, so no record is
  // ever held back by the tool.
  let pending: Buffer[] = []
  let pendingBytes = 0
  let maxSize = 0
  const sendPending = () => {
    const values = pending
    const n = values.length
    if (n === 0) return
    const bytes = pendingBytes
    pending = []
    pendingBytes = 0
    const cost = bytes + n * RECORD_ALLOWANCE
    const s = steady
    outstandingBytes += cost
    unsettledCalls++
    const sentAt = performance.now()
    const acked: Promise<PromiseSettledResult<unknown>[]> =
      n === 1
        ? producer.send({ topic: p.topic, value: values[0]! }).then(
            (value) => [{ status: 'fulfilled', value }],
            (reason: unknown) => [{ status: 'rejected', reason }],
          )
        : producer.sendBatchSettled(values.map((value) => ({ topic: p.topic, value })))
    void acked.then((results) => {
      const now = performance.now()
      // Records of one call land or fail one by one (one too large for the broker fails alone).
      let ok = 0
      let okBytes = 0
      for (let j = 0; j < n; j++) {
        const r = results[j]!
        if (r.status === 'fulfilled') {
          ok++
          okBytes += values[j]!.length
        } else {
          unacked++
          firstError ??= r.reason
        }
      }
      if (ok > 0) {
        stats.record(now - sentAt, okBytes, now, ok)
        s?.record(now - sentAt, okBytes, now, ok)
      }
      settle(cost)
    })
  }

  const throttler = new ThroughputThrottler(p.throughput, start)
  let sliceStart = start
  let generated = 0
  const transactional = p.transactionDurationMs > 0
  let txnStart = performance.now()
  if (transactional) await producer.beginTransaction()
  for (let i = 0; i < p.numRecords && firstError === undefined; i++) {
    if (transactional && performance.now() - txnStart >= p.transactionDurationMs) {
      sendPending()
      await producer.commitTransaction()
      await producer.beginTransaction()
      txnStart = performance.now()
      sliceStart = txnStart
    }
    if (i === p.warmupRecords && p.warmupRecords > 0) {
      sendPending()
      steady = new ProducerStats({ startMs: performance.now(), reportingIntervalMs: p.reportingIntervalMs, steadyState: true, print: out })
      stats.suppressed = true
    }
    const value = p.payload(i)
    pending.push(value)
    pendingBytes += value.length
    if (value.length > maxSize) maxSize = value.length
    generated++
    if (pending.length >= perCall) sendPending()
    if (throttler.enabled && throttler.shouldThrottle(i, performance.now())) {
      const ms = throttler.sleepMs()
      if (ms > 0) {
        sendPending()
        await sleep(ms)
        sliceStart = performance.now()
      }
    }
    if (pending.length > 0) continue
    if (outstandingBytes >= cap) {
      await new Promise<void>((r) => (waiter = r))
      sliceStart = performance.now()
    } else if (performance.now() - sliceStart >= SLICE_MS) {
      await immediate()
      sliceStart = performance.now()
    }
  }
  sendPending()

  // Kafka closes the producer (or flushes it, to read its metrics) before the summary.
  await producer.flush()
  if (transactional && firstError === undefined) await producer.commitTransaction()
  if (unsettledCalls > 0) await new Promise<void>((r) => (allSettled = r))
  clearInterval(ticker)
  progress.done()
  const end = performance.now()
  let text = stats.totalLine(end) + '\n'
  if (steady) text += steady.totalLine(end) + '\n'
  if (p.printMetrics) {
    const acked = stats.records
    const sec = (end - start) / 1000
    const tags = { 'client-id': p.clientId }
    const m = (name: string, value: number) => ({ group: 'producer-metrics', name, tags, value })
    text += metricsTable([
      m('record-send-total', acked),
      m('record-send-rate', acked / sec),
      m('record-error-total', unacked),
      m('record-error-rate', unacked / sec),
      m('record-size-max', maxSize),
      m('buffer-total-bytes', cap),
    ])
  }
  await print(text)
  if (p.printMetrics) process.stderr.write(`${METRICS_NOTE}\n`)
  if (unacked > 0) {
    throw new CliError(`${unacked} of ${generated} records were not acknowledged, and the run stopped; the first failure: ${describeError(firstError)}`)
  }
}
