/**
 * The named offsets of batch-header.ts against batches the record layer encodes: each names
 * the field the batch's own values were written to, the v2 fields tile the 61-byte header
 * without gaps, and the v0/v1 message offsets match a message written field by field.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  HEADER_SIZE_UP_TO_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LEGACY_ATTRIBUTES_OFFSET,
  LEGACY_CRC_OFFSET,
  LEGACY_TIMESTAMP_OFFSET,
  LEGACY_V0_MIN_LENGTH,
  LEGACY_V1_MIN_LENGTH,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAGIC_V2,
  MAX_TIMESTAMP_OFFSET,
  MIN_BATCH_LENGTH,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_COUNT_OFFSET,
  computeBatchCrc,
  readBatchHeader,
} from '../../../src/protocol/records/batch-header.js'
import { encodeBatch, TimestampType } from '../../../src/protocol/records/batch.js'
import { decodeLegacyMessages } from '../../../src/protocol/records/legacy.js'
import { batch } from './arbitraries.js'

test('batch header: every named offset reads back the field encodeBatch wrote there', async () => {
  await fc.assert(
    fc.asyncProperty(batch(), async (b) => {
      const buf = await encodeBatch(b)
      assert.equal(buf.readBigInt64BE(BASE_OFFSET_OFFSET), b.baseOffset)
      assert.equal(LOG_OVERHEAD + buf.readInt32BE(BATCH_LENGTH_OFFSET), buf.length)
      assert.equal(buf.readInt32BE(PARTITION_LEADER_EPOCH_OFFSET), b.partitionLeaderEpoch)
      assert.equal(buf.readInt8(MAGIC_OFFSET), MAGIC_V2)
      assert.equal(buf.readUInt32BE(CRC_OFFSET), computeBatchCrc(buf))
      const attributes = buf.readInt16BE(ATTRIBUTES_OFFSET)
      assert.equal(attributes & ATTR_COMPRESSION_MASK, b.compression)
      assert.equal((attributes & ATTR_TIMESTAMP_TYPE) !== 0, b.timestampType === TimestampType.LogAppendTime)
      assert.equal((attributes & ATTR_TRANSACTIONAL) !== 0, b.isTransactional)
      assert.equal((attributes & ATTR_CONTROL) !== 0, b.isControl)
      assert.equal((attributes & ATTR_DELETE_HORIZON) !== 0, b.hasDeleteHorizon)
      assert.equal(buf.readInt32BE(LAST_OFFSET_DELTA_OFFSET), b.lastOffsetDelta)
      assert.equal(buf.readBigInt64BE(BASE_TIMESTAMP_OFFSET), b.baseTimestamp)
      assert.equal(buf.readBigInt64BE(MAX_TIMESTAMP_OFFSET), b.maxTimestamp)
      assert.equal(buf.readBigInt64BE(PRODUCER_ID_OFFSET), b.producerId)
      assert.equal(buf.readInt16BE(PRODUCER_EPOCH_OFFSET), b.producerEpoch)
      assert.equal(buf.readInt32BE(BASE_SEQUENCE_OFFSET), b.baseSequence)
      assert.equal(buf.readInt32BE(RECORD_COUNT_OFFSET), b.records.length)
      const h = readBatchHeader(buf)
      assert.deepEqual([h.baseOffset, h.producerId, h.baseSequence, h.recordCount], [b.baseOffset, b.producerId, b.baseSequence, b.records.length])
    }),
    { numRuns: 100 },
  )
})

test('batch header: the v2 fields tile the header in order, records start right after it', () => {
  const fields: Array<[string, number, number]> = [
    ['baseOffset', BASE_OFFSET_OFFSET, 8],
    ['batchLength', BATCH_LENGTH_OFFSET, 4],
    ['partitionLeaderEpoch', PARTITION_LEADER_EPOCH_OFFSET, 4],
    ['magic', MAGIC_OFFSET, 1],
    ['crc', CRC_OFFSET, 4],
    ['attributes', ATTRIBUTES_OFFSET, 2],
    ['lastOffsetDelta', LAST_OFFSET_DELTA_OFFSET, 4],
    ['baseTimestamp', BASE_TIMESTAMP_OFFSET, 8],
    ['maxTimestamp', MAX_TIMESTAMP_OFFSET, 8],
    ['producerId', PRODUCER_ID_OFFSET, 8],
    ['producerEpoch', PRODUCER_EPOCH_OFFSET, 2],
    ['baseSequence', BASE_SEQUENCE_OFFSET, 4],
    ['recordCount', RECORD_COUNT_OFFSET, 4],
  ]
  let next = 0
  for (const [name, offset, width] of fields) {
    assert.equal(offset, next, `${name} starts where the field before it ends`)
    next = offset + width
  }
  assert.equal(BATCH_HEADER_SIZE, next)
  assert.equal(LOG_OVERHEAD, BATCH_LENGTH_OFFSET + 4)
  assert.equal(HEADER_SIZE_UP_TO_MAGIC, MAGIC_OFFSET + 1)
  assert.equal(MIN_BATCH_LENGTH, BATCH_HEADER_SIZE - LOG_OVERHEAD)
})

/** A v0/v1 message written field by field, as Kafka's LegacyRecord lays it out. */
function legacyMessage(magic: 0 | 1, o: { offset: bigint; attributes: number; timestamp: bigint; key: Buffer | null; value: Buffer | null }): Buffer {
  const parts: Buffer[] = []
  const int = (n: number, bytes: 1 | 4) => {
    const b = Buffer.alloc(bytes)
    if (bytes === 1) b.writeInt8(n)
    else b.writeInt32BE(n)
    parts.push(b)
  }
  int(magic, 1)
  int(o.attributes, 1)
  if (magic === 1) {
    const ts = Buffer.alloc(8)
    ts.writeBigInt64BE(o.timestamp)
    parts.push(ts)
  }
  for (const field of [o.key, o.value]) {
    int(field === null ? -1 : field.length, 4)
    if (field) parts.push(field)
  }
  const body = Buffer.concat(parts)
  const head = Buffer.alloc(16)
  head.writeBigInt64BE(o.offset, 0)
  head.writeInt32BE(4 + body.length, 8)
  // Any CRC will do: the offsets are what is checked, and decoding below skips the check.
  head.writeUInt32BE(0xdeadbeef, 12)
  return Buffer.concat([head, body])
}

