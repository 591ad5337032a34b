/**
 * Kafka's checkpoint text format, used by the offset checkpoints and the leader epoch file:
 *
 *   <version>
 *   <number of entries>
 *   <entry fields separated by spaces>   (one line per entry)
 *
 * Written atomically (temp file, fsync, rename) so a crash leaves the old or the new file.
 */
import { StorageError, isNotFound } from '../errors.js'
import { writeFileAtomic } from '../io/files.js'
import { readWholeFile } from '../io/read-whole-file.js'

export interface CheckpointFormat<T> {
  version: number
  /** Parses one entry's whitespace-separated fields; returns undefined if malformed. */
  parse(fields: string[]): T | undefined
  format(entry: T): string
}

/** Entries of the checkpoint at `path`, or undefined if there is no file. Throws if malformed. */
export async function readCheckpointFile<T>(path: string, format: CheckpointFormat<T>): Promise<T[] | undefined> {
  let text: string
  try {
    text = (await readWholeFile(path)).toString('utf8')
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw err
  }
  return parseCheckpoint(text, format, path)
}

export function parseCheckpoint<T>(text: string, format: CheckpointFormat<T>, name = 'checkpoint'): T[] {
  const lines = text.split('\n').filter((l, i, all) => !(l === '' && i === all.length - 1))
  const bad = (why: string): never => {
    throw new StorageError('KAFKA_STORAGE_ERROR', `malformed ${name}: ${why}`)
  }
  if (lines.length < 2) bad('missing version or count line')
  const version = Number(lines[0]!.trim())
  if (version !== format.version) bad(`version ${lines[0]}, expected ${format.version}`)
  const count = Number(lines[1]!.trim())
  if (!Number.isInteger(count) || count < 0) bad(`count line '${lines[1]}'`)
  if (lines.length - 2 !== count) bad(`${count} entries announced, ${lines.length - 2} present`)
  const entries: T[] = []
  for (let i = 2; i < lines.length; i++) {
    const entry = format.parse(lines[i]!.trim().split(/\s+/))
    if (entry === undefined) bad(`line ${i + 1}: '${lines[i]}'`)
    entries.push(entry as T)
  }
  return entries
}

export function formatCheckpoint<T>(entries: readonly T[], format: CheckpointFormat<T>): string {
  return `${format.version}\n${entries.length}\n${entries.map((e) => format.format(e) + '\n').join('')}`
}

export async function writeCheckpointFile<T>(path: string, entries: readonly T[], format: CheckpointFormat<T>, options: { fsync?: boolean } = {}): Promise<void> {
  await writeFileAtomic(path, formatCheckpoint(entries, format), options)
}

/** A non-negative safe integer from a checkpoint field. */
export function parseOffsetField(s: string | undefined): number | undefined {
  if (s === undefined || !/^-?\d+$/.test(s)) return undefined
  const n = Number(s)
  return Number.isSafeInteger(n) ? n : undefined
}
