/**
 * `samsa consumer-groups --describe`: the three views of kafka-consumer-groups.sh, with its
 * columns, minimum widths, row order and state messages.
 *
 * - --offsets (the default): one row per partition the group owns or has committed to.
 *   Members with partitions come first, the member with most partitions first, each member's
 *   partitions sorted; then committed partitions no member owns, with "-" for the consumer.
 *   A group without members still shows its committed offsets and their lag (Kafka's
 *   "has no active members" line goes to stderr), which is what people look for after their
 *   consumers stopped.
 * - --members: one row per member (GROUP-INSTANCE-ID only when some member is static).
 * - --state: coordinator, assignor, state, member count.
 *
 * Each group's table opens with a blank line, as Kafka prints them. A group that does not
 * exist (Dead, no offsets) is reported after the others, and the tool exits 1.
 */
import type { Admin } from '../client/admin/admin.js'
import { AdminError } from '../client/admin/common.js'
import type { CommittedOffset, GroupDescription, ListedOffset } from '../client/admin/types.js'
import type { TopicPartition } from '../client/base/types.js'
import { CliError, print } from './common.js'
import { line, widthOf, type Cell } from './printf-table.js'
import { rowError } from './row-error.js'

export type DescribeView = 'offsets' | 'members' | 'state'

const REBALANCING = new Set(['PreparingRebalance', 'CompletingRebalance', 'Assigning', 'Reconciling'])

/** Group ids of consumer groups (protocol "consumer", or "" for groups that only commit offsets). */
export async function consumerGroupIds(admin: Admin, timeoutMs: number): Promise<string[]> {
  const listed = await admin.listGroups({ timeoutMs })
  return listed.filter((g) => g.protocolType === 'consumer' || g.protocolType === '').map((g) => g.groupId)
}

/** Descriptions by group id; a group the call failed for maps to its error. */
async function describeEach(admin: Admin, groupIds: string[], timeoutMs: number): Promise<Map<string, GroupDescription | Error>> {
  const out = new Map<string, GroupDescription | Error>()
  try {
    for (const d of await admin.describeGroups(groupIds, { timeoutMs })) out.set(d.groupId, d)
  } catch (e) {
    if (!(e instanceof AdminError)) throw e
    for (const d of e.results as GroupDescription[]) out.set(d.groupId, d)
    for (const f of e.failures) out.set(f.item as string, f.error)
  }
  return out
}

function tpKey(tp: TopicPartition): string {
  return `${tp.partition}:${tp.topic}`
}

function byTopicPartition<T extends TopicPartition>(a: T, b: T): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition
}

/** Log end offsets; a partition the call failed for (deleted topic, no leader) is left out, shown as "-". */
async function logEndOffsets(admin: Admin, tps: TopicPartition[], timeoutMs: number): Promise<Map<string, bigint>> {
  if (tps.length === 0) return new Map()
  let listed: ListedOffset[]
  try {
    listed = await admin.listOffsets(tps.map((tp) => ({ ...tp, at: 'latest' as const })), { timeoutMs })
  } catch (e) {
    if (!(e instanceof AdminError)) throw e
    listed = e.results as ListedOffset[]
  }
  return new Map(listed.map((l) => [tpKey(l), l.offset]))
}

interface OffsetRow {
  topic: string
  partition: number
  leaderEpoch: number | null
  offset: bigint | null
  logEnd: bigint | null
  consumerId: string
  host: string
  clientId: string
}

/** Kafka's rows for one group, before log end offsets are known. */
function offsetRows(d: GroupDescription, committed: CommittedOffset[]): OffsetRow[] {
  const done = new Map(committed.map((c) => [tpKey(c), c]))
  const row = (tp: TopicPartition, consumerId: string, host: string, clientId: string): OffsetRow => {
    const c = done.get(tpKey(tp))
    return { topic: tp.topic, partition: tp.partition, leaderEpoch: c?.leaderEpoch ?? null, offset: c?.offset ?? null, logEnd: null, consumerId, host, clientId }
  }
  const rows: OffsetRow[] = []
  const owned = new Set<string>()
  // Array.prototype.sort is stable: members with as many partitions keep the coordinator's order.
  const members = d.members.filter((m) => m.assignment.length > 0).sort((a, b) => b.assignment.length - a.assignment.length)
  for (const m of members) {
    for (const tp of [...m.assignment].sort(byTopicPartition)) {
      owned.add(tpKey(tp))
      rows.push(row(tp, m.memberId, m.clientHost, m.clientId))
    }
  }
  for (const c of [...committed].sort(byTopicPartition)) if (!owned.has(tpKey(c))) rows.push(row(c, '-', '-', '-'))
  return rows
}

function offsetsTable(groupId: string, rows: OffsetRow[], verbose: boolean): string {
  const g = widthOf(15, [groupId])
  const t = widthOf(15, rows.map((r) => r.topic))
  const c = widthOf(15, rows.map((r) => r.consumerId))
  const h = widthOf(15, rows.map((r) => r.host))
  const lag = (r: OffsetRow): Cell => (r.offset !== null && r.logEnd !== null ? r.logEnd - r.offset : null)
  const widths = verbose ? [g, t, 10, 15, 15, 15, 15, c, h] : [g, t, 10, 15, 15, 15, c, h]
  const header = ['GROUP', 'TOPIC', 'PARTITION', ...(verbose ? ['LEADER-EPOCH'] : []), 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']
  const lines = [line(widths, header)]
  for (const r of rows) {
    lines.push(line(widths, [groupId, r.topic, r.partition, ...(verbose ? [r.leaderEpoch] : []), r.offset, r.logEnd, lag(r), r.consumerId, r.host, r.clientId]))
  }
  return `\n${lines.join('\n')}\n`
}

/** "t:0,1;u:2": a member's partitions by topic, as Kafka's --members --verbose prints them. */
function assignmentText(tps: TopicPartition[]): string {
  if (tps.length === 0) return '-'
  const byTopic = new Map<string, number[]>()
  for (const tp of tps) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition])
  return [...byTopic]
    .map(([topic, ps]) => `${topic}:${ps.sort((a, b) => a - b).join(',')}`)
    .sort()
    .join(';')
}

