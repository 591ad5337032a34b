/**
 * The partitions this broker holds, and the only way from handlers to their logs (Kafka's
 * ReplicaManager). It keeps one Partition per hosted partition in step with metadata — the
 * role (leader / follower / none) and epochs come from metadata changes alone — and owns
 * what a request may do to a partition's log:
 * - appendRecords (replica-append.ts): leadership and epoch checks, validation by the log, the
 *   high watermark, acks and the delayed produce of acks=-1;
 * - fetchMessages (replica-fetch.ts): leadership and epoch checks, isolation bounds, the fetch
 *   budget, follower fetch state and the long poll;
 * - listOffsets, deleteRecords and logDirs for ListOffsets, DeleteRecords, DescribeLogDirs.
 * Handlers see domain results and error codes, never a log.
 *
 * It also provisions logs: a topic's logs are made (topicChange / createLogs) before metadata
 * commits the topic, and removed after it is deleted, one topic name at a time.
 * Coordinators learn which partitions of their internal topics this broker leads through
 * onLeadershipChange.
 */
import type { InterBrokerSecurity } from './inter-broker-security.js'
import { KafkaError } from '../protocol/errors.js'
import { LogManager, type LogConfig, type OffsetAndTimestamp, type UnifiedLog } from '../storage/index.js'
import type { FaultHooks } from '../util/faults.js'
import { systemTime, type Time } from '../util/time.js'
import { mapConcurrent } from '../storage/io/files.js'
import type { MetadataChange, MetadataStore } from '../metadata/store.js'
import type { PartitionInfo, TopicInfo } from '../metadata/types.js'
import type { Logger } from '../util/logger.js'
import type { BrokerConfig } from './config.js'
import { Partition, type Role } from './partition.js'
import { locateRecords } from './record-locator.js'
import { appendRecords, type AppendOutcome, type AppendRequest } from './replica-append.js'
import { fetchMessages, type FetchParams, type FetchedPartition } from './replica-fetch.js'
import { ReplicaFetcherManager } from './replica-fetcher.js'
import { PartitionTable } from './partition-table.js'
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
  /** Time for delayed operations (acks=-1 timeouts) and follower fetch state; default the system's. */
  time?: Time
  /** How replica fetchers connect to leaders (the inter-broker listener's TLS and SASL). */
  interBroker?: InterBrokerSecurity
}

/**
 * Samsa's bound on the partition replicas one broker hosts (Kafka has no such setting; KIP-578
 * proposed one). Each costs a directory, open files on use and start-up recovery time; the bound
 * keeps a client from filling a disk with directories or the heap with logs.
 */
export const MAX_PARTITIONS_PER_BROKER = 100_000

/** A partition's leadership as this broker's role in it changed (coordinators load or unload on these). */
export interface LeadershipChange {
  topic: string
  partition: number
  role: Role
  leaderEpoch: number
}

/** What ListOffsets asks of one partition. */
export interface OffsetRequest {
  topic: string
  partition: number
  /** -2 earliest, -1 latest, -3 max timestamp, -4 earliest local, -5 latest tiered, else a timestamp. */
  timestamp: bigint
  currentLeaderEpoch?: number
  /** -2: a debugging tool, bounded by the log end offset instead of the high watermark. */
  replicaId: number
  /** Max-timestamp lookups came with ListOffsets v7. */
  allowMaxTimestamp: boolean
  /** read_committed (ListOffsets v2+ isolation level 1): consumers see offsets below the last stable offset. */
  readCommitted?: boolean
}

const EARLIEST = -2n
const LATEST = -1n
const MAX_TIMESTAMP = -3n
const EARLIEST_LOCAL = -4n
const LATEST_TIERED = -5n
const DEBUG_REPLICA = -2

