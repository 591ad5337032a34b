import { test } from 'node:test'
import assert from 'node:assert/strict'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FileCache } from '../../../src/storage/io/file-cache.js'
import { readAt, readAtSync } from '../../../src/storage/io/files.js'
import { withTempDir } from '../helpers/tmp.js'

test('keeps at most maxOpenFiles idle handles, least recently used closed first', async () => {
  await withTempDir(async (dir) => {
    const cache = new FileCache({ maxOpenFiles: 3 })
    const files = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const path = join(dir, `f${i}`)
        await writeFile(path, `file ${i}`)
        return { path }
      }),
    )
    for (const f of files) assert.equal((await cache.use(f, (fh) => readAt(fh, 0, 6))).toString(), `file ${files.indexOf(f)}`)
    assert.equal(cache.cachedCount, 3)
    await new Promise((r) => setTimeout(r, 10))
    assert.equal(cache.openCount, 3)
    await cache.closeAll()
    assert.equal(cache.openCount, 0)
  })
})

test('handles in use are never closed; the limit is exceeded instead', async () => {
  await withTempDir(async (dir) => {
    const cache = new FileCache({ maxOpenFiles: 1 })
    const a = { path: join(dir, 'a') }
    const b = { path: join(dir, 'b') }
    await writeFile(a.path, 'aaaa')
    await writeFile(b.path, 'bbbb')
    let release!: () => void
    const holding = cache.use(a, async (fh) => {
      await new Promise<void>((r) => (release = r))
      return (await readAt(fh, 0, 4)).toString()
    })
    await new Promise((r) => setTimeout(r, 5))
    assert.equal((await cache.use(b, (fh) => readAt(fh, 0, 4))).toString(), 'bbbb')
    release()
    assert.equal(await holding, 'aaaa')
    await cache.closeAll()
  })
})

test('a renamed file keeps its open handle; a forgotten one is reopened by its new path', async () => {
  await withTempDir(async (dir) => {
    const cache = new FileCache()
    const f = { path: join(dir, 'x.log') }
    await writeFile(f.path, 'hello')
    await cache.use(f, (fh) => readAt(fh, 0, 1))
    await rename(f.path, f.path + '.deleted')
    assert.equal((await cache.use(f, (fh) => readAt(fh, 0, 5))).toString(), 'hello')
    cache.forget(f)
    f.path += '.deleted'
    assert.equal((await cache.use(f, (fh) => readAt(fh, 0, 5))).toString(), 'hello')
    await cache.closeAll()
  })
})

test('useOpenSync runs at once on a handle already open, and not at all on one not opened yet or forgotten', async () => {
  await withTempDir(async (dir) => {
    const cache = new FileCache({ maxOpenFiles: 4 })
    const f = { path: join(dir, 'f') }
    await writeFile(f.path, 'hello')
    assert.equal(cache.useOpenSync(f, () => 'ran'), undefined, 'never opened: the caller reads the asynchronous way')
    const opening = cache.use(f, (fh) => readAt(fh, 0, 5))
    assert.equal(cache.useOpenSync(f, () => 'ran'), undefined, 'still opening')
    assert.equal((await opening).toString(), 'hello')
    assert.deepEqual(cache.useOpenSync(f, (fd) => readAtSync(fd, 1, 3).toString()), { value: 'ell' })
    cache.forget(f)
    assert.equal(cache.useOpenSync(f, () => 'ran'), undefined, 'forgotten (closing)')
    await cache.closeAll()
    assert.equal(cache.openCount, 0)
  })
})
