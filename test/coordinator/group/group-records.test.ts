/** `__consumer_offsets` records: Kafka's byte layout, the versions Kafka 4 writes, and round trips. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  decodeGroupRecord,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  groupMetadataRecord,
  offsetCommitRecord,
} from '../../../src/coordinator/group/group-records.js'
import { OffsetCommitKey, OffsetCommitValue } from '../../../src/protocol/generated/coordinator/group/offset-commit.js'
import type { GroupMetadataValue } from '../../../src/protocol/generated/coordinator/group/group-metadata.js'
import { Writer } from '../../../src/protocol/primitives/writer.js'

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')

test('an offset commit record is byte for byte what Kafka 4 writes (key type 1, value v3)', () => {
  // Worked out by hand from OffsetCommitKey.json / OffsetCommitValue.json: every field big
  // endian, strings as int16 length + UTF-8.
  const r = offsetCommitRecord('g1', 't', 3, { offset: 42n, leaderEpoch: 5, metadata: 'm', commitTimestamp: 1700000000000n })
  assert.deepEqual(
    r.key,
    hex(`0001
         0002 6731
         0001 74
         00000003`),
  )
  assert.deepEqual(
    r.value,
    hex(`0003
         000000000000002a
         00000005
         0001 6d
         0000018bcfe56800`),
  )
})

test('an explicit expire timestamp is written as OffsetCommitValue v1 (no leader epoch), as Kafka does', () => {
  const v = encodeOffsetCommitValue({ offset: 7n, leaderEpoch: 9, metadata: '', commitTimestamp: 1700000000000n, expireTimestamp: 1700086400000n })
  assert.deepEqual(
    v,
    hex(`0001
         0000000000000007
         0000
         0000018bcfe56800
         0000018bd50bc400`),
  )
  const d = decodeGroupRecord(encodeOffsetCommitKey('g', 't', 0), v)
  assert.equal(d.type, 'offset')
  assert.deepEqual(d.type === 'offset' && d.value, { offset: 7n, leaderEpoch: -1, metadata: '', commitTimestamp: 1700000000000n, expireTimestamp: 1700086400000n })
})

test('offset commit records round-trip; a tombstone has a null value', () => {
  const value = { offset: 123456789012345n, leaderEpoch: -1, metadata: 'ünïcode ✓', commitTimestamp: 1n }
  const r = offsetCommitRecord('group-ä', 'topic.x', 2147483647, value)
  assert.deepEqual(decodeGroupRecord(r.key, r.value), { type: 'offset', key: { group: 'group-ä', topic: 'topic.x', partition: 2147483647 }, value })
  const t = offsetCommitRecord('g', 't', 1, null)
  assert.equal(t.value, null)
  assert.deepEqual(decodeGroupRecord(t.key, null), { type: 'offset', key: { group: 'g', topic: 't', partition: 1 }, value: null })
})

test('group metadata records: key type 2, value v3, round trip', () => {
  const value: GroupMetadataValue = {
    protocolType: 'consumer',
    generation: 4,
    protocol: 'range',
    leader: 'm-1',
    currentStateTimestamp: 1700000000000n,
    members: [
      { memberId: 'm-1', groupInstanceId: 'i-1', clientId: 'c', clientHost: '/127.0.0.1', rebalanceTimeout: 300000, sessionTimeout: 45000, subscription: Buffer.from([0, 1, 2]), assignment: Buffer.from([3]) },
      { memberId: 'm-2', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.2', rebalanceTimeout: 300000, sessionTimeout: 45000, subscription: Buffer.alloc(0), assignment: Buffer.alloc(0) },
    ],
  }
  const r = groupMetadataRecord('grp', value)
  assert.deepEqual(r.key, hex('0002 0003 677270'))
  assert.equal(r.value!.readInt16BE(0), 3)
  assert.deepEqual(decodeGroupRecord(r.key, r.value), { type: 'group', groupId: 'grp', value })
  // The empty-group form Kafka writes: no protocol, no leader.
  const empty: GroupMetadataValue = { protocolType: '', generation: 0, protocol: null, leader: null, currentStateTimestamp: 5n, members: [] }
  assert.deepEqual(decodeGroupRecord(encodeGroupMetadataKey('e'), encodeGroupMetadataValue(empty)), { type: 'group', groupId: 'e', value: empty })
  assert.deepEqual(decodeGroupRecord(encodeGroupMetadataKey('e'), null), { type: 'group', groupId: 'e', value: null })
})

function versioned(version: number, write: (w: Writer) => void): Buffer {
  const w = new Writer()
  w.writeInt16(version)
  write(w)
  return w.toBuffer()
}

test('older layouts Kafka wrote are read: legacy key type 0, OffsetCommitValue v0-v4', () => {
  const key = versioned(0, (w) => OffsetCommitKey.write(w, { group: 'old', topic: 't', partition: 1 }, 0))
  for (const v of [0, 1, 2, 3, 4]) {
    const value = versioned(v, (w) => OffsetCommitValue.write(w, { offset: 10n, leaderEpoch: 3, metadata: 'x', commitTimestamp: 99n, expireTimestamp: 1000n }, v))
    const d = decodeGroupRecord(key, value)
    assert.equal(d.type, 'offset', `v${v}`)
    if (d.type !== 'offset') continue
    assert.deepEqual(d.key, { group: 'old', topic: 't', partition: 1 })
    assert.equal(d.value!.offset, 10n)
    assert.equal(d.value!.leaderEpoch, v >= 3 ? 3 : -1, `v${v} leader epoch`)
    assert.equal(d.value!.expireTimestamp, v === 1 ? 1000n : undefined, `v${v} expire timestamp`)
  }
})

test('a newer value version is read as the newest known one (KIP-915: only tagged fields are added)', () => {
  const v4 = versioned(4, (w) => OffsetCommitValue.write(w, { offset: 5n, leaderEpoch: 1, metadata: 'a', commitTimestamp: 2n, _unknownTaggedFields: [{ tag: 7, data: Buffer.from('zz') }] }, 4))
  const v9 = Buffer.from(v4)
  v9.writeInt16BE(9, 0)
  const d = decodeGroupRecord(encodeOffsetCommitKey('g', 't', 0), v9)
  assert.equal(d.type, 'offset')
  assert.equal(d.type === 'offset' && d.value!.offset, 5n)
})

test('record types this broker does not run (KIP-848, share groups) are reported, not thrown', () => {
  const key = versioned(3, (w) => w.writeString('consumer-group'))
  assert.deepEqual(decodeGroupRecord(key, Buffer.from([0, 0, 0, 0, 0, 1])), { type: 'unknown', recordType: 3 })
})

test('bytes that do not fit their schema throw', () => {
  assert.throws(() => decodeGroupRecord(Buffer.from([0]), null), /no version/)
  assert.throws(() => decodeGroupRecord(hex('0001 0005 6162'), null))
  assert.throws(() => decodeGroupRecord(encodeOffsetCommitKey('g', 't', 0), hex('0003 0000')))
})
