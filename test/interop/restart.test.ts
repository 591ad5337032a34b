/**
 * Restart: records a broker acknowledged survive a stop (SIGTERM) or a crash (SIGKILL) while
 * producers are busy, and the restarted broker continues the offsets where the log ends.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ErrorCode } from '../../src/protocol/errors.js'
import { CompressionCodec, createBatch, encodeBatch, type BatchRecord } from '../../src/protocol/records/index.js'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { RawClient } from '../helpers/raw-client.js'
import { anomalyCount, checkHistory, describeReport, type Attempt, type ReadRecord } from '../helpers/history-checker.js'
import { EARLIEST, fetchAll, LATEST, listOffset, produceRaw, topicMetadata, waitFor, type FetchedRecord } from '../helpers/wire.js'

const TOPIC = 'restart-topic'
const PARTITIONS = 2

interface SentBatch {
  partition: number
  /** Assigned by the broker when acknowledged. */
  baseOffset?: bigint
  records: BatchRecord[]
  baseTimestamp: bigint
}

function makeBatch(partition: number, seq: number): SentBatch {
  const baseTimestamp = BigInt(Date.now() - 10_000)
  const records = Array.from({ length: 1 + (seq % 9) }, (_, i) => ({
    timestampDelta: i * 2,
    offsetDelta: i,
    key: i === 3 ? null : Buffer.from(`p${partition}-b${seq}-k${i}`),
    value: Buffer.from(`value of batch ${seq} record ${i} on ${partition} ${'r'.repeat((seq * 31 + i) % 500)}`),
    headers: [{ key: 'batch', value: Buffer.from(String(seq)) }, { key: 'empty', value: null }],
  }))
  return { partition, records, baseTimestamp }
}

/** One producer per partition, each on its own connection, sending batches (every third gzip) until stopped. */
async function producerLoop(port: number, host: string, partition: number, acked: SentBatch[], inFlight: Map<number, SentBatch>, until: () => boolean): Promise<void> {
  const c = await RawClient.connect(port, host)
  try {
    for (let seq = 0; !until(); seq++) {
      const batch = makeBatch(partition, seq)
      const bytes = await encodeBatch(createBatch({ baseTimestamp: batch.baseTimestamp, records: batch.records }), {
        compression: seq % 3 === 2 ? CompressionCodec.Gzip : CompressionCodec.None,
      })
      inFlight.set(partition, batch)
      let resp
      try {
        resp = await produceRaw(c, TOPIC, partition, bytes, { acks: 1 })
      } catch {
        return // the broker went away with this request unanswered
      }
      assert.equal(resp.errorCode, ErrorCode.NONE, `produce to ${partition}: ${resp.errorMessage}`)
      inFlight.delete(partition)
      acked.push({ ...batch, baseOffset: resp.baseOffset })
    }
  } finally {
    c.close()
  }
}

/** The history checker's view: one attempt per record sent (acknowledged, or the unanswered batch). */
function attemptsOf(acked: SentBatch[], unanswered: Map<number, SentBatch>): Attempt[] {
  const out: Attempt[] = []
  const seq = (b: SentBatch) => Number(/batch (\d+) /.exec(b.records[0]!.value!.toString())![1])
  for (const b of acked) b.records.forEach((_, i) => out.push({ id: idOf(b.partition, seq(b), i), partition: b.partition, seq: seq(b) * 100 + i, status: 'acked', offset: Number(b.baseOffset!) + i }))
  for (const b of unanswered.values()) b.records.forEach((_, i) => out.push({ id: idOf(b.partition, seq(b), i), partition: b.partition, seq: seq(b) * 100 + i, status: 'unknown' }))
  return out
}

function idOf(partition: number, seq: number, i: number): string {
  return `p${partition}-b${seq}-r${i}`
}

function readOf(partition: number, r: FetchedRecord): ReadRecord {
  const m = /^value of batch (\d+) record (\d+) on (\d+) /.exec(r.value?.toString() ?? '')
  return { partition, offset: Number(r.offset), id: m ? idOf(Number(m[3]), Number(m[1]), Number(m[2])) : null }
}

