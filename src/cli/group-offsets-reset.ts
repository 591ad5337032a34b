/**
 * `samsa consumer-groups --reset-offsets`: plans new committed offsets for inactive groups and,
 * with --execute, commits them; --dry-run (the default) only prints the plan. Kafka's rules:
 *
 * - Only a group without members (Empty, or Dead: never seen) is reset; a live group is
 *   refused by name and state, since its consumers would overwrite the reset with their next
 *   commit. (The coordinator refuses an outside commit to a live group too, which covers a
 *   consumer joining between the check and the commit.)
 * - Scope: --topic t (all partitions), --topic t:0,2, repeatable; --all-topics: the partitions
 *   the group has committed offsets for; --from-file takes its partitions from the file.
 * - --to-offset, --shift-by and --from-file are clamped to [earliest, latest] with a warning
 *   per partition; --to-datetime/--by-duration fall back to the latest offset for a partition
 *   with no record that recent; --to-current keeps committed offsets and gives uncommitted
 *   partitions the latest.
 * - --export prints the plan as CSV (topic,partition,offset; group,topic,partition,offset when
 *   not exactly one --group), the format --from-file reads.
 *
 * Planning uses the admin client's ListOffsets/OffsetFetch/OffsetCommit calls directly rather
 * than Admin.resetGroupOffsets, which has no --to-current, --from-file, per-topic partition
 * lists or the clamping warnings Kafka prints.
 */
import { readFileSync } from 'node:fs'
import type { Admin } from '../client/admin/admin.js'
import type { OffsetSpec } from '../client/admin/types.js'
import type { TopicPartition } from '../client/base/types.js'
import { CliError, INT32_MAX, parseNumericFlag, print, usage } from './common.js'
import { line, widthOf } from './printf-table.js'

export type ResetScenario =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'current' }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'shift'; by: bigint }
  | { kind: 'datetime'; timestampMs: number }
  | { kind: 'duration'; durationMs: number }
  | { kind: 'file'; plans: Map<string, PlannedOffset[]> }

export interface PlannedOffset {
  topic: string
  partition: number
  offset: bigint
}

export interface ResetRequest {
  groupIds: string[]
  /** CSV without the group column: exactly one --group was given (Kafka's rule). */
  singleGroup: boolean
  /** --topic values, or undefined with --all-topics / --from-file. */
  topics: string[] | undefined
  allTopics: boolean
  scenario: ResetScenario
  execute: boolean
  exportCsv: boolean
  timeoutMs: number
}

// ---- parsing flags -------------------------------------------------------------------------------

/**
 * --to-datetime: YYYY-MM-DDTHH:mm:SS.sss with an optional zone (Z, +hh, +hhmm, +hh:mm); without
 * a zone, UTC (Kafka's rule). The milliseconds may be left out.
 */
export function parseDateTime(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(s.trim())
  const bad = () => usage(`--to-datetime: cannot read '${s}'; use YYYY-MM-DDTHH:mm:SS.sss with an optional zone, e.g. 2024-05-01T12:00:00.000 (UTC) or 2024-05-01T14:00:00.000+02:00`)
  if (!m) throw bad()
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const ms = Number((m[7] ?? '0').padEnd(3, '0'))
  const local = Date.UTC(y, mo - 1, d, h, mi, sec, ms)
  const check = new Date(local)
  // Non-lenient, as Kafka parses: 2024-02-30 or 25:00 is an error, not a later date.
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || check.getUTCHours() !== h || check.getUTCMinutes() !== mi || check.getUTCSeconds() !== sec) throw bad()
  const zone = m[8] ?? 'Z'
  if (zone === 'Z') return local
  const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!
  const offsetMin = Number(z[2]) * 60 + Number(z[3] ?? '0')
  if (Number(z[2]) > 18 || Number(z[3] ?? '0') > 59) throw bad()
  return local - (z[1] === '-' ? -1 : 1) * offsetMin * 60_000
}

