/**
 * Kafka's client security properties (from --command-config, --producer.config,
 * --consumer.config and the -property flags) turned into the Samsa client's `ssl` and `sasl`
 * options: `security.protocol`, PEM `ssl.truststore.location` / `ssl.keystore.location`
 * (or inline `ssl.truststore.certificates`, `ssl.keystore.key` + `ssl.keystore.certificate.chain`),
 * `ssl.key.password`, `ssl.endpoint.identification.algorithm`, `sasl.mechanism` and
 * `sasl.jaas.config` with PlainLoginModule / ScramLoginModule `username=` `password=`, or
 * OAuthBearerLoginModule with Kafka's unsecured-token options (`unsecuredLoginStringClaim_sub`,
 * ...; tests and development only). Fetching tokens from `sasl.oauthbearer.token.endpoint.url`
 * is not done: refused with what to use instead. JKS and PKCS12 stores are Java's: refused
 * with the conversion to PEM.
 */
import { readFileSync } from 'node:fs'
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import type { BaseOptions } from '../client/base/options.js'
import type { SaslOptions } from '../client/base/sasl/index.js'
import type { OAuthBearerTokenValue } from '../client/base/sasl/oauthbearer.js'
import { parseJaasConfig, type JaasEntry } from '../security/jaas.js'
import { usage } from './common.js'

export interface SecurityOptions {
  ssl?: TlsConnectionOptions
  sasl?: SaslOptions
}

const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']

/** The keys this module reads; any other ssl.* / sasl.* key is warned about and ignored. */
const KNOWN = new Set([
  'security.protocol',
  'ssl.truststore.location',
  'ssl.truststore.type',
  'ssl.truststore.certificates',
  'ssl.truststore.password',
  'ssl.keystore.location',
  'ssl.keystore.type',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.keystore.password',
  'ssl.key.password',
  'ssl.endpoint.identification.algorithm',
  'ssl.protocol',
  'ssl.enabled.protocols',
  'sasl.mechanism',
  'sasl.jaas.config',
  'sasl.oauthbearer.token.endpoint.url',
])

export const JKS_HINT =
  'Samsa reads PEM only (JKS is Java-only, PKCS12 is not read): convert with keytool -importkeystore -srckeystore store.jks -destkeystore store.p12 -deststoretype PKCS12, then openssl pkcs12 -nodes -in store.p12 -out store.pem, and give the .pem file'

/** True for the properties this module owns (so the option tables do not warn about them). */
export function isSecurityProperty(key: string): boolean {
  return key === 'security.protocol' || key.startsWith('ssl.') || key.startsWith('sasl.')
}

function readPem(props: Map<string, string>, key: string): string {
  const file = props.get(key)!.trim()
  let text: Buffer
  try {
    text = readFileSync(file)
  } catch (e) {
    throw usage(`property ${key}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give the path of a PEM file`)
  }
  if (!text.toString('latin1').includes('-----BEGIN ')) {
    // JKS starts with 0xFEEDFEED, PKCS12 is DER: neither is PEM text.
    const what = text.readUInt32BE(0) === 0xfeedfeed ? 'a JKS keystore' : 'not a PEM file'
    throw usage(`property ${key}: ${file} is ${what}; ${JKS_HINT}`)
  }
  return text.toString('utf8')
}

function ssl(props: Map<string, string>): TlsConnectionOptions {
  for (const key of ['ssl.truststore.type', 'ssl.keystore.type']) {
    const t = props.get(key)?.trim().toUpperCase()
    if (t !== undefined && t !== '' && t !== 'PEM') throw usage(`property ${key}=${t} is not supported; ${JKS_HINT}, with ${key}=PEM`)
  }
  const o: TlsConnectionOptions = {}
  if (props.get('ssl.truststore.location')?.trim()) o.ca = readPem(props, 'ssl.truststore.location')
  else if (props.get('ssl.truststore.certificates')?.trim()) o.ca = props.get('ssl.truststore.certificates')!
  if (props.get('ssl.keystore.location')?.trim()) {
    // One PEM file with the key and its chain: Node picks the key and the certificates out of it.
    const pem = readPem(props, 'ssl.keystore.location')
    o.key = pem
    o.cert = pem
  } else if (props.get('ssl.keystore.key')?.trim()) {
    if (!props.get('ssl.keystore.certificate.chain')?.trim()) throw usage('property ssl.keystore.key needs ssl.keystore.certificate.chain (the PEM certificate chain) too')
    o.key = props.get('ssl.keystore.key')!
    o.cert = props.get('ssl.keystore.certificate.chain')!
  }
  const passphrase = props.get('ssl.key.password') ?? props.get('ssl.keystore.password')
  if (passphrase !== undefined && o.key !== undefined) o.passphrase = passphrase
  const algorithm = (props.get('ssl.endpoint.identification.algorithm') ?? 'https').trim().toLowerCase()
  if (algorithm === '') {
    // Kafka's way to turn host-name verification off; the chain is still checked.
    o.checkServerIdentity = () => undefined
  } else if (algorithm !== 'https') {
    throw usage(`property ssl.endpoint.identification.algorithm=${algorithm} is not known; give https (the default) or an empty value to skip host-name checks`)
  }
  return o
}

