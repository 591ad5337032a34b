/**
 * What every `samsa` tool shares: the error a tool raises for the user (`CliError`), the one
 * line that error becomes, Kafka-style repeatable `key=value` flags, properties files, output
 * that survives a closed pipe, and an admin client that fails fast on an unreachable bootstrap
 * server instead of retrying for a minute.
 *
 * Exit codes: 0 success, 1 a failure at run time (broker error, unreachable server, unknown
 * topic), 2 a usage error (bad or missing flag; every numeric flag goes through
 * parseNumericFlag / parseLongFlag, which bound it by what the field behind it holds). Each failure prints one line on stderr,
 * `samsa <tool>: <what is wrong>; <what to do>`; the stack only with SAMSA_LOG_LEVEL=debug.
 */
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { parseProperties } from '../util/properties.js'
import { Admin } from '../client/admin/admin.js'
import { AdminError } from '../client/admin/common.js'
import { ClientError, ConnectionError, KafkaError, RequestTimeoutError } from '../client/base/errors.js'
import type { AdminOptions } from '../client/admin/options.js'
import { createLogger, parseLevel, type Logger } from '../util/logger.js'

export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** An error meant for the person at the terminal: what is wrong, and what to do about it. */
export class CliError extends Error {
  override name = 'CliError'
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message)
  }
}

/** A usage error: a bad or missing flag (exit code 2). */
export function usage(message: string): CliError {
  return new CliError(message, EXIT_USAGE)
}

/**
 * The one line an error becomes. Connection failures name the server and the fix; broker
 * errors keep Kafka's error name, which is what people search for.
 */
export function describeError(e: unknown): string {
  if (e instanceof CliError) return e.message
  if (e instanceof ConnectionError) {
    const fix = 'check --bootstrap-server and that a broker is running there (samsa server start)'
    // The client lists each address it tried; here the address once and the OS's reason will do.
    const tried = /^no broker reachable \((.*)\); check bootstrapServers/.exec(e.reason)
    if (!tried) return `${e.message}; ${fix}`
    const why = tried[1]!.replace(/bootstrap server (\S+): cannot connect: (connect )?/g, '$1: ')
    const one = e.broker.port !== 0
    return `cannot reach ${one ? 'the bootstrap server' : 'any bootstrap server'} (${why}); ${fix}`
  }
  if (e instanceof RequestTimeoutError) return `${e.message}; the broker is overloaded or unreachable, try again`
  if (e instanceof AdminError) return e.failures.map((f) => f.error.message).join('; ')
  if (e instanceof KafkaError) return e.message.includes(e.errorName) ? e.message : `${e.errorName}: ${e.message}`
  if (e instanceof ClientError) return e.message
  if (e instanceof Error) return e.message
  return String(e)
}

/** The exit code for an error: usage errors 2, everything else 1. */
export function exitCodeOf(e: unknown): number {
  if (e instanceof CliError) return e.exitCode
  if (e instanceof ClientError && e.code === 'INVALID_OPTION') return EXIT_USAGE
  return EXIT_FAILURE
}

/** Logger for the tools' clients: quiet (errors only) unless SAMSA_LOG_LEVEL says otherwise. */
export function toolLogger(): Logger {
  return createLogger({ level: parseLevel(process.env.SAMSA_LOG_LEVEL, 'error') })
}

// ---- flags ---------------------------------------------------------------------------------------

/** Commander accumulator for a repeatable flag (`--property a=b --property c=d`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** Splits `key=value` (the first '=' separates); `flag` names the flag in the error. */
export function splitKeyValue(kv: string, flag: string): [string, string] {
  const at = kv.indexOf('=')
  if (at <= 0) throw usage(`${flag} takes key=value, got '${kv}'`)
  return [kv.slice(0, at).trim(), kv.slice(at + 1)]
}

/** `k=v` entries (also comma-separated within one entry when `commas`) into a map, in order. */
export function keyValues(entries: string[] | undefined, flag: string, commas = false): Map<string, string> {
  const out = new Map<string, string>()
  for (const entry of entries ?? []) {
    for (const kv of commas ? splitTopLevelCommas(entry) : [entry]) {
      const [k, v] = splitKeyValue(kv, flag)
      out.set(k, v)
    }
  }
  return out
}

/**
 * Splits `a=1,b=[x,y],c=2` at the commas outside square brackets, as kafka-configs.sh reads
 * --add-config (list values go in brackets).
 */
export function splitTopLevelCommas(s: string): string[] {
  const out: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (c === '[') depth++
    else if (c === ']') depth = Math.max(0, depth - 1)
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i))
      start = i + 1
    }
  }
  out.push(s.slice(start))
  return out.map((x) => x.trim()).filter((x) => x !== '')
}

/** Reads a Java properties file (`--command-config`, `--producer.config`, ...). */
export function readPropertiesFile(path: string, flag: string): Map<string, string> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw usage(`${flag}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give the path of a properties file`)
  }
  return parseProperties(text)
}

// ---- numeric flags -------------------------------------------------------------------------------

