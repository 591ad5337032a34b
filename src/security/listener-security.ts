/**
 * What a listener's security protocol needs, built once at start-up from the broker config:
 * on SASL_PLAINTEXT (and later SASL_SSL) listeners, the enabled mechanisms and their users.
 * Errors name the key to fix and never quote its value (it holds passwords).
 */
import { saslMechanisms, type BrokerConfig, type ResolvedListener } from '../broker/config.js'
import { ConfigError } from '../broker/config.js'
import { plainServer, plainUsersFromJaas } from './sasl/plain.js'
import type { SaslListenerConfig } from './sasl/server-authenticator.js'

export function saslListenerConfig(cfg: BrokerConfig, l: ResolvedListener): SaslListenerConfig | undefined {
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
  return {
    listener: l.name,
    mechanisms,
    failedDelayMs: cfg.get('connection.failed.authentication.delay.ms'),
    newServer(mechanism) {
      if (mechanism === 'PLAIN') return plainServer(plainUsers!)
      throw new Error(`mechanism ${mechanism} has no server`)
    },
  }
}
