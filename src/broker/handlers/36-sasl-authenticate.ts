/**
 * SaslAuthenticate (key 36), versions 0-2.
 *
 * One SASL message of the mechanism chosen by SaslHandshake v1
 * (src/security/sasl/server-authenticator.ts). Refused: SASL_AUTHENTICATION_FAILED with
 * Kafka's message, after connection.failed.authentication.delay.ms, then the connection
 * closes. Before a handshake, or on a listener without SASL: ILLEGAL_SASL_STATE.
 * v1+ answers carry session_lifetime_ms (KIP-368: connections.max.reauth.ms or the credential's
 * lifetime); a v1+ client may re-authenticate with a new SaslHandshake.
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
    return ctx.sasl.authenticate(req, ctx.apiVersion)
  },
}
