/**
 * `samsa dump-log` on real segments: a broker (embedded) stores records produced with the
 * Samsa client (keys, headers, tombstones, every codec, small index intervals, a topic that
 * rolls segments, a consumer group that commits), is closed, and the tool runs as a
 * subprocess on its files. Each line is checked against what was produced and against the
 * file bytes; corrupted copies check that problems are reported in Kafka's words, never as a
 * crash. A few hand-built files cover what the broker cannot write (producer ids and
 * sequences, transaction markers, delete horizons, v1 messages, transaction indexes).
 */
import { after, before, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { crc32, crc32c } from '@node-rs/crc32'
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Admin, Consumer, Producer, startBroker } from '../../src/index.js'
import { createBatch, encodeBatch, TimestampType } from '../../src/protocol/records/batch.js'
import { createEndTxnBatch } from '../../src/protocol/records/control.js'
import { OffsetCommitKey } from '../../src/protocol/generated/coordinator/group/offset-commit.js'
import { ConsumerGroupMemberMetadataKey, ConsumerGroupMemberMetadataValue } from '../../src/protocol/generated/coordinator/group/consumer-group-member-metadata.js'
import { TransactionLogKey, TransactionLogValue } from '../../src/protocol/generated/coordinator/transaction/transaction-log.js'
import { runCli } from '../helpers/broker-process.js'
import { encodeSnapshot } from '../../src/storage/producer-state/snapshot-file.js'
import { ProducerStateEntry } from '../../src/storage/producer-state/producer-state-entry.js'

const SEG = '00000000000000000000'
const T0 = 1_700_000_000_000
const PLAIN = 'dump-plain'
const CODECS = 'dump-codecs'
const ROLLED = 'dump-rolled'
const GROUP = 'dump-group'
const CODEC_NAMES = ['gzip', 'snappy', 'lz4', 'zstd'] as const
const PLAIN_COUNT = 20

let root: string

/** The plain topic's records: headers on even offsets, no key at 3, a tombstone at 5. */
function plainRecord(i: number): { key: string | null; value: string | null; headers: Record<string, string>; timestamp: number } {
  return {
    key: i === 3 ? null : `key-${i}`,
    value: i === 5 ? null : `value-${i}`,
    headers: i % 2 === 0 ? { h1: 'a', h2: 'b' } : {},
    timestamp: T0 + i * 1000,
  }
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'samsa-dump-log-'))
  const broker = await startBroker({
    logDirs: [root],
    config: { 'offsets.topic.num.partitions': '1', 'group.initial.rebalance.delay.ms': '0' },
  })
  try {
    const admin = new Admin({ bootstrapServers: broker.bootstrap })
    await admin.createTopics([
      { topic: PLAIN, numPartitions: 1, configs: { 'index.interval.bytes': '100' } },
      { topic: CODECS, numPartitions: 1, configs: { 'index.interval.bytes': '100' } },
      { topic: ROLLED, numPartitions: 1, configs: { 'index.interval.bytes': '100', 'segment.bytes': '1000' } },
    ])
    await admin.close()
    // Plain batches (no producer id): the lines below are known exactly; idempotent ones are in the marker tests.
    const producer = new Producer({ bootstrapServers: broker.bootstrap, lingerMs: 0, idempotent: false })
    // One send at a time: one batch per record, so batch lines are known exactly.
    for (let i = 0; i < PLAIN_COUNT; i++) await producer.send({ topic: PLAIN, ...plainRecord(i) })
    for (let i = 0; i < 30; i++) await producer.send({ topic: ROLLED, key: `r${i}`, value: `rolled-value-${i}`, timestamp: T0 + i })
    await producer.close()
    for (const codec of CODEC_NAMES) {
      const p = new Producer({ bootstrapServers: broker.bootstrap, lingerMs: 50, compression: codec, idempotent: false })
      await p.sendBatch(Array.from({ length: 5 }, (_, j) => ({ topic: CODECS, key: `${codec}-key-${j}`, value: `${codec}-${j}`, timestamp: T0 + j })))
      await p.close()
    }
    const consumer = new Consumer({ bootstrapServers: broker.bootstrap, groupId: GROUP, autoOffsetReset: 'earliest', enableAutoCommit: false })
    await consumer.subscribe([PLAIN])
    let seen = 0
    for await (const _ of consumer) if (++seen === PLAIN_COUNT) break
    await consumer.commit()
    await consumer.close()
  } finally {
    await broker.close()
  }
})

after(() => rmSync(root, { recursive: true, force: true }))

function seg(topic: string, suffix: string, base = SEG): string {
  return join(root, `${topic}-0`, `${base}${suffix}`)
}

function dump(...args: string[]) {
  return runCli(['dump-log', ...args], { timeoutMs: 60_000 })
}

/** A copy of a partition directory to corrupt. */
function copyPartition(t: TestContext, topic: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-dump-copy-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(join(root, `${topic}-0`), dir, { recursive: true })
  return dir
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-dump-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const BATCH_LINE =
  /^baseOffset: (\d+) lastOffset: (\d+) count: (\d+) baseSequence: (-?\d+) lastSequence: (-?\d+) producerId: (-?\d+) producerEpoch: (-?\d+) partitionLeaderEpoch: (-?\d+) isTransactional: (true|false) isControl: (true|false) deleteHorizonMs: (OptionalLong\.empty|OptionalLong\[\d+\]) position: (\d+) (CreateTime|LogAppendTime): (-?\d+) size: (\d+) magic: 2 compresscodec: (\w+) crc: (\d+) isvalid: (true|false)$/

interface BatchLine {
  baseOffset: number
  lastOffset: number
  count: number
  position: number
  maxTimestamp: number
  size: number
  codec: string
  crc: number
  valid: boolean
  line: string
}

function batchLines(stdout: string): BatchLine[] {
  const out: BatchLine[] = []
  for (const line of stdout.split('\n')) {
    const m = BATCH_LINE.exec(line)
    if (!m) continue
    out.push({
      baseOffset: Number(m[1]),
      lastOffset: Number(m[2]),
      count: Number(m[3]),
      position: Number(m[12]),
      maxTimestamp: Number(m[14]),
      size: Number(m[15]),
      codec: m[16]!,
      crc: Number(m[17]),
      valid: m[18] === 'true',
      line,
    })
  }
  return out
}

/** The batches of a .log read straight from its bytes (not through the tool): where each lies and ends. */
function fileBatches(path: string): Array<{ position: number; size: number; lastOffset: number; maxTimestamp: number }> {
  const bytes = readFileSync(path)
  const out = []
  for (let pos = 0; pos + 61 <= bytes.length; ) {
    const size = 12 + bytes.readInt32BE(pos + 8)
    if (pos + size > bytes.length) break
    out.push({ position: pos, size, lastOffset: Number(bytes.readBigInt64BE(pos)) + bytes.readInt32BE(pos + 23), maxTimestamp: Number(bytes.readBigInt64BE(pos + 35)) })
    pos += size
  }
  return out
}

function recordLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('| '))
}

