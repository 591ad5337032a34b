/**
 * Kafka's OAuthBearerUnsecuredValidatorCallbackHandler: accepts an unsigned JWS (header alg
 * "none", empty signature) whose claims carry `exp` (seconds, required), optional `iat`, and a
 * principal claim (`sub` unless `unsecuredValidatorPrincipalClaimName` says otherwise). For
 * tests and development only: anyone can mint such a token. Options come from the listener's
 * OAuthBearerLoginModule JAAS entry, with Kafka's names.
 */
import type { Time } from '../../util/time.js'
import { OAuthBearerValidationError, type OAuthBearerToken, type OAuthBearerValidator } from './oauthbearer.js'

export interface UnsecuredValidatorOptions {
  principalClaimName?: string
  requiredScope?: readonly string[]
  allowableClockSkewMs?: number
}

/** Options from JAAS entries `unsecuredValidatorPrincipalClaimName` etc.; throws on a bad value. */
export function unsecuredOptionsFromJaas(options: ReadonlyMap<string, string>): UnsecuredValidatorOptions {
  const out: UnsecuredValidatorOptions = {}
  const claim = options.get('unsecuredValidatorPrincipalClaimName')
  if (claim !== undefined && claim.trim() !== '') out.principalClaimName = claim.trim()
  const scope = options.get('unsecuredValidatorRequiredScope')
  if (scope !== undefined) out.requiredScope = scope.split(/\s+/).filter((s) => s !== '')
  const skew = options.get('unsecuredValidatorAllowableClockSkewMs')
  if (skew !== undefined) {
    const n = Number(skew)
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`unsecuredValidatorAllowableClockSkewMs: ${JSON.stringify(skew)} is not a non-negative integer`)
    out.allowableClockSkewMs = n
  }
  return out
}

function decodePart(part: string, what: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
  } catch {
    throw new OAuthBearerValidationError(`the token's ${what} is not base64url-encoded JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new OAuthBearerValidationError(`the token's ${what} is not a JSON object`)
  return value as Record<string, unknown>
}

/** The three parts of a compact JWS, decoded; shared with the signed validator. */
export function splitCompactJws(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown>; signature: string; signingInput: string } {
  const parts = jwt.split('.')
  if (parts.length !== 3) throw new OAuthBearerValidationError('the token is not a compact JWS (three dot-separated parts)')
  const [h, p, s] = parts as [string, string, string]
  return { header: decodePart(h, 'header'), claims: decodePart(p, 'payload'), signature: s, signingInput: `${h}.${p}` }
}

/** Scope as Kafka reads it: a space-separated string or an array of strings. */
export function scopeOf(claim: unknown): string[] {
  if (typeof claim === 'string') return claim.split(' ').filter((s) => s !== '')
  if (Array.isArray(claim)) return claim.filter((s): s is string => typeof s === 'string')
  return []
}

export function unsecuredValidator(time: Time, options: UnsecuredValidatorOptions = {}): OAuthBearerValidator {
  const principalClaim = options.principalClaimName ?? 'sub'
  const skew = options.allowableClockSkewMs ?? 0
  const required = options.requiredScope ?? []
  return (jwt: string): OAuthBearerToken => {
    const { header, claims, signature } = splitCompactJws(jwt)
    if (header.alg !== 'none') throw new OAuthBearerValidationError(`unsecured tokens must have alg "none", not ${JSON.stringify(header.alg)}`)
    if (signature !== '') throw new OAuthBearerValidationError('unsecured tokens must have an empty signature')
    const exp = claims.exp
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new OAuthBearerValidationError('No expiration time (exp) claim in the token')
    const now = time.now()
    const expMs = Math.round(exp * 1000)
    if (now - skew >= expMs) throw new OAuthBearerValidationError(`The indicated time (${now} ms) minus allowable clock skew (${skew} ms) was on or after the expiration time (${expMs} ms)`)
    if (claims.iat !== undefined) {
      if (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) throw new OAuthBearerValidationError('The issued-at (iat) claim is not a number')
      const iatMs = Math.round(claims.iat * 1000)
      if (now + skew < iatMs) throw new OAuthBearerValidationError(`The indicated time (${now} ms) plus allowable clock skew (${skew} ms) was before the issued-at time (${iatMs} ms)`)
    }
    const principal = claims[principalClaim]
    if (typeof principal !== 'string' || principal.trim() === '') throw new OAuthBearerValidationError(`No principal name (${principalClaim}) claim in the token`)
    const scope = scopeOf(claims.scope)
    const missing = required.filter((s) => !scope.includes(s))
    if (missing.length > 0) throw new OAuthBearerValidationError(`The provided scope (${JSON.stringify(scope)}) was missing a required scope (${missing[0]}). All required scope elements: ${JSON.stringify(required)}`, required.join(' '))
    return { principalName: principal.trim(), lifetimeMs: expMs, scope }
  }
}
