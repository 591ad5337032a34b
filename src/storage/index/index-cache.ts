/**
 * Bounds the memory held by the indexes of inactive segments across all logs. Active segments'
 * indexes stay loaded; an inactive segment's indexes are read when a lookup needs them and
 * dropped, least recently used first, when the total passes the budget.
 */
export interface IndexHolder {
  /** Bytes of index data currently in memory. */
  readonly indexMemoryBytes: number
  /** Drops the indexes if they are clean; returns false if it could not. */
  unloadIndexes(): boolean
}

export interface IndexCacheOptions {
  /** Default 128 MiB. */
  maxBytes?: number
}

export class IndexCache {
  readonly maxBytes: number
  private readonly held = new Map<IndexHolder, number>()
  private total = 0

  constructor(options: IndexCacheOptions = {}) {
    this.maxBytes = options.maxBytes ?? 128 * 1024 * 1024
  }

  get bytes(): number {
    return this.total
  }

  /** Records a use of `holder` (and its current size); may unload others. */
  touch(holder: IndexHolder): void {
    const before = this.held.get(holder)
    if (before !== undefined) {
      this.held.delete(holder)
      this.total -= before
    }
    const size = holder.indexMemoryBytes
    this.held.set(holder, size)
    this.total += size
    if (this.total > this.maxBytes) this.evict(holder)
  }

  remove(holder: IndexHolder): void {
    const size = this.held.get(holder)
    if (size === undefined) return
    this.held.delete(holder)
    this.total -= size
  }

  private evict(keep: IndexHolder): void {
    for (const [holder, size] of this.held) {
      if (this.total <= this.maxBytes) return
      if (holder === keep) continue
      if (holder.unloadIndexes()) {
        this.held.delete(holder)
        this.total -= size
      }
    }
  }
}
