/**
 * `samsa get-offsets` (kafka-get-offsets.sh, Kafka's GetOffsetShell): one `topic:partition:offset`
 * line per partition matched, sorted as Kafka sorts them (by the text "topic-partition", so
 * t-10 comes before t-2).
 *
 * Selection, as Kafka: --topic is a regular expression matched against the whole name (commas
 * mean "or"), --partitions a list of ids; or --topic-partitions with rules `regex:N`,
 * `regex:N-M` (M exclusive), `regex:N-`, `regex:-M`, `:N` (any topic). Internal topics are
 * included unless --exclude-internal-topics.
 *
 * --time: -1/latest (the default), -2/earliest, -3/max-timestamp (the offset of the record with
 * the largest timestamp), or a timestamp in ms (the first offset whose record is at least
 * that recent). A partition with no answer (no record that recent) prints nothing; a partition
 * that fails is skipped with a line on stderr, as Kafka does.
 *
 * Not supported: -4/earliest-local, -5/latest-tiered, -6/earliest-pending-upload, which only
 * mean something with tiered storage.
 */
import { Command } from 'commander'
import type { Admin } from '../client/admin/admin.js'
import { AdminError } from '../client/admin/common.js'
import type { ListedOffset, OffsetSpec } from '../client/admin/types.js'
import type { TopicPartition } from '../client/base/types.js'
import { commandConfigOptions } from './command-config.js'
import { bootstrapOption, CliError, INT32_MAX, parseNumericFlag, print, SAFE_MAX, usage, withAdmin } from './common.js'
import { rowError } from './row-error.js'

interface Flags {
  bootstrapServer: string
  topic?: string
  partitions?: string
  topicPartitions?: string
  time: string
  commandConfig?: string
  excludeInternalTopics?: boolean
}

export function getOffsetsCommand(): Command {
  const cmd = new Command('get-offsets').description("print partitions' offsets as topic:partition:offset (kafka-get-offsets.sh)")
  bootstrapOption(cmd)
    .option('--topic <regex>', 'topics to get offsets for: a regular expression matching the whole name (default: every topic)')
    .option('--partitions <ids>', 'comma-separated partition ids (default: every partition)')
    .option('--topic-partitions <rules>', 'comma-separated topic-partition rules instead of --topic/--partitions: t1:1, t2:0-3 (3 exclusive), t3, t4:5-, t5:-3, :0')
    .option('--time <time>', '-1 or latest, -2 or earliest, -3 or max-timestamp, or a timestamp in ms (the first offset at or after it)', 'latest')
    .option('--exclude-internal-topics', 'leave out internal topics such as __consumer_offsets')
    .option('--command-config <file>', 'admin client properties file (Kafka property names)')
    .action((flags: Flags) => run(flags))
  return cmd
}