function indexEntries(stdout: string): Array<{ offset: number; position: number }> {
  return [...stdout.matchAll(/^offset: (\d+) position: (\d+)$/gm)].map((m) => ({ offset: Number(m[1]), position: Number(m[2]) }))
}

function timeIndexEntries(stdout: string): Array<{ timestamp: number; offset: number }> {
  return [...stdout.matchAll(/^timestamp: (-?\d+) offset: (\d+)$/gm)].map((m) => ({ timestamp: Number(m[1]), offset: Number(m[2]) }))
}

// ---- .log ---------------------------------------------------------------------------------------

test('batch lines of a .log: every header field, positions and sizes tiling the file, CRCs as computed from the bytes', async () => {
  const path = seg(PLAIN, '.log')
  const r = await dump('--files', path)
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, '')
  assert.ok(r.stdout.startsWith(`Dumping ${path}\nLog starting offset: 0\n`), r.stdout)
  const batches = batchLines(r.stdout)
  assert.equal(batches.length, PLAIN_COUNT)
  const bytes = readFileSync(path)
  let position = 0
  for (const [i, b] of batches.entries()) {
    assert.equal(b.baseOffset, i)
    assert.equal(b.lastOffset, i)
    assert.equal(b.count, 1)
    assert.equal(b.position, position, b.line)
    assert.equal(b.maxTimestamp, T0 + i * 1000)
    assert.equal(b.codec, 'none')
    assert.equal(b.valid, true)
    assert.equal(b.crc, crc32c(bytes.subarray(position + 21, position + b.size)), b.line)
    assert.match(b.line, / baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false isControl: false deleteHorizonMs: OptionalLong\.empty /)
    assert.equal(bytes.readInt32BE(position + 8) + 12, b.size)
    position += b.size
  }
  assert.equal(position, bytes.length)
  assert.doesNotMatch(r.stdout, /invalid bytes/)
  assert.equal(recordLines(r.stdout).length, 0, 'no record lines without --deep-iteration')
})

test('--print-data-log prints each record: offset, timestamp, sizes, header keys, key and payload', async () => {
  const r = await dump('--files', seg(PLAIN, '.log'), '--print-data-log')
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, '')
  const expected = Array.from({ length: PLAIN_COUNT }, (_, i) => {
    const rec = plainRecord(i)
    let line =
      `| offset: ${i} CreateTime: ${rec.timestamp} keySize: ${rec.key === null ? -1 : rec.key.length} ` +
      `valueSize: ${rec.value === null ? -1 : rec.value.length} sequence: -1 headerKeys: [${i % 2 === 0 ? 'h1,h2' : ''}]`
    if (rec.key !== null) line += ` key: ${rec.key}`
    if (rec.value !== null) line += ` payload: ${rec.value}`
    return line
  })
  assert.deepEqual(recordLines(r.stdout), expected)
  // Each record line follows its batch line.
  const lines = r.stdout.split('\n')
  for (let i = 0; i < PLAIN_COUNT; i++) {
    const at = lines.indexOf(expected[i]!)
    assert.match(lines[at - 1]!, new RegExp(`^baseOffset: ${i} lastOffset: ${i} `))
  }
})

test('--deep-iteration prints record metadata only; --skip-record-metadata prints contents only', async () => {
  const deep = await dump('--files', seg(PLAIN, '.log'), '--deep-iteration')
  assert.equal(deep.code, 0, deep.stderr)
  const records = recordLines(deep.stdout)
  assert.equal(records.length, PLAIN_COUNT)
  assert.equal(records[0], `| offset: 0 CreateTime: ${T0} keySize: 5 valueSize: 7 sequence: -1 headerKeys: [h1,h2]`)
  assert.ok(records.every((l) => !l.includes('payload:') && !l.includes(' key:')))

  const contents = await dump('--files', seg(PLAIN, '.log'), '--print-data-log', '--skip-record-metadata')
  assert.equal(contents.code, 0, contents.stderr)
  const lines = recordLines(contents.stdout)
  assert.equal(lines[0], '| key: key-0 payload: value-0')
  assert.equal(lines[3], '| payload: value-3', 'no key: the first part takes the bar')
  assert.equal(lines[5], '| key: key-5', 'a tombstone has no payload')
})

