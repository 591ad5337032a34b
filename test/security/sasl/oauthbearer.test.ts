import { test } from 'node:test'
import assert from 'node:assert/strict'
import { oauthBearerServer, parseClientFirstMessage } from '../../../src/security/sasl/oauthbearer.js'
import { unsecuredValidator, unsecuredOptionsFromJaas } from '../../../src/security/sasl/oauthbearer-unsecured.js'
import { SaslAuthenticationError } from '../../../src/security/sasl/mechanism.js'
import { ManualTime } from '../../../src/util/time.js'

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
const jws = (claims: unknown, header: unknown = { alg: 'none' }, sig = '') => `${b64(header)}.${b64(claims)}.${sig}`
const first = (jwt: string, authz = '', ext = '') => Buffer.from(`n,${authz === '' ? '' : `a=${authz}`},\u0001${ext}auth=Bearer ${jwt}\u0001\u0001`)
const NOW = 1_800_000_000_000

function setup(opts = {}) {
  const time = new ManualTime(NOW)
  return { time, server: () => oauthBearerServer(unsecuredValidator(time, opts)) }
}

test('parses the RFC 7628 client-first message with an authzid and extensions', () => {
  const m = parseClientFirstMessage(`n,a=alice,\u0001traceId=abc\u0001auth=Bearer x.y.\u0001\u0001`)
  assert.equal(m.authorizationId, 'alice')
  assert.equal(m.token, 'x.y.')
  assert.deepEqual([...m.extensions], [['traceId', 'abc']])
  for (const bad of ['n,,auth=Bearer x', 'n,,\u0001auth=x\u0001\u0001', 'n,,\u0001foo=1\u0001\u0001', 'n,,\u0001a-b=1\u0001auth=Bearer t\u0001\u0001']) {
    assert.throws(() => parseClientFirstMessage(bad), SaslAuthenticationError)
  }
})

test('an unsecured token with alg none, exp and sub authenticates its sub', async () => {
  const { server } = setup()
  const s = server()
  const step = await s.evaluate(first(jws({ sub: 'alice', exp: NOW / 1000 + 60, iat: NOW / 1000 })))
  assert.deepEqual(step.principal, { type: 'User', name: 'alice' })
  assert.equal(s.token?.lifetimeMs, NOW + 60_000)
})

async function refusedWith(server: ReturnType<typeof oauthBearerServer>, jwt: string, reason: RegExp, scope?: string) {
  const step = await server.evaluate(first(jwt))
  assert.equal(step.principal, undefined)
  const challenge = JSON.parse(step.response.toString())
  assert.equal(challenge.status, 'invalid_token')
  assert.equal(challenge.scope, scope)
  await assert.rejects(async () => server.evaluate(Buffer.from([1])), (e: Error) => e instanceof SaslAuthenticationError && reason.test(e.message))
}

test('expired, not-yet-issued, signed, unnamed or unscoped tokens get the error challenge then fail', async () => {
  const { server } = setup({ requiredScope: ['read'] })
  const exp = NOW / 1000 + 60
  await refusedWith(server(), jws({ sub: 'a', exp: NOW / 1000, scope: 'read' }), /on or after the expiration time/)
  await refusedWith(server(), jws({ sub: 'a', exp, iat: NOW / 1000 + 10, scope: 'read' }), /before the issued-at time/)
  await refusedWith(server(), jws({ sub: 'a', exp, scope: 'read' }, { alg: 'RS256' }, 'c2ln'), /alg "none"/)
  await refusedWith(server(), jws({ exp, scope: 'read' }), /No principal name \(sub\)/)
  await refusedWith(server(), jws({ sub: 'a', scope: 'read' }), /No expiration time/)
  await refusedWith(server(), jws({ sub: 'a', exp, scope: 'write' }), /missing a required scope \(read\)/, 'read')
  await refusedWith(server(), 'not-a-jwt', /compact JWS/)
})

test('clock skew and the principal claim name come from the JAAS options', async () => {
  const opts = unsecuredOptionsFromJaas(new Map([['unsecuredValidatorPrincipalClaimName', 'user'], ['unsecuredValidatorAllowableClockSkewMs', '5000'], ['unsecuredValidatorRequiredScope', 'a b']]))
  assert.deepEqual(opts, { principalClaimName: 'user', allowableClockSkewMs: 5000, requiredScope: ['a', 'b'] })
  const { server } = setup(opts)
  const step = await server().evaluate(first(jws({ user: 'bob', exp: NOW / 1000 - 1, scope: ['a', 'b'] })))
  assert.deepEqual(step.principal, { type: 'User', name: 'bob' })
  assert.throws(() => unsecuredOptionsFromJaas(new Map([['unsecuredValidatorAllowableClockSkewMs', '-1']])))
})

test('an authorization id other than the token principal is refused; a second message after success is refused', async () => {
  const { server } = setup()
  const jwt = jws({ sub: 'alice', exp: NOW / 1000 + 60 })
  await assert.rejects(async () => server().evaluate(first(jwt, 'mallory')), /different from the token's principal/)
  const s = server()
  await s.evaluate(first(jwt, 'alice'))
  await assert.rejects(async () => s.evaluate(first(jwt)), /already finished/)
})

test('after an error challenge, anything but %x01 is refused', async () => {
  const { server } = setup()
  const s = server()
  await s.evaluate(first(jws({ sub: 'a', exp: 1 })))
  await assert.rejects(async () => s.evaluate(Buffer.from('x')), /acknowledge the error challenge/)
})
