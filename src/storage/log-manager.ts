/**
 * All partition logs of a broker across its `log.dirs`: loads them at start-up (recovering
 * after an unclean shutdown), creates and deletes logs, runs retention, flush.ms and the
 * checkpoint writers periodically, and on close flushes everything and leaves the
 * clean-shutdown marker. Logs share one bounded pool of open files and one index memory budget.
 */
import { access, rm } from 'node:fs/promises'
import { systemClock, type Clock } from './clock.js'
import { resolveLogConfig, type LogConfig } from './config.js'
import { StorageError } from './errors.js'
import { IndexCache } from './index/index-cache.js'
import { FileCache } from './io/file-cache.js'
import { openFileBudget } from './io/open-file-limit.js'
import { mapConcurrent } from './io/files.js'
import { LogDir } from './log-dir.js'
import { LogCleaner, type CleanedLog, type LogCleanerOptions } from './log/cleaner/log-cleaner.js'
import { partitionDirName } from './log/file-names.js'
import { UnifiedLog } from './log/unified-log.js'
import { consoleLogger, type StorageLogger } from './logger.js'
import { FaultHooks } from '../util/faults.js'

export interface LogManagerOptions {
  /** log.dirs */
  logDirs: string[]
  /** Checked against / written to meta.properties. */
  clusterId?: string
  nodeId?: number
  /** Broker-level defaults (log.segment.bytes etc. mapped to topic-level names). */
  defaultConfig?: Partial<LogConfig>
  /** Per-topic overrides, asked for each log loaded at start-up. */
  topicConfig?: (topic: string) => Partial<LogConfig> | undefined
  clock?: Clock
  logger?: StorageLogger
  /** Bound on open segment files across all logs (default: from the process's open-file limit, openFileBudget). */
  maxOpenFiles?: number
  /** Memory for indexes of inactive segments (default 128 MiB). */
  indexCacheBytes?: number
  /** Partitions loaded in parallel at start-up (default 32). */
  loadConcurrency?: number
  /** Run the periodic tasks on timers (default true). Tests turn this off and call them. */
  schedule?: boolean
  /** log.retention.check.interval.ms (default 300000). */
  retentionCheckIntervalMs?: number
  /** How often flush.ms is checked (default 1000). */
  flushCheckIntervalMs?: number
  /** log.flush.offset.checkpoint.interval.ms (default 60000); also used for the log start offsets. */
  checkpointIntervalMs?: number
  /** replica.high.watermark.checkpoint.interval.ms (default 5000). */
  highWatermarkCheckpointIntervalMs?: number
  /** Fault hooks shared by every log (tests arm them; see UnifiedLogOptions.faults); default: none armed. */
  faults?: FaultHooks
  /** producer.id.expiration.ms (default 86400000). */
  producerIdExpirationMs?: number
  /** producer.id.expiration.check.interval.ms (default 600000): how often idle producers are forgotten. */
  producerIdExpirationCheckIntervalMs?: number
  /** The log cleaner for compacted topics (log.cleaner.enable); absent: no cleaning. */
  cleaner?: LogCleanerOptions & { backoffMs: number }
}

export interface TopicPartition {
  topic: string
  partition: number
}

export interface LoadStats {
  partitions: number
  /** Segments scanned by recovery (0 after a clean shutdown). */
  recoveredSegments: number
  truncatedBytes: number
  millis: number
}

interface ManagedLog {
  log: UnifiedLog
  dir: LogDir
}

export class LogManager {
  readonly files: FileCache
  readonly indexCache: IndexCache
  /** True when every log dir had been shut down cleanly. */
  readonly hadCleanShutdown: boolean
  readonly loadStats: LoadStats
  readonly faults: FaultHooks
  private readonly dirs: LogDir[]
  private readonly logs = new Map<string, ManagedLog>()
  private readonly creating = new Map<string, Promise<UnifiedLog>>()
  private readonly topicOverrides = new Map<string, Partial<LogConfig>>()
  private readonly options: LogManagerOptions
  private readonly clock: Clock
  private readonly logger: StorageLogger
  private readonly timers: NodeJS.Timeout[] = []
  private readonly running = new Set<string>()
  private closed = false
  /** Cleans compacted logs (absent when log.cleaner.enable is false). */
  readonly cleaner: LogCleaner | undefined

