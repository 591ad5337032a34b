/**
 * The quotas one request answers to, applied as Kafka's KafkaApis does once a response is
 * ready: Produce records the request's bytes against producer_byte_rate, Fetch the response's
 * bytes against consumer_byte_rate, and every client request its handler time against
 * request_percentage. The throttle time is the largest of them; it goes into the response's
 * throttle_time_ms and the connection stops reading for that long after the response is sent
 * (KIP-219), so a client that ignores the field is held back too.
 *
 * A Fetch over its quota is answered without data (its bytes are taken back), as Kafka does:
 * the consumer's rate then falls back while it waits.
 *
 * Handler time is measured on the event loop: the synchronous part of the handler plus the
 * response's encoding (Node has one thread; time spent waiting — a long poll, replication —
 * costs the broker nothing, as Kafka does not count purgatory time either).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import type { FetchRequest, FetchResponse } from '../../protocol/generated/fetch.js'
import type { KafkaPrincipal } from '../../security/principal.js'
import type { ClientQuotaManager } from './client-quota-manager.js'

export interface RequestUse {
  apiKey: number
  principal: KafkaPrincipal
  clientId: string | null
  request: unknown
  /** The request's frame size. */
  requestBytes: number
  /** Event-loop time the request took, ms. */
  handlerMs: number
}

/** APIs Kafka never throttles on request time (ApiVersions must always answer; broker-to-broker calls). */
const REQUEST_QUOTA_EXEMPT = new Set<number>([ApiKey.ApiVersions, ApiKey.WriteTxnMarkers])

const MUTATION_APIS = new Set<number>([ApiKey.CreateTopics, ApiKey.DeleteTopics, ApiKey.CreatePartitions])

/** Fetch from a follower: replication is not a client and answers to no client quota. */
function fromFollower(req: FetchRequest): boolean {
  return (req.replicaId ?? -1) >= 0 || (req.replicaState?.replicaId ?? -1) >= 0
}

/**
 * Records this request's use and answers the throttle time in ms; for a Fetch over quota,
 * `empty` is the response to send instead (no data).
 */
export function applyQuotas(q: ClientQuotaManager, use: RequestUse, responseBytes: number, body: unknown): { throttleMs: number; replace?: unknown } {
  const user = use.principal.name
  const clientId = use.clientId ?? ''
  let throttleMs = 0
  let replace: unknown
  if (use.apiKey === ApiKey.Produce) {
    throttleMs = q.record('producer_byte_rate', user, clientId, use.requestBytes)
  } else if (use.apiKey === ApiKey.Fetch && !fromFollower(use.request as FetchRequest)) {
    throttleMs = q.record('consumer_byte_rate', user, clientId, responseBytes)
    if (throttleMs > 0) {
      q.unrecord('consumer_byte_rate', user, clientId, responseBytes)
      const resp = body as FetchResponse
      const req = use.request as FetchRequest
      // A full fetch answered without its partitions must not look like a session.
      const sessionId = (req.sessionEpoch ?? 0) > 0 ? resp.sessionId : 0
      replace = { ...resp, errorCode: 0, sessionId, responses: [] } satisfies FetchResponse
    }
  }
  if (MUTATION_APIS.has(use.apiKey)) {
    // controller_mutation_rate was charged by the handler (mutations.ts): its throttle is in the body.
    throttleMs = Math.max(throttleMs, (body as { throttleTimeMs?: number }).throttleTimeMs ?? 0)
  }
  if (!REQUEST_QUOTA_EXEMPT.has(use.apiKey)) {
    // Percent of one thread over a second: ms of handler time per second / 10.
    throttleMs = Math.max(throttleMs, q.record('request_percentage', user, clientId, use.handlerMs / 10))
  }
  return replace !== undefined ? { throttleMs, replace } : { throttleMs }
}
