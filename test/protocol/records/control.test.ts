import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, readBatchHeader } from '../../../src/protocol/records/batch-header.js'
import { createBatch, decodeBatch, encodeBatch } from '../../../src/protocol/records/batch.js'
import {
  ControlRecordType,
  createEndTxnBatch,
  decodeControlKey,
  decodeEndTxnMarker,
  encodeControlKey,
  encodeEndTxnMarker,
  readEndTxnMarker,
} from '../../../src/protocol/records/control.js'
import { RecordsError } from '../../../src/protocol/records/errors.js'

const isRecordsError = (code: string) => (e: unknown) => e instanceof RecordsError && e.code === code

test('control key and transaction marker bytes', () => {
  assert.deepEqual(encodeControlKey({ version: 0, type: ControlRecordType.Commit }), Buffer.from('00000001', 'hex'))
  assert.deepEqual(encodeEndTxnMarker({ version: 0, coordinatorEpoch: 258 }), Buffer.from('000000000102', 'hex'))
  assert.deepEqual(decodeControlKey(Buffer.from('00000000', 'hex')), { version: 0, type: ControlRecordType.Abort })
  // Later versions may append fields; what version 0 defines is still read.
  assert.deepEqual(decodeEndTxnMarker(Buffer.from('0001ffffffff00', 'hex')), { version: 1, coordinatorEpoch: -1 })
  assert.throws(() => decodeControlKey(Buffer.from('0000', 'hex')), isRecordsError('invalid-control-record'))
  assert.throws(() => decodeControlKey(null), isRecordsError('invalid-control-record'))
  assert.throws(() => decodeEndTxnMarker(Buffer.from('00000001', 'hex')), isRecordsError('invalid-control-record'))
})

test('commit and abort marker batches round trip', async () => {
  for (const commit of [true, false]) {
    const b = createEndTxnBatch({ commit, producerId: 77n, producerEpoch: 2, coordinatorEpoch: 5, timestamp: 1_700_000_000_000n, baseOffset: 40n })
    const buf = await encodeBatch(b)
    const h = readBatchHeader(buf)
    assert.equal(h.attributes, ATTR_TRANSACTIONAL | ATTR_CONTROL)
    assert.equal(h.recordCount, 1)
    assert.equal(h.baseSequence, -1)
    const d = await decodeBatch(buf)
    assert.deepEqual(readEndTxnMarker(d), { commit, coordinatorEpoch: 5 })
    assert.equal(d.baseOffset, 40n)
    assert.equal(d.producerId, 77n)
  }
})

test('readEndTxnMarker ignores data batches and other control types', async () => {
  const data = createBatch({ baseTimestamp: 0n, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: null, headers: [] }] })
  assert.equal(readEndTxnMarker(data), null)
  const leaderChange = createBatch({
    baseTimestamp: 0n,
    isControl: true,
    records: [
      {
        timestampDelta: 0,
        offsetDelta: 0,
        key: encodeControlKey({ version: 0, type: ControlRecordType.LeaderChange }),
        value: Buffer.from('opaque'),
        headers: [],
      },
    ],
  })
  assert.equal(readEndTxnMarker(await decodeBatch(await encodeBatch(leaderChange))), null)
})