/** --by-duration: an ISO-8601 duration as Java's Duration.parse reads it (PnDTnHnMn.nS, signs allowed). */
export function parseDuration(s: string): number {
  const m = /^([-+]?)P(?:([-+]?\d+)D)?(T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/i.exec(s.trim())
  const bad = () => usage(`--by-duration: cannot read '${s}'; use an ISO-8601 duration PnDTnHnMnS, e.g. PT30M (30 minutes) or P1DT2H (a day and 2 hours)`)
  if (!m) throw bad()
  const [, sign, days, t, hours, minutes, seconds, fraction] = m
  if (days === undefined && t === undefined) throw bad()
  if (t !== undefined && hours === undefined && minutes === undefined && seconds === undefined) throw bad()
  const n = (x: string | undefined) => (x === undefined ? 0 : Number(x))
  let ms = ((n(days) * 24 + n(hours)) * 60 + n(minutes)) * 60_000 + n(seconds) * 1000
  if (fraction) ms += (seconds?.startsWith('-') ? -1 : 1) * Math.trunc(Number(fraction.padEnd(9, '0')) / 1e6)
  return sign === '-' ? -ms : ms
}

/** One CSV line: fields split at commas outside double quotes ("" is a quote inside quotes). */
function csvFields(text: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cur += '"'
        i++
      } else if (c === '"') quoted = false
      else cur += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      out.push(cur)
      cur = ''
    } else cur += c
  }
  out.push(cur)
  return out
}

function csvField(s: string): string {
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

const INT = /^[+-]?\d+$/

/**
 * --from-file: the CSV --export writes. With exactly one --group, lines may leave out the
 * group (topic,partition,offset), which Kafka detects from the first line.
 */
export function parseResetFile(path: string, groupIds: string[], singleGroup: boolean): Map<string, PlannedOffset[]> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw usage(`--from-file: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give the CSV file --export wrote`)
  }
  const lines = text
    .split('\n')
    .map((l, i) => ({ n: i + 1, fields: csvFields(l.replace(/\r$/, '')) }))
    .filter((l) => !(l.fields.length === 1 && l.fields[0]!.trim() === ''))
  const first = lines[0]?.fields
  const noGroup = singleGroup && first !== undefined && first.length === 3 && INT.test(first[1]!.trim()) && INT.test(first[2]!.trim())
  const plans = new Map<string, PlannedOffset[]>()
  for (const { n, fields } of lines) {
    const want = noGroup ? 3 : 4
    const [group, topic, partition, offset] = noGroup ? [groupIds[0]!, ...fields] : fields
    if (fields.length !== want || !INT.test(partition!.trim()) || !INT.test(offset!.trim()) || BigInt(offset!.trim()) < 0n) {
      throw usage(`--from-file: line ${n} of ${path} is not ${noGroup ? 'topic,partition,offset' : 'group,topic,partition,offset'} with whole numbers: '${fields.join(',')}'`)
    }
    const list = plans.get(group!) ?? []
    list.push({ topic: topic!, partition: Number(partition!.trim()), offset: BigInt(offset!.trim()) })
    plans.set(group!, list)
  }
  return plans
}

/** --topic values: `t` (every partition, looked up) or `t:0,1,2`. */
export function parseTopicArg(arg: string): { topic: string; partitions: number[] | null } {
  if (!arg.includes(':')) return { topic: arg, partitions: null }
  const parts = arg.split(':')
  if (parts.length !== 2 || parts[0] === '') throw usage(`Invalid topic arg '${arg}', expected topic name and partitions (topic:0,1,2)`)
  const partitions = parts[1]!.split(',').map((p) => {
    if (!/^\d+$/.test(p.trim())) throw usage(`Invalid partition '${p}' specified in topic arg '${arg}'`)
    return parseNumericFlag('--topic', p, { min: 0, max: INT32_MAX, what: `topic:partitions with partitions from 0 to ${INT32_MAX}`, fix: `fix the partitions in '${arg}'` })
  })
  return { topic: parts[0]!, partitions }
}

// ---- planning ------------------------------------------------------------------------------------

function key(tp: TopicPartition): string {
  return `${tp.partition}:${tp.topic}`
}