test('compressed batches (gzip, snappy, lz4, zstd) are named and their records decompressed', async () => {
  const r = await dump('--files', seg(CODECS, '.log'), '--print-data-log')
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, '', 'offsets are consecutive')
  const batches = batchLines(r.stdout)
  assert.deepEqual([...new Set(batches.map((b) => b.codec))], [...CODEC_NAMES])
  assert.ok(batches.every((b) => b.valid))
  const records = recordLines(r.stdout)
  const expected = CODEC_NAMES.flatMap((codec) => Array.from({ length: 5 }, (_, j) => ({ key: `${codec}-key-${j}`, value: `${codec}-${j}`, ts: T0 + j })))
  assert.equal(records.length, expected.length)
  for (const [offset, e] of expected.entries()) {
    assert.equal(records[offset], `| offset: ${offset} CreateTime: ${e.ts} keySize: ${e.key.length} valueSize: ${e.value.length} sequence: -1 headerKeys: [] key: ${e.key} payload: ${e.value}`)
  }
  // Each batch's record lines sit under it and match its offsets and count.
  const lines = r.stdout.split('\n')
  for (const b of batches) {
    const at = lines.indexOf(b.line)
    const under = lines.slice(at + 1, at + 1 + b.count)
    assert.deepEqual(
      under.map((l) => Number(/^\| offset: (\d+) /.exec(l)?.[1])),
      Array.from({ length: b.count }, (_, k) => b.baseOffset + k),
    )
  }
})

test('--max-bytes reads only the batches that fit whole, without reporting the rest as invalid', async () => {
  const full = fileBatches(seg(PLAIN, '.log'))
  const limit = full[2]!.position + full[2]!.size + 10
  const r = await dump('--files', seg(PLAIN, '.log'), '--max-bytes', String(limit))
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(batchLines(r.stdout).map((b) => b.lastOffset), [0, 1, 2])
  assert.doesNotMatch(r.stdout, /invalid bytes/)
})

test('segments after the first: starting offset from the file name, records counted from it', async () => {
  const logs = readdirSync(join(root, `${ROLLED}-0`)).filter((n) => n.endsWith('.log')).sort()
  assert.ok(logs.length >= 3, `segment.bytes=1000 rolls the log: ${logs.join(' ')}`)
  const paths = logs.map((n) => join(root, `${ROLLED}-0`, n))
  const r = await dump('--files', paths.join(','), '--deep-iteration')
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, '', 'no gap is reported at the start of a segment')
  const sections = r.stdout.split(/^Dumping /m).slice(1)
  assert.equal(sections.length, logs.length)
  let next = 0
  for (const [i, section] of sections.entries()) {
    const base = Number(logs[i]!.slice(0, 20))
    assert.ok(section.startsWith(`${paths[i]}\nLog starting offset: ${base}\n`), section)
    assert.equal(base, next)
    const batches = batchLines(section)
    assert.equal(batches[0]!.baseOffset, base)
    next = batches.at(-1)!.lastOffset + 1
  }
  assert.equal(next, 30)
  // The index of a later segment holds offsets relative to its base: they must come out absolute.
  const second = seg(ROLLED, '.index', logs[1]!.slice(0, 20))
  const idx = await dump('--files', second)
  assert.equal(idx.code, 0, idx.stderr)
  assert.equal(idx.stderr, '')
  const entries = indexEntries(idx.stdout)
  assert.ok(entries.length > 0, idx.stdout)
  assert.ok(entries.every((e) => e.offset > Number(logs[1]!.slice(0, 20))))
})

// ---- indexes ------------------------------------------------------------------------------------

test('offset index entries are printed and each points at a batch ending at its offset', async () => {
  const r = await dump('--files', [seg(PLAIN, '.log'), seg(PLAIN, '.index')].join(','))
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, '', 'no mismatches')
  const [logPart, indexPart] = r.stdout.split(`Dumping ${seg(PLAIN, '.index')}\n`)
  const lastOffsetAt = new Map(batchLines(logPart!).map((b) => [b.position, b.lastOffset]))
  const entries = indexEntries(indexPart!)
  assert.equal(entries.length * 8, statSync(seg(PLAIN, '.index')).size)
  assert.ok(entries.length >= 5, `index.interval.bytes=100 gives entries: ${indexPart}`)
  for (const e of entries) assert.equal(lastOffsetAt.get(e.position), e.offset, `entry ${e.offset}@${e.position}`)
  for (let i = 1; i < entries.length; i++) assert.ok(entries[i]!.offset > entries[i - 1]!.offset)
})

test('time index entries are printed and each matches the newest timestamp of the batch ending at its offset', async () => {
  const log = fileBatches(seg(PLAIN, '.log'))
  const r = await dump('--files', seg(PLAIN, '.timeindex'))
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, '')
  const entries = timeIndexEntries(r.stdout)
  assert.equal(entries.length * 12, statSync(seg(PLAIN, '.timeindex')).size)
  assert.ok(entries.length >= 5)
  for (const e of entries) {
    const batch = log.find((b) => b.lastOffset === e.offset)
    assert.ok(batch, `a batch ends at ${e.offset}`)
    assert.equal(batch.maxTimestamp, e.timestamp)
  }
  // The last entry records the segment's newest timestamp (written when the segment closed).
  assert.equal(entries.at(-1)!.timestamp, T0 + (PLAIN_COUNT - 1) * 1000)
})

test('a corrupted offset index entry is reported as a mismatch (exit 0, as Kafka)', async (t) => {
  const dir = copyPartition(t, PLAIN)
  const indexPath = join(dir, `${SEG}.index`)
  const index = readFileSync(indexPath)
  const first = { offset: index.readInt32BE(0), position: index.readInt32BE(4) }
  const second = { offset: index.readInt32BE(8), position: index.readInt32BE(12) }
  // Entry 1 now points at entry 0's batch, which ends at entry 0's offset.
  index.writeInt32BE(first.position, 12)
  // The last entry points past the end of the log.
  index.writeInt32BE(1_000_000, index.length - 4)
  const lastOffset = index.readInt32BE(index.length - 8)
  writeFileSync(indexPath, index)

  const r = await dump('--files', indexPath)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, new RegExp(`^offset: ${second.offset} position: ${first.position}$`, 'm'))
  assert.equal(
    r.stderr,
    [
      `Mismatches in :${resolve(indexPath)}`,
      `  Index offset: ${lastOffset}, log offset: -1`,
      `  Index offset: ${second.offset}, log offset: ${first.offset}`,
      // Samsa's addition: two entries at one position cannot both be right.
      `Found out of order index entries in :${resolve(indexPath)}`,
      `  Index offset: ${second.offset} position: ${first.position}, previous index offset: ${first.offset} position: ${first.position}`,
      '',
    ].join('\n'),
  )

  const verify = await dump('--files', indexPath, '--verify-index-only')
  assert.equal(verify.code, 0)
  assert.equal(verify.stdout, `Dumping ${indexPath}\n`, 'no entries printed')
  assert.equal(verify.stderr, r.stderr)
})

