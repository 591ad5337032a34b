import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AssignerProtocol } from 'kafkajs'
import {
  CONSUMER_PROTOCOL_MAX_VERSION,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../../../src/client/consumer/consumer-protocol.js'
import { ProtocolError } from '../../../src/protocol/primitives/protocol-error.js'
import { Writer } from '../../../src/protocol/primitives/writer.js'

const tp = (topic: string, partition: number) => ({ topic, partition })
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const sortTps = <T extends { topic: string; partition: number }>(l: T[]) =>
  [...l].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))

// Scenarios translated from Kafka's ConsumerProtocolTest, plus byte-level checks.

test('serializeDeserializeSubscriptionAllVersions: each version keeps exactly the fields it has', () => {
  const owned = [tp('foo', 0), tp('bar', 0)]
  for (let version = 0; version <= CONSUMER_PROTOCOL_MAX_VERSION; version++) {
    const buf = encodeSubscription(
      { topics: ['foo', 'bar'], userData: Buffer.from('hello'), ownedPartitions: owned, generationId: 7, rackId: 'rack-a' },
      version,
    )
    const s = decodeSubscription(buf)
    assert.equal(s.version, version)
    assert.deepEqual(s.topics, ['foo', 'bar'])
    assert.deepEqual(s.userData, Buffer.from('hello'))
    assert.deepEqual(s.ownedPartitions, version >= 1 ? owned : [])
    assert.equal(s.generationId, version >= 2 ? 7 : -1)
    assert.equal(s.rackId, version >= 3 ? 'rack-a' : null)
  }
})

test('encodeSubscription writes the highest version by default, with defaults for omitted fields', () => {
  const s = decodeSubscription(encodeSubscription({ topics: ['a'] }))
  assert.equal(s.version, CONSUMER_PROTOCOL_MAX_VERSION)
  assert.equal(CONSUMER_PROTOCOL_MAX_VERSION, 3)
  assert.deepEqual(s, { version: 3, topics: ['a'], userData: null, ownedPartitions: [], generationId: -1, rackId: null })
})

test('serializeDeserializeMetadata: empty userData stays empty, not null', () => {
  const s = decodeSubscription(encodeSubscription({ topics: ['foo', 'bar'], userData: Buffer.alloc(0) }))
  assert.deepEqual(s.topics, ['foo', 'bar'])
  assert.ok(s.userData !== null)
  assert.equal(s.userData.length, 0)
})

test('serializeDeserializeNullSubscriptionUserData', () => {
  const s = decodeSubscription(encodeSubscription({ topics: ['foo', 'bar'], userData: null }))
  assert.deepEqual(s.topics, ['foo', 'bar'])
  assert.equal(s.userData, null)
})

test('deserializeOldSubscriptionVersion: v0 has no owned partitions', () => {
  const s = decodeSubscription(encodeSubscription({ topics: ['foo', 'bar'], ownedPartitions: [tp('bar', 2)] }, 0))
  assert.equal(s.version, 0)
  assert.equal(s.userData, null)
  assert.deepEqual(s.ownedPartitions, [])
})

test('deserializeNewSubscriptionWithOldVersion: a newer body labelled v0 is read as v0', () => {
  const buf = encodeSubscription({ topics: ['foo', 'bar'], ownedPartitions: [tp('bar', 2)], generationId: 3 })
  buf.writeInt16BE(0, 0)
  const s = decodeSubscription(buf)
  assert.deepEqual(s.topics, ['foo', 'bar'])
  assert.equal(s.userData, null)
  assert.deepEqual(s.ownedPartitions, [])
  assert.equal(s.generationId, -1)
})

test('deserializeFutureSubscriptionVersion: v100 with an extra trailing field reads the known fields', () => {
  const w = new Writer()
  w.writeInt16(100)
  w.writeArrayLength(1)
  w.writeString('topic')
  w.writeNullableBytes(Buffer.alloc(0))
  w.writeArrayLength(1)
  w.writeString('bar')
  w.writeArrayLength(1)
  w.writeInt32(2)
  w.writeInt32(9) // generationId
  w.writeNullableString('r1') // rackId
  w.writeString('a field from the future')
  const s = decodeSubscription(w.toBuffer())
  assert.equal(s.version, 100)
  assert.deepEqual(s.topics, ['topic'])
  assert.deepEqual(s.ownedPartitions, [tp('bar', 2)])
  assert.equal(s.generationId, 9)
  assert.equal(s.rackId, 'r1')
})

