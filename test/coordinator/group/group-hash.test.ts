/**
 * The group → `__consumer_offsets` partition mapping must equal Kafka's
 * Utils.abs(groupId.hashCode()) % n. Expected values were worked out from Java's definitions
 * (31-based hash over UTF-16 code units with int32 wrap-around; Utils.abs maps
 * Integer.MIN_VALUE to 0) independently of the code under test.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { groupPartition, javaStringHashCode, kafkaAbs } from '../../../src/coordinator/group/group-hash.js'

test('javaStringHashCode matches Java String.hashCode, overflow included', () => {
  assert.equal(javaStringHashCode(''), 0)
  assert.equal(javaStringHashCode('a'), 97)
  assert.equal(javaStringHashCode('ab'), 97 * 31 + 98)
  assert.equal(javaStringHashCode('hello'), 99162322)
  assert.equal(javaStringHashCode('my-group'), -1906497762, 'wraps past 2^31 into the negatives')
  assert.equal(javaStringHashCode('The quick brown fox jumps over the lazy dog'), -609428141)
  assert.equal(javaStringHashCode('polygenelubricants'), -2147483648, "the classic string whose hash is Integer.MIN_VALUE")
  // UTF-16 code units, not code points: U+1F600 is the surrogate pair D83D DE00.
  assert.equal(javaStringHashCode('\u{1F600}'), 0xd83d * 31 + 0xde00)
  assert.equal(javaStringHashCode('groupé'), -1237460406)
})

test('kafkaAbs is Utils.abs: MIN_VALUE gives 0, not a bit mask', () => {
  assert.equal(kafkaAbs(-2147483648), 0)
  assert.equal(kafkaAbs(-1906497762), 1906497762, 'Math.abs, unlike 0.8-era n & 0x7fffffff (240985886)')
  assert.equal(kafkaAbs(5), 5)
  assert.equal(kafkaAbs(0), 0)
})

test('groupPartition maps groups as Kafka does with 50 partitions (the default)', () => {
  const expected: Array<[string, number]> = [
    ['', 0],
    ['a', 47],
    ['hello', 22],
    ['my-group', 12],
    ['polygenelubricants', 0],
    ['test-group', 12],
    ['console-consumer-12345', 6],
    ['The quick brown fox jumps over the lazy dog', 41],
    ['groupé', 6],
    ['\u{1F600}', 49],
  ]
  for (const [g, p] of expected) assert.equal(groupPartition(g, 50), p, JSON.stringify(g))
  assert.equal(groupPartition('my-group', 1), 0)
  assert.equal(groupPartition('hello', 7), 99162322 % 7)
  assert.throws(() => groupPartition('g', 0), RangeError)
})
