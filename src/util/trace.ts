/**
 * Trace mode (issue 21): timestamps at each hop of sampled records, in the client and the
 * broker, to see where each millisecond of end-to-end latency goes. Off unless the environment
 * variable SAMSA_TRACE names a file: `trace` is then undefined, and every call site is
 * `trace?.…` (or `if (trace)`) once per batch, request or fetched partition, never per record,
 * so tracing costs nothing when off.
 *
 * Sampling without coordination: a record is sampled when its offset is a multiple of
 * SAMSA_TRACE_SAMPLE (default 1000). Every process (producer, broker, consumer) can tell from
 * the offsets it sees whether a batch, an append or a fetched range holds a sampled offset,
 * so their lines join on (topic, partition, offset) afterwards with no id carried in the data.
 * The producer learns its batch's offsets only from the acknowledgement, so hops before it are
 * marked on the batch object (`mark`) and written out with the acknowledgement (`emit`).
 *
 * Each process appends JSON lines `{"tp":"topic/partition","o":"offset","h":{hop:µs,...}}` to
 * the file, buffered and written every half second and at exit (one write of whole lines, so
 * several processes can append to one file). Times are microseconds on CLOCK_MONOTONIC
 * (monotonicMicros), comparable between processes on one machine only: trace a broker and its
 * clients on one machine. bench/latency/trace-report.ts joins the lines and prints the
 * per-hop breakdown.
 */
import { appendFileSync } from 'node:fs'

export interface Trace {
  /** Microseconds on CLOCK_MONOTONIC (monotonicMicros). */
  now(): number
  /** Remembers `hop` (at `us`, default now) on an object whose offsets are not known yet. */
  mark(on: object, hop: string, us?: number): void
  /**
   * If [first, last] holds a sampled offset, writes a line for it with the marks of `on`
   * and `hop` at now.
   */
  emit(on: object | undefined, hop: string, topic: string, partition: number, first: bigint, last: bigint): void
  /** As `emit`, but the line waits on `on` until `release(on, hop)` adds that hop (a response written later). */
  defer(on: object, hop: string, topic: string, partition: number, first: bigint, last: bigint): void
  release(on: object, hop: string): void
}

type Hops = Record<string, number>

let monotonicOffsetUs: number | undefined

/**
 * Microseconds on the machine's CLOCK_MONOTONIC (since boot), which every process on the
 * machine shares: Node's process.hrtime and Python's time.monotonic_ns read it. Not the wall
 * clock: `performance.timeOrigin + performance.now()` is off it by a millisecond or more,
 * differently in each process (measured here: 0.5 to 5 ms), which is the size of what is
 * traced, and Date.now() has only milliseconds. Read through performance.now() (the same
 * clock, no BigInt per call) from an offset taken once.
 */
export function monotonicMicros(): number {
  if (monotonicOffsetUs === undefined) {
    // The first touch of `performance` loads perf_hooks (measured: 1.7 ms): warm it up, then
    // take hrtime between two reads, keeping the tightest of a few tries: a thread preempted
    // between the reads (a loaded machine) put the offset 8 us off in one try.
    performance.now()
    let gap = Infinity
    for (let i = 0; i < 20 && gap > 1; i++) {
      const before = performance.now()
      const hr = Number(process.hrtime.bigint()) / 1000
      const after = performance.now()
      if ((after - before) * 1000 >= gap) continue
      gap = (after - before) * 1000
      monotonicOffsetUs = hr - ((before + after) / 2) * 1000
    }
  }
  return Math.round(monotonicOffsetUs! + performance.now() * 1000)
}

export function createTrace(file: string, sample: number): Trace {
  const marks = new WeakMap<object, Hops>()
  const deferred = new WeakMap<object, Array<{ tp: string; o: string; h: Hops }>>()
  let lines: string[] = []
  const flush = () => {
    if (lines.length === 0) return
    const text = lines.join('')
    lines = []
    try {
      appendFileSync(file, text)
    } catch {
      // A trace that cannot be written must not break the process it observes.
    }
  }
  setInterval(flush, 500).unref()
  process.on('exit', flush)
  const n = BigInt(sample)
  const sampled = (first: bigint, last: bigint): bigint | undefined => {
    if (first < 0n || last < first) return undefined
    const s = ((first + n - 1n) / n) * n
    return s <= last ? s : undefined
  }
  const now = monotonicMicros
  const line = (on: object | undefined, hop: string, topic: string, partition: number, first: bigint, last: bigint) => {
    const o = sampled(first, last)
    if (o === undefined) return undefined
    const h: Hops = { ...(on ? marks.get(on) : undefined) }
    h[hop] = now()
    return { tp: `${topic}/${partition}`, o: String(o), h }
  }
  return {
    now,
    mark(on, hop, us = now()) {
      let m = marks.get(on)
      if (!m) marks.set(on, (m = {}))
      // The first time counts: a retried batch keeps its first enqueue and write.
      m[hop] ??= us
    },
    emit(on, hop, topic, partition, first, last) {
      const l = line(on, hop, topic, partition, first, last)
      if (l) lines.push(`${JSON.stringify(l)}\n`)
    },
    defer(on, hop, topic, partition, first, last) {
      const l = line(on, hop, topic, partition, first, last)
      if (!l) return
      let d = deferred.get(on)
      if (!d) deferred.set(on, (d = []))
      d.push(l)
    },
    release(on, hop) {
      const d = deferred.get(on)
      if (!d) return
      deferred.delete(on)
      const us = now()
      for (const l of d) {
        l.h[hop] = us
        lines.push(`${JSON.stringify(l)}\n`)
      }
    },
  }
}

/** First and last offset of the record batches in `records` (magic 2 headers), or undefined. */
export function batchesSpan(records: Buffer): { first: bigint; last: bigint } | undefined {
  let pos = 0
  let first: bigint | undefined
  let last = -1n
  // baseOffset int64 @0, batchLength int32 @8, ..., lastOffsetDelta int32 @23.
  while (pos + 27 <= records.length) {
    const base = records.readBigInt64BE(pos)
    const length = records.readInt32BE(pos + 8)
    if (length <= 0) break
    first ??= base
    last = base + BigInt(records.readInt32BE(pos + 23))
    pos += 12 + length
  }
  return first === undefined ? undefined : { first, last }
}

const file = process.env['SAMSA_TRACE']
const sample = Number(process.env['SAMSA_TRACE_SAMPLE'] ?? 1000)

export const trace: Trace | undefined = file ? createTrace(file, Number.isInteger(sample) && sample > 0 ? sample : 1000) : undefined
