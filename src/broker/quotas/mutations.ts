/**
 * controller_mutation_rate (KIP-599): partitions created or deleted per second by CreateTopics,
 * CreatePartitions and DeleteTopics. Strict (CreateTopics v6+, CreatePartitions v3+,
 * DeleteTopics v5+): once the rate is over the bound, each further topic of the request fails
 * with THROTTLING_QUOTA_EXCEEDED; the mutation that crosses the bound is still accepted, as
 * Kafka's. Older versions are permissive: everything is accepted and only throttled. Either way
 * the response carries the throttle time and the connection is muted for it (throttle.ts).
 */
import { KafkaError } from '../../protocol/errors.js'
import type { RequestContext } from '../handler.js'

export class MutationQuota {
  private throttle = 0

  constructor(
    private readonly ctx: RequestContext,
    private readonly strict: boolean,
  ) {}

  /** THROTTLING_QUOTA_EXCEEDED when strict and the rate is already over the bound. */
  check(): void {
    if (!this.strict) return
    const q = this.ctx.broker.quotas
    const user = this.ctx.principal.name
    const clientId = this.ctx.clientId ?? ''
    if (q && q.exceeded('controller_mutation_rate', user, clientId)) {
      // Charging nothing answers how long until the rate is back under the bound.
      this.throttle = Math.max(this.throttle, q.record('controller_mutation_rate', user, clientId, 0))
      throw new KafkaError('THROTTLING_QUOTA_EXCEEDED', 'The throttling quota has been exceeded.')
    }
  }

  /** Charges `partitions` mutations (after they were made). */
  record(partitions: number): void {
    const q = this.ctx.broker.quotas
    if (!q || partitions <= 0) return
    this.throttle = Math.max(this.throttle, q.record('controller_mutation_rate', this.ctx.principal.name, this.ctx.clientId ?? '', partitions))
  }

  /** The response's throttle_time_ms. */
  get throttleTimeMs(): number {
    return this.throttle
  }
}
