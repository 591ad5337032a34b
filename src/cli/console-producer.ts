/**
 * `samsa console-producer --bootstrap-server host:port --topic t` (kafka-console-producer.sh):
 * each line of stdin becomes one record, parsed as line-reader.ts describes.
 *
 * Producer settings follow Kafka's precedence: `--producer.config` file, then
 * `--producer-property k=v`, then the tool's own flags: a flag given on the command line wins,
 * a flag left out applies its default only where no property set that config. The defaults are
 * the console producer's, not the client's (linger.ms 1000, request.timeout.ms 1500,
 * retries 3, acks -1). One difference: Kafka always overwrites compression.type with
 * --compression-codec (so a compression.type property never works); here the flag wins only
 * when given. And `--sync` sends each record at once instead of letting it wait linger.ms.
 *
 * Nothing is lost silently: the tool exits 0 only when every line it read was acknowledged.
 * The first failed delivery stops the reading; the tool waits for what is in flight and exits 1
 * with one line saying how many records failed and why. A line the reader cannot parse (no key
 * separator) stops it the same way, after the lines before it are delivered. Ctrl-C (SIGINT) or
 * SIGTERM stops reading, delivers what was read (an unfinished line is dropped) and exits;
 * a second one exits at once, saying how many records were left unconfirmed.
 *
 * Reading pauses while the records in flight hold more than buffer.memory bytes, so a fast
 * pipe into a slow broker never buffers more than that twice over.
 */
import { StringDecoder } from 'node:string_decoder'
import { Command } from 'commander'
import { Producer } from '../client/producer/producer.js'
import type { RecordMetadata } from '../client/producer/types.js'
import { producerOptions } from './client-properties.js'
import { securityOf } from './client-security.js'
import { CliError, SAFE_MAX, collect, describeError, intArg, keyValues, openAdmin, readPropertiesFile, toolLogger, usage } from './common.js'
import { LineParser, LineSplitter, lineReaderConfig } from './line-reader.js'
import { Progress } from './progress.js'

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const LINE_READERS = new Set(['org.apache.kafka.tools.LineMessageReader', 'kafka.tools.LineMessageReader', 'kafka.tools.ConsoleProducer$LineMessageReader', 'LineMessageReader'])

interface ProducerFlags {
  bootstrapServer?: string
  brokerList?: string
  topic: string
  sync?: boolean
  compressionCodec?: string | true
  batchSize: number
  maxPartitionMemoryBytes: number
  messageSendMaxRetries: number
  retryBackoffMs: number
  timeout: number
  requestRequiredAcks: string
  requestTimeoutMs: number
  metadataExpiryMs: number
  maxBlockMs: number
  maxMemoryBytes: number
  socketBufferSize?: number
  lineReader: string
  property?: string[]
  readerProperty?: string[]
  readerConfig?: string
  producerProperty?: string[]
  commandProperty?: string[]
  'producer.config'?: string
  commandConfig?: string
}

export function consoleProducerCommand(): Command {
  const cmd = new Command('console-producer')
    .description('read lines from stdin and send each one as a record (kafka-console-producer.sh)')
    .option('--bootstrap-server <host:port>', 'REQUIRED (unless --broker-list): the broker(s) to connect to, host:port[,host:port...]')
    .option('--broker-list <host:port>', 'deprecated alias of --bootstrap-server (ignored when --bootstrap-server is given)')
    .requiredOption('--topic <topic>', 'REQUIRED: the topic to produce to')
    .option('--sync', 'send each record on its own and wait for its acknowledgement before reading the next line')
    .option('--compression-codec [codec]', "none, gzip, snappy, lz4 or zstd; the flag without a value means gzip")
    .option('--batch-size <bytes>', 'batch.size: bytes per partition batch', intArg('--batch-size'), 16_384)
    .option('--max-partition-memory-bytes <bytes>', 'batch.size as well (Kafka has both; this one wins when given)', intArg('--max-partition-memory-bytes'), 16_384)
    .option('--message-send-max-retries <n>', 'retries: how often a failed batch is retried before its records fail', intArg('--message-send-max-retries'), 3)
    .option('--retry-backoff-ms <ms>', 'retry.backoff.ms: wait before retrying', intArg('--retry-backoff-ms'), 100)
    .option('--timeout <ms>', 'linger.ms: how long a record waits for its batch to fill', intArg('--timeout'), 1000)
    .option('--request-required-acks <acks>', 'acks: -1 (all in-sync replicas), 1 (leader) or 0 (none)', '-1')
    .option('--request-timeout-ms <ms>', 'request.timeout.ms: how long to wait for each produce response', intArg('--request-timeout-ms', 1), 1500)
    .option('--metadata-expiry-ms <ms>', 'metadata.max.age.ms: refresh metadata at least this often', intArg('--metadata-expiry-ms'), 300_000)
    .option('--max-block-ms <ms>', 'max.block.ms: how long a send may wait for metadata or buffer space', intArg('--max-block-ms'), 60_000)
    .option('--max-memory-bytes <bytes>', 'buffer.memory: bytes of records waiting to be sent', intArg('--max-memory-bytes', 1, SAFE_MAX), 33_554_432)
    .option('--socket-buffer-size <bytes>', 'send.buffer.bytes; accepted for compatibility, the OS default is used', intArg('--socket-buffer-size', -1))
    .option('--line-reader <class>', 'the record reader; only the default is built in', 'org.apache.kafka.tools.LineMessageReader')
    .option(
      '--property <key=value>',
      'a reader property (repeatable): parse.key, key.separator (tab), parse.headers, headers.delimiter (tab), headers.separator (,), headers.key.separator (:), ignore.error, null.marker',
      collect,
    )
    .option('--reader-property <key=value>', 'the same as --property (Kafka 4.2 name)', collect)
    .option('--reader-config <file>', 'reader properties file (--property wins over it)')
    .option('--producer-property <key=value>', 'a producer config such as linger.ms=5 (repeatable)', collect)
    .option('--command-property <key=value>', 'the same as --producer-property (Kafka 4.2 name)', collect)
    .option('--producer.config <file>', 'producer config properties file (--producer-property wins over it)')
    .option('--command-config <file>', 'the same as --producer.config (Kafka 4.2 name)')
    .addHelpText(
      'after',
      '\nLine formats: "value"; with parse.key=true "key<TAB>value"; with parse.headers=true too\n"h1:v1,h2:v2<TAB>key<TAB>value". Exit 0 once every line read was acknowledged; 1 when any failed.',
    )
  cmd.action((o: ProducerFlags) => produce(o, cmd))
  return cmd
}