test('a corrupted time index is reported: out of order, timestamp mismatch, offset not found', async (t) => {
  const dir = copyPartition(t, PLAIN)
  const path = join(dir, `${SEG}.timeindex`)
  const ti = readFileSync(path)
  const ts0 = Number(ti.readBigInt64BE(0))
  // Entry 1: an older timestamp than entry 0 (out of order, and not its batch's timestamp).
  ti.writeBigInt64BE(BigInt(ts0 - 5), 12)
  const off1 = ti.readInt32BE(12 + 8)
  const ts1 = Number(readFileSync(join(root, `${PLAIN}-0`, `${SEG}.timeindex`)).readBigInt64BE(12))
  // Entry 2: an offset where no batch ends (offsets are one per batch here, so point past the log).
  ti.writeInt32BE(10_000, 24 + 8)
  writeFileSync(path, ti)

  const r = await dump('--files', path)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, new RegExp(`^timestamp: ${ts0 - 5} offset: ${off1}$`, 'm'))
  assert.equal(
    r.stderr,
    [
      `Found timestamp mismatch in :${resolve(path)}`,
      `  Index timestamp: ${ts0 - 5}, log timestamp: ${ts1}`,
      `Found out of order timestamp in :${resolve(path)}`,
      `  Index timestamp: ${ts0 - 5}, Previously indexed timestamp: ${ts0}`,
      'The following indexed offsets are not found in the log.',
      `Indexed offset: 10000, found log offset: -1`,
      '',
    ].join('\n'),
  )
})

test('--index-sanity-check passes sound indexes and names what is wrong with broken ones (exit 1)', async (t) => {
  const good = await dump('--files', [seg(PLAIN, '.index'), seg(PLAIN, '.timeindex')].join(','), '--index-sanity-check')
  assert.equal(good.code, 0, good.stderr)
  assert.equal(good.stdout, [`Dumping ${seg(PLAIN, '.index')}`, `${seg(PLAIN, '.index')} passed sanity check.`, `Dumping ${seg(PLAIN, '.timeindex')}`, `${seg(PLAIN, '.timeindex')} passed sanity check.`, ''].join('\n'))

  const dir = copyPartition(t, PLAIN)
  const torn = join(dir, `${SEG}.index`)
  appendFileSync(torn, Buffer.from([1, 2, 3]))
  const r1 = await dump('--files', torn, '--index-sanity-check')
  assert.equal(r1.code, 1)
  assert.match(r1.stderr, new RegExp(`^Index file ${escape(resolve(torn))} is corrupt, found ${statSync(torn).size} bytes which is neither positive nor a multiple of 8$`, 'm'))
  assert.doesNotMatch(r1.stdout, /passed/)

  // Entries out of order: Kafka's check passes these, Samsa's loader would rebuild the index.
  const dir2 = copyPartition(t, PLAIN)
  const swapped = join(dir2, `${SEG}.index`)
  const idx = readFileSync(swapped)
  const e0 = Buffer.from(idx.subarray(0, 8))
  idx.copy(idx, 0, 8, 16)
  e0.copy(idx, 8)
  writeFileSync(swapped, idx)
  const r2 = await dump('--files', swapped, '--index-sanity-check')
  assert.equal(r2.code, 1)
  assert.match(r2.stderr, new RegExp(`^Corrupt index found, index file ${escape(resolve(swapped))}: entry 1: `, 'm'))
  // A plain dump finds no mismatch (each entry still matches its batch) but names the disorder.
  const plain = await dump('--files', swapped)
  assert.equal(plain.code, 0, plain.stderr)
  const [first, second] = indexEntries(plain.stdout)
  assert.equal(
    plain.stderr,
    `Found out of order index entries in :${resolve(swapped)}\n  Index offset: ${second!.offset} position: ${second!.position}, previous index offset: ${first!.offset} position: ${first!.position}\n`,
  )

  const ti = join(dir2, `${SEG}.timeindex`)
  const tbuf = readFileSync(ti)
  tbuf.writeBigInt64BE(0n, tbuf.length - 12)
  writeFileSync(ti, tbuf)
  const r3 = await dump('--files', ti, '--index-sanity-check')
  assert.equal(r3.code, 1)
  assert.match(r3.stderr, /^Corrupt time index found, time index file \(.*\) has non-zero size but the last timestamp is 0 which is less than the first timestamp \d+$/m)
})

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

test('an index whose .log is missing is reported in one line (exit 1)', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, `${SEG}.index`)
  cpSync(seg(PLAIN, '.index'), path)
  const r = await dump('--files', path)
  assert.equal(r.code, 1)
  assert.match(r.stderr, new RegExp(`^${escape(path)}: its segment's log ${escape(join(dir, `${SEG}.log`))} does not exist`, 'm'))
})

// ---- corrupt logs -------------------------------------------------------------------------------

