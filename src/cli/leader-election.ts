/**
 * `samsa leader-election` (kafka-leader-election.sh): elects partition leaders.
 *
 *   --election-type PREFERRED|UNCLEAN (either case), and which partitions: --topic T --partition P,
 *   --all-topic-partitions, or --path-to-json-file F with {"partitions": [{"topic": "t", "partition": 0}]}.
 *
 * Output is Kafka's: `Successfully completed leader election (PREFERRED) for partitions t-0, t-1`,
 * `Valid replica already elected for partitions t-2` (ELECTION_NOT_NEEDED), and per failure
 * `Error completing leader election (PREFERRED) for partition: t-3: <error>`, after which the tool
 * exits 1 ("N replica(s) could not be elected"). With --all-topic-partitions the broker leaves out
 * partitions that needed no election, so that line does not appear. The selection is checked before
 * anything connects (exactly one of the three; --partition only with --topic; the file's shape, no
 * partition twice): a usage error, exit 2.
 */
import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import type { ElectionType } from '../client/admin/types.js'
import type { TopicPartition } from '../client/base/types.js'
import { commandConfigOptions } from './command-config.js'
import { bootstrapOption, CliError, intArg, print, usage, withAdmin } from './common.js'
import { errorName, rowError } from './row-error.js'

interface Flags {
  bootstrapServer: string
  commandConfig?: string
  electionType?: string
  topic?: string
  partition?: number
  allTopicPartitions?: boolean
  pathToJsonFile?: string
}

const FORMAT = '{"partitions": [{"topic": "foo", "partition": 1}]}'

export function leaderElectionCommand(): Command {
  const cmd = new Command('leader-election').description('elect preferred or unclean partition leaders (kafka-leader-election.sh)')
  bootstrapOption(cmd)
    .option('--election-type <type>', 'PREFERRED (the first replica leads again) or UNCLEAN (a live out-of-sync replica leads a partition without a live in-sync one; may lose records)')
    .option('--topic <name>', 'the topic of the partition to elect (with --partition)')
    .option('--partition <n>', 'the partition to elect (with --topic)', intArg('--partition'))
    .option('--all-topic-partitions', 'elect every partition that needs it')
    .option('--path-to-json-file <file>', `the partitions to elect, as ${FORMAT}`)
    .option('--admin.config <file>', 'admin client properties file (Kafka\'s name for --command-config)')
    .option('--command-config <file>', 'admin client properties file (Kafka property names)')
    .action((flags: Flags & { 'admin.config'?: string }) => run({ ...flags, ...(flags['admin.config'] !== undefined ? { commandConfig: flags['admin.config'] } : {}) }))
  return cmd
}

export function parseElectionJson(text: string, source: string): TopicPartition[] {
  const bad = (what: string) => usage(`${source}: ${what}; the format is ${FORMAT}`)
  let js: unknown
  try {
    js = JSON.parse(text)
  } catch {
    throw bad('The input string is not a valid JSON')
  }
  const parts = (js as { partitions?: unknown } | null)?.partitions
  if (!Array.isArray(parts)) throw bad('Missing partitions field (an array)')
  const seen = new Set<string>()
  const dups: string[] = []
  const out = parts.map((e: unknown, i) => {
    const o = e as { topic?: unknown; partition?: unknown } | null
    if (typeof o?.topic !== 'string' || o.topic === '') throw bad(`partitions[${i}]: topic must be a non-empty string`)
    if (typeof o.partition !== 'number' || !Number.isInteger(o.partition) || o.partition < 0) throw bad(`partitions[${i}]: partition must be a whole number >= 0`)
    const name = `${o.topic}-${o.partition}`
    if (seen.has(name)) dups.push(name)
    seen.add(name)
    return { topic: o.topic, partition: o.partition }
  })
  if (dups.length > 0) throw bad(`Replica election data contains duplicate partitions: ${dups.join(',')}`)
  return out
}

function electionType(raw: string | undefined): ElectionType {
  if (raw === undefined) throw usage('Missing required option(s) [election-type]: give --election-type PREFERRED or UNCLEAN')
  const t = raw.toUpperCase()
  if (t === 'PREFERRED') return 'preferred'
  if (t === 'UNCLEAN') return 'unclean'
  throw usage(`--election-type: ${JSON.stringify(raw)} is not an election type; use PREFERRED or UNCLEAN`)
}

function selection(f: Flags): TopicPartition[] | null {
  const given = [f.topic !== undefined, f.allTopicPartitions === true, f.pathToJsonFile !== undefined].filter(Boolean).length
  if (given !== 1) throw usage('One and only one of the following options is required: --all-topic-partitions, --topic, --path-to-json-file')
  if (f.partition !== undefined && f.topic === undefined) throw usage('--partition goes with --topic')
  if (f.allTopicPartitions) return null
  if (f.topic !== undefined) {
    if (f.partition === undefined) throw usage('--topic needs --partition: the partition to elect')
    return [{ topic: f.topic, partition: f.partition }]
  }
  let text: string
  try {
    text = readFileSync(f.pathToJsonFile!, 'utf8')
  } catch (e) {
    throw usage(`--path-to-json-file: cannot read ${f.pathToJsonFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give the path of the JSON file`)
  }
  return parseElectionJson(text, f.pathToJsonFile!)
}

export async function run(f: Flags): Promise<void> {
  const type = electionType(f.electionType)
  const partitions = selection(f)
  const label = type.toUpperCase()
  await withAdmin(
    f.bootstrapServer,
    async (admin) => {
      const results = partitions && partitions.length === 0 ? [] : await admin.electLeaders(type, partitions)
      const name = (r: { topic: string; partition: number }) => `${r.topic}-${r.partition}`
      const done = results.filter((r) => r.error === null).map(name)
      const noop = results.filter((r) => errorName(r.error) === 'ELECTION_NOT_NEEDED').map(name)
      const failed = results.filter((r) => r.error !== null && errorName(r.error) !== 'ELECTION_NOT_NEEDED')
      let out = ''
      if (done.length > 0) out += `Successfully completed leader election (${label}) for partitions ${done.join(', ')}\n`
      if (noop.length > 0) out += `Valid replica already elected for partitions ${noop.join(', ')}\n`
      for (const r of failed) out += `Error completing leader election (${label}) for partition: ${name(r)}: ${rowError(r.error)}\n`
      await print(out)
      if (failed.length > 0) throw new CliError(`${failed.length} replica(s) could not be elected`)
    },
    commandConfigOptions(f.commandConfig),
  )
}
