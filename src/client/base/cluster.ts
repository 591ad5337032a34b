/**
 * What a client knows about the cluster and how it reaches it: bootstrap, the metadata cache
 * (brokers, topics, partition leaders), one connection per broker and purpose, and
 * coordinator lookups. Producer, consumer and admin each own one Cluster.
 *
 * Connections are keyed by node and "channel": the consumer talks to its group coordinator on
 * a channel of its own so heartbeats never queue behind long-poll fetches to the same broker
 * (librdkafka does the same; the Java client gets there by giving the coordinator a second
 * node id).
 */
import type { FindCoordinatorRequest } from '../../protocol/generated/find-coordinator.js'
import { ApiKey, type ApiKeyNumber, type RequestOf, type ResponseOf } from '../../protocol/generated/api-keys.js'
import type { MetadataResponse } from '../../protocol/generated/metadata.js'
import { ZERO_UUID } from '../../protocol/primitives/uuid.js'
import { ErrorCode } from '../../protocol/errors.js'
import { BrokerConnection, type RequestOptions } from './connection.js'
import { AuthenticationError, ClientError, bootstrapAddress, ConnectionError, KafkaError, abortReason, errorFor, isRetriable } from './errors.js'
import { backoffMs, type ResolvedBaseOptions } from './options.js'

export interface BrokerInfo {
  nodeId: number
  host: string
  port: number
  rack: string | null
}

export interface PartitionInfo {
  partition: number
  /** -1 when the partition has no leader right now. */
  leader: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
  offlineReplicas: number[]
  errorCode: number
}

export interface TopicInfo {
  name: string
  topicId: string
  isInternal: boolean
  /** Indexed by partition number. */
  partitions: PartitionInfo[]
}

export const enum CoordinatorType {
  Group = 0,
  Transaction = 1,
}

/** Errors that mean "look the leader up again", not "give up". */
const STALE_METADATA = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.NOT_ENOUGH_REPLICAS,
])

export function isStaleMetadata(code: number): boolean {
  return STALE_METADATA.has(code)
}

/** Coordinator errors after which the coordinator must be looked up again. */
export function isCoordinatorMoved(code: number): boolean {
  return code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE
}

export class Cluster {
  readonly brokers = new Map<number, BrokerInfo>()
  readonly topics = new Map<string, TopicInfo>()
  clusterId: string | null = null
  controllerId = -1
  /** When the metadata was last refreshed (ms since epoch); 0 = never. */
  updatedAt = 0
  private readonly connections = new Map<string, Promise<BrokerConnection>>()
  private readonly coordinators = new Map<string, Promise<BrokerInfo>>()
  private refreshing: Promise<void> | undefined
  private refreshAgain = false
  private refreshAutoCreate = false
  /** Error codes of topics in the last Metadata response that could not be described. */
  private readonly topicErrors = new Map<string, number>()
  /** Topics whose metadata is kept fresh (the producer's and consumer's topics). */
  private readonly tracked = new Set<string>()
  private closed = false

  constructor(readonly opts: ResolvedBaseOptions) {}

  get isClosed(): boolean {
    return this.closed
  }

  // ---- connections -------------------------------------------------------------------------------

  /** An open connection to `nodeId` on `channel`, opened (with version negotiation) on first use. */
  connection(nodeId: number, channel = 'default'): Promise<BrokerConnection> {
    const b = this.brokers.get(nodeId)
    if (!b) return Promise.reject(new ClientError('ILLEGAL_STATE', `broker ${nodeId} is not in the cluster metadata`, true))
    return this.connectTo(b, channel)
  }

  private connectTo(b: BrokerInfo, channel: string): Promise<BrokerConnection> {
    if (this.closed) return Promise.reject(new ClientError('CLIENT_CLOSED', 'the client is closed'))
    const key = `${b.nodeId}|${b.host}:${b.port}|${channel}`
    const existing = this.connections.get(key)
    if (existing) return existing
    const p = BrokerConnection.open({
      host: b.host,
      port: b.port,
      nodeId: b.nodeId,
      clientId: this.opts.clientId,
      connectTimeoutMs: this.opts.connectTimeoutMs,
      requestTimeoutMs: this.opts.requestTimeoutMs,
      maxInFlight: this.opts.maxInFlightRequestsPerConnection,
      ...(this.opts.ssl ? { tls: this.opts.ssl } : {}),
      ...(this.opts.sasl ? { sasl: this.opts.sasl } : {}),
    })
    this.connections.set(key, p)
    p.then(
      (c) => {
        c.onClose(() => {
          if (this.connections.get(key) === p) this.connections.delete(key)
        })
        if (this.closed) c.close()
      },
      () => {
        if (this.connections.get(key) === p) this.connections.delete(key)
      },
    )
    return p
  }

