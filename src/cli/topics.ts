/**
 * `samsa topics`, kafka-topics.sh: create, list, describe, alter (add partitions) and delete
 * topics, with Kafka 4's flags, checks and output.
 *
 * Output as Kafka prints it: `Created topic t.`; --list one name per line; --describe a topic
 * line (`Topic: t\tTopicId: ...\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: k=v,...`,
 * configs being those whose source is not the built-in default) and one line per partition
 * (`\tTopic: t\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0\tElr: N/A\tLastKnownElr: N/A`).
 * Elr/LastKnownElr read N/A, as Kafka 4's tool prints them for a broker that describes topics
 * through Metadata rather than DescribeTopicPartitions, which is what Samsa does. --alter and
 * --delete print nothing on success, as Kafka's do.
 *
 * --topic is a regex (see topic-filter.ts) for everything but --create; a filter that matches
 * nothing fails unless --if-exists. Internal topics are listed unless --exclude-internal.
 *
 * A partition being reassigned gets Kafka's `\tAdding Replicas: ..\tRemoving Replicas: ..`
 * columns after Isr, and counts as under-replicated by its target (replicas - removing), as
 * Kafka's tool does; reassignments are read with ListPartitionReassignments (a broker without it:
 * none).
 *
 * Left out: the metric-name collision warning goes to stderr rather than stdout (it is not
 * output a script wants), and
 * --partition-size-limit-per-response has no effect (no DescribeTopicPartitions paging).
 */
import { Command } from 'commander'
import { AdminError } from '../client/admin/common.js'
import type { Admin } from '../client/admin/admin.js'
import type { ConfigEntry, NewTopic, PartitionDescription, PartitionReassignment, TopicDescription } from '../client/admin/types.js'
import { ClientError, KafkaError } from '../client/base/errors.js'
import { commandConfigOptions } from './command-config.js'
import { CliError, INT16_MAX, INT32_MAX, bootstrapOption, collect, intArg, parseNumericFlag, print, usage, withAdmin } from './common.js'
import { hinted, type Hints } from './error-hints.js'
import { TopicFilter } from './topic-filter.js'
import { rejectZookeeper, zookeeperOption } from './zookeeper.js'

interface TopicsFlags {
  bootstrapServer?: string
  commandConfig?: string
  create?: boolean
  list?: boolean
  describe?: boolean
  alter?: boolean
  delete?: boolean
  topic?: string
  topicId?: string
  config?: string[]
  partitions?: number
  replicationFactor?: number
  replicaAssignment?: string
  underReplicatedPartitions?: boolean
  unavailablePartitions?: boolean
  underMinIsrPartitions?: boolean
  atMinIsrPartitions?: boolean
  topicsWithOverrides?: boolean
  ifExists?: boolean
  ifNotExists?: boolean
  excludeInternal?: boolean
  partitionSizeLimitPerResponse?: number
  zookeeper?: string | boolean
}

type Action = 'create' | 'list' | 'describe' | 'alter' | 'delete'
const ACTIONS: Action[] = ['create', 'list', 'describe', 'alter', 'delete']

export function topicsCommand(): Command {
  const cmd = new Command('topics').description('create, list, describe, alter or delete topics (kafka-topics.sh)')
  bootstrapOption(cmd, false)
  cmd
    .option('--command-config <file>', 'admin client properties file (request.timeout.ms, client.id, ...)')
    .option('--create', 'create a topic')
    .option('--list', 'list topic names')
    .option('--describe', 'describe topics: partitions, leaders, replicas, ISR, configs')
    .option('--alter', 'increase the partition count (topic configs: samsa configs --alter)')
    .option('--delete', 'delete topics')
    .option('--topic <topic>', 'the topic; a regex for everything but --create (commas separate alternatives)')
    .option('--topic-id <id>', 'describe the topic with this id instead of by name')
    .option('--config <name=value>', 'a topic config for --create (repeatable)', collect)
    .option('--partitions <n>', 'partition count for --create (default: num.partitions) or the new count for --alter', intArg('--partitions', 1, INT32_MAX, 'give a partition count of at least 1'))
    .option('--replication-factor <n>', 'replication factor for --create (default: default.replication.factor)', intArg('--replication-factor', 1, INT16_MAX, 'give the number of replicas, at most the number of brokers'))
    .option('--replica-assignment <list>', 'manual placement for --create/--alter: partitions separated by commas, replica broker ids by colons (0:1,1:2)')
    .option('--under-replicated-partitions', 'with --describe: only partitions whose ISR is smaller than their replica set')
    .option('--unavailable-partitions', 'with --describe: only partitions without a live leader')
    .option('--under-min-isr-partitions', 'with --describe: only partitions whose ISR is below min.insync.replicas')
    .option('--at-min-isr-partitions', 'with --describe: only partitions whose ISR equals min.insync.replicas')
    .option('--topics-with-overrides', 'with --describe: only topics with configs other than the defaults, without partitions')
    .option('--if-exists', 'with --alter, --delete or --describe: succeed when no topic matches')
    .option('--if-not-exists', 'with --create: succeed when the topic already exists')
    .option('--exclude-internal', 'with --list or --describe: leave out internal topics (__consumer_offsets, ...)')
    .option('--partition-size-limit-per-response <n>', "accepted for Kafka's scripts; no effect (Samsa describes topics in one response)", intArg('--partition-size-limit-per-response', 1))
  zookeeperOption(cmd)
  cmd.addHelpText('after', '\nExample: samsa topics --bootstrap-server localhost:9092 --create --topic orders --partitions 3')
  return cmd.action((flags: TopicsFlags) => run(flags))
}

