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
 *
 * KIP-368: a session lasts connections.max.reauth.ms (per mechanism) or until the credential
 * expires (an OAUTHBEARER token's exp), whichever is sooner; SaslAuthenticate v1+ tells the
 * client. A client that used v1+ may re-authenticate at any time with a new SaslHandshake and
 * SaslAuthenticate between requests, with the same mechanism and the same principal. A request
 * other than a re-authentication after the session has expired closes the connection, as Kafka
 * does, whatever the client's version.
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
  /** connections.max.reauth.ms for a mechanism (listener.name.<l>.<mechanism>.connections.max.reauth.ms); 0: no limit. */
  maxReauthMs?(mechanism: string): number
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
  /** The mechanism and principal of the completed authentication, kept for re-authentication. */
  private session: { mechanism: string; principal: KafkaPrincipal } | undefined
  /** A re-authentication in progress: the mechanism the client asked for in its new handshake. */
  private reauthMechanism: string | undefined
  /** When the session ends (KIP-368), ms; undefined: never. */
  private expiresAt: number | undefined
  /** Whether the client sent SaslAuthenticate v1+ (it knows session_lifetime_ms and may re-authenticate). */
  private clientReauthenticates = false

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
        if (apiKey === ApiKey.SaslHandshake && this.clientReauthenticates) return undefined
        if (this.expiresAt !== undefined && this.time.now() >= this.expiresAt) {
          return 'the SASL session expired (connections.max.reauth.ms or the credential\'s lifetime) and the client did not re-authenticate'
        }
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
    if (this.state === 'complete' && this.clientReauthenticates && version >= 1 && this.cfg.mechanisms.includes(req.mechanism)) {
      // Re-authentication: the answer is Kafka's even for a changed mechanism, which then fails
      // at SaslAuthenticate.
      this.reauthMechanism = req.mechanism
      this.server = req.mechanism === this.session!.mechanism ? this.cfg.newServer(req.mechanism) : undefined
      this.state = 'authenticate'
      return { errorCode: ErrorCode.NONE, mechanisms }
    }
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

  async authenticate(req: SaslAuthenticateRequest, version = 0): Promise<SaslAuthenticateResponse> {
    if (this.state === 'authenticate' && this.reauthMechanism !== undefined && !this.server) {
      const message = `SASL mechanism '${this.reauthMechanism}' requested by client is not supported for re-authentication of mechanism '${this.session!.mechanism}'`
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n, ...(await this.fail(this.reauthMechanism, new SaslAuthenticationError(message))) }
    }
    if (this.state !== 'authenticate' || !this.server) {
      this.conn.closeAfterResponses()
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate before a SaslHandshake', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n }
    }
    if (version >= 1) this.clientReauthenticates = true
    const r = await this.step(req.authBytes)
    if ('error' in r) {
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: r.error, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n }
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: r.response, sessionLifetimeMs: BigInt(r.lifetimeMs) }
  }

  /** Kafka's session lifetime: the sooner of connections.max.reauth.ms and the credential's expiry; 0 when neither applies. */
  private startSession(mechanism: string, credentialExpiresAtMs: number | undefined): number {
    const now = this.time.now()
    const maxReauth = this.cfg.maxReauthMs?.(mechanism) ?? 0
    if (credentialExpiresAtMs === undefined && maxReauth <= 0) {
      this.expiresAt = undefined
      return 0
    }
    const untilExpiry = credentialExpiresAtMs === undefined ? Infinity : credentialExpiresAtMs - now
    const lifetime = Math.max(0, Math.min(untilExpiry, maxReauth > 0 ? maxReauth : Infinity))
    this.expiresAt = now + lifetime
    return lifetime
  }

  /** A raw token (after a v0 handshake): the bytes to answer, or undefined to close without answer (as Kafka). */
  async rawToken(token: Buffer): Promise<Buffer | undefined> {
    const r = await this.step(token)
    return 'error' in r ? undefined : r.response
  }

  private async step(token: Buffer): Promise<{ response: Buffer; lifetimeMs: number } | { error: string }> {
    const server = this.server!
    try {
      const s = await server.evaluate(token)
      let lifetimeMs = 0
      if (s.principal) {
        const previous = this.session
        if (previous !== undefined && (previous.principal.type !== s.principal.type || previous.principal.name !== s.principal.name)) {
          throw new SaslAuthenticationError(`Cannot change principals during re-authentication from ${previous.principal.type}.${previous.principal.name}: ${s.principal.type}.${s.principal.name}`)
        }
        this.state = 'complete'
        this.server = undefined
        this.reauthMechanism = undefined
        this.session = { mechanism: server.mechanism, principal: s.principal }
        lifetimeMs = this.startSession(server.mechanism, s.credentialExpiresAtMs)
        if (!previous) this.conn.authenticated(s.principal)
        this.logger.debug(previous ? 're-authenticated' : 'authenticated', { client: this.conn.remote, listener: this.cfg.listener, mechanism: server.mechanism, principal: `${s.principal.type}:${s.principal.name}`, sessionLifetimeMs: lifetimeMs })
      }
      return { response: s.response, lifetimeMs }
    } catch (e) {
      return this.fail(server.mechanism, e)
    }
  }

  private async fail(mechanism: string, e: unknown): Promise<{ error: string }> {
    this.state = 'failed'
    const message = e instanceof SaslAuthenticationError ? e.message : 'Authentication failed'
    this.logger.warn(this.session ? 're-authentication failed' : 'authentication failed', {
      client: this.conn.remote,
      listener: this.cfg.listener,
      mechanism,
      ...(e instanceof SaslAuthenticationError && e.user !== undefined ? { user: e.user } : {}),
      error: e instanceof SaslAuthenticationError ? (e.detail ?? e.message) : (e as Error).message,
    })
    this.conn.closeAfterResponses()
    if (this.cfg.failedDelayMs > 0) await new Promise<void>((resolve) => this.time.setTimeout(resolve, this.cfg.failedDelayMs))
    return { error: message }
  }
}