export class ReplicaManager {
  readonly logs: LogManager
  readonly nodeId: number
  readonly time: Time
  readonly logger: Logger
  private readonly store: MetadataStore
  private readonly config: BrokerConfig
  private readonly partitions = new PartitionTable<Partition>()
  private readonly leadershipListeners = new Set<(c: LeadershipChange) => void>()
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
  /** Copies the logs of partitions this broker follows from their leaders. */
  readonly fetchers: ReplicaFetcherManager
  private isrTimer: NodeJS.Timeout | undefined
  private closing = false
  /** Set by a controlled shutdown: no new partitions are followed. */
  private shuttingDown = false
  /** Consumer fetches this broker served as a follower (KIP-392), for tests and metrics. */
  followerReads = 0

  private constructor(opts: ReplicaManagerOptions, logs: LogManager) {
    this.store = opts.store
    this.config = opts.config
    this.logger = opts.logger
    this.nodeId = opts.nodeId
    this.time = opts.time ?? systemTime
    this.logs = logs
    const c = opts.config
    this.fetchers = new ReplicaFetcherManager(
      {
        nodeId: opts.nodeId,
        maxWaitMs: c.get('replica.fetch.wait.max.ms'),
        minBytes: c.get('replica.fetch.min.bytes'),
        maxBytes: c.get('replica.fetch.response.max.bytes'),
        partitionMaxBytes: c.get('replica.fetch.max.bytes'),
        backoffMs: c.get('replica.fetch.backoff.ms'),
        socketTimeoutMs: c.get('replica.socket.timeout.ms'),
        fetchersPerLeader: c.get('num.replica.fetchers'),
        ...(opts.interBroker ? { security: opts.interBroker } : {}),
      },
      opts.store,
      opts.logger,
    )
    this.unsubscribe = this.store.subscribe((c) => {
      this.effectiveCache.clear()
      this.track(this.apply(c))
    })
    if (opts.schedule ?? true) {
      // Kafka checks every half of replica.lag.time.max.ms, so a follower leaves the ISR at most 1.5x the lag after it fell behind.
      this.isrTimer = setInterval(() => this.checkIsrs(), Math.max(1, Math.floor(c.get('replica.lag.time.max.ms') / 2)))
      this.isrTimer.unref()
    }
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
      ...(config.get('log.cleaner.enable')
        ? {
            cleaner: {
              threads: config.get('log.cleaner.threads'),
              dedupeBufferBytes: config.get('log.cleaner.dedupe.buffer.size'),
              ioMaxBytesPerSecond: config.get('log.cleaner.io.max.bytes.per.second'),
              backoffMs: config.get('log.cleaner.backoff.ms'),
            },
          }
        : {}),
      producerIdExpirationMs: config.get('producer.id.expiration.ms'),
      producerIdExpirationCheckIntervalMs: config.get('producer.id.expiration.check.interval.ms'),
    })
    const self = new ReplicaManager(opts, logs)
    await self.reconcile()
    for (const t of store.topics()) self.applyTopic(t)
    return self
  }

  // ---- configs ---------------------------------------------------------------------------

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

  // ---- partitions ------------------------------------------------------------------------

  /**
   * The hosted partition, for a request about it: UNKNOWN_TOPIC_OR_PARTITION when metadata
   * has no such partition, NOT_LEADER_OR_FOLLOWER when this broker is not one of its replicas.
   */
  hostedPartition(topic: string, partition: number): { partition: Partition; topic: TopicInfo } {
    const t = this.store.topic(topic)
    const info = t?.partitions[partition]
    if (!t || !info) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `This server does not host ${topic}-${partition}.`)
    const p = this.partitions.get(topic, partition)
    if (!p) throw new KafkaError('NOT_LEADER_OR_FOLLOWER', `Broker ${this.nodeId} is not a replica of ${topic}-${partition}.`)
    return { partition: p, topic: t }
  }

  /** The partition object, if this broker hosts it (tests and coordinators look at roles). */
  getPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(topic, partition)
  }

  /**
   * The log of a partition this broker leads (opened or created on first use), after the
   * leader and epoch checks; for the broker's own internal users (the coordinators' adapter).
   */
  async leaderLog(topic: string, partition: number, currentLeaderEpoch?: number): Promise<{ log: UnifiedLog; partition: Partition; topic: TopicInfo }> {
    const hosted = this.hostedPartition(topic, partition)
    hosted.partition.checkLeader(currentLeaderEpoch)
    return { log: await this.logOf(hosted.partition, hosted.topic), ...hosted }
  }

  /** The partition's log, opened or created (and attached) if it is not yet. */
  logOf(p: Partition, topic: TopicInfo): UnifiedLog | Promise<UnifiedLog> {
    const existing = p.log
    // Open already (the usual case): answered at once, so the produce path need not yield.
    if (existing && !existing.isClosed) return existing
    return this.logs.getOrCreateLog({ topic: topic.name, partition: p.partition, topicId: topic.topicId, config: this.logConfig(topic) }).then((log) => {
      p.attachLog(log)
      return log
    })
  }

  /** Tells `listener` of every change of this broker's role in a partition; returns an unsubscribe function. */
  onLeadershipChange(listener: (c: LeadershipChange) => void): () => void {
    this.leadershipListeners.add(listener)
    return () => this.leadershipListeners.delete(listener)
  }

  // ---- fetch from the closest replica (KIP-392) ------------------------------------------

  /**
   * Where a consumer in `rack` should read `p` from, with the rack-aware selector
   * (replica.selector.class): an in-sync replica in its rack that already has `fetchOffset` —
   * this leader if it is in that rack, else the follower furthest ahead. Undefined: read here.
   */
  preferredReadReplica(p: Partition, rack: string, fetchOffset: number): number | undefined {
    if (!isRackAware(this.config.get('replica.selector.class'))) return undefined
    const racks = new Map(this.store.brokers().map((b) => [b.nodeId, b.rack]))
    if (racks.get(this.nodeId) === rack) return undefined
    let best: { id: number; end: number } | undefined
    for (const r of p.isr) {
      if (r === this.nodeId || racks.get(r) !== rack) continue
      const f = p.follower(r)
      if (!f || f.logEndOffset < fetchOffset) continue
      if (!best || f.logEndOffset > best.end) best = { id: r, end: f.logEndOffset }
    }
    return best?.id
  }

  // ---- the ISR (the leader proposes, metadata commits) ------------------------------------

  /**
   * After a follower's fetch: proposes adding it to the ISR once it has caught up
   * (Partition.isrExpansion). The change is a compare-and-swap on the partition epoch; the
   * partition takes the new ISR when metadata announces it.
   */
  maybeExpandIsr(p: Partition, replicaId: number): void {
    const isr = p.isrExpansion(replicaId)
    if (isr) this.alterIsr(p, isr, { added: [replicaId] })
  }

  /**
   * Drops followers that have not caught up for replica.lag.time.max.ms from the ISR of every
   * partition this broker leads. Runs on a timer; tests with ManualTime call it.
   */
  checkIsrs(): void {
    if (this.closing) return
    const maxLag = this.config.get('replica.lag.time.max.ms')
    const now = this.time.now()
    for (const p of this.partitions.values()) {
      const shrink = p.isrShrink(now, maxLag)
      if (shrink) this.alterIsr(p, shrink.isr, { removed: shrink.removed })
    }
  }

  private alterIsr(p: Partition, isr: number[], why: { added?: number[]; removed?: number[] }): void {
    const change = p.beginIsrChange(isr)
    const fields = { topic: p.topic, partition: p.partition, leaderEpoch: p.leaderEpoch, from: p.isr.join(','), to: isr.join(','), ...why }
    this.logger.info(why.added ? 'expanding the ISR' : 'shrinking the ISR', fields)
    this.track(
      this.store.alterPartition({ topic: p.topic, partition: p.partition, partitionEpoch: change.basedOn, isr }).then(
        () => p.abandonIsrChange(change),
        (err: Error) => {
          p.abandonIsrChange(change)
          // A stale partition epoch means metadata moved on (an election, another change); it
          // brings the state to act on next.
          this.logger.warn('an ISR change was refused', { ...fields, error: err.message })
        },
      ),
    )
  }

  /**
   * Controlled shutdown (Kafka's controlled.shutdown.enable): before this broker stops, each
   * partition it leads passes to the first other in-sync replica that is a registered broker,
   * in a new leader epoch and with this broker out of the ISR, so clients move to the new leader
   * on their next retry and no acknowledged record depends on this broker. A partition with no
   * other in-sync replica stays as it is (it goes offline with the broker, as in Kafka). Returns
   * how many partitions moved; changes refused (a concurrent change) are logged and skipped.
   */
  async handOverLeaderships(): Promise<{ moved: number; kept: number }> {
    // Partitions it gives up are not followed again: fetching from the new leader would put it
    // straight back into the ISR it is leaving (Kafka keeps brokers in controlled shutdown out).
    this.shuttingDown = true
    const live = new Set(this.store.brokers().map((b) => b.nodeId))
    let moved = 0
    let kept = 0
    await mapConcurrent([...this.partitions.values()].filter((p) => p.role === 'leader'), 16, async (p) => {
      const next = p.replicas.find((r) => r !== this.nodeId && live.has(r) && p.isr.includes(r))
      if (next === undefined) {
        kept++
        return
      }
      try {
        await this.store.alterPartition({ topic: p.topic, partition: p.partition, partitionEpoch: p.partitionEpoch, leader: next, leaderEpoch: p.leaderEpoch + 1, isr: p.isr.filter((r) => r !== this.nodeId) })
        moved++
      } catch (err) {
        kept++
        this.logger.warn('handing over a leadership at shutdown failed', { topic: p.topic, partition: p.partition, to: next, error: (err as Error).message })
      }
    })
    if (moved > 0) this.logger.info('controlled shutdown: leaderships handed over', { moved, kept })
    return { moved, kept }
  }

  /**
   * OffsetForLeaderEpoch for one partition (Kafka's Partition.lastOffsetForLeaderEpoch): the
   * largest epoch <= `leaderEpoch` this leader's log knows and where it ends. Only the leader
   * answers, after the KIP-320 check, unless the asker is a debugging tool (replica id -2).
   */
  async lastOffsetForLeaderEpoch(req: { topic: string; partition: number; currentLeaderEpoch?: number; leaderEpoch: number; replicaId: number }): Promise<{ leaderEpoch: number; endOffset: number }> {
    const { partition, topic } = this.hostedPartition(req.topic, req.partition)
    if (req.replicaId === DEBUG_REPLICA) partition.checkLeaderEpoch(req.currentLeaderEpoch)
    else partition.checkLeader(req.currentLeaderEpoch)
    const log = await this.logOf(partition, topic)
    const r = log.endOffsetForEpoch(req.leaderEpoch)
    return { leaderEpoch: r.epoch, endOffset: r.endOffset }
  }

  // ---- requests --------------------------------------------------------------------------

  /** Produce (and coordinator writes): see replica-append.ts. Outcomes in the order of `req.entries`. */
  appendRecords(req: AppendRequest): Promise<AppendOutcome[]> {
    return appendRecords(this, req)
  }

  /** Fetch from consumers and followers: see replica-fetch.ts. Results in the order of `params.partitions`. */
  fetchMessages(params: FetchParams): Promise<FetchedPartition[]> {
    return fetchMessages(this, params)
  }

  /**
   * ListOffsets for one partition (Kafka's Partition.fetchOffsetForTimestamp): the leader
   * answers, consumers never see offsets at or past the high watermark (read_committed: the
   * last stable offset), a debugging tool
   * (replica id -2) reads up to the log end. Undefined when nothing matches.
   */
  async listOffset(req: OffsetRequest): Promise<OffsetAndTimestamp | undefined> {
    const { log } = await this.leaderLog(req.topic, req.partition, req.currentLeaderEpoch)
    if (req.timestamp === MAX_TIMESTAMP && !req.allowMaxTimestamp) throw new KafkaError('UNSUPPORTED_VERSION', 'max timestamp lookups need ListOffsets v7+')
    const bound = req.replicaId === DEBUG_REPLICA ? log.logEndOffset : req.readCommitted ? log.lastStableOffset : log.highWatermark
    const locate = locateRecords(this.config.get('socket.request.max.bytes'), (err) => {
      this.logger.warn('a stored batch is too large to decode; ListOffsets answers from its header', { topic: req.topic, partition: req.partition, error: err.message })
    })
    switch (req.timestamp) {
      case EARLIEST:
      case EARLIEST_LOCAL:
        return log.fetchOffset({ kind: 'earliest' })
      case LATEST: {
        const latest = await log.fetchOffset({ kind: 'latest' })
        return latest && { ...latest, offset: bound }
      }
      case LATEST_TIERED:
        return undefined
      case MAX_TIMESTAMP: {
        const found = await log.fetchOffset({ kind: 'maxTimestamp' }, { locate })
        return found && found.offset < bound ? found : undefined
      }
      default: {
        const found = await log.fetchOffset({ kind: 'timestamp', timestamp: Number(req.timestamp) }, { locate })
        return found && found.offset < bound ? found : undefined
      }
    }
  }

  /**
   * ListOffsets v0 for one partition (Kafka's Partition.legacyFetchOffsetsForTimestamp): the
   * log's offsets by segment times; a consumer never sees one past the high watermark: those
   * are replaced by the high watermark itself.
   */
  async legacyListOffsets(req: { topic: string; partition: number; timestamp: bigint; maxNumOffsets: number; replicaId: number }): Promise<number[]> {
    const { log } = await this.leaderLog(req.topic, req.partition)
    const ts = req.timestamp < BigInt(Number.MIN_SAFE_INTEGER) || req.timestamp > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(req.timestamp)
    const offsets = await log.legacyOffsetsBefore(ts, req.maxNumOffsets)
    if (req.replicaId !== -1) return offsets
    const hw = log.highWatermark
    return offsets.some((o) => o > hw) ? [hw, ...offsets.filter((o) => o <= hw)] : offsets
  }

  /**
   * DeleteRecords for one partition: moves the log start offset to `offset` (-1: the high
   * watermark) on the leader and returns the new low watermark. POLICY_VIOLATION unless the
   * topic's cleanup.policy includes delete; OFFSET_OUT_OF_RANGE past the high watermark.
   */
  async deleteRecords(topic: string, partition: number, offset: bigint): Promise<number> {
    const { log, topic: info } = await this.leaderLog(topic, partition)
    const policy = this.effectiveConfigs(info).get('cleanup.policy')!.value
    if (!policy.split(',').some((p) => p.trim() === 'delete')) {
      throw new KafkaError('POLICY_VIOLATION', `Records of partition ${topic}-${partition} can not be deleted due to the configured policy`)
    }
    const target = offset === -1n ? BigInt(log.highWatermark) : offset
    if (target < 0n) throw new KafkaError('OFFSET_OUT_OF_RANGE', `The offset ${target} for partition ${topic}-${partition} is not valid`)
    // Anything above 2^53 is past any high watermark; the log refuses it as out of range.
    return log.deleteRecordsBefore(target > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(target))
  }

  /** DescribeLogDirs: every open log by the dir it lives in, with its size and offset lag. */
  logDirs(wanted?: (topic: string, partition: number) => boolean): Map<string, Array<{ topic: string; partition: number; size: number; offsetLag: number }>> {
    const out = new Map<string, Array<{ topic: string; partition: number; size: number; offsetLag: number }>>()
    for (const log of this.logs.allLogs()) {
      if (log.isClosed || (wanted && !wanted(log.topic, log.partition))) continue
      const dir = this.logs.logDirOf({ topic: log.topic, partition: log.partition })
      if (dir === undefined) continue
      const list = out.get(dir) ?? []
      list.push({ topic: log.topic, partition: log.partition, size: log.size, offsetLag: Math.max(log.highWatermark - log.logEndOffset, 0) })
      out.set(dir, list)
    }
    return out
  }

  // ---- log provisioning ------------------------------------------------------------------

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
      const log = await this.logs.getOrCreateLog({ topic: topic.name, partition: p.partition, topicId: topic.topicId, config })
      this.partitions.get(topic.name, p.partition)?.attachLog(log)
    })
  }

  /**
   * Deletes this broker's log of a partition reassigned away from it (Kafka's StopReplica with
   * deletion), unless metadata has since made it a replica again or the topic is another one now.
   */
  private async deleteMovedLog(topic: TopicInfo, partition: number): Promise<void> {
    const now = this.store.topic(topic.name)
    if (now?.topicId !== topic.topicId || now.partitions[partition]?.replicas.includes(this.nodeId)) return
    const log = this.logs.getLog({ topic: topic.name, partition })
    if (!log || (log.topicId !== undefined && log.topicId !== topic.topicId)) return
    await this.logs.deleteLog({ topic: topic.name, partition })
    this.logger.info('deleted the log of a partition reassigned away from this broker', { topic: topic.name, partition })
  }

  /** Waits for log creation and deletion triggered by metadata changes. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }

  async close(): Promise<void> {
    this.closing = true
    clearInterval(this.isrTimer)
    this.unsubscribe()
    await this.fetchers.close()
    await this.settled()
    for (const p of this.partitions.values()) p.stop()
    await this.logs.close()
  }

  // ---- metadata changes ------------------------------------------------------------------

  private track(p: Promise<unknown>): void {
    const done = p.catch((err: Error) => this.logger.error('applying a metadata change failed', { error: err.message })).finally(() => this.pending.delete(done))
    this.pending.add(done)
  }

  /**
   * Brings partitions and logs in line with one metadata change. Roles change at once (a
   * produce right after an alterPartition sees the new leader); log work for a topic runs in
   * that name's queue (topicChange), behind the administration that made the change: a topic
   * created by topic-admin already has its logs, and a deleted one has lost them, so for those
   * this finds nothing left to do; it acts for changes made directly on the store.
   */
  private apply(change: MetadataChange): Promise<void> {
    switch (change.type) {
      case 'topicCreated':
        this.applyTopic(change.topic)
        return this.topicChange(change.topic.name, () => this.ensureLogs(change.topic))
      case 'partitionsCreated':
        this.applyTopic(change.topic, change.from)
        return this.topicChange(change.topic.name, () => this.ensureLogs(change.topic, change.from))
      case 'partitionChanged': {
        this.applyPartition(change.topic, change.partition)
        const { topic, partition, previous } = change
        if (!previous.replicas.includes(this.nodeId) || partition.replicas.includes(this.nodeId)) return Promise.resolve()
        return this.topicChange(topic.name, () => this.deleteMovedLog(topic, partition.partition))
      }
      case 'topicDeleted':
        for (const p of change.topic.partitions) this.removePartition(change.topic.name, p.partition)
        return this.topicChange(change.topic.name, () => this.deleteLogs(change.topic))
      case 'topicConfigChanged':
        this.logs.setTopicConfig(change.topic.name, this.logConfig(change.topic))
        return Promise.resolve()
      case 'brokerConfigChanged':
        for (const t of this.store.topics()) this.logs.setTopicConfig(t.name, this.logConfig(t))
        return Promise.resolve()
      case 'clientQuotasChanged':
      case 'brokerRegistered':
      case 'brokerUnregistered':
      case 'controllerChanged':
      case 'aclsChanged':
      case 'scramCredentialChanged':
        return Promise.resolve()
    }
  }

  private applyTopic(topic: TopicInfo, from = 0): void {
    for (const p of topic.partitions.slice(from)) this.applyPartition(topic, p)
  }

  /** Kafka's makeLeader / makeFollower for one partition, from its state in metadata. */
  private applyPartition(topic: TopicInfo, info: PartitionInfo): void {
    if (!info.replicas.includes(this.nodeId)) {
      this.removePartition(topic.name, info.partition)
      return
    }
    let p = this.partitions.get(topic.name, info.partition)
    if (!p) {
      p = new Partition({ topic: topic.name, partition: info.partition, nodeId: this.nodeId })
      this.partitions.set(topic.name, info.partition, p)
      const log = this.logs.getLog({ topic: topic.name, partition: info.partition })
      if (log && !log.isClosed && (log.topicId === undefined || log.topicId === topic.topicId)) p.attachLog(log)
    }
    const leads = info.leader === this.nodeId
    const changed = leads ? p.makeLeader(info, this.time.now()) : p.makeFollower(info)
    if (!changed) return
    if (leads) {
      this.fetchers.remove(p)
      this.track(this.beginEpoch(p, topic))
    } else if (info.leader >= 0) {
      this.track(this.follow(p, topic))
    } else {
      this.fetchers.remove(p)
    }
    this.announce({ topic: topic.name, partition: info.partition, role: p.role, leaderEpoch: p.leaderEpoch })
  }

  /** A new leader epoch starts at the log end (Kafka writes it before any record of the epoch). */
  private async beginEpoch(p: Partition, topic: TopicInfo): Promise<void> {
    const epoch = p.leaderEpoch
    const log = await this.logOf(p, topic)
    if (p.role === 'leader' && p.leaderEpoch === epoch) await log.assignEpochStartOffset(epoch, log.logEndOffset)
  }

  /** Starts copying from the partition's leader, once its log is open (it may still be being created). */
  private async follow(p: Partition, topic: TopicInfo): Promise<void> {
    const epoch = p.leaderEpoch
    const leader = p.leaderId
    const log = await this.logOf(p, topic)
    if (this.closing || this.shuttingDown || p.role !== 'follower' || p.leaderEpoch !== epoch || p.leaderId !== leader) return
    this.fetchers.add({ partition: p, log, leaderId: leader, leaderEpoch: epoch })
  }

  private removePartition(topic: string, partition: number): void {
    const p = this.partitions.get(topic, partition)
    if (!p) return
    this.partitions.delete(topic, partition)
    this.fetchers.remove(p)
    p.stop()
    this.announce({ topic, partition, role: 'none', leaderEpoch: p.leaderEpoch })
  }

  private announce(change: LeadershipChange): void {
    for (const l of [...this.leadershipListeners]) {
      try {
        l(change)
      } catch (err) {
        this.logger.error('a leadership listener failed', { topic: change.topic, partition: change.partition, error: (err as Error).message })
      }
    }
  }

  /**
   * Start-up: brings logs and metadata into agreement. Logs of topics metadata does not know
   * are either adopted (no metadata file existed: data from before the store, or a lost file —
   * rebuilding beats deleting) or deleted (their topic was deleted and the broker stopped
   * before the logs were removed). High watermarks are the leaders' business (Partition).
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
      }
    }
    for (const [topic, logs] of strays) {
      const known = this.store.topic(topic)
      if (!this.store.existed && !known) {
        const partitions = Math.max(...logs.map((l) => l.partition)) + 1
        const topicId = logs.find((l) => l.topicId !== undefined)?.topicId
        this.logger.warn('adopting logs found without metadata', { topic, partitions })
        await this.store.createTopic({ name: topic, assignments: Array.from({ length: partitions }, () => [this.nodeId]), configs: {}, ...(topicId ? { topicId } : {}) })
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

/** Kafka's class name of the rack-aware selector; '' (the default) reads from leaders only. */
export const RACK_AWARE_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector'

function isRackAware(selector: string): boolean {
  return selector === RACK_AWARE_SELECTOR || selector === 'RackAwareReplicaSelector'
}

function layersOf(config: BrokerConfig, store: MetadataStore, nodeId: number): ConfigLayer[] {
  return brokerLayers(config, store.brokerConfigs(nodeId), store.brokerConfigs(null))
}

export { errorCodeOf } from './error-codes.js'
export type { OffsetAndTimestamp } from '../storage/index.js'
