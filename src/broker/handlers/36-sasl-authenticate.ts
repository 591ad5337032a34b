/**
 * SaslAuthenticate (key 36), versions 0-2.
 *
 * One SASL message of the mechanism chosen by SaslHandshake v1
 * (src/security/sasl/server-authenticator.ts). Refused: SASL_AUTHENTICATION_FAILED with
 * Kafka's message, after connection.failed.authentication.delay.ms, then the connection
 * closes. Before a handshake, or on a listener without SASL: ILLEGAL_SASL_STATE.
 * Gap: session_lifetime_ms is 0 (no KIP-368 re-authentication yet).
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../../protocol/generated/sasl-authenticate.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { Handler } from '../handler.js'

export const saslAuthenticateHandler: Handler<typeof ApiKey.SaslAuthenticate> = {
  apiKey: ApiKey.SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  request: SaslAuthenticateRequest,
  response: SaslAuthenticateResponse,
  handle(req, ctx) {
    if (!ctx.sasl) {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'This listener does not use SASL', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n }
    }
    return ctx.sasl.authenticate(req)
  },
}