function tpName(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`
}

function byTopicPartition<T extends TopicPartition>(a: T, b: T): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition
}

function warn(message: string): void {
  process.stderr.write(`WARN: ${message}\n`)
}

/** The partitions of `topics` (each `t` or `t:0,1`), checked to exist and to have a leader. */
async function scopePartitions(admin: Admin, args: string[], timeoutMs: number): Promise<TopicPartition[]> {
  const parsed = args.map(parseTopicArg)
  return checkPartitions(
    admin,
    parsed.flatMap((p) => (p.partitions ?? [-1]).map((partition) => ({ topic: p.topic, partition }))),
    timeoutMs,
  )
}

/**
 * Expands partition -1 to every partition of its topic and checks the others exist and have
 * a leader (Kafka's "The partitions ... do not exist" / "... have no leader").
 */
async function checkPartitions(admin: Admin, tps: TopicPartition[], timeoutMs: number): Promise<TopicPartition[]> {
  const topics = [...new Set(tps.map((tp) => tp.topic))]
  if (topics.length === 0) return []
  const described = new Map((await admin.describeTopics(topics, { timeoutMs })).map((t) => [t.name, t]))
  const out = new Map<string, TopicPartition>()
  const missing: string[] = []
  const leaderless: string[] = []
  for (const tp of tps) {
    const t = described.get(tp.topic)!
    const ps = tp.partition === -1 ? t.partitions : t.partitions.filter((p) => p.partition === tp.partition)
    if (ps.length === 0) missing.push(tpName(tp))
    for (const p of ps) {
      if (p.leader === null) leaderless.push(tpName({ topic: tp.topic, partition: p.partition }))
      out.set(key({ topic: tp.topic, partition: p.partition }), { topic: tp.topic, partition: p.partition })
    }
  }
  if (missing.length > 0) throw new CliError(`The partitions "${missing.join(',')}" do not exist; samsa topics --describe shows a topic's partitions`)
  if (leaderless.length > 0) throw new CliError(`The partitions "${leaderless.join(',')}" have no leader; wait for the brokers to elect one and try again`)
  return [...out.values()]
}

async function offsetsAt(admin: Admin, tps: TopicPartition[], at: OffsetSpec, timeoutMs: number): Promise<Map<string, bigint>> {
  if (tps.length === 0) return new Map()
  const listed = await admin.listOffsets(tps.map((tp) => ({ ...tp, at })), { timeoutMs })
  return new Map(listed.map((l) => [key(l), l.offset]))
}

/** Kafka's checkOffsetsRange: each requested offset within [earliest, latest], with a warning when moved. */
async function clamped(admin: Admin, wanted: PlannedOffset[], timeoutMs: number): Promise<PlannedOffset[]> {
  const [earliest, latest] = await Promise.all([offsetsAt(admin, wanted, 'earliest', timeoutMs), offsetsAt(admin, wanted, 'latest', timeoutMs)])
  return wanted.map((w) => {
    const hi = latest.get(key(w))!
    const lo = earliest.get(key(w))!
    if (w.offset > hi) {
      warn(`New offset (${w.offset}) is higher than latest offset for topic partition ${tpName(w)}. Value will be set to ${hi}.`)
      return { ...w, offset: hi }
    }
    if (w.offset < lo) {
      warn(`New offset (${w.offset}) is lower than earliest offset for topic partition ${tpName(w)}. Value will be set to ${lo}.`)
      return { ...w, offset: lo }
    }
    return w
  })
}

async function atTime(admin: Admin, tps: TopicPartition[], timestampMs: number, timeoutMs: number): Promise<PlannedOffset[]> {
  // A time before 1970 asks for the first record at or after it: that is the earliest.
  const found = await offsetsAt(admin, tps, Math.max(0, Math.trunc(timestampMs)), timeoutMs)
  const empty = tps.filter((tp) => found.get(key(tp))! < 0n)
  for (const tp of empty) process.stderr.write(`\nWarn: Partition ${tp.partition} from topic ${tp.topic} is empty. Falling back to latest known offset.\n`)
  const latest = await offsetsAt(admin, empty, 'latest', timeoutMs)
  return tps.map((tp) => ({ ...tp, offset: found.get(key(tp))! < 0n ? latest.get(key(tp))! : found.get(key(tp))! }))
}

