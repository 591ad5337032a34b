/** Kafka's names for files in a log directory. */
import { join } from 'node:path'

export const LOG_SUFFIX = '.log'
export const INDEX_SUFFIX = '.index'
export const TIME_INDEX_SUFFIX = '.timeindex'
/** Appended to segment files awaiting deletion (file.delete.delay.ms). */
export const DELETED_SUFFIX = '.deleted'
/** Left by an interrupted atomic write. */
export const TMP_SUFFIX = '.tmp'
/** Appended (with a unique id) to a partition directory being deleted. */
export const DELETE_DIR_SUFFIX = '-delete'

export const PARTITION_METADATA_FILE = 'partition.metadata'
export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint'
export const META_PROPERTIES_FILE = 'meta.properties'
export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint'
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint'
export const REPLICATION_OFFSET_CHECKPOINT_FILE = 'replication-offset-checkpoint'
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown'

/** `00000000000000000042` for 42: base offsets are zero-padded to 20 digits so names sort. */
export function offsetFileStem(offset: number): string {
  return String(offset).padStart(20, '0')
}

export function segmentPath(dir: string, baseOffset: number, suffix: string): string {
  return join(dir, offsetFileStem(baseOffset) + suffix)
}

/** Base offset from a segment file name such as `00000000000000000042.log`, if it is one. */
export function parseSegmentFileName(name: string, suffix: string): number | undefined {
  if (!name.endsWith(suffix)) return undefined
  const stem = name.slice(0, -suffix.length)
  if (!/^\d{20}$/.test(stem)) return undefined
  const n = Number(stem)
  return Number.isSafeInteger(n) ? n : undefined
}

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`
}

/** Topic names may contain '-', so the partition is after the last one. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | undefined {
  const dash = name.lastIndexOf('-')
  if (dash <= 0) return undefined
  const digits = name.slice(dash + 1)
  if (!/^\d+$/.test(digits)) return undefined
  const topic = name.slice(0, dash)
  if (!/^[a-zA-Z0-9._-]+$/.test(topic)) return undefined
  return { topic, partition: Number(digits) }
}
