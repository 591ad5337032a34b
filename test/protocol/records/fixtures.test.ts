/**
 * Batches written by other implementations, kept as hex:
 *  - none/gzip/snappy/lz4: @platformatic/kafka 1.x's producer encoder (its own record writer;
 *    snappy and lz4 from its wasm codecs, so independent of the libraries we use);
 *  - zstd: records section compressed by the reference `zstd` CLI from stdin (a streamed frame
 *    without content size, as zstd-jni writes), header assembled to the spec;
 *  - lz4 with content size and content checksum: the reference `lz4` CLI (`--content-size`);
 *  - xerial snappy: the platformatic snappy block wrapped in snappy-java's framing.
 * All hold the same two records.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CompressionCodec, computeBatchCrc } from '../../../src/protocol/records/batch-header.js'
import { decodeBatch, encodeBatch, encodeBatchSync, TimestampType, validateBatch, type RecordBatch } from '../../../src/protocol/records/batch.js'

const HEAD = '0000000000000000'
const FIXTURES: Record<string, [CompressionCodec, string]> = {
  none: [
    CompressionCodec.None,
    HEAD +
      '0000008000000000027e357f800000000000010000018bcfe568000000018bcfe56807ffffffffffffffff000000000000000000028001000000086b6579316076616c75652d76616c75652d76616c75652d76616c75652d76616c75652d76616c75652d76616c75652d76616c75652d0204686b04687618000e02010c7365636f6e6400',
  ],
  gzip: [
    CompressionCodec.Gzip,
    HEAD +
      '0000006c00000000027eeee8020001000000010000018bcfe568000000018bcfe56807ffffffffffffffff000000000000000000021f8b08000000000000036b60646060e0c84ead344c284bcc294dd5259e6462c9c866c9289360e06362e4294e4dcecf4b61000008e665bc4f000000',
  ],
  snappy: [
    CompressionCodec.Snappy,
    HEAD +
      '0000005c00000000021b9869f90002000000010000018bcfe568000000018bcfe56807ffffffffffffffff000000000000000000024f408001000000086b6579316076616c75652da606004c0204686b04687618000e02010c7365636f6e6400',
  ],
  lz4: [
    CompressionCodec.Lz4,
    HEAD +
      '0000006c00000000029f5d0cac0003000000010000018bcfe568000000018bcfe56807ffffffffffffffff0000000000000000000204224d186040822c000000ff028001000000086b6579316076616c75652d060017f0050204686b04687618000e02010c7365636f6e640000000000',
  ],
  zstd: [
    CompressionCodec.Zstd,
    HEAD +
      '0000006a0000000002231d81de0004000000010000018bcfe568000000018bcfe56807ffffffffffffffff0000000000000000000228b52ffd045865010054028001000000086b6579316076616c75652d0204686b04687618000e02010c7365636f6e64000100072a4b5b30ab1e',
  ],
  'lz4 (content size + checksum)': [
    CompressionCodec.Lz4,
    HEAD +
      '0000007800000000021a19029c0003000000010000018bcfe568000000018bcfe56807ffffffffffffffff0000000000000000000204224d186c404f00000000000000a32c000000ff028001000000086b6579316076616c75652d060017f0050204686b04687618000e02010c7365636f6e64000000000052672475',
  ],
}

const EXPECTED: RecordBatch = {
  baseOffset: 0n,
  partitionLeaderEpoch: 0,
  timestampType: TimestampType.CreateTime,
  isTransactional: false,
  isControl: false,
  hasDeleteHorizon: false,
  lastOffsetDelta: 1,
  baseTimestamp: 1_700_000_000_000n,
  maxTimestamp: 1_700_000_000_007n,
  producerId: -1n,
  producerEpoch: 0,
  baseSequence: 0,
  records: [
    {
      attributes: 0,
      timestampDelta: 0,
      offsetDelta: 0,
      key: Buffer.from('key1'),
      value: Buffer.from('value-'.repeat(8)),
      headers: [{ key: 'hk', value: Buffer.from('hv') }],
    },
    { attributes: 0, timestampDelta: 7, offsetDelta: 1, key: null, value: Buffer.from('second'), headers: [] },
  ],
}

for (const [name, [codec, hex]] of Object.entries(FIXTURES)) {
  test(`fixture ${name}: validates, decodes, and re-encodes to an equal batch`, async () => {
    const buf = Buffer.from(hex, 'hex')
    assert.equal(validateBatch(buf), null)
    const decoded = await decodeBatch(buf)
    assert.deepEqual(decoded, { ...EXPECTED, compression: codec })
    assert.deepEqual(await decodeBatch(await encodeBatch(decoded)), decoded)
  })
}

test('fixture none: decode then encode gives identical bytes', async () => {
  const buf = Buffer.from(FIXTURES.none![1], 'hex')
  assert.deepEqual(encodeBatchSync(await decodeBatch(buf)), buf)
})

test('fixture xerial snappy: the Java producer framing decodes', async () => {
  const raw = Buffer.from(FIXTURES.snappy![1], 'hex')
  const block = raw.subarray(61)
  const framing = Buffer.alloc(20)
  Buffer.from('82534e41505059000000000100000001', 'hex').copy(framing)
  framing.writeInt32BE(block.length, 16)
  const buf = Buffer.concat([raw.subarray(0, 61), framing, block])
  buf.writeInt32BE(buf.length - 12, 8)
  buf.writeUInt32BE(computeBatchCrc(buf), 17)
  assert.deepEqual(await decodeBatch(buf), { ...EXPECTED, compression: CompressionCodec.Snappy })
})
