/**
 * Consumer groups: ListGroups (asked of every broker, since each lists only the groups it
 * coordinates), DescribeGroups and DeleteGroups (each group at its coordinator, one request per
 * coordinator).
 *
 * Retries: a coordinator that moved (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE) is forgotten
 * and looked up again; one still loading its state (COORDINATOR_LOAD_IN_PROGRESS) is asked
 * again. Other per-group errors (NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND, INVALID_GROUP_ID) are final.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import type { DescribeGroupsResponseDescribedGroup, DescribeGroupsResponseDescribedGroupMember } from '../../protocol/generated/describe-groups.js'
import { ErrorCode } from '../../protocol/errors.js'
import { CoordinatorType, isCoordinatorMoved } from '../base/cluster.js'
import type { BrokerConnection } from '../base/connection.js'
import { ClientError, KafkaError } from '../base/errors.js'
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment, decodeSubscription } from '../consumer/consumer-protocol.js'
import { brokerError, finish, groupBy, isKafkaError, isTransient, perDestination, retrying, settle, type Call, type Outcomes } from './common.js'
import type { GroupDescription, GroupListing, GroupMember } from './types.js'

/** Errors after which asking the group's coordinator again can succeed. */
export function coordinatorRetriable(e: Error): boolean {
  return isTransient(e) || isKafkaError(e, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR)
}

/**
 * Forgets a group's coordinator when an error says it moved or cannot be reached, so the
 * retry looks it up again.
 */
export function forgetIfMoved(call: Call, groupId: string, e: unknown): void {
  if (!(e instanceof Error)) return
  if ((e instanceof KafkaError && isCoordinatorMoved(e.code)) || isTransient(e)) call.cluster.forgetCoordinator(CoordinatorType.Group, groupId)
}

export function coordinatorConnection(call: Call, groupId: string): Promise<BrokerConnection> {
  return call.cluster.coordinatorConnection(CoordinatorType.Group, groupId, call.deadline)
}

/**
 * Runs `send` once per coordinator for the groups in `pending`. A group whose coordinator
 * cannot be found gets that error; a coordinator that fails fails its groups and is forgotten.
 */
async function perCoordinator<R>(call: Call, pending: string[], send: (conn: BrokerConnection, groups: string[]) => Promise<Outcomes<string, R>>): Promise<Outcomes<string, R>> {
  const out: Outcomes<string, R> = new Map()
  const located: Array<{ groupId: string; nodeId: number }> = []
  await Promise.all(
    pending.map(async (groupId) => {
      try {
        located.push({ groupId, nodeId: (await call.cluster.coordinator(CoordinatorType.Group, groupId, call.deadline)).nodeId })
      } catch (e) {
        out.set(groupId, e as Error)
      }
    }),
  )
  const sent = await perDestination(
    groupBy(located, (l) => l.nodeId),
    async (_nodeId, items) => {
      const groups = items.map((l) => l.groupId)
      const res = await send(await coordinatorConnection(call, groups[0]!), groups)
      return new Map(items.map((l) => [l, res.has(l.groupId) ? res.get(l.groupId)! : new ClientError('ILLEGAL_STATE', `group ${l.groupId}: no result from its coordinator`)]))
    },
  )
  for (const [l, r] of sent) out.set(l.groupId, r)
  for (const [groupId, r] of out) if (r instanceof Error) forgetIfMoved(call, groupId, r)
  return out
}

export interface ListGroupsOptions {
  /** Only groups in these states (Stable, Empty, ...); needs ListGroups v4 (Kafka 2.6). */
  states?: string[]
  /** Only groups of these types (classic, consumer, share); needs ListGroups v5 (Kafka 3.8). */
  types?: string[]
}

export async function listGroups(call: Call, o: ListGroupsOptions): Promise<GroupListing[]> {
  const states = o.states ?? []
  const types = o.types ?? []
  await retrying(call, () => call.cluster.fetchMetadata([]))
  const brokers = [...call.cluster.brokers.keys()]
  const s = await settle<number, GroupListing[]>(call, brokers, (e) => isTransient(e) || isKafkaError(e, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS), (pending) =>
    perDestination(
      groupBy(pending, (b) => b),
      async (nodeId) => {
        const conn = await call.cluster.connection(nodeId)
        // Filters are honoured only by versions that have them; without them the answer would be unfiltered.
        const version = conn.version(ApiKey.ListGroups, 5, types.length > 0 ? 5 : states.length > 0 ? 4 : 0)
        const resp = await conn.request(ApiKey.ListGroups, { statesFilter: states, typesFilter: types }, call.request(version))
        const err = brokerError(resp.errorCode, `groups of broker ${nodeId}`)
        const listed = resp.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState ?? null, type: g.groupType ?? null, coordinator: nodeId }))
        return new Map([[nodeId, err ?? listed]])
      },
    ),
  )
  return finish(call, brokers, s, (b) => `broker ${b}`)
    .flat()
    .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
}

export async function describeGroups(call: Call, groupIds: string[]): Promise<GroupDescription[]> {
  const s = await settle<string, GroupDescription>(call, groupIds, coordinatorRetriable, (pending) =>
    perCoordinator(call, pending, async (conn, groups) => {
      const version = conn.version(ApiKey.DescribeGroups, 5)
      const resp = await conn.request(ApiKey.DescribeGroups, { groups, includeAuthorizedOperations: false }, call.request(version))
      const coordinator = conn.address.nodeId ?? -1
      return new Map(resp.groups.map((g) => [g.groupId, brokerError(g.errorCode, `group ${g.groupId}`) ?? description(g, coordinator)]))
    }),
  )
  return finish(call, groupIds, s, (g) => `group ${g}`)
}

function description(g: DescribeGroupsResponseDescribedGroup, coordinator: number): GroupDescription {
  const consumer = g.protocolType === CONSUMER_PROTOCOL_TYPE
  return {
    groupId: g.groupId,
    state: g.groupState,
    protocolType: g.protocolType,
    protocol: g.protocolData,
    members: g.members.map((m) => member(m, consumer)),
    coordinator,
  }
}

/**
 * Members of consumer groups have their subscription and assignment decoded. Bytes that do not
 * decode (a client with a protocol of its own under the "consumer" type) leave them empty
 * rather than failing the whole description.
 */
function member(m: DescribeGroupsResponseDescribedGroupMember, consumer: boolean): GroupMember {
  let assignment: GroupMember['assignment'] = []
  let subscription: string[] = []
  if (consumer) {
    try {
      if (m.memberAssignment.length > 0) assignment = decodeAssignment(m.memberAssignment).partitions
    } catch {
      assignment = []
    }
    try {
      if (m.memberMetadata.length > 0) subscription = decodeSubscription(m.memberMetadata).topics
    } catch {
      subscription = []
    }
  }
  return { memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, clientId: m.clientId, clientHost: m.clientHost, assignment, subscription }
}

export async function deleteGroups(call: Call, groupIds: string[]): Promise<void> {
  const s = await settle<string, true>(call, groupIds, coordinatorRetriable, (pending) =>
    perCoordinator(call, pending, async (conn, groups) => {
      const version = conn.version(ApiKey.DeleteGroups, 2)
      const resp = await conn.request(ApiKey.DeleteGroups, { groupsNames: groups }, call.request(version))
      return new Map(resp.results.map((r) => [r.groupId, brokerError(r.errorCode, `group ${r.groupId}`) ?? (true as const)]))
    }),
  )
  finish(call, groupIds, s, (g) => `group ${g}`)
}
