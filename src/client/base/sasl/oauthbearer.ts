/**
 * SASL OAUTHBEARER client (RFC 7628) as Kafka's OAuthBearerSaslClient: one message,
 * `n,,\x01auth=Bearer <token>\x01[key=value\x01...]\x01`, with the token from the
 * application's provider (kafkajs's `oauthBearerProvider`). A refused token comes back as an
 * error challenge (JSON); RFC 7628 has the client answer it with a lone `\x01`, after which the
 * broker fails the exchange with its reason.
 */
import { SaslClientError, type SaslClient } from './mechanism.js'

export interface OAuthBearerTokenValue {
  /** The compact JWT (or other bearer token). */
  value: string
  /** SASL extensions (KIP-342), sent as key=value pairs. */
  extensions?: Record<string, string>
}

export type OAuthBearerProvider = () => Promise<OAuthBearerTokenValue> | OAuthBearerTokenValue

const KV = '\u0001'

export function oauthBearerClient(provider: OAuthBearerProvider): SaslClient {
  let answeredError = false
  return {
    mechanism: 'OAUTHBEARER',
    async initial() {
      const t = await provider()
      if (!t || typeof t.value !== 'string' || t.value === '' || /\s/.test(t.value)) {
        throw new SaslClientError('oauthBearerProvider must resolve to { value: <token> } with a non-empty token without spaces')
      }
      let ext = ''
      for (const [k, v] of Object.entries(t.extensions ?? {})) {
        if (!/^[A-Za-z]+$/.test(k) || k === 'auth') throw new SaslClientError(`OAUTHBEARER extension name '${k}' must be letters only and not 'auth'`)
        ext += `${k}=${v}${KV}`
      }
      return Buffer.from(`n,,${KV}auth=Bearer ${t.value}${KV}${ext}${KV}`, 'utf8')
    },
    challenge(m) {
      if (m.length === 0) return null
      if (answeredError) throw new SaslClientError('the broker sent a second OAUTHBEARER error challenge')
      // An error challenge: answer it so the broker sends its reason as the failure.
      answeredError = true
      return Buffer.from(KV, 'utf8')
    },
  }
}
