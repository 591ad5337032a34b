/**
 * The SASL side of one connection on a SASL_PLAINTEXT or SASL_SSL listener, as Kafka's
 * SaslServerAuthenticator: until authentication completes only ApiVersions, SaslHandshake and
 * SaslAuthenticate are served (anything else closes the connection). SaslHandshake v1 is
 * followed by SaslAuthenticate requests; v0 by raw SASL tokens framed only by their size
 * (clients from before KIP-152, kafka-python with old API versions), answered the same way.
 *
 * A refused client gets SASL_AUTHENTICATION_FAILED with Kafka's message, one warn line names
 * its address (never a password), and the answer and the close wait
 * connection.failed.authentication.delay.ms, so a password guesser is slowed down.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { ApiKey } from '../../protocol/generated/api-keys.js'
import type { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../../protocol/generated/sasl-authenticate.js'
import type { SaslHandshakeRequest, SaslHandshakeResponse } from '../../protocol/generated/sasl-handshake.js'
import type { Logger } from '../../util/logger.js'
import type { Time } from '../../util/time.js'
import type { KafkaPrincipal } from '../principal.js'
import { SaslAuthenticationError, type SaslServer } from './mechanism.js'

/** What a listener's SASL set-up gives each of its connections. */
export interface SaslListenerConfig {
  listener: string
  /** sasl.enabled.mechanisms, as sent in SaslHandshake responses. */
  mechanisms: readonly string[]
  /** A fresh server for `mechanism` (one of `mechanisms`). */
  newServer(mechanism: string): SaslServer
  /** connection.failed.authentication.delay.ms */
  failedDelayMs: number
}

/** What the authenticator may do to its connection. */
export interface SaslConnectionControl {
  readonly remote: string
  authenticated(principal: KafkaPrincipal): void
  /** Answer what is queued, then close. */
  closeAfterResponses(): void
}

type State = 'handshake' | 'authenticate' | 'raw' | 'complete' | 'failed'

export class SaslServerAuthenticator {
  private state: State = 'handshake'
  private server: SaslServer | undefined

  constructor(
    private readonly cfg: SaslListenerConfig,
    private readonly conn: SaslConnectionControl,
    private readonly logger: Logger,
    private readonly time: Time,
  ) {}

  get complete(): boolean {
    return this.state === 'complete'
  }

  /** After a v0 handshake, frames are raw SASL tokens, not requests. */
  get rawTokens(): boolean {
    return this.state === 'raw'
  }

  /** Why a request of `apiKey` may not be served now, or undefined when it may. */
  refusal(apiKey: number): string | undefined {
    switch (this.state) {
      case 'complete':
        return undefined
      case 'handshake':
        return apiKey === ApiKey.ApiVersions || apiKey === ApiKey.SaslHandshake ? undefined : `Unexpected Kafka request of type ${apiKey} during SASL handshake.`
      case 'authenticate':
        if (apiKey === ApiKey.SaslAuthenticate) return undefined
        return `Unexpected Kafka request of type ${apiKey} during SASL authentication.${this.server?.pendingFailure ? ` (${this.server.pendingFailure})` : ''}`
      default:
        return 'authentication failed'
    }
  }

  handshake(req: SaslHandshakeRequest, version: number): SaslHandshakeResponse {
    const mechanisms = [...this.cfg.mechanisms]
    if (this.state !== 'handshake') {
      this.conn.closeAfterResponses()
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms }
    }
    if (!this.cfg.mechanisms.includes(req.mechanism)) {
      this.logger.warn('closing connection: unsupported SASL mechanism', { client: this.conn.remote, listener: this.cfg.listener, mechanism: req.mechanism, enabled: mechanisms })
      this.state = 'failed'
      this.conn.closeAfterResponses()
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms }
    }
    this.server = this.cfg.newServer(req.mechanism)
    this.state = version === 0 ? 'raw' : 'authenticate'
    return { errorCode: ErrorCode.NONE, mechanisms }
  }

  async authenticate(req: SaslAuthenticateRequest): Promise<SaslAuthenticateResponse> {
    if (this.state !== 'authenticate' || !this.server) {
      this.conn.closeAfterResponses()
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate before a SaslHandshake', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n }
    }
    const r = await this.step(req.authBytes)
    if ('error' in r) {
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: r.error, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n }
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: r.response, sessionLifetimeMs: 0n }
  }

  /** A raw token (after a v0 handshake): the bytes to answer, or undefined to close without answer (as Kafka). */
  async rawToken(token: Buffer): Promise<Buffer | undefined> {
    const r = await this.step(token)
    return 'error' in r ? undefined : r.response
  }

  private async step(token: Buffer): Promise<{ response: Buffer } | { error: string }> {
    const server = this.server!
    try {
      const s = await server.evaluate(token)
      if (s.principal) {
        this.state = 'complete'
        this.server = undefined
        this.conn.authenticated(s.principal)
        this.logger.debug('authenticated', { client: this.conn.remote, listener: this.cfg.listener, mechanism: server.mechanism, principal: `${s.principal.type}:${s.principal.name}` })
      }
      return { response: s.response }
    } catch (e) {
      this.state = 'failed'
      const message = e instanceof SaslAuthenticationError ? e.message : 'Authentication failed'
      this.logger.warn('authentication failed', {
        client: this.conn.remote,
        listener: this.cfg.listener,
        mechanism: server.mechanism,
        ...(e instanceof SaslAuthenticationError && e.user !== undefined ? { user: e.user } : {}),
        error: e instanceof SaslAuthenticationError ? (e.detail ?? e.message) : (e as Error).message,
      })
      this.conn.closeAfterResponses()
      if (this.cfg.failedDelayMs > 0) await new Promise<void>((resolve) => this.time.setTimeout(resolve, this.cfg.failedDelayMs))
      return { error: message }
    }
  }
}
