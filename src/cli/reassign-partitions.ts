/**
 * `samsa reassign-partitions` (kafka-reassign-partitions.sh): moves partition replicas between
 * brokers with Kafka's JSON files and output lines.
 *
 *   --generate --topics-to-move-json-file F --broker-list 1,2,3
 *       F is {"topics": [{"topic": "foo"}], "version": 1}; prints the current assignment and a
 *       proposed one over those brokers (Kafka's rack-aware placement; --disable-rack-aware).
 *   --execute --reassignment-json-file F [--additional]
 *       F is {"version": 1, "partitions": [{"topic": "foo", "partition": 0, "replicas": [1, 2],
 *       "log_dirs": ["any", "any"]}]}; prints the current assignment (to save for a rollback),
 *       then starts the reassignments. Partitions already being reassigned need --additional.
 *   --verify --reassignment-json-file F: completed / still in progress, per partition.
 *   --cancel --reassignment-json-file F: cancels those of F in progress.
 *   --list: every reassignment in progress.
 *
 * The files are checked before anything connects; a problem is a usage error (exit 2) naming
 * it. Refused partitions are listed and the tool exits 1. Left out, as Samsa has neither:
 * replication throttles (--throttle and --replica-alter-log-dirs-throttle are refused;
 * --preserve-throttles is accepted and changes nothing; --verify prints no "Clearing ...
 * throttles" lines) and moves between log dirs ("log_dirs" other than "any" are refused).
 */
import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import type { Admin } from '../client/admin/admin.js'
import { AdminError } from '../client/admin/common.js'
import type { ReassignmentTarget } from '../client/admin/types.js'
import { placeReplicas } from '../metadata/placement.js'
import { commandConfigOptions } from './command-config.js'
import { bootstrapOption, CliError, print, usage, withAdmin } from './common.js'

interface Flags {
  bootstrapServer: string
  commandConfig?: string
  generate?: boolean
  execute?: boolean
  verify?: boolean
  cancel?: boolean
  list?: boolean
  topicsToMoveJsonFile?: string
  brokerList?: string
  reassignmentJsonFile?: string
  additional?: boolean
  disableRackAware?: boolean
  preserveThrottles?: boolean
  throttle?: string
  replicaAlterLogDirsThrottle?: string
  timeout?: string
}

interface Move {
  topic: string
  partition: number
  replicas: number[]
}

const ACTIONS = ['generate', 'execute', 'verify', 'cancel', 'list'] as const
const PLAN_FORMAT = '{"version": 1, "partitions": [{"topic": "foo", "partition": 0, "replicas": [1, 2], "log_dirs": ["any", "any"]}]}'
const TOPICS_FORMAT = '{"topics": [{"topic": "foo"}], "version": 1}'

export function reassignPartitionsCommand(): Command {
  const cmd = new Command('reassign-partitions').description('move partition replicas between brokers (kafka-reassign-partitions.sh)')
  bootstrapOption(cmd)
    .option('--generate', 'propose an assignment of the topics of --topics-to-move-json-file over --broker-list')
    .option('--execute', 'start the reassignment of --reassignment-json-file')
    .option('--verify', 'report whether the reassignment of --reassignment-json-file is done')
    .option('--cancel', 'cancel the reassignments of --reassignment-json-file in progress')
    .option('--list', 'list the reassignments in progress')
    .option('--topics-to-move-json-file <file>', `topics to move (--generate), as ${TOPICS_FORMAT}`)
    .option('--broker-list <ids>', 'brokers to move to (--generate), e.g. 1,2,3')
    .option('--reassignment-json-file <file>', `the reassignment (--execute, --verify, --cancel), as ${PLAN_FORMAT}`)
    .option('--additional', 'with --execute: also when some partitions are being reassigned already (their new target replaces the old)')
    .option('--disable-rack-aware', 'with --generate: ignore racks')
    .option('--preserve-throttles', 'accepted for compatibility; Samsa has no replication throttles')
    .option('--throttle <bytes/s>', 'not supported: Samsa has no replication throttles')
    .option('--replica-alter-log-dirs-throttle <bytes/s>', 'not supported: Samsa does not move replicas between log dirs')
    .option('--timeout <ms>', 'accepted for compatibility (the admin call timeout applies)')
    .option('--command-config <file>', 'admin client properties file (Kafka property names)')
    .action((flags: Flags) => run(flags))
  return cmd
}

