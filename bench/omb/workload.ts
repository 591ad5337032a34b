/**
 * Workloads in the shape of the OpenMessaging Benchmark's YAML files (workloads/*.yaml there),
 * shipped here as JSON. The field names are OMB's; what differs:
 *
 *   - durations may be given in seconds (`warmupDurationSeconds`, `testDurationSeconds`) for
 *     short runs; the minute fields win when both are given;
 *   - `producerRate` is the total publish rate in messages/s over every producer, as in OMB;
 *     0 means "find the maximum sustainable rate" (OMB's rate controller);
 *   - `consumerBacklogSizeGB` > 0 runs OMB's build-and-drain: consumers pause until that many
 *     bytes (GB = 10^9, as OMB) are waiting, then resume, and the drain time is reported;
 *   - payloads are generated (OMB reads `payloadFile`; its content does not matter to a broker
 *     that does not compress). A payload's first 16 bytes carry the intended and the actual send
 *     time, so `messageSize` is at least 16.
 */

/** OMB's KeyDistributorType names; ROUND_ROBIN is accepted for KEY_ROUND_ROBIN. */
export const KEY_DISTRIBUTORS = ['NO_KEY', 'KEY_ROUND_ROBIN', 'RANDOM_NANO'] as const
export type KeyDistributor = (typeof KEY_DISTRIBUTORS)[number]

export interface Workload {
  name: string
  topics: number
  partitionsPerTopic: number
  messageSize: number
  subscriptionsPerTopic: number
  producersPerTopic: number
  consumerPerSubscription: number
  keyDistributor: KeyDistributor
  /** Messages/s over all producers; 0: find the maximum sustainable rate. */
  producerRate: number
  warmupMs: number
  testMs: number
  /** Bytes of backlog to build before draining; 0: none. */
  consumerBacklogBytes: number
}

/** Bytes a payload needs for its two send times. */
export const PAYLOAD_HEADER = 16

/** Upper bounds that keep a typo from starting a million processes or allocating gigabytes per record. */
const LIMITS = { topics: 10_000, partitionsPerTopic: 100_000, messageSize: 64 * 1024 * 1024, subscriptionsPerTopic: 100, producersPerTopic: 1_000, consumerPerSubscription: 1_000 }

export class WorkloadError extends Error {
  override name = 'WorkloadError'
}

/** Validates a parsed workload document; `source` names it in error messages. */
export function parseWorkload(doc: unknown, source: string): Workload {
  const fail = (what: string): never => {
    throw new WorkloadError(`${source}: ${what}`)
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('a workload is a JSON object')
  const o = doc as Record<string, unknown>
  const known = new Set([
    'name', 'topics', 'partitionsPerTopic', 'messageSize', 'payloadFile', 'subscriptionsPerTopic', 'producersPerTopic',
    'consumerPerSubscription', 'keyDistributor', 'producerRate', 'warmupDurationMinutes', 'testDurationMinutes',
    'warmupDurationSeconds', 'testDurationSeconds', 'consumerBacklogSizeGB', 'description',
  ])
  for (const k of Object.keys(o)) if (!known.has(k)) fail(`unknown field "${k}" (known: ${[...known].join(', ')})`)

  const int = (k: keyof typeof LIMITS | 'producerRate', dflt: number | undefined, min: number, max: number): number => {
    const v = o[k] ?? dflt
    if (v === undefined) fail(`"${k}" is required`)
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`"${k}" must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`)
    return v as number
  }
  const num = (k: string): number | undefined => {
    const v = o[k]
    if (v === undefined) return undefined
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`"${k}" must be a number >= 0, got ${JSON.stringify(v)}`)
    return v as number
  }
  const duration = (minutes: string, seconds: string, dflt: number | undefined): number => {
    const m = num(minutes)
    const s = num(seconds)
    if (m !== undefined) return m * 60_000
    if (s !== undefined) return s * 1000
    if (dflt === undefined) fail(`"${minutes}" or "${seconds}" is required`)
    return dflt!
  }

  const name = o['name'] ?? source.replace(/^.*\//, '').replace(/\.json$/, '')
  if (typeof name !== 'string' || name === '') fail('"name" must be a non-empty string')
  const given = o['keyDistributor'] ?? 'NO_KEY'
  const keyDistributor = given === 'ROUND_ROBIN' ? 'KEY_ROUND_ROBIN' : given
  if (!KEY_DISTRIBUTORS.includes(keyDistributor as KeyDistributor)) fail(`"keyDistributor" must be one of ${KEY_DISTRIBUTORS.join(', ')} (or ROUND_ROBIN), got ${JSON.stringify(given)}`)
  const testMs = duration('testDurationMinutes', 'testDurationSeconds', undefined)
  if (testMs <= 0) fail('the test duration must be positive')
  const backlogGB = num('consumerBacklogSizeGB') ?? 0

  return {
    name: name as string,
    topics: int('topics', undefined, 1, LIMITS.topics),
    partitionsPerTopic: int('partitionsPerTopic', undefined, 1, LIMITS.partitionsPerTopic),
    messageSize: int('messageSize', undefined, PAYLOAD_HEADER, LIMITS.messageSize),
    subscriptionsPerTopic: int('subscriptionsPerTopic', 1, 0, LIMITS.subscriptionsPerTopic),
    producersPerTopic: int('producersPerTopic', undefined, 1, LIMITS.producersPerTopic),
    consumerPerSubscription: int('consumerPerSubscription', undefined, 1, LIMITS.consumerPerSubscription),
    keyDistributor: keyDistributor as KeyDistributor,
    producerRate: int('producerRate', undefined, 0, 100_000_000),
    warmupMs: duration('warmupDurationMinutes', 'warmupDurationSeconds', 0),
    testMs,
    consumerBacklogBytes: Math.round(backlogGB * 1e9),
  }
}

/** A copy of `w` at another rate and size, named after them (the latency ladder's steps). */
export function withRate(w: Workload, producerRate: number, messageSize = w.messageSize): Workload {
  return { ...w, producerRate, messageSize, name: `${w.name}@${producerRate === 0 ? 'max' : producerRate}` }
}