/** One inactive group's plan. */
async function planGroup(admin: Admin, groupId: string, req: ResetRequest): Promise<PlannedOffset[]> {
  const { scenario: s, timeoutMs } = req
  const committed = new Map((await admin.listGroupOffsets(groupId, { timeoutMs })).map((c) => [key(c), c.offset]))
  let tps: TopicPartition[]
  if (s.kind === 'file') {
    const plan = s.plans.get(groupId)
    if (!plan) throw new CliError(`No reset plan for group ${groupId} found in --from-file`)
    tps = await checkPartitions(admin, plan, timeoutMs)
  } else if (req.allTopics) {
    tps = await checkPartitions(
      admin,
      [...committed.keys()].map((k) => {
        const at = k.indexOf(':')
        return { topic: k.slice(at + 1), partition: Number(k.slice(0, at)) }
      }),
      timeoutMs,
    )
  } else tps = await scopePartitions(admin, req.topics ?? [], timeoutMs)
  tps.sort(byTopicPartition)

  switch (s.kind) {
    case 'earliest':
    case 'latest': {
      const at = await offsetsAt(admin, tps, s.kind, timeoutMs)
      return tps.map((tp) => ({ ...tp, offset: at.get(key(tp))! }))
    }
    case 'current': {
      const latest = await offsetsAt(admin, tps.filter((tp) => !committed.has(key(tp))), 'latest', timeoutMs)
      return tps.map((tp) => ({ ...tp, offset: committed.get(key(tp)) ?? latest.get(key(tp))! }))
    }
    case 'offset':
      return clamped(admin, tps.map((tp) => ({ ...tp, offset: s.offset })), timeoutMs)
    case 'shift': {
      const none = tps.find((tp) => !committed.has(key(tp)))
      if (none) throw new CliError(`Cannot shift offset for partition ${tpName(none)} since there is no current committed offset; use --to-earliest, --to-latest or --to-offset for it`)
      return clamped(admin, tps.map((tp) => ({ ...tp, offset: committed.get(key(tp))! + s.by })), timeoutMs)
    }
    case 'datetime':
      return atTime(admin, tps, s.timestampMs, timeoutMs)
    case 'duration':
      return atTime(admin, tps, Date.now() - s.durationMs, timeoutMs)
    case 'file': {
      const wanted = new Map(s.plans.get(groupId)!.map((p) => [key(p), p]))
      return clamped(admin, tps.map((tp) => wanted.get(key(tp))!), timeoutMs)
    }
  }
}

function planTable(plans: Map<string, PlannedOffset[]>): string {
  const rows = [...plans].flatMap(([g, ps]) => ps.map((p) => ({ g, ...p })))
  const widths = [widthOf(15, [...plans.keys()]), widthOf(15, rows.map((r) => r.topic)), 10]
  const lines = [line(widths, ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET']), ...rows.map((r) => line(widths, [r.g, r.topic, r.partition, r.offset]))]
  return `\n${lines.join('\n')}\n`
}

function planCsv(plans: Map<string, PlannedOffset[]>, singleGroup: boolean): string {
  const rows = [...plans].flatMap(([g, ps]) => ps.map((p) => [...(singleGroup ? [] : [g]), p.topic, String(p.partition), String(p.offset)].map(csvField).join(',') + '\n'))
  // Kafka prints the CSV with println, hence the empty last line.
  return rows.join('') + '\n'
}

export async function resetOffsets(admin: Admin, req: ResetRequest): Promise<void> {
  const ids = [...new Set(req.groupIds)].sort()
  const described = ids.length > 0 ? await admin.describeGroups(ids, { timeoutMs: req.timeoutMs }) : []
  const plans = new Map<string, PlannedOffset[]>()
  const refused: string[] = []
  for (const d of described) {
    if (d.state !== 'Empty' && d.state !== 'Dead') {
      refused.push(`Assignments can only be reset if the group '${d.groupId}' is inactive, but the current state is ${d.state}.`)
      continue
    }
    const plan = await planGroup(admin, d.groupId, req)
    if (req.execute && plan.length > 0) await admin.alterGroupOffsets(d.groupId, plan, { timeoutMs: req.timeoutMs })
    plans.set(d.groupId, plan)
  }
  if (plans.size > 0) await print(req.exportCsv ? planCsv(plans, req.singleGroup) : planTable(plans))
  if (refused.length > 0) throw new CliError(`${refused.join(' ')} Stop the group's consumers first (samsa consumer-groups --describe --group <group> --members lists them).`)
}