function readJson(path: string, flag: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw usage(`${flag}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give the path of the JSON file`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw usage(`${path}: The input string is not a valid JSON`)
  }
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2_147_483_647
}

/** Kafka's reassignment JSON; every problem is a usage error naming the file. */
export function parseReassignmentJson(js: unknown, source: string): Move[] {
  const bad = (what: string) => usage(`${source}: ${what}; the format is ${PLAN_FORMAT}`)
  if (typeof js !== 'object' || js === null || Array.isArray(js)) throw bad('The input string is not a valid JSON object')
  const o = js as Record<string, unknown>
  const version = o.version ?? 1
  if (version !== 1) throw bad(`Not supported version field value ${JSON.stringify(version)}`)
  if (!Array.isArray(o.partitions)) throw bad('Missing partitions field (an array)')
  const out: Move[] = []
  const seen = new Set<string>()
  const dups: string[] = []
  o.partitions.forEach((entry: unknown, i) => {
    const at = `partitions[${i}]`
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw bad(`${at} must be an object`)
    const e = entry as Record<string, unknown>
    if (typeof e.topic !== 'string' || e.topic === '') throw bad(`${at}: topic must be a non-empty string`)
    if (!isId(e.partition)) throw bad(`${at}: partition must be a whole number >= 0`)
    if (!Array.isArray(e.replicas) || !e.replicas.every(isId)) throw bad(`${at}: replicas must be a list of broker ids`)
    const replicas = e.replicas as number[]
    const name = `${e.topic}-${e.partition}`
    if (replicas.length === 0) throw bad(`Partition replica list cannot be empty for ${name}`)
    if (new Set(replicas).size !== replicas.length) throw bad(`Partition replica lists may not contain duplicate entries: ${name} contains ${replicas.join(',')}`)
    if (e.log_dirs !== undefined) {
      if (!Array.isArray(e.log_dirs) || e.log_dirs.length !== replicas.length) throw bad(`Size of replicas list ${replicas.join(',')} is different from size of log dirs list for ${name}`)
      if (e.log_dirs.some((d) => d !== 'any')) throw bad(`${name}: Samsa does not move replicas between log dirs; set every log_dirs entry to "any"`)
    }
    if (seen.has(name)) dups.push(name)
    seen.add(name)
    out.push({ topic: e.topic, partition: e.partition, replicas: [...replicas] })
  })
  if (dups.length > 0) throw bad(`Duplicate reassignment partitions: ${dups.join(',')}`)
  return out
}

/** Kafka's topics-to-move JSON. */
export function parseTopicsToMoveJson(js: unknown, source: string): string[] {
  const bad = (what: string) => usage(`${source}: ${what}; the format is ${TOPICS_FORMAT}`)
  if (typeof js !== 'object' || js === null || Array.isArray(js)) throw bad('The input string is not a valid JSON object')
  const o = js as Record<string, unknown>
  const version = o.version ?? 1
  if (version !== 1) throw bad(`Not supported version field value ${JSON.stringify(version)}`)
  if (!Array.isArray(o.topics)) throw bad('Missing topics field (an array)')
  const topics = o.topics.map((t: unknown, i) => {
    const name = (t as { topic?: unknown } | null)?.topic
    if (typeof name !== 'string' || name === '') throw bad(`topics[${i}]: topic must be a non-empty string`)
    return name
  })
  const dups = topics.filter((t, i) => topics.indexOf(t) !== i)
  if (dups.length > 0) throw bad(`List of topics to reassign contains duplicate entries: ${[...new Set(dups)].join(',')}`)
  return topics
}

function parseBrokerList(raw: string | undefined): number[] {
  if (raw === undefined) throw usage('--generate needs --broker-list, e.g. --broker-list 1,2,3')
  const ids = raw.split(',').map((s) => s.trim())
  if (ids.some((s) => !/^\d+$/.test(s))) throw usage(`--broker-list: ${JSON.stringify(raw)} is not a comma-separated list of broker ids`)
  const out = ids.map(Number)
  if (new Set(out).size !== out.length) throw usage(`--broker-list contains duplicate entries: ${raw}`)
  return out
}

