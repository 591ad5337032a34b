/**
 * Producer ids for InitProducerId (Kafka's ProducerIdManager): handed out one by one from a
 * block reserved in the metadata store (allocateProducerIds), so an id is never given twice,
 * across restarts and, with the cluster store, across brokers. A new block is reserved when
 * the current one runs out; concurrent requests share that one reservation.
 */
import type { MetadataStore, ProducerIdBlock } from '../metadata/store.js'

/** Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE. */
export const PRODUCER_ID_BLOCK_SIZE = 1000

export class ProducerIdManager {
  private readonly store: Pick<MetadataStore, 'allocateProducerIds'>
  private readonly blockSize: number
  private block: ProducerIdBlock | undefined
  private used = 0
  private fetching: Promise<void> | undefined

  constructor(store: Pick<MetadataStore, 'allocateProducerIds'>, options: { blockSize?: number } = {}) {
    this.store = store
    this.blockSize = options.blockSize ?? PRODUCER_ID_BLOCK_SIZE
  }

  /** The next unused producer id; rejects (KAFKA_STORAGE_ERROR) when a new block cannot be recorded. */
  async generate(): Promise<bigint> {
    for (;;) {
      const b = this.block
      if (b && this.used < b.count) return b.firstProducerId + BigInt(this.used++)
      this.fetching ??= this.store.allocateProducerIds(this.blockSize).then(
        (next) => {
          this.block = next
          this.used = 0
          this.fetching = undefined
        },
        (err: unknown) => {
          this.fetching = undefined
          throw err
        },
      )
      await this.fetching
    }
  }
}
