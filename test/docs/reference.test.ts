import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { compatibilityMarkdown, configurationMarkdown } from '../../tools/docs/reference.js'

// The docs are generated from the code; a change to handlers or config must regenerate them.
test('docs/compatibility.md matches the handler registry (npm run docs)', () => {
  assert.equal(readFileSync('docs/compatibility.md', 'utf8'), compatibilityMarkdown())
})

test('docs/configuration.md matches the config table (npm run docs)', () => {
  assert.equal(readFileSync('docs/configuration.md', 'utf8'), configurationMarkdown())
})
