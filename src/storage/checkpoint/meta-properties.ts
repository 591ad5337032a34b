/**
 * `meta.properties` at the root of a log dir (Java properties text): which cluster and node
 * the directory belongs to, so a disk from another broker is not silently adopted.
 * Written in Kafka's KRaft form (version=1, node.id, cluster.id, directory.id).
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isNotFound } from '../errors.js'
import { writeFileAtomic } from '../io/files.js'

export type MetaProperties = Record<string, string>

export async function readMetaProperties(path: string): Promise<MetaProperties | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw err
  }
  return parseProperties(text)
}

export function parseProperties(text: string): MetaProperties {
  const out: MetaProperties = {}
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line)
    if (m) out[m[1]!] = m[2]!
  }
  return out
}

export async function writeMetaProperties(path: string, props: MetaProperties, options: { fsync?: boolean } = {}): Promise<void> {
  const body = Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')
  await writeFileAtomic(path, `#\n#${new Date().toString()}\n${body}\n`, options)
}

/** A random id in Kafka's printed form (16 bytes, URL-safe base64 without padding). */
export function randomKafkaUuid(): string {
  return randomBytes(16).toString('base64url')
}
