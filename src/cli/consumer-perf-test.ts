/**
 * `samsa consumer-perf-test`, as kafka-consumer-perf-test.sh: joins a consumer group
 * (--group, default perf-consumer-<random>), subscribes to --topic (or every topic matching
 * --include), reads --messages records from the earliest offset (latest with --from-latest)
 * unless the group has committed offsets, and prints Kafka's header and value line:
 *
 *   start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
 *   2024-05-01 10:00:00:000, 2024-05-01 10:00:02:500, 95.3674, 38.1470, 1000000, 400000.0000, 120, 2380, 40.0703, 420168.0672
 *
 * (MB = 2^20 bytes of keys and values; rebalance.time.ms is the time spent joining the group,
 * fetch.time.ms the rest). With --show-detailed-stats a line per --reporting-interval instead.
 * The consumer uses Kafka's perf settings: check.crcs=false, max.partition.fetch.bytes from
 * --fetch-size, client.id perf-consumer-client unless the config file sets one.
 *
 * Where it differs from Kafka, and why:
 * - It stops at exactly --messages records (Kafka counts every record of its last poll).
 * - When --timeout passes before --messages records arrive, Kafka's WARNING line and the
 *   figures still print, but the exit code is 1 with one line on stderr: fewer records than
 *   asked for is not a success.
 * - --group wins over group.id in the config file, and group.id there wins over the random
 *   default (Kafka always overrides the file with --group or the random default).
 * - --print-metrics prints what this tool measures (metrics-table.ts).
 * - The per-interval rebalance time is reset after each line (Kafka's stays at 0 after the
 *   first line because it resets a copy).
 */
import { Command } from 'commander'
import { Consumer } from '../client/consumer/consumer.js'
import type { TopicPartition } from '../client/base/types.js'
import type { ConsumerOptions } from '../client/consumer/options.js'
import { consumerOptions } from './client-properties.js'
import { securityOf } from './client-security.js'
import { CliError, intArg, openAdmin, print, readPropertiesFile, SAFE_MAX, toolLogger, usage } from './common.js'
import { metricsTable, METRICS_NOTE } from './metrics-table.js'
import { fixed } from './producer-stats.js'
import { Progress } from './progress.js'
import { compileDateFormat, DateFormatError } from './simple-date-format.js'
import { requireTopicOrAutoCreate } from './topic-presence.js'

interface Flags {
  bootstrapServer?: string
  brokerList?: string
  topic?: string
  include?: string
  group?: string
  messages: number
  fromLatest?: boolean
  fetchSize: number
  socketBufferSize?: number
  timeout: number
  showDetailedStats?: boolean
  reportingInterval: number
  dateFormat: string
  hideHeader?: boolean
  'consumer.config'?: string
  commandConfig?: string
  printMetrics?: boolean
}

const MB = 1024 * 1024
const EXTRA_HEADER = ', rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec'
export const SUMMARY_HEADER = `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec${EXTRA_HEADER}`
export const DETAILED_HEADER = `time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec${EXTRA_HEADER}`

export function consumerPerfTestCommand(): Command {
  return new Command('consumer-perf-test')
    .description('measure consumer throughput (kafka-consumer-perf-test.sh)')
    .option('--bootstrap-server <host:port>', 'the broker(s) to connect to, host:port[,host:port...] (required)')
    .option('--broker-list <host:port>', 'the same as --bootstrap-server (its old name)')
    .option('--topic <topic>', 'the topic to consume from')
    .option('--include <regex>', 'consume from every topic matching this regular expression (whole name), instead of --topic')
    .option('--group <id>', 'the consumer group (default perf-consumer-<random number>)')
    .requiredOption('--messages <count>', 'how many records to consume', intArg('--messages', 1, SAFE_MAX))
    .option('--from-latest', 'without a committed offset, start at the end of the log instead of the beginning')
    .option('--fetch-size <bytes>', 'most bytes fetched per partition in one request (max.partition.fetch.bytes)', intArg('--fetch-size', 1), 1024 * 1024)
    .option('--socket-buffer-size <bytes>', 'accepted for compatibility; Node sizes socket buffers itself', intArg('--socket-buffer-size', 1))
    .option('--timeout <ms>', 'give up after this long without a record', intArg('--timeout'), 10_000)
    .option('--show-detailed-stats', 'print a line per --reporting-interval instead of one summary')
    .option('--reporting-interval <ms>', 'interval of the detailed lines', intArg('--reporting-interval', 1), 5000)
    .option('--date-format <pattern>', 'how times print, as Java SimpleDateFormat', 'yyyy-MM-dd HH:mm:ss:SSS')
    .option('--hide-header', 'do not print the header line')
    .option('--consumer.config <file>', 'consumer properties file')
    .option('--command-config <file>', 'the same as --consumer.config (its newer name)')
    .option('--print-metrics', 'print metrics at the end')
    .addHelpText('after', '\nExample: samsa consumer-perf-test --bootstrap-server localhost:9092 --topic t --messages 1000000')
    .action((flags: Flags) => run(flags))
}

