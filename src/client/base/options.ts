/**
 * Options every client shares. Each maps onto the Kafka client property named beside it and
 * takes Kafka's default.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import { createLogger, type Logger } from '../../util/logger.js'
import { ClientError } from './errors.js'
import { saslClientFactory, type SaslClient, type SaslOptions } from './sasl/index.js'

export interface BaseOptions {
  /** bootstrap.servers: "host:port" entries (or one comma-separated string). Required. */
  bootstrapServers: string[] | string
  /** client.id (default "samsa"). */
  clientId?: string
  /** request.timeout.ms (default 30000). */
  requestTimeoutMs?: number
  /** socket.connection.setup.timeout.ms (default 10000). */
  connectTimeoutMs?: number
  /** retry.backoff.ms (default 100): first wait before a retry, doubled up to retryBackoffMaxMs. */
  retryBackoffMs?: number
  /** retry.backoff.max.ms (default 1000). */
  retryBackoffMaxMs?: number
  /** metadata.max.age.ms (default 300000): metadata older than this is refreshed before use. */
  metadataMaxAgeMs?: number
  /** max.in.flight.requests.per.connection (default 5). */
  maxInFlightRequestsPerConnection?: number
  /** Structured logger; default: JSON lines on stderr at SAMSA_LOG_LEVEL (warn). */
  logger?: Logger
  /**
   * TLS (security.protocol SSL / SASL_SSL): `true` for the system's CAs, or Node's
   * tls.connect options (ca, cert, key, passphrase, rejectUnauthorized, servername...).
   */
  ssl?: boolean | TlsConnectionOptions
  /** SASL (security.protocol SASL_PLAINTEXT / SASL_SSL), kafkajs's shape. */
  sasl?: SaslOptions
}

export interface ResolvedBaseOptions {
  bootstrapServers: Array<{ host: string; port: number }>
  clientId: string
  requestTimeoutMs: number
  connectTimeoutMs: number
  retryBackoffMs: number
  retryBackoffMaxMs: number
  metadataMaxAgeMs: number
  maxInFlightRequestsPerConnection: number
  logger: Logger
  /** TLS options for every connection; undefined for plaintext. */
  ssl: TlsConnectionOptions | undefined
  /** A fresh SASL client per connection; undefined without SASL. */
  sasl: (() => SaslClient) | undefined
}

export function parseHostPort(s: string): { host: string; port: number } {
  const t = s.trim().replace(/^[a-z]+:\/\//i, '')
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(t)
  if (!m) throw new ClientError('INVALID_OPTION', `bootstrap server "${s}" is not host:port (for example localhost:9092)`)
  const port = Number(m[2])
  if (port < 1 || port > 65535) throw new ClientError('INVALID_OPTION', `bootstrap server "${s}" has port ${port}, outside 1-65535`)
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port }
}

/** Checks an optional numeric option: integer within [min, max]. */
export function intOption(name: string, v: number | undefined, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ClientError('INVALID_OPTION', `option ${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`)
  }
  return v
}

export function resolveBaseOptions(o: BaseOptions): ResolvedBaseOptions {
  if (o === undefined || o === null || o.bootstrapServers === undefined) {
    throw new ClientError('INVALID_OPTION', 'option bootstrapServers is required (for example ["localhost:9092"])')
  }
  const list = typeof o.bootstrapServers === 'string' ? o.bootstrapServers.split(',') : o.bootstrapServers
  const bootstrapServers = list.filter((s) => s.trim() !== '').map(parseHostPort)
  if (bootstrapServers.length === 0) throw new ClientError('INVALID_OPTION', 'option bootstrapServers is empty')
  const retryBackoffMs = intOption('retryBackoffMs', o.retryBackoffMs, 100)
  return {
    bootstrapServers,
    clientId: o.clientId ?? 'samsa',
    requestTimeoutMs: intOption('requestTimeoutMs', o.requestTimeoutMs, 30_000, 1),
    connectTimeoutMs: intOption('connectTimeoutMs', o.connectTimeoutMs, 10_000, 1),
    retryBackoffMs,
    retryBackoffMaxMs: Math.max(retryBackoffMs, intOption('retryBackoffMaxMs', o.retryBackoffMaxMs, 1000)),
    metadataMaxAgeMs: intOption('metadataMaxAgeMs', o.metadataMaxAgeMs, 300_000),
    maxInFlightRequestsPerConnection: intOption('maxInFlightRequestsPerConnection', o.maxInFlightRequestsPerConnection, 5, 1),
    logger: o.logger ?? createLogger({ base: { client: o.clientId ?? 'samsa' } }),
    ssl: sslOption(o.ssl),
    sasl: saslClientFactory(o.sasl),
  }
}

function sslOption(v: BaseOptions['ssl']): TlsConnectionOptions | undefined {
  if (v === undefined || v === false) return undefined
  if (v === true) return {}
  if (typeof v !== 'object' || v === null) throw new ClientError('INVALID_OPTION', `option ssl must be true or tls.connect options ({ ca, cert, key, ... }), got ${JSON.stringify(v)}`)
  return v
}

/** Exponential backoff with ±20% jitter (KIP-580), attempt counted from 0. */
export function backoffMs(o: Pick<ResolvedBaseOptions, 'retryBackoffMs' | 'retryBackoffMaxMs'>, attempt: number): number {
  const base = Math.min(o.retryBackoffMaxMs, o.retryBackoffMs * 2 ** Math.min(attempt, 20))
  return Math.round(base * (0.8 + Math.random() * 0.4))
}