/** Kafka's formatAsReassignmentJson: sorted by topic and partition, log dirs "any". */
export function reassignmentJson(moves: Move[]): string {
  const sorted = [...moves].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
  return JSON.stringify({ version: 1, partitions: sorted.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.replicas, log_dirs: m.replicas.map(() => 'any') })) })
}

function tp(m: { topic: string; partition: number }): string {
  return `${m.topic}-${m.partition}`
}

function byPartition(a: { topic: string; partition: number }, b: { topic: string; partition: number }): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition
}

async function currentAssignment(admin: Admin, topics: string[]): Promise<Map<string, Move>> {
  const described = await admin.describeTopics([...new Set(topics)])
  return new Map(described.flatMap((t) => t.partitions.map((p) => [`${t.name}-${p.partition}`, { topic: t.name, partition: p.partition, replicas: p.replicas }] as const)))
}

export async function run(f: Flags): Promise<void> {
  const chosen = ACTIONS.filter((a) => f[a] === true)
  if (chosen.length !== 1) throw usage(`Command must include exactly one action: ${ACTIONS.map((a) => `--${a}`).join(', ')}`)
  const action = chosen[0]!
  if (f.throttle !== undefined) throw usage('--throttle: Samsa has no replication throttles; run without it')
  if (f.replicaAlterLogDirsThrottle !== undefined) throw usage('--replica-alter-log-dirs-throttle: Samsa does not move replicas between log dirs; run without it')
  if (f.additional && action !== 'execute') throw usage('--additional only goes with --execute')
  // Everything read from files is checked before connecting.
  let moves: Move[] = []
  let topics: string[] = []
  let brokers: number[] = []
  if (action === 'generate') {
    if (f.topicsToMoveJsonFile === undefined) throw usage('--generate needs --topics-to-move-json-file')
    topics = parseTopicsToMoveJson(readJson(f.topicsToMoveJsonFile, '--topics-to-move-json-file'), f.topicsToMoveJsonFile)
    brokers = parseBrokerList(f.brokerList)
  } else if (action !== 'list') {
    if (f.reassignmentJsonFile === undefined) throw usage(`--${action} needs --reassignment-json-file`)
    moves = parseReassignmentJson(readJson(f.reassignmentJsonFile, '--reassignment-json-file'), f.reassignmentJsonFile)
  }
  await withAdmin(
    f.bootstrapServer,
    async (admin) => {
      if (action === 'generate') await generate(admin, topics, brokers, !f.disableRackAware)
      else if (action === 'execute') await execute(admin, moves, f.additional === true)
      else if (action === 'verify') await verify(admin, moves)
      else if (action === 'cancel') await cancel(admin, moves)
      else await list(admin)
    },
    commandConfigOptions(f.commandConfig),
  )
}

async function generate(admin: Admin, topics: string[], brokerIds: number[], rackAware: boolean): Promise<void> {
  const known = new Map((await admin.describeCluster()).brokers.map((b) => [b.nodeId, b]))
  const missing = brokerIds.filter((id) => !known.has(id))
  if (missing.length > 0) throw new CliError(`--broker-list names broker(s) ${missing.join(',')} that the cluster does not have (it has ${[...known.keys()].sort((a, b) => a - b).join(',')})`)
  const described = await admin.describeTopics(topics)
  const current: Move[] = []
  const proposed: Move[] = []
  const brokers = brokerIds.map((id) => ({ nodeId: id, rack: rackAware ? known.get(id)!.rack : null }))
  for (const t of described) {
    const rf = t.partitions[0]?.replicas.length ?? 1
    for (const p of t.partitions) current.push({ topic: t.name, partition: p.partition, replicas: p.replicas })
    let placed: number[][]
    try {
      placed = placeReplicas({ brokers, partitions: t.partitions.length, replicationFactor: rf })
    } catch (e) {
      throw new CliError(`cannot place topic ${t.name} (replication factor ${rf}) on brokers ${brokerIds.join(',')}: ${(e as Error).message}`)
    }
    placed.forEach((replicas, partition) => proposed.push({ topic: t.name, partition, replicas }))
  }
  await print(`Current partition replica assignment\n${reassignmentJson(current)}\n\nProposed partition reassignment configuration\n${reassignmentJson(proposed)}\n`)
}

