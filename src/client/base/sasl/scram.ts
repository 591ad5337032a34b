/**
 * SCRAM-SHA-256 and SCRAM-SHA-512 clients (RFC 5802, RFC 7677) as Kafka's ScramSaslClient:
 * client-first `n,,n=<user>,r=<nonce>`, the server's salt and iteration count, client-final
 * with the proof, then the server's signature, which must verify before the exchange counts
 * as complete (otherwise a server that never knew the password could pass itself off as the
 * broker). Passwords are used as UTF-8 bytes without SASLprep, as Kafka's ScramFormatter does,
 * so credentials made by kafka-configs.sh match.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'
import { SaslClientError, type SaslClient } from './mechanism.js'

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

const HASH: Record<ScramMechanism, { algorithm: 'sha256' | 'sha512'; length: number }> = {
  'SCRAM-SHA-256': { algorithm: 'sha256', length: 32 },
  'SCRAM-SHA-512': { algorithm: 'sha512', length: 64 },
}

/** Kafka's ScramMechanism minimum; a server asking for fewer is refused. */
export const SCRAM_MIN_ITERATIONS = 4096
/** A bound on the server's count, so a hostile server cannot pin the CPU for minutes. */
export const SCRAM_MAX_ITERATIONS = 1_000_000

/** RFC 5802 saslname: ',' and '=' escaped. */
export function saslName(user: string): string {
  return user.replace(/=/g, '=3D').replace(/,/g, '=2C')
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of message.split(',')) {
    const eq = part.indexOf('=')
    if (eq !== 1) throw new SaslClientError(`malformed SCRAM server message (attribute '${part.slice(0, 16)}')`)
    out.set(part[0]!, part.slice(2))
  }
  return out
}

export interface ScramClientOptions {
  mechanism: ScramMechanism
  username: string
  password: string
  /** The client nonce; random by default (tests give RFC 7677's). */
  nonce?: string
}

export function scramClient(o: ScramClientOptions): SaslClient {
  const { algorithm, length } = HASH[o.mechanism]
  const hmac = (key: Buffer, data: string) => createHmac(algorithm, key).update(data, 'utf8').digest()
  const nonce = o.nonce ?? randomBytes(24).toString('base64').replace(/[+/=]/g, '')
  const clientFirstBare = `n=${saslName(o.username)},r=${nonce}`
  let state: 'first' | 'final' | 'verify' | 'done' = 'first'
  let serverSignature: Buffer | undefined
  return {
    mechanism: o.mechanism,
    async initial() {
      state = 'final'
      return Buffer.from(`n,,${clientFirstBare}`, 'utf8')
    },
    challenge(m) {
      const text = m.toString('utf8')
      if (state === 'final') {
        const a = attributes(text)
        if (a.has('e')) throw new SaslClientError(`the broker refused SCRAM: ${a.get('e')}`)
        const serverNonce = a.get('r')
        const salt = a.get('s')
        const iterations = Number(a.get('i'))
        if (serverNonce === undefined || salt === undefined || !Number.isInteger(iterations)) throw new SaslClientError('the SCRAM server-first message lacks r=, s= or i=')
        if (!serverNonce.startsWith(nonce) || serverNonce.length === nonce.length) throw new SaslClientError('the SCRAM server nonce does not extend the client nonce')
        if (iterations < SCRAM_MIN_ITERATIONS || iterations > SCRAM_MAX_ITERATIONS) {
          throw new SaslClientError(`the SCRAM iteration count ${iterations} is outside ${SCRAM_MIN_ITERATIONS}-${SCRAM_MAX_ITERATIONS}`)
        }
        const salted = pbkdf2Sync(Buffer.from(o.password, 'utf8'), Buffer.from(salt, 'base64'), iterations, length, algorithm)
        const clientKey = hmac(salted, 'Client Key')
        const storedKey = createHash(algorithm).update(clientKey).digest()
        // c=biws is base64("n,,"): no channel binding, no authzid.
        const finalWithoutProof = `c=biws,r=${serverNonce}`
        const authMessage = `${clientFirstBare},${text},${finalWithoutProof}`
        const signature = hmac(storedKey, authMessage)
        const proof = Buffer.alloc(length)
        for (let i = 0; i < length; i++) proof[i] = clientKey[i]! ^ signature[i]!
        serverSignature = hmac(hmac(salted, 'Server Key'), authMessage)
        state = 'verify'
        return Buffer.from(`${finalWithoutProof},p=${proof.toString('base64')}`, 'utf8')
      }
      if (state === 'verify') {
        const a = attributes(text)
        if (a.has('e')) throw new SaslClientError(`the broker refused SCRAM: ${a.get('e')}`)
        const v = Buffer.from(a.get('v') ?? '', 'base64')
        if (v.length !== serverSignature!.length || !timingSafeEqual(v, serverSignature!)) {
          throw new SaslClientError('the broker\'s SCRAM server signature does not verify: it does not know this user\'s credentials (a wrong or impersonating broker)')
        }
        state = 'done'
        return null
      }
      throw new SaslClientError('SCRAM message after the exchange completed')
    },
  }
}
