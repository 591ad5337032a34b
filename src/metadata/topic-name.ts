/**
 * Kafka's topic name rules: 1-249 characters of [a-zA-Z0-9._-], not "." or "..".
 * Names differing only by '.' vs '_' collide in metric names; callers warn about that.
 */
const LEGAL = /^[a-zA-Z0-9._-]+$/
export const MAX_TOPIC_NAME_LENGTH = 249

/** Returns why the name is invalid, or undefined when it is fine. */
export function validateTopicName(name: string): string | undefined {
  if (name.length === 0) return 'topic name is empty'
  if (name === '.' || name === '..') return `topic name cannot be "${name}"`
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `topic name is longer than ${MAX_TOPIC_NAME_LENGTH} characters`
  if (!LEGAL.test(name)) return `topic name "${name}" has characters other than ASCII alphanumerics, '.', '_' and '-'`
  return undefined
}

/** Two names that collide once '.' and '_' are treated alike. */
export function collisionKey(name: string): string {
  return name.replace(/\./g, '_')
}

/** Kafka's internal topics: written only by the broker's coordinators, never by producers. */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state'])

export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name)
}

/**
 * Names clients may not create: the internal topics (the coordinators create them with the
 * partition count their hashing depends on) and KRaft's metadata log name.
 */
export function isReservedTopicName(name: string): boolean {
  return INTERNAL_TOPICS.has(name) || name === '__cluster_metadata'
}
