/**
 * Retention against a real broker process: old segments go (by retention.bytes and by
 * retention.ms), the earliest offset moves, and clients reading the partition keep going.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ErrorCode } from '../../src/protocol/errors.js'
import { createBatch, encodeBatchSync } from '../../src/protocol/records/index.js'
import { startBrokerProcess } from '../helpers/broker-process.js'
import { RawClient } from '../helpers/raw-client.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'
import { createTopic, EARLIEST, fetchAll, fetchOnce, LATEST, listOffset, produceRaw, topicMetadata, waitFor } from '../helpers/wire.js'

const SEGMENT_BYTES = 4096
const RETENTION_BYTES = 16384

/** A one-record batch of about 930 bytes: four fill a 4 KiB segment, a fifth rolls it. */
function batch(n: number, timestamp: number): Buffer {
  return encodeBatchSync(
    createBatch({
      baseTimestamp: BigInt(timestamp),
      records: [{ timestampDelta: 0, offsetDelta: 0, key: Buffer.from(`k${n}`), value: Buffer.alloc(850, 97 + (n % 26)), headers: [] }],
    }),
  )
}

/** .log files of a partition directory: base offsets (from the names) and total bytes. */
function segmentFiles(dir: string): { bases: number[]; bytes: number } {
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log'))
  return { bases: logs.map((f) => Number(f.slice(0, -4))).sort((a, b) => a - b), bytes: logs.reduce((n, f) => n + statSync(join(dir, f)).size, 0) }
}

