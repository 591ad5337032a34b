/**
 * `samsa console-consumer --bootstrap-server host:port --topic t` (kafka-console-consumer.sh):
 * prints records on stdout as message-format.ts describes.
 *
 * What it reads, as Kafka's tool decides it:
 * - `--topic t` or `--include <regex>` (a full match of the topic name) subscribes in a group:
 *   `--group g`, or `group.id` from the properties, or else a fresh `console-consumer-NNNNN`
 *   group whose offsets are not committed (enable.auto.commit=false unless set).
 * - `--partition p` reads that partition of `--topic` without group membership, from
 *   `--offset` (a number, `earliest` or `latest`, the default; `--from-beginning` means earliest).
 * - Without a committed offset a group starts at the end, or at the beginning with
 *   `--from-beginning` (auto.offset.reset).
 *
 * It stops on Ctrl-C (SIGINT) or SIGTERM, after `--max-messages`, or when `--timeout-ms` pass
 * without a record. Then it commits (in a group with auto-commit on: only what was printed; the
 * rest of the last poll is rewound first, as Kafka does), leaves the group, prints
 * `Processed a total of N messages` on stderr and exits 0. A failure (a broker error, a record
 * the formatter cannot print without --skip-message-on-error, a commit the broker refused)
 * prints one line and exits 1; a commit refused because the group is rebalancing only warns.
 *
 * Output is written once per poll (up to max.poll.records records) and the next poll waits
 * while stdout is backed up, so a slow reader slows the consumer instead of filling memory.
 */
import { Command } from 'commander'
import { ClientError, KafkaError } from '../client/base/errors.js'
import { Consumer } from '../client/consumer/consumer.js'
import type { ConsumerRecord, TopicPartition } from '../client/consumer/types.js'
import { consumerOptions } from './client-properties.js'
import { securityOf } from './client-security.js'
import type { BaseOptions } from '../client/base/options.js'
import { CliError, INT64_MAX, collect, describeError, intArg, keyValues, openAdmin, parseLongFlag, readPropertiesFile, toolLogger, usage } from './common.js'
import { createFormatter, JsonFormatter, OutputChunk, type MessageFormatter } from './message-format.js'
import { Progress } from './progress.js'

interface ConsumerFlags {
  bootstrapServer: string
  topic?: string
  include?: string
  partition?: number
  offset?: string
  fromBeginning?: boolean
  group?: string
  maxMessages?: number
  timeoutMs?: number
  skipMessageOnError?: boolean
  isolationLevel: string
  consumerProperty?: string[]
  commandProperty?: string[]
  'consumer.config'?: string
  commandConfig?: string
  formatter: string
  property?: string[]
  formatterProperty?: string[]
  formatterConfig?: string
  keyDeserializer?: string
  valueDeserializer?: string
  output: string
}

