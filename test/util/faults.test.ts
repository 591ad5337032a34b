import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FaultHooks, armProcessKills, errnoError } from '../../src/util/faults.js'

test('an armed point fails the next check only, then disarms', () => {
  const f = new FaultHooks()
  f.check('segment.write')
  f.failNext('segment.write')
  assert.ok(f.isArmed('segment.write'))
  assert.throws(() => f.check('segment.write'), (e: NodeJS.ErrnoException) => e.code === 'EIO')
  assert.ok(!f.isArmed('segment.write'))
  f.check('segment.write')
})

test('times, when and custom errors', () => {
  const f = new FaultHooks()
  f.failNext('log.create', { times: 2, when: (d) => d.includes('t-1'), error: () => errnoError('ENOSPC', 'no space left on device') })
  f.check('log.create', '/data/t-0')
  assert.throws(() => f.check('log.create', '/data/t-1'), /ENOSPC/)
  assert.throws(() => f.check('log.create', '/data/t-1'), /ENOSPC/)
  f.check('log.create', '/data/t-1')
  f.failNext('x', { times: Infinity })
  for (let i = 0; i < 5; i++) assert.throws(() => f.check('x'))
  f.clear('x')
  f.check('x')
})

test('record lists the points an operation passes', () => {
  const f = new FaultHooks()
  f.record = true
  f.check('a')
  f.check('b')
  assert.deepEqual(f.seen, ['a', 'b'])
})

test('SAMSA_FAULT_KILL kills at the n-th check of each named point, and checks pass otherwise', () => {
  const f = new FaultHooks()
  const kills: string[] = []
  const stderr = process.stderr.write
  process.stderr.write = (() => true) as typeof process.stderr.write
  try {
    armProcessKills(f, 'cleaner.rename:2, cleaner.swap', () => kills.push(String(kills.length)))
    f.check('cleaner.rename', 'a')
    assert.deepEqual(kills, [])
    f.check('cleaner.swap', 'b')
    assert.equal(kills.length, 1)
    f.check('cleaner.rename', 'c')
    assert.equal(kills.length, 2)
    f.check('cleaner.rename', 'd')
    f.check('cleaner.swap', 'e')
    assert.equal(kills.length, 2, 'each point kills once')
  } finally {
    process.stderr.write = stderr
  }
  armProcessKills(f, undefined)
  armProcessKills(f, '')
  for (const bad of ['cleaner.rename:0', 'cleaner rename', 'x:y', ',']) assert.throws(() => armProcessKills(new FaultHooks(), bad), /invalid SAMSA_FAULT_KILL entry/)
})
