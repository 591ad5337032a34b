import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  StickyPartitioner,
  choosePartition,
  defaultPartitioner,
  murmur2,
  partitionForKey,
  toPositive,
  type Partitioner,
} from '../../../src/client/producer/partitioner.js'

/** A seeded xorshift32 in [0, 1), so sticky choices are reproducible. */
function seeded(seed: number): () => number {
  let s = seed | 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 2 ** 32
  }
}

const utf8 = (s: string) => Buffer.from(s, 'utf8')
const hex = (s: string) => Buffer.from(s, 'hex')
/** 1000 bytes, byte i = (i * 31 + 7) mod 256. */
const long1000 = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31 + 7) & 0xff))

// Expected values come from Kafka's Utils.murmur2 / toPositive re-typed into a throwaway Java 17
// program (javac + java, not kept in the repo) that printed, for each key, murmur2(key) and
// toPositive(murmur2(key)) % n for n = 1, 3, 6, 100. The keys cover every tail length (0-3 bytes
// past a multiple of 4), bytes >= 0x80 (where Java's signed byte must be masked), UTF-8
// multibyte text, and long keys.
const JAVA_VECTORS: Array<{ name: string; key: Buffer; hash: number; p1: number; p3: number; p6: number; p100: number }> = [
  { name: 'empty', key: utf8(''), hash: 275646681, p1: 0, p3: 0, p6: 3, p100: 81 },
  { name: '"a"', key: utf8('a'), hash: -1563381124, p1: 0, p3: 1, p6: 4, p100: 24 },
  { name: '"ab"', key: utf8('ab'), hash: 316155434, p1: 0, p3: 2, p6: 2, p100: 34 },
  { name: '"abc"', key: utf8('abc'), hash: 479470107, p1: 0, p3: 0, p6: 3, p100: 7 },
  { name: '"abcd"', key: utf8('abcd'), hash: -1323649548, p1: 0, p3: 2, p6: 2, p100: 0 },
  { name: '"abcde"', key: utf8('abcde'), hash: 461995741, p1: 0, p3: 1, p6: 1, p100: 41 },
  { name: '"abcdef"', key: utf8('abcdef'), hash: 1870650108, p1: 0, p3: 0, p6: 0, p100: 8 },
  { name: '"abcdefg"', key: utf8('abcdefg'), hash: -346467175, p1: 0, p3: 1, p6: 1, p100: 73 },
  { name: '"hello"', key: utf8('hello'), hash: 2132663229, p1: 0, p3: 0, p6: 3, p100: 29 },
  { name: '"key-0"', key: utf8('key-0'), hash: 29210041, p1: 0, p3: 1, p6: 1, p100: 41 },
  { name: '"key-1"', key: utf8('key-1'), hash: 193331640, p1: 0, p3: 0, p6: 0, p100: 40 },
  { name: '"user:42"', key: utf8('user:42'), hash: -1493546323, p1: 0, p3: 1, p6: 1, p100: 25 },
  { name: '"héllo" (UTF-8)', key: utf8('héllo'), hash: 614509002, p1: 0, p3: 0, p6: 0, p100: 2 },
  { name: '"日本語キー" (UTF-8)', key: utf8('日本語キー'), hash: 1445825182, p1: 0, p3: 1, p6: 4, p100: 82 },
  { name: 'two emoji (UTF-8)', key: utf8('🌵🔑'), hash: -187343103, p1: 0, p3: 2, p6: 5, p100: 45 },
  { name: '00', key: hex('00'), hash: 375494588, p1: 0, p3: 2, p6: 2, p100: 88 },
  { name: 'ff', key: hex('ff'), hash: -311467685, p1: 0, p3: 0, p6: 3, p100: 63 },
  { name: 'fffe80', key: hex('fffe80'), hash: -160726397, p1: 0, p3: 0, p6: 3, p100: 51 },
  { name: '000180ff7ffe02', key: hex('000180ff7ffe02'), hash: -1472550188, p1: 0, p3: 0, p6: 0, p100: 60 },
  { name: '80808080', key: hex('80808080'), hash: -95523324, p1: 0, p3: 2, p6: 2, p100: 24 },
  { name: 'int64 1234567890123 big-endian', key: hex('0000011f71fb04cb'), hash: 154523340, p1: 0, p3: 0, p6: 0, p100: 40 },
  { name: '1000 bytes', key: long1000, hash: -974371678, p1: 0, p3: 1, p6: 4, p100: 70 },
]

