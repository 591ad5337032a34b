/**
 * Which `__consumer_offsets` partition holds a group: Kafka's
 * `Utils.abs(groupId.hashCode()) % numPartitions`. Clients never compute this themselves, but
 * the bytes in a Kafka-written `__consumer_offsets` (or tools that read it) assume the same
 * mapping, so it must match Java exactly.
 */

/** Java's String.hashCode: h = 31*h + c over UTF-16 code units, wrapping at 32 bits. */
export function javaStringHashCode(s: string): number {
  let h = 0
  // charCodeAt yields UTF-16 code units, as Java's char does (a surrogate pair counts twice).
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0
  return h
}

/**
 * Kafka's Utils.abs: Math.abs, except that Integer.MIN_VALUE (whose absolute value does not fit
 * an int) gives 0 rather than staying negative. Not the `& 0x7fffffff` of Kafka 0.8, which
 * differs for every negative hash.
 */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n)
}

/** The `__consumer_offsets` partition of a group. */
export function groupPartition(groupId: string, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) throw new RangeError(`numPartitions must be a positive integer, got ${numPartitions}`)
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions
}