test('batch header: the v0/v1 message offsets and minimum lengths match a message written field by field', () => {
  const v0 = legacyMessage(0, { offset: 3n, attributes: 0, timestamp: -1n, key: null, value: null })
  assert.equal(v0.readInt32BE(BATCH_LENGTH_OFFSET), LEGACY_V0_MIN_LENGTH)
  const v1Empty = legacyMessage(1, { offset: 3n, attributes: 0, timestamp: 0n, key: null, value: null })
  assert.equal(v1Empty.readInt32BE(BATCH_LENGTH_OFFSET), LEGACY_V1_MIN_LENGTH)

  const v1 = legacyMessage(1, { offset: 9n, attributes: ATTR_TIMESTAMP_TYPE, timestamp: 1_700_000_000_123n, key: Buffer.from('k'), value: Buffer.from('v') })
  assert.equal(v1.readUInt32BE(LEGACY_CRC_OFFSET), 0xdeadbeef)
  assert.equal(v1.readInt8(MAGIC_OFFSET), 1)
  assert.equal(v1.readInt8(LEGACY_ATTRIBUTES_OFFSET), ATTR_TIMESTAMP_TYPE)
  assert.equal(v1.readBigInt64BE(LEGACY_TIMESTAMP_OFFSET), 1_700_000_000_123n)
  const [m] = decodeLegacyMessages(v1, { verifyCrc: false })
  assert.deepEqual([m!.offset, m!.timestamp, m!.timestampType, m!.key, m!.value], [9n, 1_700_000_000_123n, TimestampType.LogAppendTime, Buffer.from('k'), Buffer.from('v')])
})
