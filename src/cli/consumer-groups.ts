/**
 * `samsa consumer-groups` (kafka-consumer-groups.sh): list, describe and delete consumer
 * groups, delete their offsets for topics, and reset their offsets. Exactly one action per
 * run, Kafka's flags and checks between them. Describing lives in group-describe.ts,
 * resetting in group-offsets-reset.ts.
 *
 * Where Samsa differs from Kafka's tool: a failure (a group that does not exist, a group that
 * could not be deleted or reset) exits 1 with one line on stderr after printing what did
 * succeed, where Kafka prints "Error: ..." on stdout and exits 0; options that only make sense
 * with another one (--to-earliest without --reset-offsets, --all-topics with --topic) are
 * usage errors rather than silently ignored.
 */
import { Command, Option } from 'commander'
import type { Admin } from '../client/admin/admin.js'
import { AdminError } from '../client/admin/common.js'
import type { GroupListing } from '../client/admin/types.js'
import type { TopicPartition } from '../client/base/types.js'
import { commandConfigOptions } from './command-config.js'
import { bootstrapOption, CliError, collect, intArg, longArg, print, usage, withAdmin } from './common.js'
import { consumerGroupIds, describeGroups } from './group-describe.js'
import { parseDateTime, parseDuration, parseResetFile, parseTopicArg, resetOffsets, type ResetScenario } from './group-offsets-reset.js'
import { line } from './printf-table.js'
import { errorName, rowError } from './row-error.js'

interface Flags {
  bootstrapServer: string
  group?: string[]
  topic?: string[]
  allTopics?: boolean
  list?: boolean
  describe?: boolean
  allGroups?: boolean
  delete?: boolean
  deleteOffsets?: boolean
  resetOffsets?: boolean
  timeout: number
  commandConfig?: string
  dryRun?: boolean
  execute?: boolean
  export?: boolean
  toOffset?: bigint
  fromFile?: string
  toDatetime?: string
  byDuration?: string
  toEarliest?: boolean
  toLatest?: boolean
  toCurrent?: boolean
  shiftBy?: bigint
  members?: boolean
  verbose?: boolean
  offsets?: boolean
  state?: string | true
  type?: string | true
}

export function consumerGroupsCommand(): Command {
  const cmd = new Command('consumer-groups').description(
    'list, describe and delete consumer groups, or reset their offsets (kafka-consumer-groups.sh)',
  )
  bootstrapOption(cmd)
    .option('--list', 'list all consumer groups')
    .option('--describe', 'describe consumer groups and the lag of their partitions (messages not yet consumed)')
    .option('--delete', 'delete consumer groups with their committed offsets (groups without active members only)')
    .option('--delete-offsets', "delete one group's committed offsets for the given --topic(s)")
    .option('--reset-offsets', 'reset the committed offsets of inactive groups: plan with --dry-run (the default), apply with --execute')
    .option('--group <group>', 'the consumer group to act on (repeatable)', collect)
    .option('--all-groups', 'act on every consumer group')
    .option('--topic <topic>', 'a topic, or topic:0,1,2 for some of its partitions (repeatable; with --reset-offsets and --delete-offsets)', collect)
    .option('--all-topics', 'with --reset-offsets: every topic the group has committed offsets for')
    .option('--members', 'with --describe: the group members')
    .option('--offsets', 'with --describe: partitions, offsets and lag (the default view)')
    .option('--state [states]', 'with --describe: the group state; with --list: show states, or only groups in these comma-separated states')
    .option('--type [types]', 'with --list: show group types, or only groups of these comma-separated types (classic, consumer)')
    .option('--verbose', 'with --describe: more columns')
    .option('--to-earliest', 'reset to the earliest offset')
    .option('--to-latest', 'reset to the latest offset')
    .option('--to-current', 'reset to the committed offset (the latest where there is none)')
    .option('--to-offset <offset>', 'reset to this offset (kept within the log)', longArg('--to-offset', 0n))
    .option('--shift-by <n>', 'move the committed offset by n (negative: back)', longArg('--shift-by'))
    .option('--to-datetime <datetime>', 'reset to the first offset at or after YYYY-MM-DDTHH:mm:SS.sss[zone] (no zone: UTC)')
    .option('--by-duration <duration>', 'reset to the first offset at or after now minus PnDTnHnMnS')
    .option('--from-file <csv>', 'reset to the offsets of a CSV file (what --export writes)')
    .option('--dry-run', 'with --reset-offsets: only show the plan (the default)')
    .option('--execute', 'with --reset-offsets: commit the new offsets')
    .option('--export', 'with --reset-offsets: print the plan as CSV, for --from-file')
    .addOption(new Option('--timeout <ms>', 'how long each request may take, retries included').argParser(intArg('--timeout', 1)).default(5000))
    .option('--command-config <file>', 'admin client properties file (Kafka property names)')
    .addHelpText(
      'after',
      '\nExamples:\n  samsa consumer-groups --bootstrap-server localhost:9092 --list --state stable,empty\n' +
        '  samsa consumer-groups --bootstrap-server localhost:9092 --describe --group g1 --members --verbose\n' +
        '  samsa consumer-groups --bootstrap-server localhost:9092 --reset-offsets --group g1 --topic t1:0,1 --to-earliest --execute',
    )
    .action((flags: Flags) => run(flags))
  return cmd
}