test('a corrupted byte in a batch shows as isvalid: false; the other batches and the records still print', async (t) => {
  const dir = copyPartition(t, PLAIN)
  const path = join(dir, `${SEG}.log`)
  const good = fileBatches(seg(PLAIN, '.log'))
  const bytes = readFileSync(path)
  const victim = good[4]!
  // A byte of the value: the batch still frames and decodes, only its CRC fails.
  const valueAt = bytes.indexOf('value-4', victim.position)
  bytes[valueAt + 6] = 'X'.charCodeAt(0)
  writeFileSync(path, bytes)

  const r = await dump('--files', path, '--print-data-log')
  assert.equal(r.code, 0, r.stderr)
  const batches = batchLines(r.stdout)
  assert.equal(batches.length, PLAIN_COUNT)
  assert.deepEqual(
    batches.map((b) => b.valid),
    batches.map((_, i) => i !== 4),
  )
  assert.equal(batches[4]!.crc, bytes.readUInt32BE(victim.position + 17), 'the stored CRC is shown')
  assert.match(r.stdout, /^\| offset: 4 .* key: key-4 payload: value-X$/m)
})

test('a batch whose records cannot be read is reported and the dump goes on (exit 1)', async (t) => {
  const dir = copyPartition(t, PLAIN)
  const path = join(dir, `${SEG}.log`)
  const good = fileBatches(seg(PLAIN, '.log'))
  const bytes = readFileSync(path)
  bytes.writeInt32BE(7, good[6]!.position + 57) // record count 7 for a batch of one record
  writeFileSync(path, bytes)

  const r = await dump('--files', path, '--print-data-log')
  assert.equal(r.code, 1)
  assert.match(r.stderr, new RegExp(`^Cannot read the records of the batch at position ${good[6]!.position} of ${escape(path)}: `, 'm'))
  const batches = batchLines(r.stdout)
  assert.equal(batches.length, PLAIN_COUNT)
  assert.equal(batches[6]!.valid, false)
  assert.match(r.stdout, /^\| offset: 19 .* payload: value-19$/m, 'later batches are dumped')
  assert.match(r.stderr, /^Non-consecutive offsets in .*\n {2}5 is followed by 7$/m, 'offset 6 went missing')
})

test('a torn last batch is reported as invalid bytes at the end of the file', async (t) => {
  const dir = copyPartition(t, PLAIN)
  const path = join(dir, `${SEG}.log`)
  const size = statSync(path).size
  const good = fileBatches(path)
  writeFileSync(path, readFileSync(path).subarray(0, size - 10))
  const r = await dump('--files', path)
  assert.equal(r.code, 0, r.stderr)
  assert.equal(batchLines(r.stdout).length, PLAIN_COUNT - 1)
  assert.match(r.stdout, new RegExp(`\nFound ${good.at(-1)!.size - 10} invalid bytes at the end of ${SEG}\\.log\n$`))
})

test('a length field too small to frame a batch stops that file with Kafka\'s message (exit 1)', async (t) => {
  const dir = copyPartition(t, PLAIN)
  const path = join(dir, `${SEG}.log`)
  const good = fileBatches(path)
  const bytes = readFileSync(path)
  bytes.writeInt32BE(3, good[2]!.position + 8)
  writeFileSync(path, bytes)
  const r = await dump('--files', `${path},${seg(PLAIN, '.index')}`)
  assert.equal(r.code, 1)
  assert.match(r.stderr, new RegExp(`^Found record size 3 smaller than minimum record overhead \\(14\\) in file ${escape(path)}\\.$`, 'm'))
  assert.equal(batchLines(r.stdout).length, 2)
  assert.match(r.stdout, new RegExp(`^Found ${bytes.length - good[2]!.position} invalid bytes at the end of ${SEG}\\.log$`, 'm'))
  assert.match(r.stdout, new RegExp(`^Dumping ${escape(seg(PLAIN, '.index'))}$`, 'm'), 'the next file is still dumped')
})

