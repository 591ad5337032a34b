/** OAUTHBEARER (unsecured JWS validator) on a SASL_PLAINTEXT listener, driven byte by byte. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { RawClient } from '../helpers/raw-client.js'
import { embeddedBroker } from './helpers.js'

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
const bearer = (claims: unknown) => Buffer.from(`n,,\u0001auth=Bearer ${b64({ alg: 'none' })}.${b64(claims)}.\u0001\u0001`)

test('an unsecured OAUTHBEARER token authenticates; a refused one gets the invalid_token challenge, then fails', async (t) => {
  const tb = await embeddedBroker(t, {
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    'sasl.enabled.mechanisms': 'OAUTHBEARER',
    'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredValidatorRequiredScope="kafka";',
  })
  const port = tb.b.broker.listeners[0]!.port
  const exp = Date.now() / 1000 + 3600
  const ok = await RawClient.connect(port)
  t.after(() => ok.close())
  assert.equal((await ok.request(ApiKey.SaslHandshake, 1, { mechanism: 'OAUTHBEARER' })).errorCode, ErrorCode.NONE)
  const auth = await ok.request(ApiKey.SaslAuthenticate, 2, { authBytes: bearer({ sub: 'alice', exp, scope: 'kafka' }) })
  assert.equal(auth.errorCode, ErrorCode.NONE, auth.errorMessage ?? '')

  const bad = await RawClient.connect(port)
  t.after(() => bad.close())
  assert.equal((await bad.request(ApiKey.SaslHandshake, 1, { mechanism: 'OAUTHBEARER' })).errorCode, ErrorCode.NONE)
  const challenge = await bad.request(ApiKey.SaslAuthenticate, 2, { authBytes: bearer({ sub: 'alice', exp }) })
  assert.equal(challenge.errorCode, ErrorCode.NONE)
  assert.deepEqual(JSON.parse(Buffer.from(challenge.authBytes).toString()), { status: 'invalid_token', scope: 'kafka' })
  const fail = await bad.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from([1]) })
  assert.equal(fail.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED)
  assert.match(fail.errorMessage ?? '', /missing a required scope \(kafka\)/)
})

test('the JWKS validator needs a JWKS URL of a known scheme, and only Kafka\'s validator class is known', async (t) => {
  const base = {
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    'sasl.enabled.mechanisms': 'OAUTHBEARER',
    'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
  }
  await assert.rejects(embeddedBroker(t, base), /no JWKS is configured: set listener\.name\.sasl_plaintext\.oauthbearer\.sasl\.oauthbearer\.jwks\.endpoint\.url/)
  await assert.rejects(embeddedBroker(t, { ...base, 'sasl.oauthbearer.jwks.endpoint.url': 'ftp://idp/jwks' }), /not an https:, http: or file: URL/)
  await assert.rejects(
    embeddedBroker(t, { ...base, 'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': 'com.example.MyHandler' }),
    /Samsa has no class com\.example\.MyHandler/,
  )
  // The 3.1-3.3 package name of the same class is accepted.
  await embeddedBroker(t, { ...base, 'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': 'org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler', 'sasl.oauthbearer.jwks.endpoint.url': 'file:///nonexistent/jwks.json' })
})