  /**
   * Any broker: known brokers first (in random order), then the bootstrap list. The error
   * names every address tried when none answers.
   */
  async anyConnection(channel = 'default'): Promise<BrokerConnection> {
    const candidates: BrokerInfo[] = shuffle([...this.brokers.values()])
    for (const a of shuffle([...this.opts.bootstrapServers])) candidates.push({ nodeId: -1, host: a.host, port: a.port, rack: null })
    // An open connection beats a new one.
    for (const b of candidates) {
      const p = this.connections.get(`${b.nodeId}|${b.host}:${b.port}|${channel}`)
      if (p) {
        const c = await p.catch(() => undefined)
        if (c?.isOpen) return c
      }
    }
    const failures: string[] = []
    for (const b of candidates) {
      try {
        return await this.connectTo(b, channel)
      } catch (e) {
        if (e instanceof ClientError && e.code === 'CLIENT_CLOSED') throw e
        // Wrong credentials or an untrusted certificate: every broker will say the same.
        if (e instanceof AuthenticationError) throw e
        failures.push((e as Error).message)
      }
    }
    throw new ConnectionError(
      bootstrapAddress(this.opts.bootstrapServers),
      `no broker reachable (${failures.join('; ')}); check bootstrapServers and that the brokers are running`,
    )
  }

  /** Sends to one broker. */
  async send<K extends ApiKeyNumber>(nodeId: number, apiKey: K, body: RequestOf<K>, options?: RequestOptions & { channel?: string }): Promise<ResponseOf<K>> {
    const c = await this.connection(nodeId, options?.channel)
    return c.request(apiKey, body, options)
  }

  // ---- metadata ----------------------------------------------------------------------------------

  /** Keeps these topics' metadata fresh from now on. */
  track(topics: Iterable<string>): void {
    for (const t of topics) this.tracked.add(t)
  }

  untrack(topics: Iterable<string>): void {
    for (const t of topics) this.tracked.delete(t)
  }

  get trackedTopics(): string[] {
    return [...this.tracked]
  }

  /**
   * Fetches metadata for the tracked topics (all topics if `all`), replacing what is cached for
   * them. Concurrent calls share one request; a call made while one runs triggers one more.
   */
  refresh(opts: { all?: boolean; allowAutoCreate?: boolean } = {}): Promise<void> {
    if (opts.all) return this.fetchMetadata(null, opts.allowAutoCreate ?? false).then(() => {})
    if (opts.allowAutoCreate) this.refreshAutoCreate = true
    if (this.refreshing) {
      this.refreshAgain = true
      return this.refreshing
    }
    const run = async (): Promise<void> => {
      try {
        do {
          this.refreshAgain = false
          const autoCreate = this.refreshAutoCreate
          this.refreshAutoCreate = false
          await this.fetchMetadata([...this.tracked], autoCreate)
        } while (this.refreshAgain)
      } finally {
        this.refreshing = undefined
      }
    }
    this.refreshing = run()
    return this.refreshing
  }

  /** Metadata for `topics` (null = all), applied to the cache, and the raw response. */
  async fetchMetadata(topics: string[] | null, allowAutoCreate = false): Promise<MetadataResponse> {
    const c = await this.anyConnection()
    const version = c.version(ApiKey.Metadata, 12, 1)
    const resp = await c.request(
      ApiKey.Metadata,
      {
        topics: topics === null ? null : topics.map((name) => ({ name, topicId: ZERO_UUID })),
        allowAutoTopicCreation: allowAutoCreate,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      },
      { version },
    )
    this.apply(resp, topics)
    return resp
  }

