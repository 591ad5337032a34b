/**
 * One entry of `log.dirs`: its identity (`meta.properties`), the per-directory checkpoint
 * files and the clean-shutdown marker, and the partition directories it holds.
 */
import { constants } from 'node:fs'
import { access, mkdir, readdir, rm, rmdir, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { FaultHooks } from '../util/faults.js'
import { randomKafkaUuid, readMetaProperties, writeMetaProperties, type MetaProperties } from './checkpoint/meta-properties.js'
import { partitionKey, readOffsetCheckpoint, writeOffsetCheckpoint, type PartitionOffset } from './checkpoint/offset-checkpoint.js'
import { StorageError, isNotFound } from './errors.js'
import { writeFileAtomic } from './io/files.js'
import type { StorageLogger } from './logger.js'
import {
  CLEAN_SHUTDOWN_FILE,
  DELETE_DIR_SUFFIX,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  META_PROPERTIES_FILE,
  RECOVERY_POINT_CHECKPOINT_FILE,
  REPLICATION_OFFSET_CHECKPOINT_FILE,
  parsePartitionDirName,
} from './log/file-names.js'

export interface PartitionCheckpoints {
  recoveryPoint?: number
  logStartOffset?: number
  highWatermark?: number
}

/** What a log dir records about each of its partitions. */
export interface PartitionState {
  topic: string
  partition: number
  recoveryPoint: number
  logStartOffset: number
  highWatermark: number
}

export class LogDir {
  readonly path: string
  readonly meta: MetaProperties
  /** The marker was present at open: logs need no recovery scan. */
  readonly hadCleanShutdown: boolean
  private readonly recoveryPoints: Map<string, number>
  private readonly logStartOffsets: Map<string, number>
  private readonly highWatermarks: Map<string, number>

  private constructor(args: {
    path: string
    meta: MetaProperties
    hadCleanShutdown: boolean
    recoveryPoints: Map<string, number>
    logStartOffsets: Map<string, number>
    highWatermarks: Map<string, number>
  }) {
    this.path = args.path
    this.meta = args.meta
    this.hadCleanShutdown = args.hadCleanShutdown
    this.recoveryPoints = args.recoveryPoints
    this.logStartOffsets = args.logStartOffsets
    this.highWatermarks = args.highWatermarks
  }

  /**
   * Opens (creating if needed) a log dir. meta.properties must name the same cluster and node
   * when both are known; a dir from another broker is refused (INCONSISTENT_LOG_DIR).
   */
  static async open(options: { path: string; clusterId?: string; nodeId?: number; logger: StorageLogger }): Promise<LogDir> {
    const { path, logger } = options
    await ensureLogDir(path)
    const metaPath = join(path, META_PROPERTIES_FILE)
    let meta = await readMetaProperties(metaPath)
    if (meta) {
      const existingCluster = meta['cluster.id']
      if (options.clusterId !== undefined && existingCluster !== undefined && existingCluster !== options.clusterId) {
        throw new StorageError('INCONSISTENT_LOG_DIR', `${path} belongs to cluster ${existingCluster}, not ${options.clusterId}`)
      }
      const existingNode = meta['node.id'] ?? meta['broker.id']
      if (options.nodeId !== undefined && existingNode !== undefined && existingNode !== String(options.nodeId)) {
        throw new StorageError('INCONSISTENT_LOG_DIR', `${path} belongs to node ${existingNode}, not ${options.nodeId}`)
      }
    } else {
      meta = { version: '1', 'directory.id': randomKafkaUuid() }
      if (options.clusterId !== undefined) meta['cluster.id'] = options.clusterId
      if (options.nodeId !== undefined) meta['node.id'] = String(options.nodeId)
      await writeMetaProperties(metaPath, meta)
    }
    const read = async (name: string): Promise<Map<string, number>> => {
      try {
        return await readOffsetCheckpoint(join(path, name))
      } catch (err) {
        // A damaged checkpoint only costs a longer recovery, never data.
        logger.warn(`${path}: ignoring ${name}: ${(err as Error).message}`)
        return new Map()
      }
    }
    return new LogDir({
      path,
      meta,
      hadCleanShutdown: await exists(join(path, CLEAN_SHUTDOWN_FILE)),
      recoveryPoints: await read(RECOVERY_POINT_CHECKPOINT_FILE),
      logStartOffsets: await read(LOG_START_OFFSET_CHECKPOINT_FILE),
      highWatermarks: await read(REPLICATION_OFFSET_CHECKPOINT_FILE),
    })
  }

  /** Partition directories, after removing leftovers of deleted partitions. */
  async listPartitions(): Promise<Array<{ topic: string; partition: number; dir: string }>> {
    const out: Array<{ topic: string; partition: number; dir: string }> = []
    for (const entry of await readdir(this.path, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue
      if (entry.name.endsWith(DELETE_DIR_SUFFIX)) {
        await rm(join(this.path, entry.name), { recursive: true, force: true })
        continue
      }
      const parsed = parsePartitionDirName(entry.name)
      if (parsed) out.push({ ...parsed, dir: join(this.path, entry.name) })
    }
    return out
  }

  partitionDir(topic: string, partition: number): string {
    return join(this.path, partitionKey(topic, partition))
  }

  /** Checkpointed offsets of a partition (absent ones are unknown). */
  checkpointsFor(topic: string, partition: number): PartitionCheckpoints {
    const key = partitionKey(topic, partition)
    const out: PartitionCheckpoints = {}
    const rp = this.recoveryPoints.get(key)
    const lso = this.logStartOffsets.get(key)
    const hw = this.highWatermarks.get(key)
    if (rp !== undefined) out.recoveryPoint = rp
    if (lso !== undefined) out.logStartOffset = lso
    if (hw !== undefined) out.highWatermark = hw
    return out
  }

  /** Rewrites the three offset checkpoints from the current state of this dir's partitions. */
  async writeCheckpoints(partitions: readonly PartitionState[], options: { fsync?: boolean } = {}): Promise<void> {
    const list = (pick: (p: PartitionState) => number): PartitionOffset[] =>
      partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: pick(p) }))
    await writeOffsetCheckpoint(join(this.path, RECOVERY_POINT_CHECKPOINT_FILE), list((p) => p.recoveryPoint), options)
    await writeOffsetCheckpoint(join(this.path, LOG_START_OFFSET_CHECKPOINT_FILE), list((p) => p.logStartOffset), options)
    await writeOffsetCheckpoint(join(this.path, REPLICATION_OFFSET_CHECKPOINT_FILE), list((p) => p.highWatermark), options)
  }

  /** Written last at a clean shutdown: everything is flushed and checkpointed. */
  async writeCleanShutdownMarker(): Promise<void> {
    await writeFileAtomic(join(this.path, CLEAN_SHUTDOWN_FILE), '{"version":0,"brokerEpoch":-1}')
  }

  /** Removed once the logs are loaded, so a crash from now on is seen as unclean. */
  async removeCleanShutdownMarker(): Promise<void> {
    try {
      await unlink(join(this.path, CLEAN_SHUTDOWN_FILE))
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
  }
}

