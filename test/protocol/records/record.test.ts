import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { RecordsError } from '../../../src/protocol/records/errors.js'
import { decodeRecord, encodeRecord, recordSize, type BatchRecord } from '../../../src/protocol/records/record.js'
import { normalizeRecord, record } from './arbitraries.js'

const isRecordsError = (code?: string) => (e: unknown) => e instanceof RecordsError && (code === undefined || e.code === code)

test('record round trip', () => {
  fc.assert(
    fc.property(record(), (r) => {
      const buf = encodeRecord(r)
      assert.equal(buf.length, recordSize(r))
      assert.deepEqual(decodeRecord(buf), normalizeRecord(r))
    }),
    { numRuns: 300 },
  )
})

test('record bytes match the format spec', () => {
  const r: BatchRecord = {
    timestampDelta: 1,
    offsetDelta: 2,
    key: Buffer.from('k'),
    value: null,
    headers: [{ key: 'é', value: Buffer.from([9]) }, { key: '', value: null }],
  }
  // length (patched below), attributes, tsDelta=zz(1), offsetDelta=zz(2), key len zz(1) 'k', value zz(-1),
  // header count zz(2), key len zz(2) c3 a9, value len zz(1) 09, key len 0, value zz(-1)
  const expected = Buffer.from('ff' + '00' + '02' + '04' + '02' + '6b' + '01' + '04' + '04c3a9' + '0209' + '00' + '01', 'hex')
  const body = expected.subarray(1)
  expected[0] = body.length * 2
  assert.deepEqual(encodeRecord(r), expected)
})

test('every truncation of a record is a RecordsError', () => {
  fc.assert(
    fc.property(record(), (r) => {
      const buf = encodeRecord(r)
      for (let n = 0; n < buf.length; n++) assert.throws(() => decodeRecord(buf.subarray(0, n)), isRecordsError())
    }),
    { numRuns: 50 },
  )
})

test('a record whose fields disagree with its length prefix is invalid', () => {
  const good = encodeRecord({ timestampDelta: 0, offsetDelta: 0, key: Buffer.from('abc'), value: null, headers: [] })
  // Claim one more byte than the fields use (and supply it).
  const longer = Buffer.concat([good, Buffer.from([0])])
  longer[0] = good[0]! + 2
  assert.throws(() => decodeRecord(longer), isRecordsError('invalid-record'))
  // Claim fewer bytes: the key now runs past the record's end.
  const shorter = Buffer.from(good)
  shorter[0] = good[0]! - 2
  assert.throws(() => decodeRecord(shorter), isRecordsError('invalid-record'))
  // Negative key length other than -1.
  const negative = Buffer.from(good)
  negative[4] = 0x03 // zz(-2)
  assert.throws(() => decodeRecord(negative), isRecordsError('invalid-record'))
})

test('random bytes never escape as anything but RecordsError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (a) => {
      try {
        decodeRecord(Buffer.from(a))
      } catch (e) {
        assert.ok(e instanceof RecordsError, String(e))
      }
    }),
    { numRuns: 1000 },
  )
})
