/**
 * The partitions this broker holds: maps metadata (topics, partitions, configs) onto storage
 * (one UnifiedLog each), keeps them in step with metadata changes, and appends as leader.
 * With one broker every partition is led here and the high watermark follows the log end;
 * replication (a later issue) moves that rule into the leader's ISR tracking.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import { LogManager, isStorageError, type AppendOrigin, type AppendResult, type LogConfig, type UnifiedLog } from '../storage/index.js'
import { isIoError } from '../storage/errors.js'
import type { FaultHooks } from '../util/faults.js'
import { mapConcurrent } from '../storage/io/files.js'
import type { MetadataChange, MetadataStore } from '../metadata/store.js'
import type { PartitionInfo, TopicInfo } from '../metadata/types.js'
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
  /** The broker's fault hooks, threaded into storage (tests arm them). */
  faults?: FaultHooks
}

/**
 * Samsa's bound on the partition replicas one broker hosts (Kafka has no such setting; KIP-578
 * proposed one). Each costs a directory, open files on use and start-up recovery time; the bound
 * keeps a client from filling a disk with directories or the heap with logs.
 */
export const MAX_PARTITIONS_PER_BROKER = 100_000

export class ReplicaManager {
  readonly logs: LogManager
  private readonly store: MetadataStore
  private readonly config: BrokerConfig
  private readonly logger: Logger
  private readonly nodeId: number
  private readonly pending = new Set<Promise<unknown>>()
  /** The tail of each topic name's queue of changes (see topicChange). */
  private readonly topicQueues = new Map<string, Promise<unknown>>()
  /** Partitions whose logs createLogs calls in flight are still opening (counted as hosted). */
  private opening = 0
  /** The bound checkCapacity applies: MAX_PARTITIONS_PER_BROKER (tests lower it rather than make 100,000 logs). */
  hostedPartitionLimit = MAX_PARTITIONS_PER_BROKER
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
      logDirs: config.get('log.dirs'),
      clusterId: store.clusterId,
      nodeId: opts.nodeId,
      defaultConfig: logConfigOf(effectiveTopicConfigs({}, layersOf(config, store, opts.nodeId))),
      topicConfig: (topic) => {
        const t = store.topic(topic)
        return t ? logConfigOf(effectiveTopicConfigs(t.configs, layersOf(config, store, opts.nodeId))) : undefined
      },
      logger: opts.logger,
      schedule: opts.schedule ?? true,
      ...(opts.faults ? { faults: opts.faults } : {}),
      retentionCheckIntervalMs: config.get('log.retention.check.interval.ms'),
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
  async partition(topic: string, partition: number): Promise<{ log: UnifiedLog; info: PartitionInfo; topic: TopicInfo }> {
    const t = this.store.topic(topic)
    const info = t?.partitions[partition]
    if (!t || !info) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `This server does not host ${topic}-${partition}.`)
    if (info.leader !== this.nodeId) throw new KafkaError('NOT_LEADER_OR_FOLLOWER', `Broker ${this.nodeId} does not lead ${topic}-${partition}.`)
    const existing = this.logs.getLog({ topic, partition })
    if (existing && !existing.isClosed) return { log: existing, info, topic: t }
    const log = await this.logs.getOrCreateLog({ topic, partition, topicId: t.topicId, config: this.logConfig(t) })
    return { log, info, topic: t }
  }

  /**
   * Runs `fn` after every earlier change to topic `name` has finished, and before any later one
   * starts. Topic administration (create, delete, add partitions) holds a name's queue from its
   * checks to its last file operation, and the logs a metadata change implies are made or removed
   * in the same queue, so a create after a delete of the same name waits until the old logs are
   * gone instead of finding them (and their topic id) in its way. Never await settled() in `fn`:
   * changes queued behind it are part of what settled() waits for.
   */
  topicChange<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.topicQueues.get(name) ?? Promise.resolve()
    const run = prev.then(fn, fn)
    const tail = run.catch(() => undefined)
    this.topicQueues.set(name, tail)
    void tail.then(() => {
      if (this.topicQueues.get(name) === tail) this.topicQueues.delete(name)
    })
    return run
  }

  /**
   * Creates the logs of `topic`'s partitions from `from` on that this broker hosts, before the
   * topic (or its new partitions) is committed to metadata. All or nothing: when one fails (a
   * full disk), the ones created are removed and the error is thrown. POLICY_VIOLATION, before
   * anything is created, when the broker would host more than MAX_PARTITIONS_PER_BROKER.
   * Call inside topicChange(topic.name).
   */
  async createLogs(topic: TopicInfo, from = 0): Promise<void> {
    const mine = topic.partitions.slice(from).filter((p) => p.replicas.includes(this.nodeId))
    this.checkCapacity(mine.map((p) => p.replicas))
    // Not from the cache: the topic is not in metadata yet, and may never be.
    const config = logConfigOf(effectiveTopicConfigs(topic.configs, this.layers()))
    const created: PartitionInfo[] = []
    let failure: unknown
    this.opening += mine.length
    // Creating a log is a few small file operations; overlapping them makes wide topics quick.
    await mapConcurrent(mine, 32, async (p) => {
      try {
        if (failure !== undefined) return
        const tp = { topic: topic.name, partition: p.partition }
        if (this.logs.getLog(tp)) {
          // Only a deletion that failed half way leaves one (a delete holds the name until its logs are gone).
          throw new KafkaError('KAFKA_STORAGE_ERROR', `A log of an earlier topic named ${topic.name} (partition ${p.partition}) is still open; restart the broker to remove it.`)
        }
        await this.logs.getOrCreateLog({ ...tp, topicId: topic.topicId, config })
        created.push(p)
      } catch (err) {
        failure ??= err
      } finally {
        this.opening--
      }
    })
    if (failure === undefined) return
    for (const p of created) {
      await this.logs.deleteLog({ topic: topic.name, partition: p.partition }).catch((err: Error) => {
        this.logger.error('removing a log after a failed creation failed', { topic: topic.name, partition: p.partition, error: err.message })
      })
    }
    throw failure
  }

  /**
   * POLICY_VIOLATION when this broker would host more than MAX_PARTITIONS_PER_BROKER partitions
   * with new ones of these replica lists (those naming this broker). Partitions being created
   * count already, so racing creations cannot pass the bound together.
   */
  checkCapacity(replicaLists: ReadonlyArray<readonly number[]>): void {
    const more = replicaLists.filter((r) => r.includes(this.nodeId)).length
    const hosted = this.logs.allLogs().length + this.opening
    if (more > 0 && hosted + more > this.hostedPartitionLimit) {
      throw new KafkaError(
        'POLICY_VIOLATION',
        `This broker hosts ${hosted} partitions; ${more} more would pass Samsa's limit of ${this.hostedPartitionLimit} per broker. Delete topics you no longer need, or add brokers.`,
      )
    }
  }

  /**
   * Deletes this broker's logs of `topic` (partitions from `from` on) that carry its topic id,
   * never those of a newer topic of the same name.
   */
  async deleteLogs(topic: Pick<TopicInfo, 'name' | 'topicId'>, from = 0): Promise<void> {
    for (const log of this.logs.allLogs()) {
      if (log.topic !== topic.name || log.partition < from) continue
      if (log.topicId !== undefined && log.topicId !== topic.topicId) continue
      await this.logs.deleteLog({ topic: log.topic, partition: log.partition })
    }
  }

  /** Creates missing logs of a topic metadata has, while it still has it (metadata changes from elsewhere). */
  private async ensureLogs(topic: TopicInfo, from = 0): Promise<void> {
    const config = this.logConfig(topic)
    const mine = topic.partitions.slice(from).filter((p) => p.replicas.includes(this.nodeId))
    await mapConcurrent(mine, 32, async (p) => {
      if (this.store.topic(topic.name)?.topicId !== topic.topicId) return
      await this.logs.getOrCreateLog({ topic: topic.name, partition: p.partition, topicId: topic.topicId, config })
    })
  }

  /**
   * Appends a producer's (validated) batches as leader and, this broker being the only
   * replica, advances the high watermark to the new log end.
   */
  async appendAsLeader(log: UnifiedLog, info: PartitionInfo, records: Buffer, origin?: AppendOrigin): Promise<AppendResult> {
    const result = await log.appendAsLeader(records, { leaderEpoch: info.leaderEpoch, ...(origin ? { origin } : {}) })
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

  /**
   * Brings the logs in line with one metadata change. Log work for a topic runs in that name's
   * queue (topicChange), behind the administration that made the change: a topic created by
   * topic-admin already has its logs, and a deleted one has lost them, so for those this finds
   * nothing left to do; it acts for changes made directly on the store.
   */
  private apply(change: MetadataChange): Promise<void> {
    switch (change.type) {
      case 'topicCreated':
        return this.topicChange(change.topic.name, () => this.ensureLogs(change.topic))
      case 'partitionsCreated':
        return this.topicChange(change.topic.name, () => this.ensureLogs(change.topic, change.from))
      case 'topicDeleted':
        return this.topicChange(change.topic.name, () => this.deleteLogs(change.topic))
      case 'topicConfigChanged':
        this.logs.setTopicConfig(change.topic.name, this.logConfig(change.topic))
        return Promise.resolve()
      case 'brokerConfigChanged':
        for (const t of this.store.topics()) this.logs.setTopicConfig(t.name, this.logConfig(t))
        return Promise.resolve()
      case 'partitionChanged':
      case 'brokerRegistered':
      case 'brokerUnregistered':
        return Promise.resolve()
    }
  }

  /**
   * Start-up: brings logs and metadata into agreement. Logs of topics metadata does not know
   * are either adopted (no metadata file existed: data from before the store, or a lost file —
   * rebuilding beats deleting) or deleted (their topic was deleted and the broker stopped
   * before the logs were removed). A single replica's high watermark is its log end.
   */
  private async reconcile(): Promise<void> {
    const strays = new Map<string, UnifiedLog[]>()
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
        await this.store.createTopic({ name: topic, assignments: Array.from({ length: partitions }, () => [this.nodeId]), configs: {}, ...(topicId ? { topicId } : {}) })
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
  // An OS error from a file operation (ENOSPC, EIO, EROFS ...) is Kafka's KafkaStorageException.
  if (isIoError(err)) return ErrorCode.KAFKA_STORAGE_ERROR
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
