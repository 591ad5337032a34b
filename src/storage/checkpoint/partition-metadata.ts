/**
 * `partition.metadata` in a partition directory: the topic id the log belongs to, so a log
 * left behind by a deleted topic is not mistaken for a new topic of the same name.
 *
 *   version: 0
 *   topic_id: <topic id as Kafka prints it>
 */
import { readFile } from 'node:fs/promises'
import { StorageError, isNotFound } from '../errors.js'
import { writeFileAtomic } from '../io/files.js'

export async function readPartitionMetadata(path: string): Promise<{ topicId: string } | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw err
  }
  const fields = new Map<string, string>()
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim())
  }
  const topicId = fields.get('topic_id')
  if (fields.get('version') !== '0' || !topicId) {
    throw new StorageError('KAFKA_STORAGE_ERROR', `malformed partition metadata ${path}`)
  }
  return { topicId }
}

export async function writePartitionMetadata(path: string, topicId: string, options: { fsync?: boolean } = {}): Promise<void> {
  await writeFileAtomic(path, `version: 0\ntopic_id: ${topicId}\n`, options)
}
