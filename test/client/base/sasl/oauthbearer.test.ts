/** The OAUTHBEARER client message (RFC 7628 section 3.1) and its answer to an error challenge. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { oauthBearerClient } from '../../../../src/client/base/sasl/oauthbearer.js'
import { parseClientFirstMessage } from '../../../../src/security/sasl/oauthbearer.js'
import { plainClient } from '../../../../src/client/base/sasl/plain.js'

test('the client-first message carries the token and extensions, and parses as the broker reads it', async () => {
  const c = oauthBearerClient(async () => ({ value: 'a.b.c', extensions: { traceId: '42' } }))
  const m = (await c.initial()).toString()
  assert.equal(m, 'n,,\u0001auth=Bearer a.b.c\u0001traceId=42\u0001\u0001')
  const parsed = parseClientFirstMessage(m)
  assert.equal(parsed.token, 'a.b.c')
  assert.equal(parsed.extensions.get('traceId'), '42')
  assert.equal(c.challenge(Buffer.alloc(0)), null)
})

test('an error challenge is answered with a lone \\x01 once; a bad provider value is refused', async () => {
  const c = oauthBearerClient(() => ({ value: 'tok' }))
  await c.initial()
  assert.equal(c.challenge(Buffer.from('{"status":"invalid_token"}'))!.toString(), '\u0001')
  assert.throws(() => c.challenge(Buffer.from('{"status":"invalid_token"}')), /second OAUTHBEARER error challenge/)
  await assert.rejects(oauthBearerClient(async () => ({ value: '' })).initial(), /non-empty token/)
})

test('PLAIN sends NUL user NUL password', async () => {
  assert.deepEqual(await plainClient('alice', 's3cret').initial(), Buffer.from('\u0000alice\u0000s3cret'))
})