function membersTable(d: GroupDescription, verbose: boolean): string {
  const ms = d.members
  const withInstance = ms.some((m) => m.groupInstanceId !== null && m.groupInstanceId !== '')
  const assignments = ms.map((m) => assignmentText(m.assignment))
  const widths = [
    widthOf(15, [d.groupId]),
    widthOf(15, ms.map((m) => m.memberId)),
    ...(withInstance ? [widthOf(17, ms.map((m) => m.groupInstanceId ?? ''))] : []),
    widthOf(15, ms.map((m) => m.clientHost)),
    widthOf(15, ms.map((m) => m.clientId)),
    15,
    ...(verbose ? [15, widthOf(20, assignments), 15, 20] : []),
  ]
  const header = ['GROUP', 'CONSUMER-ID', ...(withInstance ? ['GROUP-INSTANCE-ID'] : []), 'HOST', 'CLIENT-ID', '#PARTITIONS']
  // Classic groups have no member epochs and no target assignment (KIP-848 consumer groups do).
  if (verbose) header.push('CURRENT-EPOCH', 'CURRENT-ASSIGNMENT', 'TARGET-EPOCH', 'TARGET-ASSIGNMENT')
  const lines = [line(widths, header)]
  ms.forEach((m, i) => {
    const cells: Cell[] = [d.groupId, m.memberId, ...(withInstance ? [m.groupInstanceId ?? ''] : []), m.clientHost, m.clientId, m.assignment.length]
    if (verbose) cells.push(null, assignments[i]!, null, null)
    lines.push(line(widths, cells))
  })
  return `\n${lines.join('\n')}\n`
}

function stateTable(d: GroupDescription, coordinator: string, verbose: boolean): string {
  const widths = [widthOf(15, [d.groupId]), widthOf(25, [coordinator]), 20, 20, ...(verbose ? [15, 25] : [])]
  const header = ['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', ...(verbose ? ['GROUP-EPOCH', 'TARGET-ASSIGNMENT-EPOCH'] : []), '#MEMBERS']
  const cells: Cell[] = [d.groupId, coordinator, d.protocol === '' ? null : d.protocol, d.state, ...(verbose ? [null, null] : []), d.members.length]
  return `\n${line(widths, header)}\n${line(widths, cells)}\n`
}

/** Kafka's note about the group's state on stderr; false when there is no group to show. */
function noteState(d: GroupDescription): boolean {
  if (d.state === 'Dead') return false
  if (d.state === 'Empty') process.stderr.write(`\nConsumer group '${d.groupId}' has no active members.\n`)
  else if (REBALANCING.has(d.state)) process.stderr.write(`\nWarning: Consumer group '${d.groupId}' is rebalancing.\n`)
  return true
}

async function coordinatorNames(admin: Admin, timeoutMs: number): Promise<Map<number, string>> {
  const cluster = await admin.describeCluster({ timeoutMs })
  return new Map(cluster.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}  (${b.nodeId})`]))
}

export async function describeGroups(admin: Admin, groupIds: string[], view: DescribeView, verbose: boolean, timeoutMs: number): Promise<void> {
  const ids = [...new Set(groupIds)].sort()
  if (ids.length === 0) return
  const described = await describeEach(admin, ids, timeoutMs)
  const missing: string[] = []
  const failed: string[] = []
  const live = ids.flatMap((id) => {
    const d = described.get(id)
    if (d instanceof Error || d === undefined) {
      failed.push(`group '${id}': ${d ? rowError(d) : 'no answer from its coordinator'}`)
      return []
    }
    if (d.state === 'Dead') {
      missing.push(id)
      return []
    }
    return [d]
  })

  if (view === 'offsets') {
    const committed = new Map<string, CommittedOffset[]>()
    await Promise.all(
      live.map(async (d) => {
        try {
          committed.set(d.groupId, await admin.listGroupOffsets(d.groupId, { timeoutMs }))
        } catch (e) {
          failed.push(`group '${d.groupId}': committed offsets: ${rowError(e)}`)
        }
      }),
    )
    const rows = new Map(live.filter((d) => committed.has(d.groupId)).map((d) => [d.groupId, offsetRows(d, committed.get(d.groupId)!)]))
    const all = [...new Map([...rows.values()].flat().map((r) => [tpKey(r), { topic: r.topic, partition: r.partition }])).values()]
    const ends = await logEndOffsets(admin, all, timeoutMs)
    for (const d of live) {
      const rs = rows.get(d.groupId)
      if (!rs) continue
      for (const r of rs) r.logEnd = ends.get(tpKey(r)) ?? null
      if (noteState(d) && rs.length > 0) await print(offsetsTable(d.groupId, rs, verbose))
    }
  } else if (view === 'members') {
    for (const d of live) if (noteState(d)) await print(membersTable(d, verbose))
  } else {
    const names = await coordinatorNames(admin, timeoutMs)
    for (const d of live) if (noteState(d)) await print(stateTable(d, names.get(d.coordinator) ?? `-  (${d.coordinator})`, verbose))
  }

  const problems = [...missing.map((id) => `Consumer group '${id}' does not exist.`), ...failed]
  if (problems.length > 0) {
    const hint = missing.length > 0 ? ' (samsa consumer-groups --list shows the groups)' : ''
    throw new CliError(`${problems.join(' ')}${hint}`)
  }
}