  private constructor(options: LogManagerOptions, dirs: LogDir[], files: FileCache, indexCache: IndexCache, stats: LoadStats) {
    this.options = options
    this.dirs = dirs
    this.files = files
    this.indexCache = indexCache
    this.clock = options.clock ?? systemClock
    this.cleaner = options.cleaner ? new LogCleaner(options.cleaner, options.logger ?? consoleLogger) : undefined
    this.logger = options.logger ?? consoleLogger
    this.faults = options.faults ?? new FaultHooks()
    this.hadCleanShutdown = dirs.every((d) => d.hadCleanShutdown)
    this.loadStats = stats
  }

  static async open(options: LogManagerOptions): Promise<LogManager> {
    if (options.logDirs.length === 0) throw new StorageError('INVALID_CONFIG', 'log.dirs is empty')
    const started = performance.now()
    const logger = options.logger ?? consoleLogger
    resolveLogConfig(options.defaultConfig) // fail early on a bad default
    const dirs: LogDir[] = []
    for (const path of options.logDirs) {
      dirs.push(await LogDir.open({ path, ...optional('clusterId', options.clusterId), ...optional('nodeId', options.nodeId), logger }))
    }
    const files = new FileCache({ maxOpenFiles: options.maxOpenFiles ?? openFileBudget() })
    const indexCache = new IndexCache({ maxBytes: options.indexCacheBytes ?? 128 * 1024 * 1024 })
    const stats: LoadStats = { partitions: 0, recoveredSegments: 0, truncatedBytes: 0, millis: 0 }
    const manager = new LogManager(options, dirs, files, indexCache, stats)
    await manager.loadAll()
    for (const dir of dirs) await dir.removeCleanShutdownMarker()
    stats.millis = performance.now() - started
    if (options.schedule ?? true) manager.startSchedulers()
    return manager
  }

  private async loadAll(): Promise<void> {
    const found: Array<{ topic: string; partition: number; dir: string; logDir: LogDir }> = []
    // A set, not a search of `found`: with 10,000 partitions the search cost seconds at start-up.
    const seen = new Set<string>()
    for (const logDir of this.dirs) {
      for (const p of await logDir.listPartitions()) {
        const key = partitionDirName(p.topic, p.partition)
        if (seen.has(key)) {
          throw new StorageError('KAFKA_STORAGE_ERROR', `partition ${key} exists in more than one log dir`)
        }
        seen.add(key)
        found.push({ ...p, logDir })
      }
    }
    await mapConcurrent(found, this.options.loadConcurrency ?? 32, async (p) => {
      const cp = p.logDir.checkpointsFor(p.topic, p.partition)
      const log = await UnifiedLog.open({
        dir: p.dir,
        topic: p.topic,
        partition: p.partition,
        config: this.configFor(p.topic),
        ...this.shared(),
        ...optional('recoveryPoint', cp.recoveryPoint),
        ...optional('logStartOffset', cp.logStartOffset),
        ...optional('highWatermark', cp.highWatermark),
        hadCleanShutdown: p.logDir.hadCleanShutdown,
      })
      this.logs.set(partitionDirName(p.topic, p.partition), { log, dir: p.logDir })
      this.loadStats.partitions++
      this.loadStats.recoveredSegments += log.recovery.scannedSegments
      this.loadStats.truncatedBytes += log.recovery.truncatedBytes
    })
  }

  private shared(): { files: FileCache; indexCache: IndexCache; clock: Clock; logger: StorageLogger; faults: FaultHooks; producerIdExpirationMs?: number } {
    return { files: this.files, indexCache: this.indexCache, clock: this.clock, logger: this.logger, faults: this.faults, ...optional('producerIdExpirationMs', this.options.producerIdExpirationMs) }
  }

