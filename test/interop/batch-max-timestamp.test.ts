/**
 * Regression: producers such as sarama before 1.45.1 send record batches whose header says
 * maxTimestamp = -1. Samsa kept the header value; once index.interval.bytes had passed, the
 * time index threw, the producer got UNKNOWN_SERVER_ERROR, and the half-done append broke the
 * partition for every client (kcat included) until a restart, after which the "failed"
 * records were in the log. Now the broker recomputes the max timestamp from the records, as
 * Kafka does, and an append that fails leaves no trace.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ErrorCode } from '../../src/protocol/errors.js'
import { CompressionCodec, computeBatchCrc, createBatch, encodeBatch } from '../../src/protocol/records/index.js'
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js'
import { RawClient } from '../helpers/raw-client.js'
import { hasCommand, requireTool, runTool } from '../helpers/tools.js'
import { createTopic, fetchAll, LATEST, listOffset, produceRaw } from '../helpers/wire.js'

const TOPIC = 'sarama-like'
const BATCHES = 40
const RECORDS = 5
const T0 = Date.now() - 3_600_000

/** Record j of batch i is at T0 + 1000 i + 10 j. */
const timestampOf = (i: number, j: number): number => T0 + i * 1000 + j * 10

/** A batch as sarama < 1.45.1 sends it: correct records, header maxTimestamp -1, CRC over that. */
async function saramaBatch(i: number): Promise<Buffer> {
  const records = Array.from({ length: RECORDS }, (_, j) => ({
    timestampDelta: timestampOf(i, j) - timestampOf(i, 0),
    offsetDelta: j,
    key: Buffer.from(`key-${i}-${j}`),
    value: Buffer.from(`batch ${i} record ${j} `.padEnd(100, '.')),
    headers: [],
  }))
  const buf = await encodeBatch(createBatch({ baseTimestamp: BigInt(timestampOf(i, 0)), records }), {
    compression: i % 4 === 3 ? CompressionCodec.Gzip : CompressionCodec.None,
  })
  buf.writeBigInt64BE(-1n, 35)
  buf.writeUInt32BE(computeBatchCrc(buf, 0), 17)
  return buf
}

async function kcat(args: string[], input?: string) {
  return runTool('kcat', args, { ...(input !== undefined ? { input } : {}), timeoutMs: 30_000 })
}

/** Every record as kcat sees it: "offset key value" lines. */
async function consumeWithKcat(bootstrap: string): Promise<string[]> {
  const r = await kcat(['-C', '-b', bootstrap, '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %k %s\n', '-m', '10'])
  assert.equal(r.code, 0, r.stderr)
  return r.stdout.split('\n').filter((l) => l.length > 0)
}

test('batches with header maxTimestamp -1 are stored with their real max timestamp; kcat, ListOffsets and a restart all agree', async (t) => {
  if (!requireTool(t, 'kcat', () => hasCommand('kcat', ['-V']))) return
  const logDir = mkdtempSync(join(tmpdir(), 'samsa-maxts-'))
  const brokers: BrokerProcess[] = []
  t.after(async () => {
    for (const b of brokers) await b.stop('SIGKILL')
    rmSync(logDir, { recursive: true, force: true })
  })
  const first = await startBrokerProcess({ logDir })
  brokers.push(first)
  const c = await RawClient.connect(first.port, first.host)
  t.after(() => c.close())
  assert.equal((await createTopic(c, TOPIC, 1)).errorCode, ErrorCode.NONE)

  // 40 batches of ~600 bytes pass index.interval.bytes (4096) several times over.
  for (let i = 0; i < BATCHES; i++) {
    const resp = await produceRaw(c, TOPIC, 0, await saramaBatch(i))
    assert.equal(resp.errorCode, ErrorCode.NONE, `batch ${i}: ${resp.errorMessage}`)
    assert.equal(resp.baseOffset, BigInt(i * RECORDS), `batch ${i}: offsets dense`)
  }

  // Other clients keep working on the partition.
  const produced = await kcat(['-P', '-b', first.bootstrap, '-t', TOPIC, '-p', '0', '-K', ':', '-m', '10'], 'kk1:after 1\nkk2:after 2\nkk3:after 3\n')
  assert.equal(produced.code, 0, `kcat produce: ${produced.stderr}`)
  const expected = Array.from({ length: BATCHES * RECORDS }, (_, n) => {
    const [i, j] = [Math.floor(n / RECORDS), n % RECORDS]
    return `${n} key-${i}-${j} batch ${i} record ${j} `
  })
  const check = async (bootstrap: string, client: RawClient, when: string): Promise<void> => {
    const lines = await consumeWithKcat(bootstrap)
    assert.equal(lines.length, BATCHES * RECORDS + 3, `${when}: record count`)
    lines.forEach((l, n) => assert.ok(l.startsWith(`${n} `), `${when}: offset ${n} in "${l}"`))
    for (let n = 0; n < BATCHES * RECORDS; n++) assert.ok(lines[n]!.startsWith(expected[n]!), `${when}: record ${n}: ${lines[n]}`)
    assert.deepEqual(lines.slice(-3), [`${BATCHES * RECORDS} kk1 after 1`, `${BATCHES * RECORDS + 1} kk2 after 2`, `${BATCHES * RECORDS + 2} kk3 after 3`], when)

    const { batches } = await fetchAll(client, TOPIC, 0)
    for (let i = 0; i < BATCHES; i++) assert.equal(batches[i]!.maxTimestamp, BigInt(timestampOf(i, RECORDS - 1)), `${when}: stored max timestamp of batch ${i}`)

    // ListOffsets by timestamp finds the first record at or after the time, to the record.
    for (const [i, j] of [[0, 0], [10, 2], [25, 4], [39, 3]] as const) {
      const hit = await listOffset(client, TOPIC, 0, BigInt(timestampOf(i, j)))
      assert.equal(hit.errorCode, ErrorCode.NONE)
      assert.equal(hit.offset, BigInt(i * RECORDS + j), `${when}: offset for the time of batch ${i} record ${j}`)
      assert.equal(hit.timestamp, BigInt(timestampOf(i, j)))
    }
    const between = await listOffset(client, TOPIC, 0, BigInt(timestampOf(7, 4) + 1))
    assert.equal(between.offset, BigInt(8 * RECORDS), `${when}: a time between batches gives the next batch`)
    assert.equal((await listOffset(client, TOPIC, 0, LATEST)).offset, BigInt(BATCHES * RECORDS + 3), `${when}: log end`)
  }
  await check(first.bootstrap, c, 'before the restart')

  // A crash (no clean shutdown): recovery rescans the log and finds exactly the same records.
  await first.stop('SIGKILL')
  const second = await startBrokerProcess({ logDir })
  brokers.push(second)
  const c2 = await RawClient.connect(second.port, second.host)
  t.after(() => c2.close())
  await check(second.bootstrap, c2, 'after the restart')
  assert.doesNotMatch(second.stderr(), /truncat|torn|recovering/i, 'recovery cut nothing')
})
