/** What a server-side SASL mechanism is: messages in, challenges out, a principal at the end. */
import type { KafkaPrincipal } from '../principal.js'

export interface SaslStep {
  /** Bytes for the client (a challenge, or the final server message). */
  response: Buffer
  /** Set once the exchange succeeded. */
  principal?: KafkaPrincipal
  /** When the credential stops being valid (an OAUTHBEARER token's exp), ms since the epoch: bounds the session (KIP-368). */
  credentialExpiresAtMs?: number
}

export interface SaslServer {
  readonly mechanism: string
  /** One client message; throws SaslAuthenticationError when the client is refused. */
  evaluate(token: Buffer): SaslStep | Promise<SaslStep>
  /**
   * A refusal sent as a challenge the client has not answered yet (OAUTHBEARER's RFC 7628 error
   * message): a client that sends a request instead (kafkajs) closes the connection without the
   * reason ever being logged otherwise.
   */
  readonly pendingFailure?: string
}

/**
 * The client is refused. `message` goes to the client (Kafka's wording, never a secret);
 * `user` (when known) and `detail` (why, when the client is told less, as Kafka's generic
 * "invalid credentials" message) go to the broker's log.
 */
export class SaslAuthenticationError extends Error {
  override name = 'SaslAuthenticationError'
  constructor(
    message: string,
    readonly user?: string,
    readonly detail?: string,
  ) {
    super(message)
  }
}