  private configFor(topic: string, extra?: Partial<LogConfig>): LogConfig {
    const base = resolveLogConfig(this.options.defaultConfig)
    const withTopic = resolveLogConfig({ ...this.options.topicConfig?.(topic), ...this.topicOverrides.get(topic) }, base)
    return resolveLogConfig(extra ?? {}, withTopic)
  }

  // ---- logs ------------------------------------------------------------------------------

  getLog(tp: TopicPartition): UnifiedLog | undefined {
    return this.logs.get(partitionDirName(tp.topic, tp.partition))?.log
  }

  /** The log dir (as given in log.dirs) holding a partition's log; undefined when there is none. */
  logDirOf(tp: TopicPartition): string | undefined {
    return this.logs.get(partitionDirName(tp.topic, tp.partition))?.dir.path
  }

  /** Every open log. */
  allLogs(): UnifiedLog[] {
    return [...this.logs.values()].map((m) => m.log)
  }

  /**
   * The log of a partition, created (in the log dir holding the fewest partitions) if it does
   * not exist. A topic id, when given, must match the one the log was created with.
   */
  async getOrCreateLog(options: TopicPartition & { topicId?: string; config?: Partial<LogConfig> }): Promise<UnifiedLog> {
    this.ensureOpen()
    const key = partitionDirName(options.topic, options.partition)
    const existing = this.logs.get(key)
    if (existing) {
      if (options.topicId !== undefined && existing.log.topicId !== undefined && existing.log.topicId !== options.topicId) {
        throw new StorageError('INCONSISTENT_TOPIC_ID', `${key} has topic id ${existing.log.topicId}, not ${options.topicId}`)
      }
      return existing.log
    }
    const pending = this.creating.get(key)
    if (pending) return pending
    const create = (async () => {
      if (options.config) this.topicOverrides.set(options.topic, { ...this.topicOverrides.get(options.topic), ...options.config })
      const dir = this.leastLoadedDir()
      const path = dir.partitionDir(options.topic, options.partition)
      const existed = await access(path).then(() => true, () => false)
      let log: UnifiedLog
      try {
        log = await UnifiedLog.open({
          dir: path,
          topic: options.topic,
          partition: options.partition,
          config: this.configFor(options.topic),
          ...optional('topicId', options.topicId),
          ...this.shared(),
          hadCleanShutdown: true, // a new directory has nothing to recover
        })
      } catch (err) {
        // A full disk can fail the segment files after the directory was made: leave no half-made
        // partition dir behind (the next start would load it as a log of no topic).
        if (!existed) await rm(path, { recursive: true, force: true }).catch(() => undefined)
        throw err
      }
      this.logs.set(key, { log, dir })
      return log
    })()
    this.creating.set(key, create)
    try {
      return await create
    } finally {
      this.creating.delete(key)
    }
  }

  /** Closes the log and removes its directory. Returns false if there was no such log. */
  async deleteLog(tp: TopicPartition): Promise<boolean> {
    const key = partitionDirName(tp.topic, tp.partition)
    const managed = this.logs.get(key)
    if (!managed) return false
    this.logs.delete(key)
    // A topic made again under the same name must not inherit where the old one's cleaning ended.
    this.cleaner?.forget(managed.dir.path, tp.topic, tp.partition)
    await managed.log.delete()
    return true
  }

  /** Changes a topic's config (IncrementalAlterConfigs) for its existing and future logs. */
  setTopicConfig(topic: string, overrides: Partial<LogConfig>): void {
    this.topicOverrides.set(topic, { ...this.topicOverrides.get(topic), ...overrides })
    const config = this.configFor(topic)
    for (const { log } of this.logs.values()) if (log.topic === topic) log.updateConfig(config)
  }

  private leastLoadedDir(): LogDir {
    const counts = new Map(this.dirs.map((d) => [d, 0]))
    for (const { dir } of this.logs.values()) counts.set(dir, (counts.get(dir) ?? 0) + 1)
    return this.dirs.reduce((best, d) => (counts.get(d)! < counts.get(best)! ? d : best))
  }

  // ---- periodic tasks --------------------------------------------------------------------

