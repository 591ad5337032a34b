import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh directory under the system temp dir (or $SAMSA_TEST_TMP). */
export async function makeTempDir(prefix = 'samsa-storage-'): Promise<string> {
  return mkdtemp(join(process.env['SAMSA_TEST_TMP'] ?? tmpdir(), prefix))
}

export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true })
}

/** Runs `fn` with a temp dir that is removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await makeTempDir()
  try {
    return await fn(dir)
  } finally {
    await removeDir(dir)
  }
}
