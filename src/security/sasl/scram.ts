/**
 * SASL SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka's ScramSaslServer:
 * client-first -> server-first (the client's nonce plus ours, the salt, the iterations);
 * client-final -> server-final (our signature) once the client's proof matches StoredKey.
 * Credentials come from the metadata store on each login, so a credential added or deleted
 * by AlterUserScramCredentials applies to the next login.
 *
 * As Kafka, every refusal but one reaches the client as "Authentication failed during
 * authentication due to invalid credentials with SASL mechanism <m>"; the broker's log gets the
 * reason. The exception is an authorization id that is not the user, which Kafka names.
 *
 * Unlike Kafka (which fails at the first message), an unknown user gets a server-first message
 * with a salt derived from its name and fails at the proof, as a wrong password does: the
 * exchange does not tell which users exist (RFC 5802 section 9). The proof is compared in
 * constant time.
 *
 * librdkafka before 2.6.1 (kcat, confluent-kafka) sends its client nonce twice in the
 * client-final message (client nonce + the whole server nonce); Kafka 3.8.1-3.9 accept that
 * (their nonce check is `endsWith`), so Samsa accepts exactly that form besides the RFC's, and
 * nothing else (Kafka 4 refuses it, and those clients with it).
 *
 * `tokenauth=true` asks for a delegation-token login (Kafka's ScramExtensions); Samsa has no
 * delegation tokens, so it is refused with a message saying so.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { SaslAuthenticationError, type SaslServer } from './mechanism.js'
import { hash, hmac, SCRAM_MIN_ITERATIONS, SCRAM_SALT_BYTES, scramMechanism, type ScramCredential, type ScramCredentialSource, type ScramMechanismName } from './scram-credential.js'
import { parseClientFinal, parseClientFirst, ScramFormatError, serverFinal, serverFirst, type ClientFirstMessage } from './scram-messages.js'

export interface ScramServerOptions {
  /** The server's part of the nonce (tests fix it to replay RFC 7677's exchange). */
  nonce?: () => string
}

/** Salts of users that do not exist: stable within the process, unguessable outside it. */
const MOCK_SECRET = randomBytes(32)

export function scramServer(mechanism: ScramMechanismName, credentials: ScramCredentialSource, options: ScramServerOptions = {}): SaslServer {
  const m = scramMechanism(mechanism)!
  const invalid = `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`
  let state: 'first' | 'final' | 'done' = 'first'
  let first: ClientFirstMessage | undefined
  let serverFirstText = ''
  let nonce = ''
  let credential: ScramCredential | undefined
  let known = false

  const refuse = (detail: string, user?: string): never => {
    state = 'done'
    credential = undefined
    throw new SaslAuthenticationError(invalid, user, detail)
  }

  return {
    mechanism,
    evaluate(token: Buffer) {
      if (state === 'done') throw new SaslAuthenticationError(`Authentication failed: unexpected SASL ${mechanism} message after the exchange ended`)
      if (state === 'first') {
        try {
          first = parseClientFirst(token)
        } catch (e) {
          if (e instanceof ScramFormatError) refuse(`invalid SCRAM client-first message: ${e.message}`)
          throw e
        }
        const user = first.username
        if (first.extensions.get('tokenauth')?.toLowerCase() === 'true') {
          state = 'done'
          throw new SaslAuthenticationError(
            `Authentication failed: delegation token authentication (the SCRAM tokenauth extension) is not supported: this broker has no delegation tokens; log in with a SCRAM user's credentials`,
            user,
          )
        }
        if (first.authzid !== '' && first.authzid !== user) {
          state = 'done'
          throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username', user)
        }
        const stored = credentials.scramCredential(user, mechanism)
        if (stored && stored.iterations < SCRAM_MIN_ITERATIONS) refuse(`stored credential has ${stored.iterations} iterations, less than the minimum ${SCRAM_MIN_ITERATIONS} for ${mechanism}`, user)
        known = stored !== undefined
        credential = stored ?? mockCredential(user)
        nonce = first.nonce + (options.nonce ? options.nonce() : randomBytes(24).toString('base64url'))
        serverFirstText = serverFirst(nonce, credential.salt, credential.iterations)
        state = 'final'
        return { response: Buffer.from(serverFirstText, 'utf8') }
      }
      const user = first!.username
      let final
      try {
        final = parseClientFinal(token)
      } catch (e) {
        if (e instanceof ScramFormatError) refuse(`invalid SCRAM client-final message: ${e.message}`, user)
        throw e
      }
      if (final.nonce !== nonce && final.nonce !== first!.nonce + nonce) refuse('Invalid client nonce in the final client message.', user)
      if (!final.channelBinding.equals(Buffer.from(first!.gs2Header, 'utf8'))) refuse('the channel binding (c=) is not the gs2 header of the client-first message', user)
      const c = credential!
      const authMessage = `${first!.bare},${serverFirstText},${final.withoutProof}`
      const clientSignature = hmac(m, c.storedKey, authMessage)
      // ClientKey = ClientProof XOR ClientSignature; the proof holds iff H(ClientKey) is StoredKey.
      const proofOk = final.proof.length === m.keyLength
      const clientKey = Buffer.alloc(m.keyLength)
      for (let i = 0; i < m.keyLength; i++) clientKey[i] = (proofOk ? final.proof[i]! : 0) ^ clientSignature[i]!
      const matches = timingSafeEqual(hash(m, clientKey), c.storedKey)
      if (!proofOk || !matches || !known) refuse(known ? 'Invalid client credentials' : 'no SCRAM credential for this user and mechanism', user)
      state = 'done'
      credential = undefined
      return { response: Buffer.from(serverFinal(hmac(m, c.serverKey, authMessage)), 'utf8'), principal: { type: 'User', name: user } }
    },
  }

  function mockCredential(user: string): ScramCredential {
    const salt = createHmac('sha256', MOCK_SECRET).update(`${mechanism}\u0000${user}`).digest().subarray(0, SCRAM_SALT_BYTES)
    // Random keys: no proof can match them (and `known` is false besides).
    return { salt, storedKey: randomBytes(m.keyLength), serverKey: randomBytes(m.keyLength), iterations: SCRAM_MIN_ITERATIONS }
  }
}