async function execute(admin: Admin, moves: Move[], additional: boolean): Promise<void> {
  const ongoing = new Set((await admin.listPartitionReassignments()).map(tp))
  if (!additional && moves.some((m) => ongoing.has(tp(m)))) {
    throw new CliError(
      'Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one. The --additional flag can also be used to change the throttle by resubmitting the current reassignment.',
    )
  }
  const current = await currentAssignment(admin, moves.map((m) => m.topic))
  const unknown = moves.filter((m) => !current.has(tp(m)))
  if (unknown.length > 0) throw new CliError(`Unable to find partition(s): ${unknown.map(tp).join(',')}; check the topics and partitions of the reassignment file`)
  await print(`Current partition replica assignment\n\n${reassignmentJson(moves.map((m) => current.get(tp(m))!))}\n\nSave this to use as the --reassignment-json-file option during rollback\n`)
  const targets: ReassignmentTarget[] = moves.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.replicas }))
  await alter(admin, targets, 'reassigning')
  const names = [...moves].sort(byPartition).map(tp)
  await print(`Successfully started partition reassignment${names.length === 1 ? '' : 's'} for ${names.join(',')}\n`)
}

/** Sends the reassignments; refused partitions make the tool fail with Kafka's listing. */
async function alter(admin: Admin, targets: ReassignmentTarget[], doing: string): Promise<void> {
  try {
    await admin.alterPartitionReassignments(targets)
  } catch (e) {
    if (!(e instanceof AdminError)) throw e
    const lines = e.failures
      .map((fl) => ({ item: fl.item as ReassignmentTarget, error: fl.error }))
      .sort((a, b) => byPartition(a.item, b.item))
      .map((fl) => `${tp(fl.item)}: ${fl.error.message.replace(/^partition \S+: /, '')}`)
    throw new CliError(`Error ${doing} partition${lines.length === 1 ? '' : 's'}:\n${lines.join('\n')}`)
  }
}

async function verify(admin: Admin, moves: Move[]): Promise<void> {
  const ongoing = new Set((await admin.listPartitionReassignments()).map(tp))
  const current = await currentAssignment(admin, moves.map((m) => m.topic))
  const lines = ['Status of partition reassignment:']
  for (const m of [...moves].sort(byPartition)) {
    const now = current.get(tp(m))
    if (ongoing.has(tp(m))) lines.push(`Reassignment of partition ${tp(m)} is still in progress.`)
    else if (now && now.replicas.join(',') === m.replicas.join(',')) lines.push(`Reassignment of partition ${tp(m)} is completed.`)
    else lines.push(`There is no active reassignment of partition ${tp(m)}, but replica set is ${now?.replicas.join(',') ?? ''} rather than ${m.replicas.join(',')}.`)
  }
  await print(lines.join('\n') + '\n')
}

async function cancel(admin: Admin, moves: Move[]): Promise<void> {
  const ongoing = new Set((await admin.listPartitionReassignments(moves.map((m) => ({ topic: m.topic, partition: m.partition })))).map(tp))
  const active = moves.filter((m) => ongoing.has(tp(m))).sort(byPartition)
  if (active.length === 0) {
    await print('None of the specified partition reassignments are active.\n')
    return
  }
  await alter(admin, active.map((m) => ({ topic: m.topic, partition: m.partition, replicas: null })), 'cancelling')
  await print(`Successfully cancelled partition reassignment${active.length === 1 ? '' : 's'} for: ${active.map(tp).join(',')}\n`)
}

async function list(admin: Admin): Promise<void> {
  const all = await admin.listPartitionReassignments()
  if (all.length === 0) {
    await print('No partition reassignments found.\n')
    return
  }
  await print(`Current partition reassignments:\n${all.map((r) => `${tp(r)}: replicas: ${r.replicas.join(',')}. adding: ${r.addingReplicas.join(',')}. removing: ${r.removingReplicas.join(',')}.`).join('\n')}\n`)
}