function sameRecord(got: FetchedRecord, batch: SentBatch, i: number, where: string): void {
  const r = batch.records[i]!
  assert.equal(got.offset, batch.baseOffset! + BigInt(i), `${where}: offset`)
  assert.deepEqual(got.key, r.key, `${where}: key`)
  assert.deepEqual(got.value, r.value, `${where}: value`)
  assert.deepEqual(got.headers, r.headers, `${where}: headers`)
  assert.equal(got.timestamp, batch.baseTimestamp + BigInt(r.timestampDelta), `${where}: timestamp`)
}

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`after ${signal} mid-production, a restart keeps every acknowledged record and offsets continue`, async (t) => {
    const logDir = mkdtempSync(join(tmpdir(), 'samsa-restart-'))
    const brokers: BrokerProcess[] = []
    t.after(async () => {
      for (const b of brokers) await b.stop('SIGKILL')
      rmSync(logDir, { recursive: true, force: true })
    })
    const overrides = { 'num.partitions': String(PARTITIONS), 'log.segment.bytes': '65536' }
    const first = await startBrokerProcess({ logDir, overrides })
    brokers.push(first)
    const admin = await RawClient.connect(first.port, first.host)
    t.after(() => admin.close())
    const created = await waitFor(async () => {
      const [md] = await topicMetadata(admin, [TOPIC], true)
      return md && md.errorCode === ErrorCode.NONE && md.partitions.length === PARTITIONS ? md : undefined
    }, `auto-creation of ${TOPIC}`)

    // Produce on both partitions; once 150 batches are acknowledged, stop the broker under load.
    const acked: SentBatch[] = []
    const inFlight = new Map<number, SentBatch>()
    let stopped = false
    const loops = Array.from({ length: PARTITIONS }, (_, p) => producerLoop(first.port, first.host, p, acked, inFlight, () => stopped))
    await waitFor(() => acked.length >= 150, '150 acknowledged batches', 60_000, 5)
    const exit = await first.stop(signal)
    stopped = true
    await Promise.all(loops)
    assert.deepEqual(exit, signal === 'SIGTERM' ? { code: 0, signal: null } : { code: null, signal: 'SIGKILL' }, first.stderr())
    const unanswered = new Map(inFlight)

    const second = await startBrokerProcess({ logDir, overrides: { ...overrides, 'auto.create.topics.enable': 'false' } })
    brokers.push(second)
    const c = await RawClient.connect(second.port, second.host)
    t.after(() => c.close())
    const [md] = await topicMetadata(c, [TOPIC])
    assert.equal(md!.errorCode, ErrorCode.NONE, 'the topic is still known')
    assert.equal(md!.topicId, created.topicId, 'with the same topic id')
    assert.equal(md!.partitions.length, PARTITIONS)

    const reads: ReadRecord[] = []
    for (let p = 0; p < PARTITIONS; p++) reads.push(...(await fetchAll(c, TOPIC, p)).records.map((r) => readOf(p, r)))
    const report = checkHistory(attemptsOf(acked, unanswered), reads)
    assert.equal(anomalyCount(report), 0, describeReport(report))

    for (let p = 0; p < PARTITIONS; p++) {
      const mine = acked.filter((b) => b.partition === p).sort((x, y) => Number(x.baseOffset! - y.baseOffset!))
      const ackedEnd = mine.reduce((n, b) => n + BigInt(b.records.length), 0n)
      const { records, highWatermark } = await fetchAll(c, TOPIC, p)
      // Offsets are dense from 0 and every acknowledged batch is there, record for record.
      records.forEach((r, i) => assert.equal(r.offset, BigInt(i), `partition ${p}: offsets dense`))
      let next = 0n
      for (const b of mine) {
        assert.equal(b.baseOffset, next, `partition ${p}: acknowledged batches are contiguous`)
        b.records.forEach((_, i) => sameRecord(records[Number(b.baseOffset!) + i]!, b, i, `partition ${p} offset ${b.baseOffset! + BigInt(i)}`))
        next += BigInt(b.records.length)
      }
      // Past the acknowledged end there is at most the one request the broker never answered, whole.
      const extra = records.length - Number(ackedEnd)
      if (extra > 0) {
        const pending = unanswered.get(p)
        assert.ok(pending && pending.records.length === extra, `partition ${p}: ${extra} unacknowledged record(s) can only be the unanswered batch`)
        pending.baseOffset = ackedEnd
        pending.records.forEach((_, i) => sameRecord(records[Number(ackedEnd) + i]!, pending, i, `partition ${p} unanswered batch`))
      }
      assert.equal(highWatermark, BigInt(records.length), `partition ${p}: high watermark is the log end`)
      assert.equal((await listOffset(c, TOPIC, p, EARLIEST)).offset, 0n)
      assert.equal((await listOffset(c, TOPIC, p, LATEST)).offset, BigInt(records.length))

      // New records continue at the log end.
      const more = makeBatch(p, 1000)
      const resp = await produceRaw(c, TOPIC, p, await encodeBatch(createBatch({ baseTimestamp: more.baseTimestamp, records: more.records })))
      assert.equal(resp.errorCode, ErrorCode.NONE)
      assert.equal(resp.baseOffset, BigInt(records.length), `partition ${p}: offsets continue after the restart`)
      more.baseOffset = resp.baseOffset
      const after = await fetchAll(c, TOPIC, p, resp.baseOffset)
      assert.equal(after.records.length, more.records.length)
      after.records.forEach((r, i) => sameRecord(r, more, i, `partition ${p} after restart`))
    }
    assert.equal(second.proc.exitCode, null, 'restarted broker still running')
  })
}