const ACTIONS = ['list', 'describe', 'delete', 'resetOffsets', 'deleteOffsets'] as const
const SCENARIOS = ['toDatetime', 'byDuration', 'toEarliest', 'toLatest', 'shiftBy', 'fromFile', 'toCurrent', 'toOffset'] as const

function flag(name: string): string {
  return '--' + name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())
}

/** Kafka's checks between options, before anything connects. */
function check(f: Flags): void {
  const has = (k: keyof Flags) => f[k] !== undefined && f[k] !== false
  const actions = ACTIONS.filter(has)
  if (actions.length !== 1) throw usage(`Command must include exactly one action: ${ACTIONS.map(flag).join(', ')}`)
  const action = actions[0]!
  const only = (names: Array<keyof Flags>, allowed: Array<(typeof ACTIONS)[number]>) => {
    for (const n of names) {
      if (has(n) && !allowed.includes(action)) throw usage(`Option ${flag(n)} is only available with ${allowed.map(flag).join(' or ')}`)
    }
  }
  only(['members', 'verbose', 'offsets'], ['describe'])
  only(['state'], ['describe', 'list'])
  only(['type'], ['list'])
  only(['allTopics', 'dryRun', 'execute', 'export', ...SCENARIOS], ['resetOffsets'])
  only(['topic'], ['delete', 'resetOffsets', 'deleteOffsets'])
  only(['group', 'allGroups'], ['describe', 'delete', 'resetOffsets', 'deleteOffsets'])
  if (has('group') && has('allGroups')) throw usage('Option --group can\'t be used with option --all-groups')
  const scope = () => {
    if (!has('group') && !has('allGroups')) throw usage(`Option ${flag(action)} takes one of these options: --all-groups, --group`)
  }
  switch (action) {
    case 'describe': {
      scope()
      const views = (['members', 'offsets', 'state'] as const).filter(has)
      if (views.length > 1) throw usage('Option --describe takes at most one of these options: --members, --offsets, --state')
      if (typeof f.state === 'string') throw usage('Option --describe does not take a value for --state')
      break
    }
    case 'delete':
      scope()
      if (has('topic')) throw usage('The consumer does not support topic-specific offset deletion from a consumer group; use --delete-offsets --group <group> --topic <topic>')
      break
    case 'deleteOffsets':
      if (!has('group') || !has('topic')) throw usage('Option --delete-offsets takes the following options: --group, --topic')
      if (f.group!.length > 1) throw usage('Option --delete-offsets acts on one group at a time; give --group once')
      break
    case 'resetOffsets': {
      if (has('dryRun') && has('execute')) throw usage('Option --reset-offsets only accepts one of --execute and --dry-run')
      scope()
      const scenarios = SCENARIOS.filter(has)
      if (scenarios.length === 0) throw usage(`Option --reset-offsets requires one of the following scenarios: ${SCENARIOS.map(flag).join(', ')}`)
      if (scenarios.length > 1) throw usage(`Option ${flag(scenarios[0]!)} can't be used with option ${flag(scenarios[1]!)}`)
      if (has('allTopics') && has('topic')) throw usage("Option --all-topics can't be used with option --topic; give one scope")
      if (!has('allTopics') && !has('topic') && !has('fromFile')) throw usage('One of the reset scopes should be defined: --all-topics, --topic.')
      break
    }
  }
}