async function run(f: TopicsFlags): Promise<void> {
  const action = check(f)
  await withAdmin(
    f.bootstrapServer!,
    async (admin) => {
      try {
        if (action === 'create') await create(admin, f)
        else if (action === 'list') await list(admin, f)
        else if (action === 'describe') await describe(admin, f)
        else if (action === 'alter') await alter(admin, f)
        else await remove(admin, f)
      } catch (e) {
        throw hinted(e, HINTS)
      }
    },
    commandConfigOptions(f.commandConfig),
  )
}

const HINTS: Hints = {
  TOPIC_ALREADY_EXISTS: 'add --if-not-exists to accept an existing topic',
  INVALID_REPLICATION_FACTOR: 'give a --replication-factor no larger than the number of brokers',
  INVALID_PARTITIONS: 'give --partitions a count larger than the current one (partitions can be added, never removed)',
  INVALID_CONFIG: 'check the --config names and values (the topic configs are in docs/configuration.md)',
  INVALID_TOPIC_EXCEPTION: "topic names use letters, digits, '.', '_' and '-' (at most 249)",
  TOPIC_DELETION_DISABLED: 'set delete.topic.enable=true on the broker',
}

// ---- flag checks ---------------------------------------------------------------------------------

/** Kafka's rules for which flags go together; returns the action. */
function check(f: TopicsFlags): Action {
  rejectZookeeper(f)
  const actions = ACTIONS.filter((a) => f[a])
  if (actions.length !== 1) {
    throw usage(`Command must include exactly one action: --list, --describe, --create, --alter or --delete${actions.length > 1 ? ` (got --${actions.join(', --')})` : ''}`)
  }
  const action = actions[0]!
  if (!f.bootstrapServer) throw usage('--bootstrap-server must be specified: the broker to connect to, e.g. --bootstrap-server localhost:9092')
  if (action === 'describe' && f.ifExists && f.topic === undefined && f.topicId === undefined) {
    throw usage('--topic or --topic-id is required to describe a topic with --if-exists')
  }
  if (action !== 'list' && action !== 'describe' && f.topic === undefined) throw usage(`--${action} needs --topic`)
  if (action === 'alter') {
    if (f.config) throw usage("--config can't be used with --alter; change topic configs with samsa configs --alter --topic <topic> --add-config name=value")
    if (f.partitions === undefined) throw usage('--alter needs --partitions (the new partition count)')
  }
  const only = (flag: string, given: unknown, allowed: Action[]) => {
    if (given !== undefined && given !== false && !allowed.includes(action)) throw usage(`${flag} can't be used with --${action}; it goes with --${allowed.join(' or --')}`)
  }
  only('--config', f.config, ['create'])
  only('--partitions', f.partitions, ['create', 'alter'])
  only('--replication-factor', f.replicationFactor, ['create'])
  only('--replica-assignment', f.replicaAssignment, ['create', 'alter'])
  only('--topic-id', f.topicId, ['describe'])
  only('--if-exists', f.ifExists, ['alter', 'delete', 'describe'])
  only('--if-not-exists', f.ifNotExists, ['create'])
  only('--exclude-internal', f.excludeInternal, ['list', 'describe'])
  for (const [flag, given] of reportFlags(f)) only(flag, given, ['describe'])
  only('--topics-with-overrides', f.topicsWithOverrides, ['describe'])
  only('--partition-size-limit-per-response', f.partitionSizeLimitPerResponse, ['describe'])
  if (f.topicsWithOverrides) {
    const report = reportFlags(f).find(([, given]) => given)
    if (report) throw usage(`${report[0]} can't be used with --topics-with-overrides`)
  }
  if (action === 'create' && f.replicaAssignment !== undefined) {
    if (f.partitions !== undefined) throw usage("--replica-assignment can't be used with --partitions on --create: the assignment gives the partition count")
    if (f.replicationFactor !== undefined) throw usage("--replica-assignment can't be used with --replication-factor: the assignment gives the replicas")
  }
  // Values are checked here too, so a bad one fails before any connection is tried.
  if (action === 'create') topicConfigs(f.config)
  if (f.replicaAssignment) parseReplicaAssignment(f.replicaAssignment)
  if (f.topic !== undefined && action !== 'create') new TopicFilter(f.topic)
  return action
}