const CAUSES: Record<string, string> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'it exists and is not a directory',
}

/**
 * Creates `path` if needed and checks the broker can write there, failing with the dir and the
 * real cause. Node's recursive mkdir reports ENOENT when a missing parent cannot be created
 * (a read-only file system, a directory without write permission), which reads as "someone
 * deleted it"; the nearest existing ancestor is asked instead, and its error is the cause.
 * Fault point `logdir.open` (detail: the dir) lets tests stand in for the file system.
 */
export async function ensureLogDir(path: string, faults?: FaultHooks): Promise<void> {
  try {
    faults?.check('logdir.open', path)
    await mkdir(path, { recursive: true })
    await access(path, constants.R_OK | constants.W_OK | constants.X_OK)
  } catch (err) {
    const cause = (await realCause(path, err)) as NodeJS.ErrnoException
    const code = cause.code ?? 'EIO'
    const why = CAUSES[code] ?? cause.message
    throw new StorageError(
      'KAFKA_STORAGE_ERROR',
      `cannot use log dir ${path}: ${why} (${code}${cause.path && cause.path !== path ? ` at ${cause.path}` : ''}); point log.dirs at a directory this broker can write`,
    )
  }
}

async function realCause(path: string, err: unknown): Promise<unknown> {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return err
  for (let dir = dirname(path), child = path; dir !== child; child = dir, dir = dirname(dir)) {
    try {
      await access(dir)
    } catch {
      continue
    }
    // `dir` exists and `child` could not be made in it: ask it why.
    try {
      await access(dir, constants.W_OK | constants.X_OK)
    } catch (e) {
      return e
    }
    try {
      await mkdir(child)
    } catch (e) {
      return e
    }
    // It could be made after all (a race): leave no trace of the diagnosis.
    await rmdir(child).catch(() => {})
    return err
  }
  return err
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
