import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isStorageError } from '../../../src/storage/errors.js'
import { validateRecordBatches } from '../../../src/storage/log/validator.js'
import { buildBatch } from '../helpers/batches.js'

test('accepts whole v2 batches and summarises them without decoding records', () => {
  const buf = Buffer.concat([buildBatch({ records: 3, timestamp: 10, timestampStep: 5 }), buildBatch({ records: 2, timestamp: 100 })])
  const v = validateRecordBatches(buf)
  assert.deepEqual([v.batches.length, v.recordCount, v.offsetCount, v.maxTimestamp, v.hasControlBatch], [2, 5, 5, 100, false])
  assert.equal(v.batches[1]!.position, v.batches[0]!.size)
  assert.deepEqual(validateRecordBatches(Buffer.alloc(0)).batches, [])
})

test('rejects bad framing, CRC, magic, size and inconsistent counts with Kafka error names', () => {
  const good = buildBatch({ records: 2 })
  const expect = (buf: Buffer, code: Parameters<typeof isStorageError>[1], opts = {}) =>
    assert.throws(() => validateRecordBatches(buf, opts), (e) => isStorageError(e, code))
  expect(good.subarray(0, good.length - 1), 'CORRUPT_MESSAGE')
  expect(Buffer.concat([good, Buffer.alloc(30)]), 'CORRUPT_MESSAGE')
  const crc = Buffer.from(good)
  crc[good.length - 2]! ^= 1
  expect(crc, 'CORRUPT_MESSAGE')
  assert.doesNotThrow(() => validateRecordBatches(crc, { verifyCrc: false }))
  const magic = Buffer.from(good)
  magic[16] = 1
  expect(magic, 'UNSUPPORTED_FOR_MESSAGE_FORMAT')
  expect(good, 'MESSAGE_TOO_LARGE', { maxBatchBytes: good.length - 1 })
  const count = Buffer.from(good)
  count.writeInt32BE(5, 57)
  expect(count, 'INVALID_RECORD', { verifyCrc: false })
  assert.doesNotThrow(() => validateRecordBatches(count, { verifyCrc: false, fromClient: false }))
  expect(buildBatch({ records: 1, attributes: 0x20 }), 'INVALID_RECORD')
  assert.equal(validateRecordBatches(buildBatch({ records: 1, attributes: 0x20 }), { fromClient: false }).hasControlBatch, true)
})
