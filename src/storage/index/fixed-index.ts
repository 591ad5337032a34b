/**
 * What the offset index and the time index share: a sorted array of fixed-width entries held
 * in memory and mirrored to a file of exactly those entries (Kafka's layout, minus the
 * preallocation Kafka needs for mmap).
 *
 * Nothing is written per append: new entries reach the file when the segment is flushed,
 * rolled or closed. That is safe because after a crash the loader rebuilds the indexes of every
 * segment past the recovery point, and segments before it were flushed together with their
 * indexes. An index may be unloaded from memory when it is clean and loaded again on demand.
 */
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { isNotFound } from '../errors.js'
import { writeAt } from '../io/files.js'
import { readWholeFile } from '../io/read-whole-file.js'

export interface IndexOptions {
  path: string
  baseOffset: number
  /** segment.index.bytes: the index counts as full at this size. */
  maxIndexBytes: number
}

const EMPTY = Buffer.alloc(0)
const INITIAL_CAPACITY = 32

export abstract class FixedIndex {
  /** Current file path; changes when the segment is renamed for deletion. */
  path: string
  readonly baseOffset: number
  abstract readonly entrySize: number

  protected buf: Buffer = EMPTY
  protected count = 0
  private maxBytes: number
  private isLoaded = false
  /** Leading entries known to be identical in memory and in the file. */
  private validPrefix = 0
  private fileLength = 0
  private truncations = 0
  /** False after a write that was not fsynced. */
  private synced = true
  private persistChain: Promise<void> = Promise.resolve()
  private detached = false

  constructor(options: IndexOptions) {
    this.path = options.path
    this.baseOffset = options.baseOffset
    this.maxBytes = options.maxIndexBytes
  }

  get entries(): number {
    return this.count
  }

  get loaded(): boolean {
    return this.isLoaded
  }

  get maxEntries(): number {
    return Math.floor(this.maxBytes / this.entrySize)
  }

  setMaxIndexBytes(bytes: number): void {
    this.maxBytes = bytes
  }

  isFull(): boolean {
    return this.count >= this.maxEntries
  }

  /** True when the file does not hold exactly the entries in memory. */
  get dirty(): boolean {
    return this.validPrefix !== this.count || this.fileLength !== this.count * this.entrySize
  }

  get memoryBytes(): number {
    return this.buf.length
  }

  /** Relative offsets must fit the 4-byte field. */
  canAppendOffset(offset: number): boolean {
    const rel = offset - this.baseOffset
    return rel >= 0 && rel <= 0x7fffffff
  }

  /**
   * Reads the file into memory. Returns false when it is missing or not a whole number of
   * entries; the caller then rebuilds the index from the log.
   */
  async load(): Promise<boolean> {
    let data: Buffer
    try {
      data = await readWholeFile(this.path)
    } catch (err) {
      if (!isNotFound(err)) throw err
      this.startEmpty({ fileLength: -1 })
      return false
    }
    if (data.length % this.entrySize !== 0) {
      this.startEmpty({ fileLength: data.length })
      return false
    }
    this.buf = data
    this.count = data.length / this.entrySize
    this.validPrefix = this.count
    this.fileLength = data.length
    this.isLoaded = true
    return true
  }

  /** Marks a brand-new (or about to be rebuilt) index as loaded and empty. */
  reset(): void {
    this.count = 0
    this.validPrefix = 0
    this.truncations++
    this.isLoaded = true
  }

  /** For a freshly created, empty index file. */
  initEmpty(): void {
    this.startEmpty({ fileLength: 0 })
  }

  /** Drops the in-memory copy of a clean index; it is read again on next use. */
  unload(): boolean {
    if (!this.isLoaded || this.dirty) return false
    this.buf = EMPTY
    this.count = 0
    this.validPrefix = 0
    this.isLoaded = false
    return true
  }

  /** Stops all further writes (the segment is being deleted). */
  detach(): void {
    this.detached = true
  }

  /**
   * Writes entries not yet in the file and cuts the file to the entries in memory; with fsync,
   * makes them durable. Calls are serialised so writes never interleave.
   */
  persist(options: { fsync: boolean }): Promise<void> {
    const run = this.persistChain.then(() => this.persistNow(options.fsync))
    this.persistChain = run.catch(() => {})
    return run
  }

  private async persistNow(fsync: boolean): Promise<void> {
    if (this.detached || !this.isLoaded || (!this.dirty && (this.synced || !fsync))) return
    const es = this.entrySize
    const from = this.validPrefix
    const n = this.count
    const truncationsBefore = this.truncations
    // Copy now: appends may grow (reallocate) the buffer while the write is in flight.
    const tail = Buffer.from(this.buf.subarray(from * es, n * es))
    const fh = await open(this.path, constants.O_RDWR | constants.O_CREAT, 0o644)
    try {
      if (tail.length > 0) await writeAt(fh, tail, from * es)
      if (this.fileLength !== n * es) await fh.truncate(n * es)
      if (fsync) await fh.sync()
    } finally {
      await fh.close()
    }
    this.fileLength = n * es
    this.synced = fsync
    if (this.truncations === truncationsBefore) this.validPrefix = n
  }

  protected slot(n: number): number {
    return n * this.entrySize
  }

  protected reserve(): number {
    const need = (this.count + 1) * this.entrySize
    if (need > this.buf.length) {
      const capacity = Math.max(INITIAL_CAPACITY, this.count * 2) * this.entrySize
      const grown = Buffer.alloc(capacity)
      this.buf.copy(grown, 0, 0, this.count * this.entrySize)
      this.buf = grown
    }
    return this.count * this.entrySize
  }

  protected commitAppend(): void {
    this.count++
  }

  /** Keeps the first `n` entries (a failed append gives back the entries it added). */
  truncateToEntries(n: number): void {
    if (n >= this.count) return
    this.count = n
    if (this.validPrefix > n) this.validPrefix = n
    this.truncations++
  }

  /**
   * Binary search: the largest slot whose key is <= target, or -1. `keyAt` must be
   * non-decreasing over the slots.
   */
  protected largestLowerBound(target: number, keyAt: (slot: number) => number): number {
    let lo = 0
    let hi = this.count - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (keyAt(mid) <= target) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found
  }

  private startEmpty({ fileLength }: { fileLength: number }): void {
    this.buf = EMPTY
    this.count = 0
    this.validPrefix = 0
    // -1: no file yet, so the first persist creates it even when empty.
    this.fileLength = fileLength
    this.isLoaded = true
  }
}
