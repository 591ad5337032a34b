/**
 * Where `samsa dump-log` writes: stdout (buffered, the dump itself) and stderr (problems).
 * As kafka-dump-log.sh, the consistency findings (index entries that do not match the log,
 * time index mismatches, gaps between offsets) are collected while files are dumped and
 * printed on stderr at the end, grouped by file; they do not change the exit code. Failures
 * that stop a file from being read (Kafka's tool throws there) are printed at once and make
 * the exit code 1.
 *
 * Progress: when stderr is a terminal and stdout is not (`samsa dump-log ... > dump.txt`), a
 * one-line progress indicator on stderr shows how far into each file the dump is. With both on
 * the terminal the dump itself shows progress, and a progress line would garble it.
 */
import { print } from './common.js'
import { Progress } from './progress.js'

const FLUSH_AT = 64 * 1024

/** stdout, buffered: a segment dump is millions of small lines. */
export class Output {
  private parts: string[] = []
  private size = 0

  write(text: string): void {
    this.parts.push(text)
    this.size += text.length
  }

  line(text: string): void {
    this.write(text + '\n')
  }

  /** Flushes when enough is buffered; awaiting it lets a slow reader hold the tool back. */
  async maybeFlush(): Promise<void> {
    if (this.size >= FLUSH_AT) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return
    const text = this.parts.join('')
    this.parts = []
    this.size = 0
    await print(text)
  }
}

const PROGRESS_EVERY_MS = 250

/** One progress bar per file, shown only when the dump goes to a file or a pipe (see above). */
class FileProgress {
  private readonly enabled = process.stdout.isTTY !== true
  private file: string | null = null
  private bar: Progress | null = null

  update(file: string, done: number, total: number, unit: string): void {
    if (!this.enabled) return
    if (file !== this.file) {
      this.bar?.done()
      this.file = file
      this.bar = new Progress({ total, unit, label: file, intervalMs: PROGRESS_EVERY_MS })
    }
    this.bar!.update(done)
  }

  clear(): void {
    this.bar?.clear()
  }
}

type Pairs = Array<[bigint | number, bigint | number]>

function listIn<K>(map: Map<K, Pairs>, key: K): Pairs {
  let list = map.get(key)
  if (!list) map.set(key, (list = []))
  return list
}

export class DumpReport {
  private readonly indexMismatches = new Map<string, Map<number, number>>()
  private readonly outOfOrderEntries = new Map<string, Array<[string, string]>>()
  private readonly timestampMismatches = new Map<string, Pairs>()
  private readonly outOfOrderTimestamps = new Map<string, Pairs>()
  private readonly offsetsNotFound = new Map<string, Pairs>()
  private readonly nonConsecutive = new Map<string, Map<bigint, bigint>>()
  private failures = 0
  private readonly progressLine = new FileProgress()

  constructor(readonly out: Output) {}

  /** How far the dump of `file` is (throttled; shown on a terminal only). */
  progress(file: string, done: number, total: number, unit = 'bytes'): void {
    this.progressLine.update(file, done, total, unit)
  }

  /** A line on stderr that is not a failure (Kafka's "Ignoring unknown file"). */
  async note(message: string): Promise<void> {
    await this.out.flush()
    this.progressLine.clear()
    process.stderr.write(message + '\n')
  }

  get failed(): boolean {
    return this.failures > 0
  }

  get failureCount(): number {
    return this.failures
  }

  /** A problem that stops (part of) a file from being read: printed now, after what stdout holds. */
  async fail(message: string): Promise<void> {
    this.failures++
    await this.note(message)
  }

  /** The batch at an offset index entry's position does not end at the entry's offset (-1: no batch there). */
  indexMismatch(file: string, indexOffset: number, logOffset: number): void {
    let m = this.indexMismatches.get(file)
    if (!m) this.indexMismatches.set(file, (m = new Map()))
    m.set(indexOffset, logOffset)
  }

  /** Samsa's addition: an offset index entry not after the one before it (Kafka's dump does not check). */
  outOfOrderEntry(file: string, entry: { offset: number; position: number }, previous: { offset: number; position: number }): void {
    let list = this.outOfOrderEntries.get(file)
    if (!list) this.outOfOrderEntries.set(file, (list = []))
    list.push([`${entry.offset} position: ${entry.position}`, `${previous.offset} position: ${previous.position}`])
  }

  timestampMismatch(file: string, indexTimestamp: number, logTimestamp: bigint): void {
    listIn(this.timestampMismatches, file).push([indexTimestamp, logTimestamp])
  }

  outOfOrderTimestamp(file: string, indexTimestamp: number, previous: number): void {
    listIn(this.outOfOrderTimestamps, file).push([indexTimestamp, previous])
  }

  /** No batch ends at a time index entry's offset; `found` is the last offset of the batch holding it, or -1. */
  offsetNotFound(file: string, indexOffset: number, found: number | bigint): void {
    listIn(this.offsetsNotFound, file).push([indexOffset, found])
  }

  gap(file: string, previous: bigint, next: bigint): void {
    let m = this.nonConsecutive.get(file)
    if (!m) this.nonConsecutive.set(file, (m = new Map()))
    m.set(previous, next)
  }

  /** The collected findings, in Kafka's words and order. */
  async printFindings(): Promise<void> {
    await this.out.flush()
    this.progressLine.clear()
    const lines: string[] = []
    for (const [file, byOffset] of this.indexMismatches) {
      lines.push(`Mismatches in :${file}`)
      for (const [indexOffset, logOffset] of [...byOffset].sort((a, b) => b[0] - a[0])) {
        lines.push(`  Index offset: ${indexOffset}, log offset: ${logOffset}`)
      }
    }
    for (const [file, list] of this.outOfOrderEntries) {
      lines.push(`Found out of order index entries in :${file}`)
      for (const [entry, prev] of list) lines.push(`  Index offset: ${entry}, previous index offset: ${prev}`)
    }
    for (const [file, list] of this.timestampMismatches) {
      lines.push(`Found timestamp mismatch in :${file}`)
      for (const [index, log] of list) lines.push(`  Index timestamp: ${index}, log timestamp: ${log}`)
    }
    for (const [file, list] of this.outOfOrderTimestamps) {
      lines.push(`Found out of order timestamp in :${file}`)
      for (const [index, prev] of list) lines.push(`  Index timestamp: ${index}, Previously indexed timestamp: ${prev}`)
    }
    for (const list of this.offsetsNotFound.values()) {
      lines.push('The following indexed offsets are not found in the log.')
      for (const [index, found] of list) lines.push(`Indexed offset: ${index}, found log offset: ${found}`)
    }
    for (const [file, pairs] of this.nonConsecutive) {
      lines.push(`Non-consecutive offsets in ${file}`)
      for (const [prev, next] of [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
        lines.push(`  ${prev} is followed by ${next}`)
      }
    }
    if (lines.length > 0) process.stderr.write(lines.join('\n') + '\n')
  }
}
