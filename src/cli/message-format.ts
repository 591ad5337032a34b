/**
 * How `samsa console-consumer` prints records.
 *
 * The default formatter writes what Kafka's DefaultMessageFormatter writes, byte for byte:
 * the fields switched on with `print.*` in the order timestamp, partition, offset, delivery,
 * epoch, headers, key, value, joined by `key.separator` (tab), each record ended by
 * `line.separator` (newline). Timestamps print as `CreateTime:1700000000000` (or
 * `LogAppendTime:`, `NO_TIMESTAMP`), then `Partition:0`, `Offset:42`, `Delivery:NOT_PRESENT`
 * (only share groups count deliveries), `Epoch:3` (`Epoch:NOT_PRESENT`), headers as
 * `k1:v1,k2:v2` (`headers.separator`) or `NO_HEADERS`; a null key, value or header value
 * prints `null.literal` ("null"). Keys, values and header values are written as their raw
 * bytes unless a deserializer (`key.deserializer`, ...) names a Kafka type to decode them as.
 *
 * The JSON format (`--output json`) is Samsa's, for scripts: one object per line with topic,
 * partition, offset, timestamp, timestampType, leaderEpoch, key, value and headers (a list of
 * {key, value}, order and repeats kept). Keys and values that are valid UTF-8 are JSON
 * strings; any other bytes are base64, flagged by `keyEncoding` / `valueEncoding`: "base64"
 * beside the field (also on headers). Offsets are exact integers even past 2^53.
 *
 * A formatter turns one record into Buffers pushed onto a chunk that the consumer writes out
 * once per poll, so large volumes cost one write per poll, not per record.
 */
import { isUtf8 } from 'node:buffer'
import type { ConsumerRecord } from '../client/consumer/types.js'
import { usage } from './common.js'

/** Bytes gathered for one write. */
export class OutputChunk {
  parts: Buffer[] = []
  length = 0

  push(b: Buffer): void {
    this.parts.push(b)
    this.length += b.length
  }

  text(s: string): void {
    this.push(Buffer.from(s, 'utf8'))
  }

  take(): Buffer {
    const out = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.length)
    this.parts = []
    this.length = 0
    return out
  }

  /** Drops what was pushed since `mark` (a record that failed half-way through formatting). */
  rewind(mark: number): void {
    while (this.parts.length > mark) this.length -= this.parts.pop()!.length
  }
}

export interface MessageFormatter {
  /** Appends the record's output; throws when it cannot be formatted (a deserializer refused it). */
  write(record: ConsumerRecord, out: OutputChunk): void
}

// ---- deserializers -------------------------------------------------------------------------------

type Deserializer = (data: Buffer) => Buffer

const SERDE = 'org.apache.kafka.common.serialization.'
const utf8 = (s: string) => Buffer.from(s, 'utf8')

function sized(name: string, size: number, read: (b: Buffer) => string): Deserializer {
  return (b) => {
    if (b.length !== size) throw new Error(`Size of data received by ${name} is not ${size}`)
    return utf8(read(b))
  }
}

/** Kafka's deserializers the formatter knows, by class name (with or without the package). */
const DESERIALIZERS: Record<string, Deserializer> = {
  // Java decodes to a String and prints it: invalid UTF-8 comes out as U+FFFD.
  StringDeserializer: (b) => utf8(b.toString('utf8')),
  // Java would print the array's identity ("[B@1b6d3586"); the bytes themselves are more use.
  ByteArrayDeserializer: (b) => b,
  BytesDeserializer: (b) => b,
  ByteBufferDeserializer: (b) => b,
  ShortDeserializer: sized('ShortDeserializer', 2, (b) => String(b.readInt16BE(0))),
  IntegerDeserializer: sized('IntegerDeserializer', 4, (b) => String(b.readInt32BE(0))),
  LongDeserializer: sized('LongDeserializer', 8, (b) => String(b.readBigInt64BE(0))),
  UUIDDeserializer: (b) => {
    const s = b.toString('utf8')
    if (!/^[0-9a-f]{1,8}-[0-9a-f]{1,4}-[0-9a-f]{1,4}-[0-9a-f]{1,4}-[0-9a-f]{1,12}$/i.test(s)) throw new Error(`Error parsing data into UUID: '${s}'`)
    return utf8(s)
  },
}