/** A small deterministic PRNG (mulberry32), so a failing mutation can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

test('randomly damaged segments and indexes never crash the tool: every file is dumped, problems are lines', async (t) => {
  const random = prng(20240607)
  const files: string[] = []
  const sources = [PLAIN, CODECS]
  for (let n = 0; n < 24; n++) {
    const dir = copyPartition(t, sources[n % sources.length]!)
    const suffix = ['.log', '.log', '.index', '.timeindex'][n % 4]!
    const path = join(dir, `${SEG}${suffix}`)
    const bytes = readFileSync(path)
    for (let k = 0; k < 1 + Math.floor(random() * 4); k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256)
    const cut = random() < 0.3 ? Math.floor(random() * bytes.length) : bytes.length
    writeFileSync(path, bytes.subarray(0, cut))
    files.push(path)
  }
  const r = await dump('--files', files.join(','), '--print-data-log')
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`)
  assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('Dumping ')).length, files.length, r.stderr)
  assert.doesNotMatch(r.stderr, /TypeError|RangeError|ERR_|\n\s+at /, 'no internal error escapes')
  if (r.code === 1) assert.match(r.stderr, /problem\(s\) reported above/)
})

// ---- decoders -----------------------------------------------------------------------------------

test('--offsets-decoder prints __consumer_offsets records as Kafka\'s JSON: group metadata and committed offsets', async () => {
  const path = join(root, '__consumer_offsets-0', `${SEG}.log`)
  const r = await dump('--files', path, '--offsets-decoder')
  assert.equal(r.code, 0, r.stderr)
  const records = recordLines(r.stdout)
  const commit = records.find((l) => l.includes(`key: {"type":"1","data":{"group":"${GROUP}","topic":"${PLAIN}","partition":0}}`))
  assert.ok(commit, r.stdout)
  assert.match(commit, new RegExp(` payload: \\{"version":"3","data":\\{"offset":${PLAIN_COUNT},"leaderEpoch":-?\\d+,"metadata":"","commitTimestamp":\\d+\\}\\}$`))
  const group = records.find((l) => l.includes(`key: {"type":"2","data":{"group":"${GROUP}"}}`) && l.includes('"members":[{'))
  assert.ok(group, r.stdout)
  const payload = JSON.parse(group.slice(group.indexOf(' payload: ') + 10)) as { version: string; data: Record<string, unknown> }
  assert.equal(payload.version, '3')
  assert.equal(payload.data.protocolType, 'consumer')
  assert.equal(payload.data.protocol, 'range')
  const member = (payload.data.members as Array<Record<string, unknown>>)[0]!
  assert.deepEqual(Object.keys(member), ['memberId', 'groupInstanceId', 'clientId', 'clientHost', 'rebalanceTimeout', 'sessionTimeout', 'subscription', 'assignment'])
  assert.deepEqual((member.subscription as { topics: string[] }).topics, [PLAIN], 'the subscription is shown decoded')
  assert.deepEqual((member.assignment as { assignedPartitions: unknown }).assignedPartitions, [{ topic: PLAIN, partitions: [0] }])

  const raw = await dump('--files', path, '--print-data-log')
  assert.equal(raw.code, 0, 'the same file without the decoder prints the bytes as strings, no crash')
})

test('--key-decoder-class / --value-decoder-class take Kafka\'s String, Integer and Long decoders and imply --print-data-log', async () => {
  const r = await dump('--files', seg(PLAIN, '.log'), '--value-decoder-class', 'org.apache.kafka.tools.api.IntegerDecoder', '--key-decoder-class')
  assert.equal(r.code, 0, r.stderr)
  assert.equal(recordLines(r.stdout)[0], `| offset: 0 CreateTime: ${T0} keySize: 5 valueSize: 7 sequence: -1 headerKeys: [h1,h2] key: key-0 payload: ${Buffer.from('valu').readInt32BE(0)}`)

  const bad = await dump('--files', seg(PLAIN, '.log'), '--key-decoder-class', 'com.example.MyDecoder')
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /^samsa dump-log: --key-decoder-class com\.example\.MyDecoder is not supported/)
  assert.equal(bad.stdout, '')
})

// ---- hand-built files ---------------------------------------------------------------------------

test('batches the broker does not write: producer ids, wrapping sequences, LogAppendTime, transaction markers, delete horizons', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, `${SEG}.log`)
  const records = [0, 1, 2].map((i) => ({ timestampDelta: i, offsetDelta: i, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), headers: [] }))
  const txn = await encodeBatch(
    createBatch({
      records,
      baseTimestamp: BigInt(T0),
      maxTimestamp: BigInt(T0 + 50),
      timestampType: TimestampType.LogAppendTime,
      producerId: 42n,
      producerEpoch: 3,
      baseSequence: 2147483646,
      isTransactional: true,
      partitionLeaderEpoch: 5,
    }),
  )
  const marker = await encodeBatch(
    createEndTxnBatch({ commit: true, producerId: 42n, producerEpoch: 3, coordinatorEpoch: 7, timestamp: BigInt(T0 + 60), baseOffset: 3n, partitionLeaderEpoch: 5 }),
  )
  const compacted = await encodeBatch(
    createBatch({ records: [{ timestampDelta: 0, offsetDelta: 0, key: Buffer.from('k4'), value: null, headers: [] }], baseTimestamp: BigInt(T0 + 99), baseOffset: 4n, hasDeleteHorizon: true }),
  )
  writeFileSync(path, Buffer.concat([txn, marker, compacted]))

  const r = await dump('--files', path, '--print-data-log')
  assert.equal(r.code, 0, r.stderr)
  const lines = r.stdout.split('\n')
  const crc = (b: Buffer) => b.readUInt32BE(17)
  assert.deepEqual(lines, [
    `Dumping ${path}`,
    'Log starting offset: 0',
    `baseOffset: 0 lastOffset: 2 count: 3 baseSequence: 2147483646 lastSequence: 0 producerId: 42 producerEpoch: 3 partitionLeaderEpoch: 5 isTransactional: true isControl: false deleteHorizonMs: OptionalLong.empty position: 0 LogAppendTime: ${T0 + 50} size: ${txn.length} magic: 2 compresscodec: none crc: ${crc(txn)} isvalid: true`,
    `| offset: 0 LogAppendTime: ${T0 + 50} keySize: 2 valueSize: 2 sequence: 2147483646 headerKeys: [] key: k0 payload: v0`,
    `| offset: 1 LogAppendTime: ${T0 + 50} keySize: 2 valueSize: 2 sequence: 2147483647 headerKeys: [] key: k1 payload: v1`,
    `| offset: 2 LogAppendTime: ${T0 + 50} keySize: 2 valueSize: 2 sequence: 0 headerKeys: [] key: k2 payload: v2`,
    `baseOffset: 3 lastOffset: 3 count: 1 baseSequence: -1 lastSequence: -1 producerId: 42 producerEpoch: 3 partitionLeaderEpoch: 5 isTransactional: true isControl: true deleteHorizonMs: OptionalLong.empty position: ${txn.length} CreateTime: ${T0 + 60} size: ${marker.length} magic: 2 compresscodec: none crc: ${crc(marker)} isvalid: true`,
    `| offset: 3 CreateTime: ${T0 + 60} keySize: 4 valueSize: 6 sequence: -1 headerKeys: [] endTxnMarker: COMMIT coordinatorEpoch: 7`,
    `baseOffset: 4 lastOffset: 4 count: 1 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: -1 isTransactional: false isControl: false deleteHorizonMs: OptionalLong[${T0 + 99}] position: ${txn.length + marker.length} CreateTime: ${T0 + 99} size: ${compacted.length} magic: 2 compresscodec: none crc: ${crc(compacted)} isvalid: true`,
    `| offset: 4 CreateTime: ${T0 + 99} keySize: 2 valueSize: -1 sequence: -1 headerKeys: [] key: k4`,
    '',
  ])
})

/** `version` (int16) then the struct: how coordinator records prefix keys and values. */
function prefixed(version: number, body: Buffer): Buffer {
  const v = Buffer.alloc(2)
  v.writeInt16BE(version)
  return Buffer.concat([v, body])
}

