/**
 * SaslHandshake (key 17), versions 0-1.
 *
 * On a SASL listener, picks the mechanism (src/security/sasl/server-authenticator.ts): v1 is
 * followed by SaslAuthenticate, v0 by raw size-framed SASL tokens. An unknown mechanism gets
 * UNSUPPORTED_SASL_MECHANISM with the enabled list, then the connection closes.
 * On a listener without SASL (PLAINTEXT, SSL), ILLEGAL_SASL_STATE, as Kafka.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { SaslHandshakeRequest, SaslHandshakeResponse } from '../../protocol/generated/sasl-handshake.js'
import { ErrorCode } from '../../protocol/errors.js'
import type { Handler } from '../handler.js'

export const saslHandshakeHandler: Handler<typeof ApiKey.SaslHandshake> = {
  apiKey: ApiKey.SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  request: SaslHandshakeRequest,
  response: SaslHandshakeResponse,
  handle(req, ctx) {
    if (!ctx.sasl) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }
    return ctx.sasl.handshake(req, ctx.apiVersion)
  },
}