function deserializer(name: string | undefined, property: string): Deserializer | null {
  if (name === undefined || name.trim() === '') return null
  const short = name.trim().startsWith(SERDE) ? name.trim().slice(SERDE.length) : name.trim()
  const d = DESERIALIZERS[short]
  if (!d) throw usage(`${property}=${name} is not a deserializer samsa knows; use one of ${Object.keys(DESERIALIZERS).map((n) => SERDE + n).join(', ')}`)
  return d
}

// ---- the default formatter -----------------------------------------------------------------------

const bool = (v: string | undefined, fallback: boolean) => (v === undefined ? fallback : v.trim().toLowerCase() === 'true')

const enum Field {
  Timestamp,
  Partition,
  Offset,
  Delivery,
  Epoch,
  Headers,
  Key,
  Value,
}

/** DefaultMessageFormatter, configured with its properties (`print.key=true`, `key.separator=,` ...). */
export class DefaultFormatter implements MessageFormatter {
  /** The fields switched on, in the order they print. */
  private readonly fields: Field[]
  private readonly keySeparator: Buffer
  private readonly lineSeparator: Buffer
  private readonly headersSeparator: Buffer
  private readonly nullLiteral: Buffer
  private readonly keyDeserializer: Deserializer | null
  private readonly valueDeserializer: Deserializer | null
  private readonly headersDeserializer: Deserializer | null

  constructor(props: Map<string, string>) {
    const on: Array<[string, boolean, Field]> = [
      ['print.timestamp', false, Field.Timestamp],
      ['print.partition', false, Field.Partition],
      ['print.offset', false, Field.Offset],
      ['print.delivery', false, Field.Delivery],
      ['print.epoch', false, Field.Epoch],
      ['print.headers', false, Field.Headers],
      ['print.key', false, Field.Key],
      ['print.value', true, Field.Value],
    ]
    this.fields = on.filter(([prop, fallback]) => bool(props.get(prop), fallback)).map(([, , f]) => f)
    this.keySeparator = utf8(props.get('key.separator') ?? '\t')
    this.lineSeparator = utf8(props.get('line.separator') ?? '\n')
    this.headersSeparator = utf8(props.get('headers.separator') ?? ',')
    this.nullLiteral = utf8(props.get('null.literal') ?? 'null')
    this.keyDeserializer = deserializer(props.get('key.deserializer'), 'key.deserializer')
    this.valueDeserializer = deserializer(props.get('value.deserializer'), 'value.deserializer')
    this.headersDeserializer = deserializer(props.get('headers.deserializer'), 'headers.deserializer')
  }

  private bytes(b: Buffer | null, d: Deserializer | null): Buffer {
    if (b === null) return this.nullLiteral
    return d ? d(b) : b
  }

  write(r: ConsumerRecord, out: OutputChunk): void {
    // Each field is followed by the key separator when another field comes after it, the last
    // one (whichever it is) by the line separator, as Kafka does.
    const fields = this.fields
    for (let i = 0; i < fields.length; i++) {
      switch (fields[i]!) {
        case Field.Timestamp:
          out.text(r.timestamp < 0 ? 'NO_TIMESTAMP' : `${r.timestampType}:${r.timestamp}`)
          break
        case Field.Partition:
          out.text(`Partition:${r.partition}`)
          break
        case Field.Offset:
          out.text(`Offset:${r.offset}`)
          break
        case Field.Delivery:
          out.text('Delivery:NOT_PRESENT')
          break
        case Field.Epoch:
          out.text(`Epoch:${r.leaderEpoch === null || r.leaderEpoch < 0 ? 'NOT_PRESENT' : r.leaderEpoch}`)
          break
        case Field.Headers:
          this.writeHeaders(r, out)
          break
        case Field.Key:
          out.push(this.bytes(r.key, this.keyDeserializer))
          break
        case Field.Value:
          out.push(this.bytes(r.value, this.valueDeserializer))
          break
      }
      out.push(i === fields.length - 1 ? this.lineSeparator : this.keySeparator)
    }
  }

