/**
 * How `samsa console-producer` turns input lines into records, with the properties of Kafka's
 * LineMessageReader (`--property parse.key=true --property key.separator=:`):
 *
 *   parse.headers=true, parse.key=true   h1:v1,h2:v2<TAB>key<TAB>value
 *   parse.key=true                       key<TAB>value
 *   parse.headers=true                   h1:v1,h2:v2<TAB>value
 *
 * `headers.separator` is a regular expression (Java's `Pattern.split`, so trailing empty pairs
 * vanish); the other separators are plain strings. A key, value, header value or whole header
 * list equal to `null.marker` becomes null (a null value is a tombstone). A line without the
 * separator it needs is an error naming the line, unless `ignore.error=true`: then the key (or
 * header list) is absent and the whole rest is the value, as Kafka does.
 *
 * LineSplitter cuts decoded text into lines where Java's BufferedReader.readLine does: at
 * "\n", "\r\n" or a lone "\r", across chunk boundaries; a last line without a terminator counts.
 */
import type { HeaderValue } from '../client/base/types.js'
import { CliError, usage } from './common.js'

export interface LineReaderConfig {
  parseKey: boolean
  keySeparator: string
  parseHeaders: boolean
  headersDelimiter: string
  headersSeparator: RegExp
  headersKeySeparator: string
  ignoreError: boolean
  nullMarker: string | null
}

export interface LineRecord {
  key: string | null
  value: string | null
  headers: Array<[string, HeaderValue]> | undefined
}

const bool = (v: string | undefined, fallback: boolean) => (v === undefined ? fallback : v.trim().toLowerCase() === 'true')

/** The reader's properties (from --property and --reader-config); unknown ones are ignored, as Kafka does. */
export function lineReaderConfig(props: Map<string, string>): LineReaderConfig {
  const keySeparator = props.get('key.separator') ?? '\t'
  const headersDelimiter = props.get('headers.delimiter') ?? '\t'
  const separator = props.get('headers.separator') ?? ','
  const headersKeySeparator = props.get('headers.key.separator') ?? ':'
  const nullMarker = props.get('null.marker') ?? null
  const clash = (a: [string, string | null], b: [string, string | null]) => {
    if (a[1] !== null && a[1] === b[1]) throw usage(`reader properties ${a[0]} and ${b[0]} may not be equal (both '${a[1]}'); give them different values`)
  }
  const d: [string, string] = ['headers.delimiter', headersDelimiter]
  const s: [string, string] = ['headers.separator', separator]
  const ks: [string, string] = ['headers.key.separator', headersKeySeparator]
  const nm: [string, string | null] = ['null.marker', nullMarker]
  clash(d, s)
  clash(d, ks)
  clash(s, ks)
  clash(nm, ['key.separator', keySeparator])
  clash(nm, s)
  clash(nm, d)
  clash(nm, ks)
  if (keySeparator === '') throw usage('reader property key.separator must not be empty')
  if (headersDelimiter === '' || headersKeySeparator === '') throw usage('reader properties headers.delimiter and headers.key.separator must not be empty')
  let headersSeparator: RegExp
  try {
    headersSeparator = new RegExp(separator)
  } catch (e) {
    throw usage(`reader property headers.separator='${separator}' is not a valid regular expression: ${(e as Error).message}`)
  }
  return {
    parseKey: bool(props.get('parse.key'), false),
    keySeparator,
    parseHeaders: bool(props.get('parse.headers'), false),
    headersDelimiter,
    headersSeparator,
    headersKeySeparator,
    ignoreError: bool(props.get('ignore.error'), false),
    nullMarker,
  }
}

/** Splits `s` as Java's String.split(regex) does: no match gives [s]; trailing empty parts are dropped. */
function javaSplit(s: string, re: RegExp): string[] {
  const parts = s.split(re)
  if (parts.length === 1) return parts
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop()
  return parts
}

export class LineParser {
  constructor(private readonly c: LineReaderConfig) {}

  /** The record a line stands for; a CliError naming the line when a separator is missing. */
  parse(line: string, lineNumber: number): LineRecord {
    const c = this.c
    const headerText = c.parseHeaders ? this.field(line, 0, c.headersDelimiter, 'headers delimiter', lineNumber) : null
    const keyStart = headerText === null ? 0 : headerText.length + c.headersDelimiter.length
    const key = c.parseKey ? this.field(line, keyStart, c.keySeparator, 'key separator', lineNumber) : null
    const valueStart = keyStart + (key === null ? 0 : key.length + c.keySeparator.length)
    const value = line.slice(valueStart)
    return {
      key: key === null || key === c.nullMarker ? null : key,
      value: value === c.nullMarker ? null : value,
      headers: headerText === null || headerText === c.nullMarker ? undefined : this.headers(headerText, lineNumber),
    }
  }

  /** The text from `start` to the next `separator`; null when absent and errors are ignored. */
  private field(line: string, start: number, separator: string, name: string, lineNumber: number): string | null {
    const at = line.indexOf(separator, start)
    if (at >= 0) return line.slice(start, at)
    if (this.c.ignoreError) return null
    throw new CliError(`No ${name} found on line number ${lineNumber}: '${line}'; fix the input, or set --property ${name === 'key separator' ? 'key.separator' : 'headers.delimiter'}=... to the separator it uses (--property ignore.error=true sends such lines anyway)`)
  }

  private headers(text: string, lineNumber: number): Array<[string, HeaderValue]> {
    const c = this.c
    return javaSplit(text, c.headersSeparator).map((pair): [string, HeaderValue] => {
      const at = pair.indexOf(c.headersKeySeparator)
      if (at < 0) {
        if (c.ignoreError) return [pair, null]
        throw new CliError(`No header key separator found in pair '${pair}' on line number ${lineNumber}; headers are written k1${c.headersKeySeparator}v1,k2${c.headersKeySeparator}v2 (set --property headers.key.separator=... otherwise)`)
      }
      const k = pair.slice(0, at)
      if (k === c.nullMarker) throw new CliError(`Header keys should not be equal to the null marker '${c.nullMarker}' as they can't be null (line number ${lineNumber})`)
      const v = pair.slice(at + c.headersKeySeparator.length)
      return [k, v === c.nullMarker ? null : v]
    })
  }
}

/** Cuts text into lines at \n, \r\n and lone \r, as BufferedReader.readLine. */
export class LineSplitter {
  private rest = ''
  /** The previous text ended in "\r": a "\n" opening the next one belongs to it. */
  private afterCR = false

  push(text: string): string[] {
    let s = this.rest + text
    if (this.afterCR && s.startsWith('\n')) s = s.slice(1)
    this.afterCR = s.endsWith('\r')
    const lines = s.split(/\r\n|\r|\n/)
    this.rest = lines.pop()!
    return lines
  }

  /** At end of input: the last line, if it had no terminator. */
  end(): string[] {
    const r = this.rest
    this.rest = ''
    return r === '' ? [] : [r]
  }

  /** Characters of the unfinished line held back. */
  get pending(): number {
    return this.rest.length
  }
}
