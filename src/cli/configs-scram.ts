/**
 * SCRAM credentials from `samsa configs --entity-type users`, as kafka-configs.sh:
 * `--add-config 'SCRAM-SHA-256=[iterations=8192,password=alice-secret]'` (iterations default to
 * 4096), `--delete-config SCRAM-SHA-256`, and on `--describe` the line
 * `SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192`.
 * The password is salted by the admin client; only the salt and salted password are sent.
 */
import type { Admin } from '../client/admin/admin.js'
import { AdminError } from '../client/admin/common.js'
import type { UserScramCredentialAlteration, UserScramCredentialsDescription } from '../client/admin/scram-credentials.js'
import { KafkaError } from '../client/base/errors.js'
import type { ScramMechanismName } from '../security/sasl/scram-credential.js'
import { print, usage } from './common.js'

/** `iterations=8192,password=x` (the brackets already removed) to its parts; Kafka's attribute names. */
export function parseScramConfig(mechanism: string, value: string): { iterations?: number; password: string } {
  let iterations: number | undefined
  let password: string | undefined
  const example = `${mechanism}=[iterations=8192,password=<secret>]`
  for (const part of value.split(',')) {
    const eq = part.indexOf('=')
    const key = eq < 0 ? part : part.slice(0, eq).trim()
    const v = eq < 0 ? '' : part.slice(eq + 1)
    if (key === 'password') password = v
    else if (key === 'iterations') {
      if (!/^\d+$/.test(v.trim())) throw usage(`Invalid iterations ${JSON.stringify(v)} for ${mechanism}: a whole number from 4096 to 16384, e.g. ${example}`)
      iterations = Number(v.trim())
    } else throw usage(`Invalid attribute ${JSON.stringify(key)} for ${mechanism}: only iterations and password are allowed, e.g. ${example}`)
  }
  if (password === undefined || password === '') throw usage(`${mechanism} needs a password: ${example}`)
  return { ...(iterations !== undefined ? { iterations } : {}), password }
}

/** The hook configs-quotas.ts calls for the SCRAM keys of one user. */
export async function alterScramCredentialConfigs(admin: Admin, user: string | null, adds: Map<string, string>, deletes: string[]): Promise<void> {
  if (user === null) throw usage('The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials')
  const alterations: UserScramCredentialAlteration[] = []
  for (const [mechanism, value] of adds) alterations.push({ user, mechanism: mechanism as ScramMechanismName, ...parseScramConfig(mechanism, value) })
  for (const mechanism of deletes) alterations.push({ user, mechanism: mechanism as ScramMechanismName, delete: true })
  await admin.alterUserScramCredentials(alterations)
}

/** Prints the SCRAM line of each user (every user with credentials when `user` is undefined); users without any are left out, as Kafka. */
export async function describeScramCredentialConfigs(admin: Admin, user: string | undefined): Promise<void> {
  let found: UserScramCredentialsDescription[]
  try {
    found = await admin.describeUserScramCredentials(user === undefined ? undefined : [user])
  } catch (e) {
    if (!(e instanceof AdminError)) throw e
    const missing = (f: AdminError['failures'][number]) => f.error instanceof KafkaError && f.error.errorName === 'RESOURCE_NOT_FOUND'
    for (const f of e.failures) if (!missing(f)) await print(`Error retrieving SCRAM credential configs for user-principal '${String(f.item)}': ${f.error.message}\n`)
    found = e.results as UserScramCredentialsDescription[]
  }
  for (const d of found) {
    await print(`SCRAM credential configs for user-principal '${d.user}' are ${d.credentialInfos.map((i) => `${i.mechanism}=iterations=${i.iterations}`).join(', ')}\n`)
  }
}
