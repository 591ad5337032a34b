/**
 * `samsa delete-records` (kafka-delete-records.sh): deletes the records of partitions before
 * the offsets of a JSON file, moving each partition's low watermark (log start offset):
 *
 *   {"partitions": [{"topic": "t", "partition": 0, "offset": 3}], "version": 1}
 *
 * Offset -1 means "up to the high watermark" (everything). The file is checked before
 * anything connects: not JSON, no partitions, a version other than 1, a field missing or of
 * the wrong type, or a partition listed twice is a usage error (exit 2) naming the problem.
 * Output is Kafka's, one line per partition with its new low watermark or its error; when a
 * partition fails the tool exits 1 after printing every partition.
 */
import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { AdminError } from '../client/admin/common.js'
import type { DeletedRecords, RecordsToDelete } from '../client/admin/types.js'
import { commandConfigOptions } from './command-config.js'
import { bootstrapOption, CliError, print, usage, withAdmin } from './common.js'
import { rowError } from './row-error.js'

interface Flags {
  bootstrapServer: string
  offsetJsonFile: string
  commandConfig?: string
}

const FORMAT = '{"partitions": [{"topic": "foo", "partition": 1, "offset": 1}], "version": 1}'

export function deleteRecordsCommand(): Command {
  const cmd = new Command('delete-records').description("delete partitions' records before the given offsets (kafka-delete-records.sh)")
  bootstrapOption(cmd)
    .requiredOption('--offset-json-file <file>', `JSON file with the offset per partition (-1: the high watermark), as ${FORMAT}`)
    .option('--command-config <file>', 'admin client properties file (Kafka property names)')
    .action((flags: Flags) => run(flags))
  return cmd
}

/** Reads Kafka's offset JSON; every problem is a usage error naming the file and the fix. */
export function parseOffsetJson(text: string, source: string): RecordsToDelete[] {
  const bad = (what: string) => usage(`${source}: ${what}; the format is ${FORMAT}`)
  let js: unknown
  try {
    // Offsets are longs: keep them exact rather than as doubles.
    js = JSON.parse(text.replace(/("offset"\s*:\s*)(-?\d+)(?![.\deE])/g, '$1"\\u0000$2"'))
  } catch {
    throw bad('The input string is not a valid JSON')
  }
  if (typeof js !== 'object' || js === null || Array.isArray(js)) throw bad('The input string is not a valid JSON object')
  const o = js as Record<string, unknown>
  const version = o.version ?? 1
  if (version !== 1) throw bad(`Not supported version field value ${JSON.stringify(version)}`)
  if (!('partitions' in o)) throw bad('Missing partitions field')
  if (!Array.isArray(o.partitions)) throw bad('the partitions field must be an array')
  const out: RecordsToDelete[] = []
  const seen = new Map<string, number>()
  o.partitions.forEach((entry: unknown, i) => {
    const at = `partitions[${i}]`
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw bad(`${at} must be an object`)
    const e = entry as Record<string, unknown>
    for (const k of ['topic', 'partition', 'offset']) if (!(k in e)) throw bad(`${at}: No such field exists: \`${k}\``)
    if (typeof e.topic !== 'string') throw bad(`${at}: topic must be a string`)
    if (typeof e.partition !== 'number' || !Number.isInteger(e.partition) || e.partition < 0) throw bad(`${at}: partition must be a whole number >= 0`)
    const raw = typeof e.offset === 'string' && e.offset.startsWith('\u0000') ? e.offset.slice(1) : undefined
    if (raw === undefined) throw bad(`${at}: offset must be a whole number`)
    const offset = BigInt(raw)
    if (offset < -1n) throw bad(`${at}: offset must be >= 0, or -1 for the high watermark`)
    const name = `${e.topic}-${e.partition}`
    seen.set(name, (seen.get(name) ?? 0) + 1)
    out.push({ topic: e.topic, partition: e.partition, offset })
  })
  const dups = [...seen].filter(([, n]) => n > 1).map(([name]) => name)
  if (dups.length > 0) throw usage(`Offset json file contains duplicate topic partitions: ${dups.join(',')}; list each partition once`)
  return out
}

export async function run(f: Flags): Promise<void> {
  let text: string
  try {
    text = readFileSync(f.offsetJsonFile, 'utf8')
  } catch (e) {
    throw usage(`--offset-json-file: cannot read ${f.offsetJsonFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give the path of the JSON file`)
  }
  const requests = parseOffsetJson(text, f.offsetJsonFile)
  await withAdmin(
    f.bootstrapServer,
    async (admin) => {
      await print('Executing records delete operation\n')
      const done = new Map<RecordsToDelete, DeletedRecords | Error>()
      try {
        const results = await admin.deleteRecords(requests)
        requests.forEach((r, i) => done.set(r, results[i]!))
      } catch (e) {
        if (!(e instanceof AdminError)) throw e
        for (const fl of e.failures) done.set(fl.item as RecordsToDelete, fl.error)
        const ok = e.results as DeletedRecords[]
        for (const r of requests) if (!done.has(r)) done.set(r, ok.find((x) => x.topic === r.topic && x.partition === r.partition)!)
      }
      let out = 'Records delete operation completed:\n'
      const failed: string[] = []
      for (const r of requests) {
        const d = done.get(r)!
        const name = `${r.topic}-${r.partition}`
        if (d instanceof Error) {
          failed.push(name)
          out += `partition: ${name}\terror: ${rowError(d)}\n`
        } else out += `partition: ${name}\tlow_watermark: ${d.lowWatermark}\n`
      }
      await print(out)
      if (failed.length > 0) throw new CliError(`records of ${failed.length} of ${requests.length} partition(s) were not deleted (${failed.join(', ')}); see the error on each line`)
    },
    commandConfigOptions(f.commandConfig),
  )
}
