/**
 * A classic group as its GroupMetadata record (`__consumer_offsets`) holds it, and back: what
 * is persisted after each assignment and restored at start-up. Also reads the topics out of a
 * consumer protocol subscription (OffsetDelete and offset expiry ask who subscribes to what).
 */
import type { GroupMetadataValue } from '../../protocol/generated/coordinator/group/group-metadata.js'
import { ConsumerProtocolSubscription } from '../../protocol/generated/data/consumer-protocol-subscription.js'
import { Reader } from '../../protocol/primitives/reader.js'
import { ClassicGroup, Member } from './group.js'

/** The record of `group`; `assignments` replaces the members' current ones (a sync being persisted). */
export function toMetadataValue(group: ClassicGroup, assignments?: Map<string, Buffer>): GroupMetadataValue {
  return {
    protocolType: group.protocolType ?? '',
    generation: group.generationId,
    protocol: group.protocolName,
    leader: group.isEmpty ? null : group.leaderId,
    currentStateTimestamp: BigInt(group.stateTimestamp),
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeout: m.rebalanceTimeoutMs,
      sessionTimeout: m.sessionTimeoutMs,
      subscription: m.metadataFor(group.protocolName ?? ''),
      assignment: assignments?.get(m.memberId) ?? m.assignment,
    })),
  }
}

/** A group restored from its record (at `now`): Stable with its members, or Empty. Timers are the caller's. */
export function fromMetadataValue(groupId: string, value: GroupMetadataValue, now: number): ClassicGroup {
  const group = new ClassicGroup(groupId, now)
  group.generationId = value.generation
  group.protocolName = value.protocol
  for (const m of value.members) {
    const protocols = value.protocol === null ? [] : [{ name: value.protocol, metadata: m.subscription }]
    const member = new Member(m.memberId, m.groupInstanceId ?? null, m.clientId, m.clientHost, m.rebalanceTimeout ?? m.sessionTimeout, m.sessionTimeout, value.protocolType, protocols)
    member.assignment = m.assignment
    group.add(member)
  }
  group.protocolType = value.protocolType === '' && group.isEmpty ? null : value.protocolType
  group.leaderId = value.leader
  group.transition(group.isEmpty ? 'Empty' : 'Stable', now)
  // Offsets of an empty group age from when it emptied, not from this restart.
  const since = Number(value.currentStateTimestamp ?? -1n)
  if (since > 0) group.stateTimestamp = since
  return group
}

/** Topics in a consumer protocol subscription (int16 version, then the versioned struct). */
export function decodeSubscriptionTopics(metadata: Buffer): string[] {
  if (metadata.length < 2) return []
  try {
    const version = metadata.readInt16BE(0)
    const r = new Reader(metadata, 2)
    return ConsumerProtocolSubscription.read(r, Math.min(version, ConsumerProtocolSubscription.maxVersion)).topics
  } catch {
    return []
  }
}