/** Kafka's producer properties for these flags, in Kafka's precedence. */
export function producerProperties(o: ProducerFlags, cmd: Command, bootstrap: string): Map<string, string> {
  const props = new Map<string, string>()
  const file = o['producer.config'] ?? o.commandConfig
  if (file) for (const [k, v] of readPropertiesFile(file, o['producer.config'] ? '--producer.config' : '--command-config')) props.set(k, v)
  for (const [k, v] of keyValues([...(o.producerProperty ?? []), ...(o.commandProperty ?? [])], '--producer-property')) props.set(k, v)
  props.set('bootstrap.servers', bootstrap)
  if (!props.has('client.id')) props.set('client.id', 'console-producer')
  // CommandLineUtils.maybeMergeOptions: a flag given wins; a default fills only a gap.
  const merge = (prop: string, flag: keyof ProducerFlags) => {
    if (cmd.getOptionValueSource(flag) === 'cli' || !props.has(prop)) props.set(prop, String(o[flag]))
  }
  merge('linger.ms', 'timeout')
  merge('acks', 'requestRequiredAcks')
  merge('request.timeout.ms', 'requestTimeoutMs')
  merge('retries', 'messageSendMaxRetries')
  merge('retry.backoff.ms', 'retryBackoffMs')
  merge('buffer.memory', 'maxMemoryBytes')
  merge('batch.size', 'batchSize')
  merge('batch.size', 'maxPartitionMemoryBytes')
  merge('metadata.max.age.ms', 'metadataExpiryMs')
  merge('max.block.ms', 'maxBlockMs')
  if (o.compressionCodec !== undefined) {
    const codec = o.compressionCodec === true || o.compressionCodec === '' ? 'gzip' : o.compressionCodec.toLowerCase()
    if (!CODECS.includes(codec)) throw usage(`--compression-codec ${o.compressionCodec} is not a codec; use one of ${CODECS.join(', ')}`)
    props.set('compression.type', codec)
  } else if (!props.has('compression.type')) props.set('compression.type', 'none')
  const acks = props.get('acks')!.trim()
  if (!['all', '-1', '0', '1'].includes(acks)) throw usage(`acks must be -1 (or all), 0 or 1, got '${acks}' (--request-required-acks)`)
  return props
}

function readerProperties(o: ProducerFlags): Map<string, string> {
  const props = o.readerConfig ? readPropertiesFile(o.readerConfig, '--reader-config') : new Map<string, string>()
  props.set('topic', o.topic)
  for (const [k, v] of keyValues([...(o.property ?? []), ...(o.readerProperty ?? [])], '--property')) props.set(k, v)
  return props
}

/** Outcomes of the records sent, and room for more: the bytes of records not yet settled. */
class Deliveries {
  read = 0
  pending = 0
  pendingBytes = 0
  delivered = 0
  failed = 0
  first: { line: number; error: unknown } | null = null
  private waiters: Array<() => void> = []

  constructor(
    private readonly maxBytes: number,
    private readonly onFailure: () => void,
  ) {}

  track(p: Promise<RecordMetadata>, line: number, size: number): void {
    this.read++
    this.pending++
    this.pendingBytes += size
    p.then(
      () => {
        this.delivered++
        this.settle(size)
      },
      (e: unknown) => {
        this.failed++
        this.first ??= { line, error: e }
        this.settle(size)
        this.onFailure()
      },
    )
  }

