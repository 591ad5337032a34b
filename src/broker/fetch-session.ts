/**
 * Incremental fetch sessions (KIP-227). A consumer that fetches many partitions sends the full
 * list once; the broker keeps it under a session id and later requests carry only what changed
 * (new offsets, added or forgotten partitions). Responses of an incremental fetch leave out
 * partitions with nothing new. Sessions are evicted least-recently-used when the cache is full
 * and after `idleMs` without use, as Kafka's FetchSessionCache does.
 */
import { KafkaError } from '../protocol/errors.js'

export const INITIAL_EPOCH = 0
export const FINAL_EPOCH = -1

export interface SessionPartition {
  /** Topic name (resolved from the id for v13+). */
  topic: string
  topicId: string
  partition: number
  fetchOffset: number
  maxBytes: number
  /** What the last response told the client; an incremental response skips the partition if nothing moved. */
  sentHighWatermark: number
  sentLogStartOffset: number
  sentLastStableOffset: number
}

export class FetchSession {
  epoch = 1
  lastUsed: number
  /** Insertion order is response order; partitions that returned data move to the back (fairness). */
  readonly partitions = new Map<string, SessionPartition>()
  constructor(
    readonly id: number,
    now: number,
  ) {
    this.lastUsed = now
  }
}

export function partitionKey(topicIdOrName: string, partition: number): string {
  return `${topicIdOrName}:${partition}`
}

export interface FetchSessionCacheOptions {
  /** max.incremental.fetch.session.cache.slots (Kafka default 1000). */
  maxSessions?: number
  /** min.incremental.fetch.session.eviction.ms (Kafka default 120000). */
  idleMs?: number
  now?: () => number
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>()
  private readonly maxSessions: number
  private readonly idleMs: number
  private readonly now: () => number

  constructor(options: FetchSessionCacheOptions = {}) {
    this.maxSessions = options.maxSessions ?? 1000
    this.idleMs = options.idleMs ?? 120_000
    this.now = options.now ?? Date.now
  }

  get size(): number {
    return this.sessions.size
  }

  /** A new session, evicting the least recently used one when full; undefined only when sessions are disabled (maxSessions 0). */
  create(): FetchSession | undefined {
    const now = this.now()
    this.expire(now)
    if (this.maxSessions <= 0) return undefined
    if (this.sessions.size >= this.maxSessions) {
      // Least recently used first (Map keeps insertion order; get() re-inserts).
      const oldest = this.sessions.keys().next().value as number
      this.sessions.delete(oldest)
    }
    let id: number
    do id = 1 + Math.floor(Math.random() * 0x7ffffffe)
    while (this.sessions.has(id))
    const s = new FetchSession(id, now)
    this.sessions.set(id, s)
    return s
  }

  /**
   * The session for an incremental fetch; FETCH_SESSION_ID_NOT_FOUND or
   * INVALID_FETCH_SESSION_EPOCH as Kafka answers. Advances the expected epoch.
   */
  resume(id: number, epoch: number): FetchSession {
    const now = this.now()
    this.expire(now)
    const s = this.sessions.get(id)
    if (!s) throw new KafkaError('FETCH_SESSION_ID_NOT_FOUND', `fetch session ${id} not found`)
    if (s.epoch !== epoch) throw new KafkaError('INVALID_FETCH_SESSION_EPOCH', `fetch session ${id} expected epoch ${s.epoch}, got ${epoch}`)
    s.epoch = nextEpoch(epoch)
    s.lastUsed = now
    this.sessions.delete(id)
    this.sessions.set(id, s)
    return s
  }

  remove(id: number): boolean {
    return this.sessions.delete(id)
  }

  private expire(now: number): void {
    for (const [id, s] of this.sessions) {
      if (now - s.lastUsed < this.idleMs) break
      this.sessions.delete(id)
    }
  }
}

/**
 * Epochs wrap from INT32_MAX to 1 (0 and -1 are the initial and final markers); after the
 * final epoch comes the final epoch again, as Kafka's FetchMetadata.nextEpoch says.
 */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH
  return epoch >= 0x7fffffff ? 1 : epoch + 1
}
