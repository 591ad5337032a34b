import { test } from 'node:test'
import assert from 'node:assert/strict'
import { scramServer } from '../../../src/security/sasl/scram.js'
import { SaslAuthenticationError, type SaslServer } from '../../../src/security/sasl/mechanism.js'
import { credentialFromPassword, scramMechanism, type ScramCredential, type ScramCredentialSource, type ScramMechanismName } from '../../../src/security/sasl/scram-credential.js'
import { MAX_SCRAM_MESSAGE_BYTES } from '../../../src/security/sasl/scram-messages.js'
import { scramClient } from '../../helpers/scram-client.js'

const INVALID_256 = /^Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256$/

function source(entries: Array<[string, ScramMechanismName, ScramCredential]>): ScramCredentialSource {
  return { scramCredential: (u, m) => entries.find(([eu, em]) => eu === u && em === m)?.[2] }
}

const sha256 = scramMechanism('SCRAM-SHA-256')!
const sha512 = scramMechanism('SCRAM-SHA-512')!
const alice256 = credentialFromPassword(sha256, 'alice-secret', 4096)
const alice512 = credentialFromPassword(sha512, 'alice-secret', 8192)
const users = source([
  ['alice', 'SCRAM-SHA-256', alice256],
  ['alice', 'SCRAM-SHA-512', alice512],
])

async function refusal(server: SaslServer, token: Buffer): Promise<SaslAuthenticationError> {
  try {
    await server.evaluate(token)
  } catch (e) {
    assert.ok(e instanceof SaslAuthenticationError, `not a SaslAuthenticationError: ${String(e)}`)
    return e
  }
  assert.fail('the message was accepted')
}