  private writeHeaders(r: ConsumerRecord, out: OutputChunk): void {
    if (r.headers.length === 0) {
      out.text('NO_HEADERS')
      return
    }
    for (let i = 0; i < r.headers.length; i++) {
      const h = r.headers[i]!
      if (i > 0) out.push(this.headersSeparator)
      out.text(`${h.key}:`)
      out.push(this.bytes(h.value, this.headersDeserializer))
    }
  }
}

/** The fast path of the default settings: the value and a newline. */
class ValueOnlyFormatter implements MessageFormatter {
  private static readonly NULL = utf8('null')
  private static readonly NL = utf8('\n')
  write(r: ConsumerRecord, out: OutputChunk): void {
    out.push(r.value ?? ValueOnlyFormatter.NULL)
    out.push(ValueOnlyFormatter.NL)
  }
}

// ---- JSON ------------------------------------------------------------------------------------------

function jsonBytes(name: string, b: Buffer | null): string {
  if (b === null) return `"${name}":null`
  if (isUtf8(b)) return `"${name}":${JSON.stringify(b.toString('utf8'))}`
  return `"${name}":"${b.toString('base64')}","${name}Encoding":"base64"`
}

export class JsonFormatter implements MessageFormatter {
  write(r: ConsumerRecord, out: OutputChunk): void {
    const headers = r.headers.map((h) => `{"key":${JSON.stringify(h.key)},${jsonBytes('value', h.value)}}`).join(',')
    const type = r.timestamp < 0 ? 'NoTimestampType' : r.timestampType
    out.text(
      `{"topic":${JSON.stringify(r.topic)},"partition":${r.partition},"offset":${r.offset},"timestamp":${r.timestamp},"timestampType":"${type}",` +
        `"leaderEpoch":${r.leaderEpoch ?? null},${jsonBytes('key', r.key)},${jsonBytes('value', r.value)},"headers":[${headers}]}\n`,
    )
  }
}

// ---- choosing one ----------------------------------------------------------------------------------

/** What `--formatter` accepts: Kafka's class names (old and new packages) and short names. */
const FORMATTERS: Record<string, 'default' | 'logging' | 'noop'> = {
  default: 'default',
  DefaultMessageFormatter: 'default',
  'kafka.tools.DefaultMessageFormatter': 'default',
  'org.apache.kafka.tools.consumer.DefaultMessageFormatter': 'default',
  logging: 'logging',
  LoggingMessageFormatter: 'logging',
  'kafka.tools.LoggingMessageFormatter': 'logging',
  'org.apache.kafka.tools.consumer.LoggingMessageFormatter': 'logging',
  noop: 'noop',
  NoOpMessageFormatter: 'noop',
  'kafka.tools.NoOpMessageFormatter': 'noop',
  'org.apache.kafka.tools.consumer.NoOpMessageFormatter': 'noop',
}

export const FORMATTER_NAMES = ['org.apache.kafka.tools.consumer.DefaultMessageFormatter', 'org.apache.kafka.tools.consumer.LoggingMessageFormatter', 'org.apache.kafka.tools.consumer.NoOpMessageFormatter']

/**
 * The formatter for `--formatter name` with its properties. `log` receives the logging
 * formatter's one line per record (Kafka logs it at INFO).
 */
export function createFormatter(name: string, props: Map<string, string>, log: (line: string) => void): MessageFormatter {
  const kind = FORMATTERS[name.trim()]
  if (!kind) throw usage(`unknown --formatter ${name}; use one of ${FORMATTER_NAMES.join(', ')} (or --output json)`)
  if (kind === 'noop') return { write: () => {} }
  const onlyValue = [...props.keys()].every((k) => k === 'print.value' && bool(props.get(k), true))
  const base = onlyValue ? new ValueOnlyFormatter() : new DefaultFormatter(props)
  if (kind === 'default') return base
  return {
    write(r, out) {
      base.write(r, out)
      const ts = r.timestamp < 0 ? '' : `${r.timestampType}:${r.timestamp}, `
      log(`${ts}key:${r.key === null ? 'null ' : `${r.key.toString('utf8')}, `}value:${r.value === null ? 'null' : r.value.toString('utf8')}`)
    },
  }
}
