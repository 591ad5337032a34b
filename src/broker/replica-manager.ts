/**
 * The partitions this broker holds: maps metadata (topics, partitions, configs) onto storage
 * (one PartitionLog each), keeps them in step with metadata changes, and appends as leader.
 * With one broker every partition is led here and the high watermark follows the log end;
 * replication (a later issue) moves that rule into the leader's ISR tracking.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import { LogManager, isStorageError, type AppendResult, type LogConfig, type PartitionLog } from '../storage/index.js'
import { mapConcurrent } from '../storage/io/files.js'
import type { MetadataChange, MetadataStore } from '../metadata/store.js'
import type { PartitionInfo, TopicInfo } from '../metadata/types.js'
import type { FaultHooks } from '../util/faults.js'
import type { Logger } from '../util/logger.js'
import type { BrokerConfig } from './config.js'
import { brokerLayers, effectiveTopicConfigs, logConfigOf, type ConfigLayer, type EffectiveValue } from './topic-config.js'

export interface ReplicaManagerOptions {
  config: BrokerConfig
  store: MetadataStore
  logger: Logger
  nodeId: number
  /** Run storage timers (retention, flush, checkpoints); default true. */
  schedule?: boolean
  /** Test hooks, passed to the log manager (`log.create`). */
  faults?: FaultHooks
}

export class ReplicaManager {
  readonly logs: LogManager
  private readonly store: MetadataStore
  private readonly config: BrokerConfig
  private readonly logger: Logger
  private readonly nodeId: number
  private readonly pending = new Set<Promise<unknown>>()
  /** Effective topic configs by topic name; any metadata change clears it. */
  private readonly effectiveCache = new Map<string, Map<string, EffectiveValue>>()
  private readonly unsubscribe: () => void

  private constructor(opts: ReplicaManagerOptions, logs: LogManager) {
    this.store = opts.store
    this.config = opts.config
    this.logger = opts.logger
    this.nodeId = opts.nodeId
    this.logs = logs
    this.unsubscribe = this.store.subscribe((c) => {
      this.effectiveCache.clear()
      this.track(this.apply(c))
    })
  }

  static async open(opts: ReplicaManagerOptions): Promise<ReplicaManager> {
    const { config, store } = opts
    const logs = await LogManager.open({
      logDirs: config.get('log.dirs') as string[],
      clusterId: store.clusterId,
      nodeId: opts.nodeId,
      defaultConfig: logConfigOf(effectiveTopicConfigs({}, layersOf(config, store, opts.nodeId))),
      topicConfig: (topic) => {
        const t = store.topic(topic)
        return t ? logConfigOf(effectiveTopicConfigs(t.configs, layersOf(config, store, opts.nodeId))) : undefined
      },
      logger: opts.logger,
      ...(opts.faults ? { faults: opts.faults } : {}),
      schedule: opts.schedule ?? true,
      retentionCheckIntervalMs: config.get('log.retention.check.interval.ms') as number,
    })
    const self = new ReplicaManager(opts, logs)
    await self.reconcile()
    return self
  }

  /** The effective storage config of a topic, from its overrides and the broker's layers. */
  logConfig(topic: TopicInfo): LogConfig {
    return logConfigOf(this.effectiveConfigs(topic))
  }

  /** Every topic config's effective value for `topic` (cached: Produce reads it per request). */
  effectiveConfigs(topic: TopicInfo): ReadonlyMap<string, EffectiveValue> {
    let e = this.effectiveCache.get(topic.name)
    if (!e) {
      e = effectiveTopicConfigs(topic.configs, this.layers())
      this.effectiveCache.set(topic.name, e)
    }
    return e
  }

  layers(): ConfigLayer[] {
    return layersOf(this.config, this.store, this.nodeId)
  }