// Kafka's own UtilsTest.testMurmur2 cases (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java).
const KAFKA_UTILS_TEST: Array<[string, number]> = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
]

test('murmur2 matches the Java client for keys of every tail length, multibyte UTF-8, binary and long keys', () => {
  for (const v of JAVA_VECTORS) assert.equal(murmur2(v.key), v.hash, v.name)
})

test("murmur2 matches Kafka's UtilsTest vectors", () => {
  for (const [s, h] of KAFKA_UTILS_TEST) assert.equal(murmur2(utf8(s)), h, s)
})

test('murmur2 returns a signed 32-bit int and hashes a subarray by its own bytes only', () => {
  for (const v of JAVA_VECTORS) {
    const h = murmur2(v.key)
    assert.ok(Number.isInteger(h) && h >= -(2 ** 31) && h < 2 ** 31, v.name)
  }
  const padded = Buffer.concat([hex('aabbcc'), utf8('abcdefg'), hex('ddee')])
  assert.equal(murmur2(padded.subarray(3, 10)), -346467175)
  assert.equal(murmur2(new Uint8Array(utf8('foobar'))), -790332482)
})

test('toPositive clears the sign bit (not Math.abs)', () => {
  assert.equal(toPositive(0), 0)
  assert.equal(toPositive(5), 5)
  assert.equal(toPositive(-1), 0x7fffffff)
  assert.equal(toPositive(-2147483648), 0)
  assert.equal(toPositive(-1563381124), 584102524)
  assert.notEqual(toPositive(-1563381124), Math.abs(-1563381124))
})

test('partitionForKey matches the Java client for 1, 3, 6 and 100 partitions', () => {
  for (const v of JAVA_VECTORS) {
    assert.equal(partitionForKey(v.key, 1), v.p1, `${v.name} / 1`)
    assert.equal(partitionForKey(v.key, 3), v.p3, `${v.name} / 3`)
    assert.equal(partitionForKey(v.key, 6), v.p6, `${v.name} / 6`)
    assert.equal(partitionForKey(v.key, 100), v.p100, `${v.name} / 100`)
  }
  assert.throws(() => partitionForKey(utf8('k'), 0), RangeError)
})

test('sticky: the same partition until a new batch is created for it, then a different one', () => {
  const s = new StickyPartitioner(seeded(7))
  const first = s.partition('t', 6)
  for (let i = 0; i < 100; i++) assert.equal(s.partition('t', 6), first)
  assert.equal(s.peek('t'), first)

  // A new batch on some other partition (a keyed record's) does not move it.
  const other = (first + 1) % 6
  assert.equal(s.onNewBatch('t', 6, other), first)
  assert.equal(s.partition('t', 6), first)

  const second = s.onNewBatch('t', 6, first)
  assert.notEqual(second, first)
  for (let i = 0; i < 100; i++) assert.equal(s.partition('t', 6), second)

  // Topics are independent.
  const u = s.partition('u', 6)
  s.onNewBatch('u', 6, u)
  assert.equal(s.partition('t', 6), second)

  s.forget('t')
  assert.equal(s.peek('t'), undefined)
})

test('sticky: over many batches every partition is used about equally and never twice in a row', () => {
  const s = new StickyPartitioner(seeded(12345))
  const counts = new Array<number>(6).fill(0)
  let p = s.partition('t', 6)
  const batches = 6000
  for (let i = 0; i < batches; i++) {
    counts[p]!++
    const next = s.onNewBatch('t', 6, p)
    assert.notEqual(next, p)
    p = next
  }
  for (const c of counts) assert.ok(c > batches / 6 * 0.85 && c < batches / 6 * 1.15, `counts ${counts}`)
})

