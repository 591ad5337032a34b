/** What a request handler is, and what it gets to see. */
import type { ApiKeyNumber, MessageCodec, RequestOf, ResponseOf } from '../protocol/generated/api-keys.js'
import type { MetadataStore } from '../metadata/store.js'
import type { AppendTurn } from './replica-append.js'
import type { FaultHooks } from '../util/faults.js'
import type { TxnVerifier } from './txn-verification.js'
import type { Logger } from '../util/logger.js'
import type { BrokerConfig } from './config.js'
import type { FetchSessionCache } from './fetch-session.js'
import type { ProducerIdManager } from './producer-ids.js'
import type { ReplicaManager } from './replica-manager.js'
import type { GroupCoordinator } from '../coordinator/group/coordinator.js'
import type { TransactionCoordinator } from '../coordinator/txn/coordinator.js'
import type { KafkaPrincipal } from '../security/principal.js'
import type { StandardAuthorizer } from '../security/authorizer/standard-authorizer.js'
import type { SaslServerAuthenticator } from '../security/sasl/server-authenticator.js'
import type { ClientQuotaManager } from './quotas/client-quota-manager.js'

export interface BrokerContext {
  readonly nodeId: number
  readonly config: BrokerConfig
  readonly metadata: MetadataStore
  readonly replicas: ReplicaManager
  readonly fetchSessions: FetchSessionCache
  /** Producer ids for InitProducerId, from blocks reserved in the metadata store. */
  readonly producerIds: ProducerIdManager
  readonly groups: GroupCoordinator
  /** The transaction coordinator (`__transaction_state`). */
  readonly txns: TransactionCoordinator
  /** Asks the transaction coordinator whether a transactional write's partition is in its transaction (KIP-890 part 1). */
  readonly txnVerifier?: TxnVerifier
  readonly handlers: HandlerRegistry
  /** ACLs (authorizer.class.name); absent: no authorization, every request allowed. Handlers ask through security/authorizer/broker-authorizer.ts authorize(). */
  readonly authorizer?: StandardAuthorizer
  readonly logger: Logger
  /** Aborted when the broker shuts down: long polls return at once. */
  readonly shutdown: AbortSignal
  /** Client quotas (producer/consumer byte rates, request time); absent: nothing is throttled. */
  readonly quotas?: ClientQuotaManager
  /** Test hooks; `response.send` (detail: the response's name) loses a response after its request was handled. */
  readonly faults?: FaultHooks
}

export interface RequestContext {
  readonly apiKey: number
  readonly apiVersion: number
  readonly correlationId: number
  readonly clientId: string | null
  /** host:port of the client, for logs. */
  readonly clientAddress: string
  /** Who the connection acts as (User:ANONYMOUS until TLS or SASL says otherwise). */
  readonly principal: KafkaPrincipal
  /** The listener the request came in on (its name, upper case): Metadata answers with its addresses. */
  readonly listenerName: string
  /** The connection's SASL state, on SASL_PLAINTEXT and SASL_SSL listeners. */
  readonly sasl?: SaslServerAuthenticator
  readonly broker: BrokerContext
  /** Aborted when the connection closes or the broker shuts down. */
  readonly signal: AbortSignal
  /** Produce: this request's turn in its connection's order of appends (replica-append.ts AppendTurn). */
  readonly appendTurn?: AppendTurn
  /**
   * Fetch: buffers for the records read, of exactly the size asked, reused once the response
   * carrying them is written (broker/buffer-pool.ts). Only for bytes that go into the response
   * and nowhere else.
   */
  readonly responseBuffer?: (size: number) => Buffer
}

/** Returned by a handler when the protocol sends no response (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no response')

/**
 * The handler of one API key, typed by it: the request it decodes and the response it answers
 * are that API's (a handler registered for Produce cannot answer a FetchResponse).
 * `Handler` without an argument is any handler, as the registry holds them.
 */
export interface Handler<K extends ApiKeyNumber = ApiKeyNumber> {
  readonly apiKey: K
  readonly minVersion: number
  readonly maxVersion: number
  /**
   * What ApiVersions reports as the minimum when it differs from what is served (Kafka 4 lists
   * Produce v0-2 it does not serve, KAFKA-18659). No handler needs it while every version is
   * served; requests below minVersion are refused.
   */
  readonly advertisedMinVersion?: number
  readonly request: MessageCodec<RequestOf<K>>
  readonly response: MessageCodec<ResponseOf<K>>
  handle(request: RequestOf<K>, ctx: RequestContext): ResponseOf<K> | typeof NO_RESPONSE | Promise<ResponseOf<K> | typeof NO_RESPONSE>
}

export class HandlerRegistry {
  private readonly byKey = new Map<number, Handler>()

  register<K extends ApiKeyNumber>(h: Handler<K>): this {
    if (h.minVersion < h.request.minVersion || h.maxVersion > h.request.maxVersion) {
      throw new Error(`handler for ${h.request.name} claims versions the codec lacks`)
    }
    this.byKey.set(h.apiKey, h)
    return this
  }

  get(apiKey: number): Handler | undefined {
    return this.byKey.get(apiKey)
  }

  /** The advertised ranges, sorted by key: what is registered (with advertisedMinVersion applied). */
  versions(): Array<{ apiKey: number; minVersion: number; maxVersion: number; servedMinVersion: number }> {
    return [...this.byKey.values()]
      .sort((a, b) => a.apiKey - b.apiKey)
      .map((h) => ({ apiKey: h.apiKey, minVersion: h.advertisedMinVersion ?? h.minVersion, maxVersion: h.maxVersion, servedMinVersion: h.minVersion }))
  }
}