function reportFlags(f: TopicsFlags): Array<[string, boolean | undefined]> {
  return [
    ['--under-replicated-partitions', f.underReplicatedPartitions],
    ['--unavailable-partitions', f.unavailablePartitions],
    ['--under-min-isr-partitions', f.underMinIsrPartitions],
    ['--at-min-isr-partitions', f.atMinIsrPartitions],
  ]
}

/** `--config k=v` entries, Kafka's way: exactly one '=' with a non-empty value, spaces trimmed. */
function topicConfigs(entries: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const entry of entries ?? []) {
    const parts = entry.split(/\s*=\s*/)
    while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop()
    if (parts.length !== 2 || parts[0]!.trim() === '') throw usage(`Invalid topic config '${entry}': all configs to be added must be in the format "key=val"`)
    out[parts[0]!.trim()] = parts[1]!.trim()
  }
  return out
}

/** `0:1,1:2` → replica lists per partition, all of the same length, no broker twice in one. */
export function parseReplicaAssignment(s: string): number[][] {
  const out: number[][] = []
  for (const [i, part] of s.split(',').entries()) {
    const ids = part.split(':').map((x) => {
      const t = x.trim()
      if (!/^-?\d+$/.test(t)) throw usage(`--replica-assignment: '${t}' in partition ${i} is not a broker id; write e.g. 0:1,1:2`)
      return parseNumericFlag('--replica-assignment', t, { min: 0, max: INT32_MAX, what: `broker ids from 0 to ${INT32_MAX} (partition ${i})`, fix: 'write broker ids, e.g. 0:1,1:2' })
    })
    const dupes = [...new Set(ids.filter((id, j) => ids.indexOf(id) !== j))]
    if (dupes.length > 0) throw usage(`Partition replica lists may not contain duplicate entries: ${dupes.join(',')}`)
    if (out.length > 0 && ids.length !== out[0]!.length) throw usage(`Partition ${i} has different replication factor: [${ids.join(', ')}]`)
    out.push(ids)
  }
  return out
}

// ---- actions -------------------------------------------------------------------------------------

async function create(admin: Admin, f: TopicsFlags): Promise<void> {
  const name = f.topic!
  const topic: NewTopic = { topic: name, configs: topicConfigs(f.config) }
  if (f.replicaAssignment !== undefined && f.replicaAssignment !== '') topic.assignments = parseReplicaAssignment(f.replicaAssignment)
  else {
    if (f.partitions !== undefined) topic.numPartitions = f.partitions
    if (f.replicationFactor !== undefined) topic.replicationFactor = f.replicationFactor
  }
  if (/[._]/.test(name)) {
    process.stderr.write("WARNING: topic names that differ only in '.' versus '_' collide in metric names; better use one of the two, not both.\n")
  }
  try {
    await admin.createTopics([topic])
  } catch (e) {
    if (f.ifNotExists && failedOnlyWith(e, 'TOPIC_ALREADY_EXISTS')) return
    throw e
  }
  await print(`Created topic ${name}.\n`)
}

function failedOnlyWith(e: unknown, errorName: string): boolean {
  return e instanceof AdminError && e.failures.every((x) => x.error instanceof KafkaError && x.error.errorName === errorName)
}

/** Topic names, sorted, through the --topic filter; internal ones unless --exclude-internal. */
async function selectTopics(admin: Admin, f: TopicsFlags): Promise<string[]> {
  const exclude = f.excludeInternal ?? false
  const names = await admin.listTopics({ includeInternal: !exclude })
  if (f.topic === undefined) return names
  const filter = new TopicFilter(f.topic)
  return names.filter((n) => filter.allows(n, exclude))
}

/** A --topic that selects nothing is an error unless --if-exists (no --topic never is). */
function ensureSelected(found: unknown[], f: TopicsFlags): void {
  if (f.topic !== undefined && f.topic !== '' && !f.ifExists && found.length === 0) {
    throw new CliError(`Topic '${f.topic}' does not exist as expected; see the topics with samsa topics --list, or add --if-exists`)
  }
}

async function list(admin: Admin, f: TopicsFlags): Promise<void> {
  const names = await selectTopics(admin, f)
  if (names.length > 0) await print(names.map((n) => `${n}\n`).join(''))
}