export function consoleConsumerCommand(): Command {
  const cmd = new Command('console-consumer')
    .description('print the records of a topic on stdout (kafka-console-consumer.sh)')
    .requiredOption('--bootstrap-server <host:port>', 'REQUIRED: the broker(s) to connect to, host:port[,host:port...]')
    .option('--topic <topic>', 'the topic to consume')
    .option('--include <regex>', 'consume every topic whose whole name matches this regular expression')
    .option('--partition <n>', 'read only this partition of --topic, without a group (from the end unless --offset or --from-beginning)', intArg('--partition'))
    .option('--offset <offset>', "with --partition: a non-negative offset, 'earliest' or 'latest' (default: latest)")
    .option('--from-beginning', 'without a committed offset, start at the earliest record rather than the latest')
    .option('--group <group>', 'the consumer group (default: a new console-consumer-NNNNN group, nothing committed)')
    .option('--max-messages <n>', 'exit after this many records (default: run until stopped)', intArg('--max-messages'))
    .option('--timeout-ms <ms>', 'exit when no record arrived for this long', intArg('--timeout-ms'))
    .option('--skip-message-on-error', 'skip a record the formatter cannot print instead of stopping')
    .option('--isolation-level <level>', 'read_committed (skip aborted and open transactions) or read_uncommitted', 'read_uncommitted')
    .option('--consumer-property <key=value>', 'a consumer config such as max.poll.records=100 (repeatable)', collect)
    .option('--command-property <key=value>', 'the same as --consumer-property (Kafka 4.2 name)', collect)
    .option('--consumer.config <file>', 'consumer config properties file (--consumer-property wins over it)')
    .option('--command-config <file>', 'the same as --consumer.config (Kafka 4.2 name)')
    .option('--formatter <class>', "how records are printed: Kafka's DefaultMessageFormatter, LoggingMessageFormatter or NoOpMessageFormatter", 'org.apache.kafka.tools.consumer.DefaultMessageFormatter')
    .option(
      '--property <key=value>',
      'a formatter property (repeatable): print.timestamp, print.partition, print.offset, print.delivery, print.epoch, print.headers, print.key, print.value (true|false), key.separator, line.separator, headers.separator, null.literal, key.deserializer, value.deserializer, headers.deserializer',
      collect,
    )
    .option('--formatter-property <key=value>', 'the same as --property (Kafka 4.2 name)', collect)
    .option('--formatter-config <file>', 'formatter properties file (--property wins over it)')
    .option('--key-deserializer <class>', 'the key.deserializer formatter property (e.g. org.apache.kafka.common.serialization.LongDeserializer)')
    .option('--value-deserializer <class>', 'the value.deserializer formatter property')
    .option('--output <format>', 'text (the formatter) or json (one object per record: topic, partition, offset, timestamp, key, value, headers)', 'text')
    .addHelpText('after', '\nOn exit (Ctrl-C, --max-messages, --timeout-ms) it commits when in a group and prints "Processed a total of N messages" on stderr.')
  cmd.action((o: ConsumerFlags) => consume(o, cmd))
  return cmd
}

type Start = { kind: 'subscribe'; topics: string[] | RegExp } | { kind: 'assign'; tp: TopicPartition; offset: bigint | 'earliest' | 'latest' }

/** Kafka's checks of the flag combinations, and what to read. */
function startOf(o: ConsumerFlags): Start {
  if ((o.topic === undefined) === (o.include === undefined)) throw usage('exactly one of --include/--topic is required')
  if (o.partition === undefined) {
    if (o.offset !== undefined) throw usage('the partition is required when offset is specified (--partition)')
    if (o.topic !== undefined) return { kind: 'subscribe', topics: [o.topic] }
    let re: RegExp
    try {
      re = new RegExp(`^(?:${o.include})$`)
    } catch (e) {
      throw usage(`--include ${o.include} is not a valid regular expression: ${(e as Error).message}`)
    }
    return { kind: 'subscribe', topics: re }
  }
  if (o.topic === undefined) throw usage('the topic is required when partition is specified (--topic)')
  if (o.fromBeginning && o.offset !== undefined) throw usage('options from-beginning and offset cannot be specified together')
  const tp = { topic: o.topic, partition: o.partition }
  const given = o.offset?.toLowerCase()
  if (given === undefined) return { kind: 'assign', tp, offset: o.fromBeginning ? 'earliest' : 'latest' }
  if (given === 'earliest' || given === 'latest') return { kind: 'assign', tp, offset: given }
  const offset = parseLongFlag('--offset', o.offset!, {
    min: 0n,
    max: INT64_MAX,
    what: `'earliest', 'latest' or an offset from 0 to ${INT64_MAX}`,
    fix: "give the offset to start at, or 'earliest' / 'latest'",
  })
  return { kind: 'assign', tp, offset }
}

