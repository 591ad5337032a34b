/**
 * Reads a topic back with Samsa's own consumer, in-process (no group, every partition from the
 * beginning), for tests whose subject is something else: a tool that wrote the records.
 */
import { Admin } from '../../src/client/admin/admin.js'
import { Consumer } from '../../src/client/consumer/consumer.js'

export interface TopicRecord {
  partition: number
  offset: number
  timestamp: number
  key: string | null
  value: string | null
  headers: Array<{ key: string; value: string | null }>
}

const text = (b: Buffer | null) => (b === null ? null : b.toString('utf8'))

/**
 * At least `count` records of `topic` from the beginning (waiting up to timeoutMs for the topic
 * and the records), sorted by partition then offset: all the polls returned, so a test that
 * compares the whole list also sees records beyond the ones it expected.
 */
export async function readTopic(bootstrap: string, topic: string, count: number, timeoutMs = 30_000): Promise<TopicRecord[]> {
  const deadline = Date.now() + timeoutMs
  const admin = new Admin({ bootstrapServers: bootstrap })
  let partitions: number[]
  try {
    for (;;) {
      try {
        const [d] = await admin.describeTopics([topic])
        partitions = d!.partitions.map((p) => p.partition)
        break
      } catch (e) {
        if (Date.now() > deadline) throw e
        await new Promise((r) => setTimeout(r, 50))
      }
    }
  } finally {
    await admin.close()
  }
  const consumer = new Consumer({ bootstrapServers: bootstrap })
  try {
    consumer.assign(partitions.map((partition) => ({ topic, partition })))
    consumer.seekToBeginning()
    const out: TopicRecord[] = []
    while (out.length < count) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`${topic}: ${out.length} of ${count} records within ${timeoutMs} ms`)
      for (const r of await consumer.poll({ timeoutMs: left })) {
        out.push({ partition: r.partition, offset: Number(r.offset), timestamp: r.timestamp, key: text(r.key), value: text(r.value), headers: r.headers.map((h) => ({ key: h.key, value: text(h.value) })) })
      }
    }
    return out.sort((x, y) => x.partition - y.partition || x.offset - y.offset)
  } finally {
    await consumer.close()
  }
}
