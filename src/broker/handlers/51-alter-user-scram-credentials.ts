/**
 * AlterUserScramCredentials (key 51), version 0 (KIP-554).
 *
 * Behaviour (Kafka's):
 * - Upsertions carry the salt and the salted password (the client ran PBKDF2; the broker never
 *   sees the password) and are stored as salt, StoredKey, ServerKey and iterations. Deletions
 *   name a user and a mechanism.
 * - One result per user (in the order users first appear). A user's changes apply all or none:
 *   the first problem found is its result and nothing of it is stored. The errors:
 *   UNACCEPTABLE_CREDENTIAL for an empty user name, iterations outside 4096-16384, an empty or
 *   oversized salt, or a salted password whose length is not the mechanism's hash length;
 *   UNSUPPORTED_SASL_MECHANISM for a mechanism that is not 1 (SCRAM-SHA-256) or 2 (SCRAM-SHA-512);
 *   DUPLICATE_RESOURCE for a user and mechanism altered twice in the request;
 *   RESOURCE_NOT_FOUND for deleting a credential that does not exist.
 * - Brokers watch the store, so a credential applies to the next login on every broker.
 * - At most MAX_SCRAM_ALTERATIONS deletions plus upsertions: beyond, every user gets INVALID_REQUEST.
 *
 * Authorization: ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED for every user.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse } from '../../protocol/generated/alter-user-scram-credentials.js'
import { ErrorCode, KafkaError, type ErrorName } from '../../protocol/errors.js'
import type { Handler } from '../handler.js'
import { authorizeCluster } from '../../security/authorizer/broker-authorizer.js'
import {
  credentialFromSaltedPassword,
  SCRAM_MAX_ITERATIONS,
  SCRAM_MAX_SALT_BYTES,
  SCRAM_MIN_ITERATIONS,
  scramMechanismByType,
  type ScramCredential,
  type ScramMechanismName,
} from '../../security/sasl/scram-credential.js'

export const MAX_SCRAM_ALTERATIONS = 1000

interface Alteration {
  mechanism: number
  upsert?: { iterations: number; salt: Buffer; saltedPassword: Buffer }
}

export const alterUserScramCredentialsHandler: Handler<typeof ApiKey.AlterUserScramCredentials> = {
  apiKey: ApiKey.AlterUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  request: AlterUserScramCredentialsRequest,
  response: AlterUserScramCredentialsResponse,
  async handle(req, ctx) {
    const byUser = new Map<string, Alteration[]>()
    for (const d of req.deletions) push(byUser, d.name, { mechanism: d.mechanism })
    for (const u of req.upsertions) push(byUser, u.name, { mechanism: u.mechanism, upsert: { iterations: u.iterations, salt: u.salt, saltedPassword: u.saltedPassword } })
    const refuseAll = (code: number, message: string) => ({ throttleTimeMs: 0, results: [...byUser.keys()].map((user) => ({ user, errorCode: code, errorMessage: message })) })
    if (!authorizeCluster(ctx, 'ALTER')) return refuseAll(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.')
    const total = req.deletions.length + req.upsertions.length
    if (total > MAX_SCRAM_ALTERATIONS) return refuseAll(ErrorCode.INVALID_REQUEST, `${total} credential changes in one request; at most ${MAX_SCRAM_ALTERATIONS} are made at once: send them in several requests`)
    const results = []
    // One user after another: each is one change in the metadata store.
    for (const [user, alterations] of byUser) {
      try {
        const changes = validate(user, alterations)
        await ctx.broker.metadata.alterScramCredentials(user, changes)
        results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null })
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err
        results.push({ user, errorCode: err.code, errorMessage: err.message })
      }
    }
    return { throttleTimeMs: 0, results }
  },
}

function push(byUser: Map<string, Alteration[]>, user: string, a: Alteration): void {
  const list = byUser.get(user)
  if (list) list.push(a)
  else byUser.set(user, [a])
}

function refuse(name: ErrorName, message: string): never {
  throw new KafkaError(name, message)
}

/** The store changes for one user's alterations, or the KafkaError its result carries. */
function validate(user: string, alterations: readonly Alteration[]): Map<ScramMechanismName, ScramCredential | null> {
  if (user === '') refuse('UNACCEPTABLE_CREDENTIAL', 'Username must not be empty')
  const changes = new Map<ScramMechanismName, ScramCredential | null>()
  for (const a of alterations) {
    const m = scramMechanismByType(a.mechanism)
    if (!m) refuse('UNSUPPORTED_SASL_MECHANISM', `Unknown SCRAM mechanism ${a.mechanism}: use 1 (SCRAM-SHA-256) or 2 (SCRAM-SHA-512)`)
    if (changes.has(m.name)) refuse('DUPLICATE_RESOURCE', 'A user credential cannot be altered twice in the same request')
    const u = a.upsert
    if (!u) {
      changes.set(m.name, null)
      continue
    }
    if (u.iterations < SCRAM_MIN_ITERATIONS) refuse('UNACCEPTABLE_CREDENTIAL', `Too few iterations: ${u.iterations} (at least ${SCRAM_MIN_ITERATIONS} for ${m.name})`)
    if (u.iterations > SCRAM_MAX_ITERATIONS) refuse('UNACCEPTABLE_CREDENTIAL', `Too many iterations: ${u.iterations} (at most ${SCRAM_MAX_ITERATIONS})`)
    if (u.salt.length === 0 || u.salt.length > SCRAM_MAX_SALT_BYTES) refuse('UNACCEPTABLE_CREDENTIAL', `The salt must be 1 to ${SCRAM_MAX_SALT_BYTES} bytes, got ${u.salt.length}`)
    if (u.saltedPassword.length !== m.keyLength) refuse('UNACCEPTABLE_CREDENTIAL', `The salted password for ${m.name} must be ${m.keyLength} bytes, got ${u.saltedPassword.length}`)
    changes.set(m.name, credentialFromSaltedPassword(m, u.saltedPassword, u.salt, u.iterations))
  }
  return changes
}
