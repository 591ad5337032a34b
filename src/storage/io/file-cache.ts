/**
 * A bounded pool of open file handles shared by every log in a log manager, so 10,000
 * partitions (30,000 segment files and indexes) do not need as many descriptors at once.
 *
 * Handles are keyed by a file object, not by path: a segment renamed to `*.deleted` keeps its
 * open descriptor and readers holding a range to it can still read it. A handle is opened on
 * first use and closed when it is the least recently used one and nobody is using it; the
 * limit is soft — while every handle is in use, one more is opened rather than waiting.
 */
import { open, type FileHandle } from 'node:fs/promises'

/** Anything with a current path; the cache keys on the object's identity. */
export interface CachedFile {
  readonly path: string
}

interface Entry {
  handle: Promise<FileHandle>
  /** The handle once opened (useOpenSync needs it without awaiting). */
  open?: FileHandle
  users: number
  /** Set when evicted or forgotten while in use: close when the last user finishes. */
  retired: boolean
}

export interface FileCacheOptions {
  /** Soft upper bound on open descriptors; default 1024. */
  maxOpenFiles?: number
}

export class FileCache {
  readonly maxOpenFiles: number
  // Map iteration order is insertion order: re-inserting on use makes it an LRU.
  private readonly entries = new Map<CachedFile, Entry>()
  private opened = 0
  private closed = 0
  private readonly closing = new Set<Promise<void>>()

  constructor(options: FileCacheOptions = {}) {
    this.maxOpenFiles = Math.max(1, options.maxOpenFiles ?? 1024)
  }

  /** Runs `fn` with an open read/write handle of `file`; the handle is not closed while `fn` runs. */
  async use<T>(file: CachedFile, fn: (fh: FileHandle) => Promise<T>): Promise<T> {
    let entry = this.entries.get(file)
    if (entry) {
      this.entries.delete(file)
      this.entries.set(file, entry)
    } else {
      const e: Entry = { handle: this.openHandle(file), users: 0, retired: false }
      e.handle.then(
        (fh) => (e.open = fh),
        () => {},
      )
      entry = e
      this.entries.set(file, entry)
    }
    // Count this use before evicting, so the handle being opened is not the one closed.
    entry.users++
    this.evictIdle()
    let fh: FileHandle
    try {
      fh = await entry.handle
    } catch (err) {
      entry.users--
      if (this.entries.get(file) === entry) this.entries.delete(file)
      throw err
    }
    try {
      return await fn(fh)
    } finally {
      entry.users--
      if (entry.retired && entry.users === 0) this.closeEntry(entry)
      else if (entry.users === 0) this.evictIdle()
    }
  }

  /**
   * Runs `fn` at once with the descriptor of `file` when its handle is already open; undefined
   * (without running it) while the handle is not open yet or is being closed, and the caller
   * goes the asynchronous way.
   */
  useOpenSync<T>(file: CachedFile, fn: (fd: number) => T): { value: T } | undefined {
    const entry = this.entries.get(file)
    if (!entry || entry.retired || !entry.open) return undefined
    this.entries.delete(file)
    this.entries.set(file, entry)
    entry.users++
    try {
      return { value: fn(entry.open.fd) }
    } finally {
      entry.users--
      if (entry.retired && entry.users === 0) this.closeEntry(entry)
      else if (entry.users === 0) this.evictIdle()
    }
  }

  /** Closes the handle of `file` (now, or when its last user finishes) and drops it from the cache. */
  forget(file: CachedFile): void {
    const entry = this.entries.get(file)
    if (!entry) return
    this.entries.delete(file)
    this.retire(entry)
  }

  /** Number of descriptors currently open (or being opened). */
  get openCount(): number {
    return this.opened - this.closed
  }

  get cachedCount(): number {
    return this.entries.size
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()]
    this.entries.clear()
    for (const e of all) this.retire(e)
    await Promise.allSettled(all.map((e) => e.handle))
    await Promise.allSettled([...this.closing])
  }

  private async openHandle(file: CachedFile): Promise<FileHandle> {
    const fh = await open(file.path, 'r+')
    this.opened++
    return fh
  }

  private evictIdle(): void {
    if (this.entries.size <= this.maxOpenFiles) return
    for (const [file, entry] of this.entries) {
      if (this.entries.size <= this.maxOpenFiles) break
      if (entry.users > 0) continue
      this.entries.delete(file)
      this.retire(entry)
    }
  }

  private retire(entry: Entry): void {
    entry.retired = true
    if (entry.users === 0) this.closeEntry(entry)
  }

  private closeEntry(entry: Entry): void {
    const done = (async () => {
      let fh: FileHandle
      try {
        fh = await entry.handle
      } catch {
        return // never opened
      }
      await fh.close().catch(() => {})
      this.closed++
    })()
    this.closing.add(done)
    void done.finally(() => this.closing.delete(done))
  }
}
