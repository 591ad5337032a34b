import { test } from 'node:test'
import assert from 'node:assert/strict'
import { plainServer, plainUsersFromJaas } from '../../../src/security/sasl/plain.js'
import { SaslAuthenticationError } from '../../../src/security/sasl/mechanism.js'

const users = plainUsersFromJaas('org.apache.kafka.common.security.plain.PlainLoginModule required username="x" password="y" user_alice="alice-pw" user_bob="";', 'k')
const token = (...parts: string[]) => Buffer.from(parts.join('\u0000'))

function refused(t: Buffer, message: RegExp): void {
  assert.throws(() => plainServer(users).evaluate(t), (e: Error) => e instanceof SaslAuthenticationError && message.test(e.message))
}

test('PLAIN accepts a user with its password, with or without an equal authorization id', async () => {
  assert.deepEqual([...users.keys()], ['alice', 'bob'])
  for (const authzid of ['', 'alice']) {
    const s = await plainServer(users).evaluate(token(authzid, 'alice', 'alice-pw'))
    assert.deepEqual(s.principal, { type: 'User', name: 'alice' })
    assert.equal(s.response.length, 0)
  }
})

test('PLAIN refuses as Kafka does', () => {
  refused(token('', 'alice', 'wrong'), /^Authentication failed: Invalid username or password$/)
  refused(token('', 'mallory', 'alice-pw'), /^Authentication failed: Invalid username or password$/)
  refused(token('', 'alice', 'alice-pw-longer'), /Invalid username or password/)
  refused(token('', 'bob', ''), /password not specified/)
  refused(token('', '', 'x'), /username not specified/)
  refused(token('bob', 'alice', 'alice-pw'), /authorization id that is different/)
  refused(Buffer.from('alice'), /expected 3 tokens/)
  const once = plainServer(users)
  once.evaluate(token('', 'alice', 'alice-pw'))
  assert.throws(() => once.evaluate(token('', 'alice', 'alice-pw')), SaslAuthenticationError)
})

test('a JAAS entry of another login module is refused for PLAIN', () => {
  assert.throws(() => plainUsersFromJaas('org.apache.kafka.common.security.scram.ScramLoginModule required;', 'sasl.jaas.config'), /needs org\.apache\.kafka\.common\.security\.plain\.PlainLoginModule/)
})