/** Kafka's consumer properties for these flags, in Kafka's precedence. */
export function consumerProperties(o: ConsumerFlags, cmd: Command): { props: Map<string, string>; generatedGroup: boolean } {
  const props = new Map<string, string>()
  const file = o['consumer.config'] ?? o.commandConfig
  const fromFile = file ? readPropertiesFile(file, o['consumer.config'] ? '--consumer.config' : '--command-config') : new Map<string, string>()
  const extra = keyValues([...(o.consumerProperty ?? []), ...(o.commandProperty ?? [])], '--consumer-property')
  const groups = new Set<string>()
  if (o.group !== undefined) groups.add(o.group)
  if (fromFile.has('group.id')) groups.add(fromFile.get('group.id')!)
  if (extra.has('group.id')) groups.add(extra.get('group.id')!)
  if (groups.size > 1) {
    throw usage(`the group ids given in different places (--group, --consumer-property, --consumer.config) do not match: ${[...groups].map((g) => `'${g}'`).join(', ')}`)
  }
  if (groups.size > 0 && o.partition !== undefined) throw usage('options group and partition cannot be specified together')
  for (const [k, v] of fromFile) props.set(k, v)
  for (const [k, v] of extra) props.set(k, v)
  const reset = props.get('auto.offset.reset')
  if (reset === undefined) props.set('auto.offset.reset', o.fromBeginning ? 'earliest' : 'latest')
  else if (o.fromBeginning && reset !== 'earliest') throw usage(`can't simultaneously specify --from-beginning and 'auto.offset.reset=${reset}'; remove one of them`)
  props.set('bootstrap.servers', o.bootstrapServer)
  if (!props.has('client.id')) props.set('client.id', 'console-consumer')
  if (cmd.getOptionValueSource('isolationLevel') === 'cli' || !props.has('isolation.level')) props.set('isolation.level', o.isolationLevel)
  const level = props.get('isolation.level')
  if (level !== 'read_committed' && level !== 'read_uncommitted') throw usage(`isolation level '${level}' is not read_committed or read_uncommitted`)
  const generatedGroup = groups.size === 0
  if (generatedGroup) {
    props.set('group.id', `console-consumer-${Math.floor(Math.random() * 100_000)}`)
    // Kafka's reason: a throwaway group should not fill the coordinator with offsets.
    if (!props.has('enable.auto.commit')) props.set('enable.auto.commit', 'false')
  } else props.set('group.id', [...groups][0]!)
  return { props, generatedGroup }
}

function formatterOf(o: ConsumerFlags, cmd: Command): MessageFormatter {
  if (o.output === 'json') {
    if (cmd.getOptionValueSource('formatter') === 'cli') throw usage('--output json and --formatter cannot be used together')
    return new JsonFormatter()
  }
  if (o.output !== 'text') throw usage(`--output ${o.output} is not a format; use text or json`)
  const props = o.formatterConfig ? readPropertiesFile(o.formatterConfig, '--formatter-config') : new Map<string, string>()
  if (o.keyDeserializer) props.set('key.deserializer', o.keyDeserializer)
  if (o.valueDeserializer) props.set('value.deserializer', o.valueDeserializer)
  for (const [k, v] of keyValues([...(o.property ?? []), ...(o.formatterProperty ?? [])], '--property')) props.set(k, v)
  const logger = toolLogger()
  return createFormatter(o.formatter, props, (line) => logger.info(line))
}

/** The first offset of each partition among records fetched but not printed. */
function firstOffsets(records: ConsumerRecord[]): Map<string, { tp: TopicPartition; offset: bigint }> {
  const out = new Map<string, { tp: TopicPartition; offset: bigint }>()
  for (const r of records) {
    const k = `${r.topic}\0${r.partition}`
    if (!out.has(k)) out.set(k, { tp: { topic: r.topic, partition: r.partition }, offset: r.offset })
  }
  return out
}

async function checkPartition(bootstrap: string, tp: TopicPartition, security: Pick<BaseOptions, 'ssl' | 'sasl'>): Promise<void> {
  const admin = await openAdmin(bootstrap, security)
  try {
    let count: number
    try {
      const [t] = await admin.describeTopics([tp.topic])
      count = t!.partitions.length
    } catch (e) {
      throw new CliError(`cannot read ${tp.topic}: ${describeError(e)}; check the topic name (samsa topics --list)`)
    }
    if (tp.partition >= count) throw new CliError(`topic ${tp.topic} has no partition ${tp.partition} (it has ${count}, 0-${count - 1}); give another --partition`)
  } finally {
    await admin.close().catch(() => {})
  }
}