test("SCRAM-SHA-256 replays RFC 7677's example exchange byte for byte", async () => {
  // RFC 7677 section 3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
  const credential = credentialFromPassword(sha256, 'pencil', 4096, Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'))
  const server = scramServer('SCRAM-SHA-256', source([['user', 'SCRAM-SHA-256', credential]]), { nonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' })
  const first = await server.evaluate(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'))
  assert.equal(first.response.toString(), 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')
  assert.equal(first.principal, undefined)
  const final = await server.evaluate(Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='))
  assert.equal(final.response.toString(), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')
  assert.deepEqual(final.principal, { type: 'User', name: 'user' })
})

for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
  test(`${mechanism}: a hand-driven exchange logs in, and the server proves it knows the credential`, async () => {
    const client = scramClient(mechanism, 'alice', 'alice-secret')
    const server = scramServer(mechanism, users)
    const first = await server.evaluate(client.first)
    assert.match(first.response.toString(), new RegExp(`^r=clientnonce0123456789[^,]+,s=[A-Za-z0-9+/=]+,i=${mechanism === 'SCRAM-SHA-256' ? 4096 : 8192}$`))
    const final = await server.evaluate(client.final(first.response))
    assert.equal(final.response.toString(), client.expectedServerFinal())
    assert.deepEqual(final.principal, { type: 'User', name: 'alice' })
    // Nothing after the exchange.
    assert.match((await refusal(server, client.first)).message, /after the exchange ended/)
  })
}

test('SCRAM: a wrong password fails at the proof with Kafka\'s message, the reason only in the log detail', async () => {
  const client = scramClient('SCRAM-SHA-256', 'alice', 'alice-secret')
  const server = scramServer('SCRAM-SHA-256', users)
  const first = await server.evaluate(client.first)
  const e = await refusal(server, client.final(first.response, 'wrong'))
  assert.match(e.message, INVALID_256)
  assert.equal(e.detail, 'Invalid client credentials')
  assert.equal(e.user, 'alice')
})

test('SCRAM: an unknown user gets a server-first message like a known one (stable salt) and fails at the proof', async () => {
  const s1 = scramServer('SCRAM-SHA-256', users)
  const f1 = await s1.evaluate(scramClient('SCRAM-SHA-256', 'mallory', 'x').first)
  const s2 = scramServer('SCRAM-SHA-256', users)
  const f2 = await s2.evaluate(scramClient('SCRAM-SHA-256', 'mallory', 'x').first)
  const salt = (b: Buffer) => b.toString().split(',')[1]
  assert.equal(salt(f1.response), salt(f2.response))
  assert.notEqual(salt(f1.response), salt((await scramServer('SCRAM-SHA-256', users).evaluate(scramClient('SCRAM-SHA-256', 'eve', 'x').first)).response))
  const e = await refusal(s1, scramClient('SCRAM-SHA-256', 'mallory', 'x').final(f1.response))
  assert.match(e.message, INVALID_256)
  assert.match(e.detail!, /no SCRAM credential/)
  // A user with only a SHA-512 credential is unknown to SHA-256.
  const only512 = source([['bob', 'SCRAM-SHA-512', credentialFromPassword(sha512, 'pw', 4096)]])
  const s3 = scramServer('SCRAM-SHA-256', only512)
  const c3 = scramClient('SCRAM-SHA-256', 'bob', 'pw')
  assert.match((await refusal(s3, c3.final((await s3.evaluate(c3.first)).response))).message, INVALID_256)
})

test("SCRAM: librdkafka's client-final nonce (its client nonce twice, before 2.6.1) is accepted, as Kafka 3.9 does; no other prefix", async () => {
  const client = scramClient('SCRAM-SHA-512', 'alice', 'alice-secret')
  const withPrefix = (prefix: string) => async () => {
    const server = scramServer('SCRAM-SHA-512', users)
    const first = await server.evaluate(client.first)
    // The client signs what it sends, so the doubled nonce is in its AuthMessage too.
    return server.evaluate(client.final(first.response, 'alice-secret', prefix))
  }
  assert.deepEqual((await withPrefix('clientnonce0123456789')()).principal, { type: 'User', name: 'alice' })
  await assert.rejects(withPrefix('x'), (e: SaslAuthenticationError) => /Invalid client nonce/.test(e.detail!))
})

test('SCRAM: a changed nonce, a wrong channel binding or a short proof is refused', async () => {
  const client = scramClient('SCRAM-SHA-256', 'alice', 'alice-secret')
  for (const mangle of [
    (f: string) => f.replace(/r=([^,]+)/, 'r=$1x'),
    (f: string) => f.replace('c=biws', 'c=eSws'),
    (f: string) => f.replace(/p=.*$/, 'p=AAAA'),
  ]) {
    const server = scramServer('SCRAM-SHA-256', users)
    const first = await server.evaluate(client.first)
    const e = await refusal(server, Buffer.from(mangle(client.final(first.response).toString())))
    assert.match(e.message, INVALID_256)
  }
  const server = scramServer('SCRAM-SHA-256', users)
  const first = await server.evaluate(client.first)
  assert.match((await refusal(server, Buffer.from(client.final(first.response).toString().replace(/r=([^,]+)/, 'r=$1x')))).detail!, /Invalid client nonce/)
})

test('SCRAM: garbage is refused as a malformed message, never another exception', async () => {
  const garbage = [
    Buffer.alloc(0),
    Buffer.from('hello'),
    Buffer.from('n,,r=abc'),
    Buffer.from('n,,n=,r=abc'),
    Buffer.from('n,,n=al=ice,r=abc'),
    Buffer.from('n,,n=alice,r='),
    Buffer.from('n,,n=alice,r=a b'),
    Buffer.from('p=tls-unique,,n=alice,r=abc'),
    Buffer.from('n,x,n=alice,r=abc'),
    Buffer.from('n,,n=alice,r=abc,1x=y'),
    Buffer.from([0x6e, 0x2c, 0x2c, 0x6e, 0x3d, 0xff, 0xfe, 0x2c, 0x72, 0x3d, 0x61]),
    Buffer.from('n,,n=al\u0000ice,r=abc'),
    Buffer.alloc(MAX_SCRAM_MESSAGE_BYTES + 1, 0x61),
  ]
  for (const g of garbage) {
    const e = await refusal(scramServer('SCRAM-SHA-256', users), g)
    assert.match(e.message, INVALID_256, g.toString())
    assert.match(e.detail!, /invalid SCRAM client-first message/)
  }
  const client = scramClient('SCRAM-SHA-256', 'alice', 'alice-secret')
  for (const g of ['c=biws', 'c=biws,r=x', 'c=b!ws,r=x,p=AAAA', 'c=biws,r=x,p=A', 'r=x,c=biws,p=AAAA', '']) {
    const server = scramServer('SCRAM-SHA-256', users)
    await server.evaluate(client.first)
    const e = await refusal(server, Buffer.from(g))
    assert.match(e.message, INVALID_256, g)
  }
})

test('SCRAM: names with = and , travel as =3D and =2C; the authorization id must be the user', async () => {
  const odd = source([['a,b=c', 'SCRAM-SHA-256', alice256]])
  const client = scramClient('SCRAM-SHA-256', 'a,b=c', 'alice-secret')
  assert.match(client.first.toString(), /n=a=2Cb=3Dc,/)
  const server = scramServer('SCRAM-SHA-256', odd)
  const final = await server.evaluate(client.final((await server.evaluate(client.first)).response))
  assert.deepEqual(final.principal, { type: 'User', name: 'a,b=c' })

  const e = await refusal(scramServer('SCRAM-SHA-256', users), Buffer.from('n,a=bob,n=alice,r=abc'))
  assert.equal(e.message, 'Authentication failed: Client requested an authorization id that is different from username')
  const same = scramServer('SCRAM-SHA-256', users)
  assert.match((await same.evaluate(Buffer.from('n,a=alice,n=alice,r=abc'))).response.toString(), /^r=abc/)
})

test('SCRAM: the tokenauth extension (delegation tokens) is refused with a message that says why', async () => {
  const e = await refusal(scramServer('SCRAM-SHA-512', users), Buffer.from('n,,n=alice,r=abc,tokenauth=true'))
  assert.match(e.message, /delegation token authentication .* is not supported/)
  // Other extensions are ignored, as Kafka does.
  assert.match((await scramServer('SCRAM-SHA-512', users).evaluate(Buffer.from('n,,n=alice,r=abc,foo=bar'))).response.toString(), /^r=abc/)
})

test('SCRAM: a stored credential below the minimum iterations is refused', async () => {
  const weak = source([['weak', 'SCRAM-SHA-256', credentialFromPassword(sha256, 'pw', 1000)]])
  const e = await refusal(scramServer('SCRAM-SHA-256', weak), scramClient('SCRAM-SHA-256', 'weak', 'pw').first)
  assert.match(e.detail!, /1000 iterations, less than the minimum 4096/)
})
