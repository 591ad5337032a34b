/**
 * What every admin call shares: its deadline and abort signal (`Call`), the retry loops, and
 * the error rule.
 *
 * Error rule, for every admin call:
 * - A call either resolves with a result for every item it was given, or rejects.
 * - Per-item failures (a topic that exists, a group with members, a partition without a leader
 *   after the deadline, a broker that stayed unreachable for the items routed to it) reject
 *   with ONE `AdminError`: `failures` lists each failed item with its error (usually a
 *   KafkaError whose message names the resource, Kafka's error name and code), and `results`
 *   keeps what succeeded, so a partly applied batch is never hidden.
 * - A failure of the whole call rejects with that error itself: no broker reachable at all
 *   (ConnectionError), a group-level error (KafkaError), a bad argument or an old broker
 *   (ClientError), an abort (the signal's reason), a closed client (ClientError CLIENT_CLOSED).
 *
 * Retries: errors that can clear up (a moved leader or coordinator, a coordinator still loading,
 * a dropped connection) are retried with backoff until the call's deadline; then the last one
 * is reported as above. Each operation says which Kafka errors it retries: the protocol's
 * "retriable" flag is too broad for admin work (UNKNOWN_TOPIC_OR_PARTITION is "retriable",
 * yet describing a topic that does not exist must fail at once, as Kafka's AdminClient does).
 */
import type { Cluster } from '../base/cluster.js'
import type { RequestOptions } from '../base/connection.js'
import { ClientError, KafkaError, abortReason, isRetriable } from '../base/errors.js'

export interface AdminFailure {
  /** The item, as a reader would name it: "topic orders", "group g1", "orders-3". */
  resource: string
  /** The item as it was passed to the call. */
  item: unknown
  error: Error
}

export class AdminError extends Error {
  override name = 'AdminError'
  readonly code = 'ADMIN_FAILURES'
  constructor(
    /** The admin method: 'createTopics', 'deleteGroups', ... */
    readonly operation: string,
    readonly failures: AdminFailure[],
    /** Results of the items that succeeded, in the order given. */
    readonly results: unknown[],
    total: number,
  ) {
    const shown = failures.slice(0, 5).map((f) => f.error.message)
    const more = failures.length > shown.length ? `; and ${failures.length - shown.length} more` : ''
    super(`${operation}: ${failures.length} of ${total} failed: ${shown.join('; ')}${more}`)
  }

  /** True when retrying the whole call could help: every failure was retriable and none final. */
  get retriable(): boolean {
    return this.failures.every((f) => isRetriable(f.error) && !finalErrors.has(f.error))
  }
}

/** A KafkaError for a non-zero code: "topic x: TOPIC_ALREADY_EXISTS (36): <broker's message>". */
export function brokerError(code: number, resource: string, brokerMessage?: string | null): KafkaError | undefined {
  if (code === 0) return undefined
  const e = new KafkaError(code)
  e.message = `${resource}: ${e.errorName} (${e.code}): ${brokerMessage || e.message}`
  return e
}

const finalErrors = new WeakSet<Error>()

/** Marks an error as not worth retrying whatever its code says (see the header). */
export function final<E extends Error>(e: E): E {
  finalErrors.add(e)
  return e
}

/** Dropped connections, timeouts, unknown brokers: everything retriable that is not a broker's answer. */
export function isTransient(e: Error): boolean {
  return !(e instanceof KafkaError) && isRetriable(e)
}

export function isKafkaError(e: Error, ...codes: number[]): e is KafkaError {
  return e instanceof KafkaError && codes.includes(e.code)
}

/** One admin call: its name, deadline and signal, and the client it runs on. */
export class Call {
  readonly deadline: number

  constructor(
    readonly cluster: Cluster,
    readonly operation: string,
    timeoutMs: number,
    readonly signal?: AbortSignal,
  ) {
    this.deadline = Date.now() + timeoutMs
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - Date.now())
  }

  /**
   * Options for one request: request.timeout.ms but never past the call's deadline, plus
   * `brokerWaitMs` when the request asks the broker to wait (CreateTopics' timeoutMs).
   */
  request(version: number, brokerWaitMs = 0): RequestOptions {
    const timeoutMs = Math.max(1, Math.min(this.cluster.opts.requestTimeoutMs, this.remainingMs())) + brokerWaitMs
    return this.signal ? { version, timeoutMs, signal: this.signal } : { version, timeoutMs }
  }

  /** How long the broker may wait inside a request (the timeoutMs field several admin requests have). */
  brokerWaitMs(): number {
    return Math.max(1, Math.min(this.cluster.opts.requestTimeoutMs, this.remainingMs()))
  }

  /** Throws when the call cannot go on: aborted, or the client closed. */
  check(): void {
    if (this.signal?.aborted) throw abortReason(this.signal)
    if (this.cluster.isClosed) throw new ClientError('CLIENT_CLOSED', `${this.operation}: the admin client is closed`)
  }

  /** Waits before retry `attempt`, or throws `lastError` if the wait would pass the deadline. */
  backoff(attempt: number, lastError: Error): Promise<void> {
    this.check()
    return this.cluster.sleepUntilRetry(attempt, this.deadline, lastError, this.signal)
  }
}

