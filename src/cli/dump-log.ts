/**
 * `samsa dump-log --files a.log,b.index,...` prints what segment files hold, as
 * kafka-dump-log.sh (DumpLogSegments): batches of `.log` files (records with
 * --deep-iteration, keys and values with --print-data-log), offset and time index entries
 * checked against the log, aborted transactions of `.txnindex` files, the producers of a
 * producer state snapshot (`.snapshot`, Kafka's format and lines), and (Samsa's addition:
 * Kafka's tool cannot read it) the entries of a `leader-epoch-checkpoint`. It reads local
 * files only; no broker is needed, and it is safe on the files of a running broker (it only
 * reads them, though the active segment may change under it).
 *
 * Output lines are Kafka's. Findings (index entries that do not match the log, timestamp
 * problems, offset gaps) are printed on stderr at the end and do not change the exit code, as
 * in Kafka; a file that cannot be read or parsed as what its name says is reported on stderr
 * and makes the exit code 1, after the other files are dumped.
 *
 * Not supported (each says so when asked for): `--cluster-metadata-decoder`, `--remote-log-metadata-decoder`,
 * `--share-group-state-decoder` (Samsa has no KRaft metadata log, tiered storage or share
 * groups), Decoder classes other than String/Integer/Long (no Java classes to load).
 */
