/**
 * DescribeUserScramCredentials and AlterUserScramCredentials (KIP-554) from the admin client.
 * A password is salted here, with PBKDF2 and a fresh random salt, as Kafka's AdminClient does:
 * the request carries the salt and the salted password, never the password.
 */
import { randomBytes } from 'node:crypto'
import { ApiKey } from '../../protocol/generated/api-keys.js'
import { ClientError, isRetriable } from '../base/errors.js'
import { AdminError, brokerError, retrying, type AdminFailure, type Call } from './common.js'
import { saltedPassword, SCRAM_DEFAULT_ITERATIONS, SCRAM_SALT_BYTES, scramMechanism, scramMechanismByType, type ScramMechanismName } from '../../security/sasl/scram-credential.js'

export interface ScramCredentialInfo {
  mechanism: ScramMechanismName
  iterations: number
}

export interface UserScramCredentialsDescription {
  user: string
  credentialInfos: ScramCredentialInfo[]
}

export type UserScramCredentialAlteration =
  /** Sets the user's credential for the mechanism (iterations default to 4096, as kafka-configs.sh). */
  | { user: string; mechanism: ScramMechanismName; password: string; iterations?: number; salt?: Buffer }
  | { user: string; mechanism: ScramMechanismName; delete: true }

/**
 * The credentials of `users` (every user with one when undefined or empty). A named user
 * without credentials fails with RESOURCE_NOT_FOUND, in the AdminError's failures.
 */
export async function describeUserScramCredentials(call: Call, users: readonly string[] | undefined): Promise<UserScramCredentialsDescription[]> {
  return retrying(call, async () => {
    const conn = await call.cluster.anyConnection()
    const resp = await conn.request(ApiKey.DescribeUserScramCredentials, { users: users && users.length > 0 ? users.map((name) => ({ name })) : null }, call.request(conn.version(ApiKey.DescribeUserScramCredentials, 0)))
    const err = brokerError(resp.errorCode, 'SCRAM credentials', resp.errorMessage)
    if (err) throw err
    const results: UserScramCredentialsDescription[] = []
    const failures: AdminFailure[] = []
    for (const r of resp.results) {
      const e = brokerError(r.errorCode, `user ${r.user}`, r.errorMessage)
      if (e) failures.push({ resource: `user ${r.user}`, item: r.user, error: e })
      else results.push({ user: r.user, credentialInfos: r.credentialInfos.flatMap((i) => {
        const m = scramMechanismByType(i.mechanism)
        return m ? [{ mechanism: m.name, iterations: i.iterations }] : []
      }) })
    }
    if (failures.length > 0) throw new AdminError(call.operation, failures, results, resp.results.length)
    return results
  }, (e) => !(e instanceof AdminError) && isRetriable(e))
}

/** Applies the alterations; a user whose change failed is in the AdminError's failures (the broker applies each user's changes all or none). */
export async function alterUserScramCredentials(call: Call, alterations: readonly UserScramCredentialAlteration[]): Promise<void> {
  const deletions = []
  const upsertions = []
  for (const a of alterations) {
    const m = scramMechanism(a.mechanism)
    if (!m) throw new ClientError('INVALID_OPTION', `unknown SCRAM mechanism ${String(a.mechanism)}: use SCRAM-SHA-256 or SCRAM-SHA-512`)
    if ('delete' in a) {
      deletions.push({ name: a.user, mechanism: m.type })
      continue
    }
    const iterations = a.iterations ?? SCRAM_DEFAULT_ITERATIONS
    // The broker refuses out-of-range counts; PBKDF2 with a huge one would only hang here first.
    if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > 1_000_000) throw new ClientError('INVALID_OPTION', `iterations must be a whole number from 4096 to 16384, got ${iterations}`)
    const salt = a.salt ?? randomBytes(SCRAM_SALT_BYTES)
    upsertions.push({ name: a.user, mechanism: m.type, iterations, salt, saltedPassword: saltedPassword(m, a.password, salt, iterations) })
  }
  const conn = await call.cluster.anyConnection()
  const resp = await conn.request(ApiKey.AlterUserScramCredentials, { deletions, upsertions }, call.request(conn.version(ApiKey.AlterUserScramCredentials, 0)))
  const failures: AdminFailure[] = []
  for (const r of resp.results) {
    const e = brokerError(r.errorCode, `user ${r.user}`, r.errorMessage)
    if (e) failures.push({ resource: `user ${r.user}`, item: r.user, error: e })
  }
  if (failures.length > 0) throw new AdminError(call.operation, failures, resp.results.filter((r) => r.errorCode === 0).map((r) => r.user), resp.results.length)
}
