/**
 * The aborted transactions of one partition (Kafka's TransactionIndex), one `.txnindex` file per
 * segment that holds abort markers, each entry 34 bytes as in Kafka: version (int16, 0),
 * producer id (int64), first offset (int64), last offset (the marker's, int64), the last stable
 * offset when it was written (int64). read_committed fetches get the entries overlapping what
 * they read, so consumers can drop the aborted records (Fetch's aborted_transactions).
 *
 * An entry is appended when an abort marker is written, before the append is acknowledged, so a
 * process kill never loses one whose marker survived. On open, entries whose marker lies past
 * the recovered log end are dropped (the loader truncated a torn tail), as are those of
 * truncated or deleted segments later. Kept in memory as well: a partition holds few aborts
 * compared to its records, and the files are read once at open.
 *
 * After an unclean shutdown the log past its recovery point is replayed for the producer state,
 * and every abort met there that has no entry gets one (`restore`): a power loss can keep a
 * marker whose entry never reached the disk, and Kafka rebuilds the index of recovered segments
 * the same way.
 */
import { appendFile, readdir, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { parseSegmentFileName, segmentPath } from '../log/file-names.js'
import { readInt64, removeIfExists, writeFileAtomic, writeInt64 } from '../io/files.js'
import { readWholeFile } from '../io/read-whole-file.js'

export const TXN_INDEX_SUFFIX = '.txnindex'
const ENTRY_SIZE = 34

export interface AbortedTxn {
  producerId: bigint
  firstOffset: number
  /** The abort marker's offset. */
  lastOffset: number
  lastStableOffset: number
}

function encode(e: AbortedTxn): Buffer {
  const b = Buffer.alloc(ENTRY_SIZE)
  b.writeInt16BE(0, 0)
  b.writeBigInt64BE(e.producerId, 2)
  writeInt64(b, e.firstOffset, 10)
  writeInt64(b, e.lastOffset, 18)
  writeInt64(b, e.lastStableOffset, 26)
  return b
}

function decode(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = []
  // A torn last entry (a crash mid-write) is ignored.
  for (let pos = 0; pos + ENTRY_SIZE <= buf.length; pos += ENTRY_SIZE) {
    if (buf.readInt16BE(pos) !== 0) break
    out.push({ producerId: buf.readBigInt64BE(pos + 2), firstOffset: readInt64(buf, pos + 10), lastOffset: readInt64(buf, pos + 18), lastStableOffset: readInt64(buf, pos + 26) })
  }
  return out
}

export class TxnIndex {
  /** Entries per segment base offset, in marker order. */
  private readonly files = new Map<number, AbortedTxn[]>()

  private constructor(private readonly dir: string) {}

  /** Reads the partition's `.txnindex` files, dropping entries at or past `logEndOffset`. */
  static async open(dir: string, logEndOffset: number): Promise<TxnIndex> {
    const index = new TxnIndex(dir)
    for (const name of await readdir(dir)) {
      const base = parseSegmentFileName(name, TXN_INDEX_SUFFIX)
      if (base === undefined) continue
      const bytes = await readWholeFile(join(dir, name))
      const entries = decode(bytes)
      const kept = entries.filter((e) => e.lastOffset < logEndOffset)
      if (kept.length !== entries.length || bytes.length !== entries.length * ENTRY_SIZE) await index.rewrite(base, kept)
      if (kept.length > 0) index.files.set(base, kept)
    }
    return index
  }

  /**
   * Records an aborted transaction in the segment starting at `segmentBase`; resolves with an
   * undo that takes it out again (the append it belongs to failed).
   */
  async append(segmentBase: number, entry: AbortedTxn): Promise<() => Promise<void>> {
    const path = segmentPath(this.dir, segmentBase, TXN_INDEX_SUFFIX)
    const list = this.files.get(segmentBase) ?? []
    const before = list.length
    await appendFile(path, encode(entry))
    list.push(entry)
    this.files.set(segmentBase, list)
    return async () => {
      list.length = before
      if (before === 0) this.files.delete(segmentBase)
      await truncate(path, before * ENTRY_SIZE)
    }
  }

  /** Whether an entry for the abort marker at `lastOffset` exists. */
  hasMarker(lastOffset: number): boolean {
    for (const list of this.files.values()) if (list.some((e) => e.lastOffset === lastOffset)) return true
    return false
  }

  /** Adds the entries of `aborts` that are missing, each in the segment holding its marker; returns how many. */
  async restore(aborts: readonly AbortedTxn[], segmentOf: (offset: number) => number): Promise<number> {
    let added = 0
    for (const a of aborts) {
      if (this.hasMarker(a.lastOffset)) continue
      await this.append(segmentOf(a.lastOffset), a)
      added++
    }
    return added
  }

  /** Aborted transactions that overlap [fromOffset, upperOffset), by first offset. */
  collect(fromOffset: number, upperOffset: number): AbortedTxn[] {
    const out: AbortedTxn[] = []
    for (const list of this.files.values()) for (const e of list) if (e.lastOffset >= fromOffset && e.firstOffset < upperOffset) out.push(e)
    return out.sort((a, b) => a.firstOffset - b.firstOffset)
  }

  /** Drops entries whose marker is at or past `offset` (the log was truncated there). */
  async truncateTo(offset: number): Promise<void> {
    for (const [base, list] of [...this.files]) {
      const kept = list.filter((e) => e.lastOffset < offset)
      if (kept.length === list.length) continue
      await this.rewrite(base, kept)
      if (kept.length === 0) this.files.delete(base)
      else this.files.set(base, kept)
    }
  }

  /**
   * Removes these entries (the cleaner found no data of their transactions left), each file
   * rewritten atomically; a file left without entries is deleted.
   */
  async remove(entries: readonly AbortedTxn[]): Promise<void> {
    const gone = new Set(entries.map((e) => `${e.producerId}:${e.lastOffset}`))
    for (const [base, list] of [...this.files]) {
      const kept = list.filter((e) => !gone.has(`${e.producerId}:${e.lastOffset}`))
      if (kept.length === list.length) continue
      await this.rewrite(base, kept)
      if (kept.length === 0) this.files.delete(base)
      else this.files.set(base, kept)
    }
  }

  /** Deletes the files of segments that no longer exist. */
  async retainSegments(bases: readonly number[]): Promise<void> {
    const live = new Set(bases)
    for (const base of [...this.files.keys()]) {
      if (live.has(base)) continue
      this.files.delete(base)
      await removeIfExists(segmentPath(this.dir, base, TXN_INDEX_SUFFIX))
    }
  }

  /** True if the segment starting at `base` has entries. */
  hasSegment(base: number): boolean {
    return (this.files.get(base)?.length ?? 0) > 0
  }

  get size(): number {
    let n = 0
    for (const list of this.files.values()) n += list.length
    return n
  }

  private async rewrite(base: number, entries: AbortedTxn[]): Promise<void> {
    const path = segmentPath(this.dir, base, TXN_INDEX_SUFFIX)
    if (entries.length === 0) await removeIfExists(path)
    else await writeFileAtomic(path, Buffer.concat(entries.map(encode)))
  }
}