import { open, readFile, stat, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { Command, Option } from 'commander'
import { LeaderEpochCache } from '../storage/log/leader-epoch-cache.js'
import { INDEX_SUFFIX, LEADER_EPOCH_CHECKPOINT_FILE, LOG_SUFFIX, TIME_INDEX_SUFFIX } from '../storage/log/file-names.js'
import { CorruptSnapshotError, decodeSnapshot } from '../storage/producer-state/snapshot-file.js'
import { CliError, intArg, usage } from './common.js'
import { decoderParser, DEFAULT_DECODER_CLASS, offsetsParser, transactionLogParser, type RecordParser } from './dump-log-decoders.js'
import { dumpOffsetIndex, dumpTimeIndex, dumpTxnIndex, type IndexDumpOptions, type SegmentLog } from './dump-log-index.js'
import { DumpReport, Output } from './dump-log-report.js'
import { baseOffsetFromName, dumpLog, type DumpFile, type LogDumpOptions } from './dump-log-segment.js'

const INT32_MAX = 0x7fffffff
const TXN_INDEX_SUFFIX = '.txnindex'
const PRODUCER_SNAPSHOT_SUFFIX = '.snapshot'
const KRAFT_SNAPSHOT_SUFFIX = '.checkpoint'
const KRAFT_BOOTSTRAP_SNAPSHOT = 'bootstrap.checkpoint'

interface DumpLogFlags {
  files: string
  printDataLog?: boolean
  verifyIndexOnly?: boolean
  indexSanityCheck?: boolean
  maxMessageSize: number
  maxBytes: number
  deepIteration?: boolean
  keyDecoderClass?: string | true
  valueDecoderClass?: string | true
  offsetsDecoder?: boolean
  transactionLogDecoder?: boolean
  clusterMetadataDecoder?: boolean
  remoteLogMetadataDecoder?: boolean
  shareGroupStateDecoder?: boolean
  skipRecordMetadata?: boolean
}

export function dumpLogCommand(): Command {
  return new Command('dump-log')
    .description('print the batches, records and index entries of log segment files (kafka-dump-log.sh); reads local files, no broker needed')
    .requiredOption('--files <file1,file2,...>', 'REQUIRED: the comma-separated data and index files to dump (.log, .index, .timeindex, .txnindex, .snapshot, leader-epoch-checkpoint)')
    .option('--print-data-log', 'print the records\' keys and values (implies --deep-iteration); set by any decoder option')
    .option('--deep-iteration', 'print every record inside each batch, not only the batches')
    .option('--verify-index-only', 'check index files against the log without printing their entries')
    .option('--index-sanity-check', 'only run the start-up sanity check of index files (whether a broker would rebuild them)')
    .option('--max-message-size <size>', 'the largest batch an index entry may point at', intArg('--max-message-size', 1, INT32_MAX), 5 * 1024 * 1024)
    .option('--max-bytes <size>', 'read at most this many bytes of each .log file', intArg('--max-bytes', 1, INT32_MAX), INT32_MAX)
    .option('--key-decoder-class [class]', `how keys are printed: ${DEFAULT_DECODER_CLASS} (default), IntegerDecoder or LongDecoder`)
    .option('--value-decoder-class [class]', `how values are printed: ${DEFAULT_DECODER_CLASS} (default), IntegerDecoder or LongDecoder`)
    .option('--offsets-decoder', 'print records as __consumer_offsets data (committed offsets, group metadata) in JSON')
    .option('--transaction-log-decoder', 'print records as __transaction_state data in JSON')
    .option('--skip-record-metadata', 'print only the records\' contents (control records show as empty lines)')
    .addOption(new Option('--cluster-metadata-decoder', 'not supported: Samsa has no KRaft metadata log'))
    .addOption(new Option('--remote-log-metadata-decoder', 'not supported: Samsa has no tiered storage'))
    .addOption(new Option('--share-group-state-decoder', 'not supported: Samsa has no share groups'))
    .addHelpText(
      'after',
      '\nFindings (index entries that do not match the log, timestamp problems, offset gaps) are printed on\nstderr after the dump. Example:\n  samsa dump-log --files data/orders-0/00000000000000000000.log --print-data-log',
    )
    .action((flags: DumpLogFlags) => run(flags))
}

function parserFor(flags: DumpLogFlags): RecordParser {
  if (flags.offsetsDecoder) return offsetsParser()
  if (flags.transactionLogDecoder) return transactionLogParser()
  const decoderClass = (v: string | true | undefined) => (typeof v === 'string' ? v : DEFAULT_DECODER_CLASS)
  return decoderParser(decoderClass(flags.keyDecoderClass), decoderClass(flags.valueDecoderClass))
}

function unsupportedFlag(flags: DumpLogFlags): string | undefined {
  if (flags.clusterMetadataDecoder) return '--cluster-metadata-decoder is not supported: Samsa has no KRaft metadata log'
  if (flags.remoteLogMetadataDecoder) return '--remote-log-metadata-decoder is not supported: Samsa has no tiered storage'
  if (flags.shareGroupStateDecoder) return '--share-group-state-decoder is not supported: Samsa has no share groups'
  return undefined
}

/** Every named file must exist before anything is printed: a typo gives one line, not half a dump. */
async function checkFiles(files: string[]): Promise<void> {
  for (const f of files) {
    let isFile: boolean
    try {
      isFile = (await stat(f)).isFile()
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOENT') throw new CliError(`${f}: no such file; --files takes existing segment files, e.g. <log.dirs>/<topic>-<partition>/00000000000000000000.log`)
      throw new CliError(`${f}: cannot read it (${code ?? (e as Error).message})`)
    }
    if (!isFile) throw new CliError(`${f} is not a file; name the segment files in it, e.g. ${join(f, '00000000000000000000.log')}`)
  }
}

async function run(flags: DumpLogFlags): Promise<void> {
  const unsupported = unsupportedFlag(flags)
  if (unsupported) throw usage(unsupported)
  const files = flags.files.split(',').filter((f) => f !== '')
  if (files.length === 0) throw usage('--files needs at least one file name')
  const parser = parserFor(flags)
  const printContents =
    !!flags.printDataLog || !!flags.offsetsDecoder || !!flags.transactionLogDecoder || flags.keyDecoderClass !== undefined || flags.valueDecoderClass !== undefined
  const logOpts: LogDumpOptions = {
    deepIteration: !!flags.deepIteration || printContents,
    printContents,
    skipRecordMetadata: !!flags.skipRecordMetadata,
    // Kafka reports bytes after the last whole batch only when the whole file is read.
    maxBytes: flags.maxBytes === INT32_MAX ? undefined : flags.maxBytes,
    parser,
  }
  const indexOpts: IndexDumpOptions = {
    verifyOnly: !!flags.verifyIndexOnly,
    sanityOnly: !!flags.indexSanityCheck,
    maxMessageSize: flags.maxMessageSize,
  }
  await checkFiles(files)

  const out = new Output()
  const report = new DumpReport(out)
  for (const path of files) {
    out.line(`Dumping ${path}`)
    await dumpFile(path, logOpts, indexOpts, report)
    await out.maybeFlush()
  }
  await report.printFindings()
  if (report.failed) throw new CliError(`${report.failureCount} problem(s) reported above; the files named there could not be read or checked in full`)
}

async function dumpFile(path: string, logOpts: LogDumpOptions, indexOpts: IndexDumpOptions, report: DumpReport): Promise<void> {
  const name = basename(path)
  if (name === LEADER_EPOCH_CHECKPOINT_FILE) return dumpLeaderEpochs(path, report)
  const dot = name.lastIndexOf('.')
  const suffix = dot >= 0 ? name.slice(dot) : ''
  const known = [LOG_SUFFIX, KRAFT_SNAPSHOT_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, PRODUCER_SNAPSHOT_SUFFIX]
  if (!known.includes(suffix)) {
    return report.note(`Ignoring unknown file ${path}`)
  }
  if (suffix === PRODUCER_SNAPSHOT_SUFFIX) {
    return dumpProducerSnapshot(path, report)
  }
  const absolute = resolve(path)
  if (suffix === KRAFT_SNAPSHOT_SUFFIX) {
    const header = snapshotHeader(name)
    if (!header) return report.fail(`${path}: not a KRaft snapshot name (<end offset 20 digits>-<epoch 10 digits>.checkpoint)`)
    report.out.line(header)
    return withFile(path, report, (fh, size) => dumpLog(fh, { path, absolute, size, baseOffset: 0 }, logOpts, report))
  }
  const baseOffset = baseOffsetFromName(name)
  if (baseOffset === undefined) {
    return report.fail(`${path}: not a segment file name; segment files are named after their base offset, e.g. 00000000000000000000${suffix}`)
  }
  const file = (size: number): DumpFile => ({ path, absolute, size, baseOffset })
  switch (suffix) {
    case LOG_SUFFIX:
      report.out.line(`Log starting offset: ${baseOffset}`)
      return withFile(path, report, (fh, size) => dumpLog(fh, file(size), logOpts, report))
    case TXN_INDEX_SUFFIX:
      return dumpTxnIndex(file(0), await readFile(path), report)
    case INDEX_SUFFIX:
    case TIME_INDEX_SUFFIX: {
      const data = await readFile(path)
      const stem = join(dirname(path), name.slice(0, dot))
      return withSegmentLog(`${stem}${LOG_SUFFIX}`, path, report, async (log) => {
        if (suffix === INDEX_SUFFIX) return dumpOffsetIndex(file(data.length), data, log, indexOpts, report)
        // Without its offset index, lookups start at the beginning of the log (slower, same answers).
        const offsetIndex = await readFile(`${stem}${INDEX_SUFFIX}`).catch(() => Buffer.alloc(0))
        return dumpTimeIndex(file(data.length), data, log, offsetIndex, indexOpts, report)
      })
    }
  }
}

async function withFile(path: string, report: DumpReport, fn: (fh: FileHandle, size: number) => Promise<void>): Promise<void> {
  let fh: FileHandle
  try {
    fh = await open(path, 'r')
  } catch (e) {
    return report.fail(`${path}: cannot open it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
  }
  try {
    await fn(fh, (await fh.stat()).size)
  } finally {
    await fh.close()
  }
}

/** An index is checked against its segment's `.log`, which must be beside it. */
async function withSegmentLog(logPath: string, indexPath: string, report: DumpReport, fn: (log: SegmentLog) => Promise<void>): Promise<void> {
  let fh: FileHandle
  try {
    fh = await open(logPath, 'r')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    return report.fail(
      code === 'ENOENT'
        ? `${indexPath}: its segment's log ${logPath} does not exist; an index is checked against the .log beside it`
        : `${indexPath}: cannot open its segment's log ${logPath} (${code ?? (e as Error).message})`,
    )
  }
  try {
    await fn({ fh, path: logPath, size: (await fh.stat()).size })
  } finally {
    await fh.close()
  }
}

/** Kafka's header line for a KRaft snapshot, from its name; undefined if the name is not one. */
function snapshotHeader(name: string): string | undefined {
  if (name === KRAFT_BOOTSTRAP_SNAPSHOT) return 'KRaft bootstrap snapshot'
  const m = /^(\d{20})-(\d{10})\.checkpoint$/.exec(name)
  return m ? `Snapshot end offset: ${Number(m[1])}, epoch: ${Number(m[2])}` : undefined
}

/**
 * Kafka's lines for a producer snapshot: one per producer, its newest batch after the entry's
 * fields (Kafka 3.5+ prints the open transaction's first offset as a Java OptionalLong).
 */
async function dumpProducerSnapshot(path: string, report: DumpReport): Promise<void> {
  let entries
  try {
    entries = decodeSnapshot(await readFile(path))
  } catch (e) {
    if (e instanceof CorruptSnapshotError) return report.fail(`${path}: ${e.message}`)
    throw e
  }
  for (const e of entries) {
    const txn = e.currentTxnFirstOffset >= 0 ? `OptionalLong[${e.currentTxnFirstOffset}]` : 'OptionalLong.empty'
    const head = `producerId: ${e.producerId} producerEpoch: ${e.producerEpoch} coordinatorEpoch: ${e.coordinatorEpoch} currentTxnFirstOffset: ${txn} lastTimestamp: ${e.lastTimestamp} `
    const b = e.batches[0]
    report.out.line(b ? `${head}firstSequence: ${e.firstSeq} lastSequence: ${b.lastSeq} lastOffset: ${b.lastOffset} offsetDelta: ${b.offsetDelta} timestamp: ${b.timestamp}` : head)
  }
}

/** Samsa's addition: the leader epoch history, one `epoch: E startOffset: O` line per epoch. */
async function dumpLeaderEpochs(path: string, report: DumpReport): Promise<void> {
  let problem: string | undefined
  const cache = await LeaderEpochCache.load(path, { info: () => {}, warn: (m) => (problem ??= m) })
  if (problem !== undefined) return report.fail(`${path}: ${problem.replace(/^ignoring leader epoch checkpoint \S+: /, '')}`)
  for (const e of cache.entries()) report.out.line(`epoch: ${e.epoch} startOffset: ${e.startOffset}`)
}
