/** Types shared by the producer, consumer and admin clients. */

export interface TopicPartition {
  topic: string
  partition: number
}

/** A record header as applications give and receive it. */
export type HeaderValue = string | Buffer | null

/** Headers: a plain object (one value per key) or an ordered list (repeated keys kept). */
export type Headers = Record<string, HeaderValue> | Array<[string, HeaderValue]>

/** "topic:partition", the key the clients use for per-partition maps. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}:${partition}`
}
