/**
 * SASL OAUTHBEARER (RFC 7628) as Kafka's OAuthBearerSaslServer. The client-first message is
 * `n,[a=authzid],` then `\x01`-separated `key=value` pairs, one of them `auth=Bearer <token>`,
 * ended by `\x01\x01`. A refused token is answered, as Kafka does, with an RFC 7628 error
 * challenge `{"status":"invalid_token"}`; the client must then send a lone `\x01` and the
 * exchange fails with the validator's reason. The token check is a pluggable validator, so the
 * unsecured (alg "none") and the JWKS-signed validators share this exchange.
 */
import type { KafkaPrincipal } from '../principal.js'
import { SaslAuthenticationError, type SaslServer } from './mechanism.js'

/** A validated token: who it is for and when it stops being valid. */
export interface OAuthBearerToken {
  principalName: string
  /** Milliseconds since the epoch; bounds the session lifetime (KIP-368). */
  lifetimeMs: number
  scope: readonly string[]
}

/** Checks a compact JWT; throws OAuthBearerValidationError with a client-safe reason. */
export type OAuthBearerValidator = (compactJwt: string) => OAuthBearerToken | Promise<OAuthBearerToken>

export class OAuthBearerValidationError extends Error {
  override name = 'OAuthBearerValidationError'
  constructor(
    message: string,
    /** The scope the token lacked, echoed in the error challenge as Kafka does. */
    readonly failureScope?: string,
  ) {
    super(message)
  }
}

const KV_SEP = '\u0001'
const EXTENSION_KEY = /^[A-Za-z]+$/
const EXTENSION_VALUE = /^[\x21-\x7E \t\r\n]+$/
const MAX_MESSAGE = 64 * 1024

export interface ClientFirstMessage {
  authorizationId: string
  token: string
  extensions: Map<string, string>
}

/** Parses RFC 7628's client-first message; throws SaslAuthenticationError on a malformed one. */
export function parseClientFirstMessage(message: string): ClientFirstMessage {
  const bad = (why: string) => new SaslAuthenticationError(`Invalid OAUTHBEARER client first message: ${why}`)
  const m = /^n,(a=([^,]*))?,\u0001(.*)\u0001\u0001$/s.exec(message)
  if (m === null) throw bad('expected n,[a=<authzid>],\\x01<key=value>\\x01...\\x01\\x01')
  const authorizationId = m[2] ?? ''
  const extensions = new Map<string, string>()
  let token: string | undefined
  for (const pair of (m[3] ?? '').split(KV_SEP)) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw bad('a key/value pair has no key')
    const key = pair.slice(0, eq)
    const value = pair.slice(eq + 1)
    if (key === 'auth') {
      const b = /^Bearer +(\S+) *$/i.exec(value)
      if (b === null) throw bad('the auth value is not "Bearer <token>"')
      token = b[1]
      continue
    }
    if (!EXTENSION_KEY.test(key) || !EXTENSION_VALUE.test(value)) throw bad(`extension ${JSON.stringify(key)} is malformed`)
    if (extensions.has(key)) throw bad(`extension ${key} is repeated`)
    extensions.set(key, value)
  }
  if (token === undefined) throw bad('no auth=Bearer <token>')
  return { authorizationId, token, extensions }
}

export function oauthBearerServer(validate: OAuthBearerValidator): SaslServer & { readonly token?: OAuthBearerToken } {
  let state: 'first' | 'failed' | 'done' = 'first'
  let failure = ''
  let token: OAuthBearerToken | undefined
  return {
    mechanism: 'OAUTHBEARER',
    get token() {
      return token
    },
    get pendingFailure() {
      return state === 'failed' ? failure : undefined
    },
    async evaluate(bytes: Buffer) {
      if (state === 'failed') {
        state = 'done'
        // RFC 7628 3.2.3: after the error challenge the client sends only %x01.
        if (bytes.length !== 1 || bytes[0] !== 1) throw new SaslAuthenticationError('Authentication failed: expected the client to acknowledge the error challenge with %x01')
        throw new SaslAuthenticationError(failure)
      }
      if (state === 'done') throw new SaslAuthenticationError('Authentication failed: OAUTHBEARER exchange already finished')
      if (bytes.length > MAX_MESSAGE) throw new SaslAuthenticationError(`Invalid OAUTHBEARER client first message: longer than ${MAX_MESSAGE} bytes`)
      const first = parseClientFirstMessage(bytes.toString('utf8'))
      try {
        token = await validate(first.token)
      } catch (e) {
        if (!(e instanceof OAuthBearerValidationError)) throw e
        state = 'failed'
        failure = `Authentication failed: ${e.message}`
        const challenge: Record<string, string> = { status: 'invalid_token' }
        if (e.failureScope !== undefined) challenge.scope = e.failureScope
        return { response: Buffer.from(JSON.stringify(challenge), 'utf8') }
      }
      state = 'done'
      if (first.authorizationId !== '' && first.authorizationId !== token.principalName) {
        throw new SaslAuthenticationError(
          `Authentication failed: Client requested an authorization id (${first.authorizationId}) that is different from the token's principal name (${token.principalName})`,
          token.principalName,
        )
      }
      const principal: KafkaPrincipal = { type: 'User', name: token.principalName }
      return { response: Buffer.alloc(0), principal, credentialExpiresAtMs: token.lifetimeMs }
    },
  }
}
