import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { openFileBudget } from '../../../src/storage/io/open-file-limit.js'

const limits = (soft: string, hard: string) => `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            ${soft.padEnd(20)} ${hard.padEnd(20)} files
`

test('the pool is the soft open-file limit less a reserve for sockets', () => {
  assert.equal(openFileBudget(limits('20000', '20000')), 15000)
  assert.equal(openFileBudget(limits('1048576', '1048576')), 786432)
  assert.equal(openFileBudget(limits('65536', '1048576')), 49152)
})

test('a low, unlimited or unreadable limit gives a sane pool', () => {
  assert.equal(openFileBudget(limits('1024', '4096')), 1024)
  assert.equal(openFileBudget(limits('unlimited', 'unlimited')), 786432)
  assert.equal(openFileBudget('no such line'), 1024)
})

test('on this machine the pool leaves room under the real soft limit', (t) => {
  let text: string
  try {
    text = readFileSync('/proc/self/limits', 'utf8')
  } catch {
    t.skip('no /proc/self/limits here')
    return
  }
  const soft = Number(/^Max open files\s+(\d+)/m.exec(text)?.[1] ?? NaN)
  if (!(soft > 2048)) {
    t.skip(`open-file limit ${soft}: the pool is the fallback`)
    return
  }
  const budget = openFileBudget()
  assert.ok(budget < soft && budget >= 1024, `budget ${budget} under soft limit ${soft}`)
})