/** Runs `fn` until it succeeds, retrying errors `retry` accepts until the deadline. */
export async function retrying<T>(call: Call, fn: (attempt: number) => Promise<T>, retry: (e: Error) => boolean = isRetriable): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    call.check()
    try {
      return await fn(attempt)
    } catch (e) {
      call.check()
      if (!(e instanceof Error) || finalErrors.has(e) || !retry(e)) throw e
      await call.backoff(attempt, e)
    }
  }
}

/** Per item: its result, or why it failed. */
export type Outcomes<I, R> = Map<I, R | Error>

export interface Settled<I, R> {
  results: Map<I, R>
  failures: Map<I, Error>
}

/**
 * Drives a batch: `round(pending, attempt)` sends the items still pending and answers per item
 * a result or an error. Items whose error `retry` accepts go again after a backoff until the
 * deadline, then fail with their last error; the others settle at once. A round that throws a
 * retriable error runs again; any other thrown error fails the whole call.
 */
export async function settle<I, R>(call: Call, items: readonly I[], retry: (e: Error) => boolean, round: (pending: I[], attempt: number) => Promise<Outcomes<I, R>>): Promise<Settled<I, R>> {
  const results = new Map<I, R>()
  const failures = new Map<I, Error>()
  let pending = [...new Set(items)]
  for (let attempt = 0; pending.length > 0; attempt++) {
    call.check()
    let out: Outcomes<I, R>
    try {
      out = await round(pending, attempt)
    } catch (e) {
      call.check()
      if (!(e instanceof Error) || finalErrors.has(e) || !isRetriable(e)) throw e
      await call.backoff(attempt, e)
      continue
    }
    call.check()
    const again = new Map<I, Error>()
    let lastError: Error | undefined
    for (const item of pending) {
      // A response without the item is asked again, as Kafka's AdminApiDriver does with unanswered keys.
      const r = out.has(item) ? out.get(item)! : new ClientError('ILLEGAL_STATE', `${call.operation}: the broker's response had no result for an item`, true)
      if (!(r instanceof Error)) results.set(item, r)
      else if (!finalErrors.has(r) && retry(r)) {
        again.set(item, r)
        lastError = r
      } else failures.set(item, r)
    }
    pending = [...again.keys()]
    if (pending.length === 0) break
    try {
      await call.backoff(attempt, lastError!)
    } catch (e) {
      if (e !== lastError) throw e
      for (const [item, err] of again) failures.set(item, err)
      break
    }
  }
  return { results, failures }
}

/** The results in item order, or an AdminError listing the failures (see the header). */
export function finish<I, R>(call: Call, items: readonly I[], s: Settled<I, R>, resource: (item: I) => string): R[] {
  const unique = [...new Set(items)]
  if (s.failures.size === 0) return unique.map((i) => s.results.get(i)!)
  throw new AdminError(
    call.operation,
    unique.filter((i) => s.failures.has(i)).map((item) => ({ resource: resource(item), item, error: s.failures.get(item)! })),
    unique.filter((i) => s.results.has(i)).map((i) => s.results.get(i)),
    unique.length,
  )
}

/**
 * One request per destination, in parallel; a destination that fails (unreachable, timed out)
 * fails only its own items, with that error. A ClientError (an API the broker lacks) fails the
 * whole call.
 */
export async function perDestination<K, I, R>(groups: Map<K, I[]>, send: (dest: K, items: I[]) => Promise<Outcomes<I, R>>): Promise<Outcomes<I, R>> {
  const out: Outcomes<I, R> = new Map()
  await Promise.all(
    [...groups].map(async ([dest, items]) => {
      try {
        for (const [i, r] of await send(dest, items)) out.set(i, r)
      } catch (e) {
        // Misuse and unsupported versions fail the call; the rest is this destination's trouble.
        if (e instanceof ClientError && !e.retriable && !finalErrors.has(e)) throw e
        for (const i of items) out.set(i, e as Error)
      }
    }),
  )
  return out
}

/** Groups items by a key, keeping order. */
export function groupBy<K, I>(items: Iterable<I>, key: (i: I) => K): Map<K, I[]> {
  const m = new Map<K, I[]>()
  for (const i of items) {
    const k = key(i)
    const list = m.get(k)
    if (list) list.push(i)
    else m.set(k, [i])
  }
  return m
}

/**
 * Splits items so that no list holds the same partition twice: brokers refuse a partition
 * listed twice in one ListOffsets or DeleteRecords (INVALID_REQUEST).
 */
export function distinctLayers<I extends { topic: string; partition: number }>(items: I[]): I[][] {
  const layers: Array<{ seen: Set<string>; items: I[] }> = []
  for (const i of items) {
    const k = `${i.partition}:${i.topic}`
    let layer = layers.find((l) => !l.seen.has(k))
    if (!layer) layers.push((layer = { seen: new Set(), items: [] }))
    layer.seen.add(k)
    layer.items.push(i)
  }
  return layers.map((l) => l.items)
}

export function tpName(topic: string, partition: number): string {
  return `${topic}-${partition}`
}

/** An offset given as number or bigint, checked to be an integer >= `min`. */
export function toOffset(v: bigint | number, what: string, min = 0n): bigint {
  if (typeof v === 'bigint' && v >= min) return v
  if (typeof v === 'number' && Number.isSafeInteger(v) && BigInt(v) >= min) return BigInt(v)
  throw new ClientError('INVALID_OPTION', `${what}: offset must be an integer >= ${min}, got ${String(v)}`)
}
