/**
 * In-memory metadata for one broker. A stand-in until the file-backed local store lands: it
 * holds topics created through `createTopic` (used by tests and the embedded broker) and
 * forgets them on restart.
 */
import { randomUuid } from '../protocol/primitives/uuid.js'
import type { BrokerInfo, MetadataView, TopicInfo } from './types.js'

export class MemoryMetadata implements MetadataView {
  private readonly byName = new Map<string, TopicInfo>()
  private readonly byId = new Map<string, TopicInfo>()

  constructor(
    readonly clusterId: string,
    private readonly self: () => BrokerInfo,
  ) {}

  controllerId(): number {
    return this.self().nodeId
  }
  brokers(): BrokerInfo[] {
    return [this.self()]
  }
  topics(): Iterable<TopicInfo> {
    return this.byName.values()
  }
  topic(name: string): TopicInfo | undefined {
    return this.byName.get(name)
  }
  topicById(id: string): TopicInfo | undefined {
    return this.byId.get(id)
  }

  createTopic(name: string, partitions: number, configs: Record<string, string> = {}): TopicInfo {
    const existing = this.byName.get(name)
    if (existing) return existing
    const node = this.self().nodeId
    const t: TopicInfo = {
      name,
      topicId: randomUuid(),
      internal: name.startsWith('__'),
      partitions: Array.from({ length: partitions }, (_, p) => ({
        partition: p,
        leader: node,
        leaderEpoch: 0,
        replicas: [node],
        isr: [node],
        offlineReplicas: [],
      })),
      configs,
    }
    this.byName.set(name, t)
    this.byId.set(t.topicId, t)
    return t
  }
}
