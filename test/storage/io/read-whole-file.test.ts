import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readWholeFile } from '../../../src/storage/io/read-whole-file.js'

test('readWholeFile gives what readFile gives: empty files, small and large ones; a missing file rejects with ENOENT', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-read-whole-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  for (const [name, bytes] of [
    ['empty', Buffer.alloc(0)],
    ['small', Buffer.from('0\n1\n0 0\n')],
    ['large', Buffer.alloc(3 * 1024 * 1024 + 7, 0xab)],
  ] as const) {
    const path = join(dir, name)
    await writeFile(path, bytes)
    const got = await readWholeFile(path)
    assert.deepEqual(got, await readFile(path), name)
    assert.equal(got.length, bytes.length, name)
  }
  await assert.rejects(readWholeFile(join(dir, 'missing')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT')
})