/** A topic pattern as Kafka's tools take it: commas are alternatives, spaces and quotes dropped. */
export function topicPattern(raw: string): RegExp {
  const regex = raw.trim().replace(/,/g, '|').replace(/ /g, '').replace(/^["']+/, '').replace(/["']+$/, '')
  try {
    return new RegExp(`^(?:${regex})$`)
  } catch {
    throw usage(`${regex} is an invalid regex; give a regular expression for the topic names (e.g. 'orders.*')`)
  }
}

interface Rule {
  topic: RegExp
  allows(partition: number): boolean
}

const RULE = /^([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?$/

export function parseRules(spec: string): Rule[] {
  return spec.split(',').map((r) => {
    const m = RULE.exec(r)
    if (!m) throw usage(`Invalid rule specification: ${r}; rules look like topic:1, topic:0-3, topic:5-, topic:-3 or :0`)
    const topic = topicPattern(m[1] || '.*')
    if (m[2]) {
      const only = Number(m[2])
      return { topic, allows: (p: number) => p === only }
    }
    const lo = m[3] ? Number(m[3]) : 0
    const hi = m[4] ? Number(m[4]) : Number.MAX_SAFE_INTEGER
    return { topic, allows: (p: number) => p >= lo && p < hi }
  })
}

function partitionSet(spec: string | undefined): Set<number> {
  if (spec === undefined || spec === '') return new Set()
  const ids = spec.split(',')
  if (ids.some((p) => !/^[+-]?\d+$/.test(p))) throw usage(`--partitions expects a comma separated list of numeric partition ids, but received: ${spec}`)
  return new Set(ids.map((p) => parseNumericFlag('--partitions', p, { min: 0, max: INT32_MAX, what: `partition ids from 0 to ${INT32_MAX}` })))
}

export function parseTime(t: string): OffsetSpec {
  switch (t) {
    case 'latest':
    case '-1':
      return 'latest'
    case 'earliest':
    case '-2':
      return 'earliest'
    case 'max-timestamp':
    case '-3':
      return 'max-timestamp'
    case 'earliest-local':
    case 'latest-tiered':
    case 'earliest-pending-upload':
    case '-4':
    case '-5':
    case '-6':
      throw usage(`--time ${t} is about tiered storage, which Samsa does not have; use -1 (latest), -2 (earliest), -3 (max-timestamp) or a timestamp`)
  }
  if (!/^[+-]?\d+$/.test(t)) {
    throw usage(`Malformed time argument ${t}. Please use -1 or latest / -2 or earliest / -3 or max-timestamp, or a specified long format timestamp`)
  }
  return parseNumericFlag('--time', t, {
    min: 0,
    max: SAFE_MAX,
    what: `-1 (latest), -2 (earliest), -3 (max-timestamp) or a timestamp in ms from 0 to ${SAFE_MAX}`,
    fix: 'give milliseconds since 1970',
  })
}

async function matchingPartitions(admin: Admin, allows: { topic(name: string): boolean; partition(topic: string, p: number): boolean }, excludeInternal: boolean): Promise<TopicPartition[]> {
  const names = (await admin.listTopics({ includeInternal: !excludeInternal })).filter((n) => allows.topic(n))
  if (names.length === 0) return []
  const described = await admin.describeTopics(names)
  return described.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })).filter((tp) => allows.partition(tp.topic, tp.partition)))
}

function byName(a: TopicPartition, b: TopicPartition): number {
  const x = `${a.topic}-${a.partition}`
  const y = `${b.topic}-${b.partition}`
  return x < y ? -1 : x > y ? 1 : 0
}

export async function run(f: Flags): Promise<void> {
  if (f.topicPartitions !== undefined && (f.topic !== undefined || f.partitions !== undefined)) throw usage('--topic-partitions cannot be used with --topic or --partitions')
  const at = parseTime(f.time)
  let allows: { topic(name: string): boolean; partition(topic: string, p: number): boolean }
  if (f.topicPartitions !== undefined) {
    const rules = parseRules(f.topicPartitions)
    allows = { topic: (n) => rules.some((r) => r.topic.test(n)), partition: (t, p) => rules.some((r) => r.topic.test(t) && r.allows(p)) }
  } else {
    const topic = topicPattern(f.topic ?? '.*')
    const ids = partitionSet(f.partitions)
    allows = { topic: (n) => topic.test(n), partition: (_t, p) => ids.size === 0 || ids.has(p) }
  }
  await withAdmin(
    f.bootstrapServer,
    async (admin) => {
      const tps = await matchingPartitions(admin, allows, f.excludeInternalTopics ?? false)
      if (tps.length === 0) throw new CliError('Could not match any topic-partitions with the specified filters; samsa topics --list shows the topics')
      let listed: ListedOffset[]
      try {
        listed = await admin.listOffsets(tps.map((tp) => ({ ...tp, at })))
      } catch (e) {
        if (!(e instanceof AdminError)) throw e
        for (const fl of e.failures) {
          const tp = fl.item as TopicPartition
          process.stderr.write(`Skip getting offsets for topic-partition ${tp.topic}-${tp.partition} due to error: ${rowError(fl.error)}\n`)
        }
        listed = e.results as ListedOffset[]
      }
      const found = listed.filter((l) => l.offset >= 0n).sort(byName)
      await print(found.map((l) => `${l.topic}:${l.partition}:${l.offset}\n`).join(''))
    },
    commandConfigOptions(f.commandConfig),
  )
}
