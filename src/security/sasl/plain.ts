/**
 * SASL PLAIN (RFC 4616) as Kafka's PlainSaslServer: one client message
 * `[authzid] NUL authcid NUL passwd`, checked against the users of the listener's
 * PlainLoginModule (`user_<name>="<password>"`). The authorization id must be empty or the
 * user name. Passwords are compared in constant time, and an unknown user costs the same
 * comparison as a wrong password, so timing does not tell which users exist.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { parseJaasConfig } from '../jaas.js'
import { SaslAuthenticationError, type SaslServer } from './mechanism.js'

export const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule'
const INVALID = 'Authentication failed: Invalid username or password'

/** The users of a PlainLoginModule entry: `user_alice="pw"` is alice with password pw. */
export function plainUsersFromJaas(value: string, key: string): Map<string, string> {
  const entry = parseJaasConfig(value, key)
  if (entry.loginModule !== PLAIN_LOGIN_MODULE) {
    throw new Error(`${key}: the PLAIN mechanism needs ${PLAIN_LOGIN_MODULE}, not ${entry.loginModule}`)
  }
  const users = new Map<string, string>()
  for (const [k, v] of entry.options) if (k.startsWith('user_')) users.set(k.slice('user_'.length), v)
  return users
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest()
/** What an unknown user's password is compared with. */
const NOBODY = digest('\u0000samsa: no such user')

export function plainServer(users: ReadonlyMap<string, string>): SaslServer {
  let done = false
  return {
    mechanism: 'PLAIN',
    evaluate(token: Buffer) {
      if (done) throw new SaslAuthenticationError('Authentication failed: PLAIN takes one message')
      done = true
      const parts = token.toString('utf8').split('\u0000')
      if (parts.length !== 3) throw new SaslAuthenticationError('Invalid SASL/PLAIN response: expected 3 tokens')
      const [authzid, username, password] = parts as [string, string, string]
      if (username === '') throw new SaslAuthenticationError('Authentication failed: username not specified')
      if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified')
      const expected = users.get(username)
      const ok = timingSafeEqual(digest(password), expected === undefined ? NOBODY : digest(expected)) && expected !== undefined
      if (!ok) throw new SaslAuthenticationError(INVALID, username)
      if (authzid !== '' && authzid !== username) {
        throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username', username)
      }
      return { response: Buffer.alloc(0), principal: { type: 'User', name: username } }
    },
  }
}
