/**
 * A broker process: metadata store, partition logs, listeners, connections and the handler
 * registry. `start()` opens the store and the logs (recovering them if needed), then binds the
 * listeners (port 0 picks a free port; the advertised address then uses the real one).
 * Config that cannot be served (TLS listeners, SASL without users, unknown advertised names, limits that
 * contradict each other) and unwritable log dirs are refused before anything is opened.
 * Accepted connections pass the connection quotas and share one request memory budget; a
 * sweep closes idle connections and requests that arrive too slowly.
 * `close()` stops accepting, ends long polls, closes connections, then flushes every log and
 * leaves the clean-shutdown marker.
 */
import { lookup } from 'node:dns/promises'
import { createServer, isIP, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import { listenerTls, watchTls, type ListenerTls } from '../security/tls.js'
import { hostname } from 'node:os'
import type { MetadataStore } from '../metadata/store.js'
import { createBrokerAuthorizer } from '../security/authorizer/broker-authorizer.js'
import type { BrokerInfo, TopicInfo } from '../metadata/types.js'
import { FaultHooks } from '../util/faults.js'
import { BrokerPeers } from './broker-peers.js'
import { interBrokerSecurity } from './inter-broker-security.js'
import { TxnVerifier } from './txn-verification.js'
import { systemClock, type Clock } from '../storage/clock.js'
import { systemTime, type Time } from '../util/time.js'
import { ensureLogDir } from '../storage/log-dir.js'
import { createLogger, isLevel, LEVELS, parseLevel, type Logger } from '../util/logger.js'
import {
  checkBrokerConfig,
  ConfigError,
  effectiveQueuedMaxRequestBytes,
  interBrokerListener,
  loadBrokerConfig,
  parseConnectionOverrides,
  resolveListeners,
  type BrokerConfig,
  type ResolvedListener,
} from './config.js'
import { saslListenerConfig } from '../security/listener-security.js'
import type { KafkaPrincipal } from '../security/principal.js'
import { BufferPool } from './buffer-pool.js'
import { Connection, type ConnectionOptions } from './connection.js'
import { clientIp, ConnectionQuotas } from './connection-quotas.js'
import { RequestMemory } from './request-memory.js'
import { attachCoordinator, attachGroupCoordinator, createGroupCoordinator, createTxnCoordinator } from './coordinator-partitions.js'
import { TRANSACTION_STATE_TOPIC } from '../coordinator/txn/coordinator.js'
import { FetchSessionCache } from './fetch-session.js'
import { ProducerIdManager } from './producer-ids.js'
import type { BrokerContext } from './handler.js'
import { defaultHandlers } from './handlers/index.js'
import { ReplicaManager } from './replica-manager.js'
import { joinCluster, openMetadataStore, type ClusterMembership } from './cluster-membership.js'
import { createTopic } from './topic-admin.js'
import { ClientQuotaManager } from './quotas/client-quota-manager.js'

export interface BrokerOptions {
  config?: BrokerConfig
  logger?: Logger
  /** Time for connection limits (idle, read timeout); tests pass a ManualClock. */
  clock?: Clock
  /** Time for delayed operations (acks=-1 timeouts) and follower fetch state; tests pass a ManualTime. */
  time?: Time
  /**
   * Opens the metadata store instead of the one the config names: tests run several brokers in
   * one process on one shared store (test/helpers/shared-metadata.ts). `self` gives this
   * broker's advertised address once its listeners are bound.
   */
  metadataStore?: (self: () => BrokerInfo) => Promise<MetadataStore>
}

/** Idle buffers the broker keeps for reuse (Produce bodies, fetched records): about one full fetch response of a consumer of 6 partitions, or a few produce requests of a megabyte. */
const BUFFER_POOL_IDLE_BYTES = 32 * 1024 * 1024

/** How often connections are checked against their time limits, at most. */
const MAX_SWEEP_MS = 1000

export interface BoundListener extends ResolvedListener {
  /** The address clients are told to use. */
  advertisedHost: string
  advertisedPort: number
}

export class Broker {
  readonly config: BrokerConfig
  readonly logger: Logger
  readonly nodeId: number
  /** Fault hooks of this broker's storage: tests arm a point to make the next write, fsync, ... fail. */
  readonly faults = new FaultHooks()
  private ctx: BrokerContext | undefined
  private readonly shutdown = new AbortController()
  private readonly servers: Server[] = []
  private readonly connections = new Set<Connection>()
  private bound: BoundListener[] = []
  private closing: Promise<void> | undefined
  private readonly clock: Clock
  private readonly time: Time | undefined
  private readonly openStore: ((self: () => BrokerInfo) => Promise<MetadataStore>) | undefined
  /** Broker-wide budget of request bytes read and not yet answered (queued.max.request.bytes). */
  readonly requestMemory: RequestMemory
  /** Produce request bodies and fetched records, reused (connection.ts); at most BUFFER_POOL_IDLE_BYTES idle. */
  readonly bufferPool = new BufferPool(BUFFER_POOL_IDLE_BYTES, { poison: process.env.SAMSA_DEBUG_POISON_POOL === '1' })
  private quotas: ConnectionQuotas | undefined
  private connectionOptions: ConnectionOptions | undefined
  /** Per listener name: its connections' options (the listener and its SASL set-up). */
  private readonly listenerOptions = new Map<string, ConnectionOptions>()
  private sweeper: NodeJS.Timeout | undefined
  /** Raw sockets of TLS listeners (until they close). */
  private readonly handshaking = new Set<Socket>()
  /** TLS listeners' set-up, by listener name. */
  private readonly tls = new Map<string, ListenerTls>()
  /** Stop watching TLS key and certificate files. */
  private readonly unwatch: Array<() => void> = []
  /** metadata.store=etcd: registration, election and the controller. */
  private membership: ClusterMembership | undefined
  /** Connections to other brokers for the requests this broker sends (markers, verification). */
  private peers: BrokerPeers | undefined

  constructor(opts: BrokerOptions = {}) {
    this.config = opts.config ?? loadBrokerConfig()
    const envLevel = process.env.SAMSA_LOG_LEVEL
    if (!opts.logger && envLevel !== undefined && !isLevel(envLevel)) {
      throw new ConfigError(`invalid value ${JSON.stringify(envLevel)} for SAMSA_LOG_LEVEL: must be one of: ${LEVELS.join(', ')}`)
    }
    this.logger = opts.logger ?? createLogger({ level: parseLevel(envLevel ?? this.config.get('log.level'), 'warn') })
    this.nodeId = this.config.get('broker.id')
    this.clock = opts.clock ?? systemClock
    this.time = opts.time
    this.openStore = opts.metadataStore
    this.requestMemory = new RequestMemory(effectiveQueuedMaxRequestBytes(this.config))
  }

  /** Open client connections. */
  get connectionCount(): number {
    return this.connections.size
  }

  /**
   * Request body bytes the open connections copied from one read buffer into another; large
   * requests on plain listeners are read in place and add little (tests check that).
   */
  get requestBytesCopied(): number {
    let n = 0
    for (const c of this.connections) n += c.copiedRequestBytes
    return n
  }

  /** What handlers see; available once start() has opened the store and the logs. */
  get context(): BrokerContext {
    if (!this.ctx) throw new Error('broker not started')
    return this.ctx
  }

  get metadata(): MetadataStore {
    return this.context.metadata
  }

  get replicas(): ReplicaManager {
    return this.context.replicas
  }

  /**
   * Creates a topic as CreateTopics does (for embedding and tests); partitions default to
   * num.partitions. Throws KafkaError (TOPIC_ALREADY_EXISTS, INVALID_CONFIG, ...).
   */
  async createTopic(name: string, partitions?: number, configs: Record<string, string> = {}): Promise<TopicInfo> {
    const created = await createTopic(this.context, { name, ...(partitions !== undefined ? { partitions } : {}), configs })
    return created.topic!
  }

  /** The listeners as bound (real ports), after start(). */
  get listeners(): readonly BoundListener[] {
    return this.bound
  }

  /**
   * This broker as registered: host and port of the inter-broker listener (what replica
   * fetchers use), and every listener's advertised address for Metadata.
   */
  private self(): BrokerInfo {
    const l = this.bound.length > 0 ? interBrokerListener(this.config, this.bound) : undefined
    const rack = this.config.get('broker.rack')
    return {
      nodeId: this.nodeId,
      host: l?.advertisedHost ?? 'localhost',
      port: l?.advertisedPort ?? 0,
      rack: rack || null,
      ...(this.bound.length > 0 ? { endpoints: this.bound.map((b) => ({ listener: b.name, host: b.advertisedHost, port: b.advertisedPort })) } : {}),
    }
  }

  async start(): Promise<void> {
    // Everything that can be refused is refused before a file is touched.
    checkBrokerConfig(this.config)
    // TLS keys and certificates are loaded (and refused) before anything is opened too.
    for (const l of resolveListeners(this.config).listeners) {
      if (l.securityProtocol === 'SSL' || l.securityProtocol === 'SASL_SSL') this.tls.set(l.name, listenerTls(this.config, l.name))
      saslListenerConfig(this.config, l)
    }
    // Brokers reach each other through the inter-broker listener, with its TLS and SASL.
    const interBroker = interBrokerSecurity(this.config)
    const logDirs = this.config.get('log.dirs')
    if (logDirs.length === 0) throw new Error('log.dirs is empty: set log.dirs (or log.dir) to where the broker keeps its data')
    for (const dir of logDirs) await ensureLogDir(dir, this.faults)
    const store = this.openStore
      ? await this.openStore(() => this.self())
      : await openMetadataStore({ config: this.config, self: () => this.self(), logger: this.logger, faults: this.faults })
    let replicas: ReplicaManager
    try {
      replicas = await ReplicaManager.open({ config: this.config, store, logger: this.logger, nodeId: this.nodeId, faults: this.faults, interBroker, ...(this.time ? { time: this.time } : {}) })
    } catch (err) {
      await store.close()
      throw err
    }
    const producerIds = new ProducerIdManager(store)
    const groups = createGroupCoordinator({ nodeId: this.nodeId, config: this.config, metadata: store, replicas, logger: this.logger })
    const peers = new BrokerPeers(store, `samsa-broker-${this.nodeId}`, interBroker)
    this.peers = peers
    const txns = createTxnCoordinator({ nodeId: this.nodeId, config: this.config, metadata: store, replicas, logger: this.logger, producerIds, groups, faults: this.faults, peers }, this.time)
    const txnVerifier = new TxnVerifier({ nodeId: this.nodeId, config: this.config, metadata: store, replicas, logger: this.logger, txns }, peers)
    this.ctx = {
      nodeId: this.nodeId,
      config: this.config,
      metadata: store,
      replicas,
      fetchSessions: new FetchSessionCache(),
      producerIds,
      groups,
      txns,
      txnVerifier,
      handlers: defaultHandlers(),
      authorizer: createBrokerAuthorizer(this.config, store),
      logger: this.logger,
      faults: this.faults,
      shutdown: this.shutdown.signal,
      quotas: new ClientQuotaManager({
        table: () => store.clientQuotas(),
        time: this.time ?? systemTime,
        samples: this.config.get('quota.window.num'),
        windowMs: this.config.get('quota.window.size.seconds') * 1000,
      }),
    }
    try {
      // Groups are loaded before clients can connect, so the first request finds them.
      await attachGroupCoordinator(this.ctx, this.ctx.groups)
      await attachCoordinator(this.ctx, TRANSACTION_STATE_TOPIC, this.ctx.txns)
      await this.listen()
      // metadata.store=etcd: registration needs the advertised address, so it follows listen().
      this.membership = await joinCluster({ store, config: this.config, self: this.self(), logger: this.logger, uncleanLeaderElection: (t) => replicas.effectiveConfigs(t).get('unclean.leader.election.enable')?.value === 'true' })
    } catch (err) {
      await this.close()
      throw err
    }
  }

  private async listen(): Promise<void> {
    const { listeners, advertised } = resolveListeners(this.config)
    this.quotas = new ConnectionQuotas({
      maxConnections: this.config.get('max.connections'),
      maxPerIp: this.config.get('max.connections.per.ip'),
      overrides: await resolveOverrides(this.config.get('max.connections.per.ip.overrides')),
      logger: this.logger,
      clock: this.clock,
    })
    this.connectionOptions = {
      maxRequestSize: this.config.get('socket.request.max.bytes'),
      maxInFlight: this.config.get('queued.max.requests'),
      memory: this.requestMemory,
      buffers: this.bufferPool,
      clock: this.clock,
      idleMs: this.config.get('connections.max.idle.ms'),
      readTimeoutMs: this.config.get('samsa.request.read.timeout.ms'),
    }
    const limits = [this.connectionOptions.idleMs, this.connectionOptions.readTimeoutMs].filter((ms) => ms > 0)
    if (limits.length > 0) {
      this.sweeper = setInterval(() => this.checkConnectionTimeouts(), Math.max(1, Math.min(MAX_SWEEP_MS, ...limits.map((ms) => ms / 4))))
      this.sweeper.unref()
    }
    for (const l of listeners) {
      const sasl = saslListenerConfig(this.config, l, this.time ?? systemTime, this.context.metadata)
      const options: ConnectionOptions = { ...this.connectionOptions, listener: { name: l.name, ...(sasl ? { sasl } : {}) }, ...(this.time ? { time: this.time } : {}) }
      this.listenerOptions.set(l.name, options)
      const tls = this.tls.get(l.name)
      // allowHalfOpen: a client may send its requests and end its side; it still gets every answer.
      const server = tls ? this.tlsServer(l.name, l.securityProtocol === 'SSL', tls, options) : createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.accept(socket, options))
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen({ port: l.port, host: l.host || undefined }, () => {
          server.off('error', reject)
          resolve()
        })
      })
      server.on('error', (err) => this.logger.error('listener error', { listener: l.name, error: err.message }))
      this.servers.push(server)
      const addr = server.address()
      const port = typeof addr === 'object' && addr ? addr.port : l.port
      const adv = advertised.find((a) => a.name === l.name)
      const advertisedHost = adv?.host || (l.host && l.host !== '0.0.0.0' && l.host !== '::' ? l.host : hostname())
      const advertisedPort = adv && adv.port !== 0 ? adv.port : port
      this.bound.push({ ...l, port, advertisedHost, advertisedPort })
      if (!adv && (l.host === '' || l.host === '0.0.0.0' || l.host === '::')) {
        this.logger.warn('listener binds all interfaces without advertised.listeners; clients are told the host name', {
          listener: l.name,
          advertised: `${advertisedHost}:${advertisedPort}`,
        })
      }
    }
    this.logger.info('broker started', {
      nodeId: this.nodeId,
      clusterId: this.context.metadata.clusterId,
      logDirs: this.config.get('log.dirs'),
      partitions: this.context.replicas.logs.allLogs().length,
      recovered: this.context.replicas.logs.loadStats.recoveredSegments,
      listeners: this.bound.map((b) => `${b.name}://${b.host}:${b.port}`),
      advertised: this.bound.map((b) => `${b.advertisedHost}:${b.advertisedPort}`),
    })
  }

  /**
   * A TLS listener: connections are served once their handshake is done. A failed handshake
   * (a plaintext client, garbage, an untrusted certificate) closes that socket with one line.
   */
  private tlsServer(name: string, sslPrincipal: boolean, tls: ListenerTls, options: ConnectionOptions): Server {
    const server = createTlsServer({ allowHalfOpen: true, ...tls.options() }, (socket: TLSSocket) => {
      if (socket.authorizationError && socket.getPeerCertificate()?.raw) {
        this.logger.warn('closing connection: client certificate not trusted', { client: `${socket.remoteAddress}:${socket.remotePort}`, listener: name, error: String(socket.authorizationError) })
        socket.destroy()
        return
      }
      let principal: KafkaPrincipal | undefined
      if (sslPrincipal) {
        principal = tls.principal(socket)
        if (!principal) {
          this.logger.warn('closing connection: no ssl.principal.mapping.rules rule matches the client certificate subject', { client: `${socket.remoteAddress}:${socket.remotePort}`, listener: name })
          socket.destroy()
          return
        }
      }
      const conn = this.accept(socket, options)
      if (conn && principal) conn.principal = principal
    })
    // Sockets still in their handshake are not Connections yet; with allowHalfOpen one whose
    // client went away would keep close() waiting, so close() destroys them.
    server.on('connection', (s: Socket) => {
      this.handshaking.add(s)
      s.once('close', () => this.handshaking.delete(s))
    })
    server.on('tlsClientError', (err, socket) => {
      this.logger.warn('closing connection: TLS handshake failed', { client: `${socket.remoteAddress}:${socket.remotePort}`, listener: name, error: err.message.trim().split('\n')[0] })
      socket.destroy()
    })
    this.unwatch.push(watchTls(server, tls, name, this.logger))
    return server
  }

  private accept(socket: Socket, options: ConnectionOptions): Connection | undefined {
    if (this.closing || !this.quotas) {
      socket.destroy()
      return undefined
    }
    const quotas = this.quotas
    const ip = clientIp(socket.remoteAddress)
    const refused = quotas.admit(ip)
    if (refused !== undefined) {
      quotas.refused(ip, refused)
      socket.destroy()
      return undefined
    }
    const conn = new Connection(
      socket,
      this.context,
      options,
      (c) => {
        this.connections.delete(c)
        quotas.release(ip)
      },
    )
    this.connections.add(conn)
    return conn
  }

  /**
   * Closes connections past connections.max.idle.ms or samsa.request.read.timeout.ms. Runs on
   * a timer; tests with a ManualClock call it after advancing the clock.
   */
  checkConnectionTimeouts(): void {
    const now = this.clock.now()
    for (const c of [...this.connections]) c.checkTimeouts(now)
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Leaderships move while this broker still answers, so requests in flight and clients'
      // retries find the new leaders.
      if (this.ctx && this.config.get('controlled.shutdown.enable')) {
        await this.ctx.replicas.handOverLeaderships().catch((err: Error) => this.logger.warn('controlled shutdown failed', { error: err.message }))
      }
      this.shutdown.abort()
      clearInterval(this.sweeper)
      for (const u of this.unwatch) u()
      const stopped = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))
      for (const c of this.connections) c.close()
      for (const s of this.handshaking) s.destroy()
      await Promise.all(stopped)
      await this.membership?.close()
      if (this.ctx) {
        await this.ctx.txns.close()
        this.peers?.close()
        await this.ctx.groups.close()
        await this.ctx.replicas.close()
        await this.ctx.metadata.close()
      }
      this.logger.info('broker stopped', { nodeId: this.nodeId })
    })()
    return this.closing
  }
}

/** max.connections.per.ip.overrides keyed by IP address; host names resolve to all their addresses, as Kafka resolves them at start-up. */
async function resolveOverrides(value: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const [host, count] of parseConnectionOverrides(value)) {
    if (isIP(host)) {
      out.set(clientIp(host), count)
      continue
    }
    let addresses: Array<{ address: string }>
    try {
      addresses = await lookup(host, { all: true })
    } catch (e) {
      throw new ConfigError(`invalid value for max.connections.per.ip.overrides: cannot resolve ${host} (${(e as Error).message}); use an IP address or a name this host can resolve`)
    }
    for (const a of addresses) out.set(clientIp(a.address), count)
  }
  return out
}
