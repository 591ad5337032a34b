/**
 * TLS for SSL and SASL_SSL listeners with Node's `tls`, configured with Kafka's property
 * names (each may be overridden per listener as `listener.name.<l>.ssl.*`): PEM keystores
 * (`ssl.keystore.location`, a file with the key and its chain, or `ssl.keystore.key` +
 * `ssl.keystore.certificate.chain` inline), `ssl.key.password` for an encrypted key, PEM
 * truststores (`ssl.truststore.location` or `ssl.truststore.certificates`), `ssl.client.auth`,
 * `ssl.enabled.protocols` (TLSv1.2, TLSv1.3). JKS and PKCS12 stores are Java's: refused with
 * a hint to convert them to PEM.
 *
 * The key and certificate files are watched: when they change, the listener's secure context
 * is rebuilt and new connections use it (tls.Server#setSecureContext), without a restart; a
 * file that does not load keeps the old context and logs why.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs'
import { createSecureContext, type SecureContextOptions, type Server as TlsServer, type TLSSocket } from 'node:tls'
import { ConfigError, type BrokerConfig, type BrokerConfigKey } from '../broker/config.js'
import type { Logger } from '../util/logger.js'
import { mapPrincipal, parseMappingRules, subjectRfc2253 } from './ssl-principal-mapper.js'
import type { KafkaPrincipal } from './principal.js'

export interface ListenerTls {
  /** What tls.createServer takes: the secure context parts and client-certificate policy. */
  options(): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean }
  /** Files to watch for reload. */
  files: string[]
  /** The principal of a TLS connection on an SSL listener (client certificate subject, mapped), or undefined when no rule maps it. */
  principal(socket: TLSSocket): KafkaPrincipal | undefined
}

const PROTOCOLS: Record<string, 'TLSv1.2' | 'TLSv1.3'> = { 'TLSV1.2': 'TLSv1.2', 'TLSV1.3': 'TLSv1.3' }

export function listenerTls(cfg: BrokerConfig, listener: string): ListenerTls {
  const raw = (key: BrokerConfigKey): string | undefined => {
    const v = cfg.listenerRaw(listener, key)
    return v === undefined || v === '' ? undefined : v
  }
  const prefix = `listener.name.${listener.toLowerCase()}.`
  const where = (key: string) => (cfg.listenerProps.has(prefix + key) ? prefix + key : key)
  for (const key of ['ssl.keystore.type', 'ssl.truststore.type'] as const) {
    const t = (raw(key) ?? 'PEM').toUpperCase()
    if (t !== 'PEM') {
      throw new ConfigError(`${where(key)}=${t} is not supported: Samsa reads PEM stores only (JKS is Java-only); convert with keytool -importkeystore ... -deststoretype PKCS12, then openssl pkcs12 -nodes, and set ${where(key)}=PEM`)
    }
  }
  const clientAuth = (raw('ssl.client.auth') ?? 'none').toLowerCase()
  if (!['required', 'requested', 'none'].includes(clientAuth)) throw new ConfigError(`invalid value for ${where('ssl.client.auth')}: must be required, requested or none`)
  const protocols = (raw('ssl.enabled.protocols') ?? 'TLSv1.2,TLSv1.3').split(',').map((p) => p.trim()).filter((p) => p !== '')
  const bad = protocols.filter((p) => PROTOCOLS[p.toUpperCase()] === undefined)
  if (bad.length > 0 || protocols.length === 0) throw new ConfigError(`invalid value for ${where('ssl.enabled.protocols')}: ${bad.join(', ') || 'empty'}; Samsa serves TLSv1.2 and TLSv1.3`)
  const versions = protocols.map((p) => PROTOCOLS[p.toUpperCase()]!).sort()
  const keystore = raw('ssl.keystore.location')
  const inlineKey = raw('ssl.keystore.key')
  const inlineChain = raw('ssl.keystore.certificate.chain')
  if (!keystore && !(inlineKey && inlineChain)) {
    throw new ConfigError(`listener ${listener} uses TLS but has no key: set ${where('ssl.keystore.location')} (a PEM file with the private key and its certificate chain), or ssl.keystore.key and ssl.keystore.certificate.chain`)
  }
  const truststore = raw('ssl.truststore.location')
  const inlineTrust = raw('ssl.truststore.certificates')
  if (clientAuth !== 'none' && !truststore && !inlineTrust) {
    throw new ConfigError(`${where('ssl.client.auth')}=${clientAuth} needs the CA that signs client certificates: set ${where('ssl.truststore.location')} (PEM)`)
  }
  const passphrase = raw('ssl.key.password') ?? raw('ssl.keystore.password')
  let rules: ReturnType<typeof parseMappingRules>
  try {
    rules = parseMappingRules(raw('ssl.principal.mapping.rules') ?? 'DEFAULT')
  } catch (e) {
    throw new ConfigError((e as Error).message)
  }
  const read = (file: string, key: string) => {
    try {
      return readFileSync(file, 'utf8')
    } catch (e) {
      throw new ConfigError(`cannot read ${where(key)} ${file}: ${(e as Error).message}`)
    }
  }
  const options = () => {
    const pem = keystore ? read(keystore, 'ssl.keystore.location') : undefined
    const o = {
      key: pem ?? inlineKey!,
      cert: pem ?? inlineChain!,
      ...(passphrase !== undefined ? { passphrase } : {}),
      ...(truststore || inlineTrust ? { ca: truststore ? read(truststore, 'ssl.truststore.location') : inlineTrust! } : {}),
      minVersion: versions[0]!,
      maxVersion: versions.at(-1)!,
      requestCert: clientAuth !== 'none',
      // `requested`: a certificate is asked for and checked when sent, its absence tolerated;
      // Connection drops an unverified one (checkClientCertificate).
      rejectUnauthorized: clientAuth === 'required',
    }
    try {
      createSecureContext(o)
    } catch (e) {
      // Node's message says what is wrong (bad decrypt, no start line, key mismatch); never the passphrase.
      throw new ConfigError(`listener ${listener}: cannot load the TLS key and certificates: ${(e as Error).message}`)
    }
    return o
  }
  options()
  return {
    options,
    files: [keystore, truststore].filter((f): f is string => f !== undefined),
    principal(socket) {
      const cert = socket.getPeerCertificate()
      if (!cert || !cert.raw || !socket.authorized) return { type: 'User', name: 'ANONYMOUS' }
      const name = mapPrincipal(rules, subjectRfc2253(cert.raw))
      return name === undefined ? undefined : { type: 'User', name }
    },
  }
}

/** Rebuilds `server`'s secure context when a watched file changes; returns a stop function. */
export function watchTls(server: TlsServer, tls: ListenerTls, listener: string, logger: Logger, intervalMs = 1000): () => void {
  const reload = () => {
    try {
      server.setSecureContext(tls.options())
      logger.info('TLS key and certificates reloaded', { listener })
    } catch (e) {
      logger.error('TLS reload failed; the listener keeps its previous certificates', { listener, error: (e as Error).message })
    }
  }
  const onChange = (cur: { mtimeMs: number; size: number }, prev: { mtimeMs: number; size: number }) => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size) reload()
  }
  for (const f of tls.files) watchFile(f, { interval: intervalMs, persistent: false }, onChange)
  return () => {
    for (const f of tls.files) unwatchFile(f, onChange)
  }
}
