/**
 * Choosing a partition for a produced record the way the Java client does, so that a key lands
 * in the same partition whichever client wrote it: keyed records hash with Kafka's murmur2,
 * keyless ones use the sticky partitioner of KIP-480.
 */

// Kafka's seed, written as the unsigned bit pattern of Java's int 0x9747b28c.
const SEED = 0x9747b28c
const M = 0x5bd1e995
const R = 24

/**
 * Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2): MurmurHash2 with Kafka's
 * seed, bytes read little-endian. Returns a signed 32-bit integer, as Java does, so values
 * compare directly with the Java client's.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  // Math.imul and `| 0` / `>>>` reproduce Java's wrapping int arithmetic: a plain `*` would
  // lose the low bits once the product passes 2^53.
  let h = (SEED ^ length) | 0
  const length4 = length >>> 2
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> R
    k = Math.imul(k, M)
    h = Math.imul(h, M)
    h ^= k
  }
  // Java's switch falls through from case 3 to case 1; ifs say the same without fallthrough.
  const tail = length & ~3
  const rest = length & 3
  if (rest === 3) h ^= data[tail + 2]! << 16
  if (rest >= 2) h ^= data[tail + 1]! << 8
  if (rest >= 1) {
    h ^= data[tail]!
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/**
 * Kafka's Utils.toPositive: clears the sign bit. Not Math.abs, which differs for negative
 * hashes and would send keys to other partitions than the Java client does.
 */
export function toPositive(n: number): number {
  return n & 0x7fffffff
}

/** The partition the Java client picks for a non-null key (BuiltInPartitioner.partitionForKey). */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) throw new RangeError(`partition count must be a positive integer, got ${numPartitions}`)
  return toPositive(murmur2(key)) % numPartitions
}

/**
 * KIP-480's sticky partitioner for keyless records: every keyless record for a topic goes to
 * the same partition until the producer closes a batch for it and starts a new one, which
 * fills batches (fewer, larger requests) while still spreading load over time.
 */
export class StickyPartitioner {
  private readonly current = new Map<string, number>()

  /** `random` returns a float in [0, 1) like Math.random; injectable so tests are deterministic. */
  constructor(private readonly random: () => number = Math.random) {}

  /**
   * The topic's sticky partition, choosing one if it has none yet. `availablePartitions` are
   * the partitions that currently have a leader; when empty or omitted, any partition may be
   * chosen (the record then waits for a leader like a keyed one would).
   */
  partition(topic: string, partitionCount: number, availablePartitions?: readonly number[]): number {
    checkCount(partitionCount)
    const cur = this.current.get(topic)
    if (cur !== undefined && this.stillUsable(cur, partitionCount, availablePartitions)) return cur
    return this.choose(topic, partitionCount, cur, availablePartitions)
  }

  /**
   * Called when the producer creates a new batch for `prevPartition` of `topic`. If that is the
   * sticky partition, moves to another one (chosen at random, never the same one when there is
   * a choice) and returns it; otherwise the sticky partition already moved (the batch was for a
   * keyed record or an older choice) and is returned unchanged.
   */
  onNewBatch(topic: string, partitionCount: number, prevPartition: number, availablePartitions?: readonly number[]): number {
    checkCount(partitionCount)
    const cur = this.current.get(topic)
    if (cur !== undefined && cur !== prevPartition && this.stillUsable(cur, partitionCount, availablePartitions)) return cur
    return this.choose(topic, partitionCount, cur, availablePartitions)
  }

  /** The current sticky partition of `topic`, if one was chosen. */
  peek(topic: string): number | undefined {
    return this.current.get(topic)
  }

  /** Drops the topic's sticky choice (e.g. when the producer stops writing to it). */
  forget(topic: string): void {
    this.current.delete(topic)
  }

  // Java keeps a sticky partition even after it loses its leader; here it is dropped then,
  // since until the next batch every keyless record would otherwise queue behind a partition
  // that cannot be written.
  private stillUsable(p: number, partitionCount: number, available: readonly number[] | undefined): boolean {
    if (p >= partitionCount) return false
    const usable = usableAvailable(available, partitionCount)
    return usable.length === 0 || usable.includes(p)
  }

