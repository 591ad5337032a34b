/**
 * Before a tool produces to or consumes from a topic: if the topic does not exist and the
 * broker will not create it on first use (`auto.create.topics.enable=false`), say so at once,
 * with the command that creates it. Otherwise the client would retry its metadata lookups
 * until max.block.ms (a minute) and then fail with UNKNOWN_TOPIC_OR_PARTITION, which is what
 * Kafka's tools do.
 *
 * When the broker does create topics, nothing is said: the client creates it, as with Kafka.
 * Any failure to find out (an old broker, no DescribeConfigs) is not an error here: the
 * client's own lookup decides.
 */
import type { Admin } from '../client/admin/admin.js'
import { CliError } from './common.js'

export async function requireTopicOrAutoCreate(admin: Admin, topic: string, bootstrap: string): Promise<void> {
  let autoCreate: string | null | undefined
  try {
    const topics = await admin.listTopics({ timeoutMs: 10_000 })
    if (topics.includes(topic)) return
    const cluster = await admin.describeCluster({ timeoutMs: 10_000 })
    const id = cluster.controllerId ?? cluster.brokers[0]?.nodeId
    if (id === undefined) return
    const [config] = await admin.describeConfigs([{ type: 'broker', name: String(id), keys: ['auto.create.topics.enable'] }], { timeoutMs: 10_000 })
    autoCreate = config?.entries.find((e) => e.name === 'auto.create.topics.enable')?.value
  } catch {
    return
  }
  if (autoCreate === 'false') {
    throw new CliError(
      `topic '${topic}' does not exist and the broker does not create topics on first use (auto.create.topics.enable=false); ` +
        `create it first: samsa topics --bootstrap-server ${bootstrap} --create --topic ${topic}`,
    )
  }
}
