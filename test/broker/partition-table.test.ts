import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PartitionTable } from '../../src/broker/partition-table.js'

test('partitions are found by topic and number, counted, listed and removed', () => {
  const t = new PartitionTable<string>()
  t.set('a', 0, 'a-0')
  t.set('a', 7, 'a-7')
  t.set('b', 1, 'b-1')
  t.set('a', 7, 'a-7 again')
  assert.equal(t.size, 3)
  assert.equal(t.get('a', 7), 'a-7 again')
  assert.equal(t.get('a', 3), undefined)
  assert.equal(t.get('a', -1), undefined)
  assert.equal(t.get('a', 2 ** 31 - 1), undefined)
  assert.equal(t.get('c', 0), undefined)
  assert.deepEqual([...t.values()].sort(), ['a-0', 'a-7 again', 'b-1'])
  assert.equal(t.delete('a', 3), false)
  assert.equal(t.delete('a', 0), true)
  assert.equal(t.delete('a', 7), true)
  assert.equal(t.size, 1)
  assert.deepEqual([...t.values()], ['b-1'])
  // A topic emptied and filled again starts from nothing.
  t.set('a', 2, 'a-2')
  assert.deepEqual([...t.values()].sort(), ['a-2', 'b-1'])
})