test('coordinator decoders on hand-built records: __transaction_state, tombstones, unknown types, undecodable values', async (t) => {
  const dir = tempDir(t)
  const txnPath = join(dir, `${SEG}.log`)
  const key = prefixed(0, TransactionLogKey.encode({ transactionalId: 'tx-1' }, 0))
  const value = prefixed(
    0,
    TransactionLogValue.encode(
      {
        producerId: 4000n,
        producerEpoch: 2,
        transactionTimeoutMs: 60000,
        transactionStatus: 1,
        transactionPartitions: [{ topic: 'orders', partitionIds: [0, 2] }],
        transactionLastUpdateTimestampMs: BigInt(T0 + 5),
        transactionStartTimestampMs: BigInt(T0),
      },
      0,
    ),
  )
  const rec = (offsetDelta: number, k: Buffer | null, v: Buffer | null) => ({ timestampDelta: 0, offsetDelta, key: k, value: v, headers: [] })
  writeFileSync(txnPath, await encodeBatch(createBatch({ records: [rec(0, key, value), rec(1, key, null)], baseTimestamp: BigInt(T0) })))
  const r = await dump('--files', txnPath, '--transaction-log-decoder')
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(
    recordLines(r.stdout).map((l) => l.slice(l.indexOf(' key: '))),
    [
      ' key: {"type":"0","data":{"transactionalId":"tx-1"}} payload: {"version":"0","data":{"producerId":4000,"producerEpoch":2,"transactionTimeoutMs":60000,"transactionStatus":1,"transactionPartitions":[{"topic":"orders","partitionIds":[0,2]}],"transactionLastUpdateTimestampMs":' +
        (T0 + 5) +
        ',"transactionStartTimestampMs":' +
        T0 +
        '}}',
      ' key: {"type":"0","data":{"transactionalId":"tx-1"}} payload: <DELETE>',
    ],
  )

  const groupDir = join(dir, 'offsets')
  mkdirSync(groupDir)
  const groupPath = join(groupDir, `${SEG}.log`)
  const commitKey = prefixed(1, OffsetCommitKey.encode({ group: 'g', topic: 't', partition: 3 }, 1))
  const member = {
    instanceId: null,
    rackId: null,
    clientId: 'c',
    clientHost: '/h',
    subscribedTopicNames: ['t'],
    subscribedTopicRegex: null,
    rebalanceTimeoutMs: 5000,
    serverAssignor: 'uniform',
  }
  const records = [
    rec(0, prefixed(99, Buffer.from('whatever')), Buffer.from('x')),
    rec(1, commitKey, prefixed(3, Buffer.from([0, 0]))),
    rec(2, commitKey, null),
    rec(3, prefixed(5, ConsumerGroupMemberMetadataKey.encode({ groupId: 'g', memberId: 'm' }, 5)), prefixed(0, ConsumerGroupMemberMetadataValue.encode(member, 0))),
  ]
  writeFileSync(groupPath, await encodeBatch(createBatch({ records, baseTimestamp: BigInt(T0) })))
  const g = await dump('--files', groupPath, '--offsets-decoder')
  assert.equal(g.code, 0, g.stderr)
  const lines = recordLines(g.stdout).map((l) => l.slice(l.indexOf(' key: ')))
  assert.equal(lines[0], ' key: Unknown record type 99 at offset 0, skipping.')
  assert.match(lines[1]!, /^ key: Error at offset 1, skipping\. Could not read record with version 3 from value's buffer due to: /)
  assert.equal(lines[2], ' key: {"type":"1","data":{"group":"g","topic":"t","partition":3}} payload: <DELETE>')
  // A tagged field at its default (no classic metadata) is left out, as Kafka's converters do.
  assert.equal(
    lines[3],
    ' key: {"type":"5","data":{"groupId":"g","memberId":"m"}} payload: {"version":"0","data":{"instanceId":null,"rackId":null,"clientId":"c","clientHost":"/h","subscribedTopicNames":["t"],"subscribedTopicRegex":null,"rebalanceTimeoutMs":5000,"serverAssignor":"uniform"}}',
  )
})

/** A magic-1 message as Kafka 0.10 wrote it (uncompressed). */
function v1Message(offset: number, timestamp: number, key: string, value: string): Buffer {
  const body = Buffer.alloc(1 + 1 + 8 + 4 + key.length + 4 + value.length)
  let at = body.writeInt8(1, 0)
  at = body.writeInt8(0, at)
  body.writeBigInt64BE(BigInt(timestamp), at)
  at += 8
  at = body.writeInt32BE(key.length, at)
  at += body.write(key, at)
  at = body.writeInt32BE(value.length, at)
  body.write(value, at)
  const head = Buffer.alloc(16)
  head.writeBigInt64BE(BigInt(offset), 0)
  head.writeInt32BE(4 + body.length, 8)
  head.writeUInt32BE(crc32(body), 12)
  return Buffer.concat([head, body])
}

test('v1 messages from old Kafka segments are shown with their own line layout and CRC check', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, '00000000000000000010.log')
  const m0 = v1Message(10, T0, 'a', 'b')
  const m1 = v1Message(11, T0 + 1, 'c', 'd')
  m1[m1.length - 1] = 'e'.charCodeAt(0) // corrupt: the CRC no longer matches
  writeFileSync(path, Buffer.concat([m0, m1]))
  const r = await dump('--files', path, '--print-data-log')
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(r.stdout.split('\n'), [
    `Dumping ${path}`,
    'Log starting offset: 10',
    `offset: 10 position: 0 CreateTime: ${T0} size: ${m0.length} magic: 1 compresscodec: none crc: ${m0.readUInt32BE(12)} isvalid: true`,
    `| offset: 10 CreateTime: ${T0} keySize: 1 valueSize: 1 isValid: true crc: ${m0.readUInt32BE(12)} key: a payload: b`,
    `offset: 11 position: ${m0.length} CreateTime: ${T0 + 1} size: ${m1.length} magic: 1 compresscodec: none crc: ${m1.readUInt32BE(12)} isvalid: false`,
    `| offset: 11 CreateTime: ${T0 + 1} keySize: 1 valueSize: 1 isValid: false crc: ${m1.readUInt32BE(12)} key: c payload: e`,
    '',
  ])
})

