import { createRequire } from 'node:module'

// Not named `require`: the bundle (scripts/bundle.mjs) declares that name in every chunk.
const requireHere = createRequire(import.meta.url)

/**
 * A CommonJS package loaded on first use rather than at import. The compression codecs are
 * native addons that cost tens of milliseconds to load; a CLI run or client that never meets
 * their codec should not pay for them.
 */
export function lazyRequire<T>(id: string): () => T {
  let mod: T | undefined
  return () => (mod ??= requireHere(id) as T)
}
