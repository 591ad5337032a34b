/**
 * Errors the clients throw. Every one has a stable string `code` and says whether retrying can
 * help, so applications branch on data rather than on message text:
 *
 * - `KafkaError` (from the protocol layer): an error code a broker returned; `errorName` is
 *   Kafka's name (NOT_LEADER_OR_FOLLOWER), `code` the wire number.
 * - `ConnectionError`: a broker could not be reached or dropped the connection; the message
 *   names the broker (id and address) and the reason.
 * - `RequestTimeoutError`: no response within `requestTimeoutMs`.
 * - `AuthenticationError`: TLS or SASL authentication failed (a refused password or token, an
 *   untrusted broker certificate); never retriable, the message has the broker's reason.
 * - `ClientError`: misuse or a state the client refuses (closed client, bad option, record too
 *   large for the buffer), with `code` such as 'INVALID_OPTION'.
 */
export { KafkaError } from '../../protocol/errors.js'
import { KafkaError } from '../../protocol/errors.js'

export type ClientErrorCode =
  | 'INVALID_OPTION'
  | 'CLIENT_CLOSED'
  | 'RECORD_TOO_LARGE'
  | 'BUFFER_EXHAUSTED'
  | 'DELIVERY_TIMEOUT'
  | 'UNSUPPORTED_VERSION'
  | 'NO_OFFSET'
  | 'ILLEGAL_STATE'
  | 'ABORTED'

export class ClientError extends Error {
  override name = 'ClientError'
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly retriable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** Where a broker is, for messages: "broker 1 (127.0.0.1:9092)" or "bootstrap server h:p". */
export interface BrokerAddress {
  nodeId: number | null
  host: string
  port: number
}

export function describeBroker(b: BrokerAddress): string {
  if (b.nodeId !== null && b.nodeId >= 0) return `broker ${b.nodeId} (${b.host}:${b.port})`
  return b.port === 0 ? `bootstrap servers ${b.host}` : `bootstrap server ${b.host}:${b.port}`
}

/**
 * The address to name when none of the bootstrap servers answered: the server itself when
 * there is one, else the whole list (port 0 marks a list, which describeBroker prints as is).
 */
export function bootstrapAddress(servers: Array<{ host: string; port: number }>): BrokerAddress {
  if (servers.length === 1) return { nodeId: null, host: servers[0]!.host, port: servers[0]!.port }
  return { nodeId: null, host: servers.map((a) => `${a.host}:${a.port}`).join(','), port: 0 }
}

export class ConnectionError extends Error {
  override name = 'ConnectionError'
  readonly code = 'CONNECTION_ERROR'
  readonly retriable = true
  constructor(
    readonly broker: BrokerAddress,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${describeBroker(broker)}: ${reason}`, options)
  }
}

/**
 * TLS or SASL authentication failed: retrying with the same credentials cannot help, so the
 * clients give up at once (Kafka's AuthenticationException is not retriable either).
 */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError'
  readonly retriable = false
  constructor(
    readonly broker: BrokerAddress,
    /** Kafka's error name: SASL_AUTHENTICATION_FAILED, UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE, SSL_AUTHENTICATION_FAILED. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${describeBroker(broker)}: ${message}`, options)
  }
}

export class RequestTimeoutError extends Error {
  override name = 'RequestTimeoutError'
  readonly code = 'REQUEST_TIMED_OUT'
  readonly retriable = true
  constructor(
    readonly broker: BrokerAddress,
    readonly api: string,
    readonly timeoutMs: number,
  ) {
    super(`${describeBroker(broker)}: no ${api} response within ${timeoutMs} ms`)
  }
}

/** True for errors worth retrying: retriable broker codes, dropped connections, timeouts. */
export function isRetriable(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { retriable?: unknown }).retriable === true
}

/** A KafkaError for a non-zero code, with context in the message; undefined for 0. */
export function errorFor(code: number, context?: string): KafkaError | undefined {
  if (code === 0) return undefined
  const e = new KafkaError(code)
  e.message = `${context ? context + ': ' : ''}${e.errorName}: ${e.message}`
  return e
}

/** The reason an AbortSignal carries, as an Error. */
export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason
  return r instanceof Error ? r : new ClientError('ABORTED', r === undefined ? 'operation aborted' : String(r))
}
