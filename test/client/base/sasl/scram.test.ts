/**
 * The SCRAM client against RFC 7677's SCRAM-SHA-256 test vector (user "user", password
 * "pencil", the RFC's nonces, salt and 4096 iterations), and the checks that protect the
 * client: a server signature that does not verify, a nonce that does not extend ours, too few
 * iterations. SCRAM-SHA-512 is checked against the same algorithm computed independently.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto'
import { saslName, scramClient } from '../../../../src/client/base/sasl/scram.js'
import { SaslClientError } from '../../../../src/client/base/sasl/mechanism.js'

const RFC7677 = {
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
}

const vectorClient = () => scramClient({ mechanism: 'SCRAM-SHA-256', username: 'user', password: 'pencil', nonce: 'rOprNGfwEbeRWgbNEkqO' })

test('SCRAM-SHA-256 reproduces RFC 7677 section 3 and verifies its server signature', async () => {
  const c = vectorClient()
  assert.equal(c.mechanism, 'SCRAM-SHA-256')
  assert.equal((await c.initial()).toString(), RFC7677.clientFirst)
  assert.equal(c.challenge(Buffer.from(RFC7677.serverFirst))!.toString(), RFC7677.clientFinal)
  assert.equal(c.challenge(Buffer.from(RFC7677.serverFinal)), null)
})

test('a wrong server signature, a server error, a foreign nonce and too few iterations are refused', async () => {
  let c = vectorClient()
  await c.initial()
  c.challenge(Buffer.from(RFC7677.serverFirst))
  assert.throws(() => c.challenge(Buffer.from('v=AAAArriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')), (e: unknown) => e instanceof SaslClientError && /server signature does not verify/.test(e.message))
  c = vectorClient()
  await c.initial()
  c.challenge(Buffer.from(RFC7677.serverFirst))
  assert.throws(() => c.challenge(Buffer.from('e=invalid-proof')), /refused SCRAM: invalid-proof/)
  c = vectorClient()
  await c.initial()
  assert.throws(() => c.challenge(Buffer.from('r=someoneElse123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')), /nonce/)
  c = vectorClient()
  await c.initial()
  assert.throws(() => c.challenge(Buffer.from('r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1024')), /iteration count 1024/)
})

test('SCRAM-SHA-512: the proof and server signature match RFC 5802 computed independently; names are escaped', async () => {
  const salt = Buffer.from('0123456789abcdef')
  const c = scramClient({ mechanism: 'SCRAM-SHA-512', username: 'a=b,c', password: 'p\u00e4ss', nonce: 'clientnonce' })
  const first = (await c.initial()).toString()
  assert.equal(first, 'n,,n=a=3Db=2Cc,r=clientnonce')
  const serverFirst = `r=clientnonceSERVER,s=${salt.toString('base64')},i=4096`
  const final = c.challenge(Buffer.from(serverFirst))!.toString()
  const salted = pbkdf2Sync(Buffer.from('p\u00e4ss', 'utf8'), salt, 4096, 64, 'sha512')
  const hmac = (k: Buffer, d: string) => createHmac('sha512', k).update(d).digest()
  const clientKey = hmac(salted, 'Client Key')
  const auth = `n=a=3Db=2Cc,r=clientnonce,${serverFirst},c=biws,r=clientnonceSERVER`
  const sig = hmac(createHash('sha512').update(clientKey).digest(), auth)
  const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]!))
  assert.equal(final, `c=biws,r=clientnonceSERVER,p=${proof.toString('base64')}`)
  assert.equal(c.challenge(Buffer.from(`v=${hmac(hmac(salted, 'Server Key'), auth).toString('base64')}`)), null)
  assert.equal(saslName('x'), 'x')
})
