/**
 * The consumer's embedded protocol: the bytes a consumer puts in JoinGroup's protocol metadata
 * (its subscription) and the bytes the leader puts in SyncGroup for each member (its
 * assignment). Both are an int16 version followed by the struct for that version, with the
 * same version numbers for the two (Kafka's ConsumerProtocol).
 *
 * Version notes (ConsumerProtocolSubscription):
 * - v0: topics, userData.
 * - v1: + ownedPartitions (what the member holds while it rejoins; cooperative rebalancing).
 * - v2: + generationId (the generation those partitions were assigned in; -1 none).
 * - v3: + rackId.
 * The assignment struct is the same in every version: assigned partitions + userData.
 *
 * Compatibility rule, as Kafka's: a struct from a newer version than we know is read with the
 * newest layout we know. Versions only ever append fields, so the known ones come first and
 * whatever follows is ignored.
 */
import type { TopicPartition } from '../base/types.js'
import { Reader } from '../../protocol/primitives/reader.js'
import { Writer } from '../../protocol/primitives/writer.js'
import { ProtocolError } from '../../protocol/primitives/protocol-error.js'
import { ConsumerProtocolSubscription } from '../../protocol/generated/data/consumer-protocol-subscription.js'
import { ConsumerProtocolAssignment } from '../../protocol/generated/data/consumer-protocol-assignment.js'

/** JoinGroup's protocolType for consumer groups. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer'

/** Highest subscription/assignment version we read and write. */
export const CONSUMER_PROTOCOL_MAX_VERSION: number = ConsumerProtocolSubscription.maxVersion

/** No generation known (Kafka's DEFAULT_GENERATION). */
export const NO_GENERATION = -1

export interface ConsumerSubscription {
  topics: string[]
  userData: Buffer | null
  /** Empty when the version cannot carry it (v0). */
  ownedPartitions: TopicPartition[]
  /** -1 when unknown or when the version cannot carry it (v0, v1). */
  generationId: number
  /** null when absent or empty. */
  rackId: string | null
}

export interface ConsumerAssignment {
  partitions: TopicPartition[]
  userData: Buffer | null
}

export interface DecodedSubscription extends ConsumerSubscription {
  /** The version the sender wrote, which may be newer than the layout we read it with. */
  version: number
}

export interface DecodedAssignment extends ConsumerAssignment {
  version: number
}

/** Fields that may be left out when encoding; they default to "none". */
export type SubscriptionInput = Pick<ConsumerSubscription, 'topics'> & Partial<ConsumerSubscription>

export function encodeSubscription(sub: SubscriptionInput, version: number = CONSUMER_PROTOCOL_MAX_VERSION): Buffer {
  const w = new Writer()
  w.writeInt16(version)
  // The generated writer drops fields the version does not have, as Kafka's "ignorable" fields.
  ConsumerProtocolSubscription.write(
    w,
    {
      topics: sub.topics,
      userData: sub.userData ?? null,
      ownedPartitions: groupByTopic(sub.ownedPartitions ?? []),
      generationId: sub.generationId ?? NO_GENERATION,
      rackId: sub.rackId ?? null,
    },
    version,
  )
  return w.toBuffer()
}

export function decodeSubscription(buf: Buffer): DecodedSubscription {
  const r = new Reader(buf)
  const version = readVersion(r, 'subscription')
  const s = ConsumerProtocolSubscription.read(r, Math.min(version, ConsumerProtocolSubscription.maxVersion))
  r.finish(`consumer protocol subscription v${version}`)
  return {
    version,
    topics: s.topics,
    userData: s.userData,
    ownedPartitions: flatten(s.ownedPartitions ?? []),
    generationId: s.generationId ?? NO_GENERATION,
    // Kafka treats an empty rack the same as none.
    rackId: s.rackId ? s.rackId : null,
  }
}

export function encodeAssignment(a: ConsumerAssignment, version: number = CONSUMER_PROTOCOL_MAX_VERSION): Buffer {
  const w = new Writer()
  w.writeInt16(version)
  ConsumerProtocolAssignment.write(w, { assignedPartitions: groupByTopic(a.partitions), userData: a.userData }, version)
  return w.toBuffer()
}

/**
 * An empty buffer means no partitions: the coordinator hands that to a member the leader left
 * out of its SyncGroup assignments.
 */
export function decodeAssignment(buf: Buffer): DecodedAssignment {
  if (buf.length === 0) return { version: 0, partitions: [], userData: null }
  const r = new Reader(buf)
  const version = readVersion(r, 'assignment')
  const a = ConsumerProtocolAssignment.read(r, Math.min(version, ConsumerProtocolAssignment.maxVersion))
  r.finish(`consumer protocol assignment v${version}`)
  return { version, partitions: flatten(a.assignedPartitions), userData: a.userData }
}

function readVersion(r: Reader, what: string): number {
  const version = r.readInt16()
  r.finish(`consumer protocol ${what} header`)
  if (version < 0) throw new ProtocolError(`unsupported consumer protocol ${what} version ${version}`)
  return version
}

/** Topics in the order they first appear, partitions in the order given. */
export function groupByTopic(partitions: readonly TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const byTopic = new Map<string, number[]>()
  for (const tp of partitions) {
    let list = byTopic.get(tp.topic)
    if (!list) byTopic.set(tp.topic, (list = []))
    list.push(tp.partition)
  }
  return [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps }))
}

function flatten(groups: ReadonlyArray<{ topic: string; partitions: number[] }>): TopicPartition[] {
  const out: TopicPartition[] = []
  for (const g of groups) for (const partition of g.partitions) out.push({ topic: g.topic, partition })
  return out
}
