/**
 * Kafka's OAuthBearerValidatorCallbackHandler: a signed JWT checked against the keys of a JWKS
 * (RFC 7517) read from `sasl.oauthbearer.jwks.endpoint.url` (https:, http: or file:). The
 * checks are Kafka's: a known signing algorithm and a key for it (by `kid`), the signature,
 * `exp` (required), `iat` and `nbf` within `sasl.oauthbearer.clock.skew.seconds`, the issuer
 * and audience when expected ones are configured, and a principal in the subject claim.
 *
 * The key set is fetched on first use, again after `sasl.oauthbearer.jwks.endpoint.refresh.ms`,
 * and at once when a token names a `kid` the set lacks (a provider rotating its keys), but not
 * more often than `sasl.oauthbearer.jwks.endpoint.retry.backoff.ms`: a stream of tokens with
 * made-up key ids cannot make the broker hammer the provider.
 */
import { createPublicKey, constants, verify, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Time } from '../../util/time.js'
import { OAuthBearerValidationError, type OAuthBearerToken, type OAuthBearerValidator } from './oauthbearer.js'
import { scopeOf, splitCompactJws } from './oauthbearer-unsecured.js'

export interface JwksValidatorOptions {
  /** sasl.oauthbearer.jwks.endpoint.url */
  url: string
  /** sasl.oauthbearer.jwks.endpoint.refresh.ms */
  refreshMs: number
  /** sasl.oauthbearer.jwks.endpoint.retry.backoff.ms: the least time between two fetches. */
  minRefetchMs: number
  /** sasl.oauthbearer.clock.skew.seconds */
  clockSkewSeconds: number
  /** sasl.oauthbearer.expected.audience: the token's `aud` must hold one of them (when set). */
  expectedAudience: readonly string[]
  /** sasl.oauthbearer.expected.issuer */
  expectedIssuer: string
  /** sasl.oauthbearer.sub.claim.name */
  subClaimName: string
  /** sasl.oauthbearer.scope.claim.name */
  scopeClaimName: string
}

/** A JWKS, fetched; exported for tests. */
export interface KeySet {
  byKid: Map<string, KeyObject>
  /** Keys without a `kid`: used for tokens that name none. */
  anonymous: KeyObject[]
}

const MAX_JWKS_BYTES = 1024 * 1024

const ALGORITHMS: Record<string, { hash: string | null; keyType: string; curve?: string; pss?: boolean; ecdsa?: boolean }> = {
  RS256: { hash: 'sha256', keyType: 'rsa' },
  RS384: { hash: 'sha384', keyType: 'rsa' },
  RS512: { hash: 'sha512', keyType: 'rsa' },
  PS256: { hash: 'sha256', keyType: 'rsa', pss: true },
  PS384: { hash: 'sha384', keyType: 'rsa', pss: true },
  PS512: { hash: 'sha512', keyType: 'rsa', pss: true },
  ES256: { hash: 'sha256', keyType: 'ec', curve: 'prime256v1', ecdsa: true },
  ES384: { hash: 'sha384', keyType: 'ec', curve: 'secp384r1', ecdsa: true },
  ES512: { hash: 'sha512', keyType: 'ec', curve: 'secp521r1', ecdsa: true },
  EdDSA: { hash: null, keyType: 'ed25519' },
}

/** Parses a JWKS document; keys Samsa cannot use (private, symmetric, unknown types, "use": "enc") are skipped. */
export function parseJwks(text: string): KeySet {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw new Error('the JWKS is not JSON')
  }
  const keys = (doc as { keys?: unknown }).keys
  if (!Array.isArray(keys)) throw new Error('the JWKS has no "keys" array')
  const set: KeySet = { byKid: new Map(), anonymous: [] }
  for (const jwk of keys) {
    if (typeof jwk !== 'object' || jwk === null) continue
    const j = jwk as Record<string, unknown>
    if (j.use !== undefined && j.use !== 'sig') continue
    if (j.kty !== 'RSA' && j.kty !== 'EC' && j.kty !== 'OKP') continue
    // Only the public members: a JWKS that (wrongly) carries private parts must not make the broker hold them.
    const pub: Record<string, unknown> = { kty: j.kty }
    for (const k of ['n', 'e', 'crv', 'x', 'y']) if (j[k] !== undefined) pub[k] = j[k]
    let key: KeyObject
    try {
      key = createPublicKey({ key: pub as never, format: 'jwk' })
    } catch {
      continue
    }
    if (typeof j.kid === 'string') set.byKid.set(j.kid, key)
    else set.anonymous.push(key)
  }
  return set
}

async function fetchJwks(url: string): Promise<KeySet> {
  const u = new URL(url)
  let text: string
  if (u.protocol === 'file:') {
    text = await readFile(fileURLToPath(u), 'utf8')
  } else if (u.protocol === 'https:' || u.protocol === 'http:') {
    const res = await fetch(u, { signal: AbortSignal.timeout(10_000), headers: { accept: 'application/json' } })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    text = await res.text()
  } else {
    throw new Error(`unsupported URL scheme ${u.protocol} (use https:, http: or file:)`)
  }
  if (text.length > MAX_JWKS_BYTES) throw new Error(`the JWKS is larger than ${MAX_JWKS_BYTES} bytes`)
  return parseJwks(text)
}

