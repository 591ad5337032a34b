import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SYNC_WRITE_MAX_BYTES, writeAt } from '../../../src/storage/io/files.js'

/** The handle, with its promise writes counted (what goes through the libuv thread pool). */
function counting(fh: FileHandle): { fh: FileHandle; poolWrites: () => number } {
  let n = 0
  const proxy = new Proxy(fh, {
    get(target, prop) {
      if (prop === 'write') return (...args: Parameters<FileHandle['write']>) => (n++, target.write(...args))
      const v = Reflect.get(target, prop) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
  return { fh: proxy, poolWrites: () => n }
}

test('small writes go straight to write(2), large ones through the thread pool; both land where asked', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-files-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'f')
  const raw = await open(path, 'w+')
  t.after(() => raw.close())
  const { fh, poolWrites } = counting(raw)
  const small = Buffer.alloc(300, 1)
  await writeAt(fh, small, 10)
  assert.equal(poolWrites(), 0, 'a 300-byte write does not use the pool')
  const large = Buffer.alloc(SYNC_WRITE_MAX_BYTES + 1, 2)
  await writeAt(fh, large, 310)
  assert.ok(poolWrites() >= 1, 'a large write does')
  const back = readFileSync(path)
  assert.equal(back.length, 310 + large.length)
  assert.ok(back.subarray(10, 310).equals(small))
  assert.ok(back.subarray(310).equals(large))
  assert.ok(back.subarray(0, 10).every((b) => b === 0))
})

test('a failed small write rejects (as a pool write does), so the append path undoes it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-files-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'ro')
  const fh = await open(path, 'w')
  await fh.close()
  const ro = await open(path, 'r')
  t.after(() => ro.close())
  await assert.rejects(writeAt(ro, Buffer.alloc(10), 0), /EBADF/)
})
