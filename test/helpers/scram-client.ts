/** The client side of a SCRAM exchange (RFC 5802), for driving the broker's mechanism by hand in tests. */
import { hash, hmac, saltedPassword, scramMechanism, type ScramMechanismName } from '../../src/security/sasl/scram-credential.js'

export interface ScramClientExchange {
  first: Buffer
  /**
   * The client-final message for the server-first message (with the proof computed from
   * `password`); `noncePrefix` goes before the nonce it echoes (librdkafka < 2.6.1 puts its client nonce there).
   */
  final(serverFirst: Buffer, password?: string, noncePrefix?: string): Buffer
  /** The signature the server-final message must carry. */
  expectedServerFinal(): string
}

export function scramClient(mechanism: ScramMechanismName, user: string, password: string, nonce = 'clientnonce0123456789'): ScramClientExchange {
  const m = scramMechanism(mechanism)!
  const bare = `n=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${nonce}`
  let authMessage = ''
  let salted: Buffer = Buffer.alloc(0)
  return {
    first: Buffer.from(`n,,${bare}`),
    final(serverFirst, pw = password, noncePrefix = '') {
      const sf = serverFirst.toString()
      const attrs = new Map(sf.split(',').map((p) => [p.slice(0, 1), p.slice(2)] as const))
      const withoutProof = `c=biws,r=${noncePrefix}${attrs.get('r')}`
      authMessage = `${bare},${sf},${withoutProof}`
      salted = saltedPassword(m, pw, Buffer.from(attrs.get('s')!, 'base64'), Number(attrs.get('i')))
      const clientKey = hmac(m, salted, 'Client Key')
      const signature = hmac(m, hash(m, clientKey), authMessage)
      const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!))
      return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`)
    },
    expectedServerFinal() {
      return `v=${hmac(m, hmac(m, salted, 'Server Key'), authMessage).toString('base64')}`
    },
  }
}