test('.txnindex entries are printed; an unknown entry version is reported (exit 1)', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, `${SEG}.txnindex`)
  const entry = (version: number, producerId: number, first: number, last: number, lso: number) => {
    const b = Buffer.alloc(34)
    b.writeInt16BE(version, 0)
    b.writeBigInt64BE(BigInt(producerId), 2)
    b.writeBigInt64BE(BigInt(first), 10)
    b.writeBigInt64BE(BigInt(last), 18)
    b.writeBigInt64BE(BigInt(lso), 26)
    return b
  }
  writeFileSync(path, Buffer.concat([entry(0, 7, 10, 15, 16), entry(0, 8, 20, 22, 30)]))
  const r = await dump('--files', path)
  assert.equal(r.code, 0, r.stderr)
  assert.equal(
    r.stdout,
    `Dumping ${path}\nversion: 0 producerId: 7 firstOffset: 10 lastOffset: 15 lastStableOffset: 16\nversion: 0 producerId: 8 firstOffset: 20 lastOffset: 22 lastStableOffset: 30\n`,
  )
  appendFileSync(path, entry(1, 9, 40, 41, 42))
  const bad = await dump('--files', path)
  assert.equal(bad.code, 1)
  assert.match(bad.stderr, /^Unexpected aborted transaction version 1 in transaction index .*, current version is 0$/m)
})

// ---- files and flags ----------------------------------------------------------------------------

test('a missing file or a directory gives one line on stderr, nothing on stdout, exit 1', async (t) => {
  const missing = join(tempDir(t), `${SEG}.log`)
  const r = await dump('--files', `${seg(PLAIN, '.log')},${missing}`)
  assert.equal(r.code, 1)
  assert.equal(r.stdout, '')
  assert.equal(r.stderr.trim().split('\n').length, 1)
  assert.ok(r.stderr.startsWith(`samsa dump-log: ${missing}: no such file`), r.stderr)

  const dir = await dump('--files', join(root, `${PLAIN}-0`))
  assert.equal(dir.code, 1)
  assert.equal(dir.stdout, '')
  assert.match(dir.stderr, /is not a file; name the segment files in it/)
})

test('leader-epoch-checkpoint entries are printed; unknown files are ignored with Kafka\'s line', async () => {
  const dir = join(root, `${PLAIN}-0`)
  const r = await dump('--files', [join(dir, 'leader-epoch-checkpoint'), join(dir, 'partition.metadata')].join(','))
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, `Dumping ${join(dir, 'leader-epoch-checkpoint')}\nepoch: 0 startOffset: 0\nDumping ${join(dir, 'partition.metadata')}\n`)
  assert.equal(r.stderr, `Ignoring unknown file ${join(dir, 'partition.metadata')}\n`)
})

test('producer state snapshots: one line per producer in Kafka\'s words; a damaged one is reported and exits 1', async (t) => {
  const dir = tempDir(t)
  const snapshot = join(dir, '00000000000000000042.snapshot')
  writeFileSync(
    snapshot,
    encodeSnapshot([
      new ProducerStateEntry({ producerId: 1000n, producerEpoch: 2, coordinatorEpoch: -1, lastTimestamp: T0, currentTxnFirstOffset: -1, batches: [{ lastSeq: 9, lastOffset: 41, offsetDelta: 4, timestamp: T0 }] }),
      new ProducerStateEntry({ producerId: 1001n, producerEpoch: 0, coordinatorEpoch: 3, lastTimestamp: T0 + 1, currentTxnFirstOffset: 30, batches: [] }),
    ]),
  )
  const r = await dump('--files', snapshot)
  assert.equal(r.code, 0, r.stderr)
  assert.equal(
    r.stdout,
    `Dumping ${snapshot}\n` +
      `producerId: 1000 producerEpoch: 2 coordinatorEpoch: -1 currentTxnFirstOffset: OptionalLong.empty lastTimestamp: ${T0} firstSequence: 5 lastSequence: 9 lastOffset: 41 offsetDelta: 4 timestamp: ${T0}\n` +
      `producerId: 1001 producerEpoch: 0 coordinatorEpoch: 3 currentTxnFirstOffset: OptionalLong[30] lastTimestamp: ${T0 + 1} \n`,
  )
  const bad = join(dir, `${SEG}.snapshot`)
  writeFileSync(bad, Buffer.alloc(10))
  const snap = await dump('--files', bad)
  assert.equal(snap.code, 1)
  assert.match(snap.stderr, new RegExp(`^${escape(bad)}: unknown snapshot version 0`, 'm'))
})

test('usage errors exit 2 with one line: no --files, unsupported decoders', async () => {
  const none = await dump()
  assert.equal(none.code, 2)
  assert.match(none.stderr, /--files/)
  for (const flag of ['--cluster-metadata-decoder', '--remote-log-metadata-decoder', '--share-group-state-decoder']) {
    const r = await dump('--files', seg(PLAIN, '.log'), flag)
    assert.equal(r.code, 2, flag)
    assert.match(r.stderr, new RegExp(`^samsa dump-log: ${flag} is not supported`))
  }
})

test('--help lists every flag', async () => {
  const r = await runCli(['dump-log', '--help'])
  assert.equal(r.code, 0)
  for (const flag of [
    '--files',
    '--print-data-log',
    '--deep-iteration',
    '--verify-index-only',
    '--index-sanity-check',
    '--max-message-size',
    '--max-bytes',
    '--key-decoder-class',
    '--value-decoder-class',
    '--offsets-decoder',
    '--transaction-log-decoder',
    '--skip-record-metadata',
    '--cluster-metadata-decoder',
  ]) {
    assert.ok(r.stdout.includes(flag), flag)
  }
})
