/**
 * Kafka's StickyAssignor ('sticky'), the EAGER flavour of the sticky algorithm (see
 * abstract-sticky.ts). Members revoke everything before rejoining, so each one reports what it
 * had in its subscription's userData instead of in ownedPartitions.
 *
 * userData layout, as Java writes it (Kafka's old Struct schemas, all big-endian):
 *   v1: [int32 topicCount] { [int16 len][utf8 topic] [int32 count] [int32 partition]... }...
 *       [int32 generation]
 *   v0: the same without the trailing generation (clients before Kafka 2.3).
 * Java always writes v1, and only once the member has had an assignment (no userData before).
 * It reads v1 first and falls back to v0; anything unreadable counts as "owned nothing".
 */
import type { TopicPartition } from '../../base/types.js'
import { Reader } from '../../../protocol/primitives/reader.js'
import { Writer } from '../../../protocol/primitives/writer.js'
import { groupByTopic } from '../consumer-protocol.js'
import { DEFAULT_GENERATION, stickyAssign, type MemberData, type StickyResult } from './abstract-sticky.js'
import type { Assignor, MemberSubscription, RebalanceProtocol, UserDataState } from './assignor.js'

export class StickyAssignor implements Assignor {
  readonly name = 'sticky'
  readonly supportedProtocols: readonly RebalanceProtocol[] = ['EAGER']

  subscriptionUserData(state: UserDataState): Buffer | null {
    if (state.assigned === null) return null
    return encodeStickyUserData(state.assigned, state.generationId)
  }

  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): Map<string, TopicPartition[]> {
    return this.assignDetailed(members, partitionsPerTopic).assignment
  }

  /** `assign` plus the bookkeeping Kafka's tests inspect. */
  assignDetailed(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): StickyResult {
    return stickyAssign(members, partitionsPerTopic, stickyMemberData)
  }
}

/** EAGER members hold nothing while rejoining, so userData is the only record of the past. */
export function stickyMemberData(m: MemberSubscription): MemberData {
  if (m.userData === null || m.userData.length === 0) return { partitions: [], generation: DEFAULT_GENERATION }
  return decodeStickyUserData(m.userData)
}

/** `generation` undefined writes the v0 layout (for tests and old-client emulation). */
export function encodeStickyUserData(partitions: readonly TopicPartition[], generation?: number): Buffer {
  const w = new Writer()
  const groups = groupByTopic(partitions)
  w.writeInt32(groups.length)
  for (const g of groups) {
    w.writeString(g.topic)
    w.writeInt32(g.partitions.length)
    for (const p of g.partitions) w.writeInt32(p)
  }
  if (generation !== undefined) w.writeInt32(generation)
  return w.toBuffer()
}

export function decodeStickyUserData(buf: Buffer): MemberData {
  const r = new Reader(buf)
  const partitions = readPreviousAssignment(r)
  if (!r.ok) return { partitions: [], generation: DEFAULT_GENERATION }
  // A v0 body simply ends here; a failed read of the generation means v0, not garbage.
  const generation = r.remaining >= 4 ? r.readInt32() : DEFAULT_GENERATION
  return { partitions, generation }
}

function readPreviousAssignment(r: Reader): TopicPartition[] {
  const out: TopicPartition[] = []
  const topics = r.readArrayLength(false)
  for (let i = 0; i < topics && r.ok; i++) {
    const topic = r.readString()
    const n = r.readArrayLength(false)
    for (let j = 0; j < n && r.ok; j++) {
      const partition = r.readInt32()
      if (r.ok) out.push({ topic, partition })
    }
  }
  return out
}