interface Plan {
  bootstrap: string
  topic: string | null
  include: RegExp | null
  messages: number
  timeoutMs: number
  detailed: boolean
  reportingIntervalMs: number
  formatDate: (ms: number) => string
  hideHeader: boolean
  printMetrics: boolean
  clientId: string
  options: ConsumerOptions
}

function plan(f: Flags): Plan {
  if (f.bootstrapServer !== undefined && f.brokerList !== undefined && f.bootstrapServer !== f.brokerList) {
    throw usage('give --bootstrap-server or --broker-list, not both')
  }
  const bootstrap = (f.bootstrapServer ?? f.brokerList)?.trim()
  if (!bootstrap) throw usage('--bootstrap-server is required: the broker(s) to connect to, host:port')
  if ((f.topic === undefined) === (f.include === undefined)) throw usage('give exactly one of --topic or --include')
  let include: RegExp | null = null
  if (f.include !== undefined) {
    try {
      // Java's Pattern.matches: the whole topic name.
      include = new RegExp(`^(?:${f.include})$`)
    } catch (e) {
      throw usage(`--include ${f.include} is not a valid regular expression (${(e as Error).message})`)
    }
  }
  let formatDate: (ms: number) => string
  try {
    formatDate = compileDateFormat(f.dateFormat)
  } catch (e) {
    if (e instanceof DateFormatError) throw usage(`--date-format ${f.dateFormat}: ${e.message}; see Java's SimpleDateFormat`)
    throw e
  }
  if (f['consumer.config'] !== undefined && f.commandConfig !== undefined) throw usage('give --consumer.config or --command-config, not both')
  const file = f['consumer.config'] ?? f.commandConfig
  const props = file === undefined ? new Map<string, string>() : readPropertiesFile(file, f['consumer.config'] !== undefined ? '--consumer.config' : '--command-config')
  if (!props.has('client.id')) props.set('client.id', 'perf-consumer-client')
  const fromFile = consumerOptions(props)
  const options: ConsumerOptions = {
    ...fromFile,
    bootstrapServers: bootstrap,
    groupId: f.group ?? fromFile.groupId ?? `perf-consumer-${Math.floor(Math.random() * 100_000)}`,
    maxPartitionFetchBytes: f.fetchSize,
    autoOffsetReset: f.fromLatest ? 'latest' : 'earliest',
    checkCrcs: false,
    logger: toolLogger(),
  }
  return {
    bootstrap,
    topic: f.topic ?? null,
    include,
    messages: f.messages,
    timeoutMs: f.timeout,
    detailed: f.showDetailedStats === true,
    reportingIntervalMs: f.reportingInterval,
    formatDate,
    hideHeader: f.hideHeader === true,
    printMetrics: f.printMetrics === true,
    clientId: props.get('client.id')!,
    options,
  }
}

async function run(f: Flags): Promise<void> {
  const p = plan(f)
  const admin = await openAdmin(p.bootstrap, securityOf(p.options))
  try {
    if (p.topic !== null) await requireTopicOrAutoCreate(admin, p.topic, p.bootstrap)
  } finally {
    await admin.close().catch(() => {})
  }
  if (!p.hideHeader) await print(`${p.detailed ? DETAILED_HEADER : SUMMARY_HEADER}\n`)
  const consumer = new Consumer(p.options)
  try {
    await perfTest(consumer, p)
  } finally {
    await consumer.close().catch(() => {})
  }
}

/** Time spent joining the group, as Kafka's perf listener counts it: from losing every partition to getting some. */
class RebalanceClock {
  total = 0
  sinceLastLine = 0
  private owned = new Set<string>()
  constructor(private joinStart: number) {}

  readonly listener = {
    onAssigned: (tps: TopicPartition[]) => {
      if (this.owned.size === 0) {
        const ms = Date.now() - this.joinStart
        this.total += ms
        this.sinceLastLine += ms
      }
      for (const tp of tps) this.owned.add(`${tp.topic}-${tp.partition}`)
    },
    onRevoked: (tps: TopicPartition[]) => {
      for (const tp of tps) this.owned.delete(`${tp.topic}-${tp.partition}`)
      if (this.owned.size === 0) this.joinStart = Date.now()
    },
  }
}

