/**
 * `.snapshot` files in Kafka's layout (ProducerStateManager, version 1): bytes written field by
 * field here, independently of the encoder, must decode to the same entries and re-encode to
 * the same bytes; damage of any kind is CorruptSnapshotError, never a bad state or a crash.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { crc32c } from '../../../src/protocol/records/crc32c.js'
import { CorruptSnapshotError, decodeSnapshot, encodeSnapshot } from '../../../src/storage/producer-state/snapshot-file.js'
import { ProducerStateEntry } from '../../../src/storage/producer-state/producer-state-entry.js'

/** One entry as Kafka's Struct writes it: pid, epoch, last seq, last offset, offset delta, timestamp, coordinator epoch, txn first offset. */
function kafkaEntry(f: [bigint, number, number, bigint, number, bigint, number, bigint]): Buffer {
  const b = Buffer.alloc(46)
  b.writeBigInt64BE(f[0], 0)
  b.writeInt16BE(f[1], 8)
  b.writeInt32BE(f[2], 10)
  b.writeBigInt64BE(f[3], 14)
  b.writeInt32BE(f[4], 22)
  b.writeBigInt64BE(f[5], 26)
  b.writeInt32BE(f[6], 34)
  b.writeBigInt64BE(f[7], 38)
  return b
}

function kafkaFile(entries: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from([0, 0, 0, entries.length]), ...entries])
  const head = Buffer.alloc(6)
  head.writeInt16BE(1, 0)
  head.writeUInt32BE(crc32c(body), 2)
  return Buffer.concat([head, body])
}

test('Kafka-layout snapshot bytes decode to the entries and re-encode identically', () => {
  const file = kafkaFile([
    kafkaEntry([1234567890123n, 7, 41, 99n, 4, 1_700_000_000_000n, -1, -1n]),
    kafkaEntry([-(2n ** 62n), 0, -1, -1n, 0, 5n, 3, 120n]),
  ])
  const [a, b] = decodeSnapshot(file)
  assert.deepEqual([a!.producerId, a!.producerEpoch, a!.lastSeq, a!.lastDataOffset, a!.lastOffsetDelta, a!.firstSeq, a!.lastTimestamp, a!.currentTxnFirstOffset], [1234567890123n, 7, 41, 99, 4, 37, 1_700_000_000_000, -1])
  // last_offset -1: an entry with no batch remembered (a marker was its last write).
  assert.deepEqual([b!.isEmpty, b!.coordinatorEpoch, b!.currentTxnFirstOffset, b!.lastSeq], [true, 3, 120, -1])
  assert.deepEqual(encodeSnapshot([a!, b!]), file)
  assert.deepEqual(decodeSnapshot(encodeSnapshot([])), [])
})

test('damaged snapshots are CorruptSnapshotError: CRC, version, counts that do not fit, short files', () => {
  const good = encodeSnapshot([new ProducerStateEntry({ producerId: 1n, producerEpoch: 0, coordinatorEpoch: -1, lastTimestamp: 1, currentTxnFirstOffset: -1, batches: [{ lastSeq: 3, lastOffset: 9, offsetDelta: 3, timestamp: 1 }] })])
  const cases: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['short header', good.subarray(0, 8)],
    ['cut entry', good.subarray(0, good.length - 1)],
    ['trailing byte', Buffer.concat([good, Buffer.from([0])])],
  ]
  const flipped = Buffer.from(good)
  flipped[20]! ^= 1
  cases.push(['flipped entry byte', flipped])
  const version = Buffer.from(good)
  version.writeInt16BE(2, 0)
  cases.push(['version 2', version])
  // A huge count with a valid CRC: refused before anything is allocated for it.
  const huge = Buffer.from(good)
  huge.writeInt32BE(0x7fffffff, 6)
  huge.writeUInt32BE(crc32c(huge.subarray(6)), 2)
  cases.push(['count past the file', huge])
  for (const [what, bytes] of cases) assert.throws(() => decodeSnapshot(bytes), CorruptSnapshotError, what)
})
