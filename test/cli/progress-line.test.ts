/** The progress line: drawn in place on a terminal at most every everyMs, never elsewhere. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProgressLine } from '../../src/cli/progress-line.js'

function fakeStream(isTTY: boolean) {
  const writes: string[] = []
  return { writes, stream: { isTTY, write: (s: string) => (writes.push(s), true) } }
}

test('on a terminal: redrawn in place at most every everyMs, erased when done', () => {
  const { writes, stream } = fakeStream(true)
  let now = 1000
  const p = new ProgressLine(stream, 250, () => now)
  let calls = 0
  p.update(() => `a${++calls}`)
  now += 100
  p.update(() => `b${++calls}`)
  now += 200
  p.update(() => `c${++calls}`)
  p.done()
  p.done()
  assert.deepEqual(writes, ['\ra1\x1b[K', '\rc2\x1b[K', '\r\x1b[K'])
  assert.equal(calls, 2, 'the text is only built when drawn')
})

test('not a terminal: nothing is written', () => {
  const { writes, stream } = fakeStream(false)
  const p = new ProgressLine(stream, 0)
  assert.equal(p.active, false)
  p.update(() => 'x')
  p.done()
  assert.deepEqual(writes, [])
})
