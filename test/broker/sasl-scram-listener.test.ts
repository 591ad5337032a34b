/**
 * SCRAM on a SASL_PLAINTEXT listener driven byte by byte: a full exchange (v1 and v0 raw
 * tokens) with credentials from the metadata store, garbage and oversized messages refused
 * without harm to the broker, and a credential deleted from the store refused at the next login.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiKey } from '../../src/protocol/generated/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { credentialFromPassword, scramMechanism } from '../../src/security/sasl/scram-credential.js'
import { frame, RawClient } from '../helpers/raw-client.js'
import { scramClient } from '../helpers/scram-client.js'
import { embeddedBroker } from './helpers.js'

async function scramListener(t: Parameters<typeof embeddedBroker>[0]) {
  const tb = await embeddedBroker(t, { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512', 'connection.failed.authentication.delay.ms': '0' })
  const store = tb.b.broker.context.metadata
  await store.alterScramCredentials('alice', new Map([['SCRAM-SHA-256', credentialFromPassword(scramMechanism('SCRAM-SHA-256')!, 'alice-secret', 4096)]]))
  const port = tb.b.broker.listeners[0]!.port
  const connect = async () => {
    const c = await RawClient.connect(port)
    t.after(() => c.close())
    return c
  }
  return { tb, store, connect }
}

test('SCRAM-SHA-256 over SaslAuthenticate: the exchange logs in and the server signature checks out; Metadata is served after', async (t) => {
  const { connect } = await scramListener(t)
  const c = await connect()
  const handshake = await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-256' })
  assert.equal(handshake.errorCode, ErrorCode.NONE)
  assert.deepEqual(handshake.mechanisms, ['SCRAM-SHA-256', 'SCRAM-SHA-512'])
  const client = scramClient('SCRAM-SHA-256', 'alice', 'alice-secret')
  const first = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: client.first })
  assert.equal(first.errorCode, ErrorCode.NONE)
  const final = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: client.final(Buffer.from(first.authBytes)) })
  assert.equal(final.errorCode, ErrorCode.NONE, final.errorMessage ?? '')
  assert.equal(Buffer.from(final.authBytes).toString(), client.expectedServerFinal())
  assert.equal((await c.request(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })).brokers.length, 1)
})

test('SCRAM-SHA-256 after a v0 handshake: raw tokens, answered raw; a wrong proof closes without an answer', async (t) => {
  const { connect } = await scramListener(t)
  for (const [password, ok] of [['alice-secret', true], ['wrong', false]] as const) {
    const c = await connect()
    await c.request(ApiKey.SaslHandshake, 0, { mechanism: 'SCRAM-SHA-256' })
    const client = scramClient('SCRAM-SHA-256', 'alice', 'alice-secret')
    await c.write(frame(client.first))
    const first = await c.nextFrame()
    await c.write(frame(client.final(first, password)))
    if (ok) {
      assert.equal((await c.nextFrame()).toString(), client.expectedServerFinal())
      assert.equal((await c.request(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })).brokers.length, 1)
    } else {
      await c.waitClosed()
    }
  }
})

test('SCRAM garbage, oversized and out-of-order messages get SASL_AUTHENTICATION_FAILED and a close; the broker serves the next client', async (t) => {
  const { connect } = await scramListener(t)
  for (const bytes of [Buffer.from('garbage'), Buffer.alloc(100_000, 0x41), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('c=biws,r=abc,p=AAAA')]) {
    const c = await connect()
    assert.equal((await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-512' })).errorCode, ErrorCode.NONE)
    const r = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: bytes })
    assert.equal(r.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED)
    assert.equal(r.errorMessage, 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512')
    await assert.rejects(c.request(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }), /closed/)
  }
  const c = await connect()
  await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-256' })
  const client = scramClient('SCRAM-SHA-256', 'alice', 'alice-secret')
  const first = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: client.first })
  assert.equal((await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: client.final(Buffer.from(first.authBytes)) })).errorCode, ErrorCode.NONE)
})

test('a SCRAM credential deleted from the store is refused at the next login; a session already open keeps working', async (t) => {
  const { store, connect } = await scramListener(t)
  const login = async (c: RawClient) => {
    await c.request(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-256' })
    const client = scramClient('SCRAM-SHA-256', 'alice', 'alice-secret')
    const first = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: client.first })
    return (await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: client.final(Buffer.from(first.authBytes)) })).errorCode
  }
  const before = await connect()
  assert.equal(await login(before), ErrorCode.NONE)
  await store.alterScramCredentials('alice', new Map([['SCRAM-SHA-256', null]]))
  assert.equal(await login(await connect()), ErrorCode.SASL_AUTHENTICATION_FAILED)
  assert.equal((await before.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).errorCode, ErrorCode.NONE)
})
