import { spawnSync } from 'node:child_process'
import type { TestContext } from 'node:test'

/**
 * Interop tests need third-party programs (kcat, Debian's python3-kafka...). Locally a missing
 * one skips the test loudly; under CI=true it fails, because .ci/run must have installed it.
 */
export function requireTool(t: TestContext, label: string, probe: () => boolean): boolean {
  if (probe()) return true
  const msg = `${label} is not installed (bash .ci/run installs it)`
  if (process.env.CI === 'true') throw new Error(msg)
  console.warn(`\n*** SKIPPED: ${msg} ***\n`)
  t.skip(msg)
  return false
}

export function hasCommand(cmd: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' })
  return r.error === undefined
}

export function hasPythonModule(mod: string): boolean {
  const r = spawnSync('/usr/bin/python3', ['-c', `import ${mod}`], { stdio: 'ignore' })
  return r.status === 0
}
