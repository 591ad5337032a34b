/**
 * The per-log-dir offset checkpoints (`recovery-point-offset-checkpoint`,
 * `log-start-offset-checkpoint`, `replication-offset-checkpoint`): version 0, one
 * `<topic> <partition> <offset>` line per partition.
 */
import { parseOffsetField, readCheckpointFile, writeCheckpointFile, type CheckpointFormat } from './checkpoint-file.js'

export interface PartitionOffset {
  topic: string
  partition: number
  offset: number
}

const FORMAT: CheckpointFormat<PartitionOffset> = {
  version: 0,
  parse(fields) {
    if (fields.length !== 3) return undefined
    const partition = parseOffsetField(fields[1])
    const offset = parseOffsetField(fields[2])
    if (partition === undefined || partition < 0 || offset === undefined) return undefined
    return { topic: fields[0]!, partition, offset }
  },
  format: (e) => `${e.topic} ${e.partition} ${e.offset}`,
}

/** Key used for lookups: the partition's directory name. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`
}

/** Offsets by partition key; empty when the file does not exist. */
export async function readOffsetCheckpoint(path: string): Promise<Map<string, number>> {
  const entries = (await readCheckpointFile(path, FORMAT)) ?? []
  return new Map(entries.map((e) => [partitionKey(e.topic, e.partition), e.offset]))
}

export async function writeOffsetCheckpoint(path: string, entries: readonly PartitionOffset[], options: { fsync?: boolean } = {}): Promise<void> {
  await writeCheckpointFile(path, entries, FORMAT, options)
}

export const OFFSET_CHECKPOINT_FORMAT = FORMAT