export function jwksValidator(time: Time, opts: JwksValidatorOptions, load: (url: string) => Promise<KeySet> = fetchJwks): OAuthBearerValidator & { refreshes(): number } {
  let keys: KeySet | undefined
  let loadedAt = -Infinity
  let fetching: Promise<void> | undefined
  let lastError = ''
  let fetches = 0

  const refresh = (): Promise<void> => {
    fetching ??= (async () => {
      fetches++
      loadedAt = time.now()
      try {
        keys = await load(opts.url)
        lastError = ''
      } catch (e) {
        lastError = (e as Error).message
      }
    })().finally(() => (fetching = undefined))
    return fetching
  }

  const keyFor = async (kid: string | undefined): Promise<KeyObject[]> => {
    const now = time.now()
    if (keys === undefined || now - loadedAt >= opts.refreshMs) await refresh()
    const find = (): KeyObject[] => {
      if (!keys) return []
      if (kid !== undefined) return keys.byKid.has(kid) ? [keys.byKid.get(kid)!] : []
      // No kid: the keys that have none, else every key (the signature picks).
      return keys.anonymous.length > 0 ? keys.anonymous : [...keys.byKid.values()]
    }
    let found = find()
    if (found.length === 0 && time.now() - loadedAt >= opts.minRefetchMs) {
      await refresh()
      found = find()
    }
    if (found.length === 0) {
      if (keys === undefined) throw new OAuthBearerValidationError(`the JWKS could not be read from the configured endpoint${lastError ? `: ${lastError}` : ''}`)
      throw new OAuthBearerValidationError(kid === undefined ? 'the token names no key (kid) and the JWKS has none to try' : `no key with id ${JSON.stringify(kid)} in the JWKS`)
    }
    return found
  }

  const validate = async (jwt: string): Promise<OAuthBearerToken> => {
    const { header, claims, signature, signingInput } = splitCompactJws(jwt)
    const algName = header.alg
    const alg = typeof algName === 'string' && Object.hasOwn(ALGORITHMS, algName) ? ALGORITHMS[algName]! : undefined
    if (!alg) throw new OAuthBearerValidationError(`the token's signing algorithm ${JSON.stringify(algName)} is not accepted (${Object.keys(ALGORITHMS).join(', ')})`)
    const kid = typeof header.kid === 'string' ? header.kid : undefined
    const candidates = await keyFor(kid)
    const sig = Buffer.from(signature, 'base64url')
    const data = Buffer.from(signingInput, 'utf8')
    const good = candidates.some((key) => {
      if (key.asymmetricKeyType !== alg.keyType) return false
      if (alg.curve !== undefined && key.asymmetricKeyDetails?.namedCurve !== alg.curve) return false
      try {
        if (alg.pss) return verify(alg.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, sig)
        if (alg.ecdsa) return verify(alg.hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig)
        return verify(alg.hash, data, key, sig)
      } catch {
        return false
      }
    })
    if (!good) throw new OAuthBearerValidationError('the token signature does not verify against the JWKS')

    const now = time.now()
    const skewMs = opts.clockSkewSeconds * 1000
    const seconds = (name: string, required: boolean): number | undefined => {
      const v = claims[name]
      if (v === undefined) {
        if (required) throw new OAuthBearerValidationError(`No ${name} claim in the token`)
        return undefined
      }
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new OAuthBearerValidationError(`The ${name} claim is not a number`)
      return Math.round(v * 1000)
    }
    const expMs = seconds('exp', true)!
    if (now - skewMs >= expMs) throw new OAuthBearerValidationError(`The token expired at ${new Date(expMs).toISOString()}`)
    const nbfMs = seconds('nbf', false)
    if (nbfMs !== undefined && now + skewMs < nbfMs) throw new OAuthBearerValidationError(`The token is not valid before ${new Date(nbfMs).toISOString()}`)
    const iatMs = seconds('iat', false)
    if (iatMs !== undefined && now + skewMs < iatMs) throw new OAuthBearerValidationError(`The token was issued in the future (${new Date(iatMs).toISOString()})`)
    if (opts.expectedIssuer !== '' && claims.iss !== opts.expectedIssuer) throw new OAuthBearerValidationError(`The token's issuer ${JSON.stringify(claims.iss)} is not the expected ${JSON.stringify(opts.expectedIssuer)}`)
    if (opts.expectedAudience.length > 0) {
      const aud = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.filter((a): a is string => typeof a === 'string') : []
      if (!aud.some((a) => opts.expectedAudience.includes(a))) throw new OAuthBearerValidationError(`The token's audience ${JSON.stringify(claims.aud ?? null)} holds none of the expected ${JSON.stringify(opts.expectedAudience)}`)
    }
    const sub = claims[opts.subClaimName]
    if (typeof sub !== 'string' || sub.trim() === '') throw new OAuthBearerValidationError(`No principal name (${opts.subClaimName}) claim in the token`)
    return { principalName: sub.trim(), lifetimeMs: expMs, scope: scopeOf(claims[opts.scopeClaimName]) }
  }
  return Object.assign(validate, { refreshes: () => fetches })
}