  /** One cleaner round over every compacted log (the scheduler runs it every log.cleaner.backoff.ms). */
  async runCleaner(): Promise<CleanedLog[]> {
    if (!this.cleaner) return []
    const logs = [...this.logs.values()].map((m) => ({ log: m.log, dir: m.dir.path }))
    return this.cleaner.cleanOnce(logs, this.clock.now())
  }

  /** Applies retention to every log; returns the number of segments deleted. */
  async runRetention(): Promise<number> {
    let deleted = 0
    for (const log of this.allLogs()) {
      if (log.isClosed) continue
      try {
        deleted += (await log.deleteOldSegments()).deleted
      } catch (err) {
        this.logger.warn(`retention of ${log.topic}-${log.partition} failed: ${(err as Error).message}`)
      }
    }
    return deleted
  }

  /** Forgets producers idle past producer.id.expiration.ms in every log; returns how many. */
  removeExpiredProducers(): number {
    let removed = 0
    for (const log of this.allLogs()) removed += log.removeExpiredProducers()
    return removed
  }

  /** Flushes logs whose unflushed data is older than their flush.ms; returns how many. */
  async flushDueLogs(): Promise<number> {
    let flushed = 0
    for (const log of this.allLogs()) {
      if (Number.isFinite(log.config.flushMs) && (await log.flushIfDue())) flushed++
    }
    return flushed
  }

  /** Writes the recovery point, log start offset and high watermark checkpoints of every dir. */
  async checkpoint(): Promise<void> {
    for (const dir of this.dirs) {
      const states = [...this.logs.values()]
        .filter((m) => m.dir === dir)
        .map(({ log }) => ({
          topic: log.topic,
          partition: log.partition,
          recoveryPoint: log.recoveryPoint,
          logStartOffset: log.logStartOffset,
          highWatermark: log.highWatermark,
        }))
      await dir.writeCheckpoints(states)
    }
  }

  private startSchedulers(): void {
    const every = (name: string, ms: number, task: () => Promise<unknown>): void => {
      const timer = setInterval(() => {
        if (this.running.has(name) || this.closed) return
        this.running.add(name)
        task()
          .catch((err: Error) => this.logger.warn(`${name} failed: ${err.message}`))
          .finally(() => this.running.delete(name))
      }, ms)
      timer.unref()
      this.timers.push(timer)
    }
    const o = this.options
    every('retention', o.retentionCheckIntervalMs ?? 300_000, () => this.runRetention())
    if (o.cleaner) every('cleaner', o.cleaner.backoffMs, () => this.runCleaner())
    every('flush', o.flushCheckIntervalMs ?? 1000, () => this.flushDueLogs())
    every('producer-expiration', o.producerIdExpirationCheckIntervalMs ?? 600_000, async () => this.removeExpiredProducers())
    // One writer for all three files; it runs at the shorter (high watermark) interval.
    every('checkpoint', Math.min(o.checkpointIntervalMs ?? 60_000, o.highWatermarkCheckpointIntervalMs ?? 5000), () => this.checkpoint())
  }

  // ---- shutdown --------------------------------------------------------------------------

  /** Clean shutdown: flush and close every log, write checkpoints, then the clean-shutdown marker. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const t of this.timers) clearInterval(t)
    // A cleaning pass in progress fails at once (no trace) rather than holding the stop up.
    await this.cleaner?.stop()
    while (this.running.size > 0) await new Promise((r) => setTimeout(r, 5))
    await Promise.allSettled([...this.creating.values()])
    await mapConcurrent(this.allLogs(), this.options.loadConcurrency ?? 32, (log) => log.close({ flush: true }))
    await this.checkpoint()
    for (const dir of this.dirs) await dir.writeCleanShutdownMarker()
    await this.files.closeAll()
  }

  private ensureOpen(): void {
    if (this.closed) throw new StorageError('LOG_CLOSED', 'log manager is closed')
  }
}

/** `{ [key]: value }` when value is defined, else `{}` (for exactOptionalPropertyTypes-style spreads). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}
