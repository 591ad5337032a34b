/**
 * What a listener's security protocol needs, built once at start-up from the broker config:
 * on SASL_PLAINTEXT and SASL_SSL listeners, the enabled mechanisms and their users. SCRAM users
 * are not in the config: they are looked up in `scram` (the metadata store) on each login;
 * without it (the start-up check, before the store is open) a SCRAM login is refused.
 * Errors name the key to fix and never quote its value (it holds passwords).
 */
import { saslMechanisms, type BrokerConfig, type ResolvedListener } from '../broker/config.js'
import { ConfigError } from '../broker/config.js'
import { plainServer, plainUsersFromJaas } from './sasl/plain.js'
import type { SaslListenerConfig } from './sasl/server-authenticator.js'
import { oauthBearerServer, type OAuthBearerValidator } from './sasl/oauthbearer.js'
import { unsecuredOptionsFromJaas, unsecuredValidator } from './sasl/oauthbearer-unsecured.js'
import { parseJaasConfig } from './jaas.js'
import { systemTime, type Time } from '../util/time.js'
import { scramServer } from './sasl/scram.js'
import { isScramMechanism, type ScramCredentialSource } from './sasl/scram-credential.js'

export const OAUTHBEARER_LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule'

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
    // Without a server callback handler Kafka validates unsecured tokens with the options of
    // the listener's OAuthBearerLoginModule entry; the JWKS validator is not built yet.
    const key = `listener.name.${l.name.toLowerCase()}.oauthbearer.sasl.jaas.config`
    try {
      const entry = parseJaasConfig(cfg.listenerRaw(l.name, 'sasl.jaas.config', 'OAUTHBEARER') ?? '', key)
      if (entry.loginModule !== OAUTHBEARER_LOGIN_MODULE) throw new Error(`the OAUTHBEARER mechanism needs ${OAUTHBEARER_LOGIN_MODULE}, not ${entry.loginModule}`)
      oauth = unsecuredValidator(time, unsecuredOptionsFromJaas(entry.options))
    } catch (e) {
      throw new ConfigError(`invalid value for ${key} (or sasl.jaas.config): ${(e as Error).message}`)
    }
  }
  return {
    listener: l.name,
    mechanisms,
    failedDelayMs: cfg.get('connection.failed.authentication.delay.ms'),
    newServer(mechanism) {
      if (mechanism === 'PLAIN') return plainServer(plainUsers!)
      if (mechanism === 'OAUTHBEARER') return oauthBearerServer(oauth!)
      if (isScramMechanism(mechanism)) return scramServer(mechanism, scram)
      throw new Error(`mechanism ${mechanism} has no server`)
    },
  }
}

const NO_SCRAM_USERS: ScramCredentialSource = { scramCredential: () => undefined }
