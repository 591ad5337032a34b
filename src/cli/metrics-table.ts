/**
 * `--print-metrics` output in the layout of Kafka's tools: a blank line, a "Metric Name / Value"
 * header, then `group:name:{tags}` sorted by that string, names padded to the longest, decimal
 * values with three decimals.
 *
 * Samsa's clients do not keep Kafka's client metrics (request latencies, batch sizes,
 * per-broker byte rates); the perf tools print the few figures they measure themselves under
 * Kafka's metric names, and say on stderr that the rest is not available.
 */

export interface Metric {
  group: string
  name: string
  tags: Record<string, string>
  /** Numbers print with three decimals (Java's Double metrics); strings as they are. */
  value: number | string
}

export function metricsTable(metrics: Metric[]): string {
  if (metrics.length === 0) return ''
  const rows = metrics.map((m) => [`${m.group}:${m.name}:${javaMap(m.tags)}`, m.value] as const)
  rows.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const width = Math.max(...rows.map(([n]) => n.length))
  const lines = [`\n${'Metric Name'.padEnd(width)}   Value`]
  for (const [name, value] of rows) lines.push(`${name.padEnd(width)} : ${typeof value === 'number' ? value.toFixed(3) : value}`)
  return lines.join('\n') + '\n'
}

/** Tags as Java prints a Map: `{client-id=perf-producer-client}`. */
function javaMap(tags: Record<string, string>): string {
  return `{${Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}}`
}

export const METRICS_NOTE =
  "note: Samsa's clients do not keep Kafka's client metrics yet (request latencies, batch sizes, byte rates per broker); the figures above are measured by this tool"
