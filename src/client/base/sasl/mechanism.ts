/**
 * The client side of a SASL mechanism: the first message, then one answer per server message
 * until the exchange is complete. The connection carries the bytes (SaslAuthenticate, or raw
 * size-framed tokens after a v0 handshake); the mechanism only computes them.
 */

export interface SaslClient {
  /** The name sent in SaslHandshake (PLAIN, SCRAM-SHA-256, OAUTHBEARER...). */
  readonly mechanism: string
  /** The client's first message. */
  initial(): Promise<Buffer>
  /**
   * The server's answer to the last message: the next message to send, or null when the
   * exchange is complete. Throws SaslClientError when the server's message is unacceptable
   * (a SCRAM server signature that does not verify).
   */
  challenge(serverMessage: Buffer): Buffer | null
}

/** The server's part of an exchange failed a check on our side. */
export class SaslClientError extends Error {
  override name = 'SaslClientError'
}
