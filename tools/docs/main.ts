import { readFileSync, writeFileSync } from 'node:fs'
import { compatibilityMarkdown, configurationMarkdown } from './reference.js'

const pages: Array<[string, string]> = [
  ['docs/compatibility.md', compatibilityMarkdown()],
  ['docs/configuration.md', configurationMarkdown()],
]
const check = process.argv.includes('--check')
let stale = false
for (const [path, text] of pages) {
  let current = ''
  try {
    current = readFileSync(path, 'utf8')
  } catch {}
  if (current === text) continue
  if (check) {
    console.error(`${path} is out of date: run npm run docs`)
    stale = true
  } else {
    writeFileSync(path, text)
    console.log(`wrote ${path}`)
  }
}
process.exit(stale ? 1 : 0)