  private choose(topic: string, partitionCount: number, old: number | undefined, available: readonly number[] | undefined): number {
    const usable = usableAvailable(available, partitionCount)
    let next: number
    if (usable.length > 0) {
      next = this.pickOther(usable.length, old, (i) => usable[i]!)
    } else {
      next = this.pickOther(partitionCount, old, (i) => i)
    }
    this.current.set(topic, next)
    return next
  }

  // Picks uniformly among the other candidates (when there are any), without the retry loop
  // Java uses: index into the candidates with `old` taken out.
  private pickOther(n: number, old: number | undefined, at: (i: number) => number): number {
    if (n === 1) return at(0)
    let oldIndex = -1
    if (old !== undefined) {
      for (let i = 0; i < n; i++) {
        if (at(i) === old) {
          oldIndex = i
          break
        }
      }
    }
    if (oldIndex < 0) return at(this.randomIndex(n))
    const i = this.randomIndex(n - 1)
    return at(i >= oldIndex ? i + 1 : i)
  }

  private randomIndex(n: number): number {
    // Guard against a `random` that returns exactly 1 (allowed by sloppy test doubles).
    return Math.min(n - 1, Math.floor(this.random() * n))
  }
}

function checkCount(partitionCount: number): void {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) throw new RangeError(`partition count must be a positive integer, got ${partitionCount}`)
}

// Metadata can be momentarily ahead of the partition count the caller passes; ids outside
// [0, partitionCount) are ignored rather than handed out.
function usableAvailable(available: readonly number[] | undefined, partitionCount: number): readonly number[] {
  if (!available || available.length === 0) return []
  return available.every((p) => p >= 0 && p < partitionCount) ? available : available.filter((p) => p >= 0 && p < partitionCount)
}

export interface PartitionerArgs {
  topic: string
  key: Buffer | null
  value: Buffer | null
  partitionCount: number
  /** Partitions with a leader right now, when the producer knows them. */
  availablePartitions?: readonly number[]
}

/**
 * A custom partitioner. Return a partition in [0, partitionCount), or `undefined` (or any
 * negative number, e.g. -1) to let the default partitioner choose, which lets a custom one
 * handle only the records it cares about.
 */
export type Partitioner = (args: PartitionerArgs) => number | undefined

/** The default partitioner, plus the hook the producer calls when it starts a batch. */
export interface DefaultPartitioner {
  (args: PartitionerArgs): number
  /** Tells the sticky partitioner a new batch was created for `prevPartition` (see StickyPartitioner.onNewBatch). */
  onNewBatch(topic: string, partitionCount: number, prevPartition: number, availablePartitions?: readonly number[]): number
  readonly sticky: StickyPartitioner
}

/**
 * The Java client's default: murmur2 of the key for keyed records (null key only; an empty
 * key is a key and hashes like one), the sticky partitioner for keyless ones.
 */
export function defaultPartitioner(opts: { random?: () => number } = {}): DefaultPartitioner {
  const sticky = new StickyPartitioner(opts.random)
  const fn = (args: PartitionerArgs): number =>
    args.key !== null ? partitionForKey(args.key, args.partitionCount) : sticky.partition(args.topic, args.partitionCount, args.availablePartitions)
  return Object.assign(fn, {
    onNewBatch: (topic: string, partitionCount: number, prevPartition: number, availablePartitions?: readonly number[]) =>
      sticky.onNewBatch(topic, partitionCount, prevPartition, availablePartitions),
    sticky,
  })
}

/**
 * The partition for a record without an explicit one: the custom partitioner's answer if it
 * gives one, else the default's. A custom answer outside the topic's partitions is a bug in the
 * caller's code, so it throws (as the Java producer does) rather than guess.
 */
export function choosePartition(args: PartitionerArgs, fallback: DefaultPartitioner, custom?: Partitioner): number {
  if (custom) {
    const p = custom(args)
    if (p !== undefined && p >= 0) {
      if (!Number.isInteger(p) || p >= args.partitionCount) {
        throw new RangeError(`partitioner returned partition ${p} for topic ${args.topic}, which has ${args.partitionCount} partitions`)
      }
      return p
    }
    if (p !== undefined && !Number.isInteger(p)) throw new RangeError(`partitioner returned ${p} for topic ${args.topic}`)
  }
  return fallback(args)
}
