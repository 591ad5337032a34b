/** SASL PLAIN (RFC 4616): one message, `authzid NUL user NUL password`, with an empty authzid as Kafka sends it. */
import { SaslClientError, type SaslClient } from './mechanism.js'

export function plainClient(username: string, password: string): SaslClient {
  return {
    mechanism: 'PLAIN',
    initial: async () => Buffer.from(`\u0000${username}\u0000${password}`, 'utf8'),
    // The broker answers an empty message on success; a failure arrives as an error code.
    challenge: (m) => {
      if (m.length !== 0) throw new SaslClientError('the broker answered SASL PLAIN with a challenge; PLAIN has none')
      return null
    },
  }
}
