/**
 * The partition's leader epoch history (`leader-epoch-checkpoint`): for each leader epoch, the
 * first offset written in it. Replication uses it to answer OffsetForLeaderEpoch and to find
 * where a follower's log diverges. Kept in memory, rewritten (atomically) when it changes.
 */
import type { StorageLogger } from '../logger.js'
import { parseOffsetField, readCheckpointFile, writeCheckpointFile, type CheckpointFormat } from '../checkpoint/checkpoint-file.js'

export interface EpochEntry {
  epoch: number
  startOffset: number
}

const FORMAT: CheckpointFormat<EpochEntry> = {
  version: 0,
  parse(fields) {
    if (fields.length !== 2) return undefined
    const epoch = parseOffsetField(fields[0])
    const startOffset = parseOffsetField(fields[1])
    if (epoch === undefined || epoch < 0 || startOffset === undefined || startOffset < 0) return undefined
    return { epoch, startOffset }
  },
  format: (e) => `${e.epoch} ${e.startOffset}`,
}

export class LeaderEpochCache {
  private list: EpochEntry[]
  private changed = false
  private writing: Promise<void> = Promise.resolve()

  constructor(
    readonly path: string,
    entries: EpochEntry[] = [],
  ) {
    this.list = entries
  }

  /** Reads the checkpoint; a missing or malformed file gives an empty cache (rebuilt by recovery). */
  static async load(path: string, logger: StorageLogger): Promise<LeaderEpochCache> {
    try {
      const entries = (await readCheckpointFile(path, FORMAT)) ?? []
      const sorted = entries.every((e, i) => i === 0 || (e.epoch > entries[i - 1]!.epoch && e.startOffset >= entries[i - 1]!.startOffset))
      if (!sorted) throw new Error('entries out of order')
      return new LeaderEpochCache(path, entries)
    } catch (err) {
      logger.warn(`ignoring leader epoch checkpoint ${path}: ${(err as Error).message}`)
      const cache = new LeaderEpochCache(path)
      cache.changed = true
      return cache
    }
  }

  entries(): readonly EpochEntry[] {
    return this.list.map((e) => ({ ...e }))
  }

  get latestEpoch(): number | undefined {
    return this.list.at(-1)?.epoch
  }

  /** Whether the in-memory state differs from the file. */
  get dirty(): boolean {
    return this.changed
  }

  /** The epoch in effect at `offset` (the latest one starting at or before it), or -1. */
  epochForOffset(offset: number): number {
    let epoch = -1
    for (const e of this.list) {
      if (e.startOffset > offset) break
      epoch = e.epoch
    }
    return epoch
  }

  /** Records that `epoch` starts at `startOffset` if it is newer than every known epoch. */
  assign(epoch: number, startOffset: number): boolean {
    if (epoch < 0) return false
    const last = this.list.at(-1)
    if (last && (epoch <= last.epoch || startOffset < last.startOffset)) return false
    this.list.push({ epoch, startOffset })
    this.changed = true
    return true
  }

  /** Forgets epochs that start at or after `endOffset` (the log was truncated there). */
  truncateFromEnd(endOffset: number): void {
    const keep = this.list.filter((e) => e.startOffset < endOffset)
    if (keep.length !== this.list.length) {
      this.list = keep
      this.changed = true
    }
  }

  /**
   * The log now starts at `startOffset`: epochs wholly before it go, and the one in effect
   * there is moved to start at it.
   */
  truncateFromStart(startOffset: number): void {
    let i = 0
    while (i + 1 < this.list.length && this.list[i + 1]!.startOffset <= startOffset) i++
    const first = this.list[i]
    if (!first) return
    if (i > 0 || first.startOffset < startOffset) {
      this.list = [{ epoch: first.epoch, startOffset: Math.max(first.startOffset, startOffset) }, ...this.list.slice(i + 1)]
      this.changed = true
    }
  }

  /**
   * OffsetForLeaderEpoch: the largest epoch <= `epoch` and the offset where the next epoch
   * starts (the log end offset for the latest epoch); -1/-1 when unknown.
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    if (epoch < 0 || this.list.length === 0) return { epoch: -1, endOffset: -1 }
    if (epoch === this.latestEpoch) return { epoch, endOffset: logEndOffset }
    const higher = this.list.find((e) => e.epoch > epoch)
    if (!higher) return { epoch: -1, endOffset: -1 }
    const floor = [...this.list].reverse().find((e) => e.epoch <= epoch)
    return { epoch: floor ? floor.epoch : epoch, endOffset: higher.startOffset }
  }

  /** Puts back a list taken with entries() (a failed append undoing its epoch); flush writes it. */
  restore(entries: readonly EpochEntry[]): void {
    const same = entries.length === this.list.length && entries.every((e, i) => e.epoch === this.list[i]!.epoch && e.startOffset === this.list[i]!.startOffset)
    if (same) return
    this.list = entries.map((e) => ({ ...e }))
    this.changed = true
  }

  clear(): void {
    if (this.list.length > 0) this.changed = true
    this.list = []
  }

  /** Writes the file if anything changed. Calls are serialised: they share one temp file. */
  flush(options: { fsync?: boolean } = {}): Promise<void> {
    const run = this.writing.then(async () => {
      if (!this.changed) return
      this.changed = false
      try {
        await writeCheckpointFile(this.path, this.list, FORMAT, options)
      } catch (err) {
        this.changed = true
        throw err
      }
    })
    this.writing = run.catch(() => {})
    return run
  }
}
