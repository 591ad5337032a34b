#!/usr/bin/env node
// `npm run generate` / `npm run check-generated`: compile the generator alone (the project's
// own build needs the generated files, so it cannot come first), then run it.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tools/codegen/tsconfig.json')], { stdio: 'inherit' })
if (tsc.status !== 0) process.exit(tsc.status ?? 1)
const run = spawnSync(process.execPath, [join(root, 'dist/tools/codegen/main.js'), ...process.argv.slice(2)], { stdio: 'inherit', cwd: root })
process.exit(run.status ?? 1)
