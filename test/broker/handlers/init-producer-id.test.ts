/**
 * InitProducerId (key 22) and idempotent Produce over a raw socket: distinct producer ids on
 * every version, ids never reused after a restart (blocks reserved in the metadata store),
 * Kafka's errors for empty / transactional ids, and Kafka's answers to duplicates, sequence
 * gaps and stale epochs, with nothing appended on a refusal.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker } from '../../../src/index.js'
import { ApiKey } from '../../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../../src/protocol/errors.js'
import { createBatch, encodeBatchSync } from '../../../src/protocol/records/batch.js'
import { createLogger } from '../../../src/util/logger.js'
import { RawClient } from '../../helpers/raw-client.js'
import { embeddedBroker } from '../helpers.js'
import { fetchAll, LATEST, listOffset } from '../../helpers/wire.js'

async function initProducerId(c: RawClient, version: number, transactionalId: string | null = null) {
  return c.request(ApiKey.InitProducerId, version, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })
}

function idempotent(producerId: bigint, epoch: number, seq: number, values: string[]): Buffer {
  const records = values.map((v, i) => ({ timestampDelta: 0, offsetDelta: i, key: null, value: Buffer.from(v), headers: [] }))
  return encodeBatchSync(createBatch({ baseTimestamp: BigInt(Date.now()), records, producerId, producerEpoch: epoch, baseSequence: seq }))
}

async function produce(c: RawClient, topic: string, records: Buffer) {
  const resp = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] })
  return resp.responses[0]!.partitionResponses[0]!
}

test('InitProducerId v0-5 without a transactional id: a new producer id, epoch 0, each time', async (t) => {
  const tb = await embeddedBroker(t)
  const c = await tb.client()
  const ids = new Set<bigint>()
  for (const v of [0, 1, 2, 3, 4, 5]) {
    const r = await initProducerId(c, v)
    assert.deepEqual([r.errorCode, r.producerEpoch], [ErrorCode.NONE, 0], `v${v}`)
    assert.ok(r.producerId >= 0n)
    ids.add(r.producerId)
  }
  // v3+ may name a producer id and epoch (KIP-360); without a transactional id Kafka ignores them.
  const again = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 1, producerId: [...ids][0]!, producerEpoch: 0 })
  ids.add(again.producerId)
  assert.equal(ids.size, 7)
  assert.equal((await initProducerId(c, 4, '')).errorCode, ErrorCode.INVALID_REQUEST)
})

test('producer ids are never handed out twice, across restarts: blocks are recorded in samsa-metadata.json first', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-pid-'))
  const logger = createLogger({ level: 'error' })
  try {
    const seen: bigint[] = []
    for (let run = 0; run < 2; run++) {
      const b = await startBroker({ logDirs: [dir], logger })
      const c = await RawClient.connect(b.port, b.host)
      for (let i = 0; i < 3; i++) seen.push((await initProducerId(c, 5)).producerId)
      c.close()
      await b.close()
      const stored = JSON.parse(readFileSync(join(dir, 'samsa-metadata.json'), 'utf8')) as { nextProducerId: number }
      assert.ok(BigInt(stored.nextProducerId) > seen.at(-1)!, 'the block is recorded before its ids are used')
    }
    assert.equal(new Set(seen).size, 6)
    assert.ok(seen[3]! > seen[2]!, 'the restarted broker continues after the recorded block')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('idempotent Produce: a duplicate gets the original offset, a gap OUT_OF_ORDER_SEQUENCE_NUMBER, an old epoch INVALID_PRODUCER_EPOCH; refusals append nothing', async (t) => {
  const tb = await embeddedBroker(t)
  await tb.b.broker.createTopic('idem', 1)
  const c = await tb.client()
  const pid = (await initProducerId(c, 4)).producerId
  assert.equal((await produce(c, 'idem', idempotent(pid, 0, 0, ['a', 'b']))).baseOffset, 0n)
  assert.equal((await produce(c, 'idem', idempotent(pid, 0, 2, ['c']))).baseOffset, 2n)
  const dup = await produce(c, 'idem', idempotent(pid, 0, 0, ['a', 'b']))
  assert.deepEqual([dup.errorCode, dup.baseOffset], [ErrorCode.NONE, 0n], 'a retry is answered with its first offset')
  const gap = await produce(c, 'idem', idempotent(pid, 0, 5, ['x']))
  assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  assert.match(gap.errorMessage ?? '', /5 \(incoming seq\. number\), 2 \(current end sequence number\)/)
  assert.equal((await produce(c, 'idem', idempotent(pid, 1, 0, ['e1']))).baseOffset, 3n, 'a new epoch starts at 0')
  assert.equal((await produce(c, 'idem', idempotent(pid, 0, 3, ['late']))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
  assert.equal((await produce(c, 'idem', idempotent(pid, 2, 7, ['bump']))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'a new epoch must start at sequence 0')
  assert.equal((await produce(c, 'idem', idempotent(pid, 1, -1, ['noseq']))).errorCode, ErrorCode.INVALID_RECORD)
  assert.equal((await listOffset(c, 'idem', 0, LATEST)).offset, 4n)
  const { records } = await fetchAll(c, 'idem', 0)
  assert.deepEqual(records.map((r) => r.value?.toString()), ['a', 'b', 'c', 'e1'])
})
