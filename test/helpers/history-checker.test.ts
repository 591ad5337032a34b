/** The history checker finds each kind of anomaly, and none in a clean history. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { anomalyCount, checkHistory, type Attempt, type ReadRecord } from './history-checker.js'

const acked = (id: string, partition: number, seq: number, offset: number): Attempt => ({ id, partition, seq, status: 'acked', offset })

test('a clean history: acknowledged records once at their offsets, an unanswered one written once', () => {
  const attempts = [acked('a', 0, 0, 0), acked('b', 0, 1, 1), { id: 'c', partition: 0, seq: 2, status: 'unknown' as const }, acked('d', 1, 0, 0)]
  const reads: ReadRecord[] = [
    { partition: 0, offset: 0, id: 'a' },
    { partition: 0, offset: 1, id: 'b' },
    { partition: 0, offset: 2, id: 'c' },
    { partition: 1, offset: 0, id: 'd' },
  ]
  const r = checkHistory(attempts, reads)
  assert.equal(anomalyCount(r), 0)
  assert.deepEqual([r.acked, r.uncertain, r.uncertainWritten, r.read], [3, 1, 1, 4])
})

test('each anomaly is found', () => {
  const attempts = [acked('lost', 0, 0, 0), acked('moved', 0, 1, 1), acked('dup', 0, 2, 2), acked('x', 1, 0, 0), acked('y', 1, 1, 1), { id: 'f', partition: 0, seq: 3, status: 'failed' as const }]
  const reads: ReadRecord[] = [
    { partition: 0, offset: 0, id: 'moved' },
    { partition: 0, offset: 2, id: 'dup' },
    { partition: 0, offset: 3, id: 'dup' },
    { partition: 0, offset: 4, id: 'f' },
    { partition: 0, offset: 5, id: 'f' },
    { partition: 1, offset: 0, id: 'y' },
    { partition: 1, offset: 1, id: 'x' },
    { partition: 1, offset: 1, id: 'x' },
    { partition: 1, offset: 2, id: 'nobody' },
    { partition: 1, offset: 3, id: 'moved' },
  ]
  const r = checkHistory(attempts, reads)
  assert.deepEqual(r.lost.map((a) => a.id), ['lost'])
  assert.deepEqual(r.moved, [{ id: 'moved', partition: 0, acked: 1, found: 0 }, { id: 'x', partition: 1, acked: 0, found: 1 }, { id: 'y', partition: 1, acked: 1, found: 0 }])
  assert.deepEqual(r.duplicated.map((d) => [d.id, d.offsets]), [['dup', [2, 3]], ['f', [4, 5]]])
  assert.deepEqual(r.reordered, [{ partition: 1, first: 'x', second: 'y' }])
  assert.deepEqual(r.phantom.map((p) => `${p.partition}:${p.offset}:${p.id}`), ['1:1:x', '1:2:nobody', '1:3:moved'], 'an offset read twice, an unknown id, a record on the wrong partition')
})