export async function run(f: Flags): Promise<void> {
  check(f)
  const timeoutMs = f.timeout
  // Parse what can be wrong in the flags' values before connecting.
  let scenario: ResetScenario | undefined
  if (f.resetOffsets) {
    scenario = resetScenario(f)
    for (const t of f.topic ?? []) parseTopicArg(t)
    if (!f.execute && !f.dryRun) {
      process.stderr.write('WARN: No action will be performed as the --execute option is missing. Add --dry-run to keep this behaviour explicitly, or --execute to commit the new offsets.\n')
    }
  }
  if (f.deleteOffsets) for (const t of f.topic ?? []) parseTopicArg(t)
  const listStates = f.list && typeof f.state === 'string' && f.state !== '' ? parseStates(f.state) : []
  const listTypes = f.list && typeof f.type === 'string' && f.type !== '' ? parseTypes(f.type) : []

  await withAdmin(
    f.bootstrapServer,
    async (admin) => {
      const groups = async () => (f.allGroups ? consumerGroupIds(admin, timeoutMs) : (f.group ?? []))
      if (f.list) await list(admin, f, listStates, listTypes, timeoutMs)
      else if (f.describe) await describeGroups(admin, await groups(), f.members ? 'members' : f.state ? 'state' : 'offsets', f.verbose ?? false, timeoutMs)
      else if (f.delete) await deleteGroups(admin, await groups(), timeoutMs)
      else if (f.deleteOffsets) await deleteOffsets(admin, f.group![0]!, f.topic!, timeoutMs)
      else {
        await resetOffsets(admin, {
          groupIds: await groups(),
          singleGroup: (f.group ?? []).length === 1,
          topics: f.topic,
          allTopics: f.allTopics ?? false,
          scenario: scenario!,
          execute: f.execute ?? false,
          exportCsv: f.export ?? false,
          timeoutMs,
        })
      }
    },
    commandConfigOptions(f.commandConfig),
  )
}

function resetScenario(f: Flags): ResetScenario {
  if (f.toEarliest) return { kind: 'earliest' }
  if (f.toLatest) return { kind: 'latest' }
  if (f.toCurrent) return { kind: 'current' }
  if (f.toOffset !== undefined) return { kind: 'offset', offset: f.toOffset }
  if (f.shiftBy !== undefined) return { kind: 'shift', by: f.shiftBy }
  if (f.toDatetime !== undefined) return { kind: 'datetime', timestampMs: parseDateTime(f.toDatetime) }
  if (f.byDuration !== undefined) return { kind: 'duration', durationMs: parseDuration(f.byDuration) }
  return { kind: 'file', plans: parseResetFile(f.fromFile!, f.group ?? [], (f.group ?? []).length === 1) }
}

// ---- --list --------------------------------------------------------------------------------------

/** The states a consumer group can be in (classic and KIP-848), as Kafka names them. */
const STATES = ['PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead', 'Empty', 'Assigning', 'Reconciling']
const TYPES = ['Classic', 'Consumer']

function parseStates(input: string): string[] {
  const byUpper = new Map(STATES.map((s) => [s.toUpperCase(), s]))
  const parsed = input.split(',').map((s) => byUpper.get(s.trim().toUpperCase()))
  if (parsed.some((s) => s === undefined)) throw usage(`Invalid state list '${input}'. Valid states are: ${STATES.join(', ')}`)
  return [...new Set(parsed as string[])]
}

function parseTypes(input: string): string[] {
  const parsed = input.split(',').map((s) => s.trim().toLowerCase())
  if (parsed.some((t) => !TYPES.some((x) => x.toLowerCase() === t))) throw usage(`Invalid types list '${input}'. Valid types are: ${TYPES.join(', ')}`)
  return [...new Set(parsed)]
}

function typeName(t: string | null): string {
  return TYPES.find((x) => x.toLowerCase() === t?.toLowerCase()) ?? (t ? t[0]!.toUpperCase() + t.slice(1) : 'Unknown')
}

async function list(admin: Admin, f: Flags, states: string[], types: string[], timeoutMs: number): Promise<void> {
  const withState = f.state !== undefined
  const withType = f.type !== undefined
  if (!withState && !withType) {
    const ids = await consumerGroupIds(admin, timeoutMs)
    await print(ids.map((id) => `${id}\n`).join(''))
    return
  }
  const listed: GroupListing[] = (await admin.listGroups({ states, types, timeoutMs })).filter((g) => g.protocolType === 'consumer' || g.protocolType === '')
  // Kafka: the group column is 10 wider than the longest id (at least 15).
  const widths = [Math.max(15, ...listed.map((g) => g.groupId.length)) + 10, ...(withType && withState ? [20] : [])]
  const header = ['GROUP', ...(withType ? ['TYPE'] : []), ...(withState ? ['STATE'] : [])]
  const rows = listed.map((g) => line(widths, [g.groupId, ...(withType ? [typeName(g.type)] : []), ...(withState ? [g.state ?? 'Unknown'] : [])]))
  await print([line(widths, header), ...rows].map((l) => `${l}\n`).join(''))
}

// ---- --delete ------------------------------------------------------------------------------------

