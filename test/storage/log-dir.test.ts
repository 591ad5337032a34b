/** Opening a log dir: failures name the dir and the real cause. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureLogDir, LogDir } from '../../src/storage/log-dir.js'
import { silentLogger } from '../../src/storage/logger.js'
import { errnoError, FaultHooks } from '../../src/util/faults.js'

function temp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-logdir-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('a read-only file system (fault logdir.open) fails naming the dir and EROFS, creating nothing', async (t) => {
  const dir = join(temp(t), 'data')
  const faults = new FaultHooks()
  faults.failNext('logdir.open', { error: errnoError('EROFS', `read-only file system, mkdir '${dir}'`), when: (d) => d === dir })
  await assert.rejects(ensureLogDir(dir, faults), (e: Error) => {
    assert.ok(e.message.includes(`cannot use log dir ${dir}`), e.message)
    assert.match(e.message, /the file system is read-only \(EROFS\)/)
    assert.match(e.message, /point log\.dirs at a directory this broker can write/)
    return true
  })
  assert.equal(existsSync(dir), false)
  // Disarmed after one failure: the next open works.
  await ensureLogDir(dir, faults)
  assert.equal(existsSync(dir), true)
})

test('a path through a file fails naming the dir and the cause', async (t) => {
  const file = join(temp(t), 'a-file')
  writeFileSync(file, 'x')
  const dir = join(file, 'data')
  await assert.rejects(LogDir.open({ path: dir, logger: silentLogger }), (e: Error) => {
    assert.ok(e.message.includes(`cannot use log dir ${dir}`), e.message)
    assert.match(e.message, /ENOTDIR|EEXIST/)
    return true
  })
})
