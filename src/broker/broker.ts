/**
 * A broker process: metadata store, partition logs, listeners, connections and the handler
 * registry. `start()` opens the store and the logs (recovering them if needed), then binds the
 * listeners (port 0 picks a free port; the advertised address then uses the real one).
 * `close()` stops accepting, ends long polls, closes connections, then flushes every log and
 * leaves the clean-shutdown marker.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { hostname } from 'node:os'
import { LocalMetadataStore } from '../metadata/local.js'
import type { MetadataStore } from '../metadata/store.js'
import type { BrokerInfo, TopicInfo } from '../metadata/types.js'
import { createLogger, parseLevel, type Logger } from '../util/logger.js'
import { loadBrokerConfig, parseListeners, type BrokerConfig, type Listener } from './config.js'
import { Connection } from './connection.js'
import { attachGroupCoordinator, createGroupCoordinator } from './coordinator-partitions.js'
import { FetchSessionCache } from './fetch-session.js'
import type { BrokerContext } from './handler.js'
import { defaultHandlers } from './handlers/index.js'
import { ReplicaManager } from './replica-manager.js'
import { createTopic } from './topic-admin.js'

export interface BrokerOptions {
  config?: BrokerConfig
  logger?: Logger
}

export interface BoundListener extends Listener {
  /** The address clients are told to use. */
  advertisedHost: string
  advertisedPort: number
}

export class Broker {
  readonly config: BrokerConfig
  readonly logger: Logger
  readonly nodeId: number
  private ctx: BrokerContext | undefined
  private readonly shutdown = new AbortController()
  private readonly servers: Server[] = []
  private readonly connections = new Set<Connection>()
  private bound: BoundListener[] = []
  private closing: Promise<void> | undefined

  constructor(opts: BrokerOptions = {}) {
    this.config = opts.config ?? loadBrokerConfig()
    this.logger = opts.logger ?? createLogger({ level: parseLevel(process.env.SAMSA_LOG_LEVEL ?? (this.config.get('log.level') as string), 'warn') })
    this.nodeId = this.config.get('broker.id') as number
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

  private self(): BrokerInfo {
    const l = this.bound[0]
    const rack = this.config.get('broker.rack') as string
    return { nodeId: this.nodeId, host: l?.advertisedHost ?? 'localhost', port: l?.advertisedPort ?? 0, rack: rack || null }
  }

  async start(): Promise<void> {
    const logDirs = this.config.get('log.dirs') as string[]
    if (logDirs.length === 0) throw new Error('log.dirs is empty: set log.dirs (or log.dir) to where the broker keeps its data')
    const store = await LocalMetadataStore.open({ dir: logDirs[0]!, clusterId: this.config.get('cluster.id') as string, self: () => this.self(), logger: this.logger })
    let replicas: ReplicaManager
    try {
      replicas = await ReplicaManager.open({ config: this.config, store, logger: this.logger, nodeId: this.nodeId })
    } catch (err) {
      await store.close()
      throw err
    }
    this.ctx = {
      nodeId: this.nodeId,
      config: this.config,
      metadata: store,
      replicas,
      fetchSessions: new FetchSessionCache(),
      groups: createGroupCoordinator({ nodeId: this.nodeId, config: this.config, metadata: store, replicas, logger: this.logger }),
      handlers: defaultHandlers(),
      logger: this.logger,
      shutdown: this.shutdown.signal,
    }
    try {
      // Groups are loaded before clients can connect, so the first request finds them.
      await attachGroupCoordinator(this.ctx, this.ctx.groups)
      await this.listen()
    } catch (err) {
      await this.close()
      throw err
    }
  }

  private async listen(): Promise<void> {
    const listeners = parseListeners('listeners', this.config.get('listeners') as string[])
    const advertised = parseListeners('advertised.listeners', this.config.get('advertised.listeners') as string[])
    for (const l of listeners) {
      // allowHalfOpen: a client may send its requests and end its side; it still gets every answer.
      const server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket))
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

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy()
      return
    }
    const conn = new Connection(
      socket,
      this.context,
      {
        maxRequestSize: this.config.get('socket.request.max.bytes') as number,
        maxInFlight: this.config.get('queued.max.requests') as number,
      },
      (c) => this.connections.delete(c),
    )
    this.connections.add(conn)
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.shutdown.abort()
      const stopped = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))
      for (const c of this.connections) c.close()
      await Promise.all(stopped)
      if (this.ctx) {
        await this.ctx.groups.close()
        await this.ctx.replicas.close()
        await this.ctx.metadata.close()
      }
      this.logger.info('broker stopped', { nodeId: this.nodeId })
    })()
    return this.closing
  }
}