async function perfTest(consumer: Consumer, p: Plan): Promise<void> {
  const progress = new Progress({ total: p.messages, unit: 'records', label: 'consuming' })
  const out = (line: string) => {
    progress.clear()
    process.stdout.write(line + '\n')
  }
  const startMs = Date.now()
  const rebalance = new RebalanceClock(startMs)
  await consumer.subscribe(p.topic !== null ? [p.topic] : p.include!, { listener: rebalance.listener })

  let messages = 0
  let bytes = 0
  let lastMessages = 0
  let lastBytes = 0
  let now = Date.now()
  let lastReport = now
  let lastConsumed = now
  const ticker = progress.enabled ? setInterval(() => progress.update(messages), 100).unref() : undefined
  try {
    while (messages < p.messages && now - lastConsumed <= p.timeoutMs) {
      const records = await consumer.poll({ timeoutMs: 100 })
      now = Date.now()
      if (records.length > 0) lastConsumed = now
      for (const r of records) {
        if (messages >= p.messages) break
        messages++
        if (r.key) bytes += r.key.length
        if (r.value) bytes += r.value.length
        if (now - lastReport >= p.reportingIntervalMs) {
          if (p.detailed) out(detailedLine(p, { bytes, lastBytes, messages, lastMessages, startMs: lastReport, endMs: now, rebalanceMs: rebalance.sinceLastLine }))
          rebalance.sinceLastLine = 0
          lastReport = now
          lastMessages = messages
          lastBytes = bytes
        }
      }
    }
  } finally {
    clearInterval(ticker)
    progress.done()
  }
  const short = messages < p.messages
  if (short) {
    await print(
      `WARNING: Exiting before consuming the expected number of messages: timeout (${p.timeoutMs} ms) exceeded. You can use the --timeout option to increase the timeout.\n`,
    )
  }
  const endMs = Date.now()
  // Kafka reads the metrics, then closes the consumer, then prints: the close (commit, leave
  // the group) is not part of the figures.
  await consumer.close().catch(() => {})
  let text = ''
  const elapsedSec = (endMs - startMs) / 1000
  const fetchMs = endMs - startMs - rebalance.total
  if (!p.detailed) {
    const mb = bytes / MB
    text +=
      [
        p.formatDate(startMs),
        p.formatDate(endMs),
        fixed(mb, 4),
        fixed(mb / elapsedSec, 4),
        messages,
        fixed(messages / elapsedSec, 4),
        rebalance.total,
        fetchMs,
        fixed(mb / (fetchMs / 1000), 4),
        fixed(messages / (fetchMs / 1000), 4),
      ].join(', ') + '\n'
  }
  if (p.printMetrics) {
    const tags = { 'client-id': p.clientId }
    const m = (name: string, value: number) => ({ group: 'consumer-fetch-manager-metrics', name, tags, value })
    text += metricsTable([
      m('records-consumed-total', messages),
      m('records-consumed-rate', messages / elapsedSec),
      m('bytes-consumed-total', bytes),
      m('bytes-consumed-rate', bytes / elapsedSec),
      { group: 'consumer-coordinator-metrics', name: 'rebalance-latency-total', tags, value: rebalance.total },
    ])
  }
  await print(text)
  if (p.printMetrics) process.stderr.write(`${METRICS_NOTE}\n`)
  if (short) {
    throw new CliError(
      `consumed ${messages} of ${p.messages} records before ${p.timeoutMs} ms passed without a record; check that the topic holds that many (from the group's committed offsets, or the ${p.options.autoOffsetReset} offset), or raise --timeout`,
    )
  }
}

interface Interval {
  bytes: number
  lastBytes: number
  messages: number
  lastMessages: number
  startMs: number
  endMs: number
  rebalanceMs: number
}

/** One --show-detailed-stats line: totals so far, rates over the interval. */
function detailedLine(p: Plan, i: Interval): string {
  const elapsedMs = i.endMs - i.startMs
  const intervalMb = (i.bytes - i.lastBytes) / MB
  const intervalMessages = i.messages - i.lastMessages
  const fetchMs = elapsedMs - i.rebalanceMs
  return [
    p.formatDate(i.endMs),
    0,
    fixed(i.bytes / MB, 4),
    fixed((1000 * intervalMb) / elapsedMs, 4),
    i.messages,
    fixed((1000 * intervalMessages) / elapsedMs, 4),
    i.rebalanceMs,
    fetchMs,
    fixed(fetchMs <= 0 ? 0 : (1000 * intervalMb) / fetchMs, 4),
    fixed(fetchMs <= 0 ? 0 : (1000 * intervalMessages) / fetchMs, 4),
  ].join(', ')
}
