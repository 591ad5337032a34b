/** One partition changed by a plan decided on its current state, through alterPartition's compare-and-swap. */
import { KafkaError } from '../protocol/errors.js'
import type { PartitionPlan } from './reassignment.js'
import type { MetadataStore } from './store.js'
import type { PartitionInfo, TopicInfo } from './types.js'

/** How often a plan that lost its compare-and-swap is decided again on the newer state. */
export const MAX_CAS_ATTEMPTS = 5

export interface PartitionChanged {
  before: PartitionInfo
  after: PartitionInfo
}

/**
 * Decides on the partition's current state and applies the plan; when someone else changed the
 * partition first (INVALID_UPDATE_VERSION), decides again on what they made. Undefined when
 * `decide` finds nothing to change. UNKNOWN_TOPIC_OR_PARTITION for a partition that does not
 * exist; whatever `decide` throws is thrown, and nothing is changed then.
 */
export async function changePartition(
  store: MetadataStore,
  topic: string,
  partition: number,
  decide: (p: PartitionInfo, t: TopicInfo) => PartitionPlan | undefined,
): Promise<PartitionChanged | undefined> {
  for (let attempt = 1; ; attempt++) {
    const t = store.topic(topic)
    const p = t?.partitions[partition]
    if (!t || !p) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Partition ${topic}-${partition} does not exist.`)
    const plan = decide(p, t)
    if (!plan) return undefined
    try {
      const after = await store.alterPartition({ topic, partition, partitionEpoch: p.partitionEpoch, ...plan })
      return { before: p, after }
    } catch (err) {
      if (err instanceof KafkaError && err.errorName === 'INVALID_UPDATE_VERSION' && attempt < MAX_CAS_ATTEMPTS) continue
      throw err
    }
  }
}
