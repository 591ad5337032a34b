/**
 * What a listener's security protocol needs, built once at start-up from the broker config:
 * on SASL_PLAINTEXT and SASL_SSL listeners, the enabled mechanisms and their users. SCRAM users
 * are not in the config: they are looked up in `scram` (the metadata store) on each login;
 * without it (the start-up check, before the store is open) a SCRAM login is refused.
 * Errors name the key to fix and never quote its value (it holds passwords).
 */
import { parseBrokerConfigValue, saslMechanisms, type BrokerConfig, type BrokerConfigKey, type BrokerConfigValue, type ResolvedListener } from '../broker/config.js'
import { ConfigError } from '../broker/config.js'
import { plainServer, plainUsersFromJaas } from './sasl/plain.js'
import type { SaslListenerConfig } from './sasl/server-authenticator.js'
import { oauthBearerServer, type OAuthBearerValidator } from './sasl/oauthbearer.js'
import { unsecuredOptionsFromJaas, unsecuredValidator } from './sasl/oauthbearer-unsecured.js'
import { jwksValidator, type JwksValidatorOptions } from './sasl/oauthbearer-jwks.js'
import { parseJaasConfig } from './jaas.js'
import { systemTime, type Time } from '../util/time.js'
import { scramServer } from './sasl/scram.js'
import { isScramMechanism, type ScramCredentialSource } from './sasl/scram-credential.js'

export const OAUTHBEARER_LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule'
/** Kafka's JWKS validator, under its name since 3.4 and its earlier one. */
const OAUTHBEARER_VALIDATOR_HANDLERS = ['org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler', 'org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler']

/**
 * A listener's value of `key` for `mechanism` (listener.name.<l>.<mechanism>.<key>, then
 * listener.name.<l>.<key>, then the broker-wide key), parsed and checked as the config table says.
 */
function listenerValue<K extends BrokerConfigKey>(cfg: BrokerConfig, listener: string, key: K, mechanism: string): BrokerConfigValue<K> {
  const raw = cfg.listenerRaw(listener, key, mechanism)
  if (raw === undefined) return cfg.get(key)
  try {
    return parseBrokerConfigValue(key, raw)
  } catch (e) {
    throw new ConfigError(`${(e as Error).message} (listener.name.${listener.toLowerCase()}.${mechanism.toLowerCase()}.${key}, or ${key})`)
  }
}

/** The JWKS validator's settings, each per listener (listener.name.<l>.oauthbearer.<key>) or broker-wide. */
function jwksOptions(cfg: BrokerConfig, listener: string, prefix: string): JwksValidatorOptions {
  const value = <K extends BrokerConfigKey>(key: K) => listenerValue(cfg, listener, key, 'OAUTHBEARER')
  const url = value('sasl.oauthbearer.jwks.endpoint.url')
  if (url === '') throw new ConfigError(`${prefix}sasl.server.callback.handler.class is Kafka's JWKS validator but no JWKS is configured: set ${prefix}sasl.oauthbearer.jwks.endpoint.url (or sasl.oauthbearer.jwks.endpoint.url) to the identity provider's JWKS URL (https:, http: or file:)`)
  try {
    const u = new URL(url)
    if (!['https:', 'http:', 'file:'].includes(u.protocol)) throw new Error(`scheme ${u.protocol}`)
  } catch (e) {
    throw new ConfigError(`invalid value for ${prefix}sasl.oauthbearer.jwks.endpoint.url: not an https:, http: or file: URL (${(e as Error).message})`)
  }
  return {
    url,
    refreshMs: value('sasl.oauthbearer.jwks.endpoint.refresh.ms'),
    minRefetchMs: value('sasl.oauthbearer.jwks.endpoint.retry.backoff.ms'),
    clockSkewSeconds: value('sasl.oauthbearer.clock.skew.seconds'),
    expectedAudience: value('sasl.oauthbearer.expected.audience'),
    expectedIssuer: value('sasl.oauthbearer.expected.issuer'),
    // An empty claim name means the default, as Kafka reads it.
    subClaimName: value('sasl.oauthbearer.sub.claim.name') || cfg.get('sasl.oauthbearer.sub.claim.name'),
    scopeClaimName: value('sasl.oauthbearer.scope.claim.name') || cfg.get('sasl.oauthbearer.scope.claim.name'),
  }
}