async function consume(o: ConsumerFlags, cmd: Command): Promise<void> {
  const start = startOf(o)
  const { props } = consumerProperties(o, cmd)
  const formatter = formatterOf(o, cmd)
  const options = { ...consumerOptions(props), bootstrapServers: o.bootstrapServer, logger: toolLogger() }

  // Fail in seconds on a wrong address (or a partition that is not there) instead of waiting.
  if (start.kind === 'assign') await checkPartition(o.bootstrapServer, start.tp, securityOf(options))
  else await (await openAdmin(o.bootstrapServer, securityOf(options))).close()
  const consumer = new Consumer(options)

  const ac = new AbortController()
  let signals = 0
  let count = 0
  const onSignal = () => {
    if (++signals === 1) {
      ac.abort()
      return
    }
    process.stderr.write(`Processed a total of ${count} messages\nsamsa console-consumer: interrupted again; exiting without committing or leaving the group\n`)
    process.exit(1)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const max = o.maxMessages ?? -1
  const chunk = new OutputChunk()
  // On a terminal the records themselves show progress; a count is for output going elsewhere.
  const progress = new Progress({ unit: 'messages', label: 'consumed' })
  const showProgress = !process.stdout.isTTY
  let failure: unknown = null
  try {
    if (start.kind === 'assign') {
      consumer.assign([start.tp])
      if (start.offset === 'earliest') consumer.seekToBeginning([start.tp])
      else if (start.offset === 'latest') consumer.seekToEnd([start.tp])
      else consumer.seek(start.tp, start.offset)
    } else await consumer.subscribe(start.topics)

    let lastRecordAt = Date.now()
    while (!ac.signal.aborted && (max < 0 || count < max)) {
      const wait = o.timeoutMs === undefined ? undefined : Math.max(0, lastRecordAt + o.timeoutMs - Date.now())
      let records: ConsumerRecord[]
      try {
        records = await consumer.poll({ timeoutMs: wait, signal: ac.signal })
      } catch (e) {
        if (ac.signal.aborted) break
        throw e
      }
      if (records.length === 0) {
        if (o.timeoutMs !== undefined && Date.now() - lastRecordAt >= o.timeoutMs) break
        continue
      }
      lastRecordAt = Date.now()
      const take = max < 0 ? records.length : Math.min(records.length, max - count)
      let i = 0
      try {
        for (; i < take; i++) {
          const mark = chunk.parts.length
          count++
          try {
            formatter.write(records[i]!, chunk)
          } catch (e) {
            chunk.rewind(mark)
            const r = records[i]!
            const what = `the record at ${r.topic}-${r.partition} offset ${r.offset}`
            if (!o.skipMessageOnError) throw new CliError(`cannot print ${what}: ${(e as Error).message}; --skip-message-on-error skips such records`)
            process.stderr.write(`samsa console-consumer: skipped ${what}: ${(e as Error).message}\n`)
          }
        }
      } finally {
        // Records fetched but not printed go back, so the commit covers only what was printed.
        for (const { tp, offset } of firstOffsets(records.slice(i < take ? i + 1 : take)).values()) consumer.seek(tp, offset)
        if (chunk.length > 0 && !process.stdout.write(chunk.take())) await drained(ac.signal)
      }
      if (showProgress) progress.update(count)
    }
  } catch (e) {
    failure = e
  } finally {
    progress.done()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  // Kafka's shutdown: commit what was printed (when auto-commit is on), leave, report the count.
  const commitError = failure === null ? await commitOnExit(consumer) : null
  await consumer.close({ timeoutMs: 10_000 }).catch(() => {})
  process.stderr.write(`Processed a total of ${count} messages\n`)
  if (failure !== null) throw failure
  if (commitError === null) return
  const why = `the offsets of group ${consumer.options.groupId} were not committed (${describeError(commitError)}); the partitions' next reader in the group will read those records again`
  // A group in the middle of a rebalance has moved on: normal, as in Kafka a warning only.
  if (rebalancing(commitError)) process.stderr.write(`warning: ${why}\n`)
  else throw new CliError(why)
}

function rebalancing(e: unknown): boolean {
  if (e instanceof ClientError) return e.code === 'ILLEGAL_STATE'
  return e instanceof KafkaError && ['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID'].includes(e.errorName)
}

/** The commit close() would make, done here so that a failure is reported rather than only logged. */
async function commitOnExit(consumer: Consumer): Promise<unknown> {
  if (!consumer.options.enableAutoCommit || consumer.assignment().length === 0) return null
  try {
    await consumer.commit(undefined, { timeoutMs: 10_000 })
    return null
  } catch (e) {
    return e
  }
}

/** Waits until stdout has room again, or the tool is stopped (what was written still gets out). */
function drained(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.stdout.off('drain', done)
      signal.removeEventListener('abort', done)
      resolve()
    }
    process.stdout.once('drain', done)
    signal.addEventListener('abort', done, { once: true })
  })
}
