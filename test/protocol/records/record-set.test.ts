import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { CompressionCodec } from '../../../src/protocol/records/batch-header.js'
import { encodeBatch, encodeBatchSync } from '../../../src/protocol/records/batch.js'
import { RecordsError } from '../../../src/protocol/records/errors.js'
import {
  batchSlices,
  completeBatchesLength,
  decodeBatches,
  decodeBatchesSync,
} from '../../../src/protocol/records/record-set.js'
import { batch, normalizeBatch } from './arbitraries.js'

const isRecordsError = (code: string) => (e: unknown) => e instanceof RecordsError && e.code === code

test('concatenated batches split back into the same batches; a partial tail is ignored', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(batch(), { minLength: 1, maxLength: 4 }), fc.nat(), async (batches, cutSeed) => {
      const encoded = await Promise.all(batches.map((b) => encodeBatch(b)))
      const all = Buffer.concat(encoded)
      assert.equal(completeBatchesLength(all), all.length)
      assert.deepEqual(
        [...batchSlices(all)].map((s) => s.size),
        encoded.map((e) => e.length),
      )
      assert.deepEqual(await decodeBatches(all), batches.map(normalizeBatch))

      // Cut inside the last batch, as a Fetch response bounded by max.bytes does.
      const last = encoded.at(-1)!
      const cut = all.subarray(0, all.length - 1 - (cutSeed % last.length))
      assert.equal(completeBatchesLength(cut), all.length - last.length)
      assert.deepEqual(await decodeBatches(cut), batches.slice(0, -1).map(normalizeBatch))
    }),
    { numRuns: 60 },
  )
})

test('slices report positions, sizes and magic', () => {
  const a = encodeBatchSync({ ...oneRecord(), baseOffset: 0n })
  const b = encodeBatchSync({ ...oneRecord(), baseOffset: 1n }, { compression: CompressionCodec.Gzip })
  const slices = [...batchSlices(Buffer.concat([a, b]))]
  assert.deepEqual(
    slices.map((s) => [s.position, s.size, s.magic]),
    [
      [0, a.length, 2],
      [a.length, b.length, 2],
    ],
  )
  assert.deepEqual(slices[1]!.bytes, b)
  assert.deepEqual(decodeBatchesSync(Buffer.concat([a, b])).map((x) => x.baseOffset), [0n, 1n])
})

test('fewer than 17 bytes left is a partial tail; an impossible length or magic throws', () => {
  const a = encodeBatchSync(oneRecord())
  assert.equal(completeBatchesLength(Buffer.concat([a, a.subarray(0, 16)])), a.length)
  assert.equal(completeBatchesLength(Buffer.alloc(0)), 0)

  const badLength = Buffer.from(a)
  badLength.writeInt32BE(3, 8)
  assert.throws(() => completeBatchesLength(badLength), isRecordsError('invalid-length'))
  const badMagic = Buffer.from(a)
  badMagic.writeInt8(3, 16)
  assert.throws(() => completeBatchesLength(badMagic), isRecordsError('unsupported-magic'))
  // Magic 2 with a length only a v0 message could have.
  const shortV2 = Buffer.alloc(40)
  shortV2.writeInt32BE(28, 8)
  shortV2.writeInt8(2, 16)
  assert.throws(() => completeBatchesLength(shortV2), isRecordsError('invalid-length'))
})

test('decodeBatches refuses v0/v1 entries and points to the legacy decoder', async () => {
  const a = Buffer.from(encodeBatchSync(oneRecord()))
  a.writeInt8(1, 16)
  await assert.rejects(decodeBatches(a), isRecordsError('unsupported-magic'))
})

function oneRecord() {
  return {
    baseOffset: 0n,
    partitionLeaderEpoch: -1,
    timestampType: 0 as const,
    isTransactional: false,
    isControl: false,
    hasDeleteHorizon: false,
    lastOffsetDelta: 0,
    baseTimestamp: 1n,
    maxTimestamp: 1n,
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from('v'), headers: [] }],
  }
}
