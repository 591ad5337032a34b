#!/usr/bin/env node
// Bundles the `samsa` command from tsc's output (dist/src) into dist/bin: the file users run
// (package.json's bin, `npm start`) and the one the CLI and process tests spawn.
//
// Why: a Node process that loads Samsa as ~400 separate ES modules spends most of its start-up
// resolving, reading and compiling them (about 0.2 CPU-s of a `samsa topics` run's 0.3, and of a
// broker's 0.6), and the test suite starts `samsa` hundreds of times. A few larger files load
// faster. Each tool and each lazily loaded part stays its own chunk (`splitting`), so a tool
// still loads only what it uses. Packages with native code, and etcd's client (gRPC, loaded only
// for metadata.store=etcd), stay outside and load from node_modules; plain JavaScript ones are
// bundled: commander, for one, is CommonJS, and Node scans a CommonJS file for its exports each
// time an ES module imports it (13 ms per run for commander's 87 KB).
//
// Files the code finds next to itself at run time must be entry points with the same name:
// the cleaner's worker thread (`new URL('./cleaner-worker.js', import.meta.url)`), and the CLI
// itself (server and cluster start brokers with `./samsa.js`).
import { chmodSync, rmSync } from 'node:fs'
import { build } from 'esbuild'

const outdir = 'dist/bin'
rmSync(outdir, { recursive: true, force: true })
await build({
  entryPoints: {
    samsa: 'dist/src/cli/samsa.js',
    'cleaner-worker': 'dist/src/storage/log/cleaner/cleaner-worker.js',
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@mongodb-js/zstd', '@node-rs/crc32', 'lz4-napi', 'snappy', 'etcd3'],
  // Names as written: a bundle renames clashing top-level names, and errors and logs print some.
  keepNames: true,
  sourcemap: 'linked',
  // Chunks sit beside the entries: code in any chunk finds ./samsa.js and ./cleaner-worker.js.
  chunkNames: '[name]-[hash]',
  logLevel: 'warning',
  // Bundled CommonJS (commander) calls require() for Node's own modules; ES modules have none.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
})
chmodSync(`${outdir}/samsa.js`, 0o755)
