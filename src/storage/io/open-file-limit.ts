import { readFileSync } from 'node:fs'

/** Descriptors kept free for sockets (clients, replication, etcd) and the odd file. */
const RESERVED = 4096
/** What the log's file pool may hold when the process limit cannot be read. */
const FALLBACK = 1024

/**
 * How many segment files the broker may keep open: the process's soft limit on open files
 * (RLIMIT_NOFILE, read from /proc/self/limits) less a reserve for connections, at least
 * FALLBACK. Kafka keeps every segment of every partition open and asks operators to raise the
 * limit; Samsa's pool is bounded, but a pool far below the limit makes a broker with many
 * partitions reopen a file for nearly every append (measured: 3,000 partitions written round
 * robin spent a quarter of the broker's busy time opening and closing segment files).
 */
export function openFileBudget(limitsText?: string): number {
  let text = limitsText
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8')
    } catch {
      return FALLBACK
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text)
  if (!m) return FALLBACK
  const soft = m[1] === 'unlimited' ? 1 << 20 : Number(m[1])
  return Math.max(FALLBACK, Math.floor(Math.min(soft, 1 << 20) - Math.max(RESERVED, soft / 4)))
}
