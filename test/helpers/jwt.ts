/**
 * Signed JWTs for OAUTHBEARER tests: a key pair per algorithm, its public JWK (with kid), and
 * compact JWS tokens signed with node:crypto, as an identity provider would issue them.
 */
import { generateKeyPairSync, sign, constants, type KeyObject } from 'node:crypto'

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')

export interface Signer {
  kid: string
  alg: string
  privateKey: KeyObject
  jwk: Record<string, unknown>
}

export function signer(kid: string, alg: string): Signer {
  const pair =
    alg.startsWith('RS') || alg.startsWith('PS')
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
        : alg === 'ES384'
          ? generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
          : generateKeyPairSync('ed25519')
  return { kid, alg, privateKey: pair.privateKey, jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, use: 'sig' } }
}

/** A compact JWS signed by `s` (its kid in the header unless `kid` overrides it). */
export function token(s: Signer, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const input = `${b64({ alg: s.alg, typ: 'JWT', kid: s.kid, ...header })}.${b64(claims)}`
  const hash = s.alg === 'EdDSA' ? null : `sha${s.alg.slice(2)}`
  const key = s.alg.startsWith('PS')
    ? { key: s.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : s.alg.startsWith('ES')
      ? { key: s.privateKey, dsaEncoding: 'ieee-p1363' as const }
      : s.privateKey
  return `${input}.${sign(hash, Buffer.from(input), key).toString('base64url')}`
}