async function deleteGroups(admin: Admin, groupIds: string[], timeoutMs: number): Promise<void> {
  const ids = [...new Set(groupIds)]
  const failed = new Map<string, Error>()
  try {
    if (ids.length > 0) await admin.deleteGroups(ids, { timeoutMs })
  } catch (e) {
    if (!(e instanceof AdminError)) throw e
    for (const f of e.failures) failed.set(f.item as string, f.error)
  }
  const deleted = ids.filter((id) => !failed.has(id))
  const quoted = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ')
  if (failed.size === 0) {
    await print(`Deletion of requested consumer groups (${quoted(deleted)}) was successful.\n`)
    return
  }
  let out = '\nError: Deletion of some consumer groups failed:\n'
  for (const [g, e] of failed) out += `* Group '${g}' could not be deleted due to: ${rowError(e)}\n`
  if (deleted.length > 0) out += `\nThese consumer groups were deleted successfully: ${quoted(deleted)}\n`
  await print(out)
  const why = [...failed].map(([g, e]) => {
    const name = errorName(e)
    if (name === 'NON_EMPTY_GROUP') return `group '${g}' has active members (NON_EMPTY_GROUP); stop its consumers and try again`
    if (name === 'GROUP_ID_NOT_FOUND') return `group '${g}' does not exist (GROUP_ID_NOT_FOUND); samsa consumer-groups --list shows the groups`
    return `group '${g}': ${rowError(e)}`
  })
  throw new CliError(`could not delete ${failed.size} of ${ids.length} group(s): ${why.join('; ')}`)
}

// ---- --delete-offsets ----------------------------------------------------------------------------

const GROUP_LEVEL = new Set(['INVALID_GROUP_ID', 'GROUP_ID_NOT_FOUND', 'GROUP_AUTHORIZATION_FAILED', 'NON_EMPTY_GROUP'])

async function deleteOffsets(admin: Admin, groupId: string, topicArgs: string[], timeoutMs: number): Promise<void> {
  const parsed = topicArgs.map(parseTopicArg)
  const results = new Map<string, { topic: string; partition: number | null; error: Error | null }>()
  const tps: TopicPartition[] = parsed.flatMap((p) => (p.partitions ?? []).map((partition) => ({ topic: p.topic, partition })))
  const whole = [...new Set(parsed.filter((p) => p.partitions === null).map((p) => p.topic))]
  if (whole.length > 0) {
    try {
      for (const t of await admin.describeTopics(whole, { timeoutMs })) for (const p of t.partitions) tps.push({ topic: t.name, partition: p.partition })
    } catch (e) {
      if (!(e instanceof AdminError)) throw e
      for (const t of e.results as Array<{ name: string; partitions: Array<{ partition: number }> }>) for (const p of t.partitions) tps.push({ topic: t.name, partition: p.partition })
      for (const fl of e.failures) results.set(`${fl.item as string}`, { topic: fl.item as string, partition: null, error: fl.error })
    }
  }
  const unique = [...new Map(tps.map((tp) => [`${tp.topic}${tp.partition}`, tp])).values()]
  let topLevel: Error | null = null
  try {
    if (unique.length > 0) await admin.deleteGroupOffsets(groupId, unique, { timeoutMs })
    for (const tp of unique) results.set(`${tp.topic}${tp.partition}`, { ...tp, error: null })
  } catch (e) {
    if (e instanceof AdminError) {
      const failedAt = new Map(e.failures.map((fl) => [`${(fl.item as TopicPartition).topic}${(fl.item as TopicPartition).partition}`, fl.error]))
      for (const tp of unique) results.set(`${tp.topic}${tp.partition}`, { ...tp, error: failedAt.get(`${tp.topic}${tp.partition}`) ?? null })
      topLevel = e.failures[0]?.error ?? null
    } else if (errorName(e) !== undefined) {
      // A group-level answer (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP) is every partition's.
      topLevel = e as Error
      for (const tp of unique) results.set(`${tp.topic}${tp.partition}`, { ...tp, error: e as Error })
    } else throw e
  }
  if (topLevel === null && [...results.values()].some((r) => r.error !== null)) topLevel = [...results.values()].find((r) => r.error)!.error
  let out = ''
  if (topLevel === null) out += `Request succeeded for deleting offsets from group ${groupId}.\n`
  else if (GROUP_LEVEL.has(errorName(topLevel) ?? '')) out += `\nError: ${rowError(topLevel)}\n`
  else out += '\nError: Encountered some partition-level error, see the follow-up details.\n'
  const rows = [...results].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r)
  const widths = [Math.max(15, ...rows.map((r) => r.topic.length)), 10]
  out += `\n${line(widths, ['TOPIC', 'PARTITION', 'STATUS'])}\n`
  for (const r of rows) out += `${line(widths, [r.topic, r.partition, r.error ? `Error: ${rowError(r.error)}` : 'Successful'])}\n`
  await print(out)
  if (topLevel !== null) {
    const name = errorName(topLevel)
    const hint =
      name === 'GROUP_SUBSCRIBED_TO_TOPIC'
        ? '; the group still consumes the topic: stop its consumers (or unsubscribe them) first'
        : name === 'GROUP_ID_NOT_FOUND'
          ? '; samsa consumer-groups --list shows the groups'
          : ''
    throw new CliError(`could not delete all offsets of group ${groupId}: ${rowError(topLevel).replace(/\.$/, '')}${hint}`)
  }
}
