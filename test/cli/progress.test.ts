/**
 * The progress bar against a fake terminal: drawn only on a TTY, redraws throttled by a fake
 * clock, erased by clear() and done(), fitted to the terminal's width.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Progress, type ProgressStream } from '../../src/cli/progress.js'

const ERASE = '\r\x1b[K'

function fakeTerminal(opts: { isTTY?: boolean; columns?: number } = {}) {
  const writes: string[] = []
  const stream: ProgressStream = { isTTY: opts.isTTY ?? true, columns: opts.columns ?? 80, write: (s) => (writes.push(s), true) }
  return { stream, writes }
}

function fakeClock(start = 1000) {
  let t = start
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

test('nothing is written when the stream is not a terminal', () => {
  const { stream, writes } = fakeTerminal({ isTTY: false })
  const bar = new Progress({ total: 100, stream })
  assert.equal(bar.enabled, false)
  bar.update(10)
  bar.clear()
  bar.done()
  assert.deepEqual(writes, [])
})

test('the first update draws the bar in place: carriage return, erase, then the line', () => {
  const { stream, writes } = fakeTerminal()
  const clock = fakeClock()
  const bar = new Progress({ total: 200, unit: 'records', label: 'producing', stream, now: clock.now })
  clock.advance(1000)
  bar.update(50)
  assert.equal(writes.length, 1)
  assert.ok(writes[0]!.startsWith(ERASE), JSON.stringify(writes[0]))
  const line = writes[0]!.slice(ERASE.length)
  assert.match(line, /^producing \[#+-+\] 25% 50\/200 records 50\/s 3s left$/)
  assert.ok(!line.includes('\n'))
})

test('redraws are throttled to one per interval', () => {
  const { stream, writes } = fakeTerminal()
  const clock = fakeClock()
  const bar = new Progress({ total: 1000, stream, now: clock.now, intervalMs: 100 })
  bar.update(1)
  for (let i = 2; i < 50; i++) {
    clock.advance(1)
    bar.update(i)
  }
  assert.equal(writes.length, 1, 'updates within 100 ms of the last draw are skipped')
  clock.advance(100)
  bar.update(60)
  assert.equal(writes.length, 2)
  assert.match(writes[1]!, / 60\/1,000/)
})

test('clear() erases a drawn bar and the next update redraws at once; clear() without a bar writes nothing', () => {
  const { stream, writes } = fakeTerminal()
  const clock = fakeClock()
  const bar = new Progress({ total: 10, stream, now: clock.now })
  bar.clear()
  assert.deepEqual(writes, [])
  bar.update(1)
  bar.clear()
  assert.equal(writes.at(-1), ERASE)
  bar.update(2) // same instant: not throttled after a clear
  assert.equal(writes.length, 3)
  assert.match(writes[2]!, / 2\/10/)
})

test('done() erases the bar and later updates draw nothing', () => {
  const { stream, writes } = fakeTerminal()
  const clock = fakeClock()
  const bar = new Progress({ total: 10, stream, now: clock.now })
  bar.update(5)
  bar.done()
  assert.equal(writes.at(-1), ERASE)
  const n = writes.length
  clock.advance(10_000)
  bar.update(9)
  bar.done()
  assert.equal(writes.length, n)
})

test('the line never exceeds the terminal width (it would wrap and break the redraw)', () => {
  for (const columns of [20, 40, 60, 80, 200]) {
    const { stream, writes } = fakeTerminal({ columns })
    const clock = fakeClock()
    const bar = new Progress({ total: 123_456_789, unit: 'records', label: 'producing', stream, now: clock.now })
    clock.advance(3000)
    bar.update(61_728_395)
    const line = writes[0]!.slice(ERASE.length)
    assert.ok(line.length <= Math.max(20, columns - 1), `${columns} columns: ${JSON.stringify(line)} (${line.length})`)
    if (columns >= 100) assert.match(line, /\[#+-+\] 50%/)
  }
})

test('the bar keeps its width as the numbers grow', () => {
  const { stream, writes } = fakeTerminal({ columns: 80 })
  const clock = fakeClock()
  const bar = new Progress({ total: 1_000_000, unit: 'records', stream, now: clock.now })
  for (const n of [5, 5_000, 500_000, 999_999]) {
    clock.advance(1000)
    bar.update(n)
  }
  const widths = writes.map((w) => /\[[#-]+\]/.exec(w)![0].length)
  assert.equal(new Set(widths).size, 1, JSON.stringify(writes))
  assert.ok(widths[0]! < 42, 'narrower than the widest bar, so the test sees the fitting')
})

test('a terminal that reports 0 columns is taken as 80', () => {
  const { stream, writes } = fakeTerminal({ columns: 0 })
  const clock = fakeClock()
  const bar = new Progress({ total: 100, unit: 'records', label: 'consuming', stream, now: clock.now })
  clock.advance(500)
  bar.update(50)
  assert.match(writes[0]!, /consuming \[#+-+\] 50% 50\/100 records/)
})

test('without a total: the count and the rate', () => {
  const { stream, writes } = fakeTerminal()
  const clock = fakeClock()
  const bar = new Progress({ unit: 'records', label: 'reading', stream, now: clock.now })
  clock.advance(2000)
  bar.update(4000)
  assert.equal(writes[0], `${ERASE}reading 4,000 records 2,000/s`)
})