test('serializeDeserializeAssignmentAllVersions', () => {
  const partitions = [tp('foo', 1), tp('bar', 2)]
  for (let version = 0; version <= CONSUMER_PROTOCOL_MAX_VERSION; version++) {
    const a = decodeAssignment(encodeAssignment({ partitions, userData: Buffer.from('hello') }, version))
    assert.equal(a.version, version)
    assert.deepEqual(sortTps(a.partitions), sortTps(partitions))
    assert.deepEqual(a.userData, Buffer.from('hello'))
  }
})

test('serializeDeserializeAssignment: empty userData; default version is the highest', () => {
  const a = decodeAssignment(encodeAssignment({ partitions: [tp('foo', 1), tp('bar', 2)], userData: Buffer.alloc(0) }))
  assert.equal(a.version, CONSUMER_PROTOCOL_MAX_VERSION)
  assert.equal(a.userData?.length, 0)
})

test('deserializeNullAssignmentUserData', () => {
  const a = decodeAssignment(encodeAssignment({ partitions: [tp('foo', 1), tp('bar', 2)], userData: null }))
  assert.deepEqual(sortTps(a.partitions), [tp('bar', 2), tp('foo', 1)])
  assert.equal(a.userData, null)
})

test('deserializeFutureAssignmentVersion', () => {
  const w = new Writer()
  w.writeInt16(100)
  w.writeArrayLength(1)
  w.writeString('foo')
  w.writeArrayLength(1)
  w.writeInt32(1)
  w.writeBytes(Buffer.alloc(0))
  w.writeString('bar')
  const a = decodeAssignment(w.toBuffer())
  assert.deepEqual(a.partitions, [tp('foo', 1)])
})

test('an empty assignment buffer is an empty assignment', () => {
  assert.deepEqual(decodeAssignment(Buffer.alloc(0)), { version: 0, partitions: [], userData: null })
})

test('subscription v1 bytes: partitions are grouped by topic in first-seen order', () => {
  const buf = encodeSubscription({ topics: ['t'], ownedPartitions: [tp('t', 0), tp('u', 5), tp('t', 2)] }, 1)
  assert.deepEqual(
    buf,
    hex(`0001
      00000001 0001 74
      ffffffff
      00000002
        0001 74 00000002 00000000 00000002
        0001 75 00000001 00000005`),
  )
})

test('assignment v0 bytes', () => {
  assert.deepEqual(
    encodeAssignment({ partitions: [tp('t', 1), tp('t', 0)], userData: null }, 0),
    hex('0000 00000001 0001 74 00000002 00000001 00000000 ffffffff'),
  )
})

test('an empty rack id reads as none, as Kafka treats it', () => {
  assert.equal(decodeSubscription(encodeSubscription({ topics: [], rackId: '' })).rackId, null)
})

test('malformed input: negative version, truncated bodies and headers are ProtocolErrors', () => {
  const good = encodeSubscription({ topics: ['foo'], ownedPartitions: [tp('foo', 1)] })
  const negative = Buffer.from(good)
  negative.writeInt16BE(-1, 0)
  assert.throws(() => decodeSubscription(negative), ProtocolError)
  assert.throws(() => decodeSubscription(good.subarray(0, good.length - 3)), ProtocolError)
  assert.throws(() => decodeSubscription(Buffer.from([0])), ProtocolError)
  const a = encodeAssignment({ partitions: [tp('foo', 1)], userData: null })
  assert.throws(() => decodeAssignment(a.subarray(0, a.length - 1)), ProtocolError)
  assert.throws(() => encodeSubscription({ topics: [] }, 4), ProtocolError)
})

test('interoperates with kafkajs (v0, written by an independent encoder)', () => {
  const theirs = AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['a', 'b'], userData: Buffer.from('x') })
  const ours = encodeSubscription({ topics: ['a', 'b'], userData: Buffer.from('x') }, 0)
  assert.deepEqual(ours, theirs)
  assert.deepEqual(decodeSubscription(theirs).topics, ['a', 'b'])

  const assignment = AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { a: [0, 2], b: [1] }, userData: Buffer.alloc(0) })
  assert.deepEqual(decodeAssignment(assignment).partitions, [tp('a', 0), tp('a', 2), tp('b', 1)])
  const back = AssignerProtocol.MemberAssignment.decode(encodeAssignment({ partitions: [tp('a', 0), tp('b', 1)], userData: Buffer.alloc(0) }, 0))
  assert.deepEqual(back?.assignment, { a: [0], b: [1] })
})
