/**
 * The per-hop breakdown of trace mode (src/util/trace.ts): joins the lines every process
 * appended to the SAMSA_TRACE file on (topic, partition, sampled offset) and prints, for each
 * hop of a sampled record's way from the producer's send to the consumer's application, the
 * p50 / p99 / max of the time spent there.
 *
 *   node dist/bench/latency/trace-report.js <trace file> [topic substring]
 *
 * The OMB runner and the latency ladder print it after each run with --trace <file>.
 * Producer and consumer hops exist only with Samsa's client (librdkafka runs show the
 * broker's hops alone).
 */
import { readFileSync } from 'node:fs'
import { build } from 'hdr-histogram-js'

type Hops = Record<string, number>

/** Whether the fetch that returned a record was waiting in purgatory when the record was appended. */
const fetchWaited = (r: Hops): boolean | undefined =>
  r['broker.read.1'] === undefined || r['broker.appended'] === undefined ? undefined : r['broker.read.1'] <= r['broker.appended']

/**
 * [from, to, what the interval is, which records it is measured over (default all)]: each a
 * hop name as the call sites write it.
 */
export const SEGMENTS: Array<[string, string, string, ((r: Hops) => boolean | undefined)?]> = [
  ['producer.enqueue', 'producer.drained', 'producer: batch open until the sender takes it (linger, sender wake-up)'],
  ['producer.drained', 'producer.written', 'producer: request built and queued on the connection'],
  ['producer.written', 'broker.read.0', 'network, broker socket read and decode'],
  ['broker.read.0', 'broker.appended', 'broker: produce handler until the append is done'],
  ['broker.appended', 'producer.acked', 'broker response and producer: append to acknowledgement'],
  ['broker.appended', 'broker.fetchReturned', 'broker: append until a fetch returns it (purgatory wake-up, or the next fetch)'],
  ['broker.appended', 'broker.fetchReturned', '  of which with a fetch waiting: purgatory wake-up and read', fetchWaited],
  ['broker.appended', 'broker.read.1', '  of which with none waiting: until the next fetch arrives', (r) => fetchWaited(r) === false],
  ['broker.read.1', 'broker.fetchReturned', '    and that fetch read until it returns', (r) => fetchWaited(r) === false],
  ['broker.fetchReturned', 'broker.responseWritten', 'broker: fetch response encoded and written to the socket'],
  ['broker.responseWritten', 'consumer.received', 'network, consumer read and decode of the response'],
  ['consumer.received', 'consumer.delivered', 'consumer: buffered until handed to the application'],
  ['producer.enqueue', 'consumer.delivered', 'total: batch opened until delivered'],
]

interface Line {
  tp: string
  o: string
  h: Record<string, number>
}

/** Hops per sampled record (the earliest time of each hop over every line about it). */
export function joinTrace(text: string, topicFilter?: string): Map<string, Record<string, number>> {
  const records = new Map<string, Record<string, number>>()
  for (const raw of text.split('\n')) {
    if (raw === '') continue
    let l: Line
    try {
      l = JSON.parse(raw) as Line
    } catch {
      continue
    }
    if (topicFilter && !l.tp.includes(topicFilter)) continue
    const key = `${l.tp}@${l.o}`
    let r = records.get(key)
    if (!r) records.set(key, (r = {}))
    for (const [hop, us] of Object.entries(l.h)) if (r[hop] === undefined || us < r[hop]!) r[hop] = us
  }
  return records
}

export function traceTable(records: Map<string, Record<string, number>>): string[] {
  const rows: string[][] = []
  for (const [from, to, what, only] of SEGMENTS) {
    const h = build({ useWebAssembly: false, numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, autoResize: true })
    let negative = 0
    for (const r of records.values()) {
      const a = r[from]
      const b = r[to]
      if (a === undefined || b === undefined || (only && !only(r))) continue
      if (b < a) negative++
      h.recordValue(Math.max(1, b - a))
    }
    const ms = (us: number) => (us / 1000).toFixed(us < 10_000 ? 3 : 1)
    rows.push([what, fmtCount(h.totalCount), h.totalCount ? ms(h.getValueAtPercentile(50)) : '-', h.totalCount ? ms(h.getValueAtPercentile(99)) : '-', h.totalCount ? ms(h.maxValue) : '-', negative ? String(negative) : ''])
  }
  let fetchAfterAppend = 0
  let both = 0
  for (const r of records.values()) {
    if (r['broker.read.1'] !== undefined && r['broker.appended'] !== undefined) {
      both++
      if (r['broker.read.1'] > r['broker.appended']) fetchAfterAppend++
    }
  }
  const head = ['hop (ms)', 'records', 'p50', 'p99', 'max', 'negative']
  const widths = head.map((x, i) => Math.max(x.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
  const out = [line(head), ...rows.map(line)]
  if (both) out.push(`the fetch that returned a sampled record arrived after its append for ${fmtCount(fetchAfterAppend)} of ${fmtCount(both)} (no fetch was waiting in purgatory)`)
  out.push('"negative": intervals where the later hop came first (clock reads in different processes; counted as 0).')
  return out
}

const fmtCount = (n: number) => n.toLocaleString('en-US')

/**
 * Turns trace mode on for the processes started from here on (the broker and the drivers
 * inherit the environment): every 100th offset sampled unless SAMSA_TRACE_SAMPLE says otherwise.
 */
export function enableTrace(file: string): void {
  process.env['SAMSA_TRACE'] = file
  process.env['SAMSA_TRACE_SAMPLE'] ??= '100'
}

/** The breakdown of one run's topics, once the broker's buffered lines are out (it writes every 500 ms). */
export async function traceOf(file: string, topics: string[]): Promise<string[]> {
  await new Promise((r) => setTimeout(r, 800))
  let text = ''
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return [`no trace in ${file}`]
  }
  const all = new Map<string, Record<string, number>>()
  for (const t of topics) for (const [k, v] of joinTrace(text, `${t}/`)) all.set(k, v)
  return [`trace: ${fmtCount(all.size)} sampled records (every ${process.env['SAMSA_TRACE_SAMPLE'] ?? 1000}th offset), ${file}`, ...traceTable(all)]
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const [file, filter] = process.argv.slice(2)
  if (!file) {
    console.error('usage: node dist/bench/latency/trace-report.js <trace file> [topic substring]')
    process.exit(1)
  }
  const records = joinTrace(readFileSync(file, 'utf8'), filter)
  console.log(`${fmtCount(records.size)} sampled records in ${file}${filter ? ` (topics containing ${filter})` : ''}`)
  for (const l of traceTable(records)) console.log(l)
}