  private settle(size: number): void {
    this.pending--
    this.pendingBytes -= size
    if (this.waiters.length > 0 && (this.pending === 0 || this.pendingBytes <= this.maxBytes / 2)) {
      const w = this.waiters
      this.waiters = []
      for (const f of w) f()
    }
  }

  /** Resolves once there is room to read more (at once when there is). */
  room(): Promise<void> | undefined {
    if (this.pendingBytes <= this.maxBytes && this.pending < 1_000_000) return undefined
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /** Resolves once every record sent so far has settled. */
  async settled(): Promise<void> {
    while (this.pending > 0) await new Promise<void>((resolve) => this.waiters.push(resolve))
  }
}

type Stop = 'signal' | 'failure'

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`

async function produce(o: ProducerFlags, cmd: Command): Promise<void> {
  const bootstrap = o.bootstrapServer ?? o.brokerList
  if (!bootstrap) throw usage('--bootstrap-server is required: the host:port of a broker')
  if (!LINE_READERS.has(o.lineReader)) throw usage(`--line-reader ${o.lineReader} is not available; only org.apache.kafka.tools.LineMessageReader is built in`)
  const props = producerProperties(o, cmd, bootstrap)
  const parser = new LineParser(lineReaderConfig(readerProperties(o)))
  const options = { ...producerOptions(props), bootstrapServers: bootstrap, logger: toolLogger() }

  // Fail in seconds on a wrong address rather than after max.block.ms on the first record.
  await (await openAdmin(bootstrap, securityOf(options))).close()
  const producer = new Producer(options)

  let stopReason: Stop | null = null
  let resolveStopped: (why: Stop) => void = () => {}
  const stopped = new Promise<Stop>((resolve) => (resolveStopped = resolve))
  const stop = (why: Stop) => {
    stopReason ??= why
    resolveStopped(stopReason)
  }
  const deliveries = new Deliveries(producer.options.bufferMemory, () => stop('failure'))
  let signals = 0
  const onSignal = () => {
    if (++signals === 1) {
      stop('signal')
      return
    }
    process.stderr.write(`samsa console-producer: interrupted again; ${deliveries.pending} records were not confirmed\n`)
    process.exit(1)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const input = process.stdin
  const prompt = input.isTTY === true && process.stdout.isTTY === true
  // Typed lines need no progress; piped input does.
  const progress = new Progress({ unit: 'records', label: 'delivered' })
  const showProgress = !input.isTTY
  const decoder = new StringDecoder('utf8')
  const splitter = new LineSplitter()
  let lineNumber = 0
  let parseError: unknown = null

  /** Sends the lines; false once a line does not parse. */
  const sendLines = async (lines: string[]): Promise<boolean> => {
    for (const line of lines) {
      let rec
      try {
        rec = parser.parse(line, ++lineNumber)
      } catch (e) {
        parseError = e
        return false
      }
      const p = producer.send({ topic: o.topic, key: rec.key, value: rec.value, headers: rec.headers })
      deliveries.track(p, lineNumber, line.length + 64)
      if (o.sync) {
        // One at a time as they arrive: the record goes out now, not after linger.ms.
        await producer.flush()
        await p.catch(() => {})
        if (stopReason) return true
      }
    }
    return true
  }

  try {
    if (prompt) process.stdout.write('>')
    const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>
    let eof = false
    for (;;) {
      const next = it.next()
      next.catch(() => {})
      const r = await Promise.race([next, stopped])
      if (typeof r === 'string') break
      if (r.done) {
        eof = true
        break
      }
      const text = typeof r.value === 'string' ? r.value : decoder.write(r.value)
      if (!(await sendLines(splitter.push(text)))) break
      if (stopReason) break
      const room = deliveries.room()
      if (room) await Promise.race([room, stopped])
      if (stopReason) break
      if (showProgress) progress.update(deliveries.delivered)
      if (prompt) process.stdout.write('>')
    }
    // At EOF the last line may lack its newline; Kafka sends it. After a stop it is dropped.
    if (eof && parseError === null && stopReason === null) await sendLines(splitter.push(decoder.end()).concat(splitter.end()))
    input.destroy()
    await producer.flush()
    await deliveries.settled()
  } finally {
    progress.done()
    await producer.close().catch(() => {})
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }

  const failedNote = () => {
    const f = deliveries.first!
    return `${deliveries.failed} of ${plural(deliveries.read, 'record')} ${deliveries.failed === 1 ? 'was' : 'were'} not delivered (the first, line ${f.line}: ${describeError(f.error)})`
  }
  if (parseError !== null) {
    const msg = describeError(parseError)
    throw new CliError(deliveries.failed > 0 ? `${msg}; also ${failedNote()}` : `${msg}; the ${plural(lineNumber - 1, 'line')} before it ${lineNumber - 1 === 1 ? 'was' : 'were'} delivered`)
  }
  if (deliveries.failed > 0) throw new CliError(`${failedNote()}; stopped reading after line ${lineNumber}`)
}
