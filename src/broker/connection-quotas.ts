/**
 * Kafka's connection quotas: max.connections for the broker, max.connections.per.ip (with
 * max.connections.per.ip.overrides) per client address. A connection over a limit is closed
 * at accept, and the refusal is logged at most once a minute per address, so a client
 * reconnecting in a loop cannot flood the log.
 */
import type { Logger } from '../util/logger.js'
import type { Clock } from '../storage/clock.js'

const LOG_EVERY_MS = 60_000
/** Addresses remembered for log rate limiting; the map is cleared past this (a flood of addresses). */
const MAX_LOGGED_ADDRESSES = 10_000

export interface ConnectionQuotaOptions {
  maxConnections: number
  maxPerIp: number
  /** IP address -> its own limit. */
  overrides: ReadonlyMap<string, number>
  logger: Logger
  clock: Clock
}

/** The address as quotas count it: an IPv4 client of a dual-stack listener counts as its IPv4 address. */
export function clientIp(address: string | undefined): string {
  const a = (address ?? '').toLowerCase()
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a
}

export class ConnectionQuotas {
  private total = 0
  private readonly perIp = new Map<string, number>()
  private readonly lastLogged = new Map<string, number>()

  constructor(private readonly opts: ConnectionQuotaOptions) {}

  get connections(): number {
    return this.total
  }

  /** Counts a new connection from `ip` in, or returns why it must be closed. */
  admit(ip: string): string | undefined {
    if (this.total >= this.opts.maxConnections) {
      return `the broker already has the configured maximum of ${this.opts.maxConnections} connections (max.connections)`
    }
    const n = this.perIp.get(ip) ?? 0
    const limit = this.opts.overrides.get(ip) ?? this.opts.maxPerIp
    if (n >= limit) {
      return `address ${ip} already has the configured maximum of ${limit} connections (max.connections.per.ip${this.opts.overrides.has(ip) ? '.overrides' : ''})`
    }
    this.total++
    this.perIp.set(ip, n + 1)
    return undefined
  }

  release(ip: string): void {
    const n = this.perIp.get(ip)
    if (n === undefined) return
    this.total--
    if (n <= 1) this.perIp.delete(ip)
    else this.perIp.set(ip, n - 1)
  }

  refused(ip: string, reason: string): void {
    const now = this.opts.clock.now()
    const last = this.lastLogged.get(ip)
    if (last !== undefined && now - last < LOG_EVERY_MS) return
    if (this.lastLogged.size >= MAX_LOGGED_ADDRESSES) this.lastLogged.clear()
    this.lastLogged.set(ip, now)
    this.opts.logger.warn(`refusing connection: ${reason}; further refusals of this address are not logged for a minute`, { client: ip })
  }
}