test('sticky: only partitions with a leader are chosen; all of them when none has one', () => {
  const s = new StickyPartitioner(seeded(99))
  const available = [1, 4, 7]
  const seen = new Set<number>()
  let p = s.partition('t', 8, available)
  for (let i = 0; i < 300; i++) {
    assert.ok(available.includes(p), `${p} is available`)
    seen.add(p)
    p = s.onNewBatch('t', 8, p, available)
  }
  assert.deepEqual([...seen].sort(), available)

  // One available partition: it is the only choice, even after a batch on it.
  const single = new StickyPartitioner(seeded(3))
  assert.equal(single.partition('t', 8, [5]), 5)
  assert.equal(single.onNewBatch('t', 8, 5, [5]), 5)

  // No partition has a leader (or the producer does not know): any partition.
  const none = new StickyPartitioner(seeded(4))
  const anySeen = new Set<number>()
  let q = none.partition('t', 4, [])
  for (let i = 0; i < 200; i++) {
    anySeen.add(q)
    q = none.onNewBatch('t', 4, q)
  }
  assert.deepEqual([...anySeen].sort(), [0, 1, 2, 3])
})

test('sticky: a sticky partition that loses its leader, or no longer exists, is replaced', () => {
  const s = new StickyPartitioner(seeded(21))
  const p = s.partition('t', 6, [0, 1, 2, 3, 4, 5])
  const rest = [0, 1, 2, 3, 4, 5].filter((x) => x !== p)
  const q = s.partition('t', 6, rest)
  assert.ok(rest.includes(q))
  assert.equal(s.partition('t', 6, rest), q, 'and then sticks to the new one')

  const t = new StickyPartitioner(() => 0.99)
  assert.equal(t.partition('x', 10), 9)
  assert.ok(t.partition('x', 3) < 3)
  // Available ids beyond the partition count are ignored.
  assert.equal(new StickyPartitioner(() => 0.99).partition('y', 3, [0, 5, 9]), 0)
  assert.throws(() => t.partition('x', 0), RangeError)
})

test('defaultPartitioner: murmur2 for keys (an empty key included), sticky for null keys', () => {
  const dp = defaultPartitioner({ random: seeded(5) })
  for (const v of JAVA_VECTORS) assert.equal(dp({ topic: 't', key: v.key, value: null, partitionCount: 6 }), v.p6, v.name)
  // An unavailable partition does not change where a key goes: keys must keep their partition.
  assert.equal(dp({ topic: 't', key: utf8('abcdefg'), value: null, partitionCount: 6, availablePartitions: [0, 2] }), 1)

  const sticky = dp({ topic: 't', key: null, value: utf8('v'), partitionCount: 6 })
  assert.equal(dp({ topic: 't', key: null, value: utf8('w'), partitionCount: 6 }), sticky)
  assert.equal(dp.sticky.peek('t'), sticky)
  const moved = dp.onNewBatch('t', 6, sticky)
  assert.notEqual(moved, sticky)
  assert.equal(dp({ topic: 't', key: null, value: null, partitionCount: 6 }), moved)
})

test('choosePartition: a custom partitioner decides, undefined or -1 defers to the default, out of range throws', () => {
  const dp = defaultPartitioner({ random: seeded(8) })
  const byValueLength: Partitioner = ({ value, partitionCount }) => (value ? value.length % partitionCount : undefined)
  assert.equal(choosePartition({ topic: 't', key: utf8('abc'), value: utf8('12345'), partitionCount: 3 }, dp, byValueLength), 2)
  assert.equal(choosePartition({ topic: 't', key: utf8('abc'), value: null, partitionCount: 6 }, dp, byValueLength), 3, 'undefined: murmur2 of the key')
  assert.equal(choosePartition({ topic: 't', key: utf8('abc'), value: null, partitionCount: 6 }, dp, () => -1), 3, '-1: murmur2 of the key')
  assert.equal(choosePartition({ topic: 't', key: utf8('abc'), value: null, partitionCount: 6 }, dp), 3, 'no custom partitioner')
  const keyless = choosePartition({ topic: 't', key: null, value: null, partitionCount: 6 }, dp, () => undefined)
  assert.equal(keyless, dp.sticky.peek('t'))
  assert.throws(() => choosePartition({ topic: 't', key: null, value: null, partitionCount: 6 }, dp, () => 6), RangeError)
  assert.throws(() => choosePartition({ topic: 't', key: null, value: null, partitionCount: 6 }, dp, () => 1.5), RangeError)
  assert.throws(() => choosePartition({ topic: 't', key: null, value: null, partitionCount: 6 }, dp, () => Number.NaN), RangeError)
})
