/** Trace mode's sampling and lines (src/util/trace.ts), on a temp file. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBatch, encodeBatchSync } from '../../src/protocol/records/index.js'
import { batchesSpan, createTrace, monotonicMicros, trace } from '../../src/util/trace.js'

test('off unless SAMSA_TRACE is set', () => {
  assert.equal(process.env['SAMSA_TRACE'], undefined)
  assert.equal(trace, undefined)
})

test('monotonicMicros reads the clock process.hrtime reads, to a few microseconds', () => {
  for (let i = 0; i < 3; i++) {
    const a = monotonicMicros()
    const hr = Number(process.hrtime.bigint()) / 1000
    const b = monotonicMicros()
    assert.ok(hr >= a - 5 && hr <= b + 5, `${a} <= ${hr} <= ${b}`)
  }
})

test('a line for each range holding a sampled offset, with the marks made before', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-trace-'))
  try {
    const file = join(dir, 'trace.jsonl')
    const t = createTrace(file, 10)
    const batch = {}
    t.mark(batch, 'a', 100)
    t.mark(batch, 'a', 200) // the first time counts (a retry keeps its first)
    t.mark(batch, 'b', 300)
    t.emit(batch, 'c', 'topic', 3, 21n, 29n) // no multiple of 10 in 21..29
    t.emit(batch, 'c', 'topic', 3, 25n, 31n)
    t.emit(undefined, 'd', 'topic', 3, 0n, 0n)
    t.emit(undefined, 'd', 'topic', 3, -1n, 5n) // unknown offsets (acks=0) are never sampled
    const request = {}
    t.defer(request, 'e', 'other', 0, 8n, 12n)
    t.release(request, 'f')
    t.release(request, 'f') // released once
    process.emit('exit', 0)
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { tp: string; o: string; h: Record<string, number> })
    assert.deepEqual(lines.map((l) => [l.tp, l.o, Object.keys(l.h)]), [
      ['topic/3', '30', ['a', 'b', 'c']],
      ['topic/3', '0', ['d']],
      ['other/0', '10', ['e', 'f']],
    ])
    assert.equal(lines[0]!.h['a'], 100)
    assert.ok(Math.abs(lines[0]!.h['c']! - Number(process.hrtime.bigint()) / 1000) < 1e6, 'microseconds on the monotonic clock')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('batchesSpan reads the first and last offset of concatenated batches', () => {
  const batch = (base: bigint, n: number) => {
    const b = createBatch({ baseTimestamp: 0n, records: Array.from({ length: n }, (_, i) => ({ timestampDelta: 0, offsetDelta: i, key: null, value: Buffer.from('x'), headers: [] })) })
    b.baseOffset = base
    return encodeBatchSync(b)
  }
  assert.deepEqual(batchesSpan(Buffer.concat([batch(40n, 5), batch(45n, 3)])), { first: 40n, last: 47n })
  assert.equal(batchesSpan(Buffer.alloc(0)), undefined)
  // A truncated last batch (a fetch cut at maxBytes) still yields the complete header it has.
  assert.deepEqual(batchesSpan(Buffer.concat([batch(7n, 2), batch(9n, 1).subarray(0, 30)])), { first: 7n, last: 9n })
})