async function alter(admin: Admin, f: TopicsFlags): Promise<void> {
  const topics = await selectTopics(admin, f)
  ensureSelected(topics, f)
  if (topics.length === 0) return
  const assignment = f.replicaAssignment ? parseReplicaAssignment(f.replicaAssignment) : undefined
  // With an assignment, the entries for partitions that exist already are skipped (Kafka's rule).
  const current = assignment ? new Map((await admin.describeTopics(topics)).map((t) => [t.name, t.partitions.length])) : new Map<string, number>()
  await admin.createPartitions(
    topics.map((topic) => (assignment ? { topic, count: f.partitions!, assignments: assignment.slice(current.get(topic) ?? 0) } : { topic, count: f.partitions! })),
  )
}

async function remove(admin: Admin, f: TopicsFlags): Promise<void> {
  const topics = await selectTopics(admin, f)
  ensureSelected(topics, f)
  if (topics.length > 0) await admin.deleteTopics(topics)
}

async function describe(admin: Admin, f: TopicsFlags): Promise<void> {
  let described: TopicDescription[]
  if (f.topicId !== undefined) {
    const all = await admin.describeTopics(await admin.listTopics({ includeInternal: !f.excludeInternal }))
    described = all.filter((t) => t.topicId === f.topicId)
    if (described.length === 0 && !f.ifExists) throw new CliError(`TopicId '${f.topicId}' does not exist as expected; see the ids with samsa topics --describe`)
  } else {
    const topics = await selectTopics(admin, f)
    ensureSelected(topics, f)
    described = topics.length > 0 ? await admin.describeTopics(topics) : []
  }
  if (described.length === 0) return
  const configs = await admin.describeConfigs(described.map((t) => ({ type: 'topic' as const, name: t.name })))
  const live = new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId))
  const moving = await reassignments(admin, described)
  const report = reportFlags(f).some(([, given]) => given)
  let out = ''
  for (const [i, t] of described.entries()) {
    const entries = configs[i]!.entries
    const overridden = entries.filter((e) => !e.isDefault)
    if (!report && (!f.topicsWithOverrides || overridden.length > 0)) out += topicLine(t, overridden)
    if (f.topicsWithOverrides) continue
    const minIsr = minInsyncReplicas(entries)
    for (const p of t.partitions) {
      const r = moving.get(`${t.name}-${p.partition}`)
      if (!report || reported(f, p, live, minIsr, r)) out += partitionLine(t.name, p, r)
    }
  }
  await print(out)
}

/** Reassignments in progress of the described partitions, by "topic-partition" (none from a broker without the API). */
async function reassignments(admin: Admin, described: TopicDescription[]): Promise<Map<string, PartitionReassignment>> {
  try {
    const list = await admin.listPartitionReassignments(described.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition }))))
    return new Map(list.map((r) => [`${r.topic}-${r.partition}`, r]))
  } catch (e) {
    if (e instanceof ClientError && e.code === 'UNSUPPORTED_VERSION') return new Map()
    throw e
  }
}

function topicLine(t: TopicDescription, overridden: ConfigEntry[]): string {
  const id = t.topicId ? `\tTopicId: ${t.topicId}` : ''
  const rf = t.partitions[0]?.replicas.length ?? 0
  return `Topic: ${t.name}${id}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${overridden.map((e) => `${e.name}=${e.value}`).join(',')}\n`
}

function partitionLine(topic: string, p: PartitionDescription, r: PartitionReassignment | undefined): string {
  const moving = r ? `\tAdding Replicas: ${r.addingReplicas.join(',')}\tRemoving Replicas: ${r.removingReplicas.join(',')}` : ''
  return `\tTopic: ${topic}\tPartition: ${p.partition}\tLeader: ${p.leader ?? 'none'}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}${moving}\tElr: N/A\tLastKnownElr: N/A\n`
}

function minInsyncReplicas(entries: ConfigEntry[]): number {
  const v = Number(entries.find((e) => e.name === 'min.insync.replicas')?.value)
  return Number.isInteger(v) ? v : 1
}

/** Whether a partition is one the --describe report flags ask for. */
function reported(f: TopicsFlags, p: PartitionDescription, live: Set<number>, minIsr: number, r: PartitionReassignment | undefined): boolean {
  // A reassigning partition is measured against its target, as Kafka's getReplicationFactor does.
  const factor = p.replicas.length - (r?.removingReplicas.length ?? 0)
  return (
    (f.underReplicatedPartitions === true && factor > p.isr.length) ||
    (f.unavailablePartitions === true && (p.leader === null || !live.has(p.leader))) ||
    (f.underMinIsrPartitions === true && (p.leader === null || p.isr.length < minIsr)) ||
    (f.atMinIsrPartitions === true && p.isr.length === minIsr)
  )
}
