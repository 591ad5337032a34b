/**
 * The JWKS validator (Kafka's OAuthBearerValidatorCallbackHandler): signed tokens with RSA,
 * RSA-PSS, EC and Ed25519 keys from a JWKS file or HTTP endpoint; every check refuses with its
 * reason; a rotated key is fetched when a token names it, but not more often than the backoff.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { AddressInfo } from 'node:net'
import { jwksValidator, parseJwks, type JwksValidatorOptions } from '../../../src/security/sasl/oauthbearer-jwks.js'
import { OAuthBearerValidationError } from '../../../src/security/sasl/oauthbearer.js'
import { ManualTime } from '../../../src/util/time.js'
import { signer, token, type Signer } from '../../helpers/jwt.js'

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')

const NOW = 1_800_000_000_000
const baseOptions = (url: string): JwksValidatorOptions => ({
  url,
  refreshMs: 3_600_000,
  minRefetchMs: 100,
  clockSkewSeconds: 30,
  expectedAudience: [],
  expectedIssuer: '',
  subClaimName: 'sub',
  scopeClaimName: 'scope',
})
const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'alice', exp: NOW / 1000 + 600, iat: NOW / 1000 - 10, scope: 'read write', ...extra })

async function jwksFile(t: { after(fn: () => Promise<void>): void }, keys: Signer[]): Promise<{ url: string; write(keys: Signer[]): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-jwks-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'jwks.json')
  const write = (ks: Signer[]) => writeFile(path, JSON.stringify({ keys: ks.map((k) => k.jwk) }))
  await write(keys)
  return { url: pathToFileURL(path).href, write }
}

async function refused(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof OAuthBearerValidationError && pattern.test(e.message))
}

test('tokens signed with RS256, PS256, ES256, ES384 and EdDSA keys from a JWKS file are accepted', async (t) => {
  const signers = [signer('r', 'RS256'), signer('p', 'PS256'), signer('e', 'ES256'), signer('e3', 'ES384'), signer('d', 'EdDSA')]
  const f = await jwksFile(t, signers)
  const v = jwksValidator(new ManualTime(NOW), baseOptions(f.url))
  for (const s of signers) {
    const tok = await v(token(s, claims()))
    assert.deepEqual(tok, { principalName: 'alice', lifetimeMs: NOW + 600_000, scope: ['read', 'write'] }, s.alg)
  }
  assert.equal(v.refreshes(), 1, 'one fetch for all of them')
})

test('each check refuses with its reason', async (t) => {
  const good = signer('k1', 'RS256')
  const other = signer('k1', 'RS256') // same kid, a different key: a forged token
  const f = await jwksFile(t, [good])
  const time = new ManualTime(NOW)
  const v = jwksValidator(time, { ...baseOptions(f.url), expectedIssuer: 'https://idp', expectedAudience: ['kafka'] })
  const ok = claims({ iss: 'https://idp', aud: ['other', 'kafka'] })
  assert.equal((await v(token(good, ok))).principalName, 'alice')
  await refused(Promise.resolve().then(() => v(token(other, ok))), /signature does not verify/)
  await refused(Promise.resolve().then(() => v(token(good, { ...ok, exp: NOW / 1000 - 31 }))), /expired/)
  // Within the 30 s skew an expired token still passes, as Kafka's.
  assert.equal((await v(token(good, { ...ok, exp: NOW / 1000 - 29 }))).principalName, 'alice')
  await refused(Promise.resolve().then(() => v(token(good, { ...ok, exp: undefined }))), /No exp claim/)
  await refused(Promise.resolve().then(() => v(token(good, { ...ok, nbf: NOW / 1000 + 60 }))), /not valid before/)
  await refused(Promise.resolve().then(() => v(token(good, { ...ok, iat: NOW / 1000 + 60 }))), /issued in the future/)
  await refused(Promise.resolve().then(() => v(token(good, { ...ok, iss: 'https://evil' }))), /issuer "https:\/\/evil" is not the expected/)
  await refused(Promise.resolve().then(() => v(token(good, { ...ok, aud: 'web' }))), /audience "web" holds none/)
  await refused(Promise.resolve().then(() => v(token(good, { ...ok, sub: '' }))), /No principal name \(sub\)/)
  // alg "none" and HMAC (a public key used as a shared secret) are never accepted.
  const unsigned = `${b64({ alg: 'none', kid: 'k1' })}.${b64(ok)}.`
  await refused(Promise.resolve().then(() => v(unsigned)), /signing algorithm "none" is not accepted/)
  await refused(Promise.resolve().then(() => v(`${b64({ alg: 'HS256', kid: 'k1' })}.${b64(ok)}.c2ln`)), /"HS256" is not accepted/)
  // The header's alg must fit the key: an RS256 key does not verify an ES256 claim.
  const ec = signer('k1', 'ES256')
  await refused(Promise.resolve().then(() => v(token(ec, ok))), /signature does not verify/)
  await refused(Promise.resolve().then(() => v('a.b')), /compact JWS/)
  // The same token once the clock passes exp + skew (the injected clock, not a sleep).
  time.advance(631_000)
  await refused(Promise.resolve().then(() => v(token(good, ok))), /expired/)
})

test('a rotated key is fetched when a token names it; unknown kids do not refetch within the backoff', async (t) => {
  const k1 = signer('k1', 'ES256')
  const k2 = signer('k2', 'ES256')
  const f = await jwksFile(t, [k1])
  const time = new ManualTime(NOW)
  const v = jwksValidator(time, baseOptions(f.url))
  assert.equal((await v(token(k1, claims()))).principalName, 'alice')
  await f.write([k1, k2])
  time.advance(200)
  assert.equal((await v(token(k2, claims({ sub: 'bob' })))).principalName, 'bob')
  assert.equal(v.refreshes(), 2)
  // Made-up kids: one fetch at most per backoff (100 ms).
  for (let i = 0; i < 20; i++) await refused(Promise.resolve().then(() => v(token({ ...k1, kid: `nope-${i}` }, claims()))), /no key with id "nope-\d+"/)
  assert.equal(v.refreshes(), 2)
  time.advance(100)
  await refused(Promise.resolve().then(() => v(token({ ...k1, kid: 'nope' }, claims()))), /no key/)
  assert.equal(v.refreshes(), 3)
  // After refresh.ms the set is read again: a removed key stops working.
  await f.write([k2])
  time.advance(3_600_000)
  await refused(Promise.resolve().then(() => v(token(k1, claims({ exp: (NOW + 7_200_000) / 1000 })))), /no key with id "k1"/)
})

test('a JWKS over HTTP; an unreachable endpoint refuses the login with the reason', async (t) => {
  const k = signer('h', 'RS256')
  let served = 0
  const srv = createServer((req, res) => {
    served++
    if (req.url === '/jwks') res.end(JSON.stringify({ keys: [k.jwk] }))
    else res.writeHead(404).end()
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  t.after(() => new Promise<void>((r) => srv.close(() => r())))
  const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`
  const v = jwksValidator(new ManualTime(NOW), baseOptions(`${base}/jwks`))
  assert.equal((await v(token(k, claims()))).principalName, 'alice')
  assert.equal(served, 1)
  const missing = jwksValidator(new ManualTime(NOW), baseOptions(`${base}/missing`))
  await refused(Promise.resolve().then(() => missing(token(k, claims()))), /JWKS could not be read.*HTTP 404/)
})

test('parseJwks keeps only public signing keys', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const priv = { ...rsa.privateKey.export({ format: 'jwk' }), kid: 'p' }
  const set = parseJwks(JSON.stringify({ keys: [priv, { kty: 'oct', k: 'c2VjcmV0', kid: 's' }, { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'enc', use: 'enc' }, 'junk', null] }))
  assert.deepEqual([...set.byKid.keys()], ['p'])
  assert.equal(set.byKid.get('p')!.type, 'public', 'private members are dropped')
  assert.throws(() => parseJwks('{"nokeys":1}'), /no "keys" array/)
  assert.throws(() => parseJwks('not json'), /not JSON/)
})
