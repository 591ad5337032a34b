/**
 * How this broker connects to the others (replica fetchers, transaction markers, transaction
 * verification): with the security of the inter-broker listener, as Kafka's brokers do.
 *
 * - SSL / SASL_SSL: TLS with the listener's own truststore (the CAs the other brokers'
 *   certificates chain to) and keystore (presented as the client certificate, so
 *   `ssl.client.auth=required` works between brokers), re-read for every new connection so a
 *   certificate reload reaches the fetchers too. `ssl.endpoint.identification.algorithm`
 *   (default https) checks the peer's registered host name against its certificate.
 * - SASL_PLAINTEXT / SASL_SSL: `sasl.mechanism.inter.broker.protocol` (Samsa's default PLAIN;
 *   Kafka's GSSAPI is not served), with the `username=` / `password=` options of the listener's
 *   login module for that mechanism (`listener.name.<l>.<mech>.sasl.jaas.config`), Kafka's
 *   convention. Missing credentials, a mechanism the listener does not enable, or one Samsa
 *   cannot use between brokers, refuse start-up with the key to set, when there are other
 *   brokers to reach (metadata.store=etcd); a single broker with the local store has no peers,
 *   so its SASL listener needs no broker credentials (the error would come with a first use).
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import type { ConnectionOptions } from '../client/base/connection.js'
import type { SaslClient } from '../client/base/sasl/mechanism.js'
import { plainClient } from '../client/base/sasl/plain.js'
import { scramClient } from '../client/base/sasl/scram.js'
import { parseJaasConfig } from '../security/jaas.js'
import { listenerTls } from '../security/tls.js'
import { ConfigError, interBrokerListener, resolveListeners, saslMechanisms, type BrokerConfig } from './config.js'

/** What BrokerConnection.open needs beyond the address: fresh for each connection. */
export type InterBrokerSecurity = () => Pick<ConnectionOptions, 'tls' | 'sasl'>

export const PLAINTEXT_INTER_BROKER: InterBrokerSecurity = () => ({})

const CLIENT_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']

export function interBrokerSecurity(cfg: BrokerConfig): InterBrokerSecurity {
  try {
    return build(cfg)
  } catch (e) {
    if (!(e instanceof ConfigError) || cfg.get('metadata.store') === 'etcd') throw e
    return () => {
      throw e
    }
  }
}

function build(cfg: BrokerConfig): InterBrokerSecurity {
  const l = interBrokerListener(cfg, resolveListeners(cfg).listeners)
  const lower = l.name.toLowerCase()
  const tls = l.securityProtocol === 'SSL' || l.securityProtocol === 'SASL_SSL' ? interBrokerTls(cfg, l.name) : undefined
  let sasl: (() => SaslClient) | undefined
  if (l.securityProtocol === 'SASL_PLAINTEXT' || l.securityProtocol === 'SASL_SSL') {
    const mech = cfg.get('sasl.mechanism.inter.broker.protocol').trim().toUpperCase()
    if (!CLIENT_MECHANISMS.includes(mech)) {
      throw new ConfigError(`sasl.mechanism.inter.broker.protocol=${mech} cannot be used between Samsa brokers: set it to ${CLIENT_MECHANISMS.join(', ')} (one the inter-broker listener ${l.name} enables)`)
    }
    if (!saslMechanisms(cfg, l.name).includes(mech)) {
      throw new ConfigError(`sasl.mechanism.inter.broker.protocol=${mech} is not enabled on the inter-broker listener ${l.name}: add it to listener.name.${lower}.sasl.enabled.mechanisms (or sasl.enabled.mechanisms)`)
    }
    const key = `listener.name.${lower}.${mech.toLowerCase()}.sasl.jaas.config`
    const raw = cfg.listenerRaw(l.name, 'sasl.jaas.config', mech)
    const fix = `add username="<broker user>" password="<its password>" to ${key} (and, for PLAIN, that user as user_<broker user>="<its password>")`
    if (raw === undefined || raw.trim() === '') throw new ConfigError(`the inter-broker listener ${l.name} uses SASL ${mech} but the brokers have no credentials: ${fix}`)
    let options: Map<string, string>
    try {
      options = parseJaasConfig(raw, key).options
    } catch (e) {
      throw new ConfigError(`invalid value for ${key}: ${(e as Error).message}`)
    }
    const username = options.get('username')
    const password = options.get('password')
    if (username === undefined || password === undefined) throw new ConfigError(`the inter-broker listener ${l.name} uses SASL ${mech} but its login module has no username/password: ${fix}`)
    sasl = mech === 'PLAIN' ? () => plainClient(username, password) : () => scramClient({ mechanism: mech as 'SCRAM-SHA-256' | 'SCRAM-SHA-512', username, password })
  }
  return () => ({ ...(tls ? { tls: tls() } : {}), ...(sasl ? { sasl } : {}) })
}

function interBrokerTls(cfg: BrokerConfig, listener: string): () => TlsConnectionOptions {
  const server = listenerTls(cfg, listener)
  const algorithm = (cfg.listenerRaw(listener, 'ssl.endpoint.identification.algorithm') ?? 'https').trim().toLowerCase()
  if (algorithm !== '' && algorithm !== 'https') {
    throw new ConfigError(`invalid value for ssl.endpoint.identification.algorithm: ${algorithm}; give https (the default) or an empty value to skip host-name checks between brokers`)
  }
  return () => {
    const o = server.options()
    return {
      key: o.key,
      cert: o.cert,
      ...(o.passphrase !== undefined ? { passphrase: o.passphrase } : {}),
      ...(o.ca !== undefined ? { ca: o.ca } : {}),
      minVersion: o.minVersion,
      maxVersion: o.maxVersion,
      ...(algorithm === '' ? { checkServerIdentity: () => undefined } : {}),
    }
  }
}