  private apply(resp: MetadataResponse, requested: string[] | null): void {
    this.brokers.clear()
    for (const b of resp.brokers) this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null })
    this.clusterId = resp.clusterId ?? null
    this.controllerId = resp.controllerId ?? -1
    if (requested === null) this.topics.clear()
    for (const t of resp.topics) {
      if (t.name === null) continue
      if (t.errorCode !== 0) this.topicErrors.set(t.name, t.errorCode)
      else this.topicErrors.delete(t.name)
      if (t.errorCode !== 0) {
        // Keep what we knew through a transient LEADER_NOT_AVAILABLE; forget deleted topics.
        if (t.errorCode !== ErrorCode.LEADER_NOT_AVAILABLE) this.topics.delete(t.name)
        continue
      }
      const partitions: PartitionInfo[] = []
      for (const p of t.partitions) {
        partitions[p.partitionIndex] = {
          partition: p.partitionIndex,
          leader: p.errorCode === ErrorCode.LEADER_NOT_AVAILABLE ? -1 : p.leaderId,
          leaderEpoch: p.leaderEpoch ?? -1,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas ?? [],
          errorCode: p.errorCode,
        }
      }
      this.topics.set(t.name, { name: t.name, topicId: t.topicId ?? ZERO_UUID, isInternal: t.isInternal ?? false, partitions })
    }
    this.updatedAt = Date.now()
  }

  /** Whether the cache is older than metadata.max.age.ms. */
  get isStale(): boolean {
    return Date.now() - this.updatedAt >= this.opts.metadataMaxAgeMs
  }

  /**
   * The topic's metadata, fetching it (and tracking the topic) if unknown. Waits through
   * transient errors until `deadline`; UNKNOWN_TOPIC_OR_PARTITION at the deadline is thrown.
   */
  async topic(name: string, o: { deadline: number; allowAutoCreate?: boolean; signal?: AbortSignal }): Promise<TopicInfo> {
    this.tracked.add(name)
    for (let attempt = 0; ; attempt++) {
      const known = this.topics.get(name)
      if (known && known.partitions.length > 0 && !this.isStale) return known
      let lastError: Error
      try {
        // Shared with every other lookup in flight: a burst of sends to a new topic makes one
        // Metadata request, not one each.
        await this.refresh({ allowAutoCreate: o.allowAutoCreate ?? false })
        const got = this.topics.get(name)
        if (got && got.partitions.length > 0) return got
        const code = this.topicErrors.get(name) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        lastError = errorFor(code, `topic ${name}`) ?? new KafkaError('UNKNOWN_TOPIC_OR_PARTITION')
        if (!isRetriable(lastError)) throw lastError
      } catch (e) {
        if (!isRetriable(e)) throw e
        lastError = e as Error
      }
      await this.sleepUntilRetry(attempt, o.deadline, lastError, o.signal)
    }
  }

  /** Leader of a partition from the cache, or -1. */
  leaderOf(topic: string, partition: number): number {
    return this.topics.get(topic)?.partitions[partition]?.leader ?? -1
  }

  // ---- coordinators ------------------------------------------------------------------------------

  /** The coordinator for a group or transactional id, cached until `forgetCoordinator`. */
  coordinator(type: CoordinatorType, key: string, deadline = Date.now() + this.opts.requestTimeoutMs): Promise<BrokerInfo> {
    const k = `${type}|${key}`
    let p = this.coordinators.get(k)
    if (!p) {
      p = this.findCoordinator(type, key, deadline)
      this.coordinators.set(k, p)
      p.catch(() => {
        if (this.coordinators.get(k) === p) this.coordinators.delete(k)
      })
    }
    return p
  }

  forgetCoordinator(type: CoordinatorType, key: string): void {
    this.coordinators.delete(`${type}|${key}`)
  }

  /** A connection to a coordinator, on a channel of its own. */
  async coordinatorConnection(type: CoordinatorType, key: string, deadline?: number): Promise<BrokerConnection> {
    const b = await this.coordinator(type, key, deadline)
    return this.connectTo(b, `coordinator-${type}`)
  }

  private async findCoordinator(type: CoordinatorType, key: string, deadline: number): Promise<BrokerInfo> {
    for (let attempt = 0; ; attempt++) {
      let err: Error
      try {
        const c = await this.anyConnection()
        const version = c.version(ApiKey.FindCoordinator, 6)
        const body: FindCoordinatorRequest =
          version >= 4 ? { keyType: type, coordinatorKeys: [key] } : { key, keyType: type }
        const resp = await c.request(ApiKey.FindCoordinator, body, { version })
        const r = version >= 4 ? resp.coordinators![0]! : { errorCode: resp.errorCode ?? 0, nodeId: resp.nodeId!, host: resp.host!, port: resp.port! }
        if (r.errorCode === 0) return { nodeId: r.nodeId, host: r.host, port: r.port, rack: null }
        err = errorFor(r.errorCode, `coordinator for ${type === CoordinatorType.Group ? 'group' : 'transactional id'} ${key}`)!
        if (!isRetriable(err)) throw err
      } catch (e) {
        if (!isRetriable(e)) throw e
        err = e as Error
      }
      await this.sleepUntilRetry(attempt, deadline, err)
    }
  }

  // ---- retries -----------------------------------------------------------------------------------

  /** Waits the backoff for `attempt`, or throws `lastError` if that would pass the deadline. */
  async sleepUntilRetry(attempt: number, deadline: number, lastError: Error, signal?: AbortSignal): Promise<void> {
    if (this.closed) throw new ClientError('CLIENT_CLOSED', 'the client is closed')
    const wait = backoffMs(this.opts, attempt)
    if (Date.now() + wait > deadline) throw lastError
    await sleep(wait, signal)
  }

  close(): void {
    this.closed = true
    for (const p of this.connections.values()) p.then((c) => c.close(), () => {})
    this.connections.clear()
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal))
    const onAbort = () => {
      clearTimeout(t)
      reject(abortReason(signal!))
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}