function credentials(jaas: JaasEntry, mechanism: string): { username: string; password: string } {
  const username = jaas.options.get('username')
  const password = jaas.options.get('password')
  if (username === undefined || password === undefined) {
    throw usage(`property sasl.jaas.config: ${mechanism} needs username="..." password="..." in the login module options`)
  }
  return { username, password }
}

/**
 * Kafka's OAuthBearerUnsecuredLoginCallbackHandler: an alg "none" token made from the JAAS
 * options, fresh for each authentication.
 */
export function unsecuredTokenProvider(options: Map<string, string>, now = () => Date.now()): () => OAuthBearerTokenValue {
  const principalClaim = options.get('unsecuredLoginPrincipalClaimName') ?? 'sub'
  const lifetime = Number(options.get('unsecuredLoginLifetimeSeconds') ?? '3600')
  if (!Number.isInteger(lifetime) || lifetime <= 0) throw usage('property sasl.jaas.config: unsecuredLoginLifetimeSeconds must be a positive whole number')
  const claims: Record<string, unknown> = {}
  const extensions: Record<string, string> = {}
  for (const [k, v] of options) {
    let m: RegExpExecArray | null
    if ((m = /^unsecuredLoginStringClaim_(.+)$/.exec(k))) claims[m[1]!] = v
    else if ((m = /^unsecuredLoginNumberClaim_(.+)$/.exec(k))) {
      const n = Number(v)
      if (!Number.isFinite(n)) throw usage(`property sasl.jaas.config: ${k} is not a number`)
      claims[m[1]!] = n
    } else if ((m = /^unsecuredLoginListClaim_(.+)$/.exec(k))) {
      // Kafka: the first character is the separator.
      claims[m[1]!] = v.length === 0 ? [] : v.slice(1).split(v[0]!).filter((x) => x !== '')
    } else if ((m = /^unsecuredLoginExtension_(.+)$/.exec(k))) extensions[m[1]!] = v
  }
  if (typeof claims[principalClaim] !== 'string' || claims[principalClaim] === '') {
    throw usage(`property sasl.jaas.config: OAuthBearerLoginModule needs unsecuredLoginStringClaim_${principalClaim}="<principal>" (or set sasl.oauthbearer.token.endpoint.url, which Samsa's tools do not support)`)
  }
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return () => {
    const iat = Math.floor(now() / 1000)
    return { value: `${b64({ alg: 'none' })}.${b64({ iat, exp: iat + lifetime, ...claims })}.`, extensions }
  }
}

function sasl(props: Map<string, string>): SaslOptions {
  const mechanism = (props.get('sasl.mechanism') ?? 'GSSAPI').trim().toUpperCase()
  if (props.get('sasl.oauthbearer.token.endpoint.url')?.trim()) {
    throw usage('property sasl.oauthbearer.token.endpoint.url is not supported by Samsa\'s tools; use OAuthBearerLoginModule with unsecuredLoginStringClaim_sub="..." (development), or the TypeScript client\'s oauthBearerProvider')
  }
  if (!['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'].includes(mechanism)) {
    throw usage(`property sasl.mechanism=${mechanism} is not supported${props.has('sasl.mechanism') ? '' : ' (Kafka\'s default)'}; set sasl.mechanism to PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER`)
  }
  const raw = props.get('sasl.jaas.config')
  if (raw === undefined || raw.trim() === '') {
    throw usage(`property sasl.jaas.config is required with SASL, e.g. sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="<password>";`)
  }
  let jaas: JaasEntry
  try {
    jaas = parseJaasConfig(raw)
  } catch (e) {
    throw usage(`property ${(e as Error).message}`)
  }
  const module = jaas.loginModule.split('.').at(-1)
  const expected = mechanism === 'PLAIN' ? 'PlainLoginModule' : mechanism === 'OAUTHBEARER' ? 'OAuthBearerLoginModule' : 'ScramLoginModule'
  if (module !== expected) throw usage(`property sasl.jaas.config: sasl.mechanism=${mechanism} needs ${expected}, not ${jaas.loginModule}`)
  if (mechanism === 'OAUTHBEARER') return { mechanism: 'oauthbearer', oauthBearerProvider: unsecuredTokenProvider(jaas.options) }
  return { mechanism: mechanism.toLowerCase() as 'plain' | 'scram-sha-256' | 'scram-sha-512', ...credentials(jaas, mechanism) }
}

/** The security options the properties ask for; warns (once each) about security keys it does not read. */
export function securityOptions(props: Map<string, string>, warn: (m: string) => void): SecurityOptions {
  for (const k of props.keys()) if (isSecurityProperty(k) && !KNOWN.has(k)) warn(`the property '${k}' is not supported by Samsa's client; ignored`)
  const protocol = (props.get('security.protocol') ?? 'PLAINTEXT').trim().toUpperCase()
  if (!PROTOCOLS.includes(protocol)) throw usage(`property security.protocol=${protocol} must be one of ${PROTOCOLS.join(', ')}`)
  const out: SecurityOptions = {}
  if (protocol === 'SSL' || protocol === 'SASL_SSL') out.ssl = ssl(props)
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') out.sasl = sasl(props)
  return out
}

/** Just the security part of a client's options, for the admin client a tool opens beside its producer or consumer. */
export function securityOf(o: Pick<BaseOptions, 'ssl' | 'sasl'>): Pick<BaseOptions, 'ssl' | 'sasl'> {
  return { ...(o.ssl ? { ssl: o.ssl } : {}), ...(o.sasl ? { sasl: o.sasl } : {}) }
}
