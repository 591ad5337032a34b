/**
 * This broker's connections to other brokers for requests it sends itself (transaction markers,
 * transaction verification): one connection per broker, opened on first use at the address
 * metadata registers, reopened when it closed or the broker's address changed, dropped by the
 * caller after a failed request. The replica fetchers keep their own connections (one per fetch
 * loop, with their own timeouts). Both connect with the inter-broker listener's security.
 */
import { BrokerConnection } from '../client/base/connection.js'
import type { MetadataView } from '../metadata/types.js'
import { PLAINTEXT_INTER_BROKER, type InterBrokerSecurity } from './inter-broker-security.js'

/** A receiving leader waits up to 30 s for its in-sync replicas (WriteTxnMarkers); a request may take that long. */
const REQUEST_TIMEOUT_MS = 40_000
const CONNECT_TIMEOUT_MS = 10_000

interface Peer {
  host: string
  port: number
  conn: Promise<BrokerConnection>
}

export class BrokerPeers {
  private readonly peers = new Map<number, Peer>()
  private readonly abort = new AbortController()

  constructor(
    private readonly metadata: Pick<MetadataView, 'brokers'>,
    private readonly clientId: string,
    private readonly security: InterBrokerSecurity = PLAINTEXT_INTER_BROKER,
  ) {}

  get signal(): AbortSignal {
    return this.abort.signal
  }

  /** A connection to broker `nodeId`; undefined when metadata has no such broker registered. */
  async connection(nodeId: number): Promise<BrokerConnection | undefined> {
    const b = this.metadata.brokers().find((x) => x.nodeId === nodeId)
    if (!b) return undefined
    const peer = this.peers.get(nodeId)
    if (peer && peer.host === b.host && peer.port === b.port) {
      const c = await peer.conn
      if (!c.isClosed) return c
    } else if (peer) void peer.conn.then((c) => c.close(), () => undefined)
    return this.open(nodeId, b.host, b.port)
  }

  private open(nodeId: number, host: string, port: number): Promise<BrokerConnection> {
    const conn = BrokerConnection.open(
      { host, port, nodeId, clientId: this.clientId, connectTimeoutMs: CONNECT_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, maxInFlight: 5, ...this.security() },
      this.abort.signal,
    )
    const peer: Peer = { host, port, conn }
    this.peers.set(nodeId, peer)
    conn.catch(() => {
      if (this.peers.get(nodeId) === peer) this.peers.delete(nodeId)
    })
    return conn
  }

  /** Closes a connection a request failed on; the next request opens a new one. */
  drop(nodeId: number, conn: BrokerConnection): void {
    conn.close()
    const peer = this.peers.get(nodeId)
    if (peer) void peer.conn.then((c) => c === conn && this.peers.get(nodeId) === peer && this.peers.delete(nodeId), () => undefined)
  }

  close(): void {
    this.abort.abort()
    for (const p of this.peers.values()) void p.conn.then((c) => c.close(), () => undefined)
    this.peers.clear()
  }
}