export function saslListenerConfig(cfg: BrokerConfig, l: ResolvedListener, time: Time = systemTime, scram: ScramCredentialSource = NO_SCRAM_USERS): SaslListenerConfig | undefined {
  if (l.securityProtocol !== 'SASL_PLAINTEXT' && l.securityProtocol !== 'SASL_SSL') return undefined
  const mechanisms = saslMechanisms(cfg, l.name)
  let plainUsers: Map<string, string> | undefined
  if (mechanisms.includes('PLAIN')) {
    const prefixed = `listener.name.${l.name.toLowerCase()}.plain.sasl.jaas.config`
    const key = cfg.listenerProps.has(prefixed) ? prefixed : cfg.listenerProps.has(`listener.name.${l.name.toLowerCase()}.sasl.jaas.config`) ? `listener.name.${l.name.toLowerCase()}.sasl.jaas.config` : 'sasl.jaas.config'
    try {
      plainUsers = plainUsersFromJaas(cfg.listenerRaw(l.name, 'sasl.jaas.config', 'PLAIN') ?? '', key)
    } catch (e) {
      throw new ConfigError(`invalid value for ${key}: ${(e as Error).message}`)
    }
  }
  let oauth: OAuthBearerValidator | undefined
  if (mechanisms.includes('OAUTHBEARER')) {
    const prefix = `listener.name.${l.name.toLowerCase()}.oauthbearer.`
    const handler = cfg.listenerRaw(l.name, 'sasl.server.callback.handler.class', 'OAUTHBEARER')?.trim() ?? ''
    if (handler !== '' && !OAUTHBEARER_VALIDATOR_HANDLERS.includes(handler)) {
      throw new ConfigError(`invalid value for ${prefix}sasl.server.callback.handler.class: Samsa has no class ${handler}; use ${OAUTHBEARER_VALIDATOR_HANDLERS[0]} (signed tokens checked against a JWKS) or leave it unset (unsecured tokens, for tests)`)
    }
    if (handler !== '') {
      oauth = jwksValidator(time, jwksOptions(cfg, l.name, prefix))
    } else {
      // Without a server callback handler Kafka validates unsecured tokens with the options of
      // the listener's OAuthBearerLoginModule entry.
      const key = `${prefix}sasl.jaas.config`
      try {
        const entry = parseJaasConfig(cfg.listenerRaw(l.name, 'sasl.jaas.config', 'OAUTHBEARER') ?? '', key)
        if (entry.loginModule !== OAUTHBEARER_LOGIN_MODULE) throw new Error(`the OAUTHBEARER mechanism needs ${OAUTHBEARER_LOGIN_MODULE}, not ${entry.loginModule}`)
        oauth = unsecuredValidator(time, unsecuredOptionsFromJaas(entry.options))
      } catch (e) {
        throw new ConfigError(`invalid value for ${key} (or sasl.jaas.config): ${(e as Error).message}`)
      }
    }
  }
  // connections.max.reauth.ms, per mechanism as Kafka reads it (checked here, at start-up).
  const maxReauth = new Map(mechanisms.map((m) => [m, listenerValue(cfg, l.name, 'connections.max.reauth.ms', m)]))
  return {
    listener: l.name,
    mechanisms,
    failedDelayMs: cfg.get('connection.failed.authentication.delay.ms'),
    maxReauthMs: (mechanism) => maxReauth.get(mechanism) ?? 0,
    newServer(mechanism) {
      if (mechanism === 'PLAIN') return plainServer(plainUsers!)
      if (mechanism === 'OAUTHBEARER') return oauthBearerServer(oauth!)
      if (isScramMechanism(mechanism)) return scramServer(mechanism, scram)
      throw new Error(`mechanism ${mechanism} has no server`)
    },
  }
}

const NO_SCRAM_USERS: ScramCredentialSource = { scramCredential: () => undefined }