  /**
   * The log of a partition this broker leads, created on first use. Throws KafkaError
   * UNKNOWN_TOPIC_OR_PARTITION for a topic or partition metadata does not have.
   */
  async partition(topic: string, partition: number): Promise<{ log: PartitionLog; info: PartitionInfo; topic: TopicInfo }> {
    const t = this.store.topic(topic)
    const info = t?.partitions[partition]
    if (!t || !info) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `This server does not host ${topic}-${partition}.`)
    if (info.leader !== this.nodeId) throw new KafkaError('NOT_LEADER_OR_FOLLOWER', `Broker ${this.nodeId} does not lead ${topic}-${partition}.`)
    const existing = this.logs.getLog({ topic, partition })
    if (existing && !existing.isClosed) return { log: existing, info, topic: t }
    const log = await this.logs.getOrCreateLog({ topic, partition, topicId: t.topicId, config: this.logConfig(t) })
    return { log, info, topic: t }
  }

  /** Creates the logs of every partition of `topic` (CreateTopics waits for this). */
  async ensureLogs(topic: TopicInfo, from = 0): Promise<void> {
    const config = this.logConfig(topic)
    const mine = topic.partitions.slice(from).filter((p) => p.replicas.includes(this.nodeId))
    // Creating a log is a few small file operations; overlapping them makes wide topics quick.
    await mapConcurrent(mine, 32, (p) => this.logs.getOrCreateLog({ topic: topic.name, partition: p.partition, topicId: topic.topicId, config }))
  }

  /**
   * Appends a producer's (validated) batches as leader and, this broker being the only
   * replica, advances the high watermark to the new log end.
   */
  async appendAsLeader(log: PartitionLog, info: PartitionInfo, records: Buffer): Promise<AppendResult> {
    const result = await log.appendAsLeader(records, { leaderEpoch: info.leaderEpoch })
    if (info.isr.length === 1) log.updateHighWatermark(log.logEndOffset)
    return result
  }

  /** Waits for log creation and deletion triggered by metadata changes. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }

  async close(): Promise<void> {
    this.unsubscribe()
    await this.settled()
    await this.logs.close()
  }

  // ---- metadata changes ------------------------------------------------------------------

  private track(p: Promise<unknown>): void {
    const done = p.catch((err: Error) => this.logger.error('applying a metadata change failed', { error: err.message })).finally(() => this.pending.delete(done))
    this.pending.add(done)
  }

  private async apply(change: MetadataChange): Promise<void> {
    switch (change.type) {
      case 'topicCreated':
        return this.ensureLogs(change.topic)
      case 'partitionsCreated':
        return this.ensureLogs(change.topic, change.from)
      case 'topicDeleted':
        // A creation applied just before may still be opening this topic's logs, which
        // allLogs() does not list yet; let the changes in flight (not this one: apply runs
        // before track adds it) finish first, or those logs would outlive their topic.
        await Promise.allSettled([...this.pending])
        for (const log of this.logs.allLogs()) {
          if (log.topic === change.topic.name) await this.logs.deleteLog({ topic: log.topic, partition: log.partition })
        }
        return
      case 'topicConfigChanged':
        this.logs.setTopicConfig(change.topic.name, this.logConfig(change.topic))
        return
      case 'brokerConfigChanged':
        for (const t of this.store.topics()) this.logs.setTopicConfig(t.name, this.logConfig(t))
        return
    }
  }

  /**
   * Start-up: brings logs and metadata into agreement. Logs of topics metadata does not know
   * are either adopted (no metadata file existed: data from before the store, or a lost file —
   * rebuilding beats deleting) or deleted (their topic was deleted and the broker stopped
   * before the logs were removed). A single replica's high watermark is its log end.
   */
  private async reconcile(): Promise<void> {
    const strays = new Map<string, PartitionLog[]>()
    for (const log of this.logs.allLogs()) {
      const t = this.store.topic(log.topic)
      const stale = t !== undefined && log.topicId !== undefined && log.topicId !== t.topicId
      if (!t || stale || !t.partitions[log.partition]) {
        const list = strays.get(log.topic) ?? []
        list.push(log)
        strays.set(log.topic, list)
        continue
      }
      log.updateHighWatermark(log.logEndOffset)
    }
    for (const [topic, logs] of strays) {
      const known = this.store.topic(topic)
      if (!this.store.existed && !known) {
        const partitions = Math.max(...logs.map((l) => l.partition)) + 1
        const topicId = logs.find((l) => l.topicId !== undefined)?.topicId
        this.logger.warn('adopting logs found without metadata', { topic, partitions })
        await this.store.createTopic({ name: topic, partitions, replicationFactor: 1, configs: {}, ...(topicId ? { topicId } : {}) })
        for (const l of logs) l.updateHighWatermark(l.logEndOffset)
        continue
      }
      for (const l of logs) {
        this.logger.warn('deleting log of a deleted topic', { topic, partition: l.partition })
        await this.logs.deleteLog({ topic, partition: l.partition })
      }
    }
    await this.settled()
  }
}

function layersOf(config: BrokerConfig, store: MetadataStore, nodeId: number): ConfigLayer[] {
  return brokerLayers(config, store.brokerConfigs(nodeId), store.brokerConfigs(null))
}

/** Maps a storage or Kafka error to the error code a partition response carries. */
export function errorCodeOf(err: unknown): number {
  if (err instanceof KafkaError) return err.code
  if (isStorageError(err)) {
    const code = (ErrorCode as Record<string, number>)[err.code]
    if (code !== undefined) return code
    if (err.code === 'LOG_CLOSED') return ErrorCode.NOT_LEADER_OR_FOLLOWER
    return ErrorCode.KAFKA_STORAGE_ERROR
  }
  return ErrorCode.UNKNOWN_SERVER_ERROR
}

/**
 * KIP-320: a client that knows a leader epoch sends it; an older one than the leader's is
 * fenced (FENCED_LEADER_EPOCH), a newer one means this broker lags (UNKNOWN_LEADER_EPOCH).
 * -1 (or absent) skips the check.
 */
export function checkLeaderEpoch(info: PartitionInfo, currentLeaderEpoch: number | undefined): void {
  if (currentLeaderEpoch === undefined || currentLeaderEpoch < 0 || currentLeaderEpoch === info.leaderEpoch) return
  if (currentLeaderEpoch < info.leaderEpoch) throw new KafkaError('FENCED_LEADER_EPOCH', `leader epoch ${currentLeaderEpoch} is older than ${info.leaderEpoch}`)
  throw new KafkaError('UNKNOWN_LEADER_EPOCH', `leader epoch ${currentLeaderEpoch} is newer than ${info.leaderEpoch}`)
}
