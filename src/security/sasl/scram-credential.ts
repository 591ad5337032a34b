/**
 * SCRAM credentials as Kafka keeps them (ScramCredential, ScramFormatter): a salt, the
 * iteration count, StoredKey = H(HMAC(SaltedPassword, "Client Key")) and
 * ServerKey = HMAC(SaltedPassword, "Server Key"). The password, and the salted password, are
 * never kept: StoredKey lets the broker check a client proof, ServerKey lets it prove itself,
 * and neither lets anyone log in as the user (RFC 5802 section 3).
 *
 * The mechanisms' wire numbers are KIP-554's (ScramMechanism: 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

export interface ScramMechanismInfo {
  readonly name: ScramMechanismName
  /** KIP-554's number for it in DescribeUserScramCredentials / AlterUserScramCredentials. */
  readonly type: number
  readonly hash: 'sha256' | 'sha512'
  /** Bytes of a hash (and of every key). */
  readonly keyLength: number
}

export const SCRAM_MECHANISMS: readonly ScramMechanismInfo[] = [
  { name: 'SCRAM-SHA-256', type: 1, hash: 'sha256', keyLength: 32 },
  { name: 'SCRAM-SHA-512', type: 2, hash: 'sha512', keyLength: 64 },
]

/** Kafka's bounds on the iteration count (ScramMechanism.minIterations, and the 16384 KRaft's ScramControlManager allows). */
export const SCRAM_MIN_ITERATIONS = 4096
export const SCRAM_MAX_ITERATIONS = 16384
/** What kafka-configs.sh uses when `SCRAM-SHA-256=[password=...]` gives no iterations. */
export const SCRAM_DEFAULT_ITERATIONS = 4096
/** A salt this long is enough (RFC 5802 asks only for uniqueness); longer ones are refused when stored. */
export const SCRAM_SALT_BYTES = 32
export const SCRAM_MAX_SALT_BYTES = 1024

export function scramMechanism(name: string): ScramMechanismInfo | undefined {
  return SCRAM_MECHANISMS.find((m) => m.name === name)
}

export function scramMechanismByType(type: number): ScramMechanismInfo | undefined {
  return SCRAM_MECHANISMS.find((m) => m.type === type)
}

export function isScramMechanism(name: string): name is ScramMechanismName {
  return scramMechanism(name) !== undefined
}

export interface ScramCredential {
  readonly salt: Buffer
  readonly storedKey: Buffer
  readonly serverKey: Buffer
  readonly iterations: number
}

export function hmac(m: ScramMechanismInfo, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(m.hash, key).update(data).digest()
}

export function hash(m: ScramMechanismInfo, data: Buffer): Buffer {
  return createHash(m.hash).update(data).digest()
}

/** Hi(password, salt, i) of RFC 5802: PBKDF2 with HMAC of the mechanism's hash. What the client side (the admin tool) computes. */
export function saltedPassword(m: ScramMechanismInfo, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, m.keyLength, m.hash)
}

/** The stored form of a salted password (what AlterUserScramCredentials carries, KIP-554). */
export function credentialFromSaltedPassword(m: ScramMechanismInfo, salted: Buffer, salt: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(m, salted, 'Client Key')
  return { salt: Buffer.from(salt), storedKey: hash(m, clientKey), serverKey: hmac(m, salted, 'Server Key'), iterations }
}

export function credentialFromPassword(m: ScramMechanismInfo, password: string, iterations: number, salt: Buffer = randomBytes(SCRAM_SALT_BYTES)): ScramCredential {
  return credentialFromSaltedPassword(m, saltedPassword(m, password, salt, iterations), salt, iterations)
}

/** A credential as JSON stores it (both metadata stores). */
export interface StoredScramCredential {
  salt: string
  storedKey: string
  serverKey: string
  iterations: number
}

export function encodeScramCredential(c: ScramCredential): StoredScramCredential {
  return { salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations }
}

/** The credential a stored value holds, or undefined when it is not one `m` can use (another program wrote it, or it is damaged). */
export function decodeScramCredential(m: ScramMechanismInfo, v: unknown): ScramCredential | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const s = v as Partial<StoredScramCredential>
  if (typeof s.salt !== 'string' || typeof s.storedKey !== 'string' || typeof s.serverKey !== 'string' || !Number.isSafeInteger(s.iterations)) return undefined
  const b64 = /^[A-Za-z0-9+/]*={0,2}$/
  if (!b64.test(s.salt) || !b64.test(s.storedKey) || !b64.test(s.serverKey)) return undefined
  const c = { salt: Buffer.from(s.salt, 'base64'), storedKey: Buffer.from(s.storedKey, 'base64'), serverKey: Buffer.from(s.serverKey, 'base64'), iterations: s.iterations! }
  if (c.salt.length === 0 || c.storedKey.length !== m.keyLength || c.serverKey.length !== m.keyLength || c.iterations < 1) return undefined
  return c
}

/** Where the broker finds a user's credential (the metadata store; read on every login, so a change applies at once). */
export interface ScramCredentialSource {
  scramCredential(user: string, mechanism: ScramMechanismName): ScramCredential | undefined
}