test('retention.bytes deletes old segments while a tailing kcat consumer keeps reading; the earliest offset moves', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const size = batch(0, Date.now()).length
  assert.ok(4 * size <= SEGMENT_BYTES && 5 * size > SEGMENT_BYTES, `batch size ${size} fits four to a segment`)
  const b = await startBrokerProcess({
    overrides: {
      'log.segment.bytes': String(SEGMENT_BYTES),
      'log.retention.bytes': String(RETENTION_BYTES),
      'log.retention.check.interval.ms': '100',
      'log.segment.delete.delay.ms': '0',
    },
  })
  t.after(() => b.stop())
  const c = await RawClient.connect(b.port, b.host)
  t.after(() => c.close())
  const topic = 'retain-bytes'
  await waitFor(async () => (await topicMetadata(c, [topic], true))[0]?.errorCode === ErrorCode.NONE, `auto-creation of ${topic}`)

  // A consumer tailing partition 0 from the beginning. auto.offset.reset=error: if retention
  // ever pulled the ground from under it, it would stop instead of silently skipping ahead.
  const tail = spawn('kcat', ['-C', '-b', b.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-u', '-f', '%o %k\n', '-X', 'auto.offset.reset=error'], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => tail.kill('SIGKILL'))
  let seen = ''
  let tailErr = ''
  tail.stdout.setEncoding('utf8').on('data', (s: string) => (seen += s))
  tail.stderr.setEncoding('utf8').on('data', (s: string) => (tailErr += s))
  const consumedOffsets = () => seen.split('\n').filter((l) => l).map((l) => Number(l.split(' ')[0]))
  const tailCaughtUp = (end: number) => waitFor(() => consumedOffsets().at(-1) === end - 1, `kcat to reach offset ${end - 1}; it printed ${consumedOffsets().slice(-3)} stderr: ${tailErr}`)

  // Produce a segment's worth at a time and let the consumer catch up, so it is never more than
  // one segment behind while retention keeps at least four.
  let n = 0
  const produceSegment = async () => {
    for (let i = 0; i < 4; i++, n++) {
      const r = await produceRaw(c, topic, 0, batch(n, Date.now()))
      assert.equal(r.errorCode, ErrorCode.NONE)
      assert.equal(r.baseOffset, BigInt(n))
    }
    await tailCaughtUp(n)
  }
  for (let s = 0; s < 10; s++) await produceSegment()
  const earliest = await waitFor(async () => {
    const o = (await listOffset(c, topic, 0, EARLIEST)).offset!
    return o > 0n ? o : undefined
  }, 'retention to move the earliest offset')
  // Keep producing after deletions: the tailing consumer must see every new record too.
  for (let s = 0; s < 3; s++) await produceSegment()
  assert.deepEqual(consumedOffsets(), Array.from({ length: n }, (_, i) => i), 'the tailing consumer saw every offset once, in order')
  assert.equal(tail.exitCode, null, `tailing kcat still running; stderr: ${tailErr}`)

  // Retention settled: at least retention.bytes kept, less than that plus one segment.
  const dir = join(b.logDir, `${topic}-0`)
  const start = await waitFor(async () => {
    const e = Number((await listOffset(c, topic, 0, EARLIEST)).offset)
    const files = segmentFiles(dir)
    return files.bases[0] === e && files.bytes - SEGMENT_BYTES < RETENTION_BYTES ? e : undefined
  }, 'segment files below the earliest offset to be removed')
  assert.ok(start >= Number(earliest))
  const files = segmentFiles(dir)
  assert.ok(files.bytes >= RETENTION_BYTES, `${files.bytes} bytes kept, at least retention.bytes`)
  assert.equal((await listOffset(c, topic, 0, LATEST)).offset, BigInt(n))

  // A new consumer from the beginning starts at the earliest offset and reads to the end.
  const fresh = await runTool('kcat', ['-C', '-b', b.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%o %k\n'])
  assert.equal(fresh.code, 0, fresh.stderr)
  const lines = fresh.stdout.split('\n').filter((l) => l)
  assert.deepEqual(lines, Array.from({ length: n - start }, (_, i) => `${start + i} k${start + i}`))

  // Fetching below it is OFFSET_OUT_OF_RANGE, and the response says where the log starts.
  const below = await fetchOnce(c, topic, 0, 0n)
  assert.equal(below.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
  assert.equal(below.logStartOffset, BigInt(start))
  assert.equal(b.proc.exitCode, null, 'broker still running')
})

test('retention.ms (a topic config) deletes segments whose records are all older than the limit, and keeps the rest', async (t) => {
  const b = await startBrokerProcess({ overrides: { 'log.retention.check.interval.ms': '100', 'log.segment.delete.delay.ms': '0' } })
  t.after(() => b.stop())
  const c = await RawClient.connect(b.port, b.host)
  t.after(() => c.close())
  const topic = 'retain-time'
  const created = await createTopic(c, topic, 1, { 'retention.ms': '3600000', 'segment.bytes': String(SEGMENT_BYTES) })
  assert.equal(created.errorCode, ErrorCode.NONE, created.errorMessage ?? '')

  // Eight two-hour-old records over two segments: all of them expire, the active segment too
  // (the log rolls first, as Kafka's does), however retention's runs fall between the appends.
  const old = Date.now() - 2 * 3_600_000
  for (let i = 0; i < 8; i++) assert.equal((await produceRaw(c, topic, 0, batch(i, old + i))).errorCode, ErrorCode.NONE)
  const earliest = await waitFor(async () => {
    const o = (await listOffset(c, topic, 0, EARLIEST)).offset!
    return o === 8n ? o : undefined
  }, 'retention.ms to delete every old record')
  assert.equal(earliest, 8n)

  // A segment whose newest record is current stays, even with an old record beside it.
  const mixed = encodeBatchSync(
    createBatch({
      baseTimestamp: BigInt(old),
      records: [
        { timestampDelta: 0, offsetDelta: 0, key: Buffer.from('k8'), value: Buffer.from('old'), headers: [] },
        { timestampDelta: Date.now() - old, offsetDelta: 1, key: Buffer.from('k9'), value: Buffer.from('new'), headers: [] },
      ],
    }),
  )
  assert.equal((await produceRaw(c, topic, 0, mixed)).baseOffset, 8n)
  for (let i = 10; i < 12; i++) assert.equal((await produceRaw(c, topic, 0, batch(i, Date.now()))).baseOffset, BigInt(i))
  await new Promise((r) => setTimeout(r, 600)) // several retention runs
  assert.equal((await listOffset(c, topic, 0, EARLIEST)).offset, 8n, 'segments with current records stay')
  const { records } = await fetchAll(c, topic, 0, 8n)
  assert.deepEqual(records.map((r) => [Number(r.offset), r.key!.toString()]), [8, 9, 10, 11].map((o) => [o, `k${o}`]))
  await waitFor(() => segmentFiles(join(b.logDir, `${topic}-0`)).bases[0] === 8, 'old segment files to be removed')
  assert.equal(b.proc.exitCode, null, 'broker still running')
})