export const INT16_MAX = 32_767
export const INT32_MAX = 2_147_483_647
export const INT64_MIN = -(2n ** 63n)
export const INT64_MAX = 2n ** 63n - 1n
/** Bounds of a count the tools keep as a JS number (Kafka's long where it cannot go higher in practice). */
export const SAFE_MAX = Number.MAX_SAFE_INTEGER

/**
 * What a numeric flag takes: an integer (Java's Integer.parseInt / Long.parseLong syntax:
 * optional sign and digits, nothing else) or, for `decimal`, a finite number; within [min, max].
 * `what` replaces "an integer from min to max" in the message where more values are allowed
 * ('earliest', -1, ...); `fix` says what to give instead.
 */
export interface NumericFlag<T extends number | bigint> {
  min: T
  max: T
  decimal?: boolean
  what?: string
  fix?: string
}

const INTEGER = /^[+-]?\d+$/
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

function outOfRange(flag: string, raw: string, spec: NumericFlag<number | bigint>): CliError {
  const what = spec.what ?? `${spec.decimal ? 'a number' : 'an integer'} from ${spec.min} to ${spec.max}`
  return usage(`${flag} must be ${what}, got '${raw}'; ${spec.fix ?? 'give a value in that range'}`)
}

/**
 * Every numeric flag of every tool is read here: a value that is not a number of the kind, or
 * lies outside the range the flag (and the protocol field behind it) can hold, is a usage error
 * (exit 2) naming the flag and the range, before anything is sent. Without it a partition count
 * of 99999999999 reached the request encoder and surfaced as Node's RangeError.
 */
export function parseNumericFlag(flag: string, raw: string, spec: NumericFlag<number>): number {
  const v = raw.trim()
  if (!(spec.decimal ? DECIMAL : INTEGER).test(v)) throw outOfRange(flag, raw, spec)
  const n = Number(v)
  if (!Number.isFinite(n) || n < spec.min || n > spec.max) throw outOfRange(flag, raw, spec)
  return n
}

/** A long-valued flag (offsets), exactly as a bigint. */
export function parseLongFlag(flag: string, raw: string, spec: NumericFlag<bigint>): bigint {
  const v = raw.trim()
  if (!INTEGER.test(v)) throw outOfRange(flag, raw, spec)
  const n = BigInt(v)
  if (n < spec.min || n > spec.max) throw outOfRange(flag, raw, spec)
  return n
}

/** Commander parser for an integer flag within [min, max] (default: a non-negative int32). */
export function intArg(flag: string, min = 0, max = INT32_MAX, fix?: string): (v: string) => number {
  return (v: string) => parseNumericFlag(flag, v, { min, max, ...(fix !== undefined ? { fix } : {}) })
}

/** Commander parser for a long flag within [min, max] (default: any long). */
export function longArg(flag: string, min = INT64_MIN, max = INT64_MAX, fix?: string): (v: string) => bigint {
  return (v: string) => parseLongFlag(flag, v, { min, max, ...(fix !== undefined ? { fix } : {}) })
}

/** Commander parser for a decimal flag (Kafka's Double): finite, within [min, max] (default: any). */
export function numberArg(flag: string, spec: Partial<NumericFlag<number>> = {}): (v: string) => number {
  return (v: string) => parseNumericFlag(flag, v, { min: -Number.MAX_VALUE, max: Number.MAX_VALUE, ...spec, decimal: true })
}

/** The flag every networked tool takes, as Kafka's tools spell it. */
export function bootstrapOption(cmd: Command, required = true): Command {
  const flags = '--bootstrap-server <host:port>'
  const text = 'the broker(s) to connect to, host:port[,host:port...]'
  return required ? cmd.requiredOption(flags, text) : cmd.option(flags, text)
}

// ---- output --------------------------------------------------------------------------------------

/** Writes to stdout; resolves once the data is handed to the OS (so an exit right after loses nothing). */
export function print(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve()
    else process.stdout.once('drain', resolve)
  })
}

// ---- clients -------------------------------------------------------------------------------------

/** How long a tool waits for the first answer from the bootstrap servers before giving up. */
export function connectTimeoutMs(): number {
  const v = Number(process.env.SAMSA_CLI_CONNECT_TIMEOUT_MS)
  return Number.isInteger(v) && v > 0 ? v : 10_000
}

/**
 * Opens an admin client and checks, within connectTimeoutMs(), that the cluster answers, so a
 * wrong --bootstrap-server fails in seconds with a clear line rather than after each call's
 * full retry budget.
 */
export async function openAdmin(bootstrap: string, extra: Partial<AdminOptions> = {}): Promise<Admin> {
  const admin = new Admin({ bootstrapServers: bootstrap, clientId: 'samsa-cli', logger: toolLogger(), ...extra })
  try {
    await admin.describeCluster({ timeoutMs: connectTimeoutMs() })
  } catch (e) {
    await admin.close().catch(() => {})
    throw e
  }
  return admin
}

/** Runs `fn` with an admin client on `bootstrap`, closing it afterwards. */
export async function withAdmin<T>(bootstrap: string, fn: (admin: Admin) => Promise<T>, extra: Partial<AdminOptions> = {}): Promise<T> {
  const admin = await openAdmin(bootstrap, extra)
  try {
    return await fn(admin)
  } finally {
    await admin.close().catch(() => {})
  }
}
